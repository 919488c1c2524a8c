package sts

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/samlab-dev/samlab/awssaml"
	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/sp/iam"
)

// trustResult is the trust policy's evaluation for each action a request
// needs, with the request's condition context.
type trustResult struct {
	evals   map[string]iam.Evaluation // by action
	actions []string
}

// evaluateTrust evaluates the trust policy as the pipeline does (rows 17b):
// the same condition context, every required action.
func evaluateTrust(a *Assertion, in ExplainInput, providerARN string, b Behavior) (*trustResult, error) {
	pol, err := iam.ParsePolicy(in.TrustPolicy)
	if err != nil {
		return nil, err
	}
	account, providerName, err := splitProviderARN(providerARN)
	if err != nil {
		return nil, err
	}
	tags, transitive := sessionTags(a)
	var sourceIdentity string
	if v := a.Attributes[attrSourceIdentity]; len(v) == 1 {
		sourceIdentity = v[0]
	}
	condCtx := conditionContext(a, requestContext{subjectType: subjectType(a.NameIDFormat, b.SubjectTypeShortensAll),
		nameQualifier: NameQualifier(a.Issuer, account, providerName), doc: account + "/" + providerName,
		tags: tags, transitive: transitive, sourceIdentity: sourceIdentity})
	tr := &trustResult{evals: map[string]iam.Evaluation{},
		actions: requiredActions(len(tags) > 0 || len(transitive) > 0, sourceIdentity != "")}
	for _, act := range tr.actions {
		tr.evals[act] = pol.Evaluate(iam.Request{Federated: providerARN, Action: act, Context: condCtx})
	}
	return tr, nil
}

// trustFinding judges the caller's trust policy, or says it was not judged.
func (ex *Explanation) trustFinding(a *Assertion, in ExplainInput, _ *metadata.EntityDescriptor, b Behavior) {
	if in.TrustPolicy == "" {
		standard := "would be allowed"
		if ex.ProviderARN != "" {
			std := in
			std.TrustPolicy = iam.SAMLTrustPolicy(ex.ProviderARN)
			if tr, err := evaluateTrust(a, std, ex.ProviderARN, b); err == nil {
				for _, act := range tr.actions {
					if ev := tr.evals[act]; !ev.Allowed {
						standard = "would be DENIED (" + whyDenied(ev, ex.ProviderARN) + ")"
					}
				}
			}
		}
		ex.Findings = append(ex.Findings, Finding{Check: "trust-policy", NotJudged: true,
			Detail: "no trust policy was given, so the verdict assumes the role trusts the provider unconditionally; under AWS's standard SAML trust policy (SAML:aud = https://signin.aws.amazon.com/saml) this request " + standard})
		ex.NotJudged = append(ex.NotJudged, "the role's trust policy: aws iam get-role --role-name "+roleNameOf(ex.RoleARN)+" > role.json, then --role-file role.json")
		return
	}
	if ex.ProviderARN == "" {
		return
	}
	tr, err := evaluateTrust(a, in, ex.ProviderARN, b)
	if err != nil {
		ex.add("trust-policy", false, "the trust policy does not parse: %v", err)
		return
	}
	denied := tr.denials(ex.ProviderARN)
	if len(denied) == 0 {
		ex.add("trust-policy", true, "the trust policy allows %s for %s with this assertion's condition keys", strings.Join(tr.actions, " and "), ex.ProviderARN)
		return
	}
	ex.add("trust-policy", false, "the trust policy denies %s", strings.Join(denied, "; "))
}

// whyDenied names, for each statement, what kept it from allowing the
// request, or the Deny statement that matched.
func whyDenied(ev iam.Evaluation, providerARN string) string {
	var parts []string
	for _, s := range ev.Statements {
		name := fmt.Sprintf("statement %d", s.Index+1)
		if s.Sid != "" {
			name += " (" + s.Sid + ")"
		}
		switch {
		case s.Effect == "Deny" && s.Matches:
			parts = append(parts, name+" is a Deny that matches")
		case s.Effect == "Deny":
			continue
		case !s.PrincipalMatches:
			parts = append(parts, fmt.Sprintf("%s does not name the Federated principal %s", name, providerARN))
		case !s.ActionMatches:
			parts = append(parts, name+" does not list the action")
		default:
			for _, c := range s.Conditions {
				if !c.Holds {
					parts = append(parts, fmt.Sprintf("%s: condition %s %s %q fails, the request has %s", name, c.Operator, c.Key, c.Values, requestValues(c.RequestValues)))
				}
			}
		}
	}
	if len(parts) == 0 {
		return "no Allow statement"
	}
	return strings.Join(parts, "; ")
}

func requestValues(v []string) string {
	if len(v) == 0 {
		return "no value for it"
	}
	return fmt.Sprintf("%q", v)
}

func roleNameOf(arn string) string {
	name, _ := splitRoleARN(arn)
	return name
}

// correctedTrustPolicy returns the caller's trust policy changed so that the
// request is allowed, when the change is mechanical: a statement that names
// the provider gets the missing actions, and each failing StringEquals/
// StringLike condition gets the request's value added. It returns "" when
// no such change exists (no statement names the provider, a Deny matches,
// or a negated operator fails).
func correctedTrustPolicy(doc string, tr *trustResult) string {
	var pol map[string]any
	if err := json.Unmarshal([]byte(doc), &pol); err != nil {
		return ""
	}
	stmts, _ := pol["Statement"].([]any)
	single := false
	if stmts == nil {
		if one, ok := pol["Statement"].(map[string]any); ok {
			stmts, single = []any{one}, true
		}
	}
	changed := false
	for _, act := range tr.actions {
		ev := tr.evals[act]
		if ev.Allowed {
			continue
		}
		for _, s := range ev.Statements {
			if s.Effect == "Deny" && s.Matches {
				return "" // an explicit deny is a decision to revisit by hand
			}
		}
		fixed := false
		for _, s := range ev.Statements {
			if s.Effect != "Allow" || !s.PrincipalMatches || s.Index >= len(stmts) {
				continue
			}
			st, ok := stmts[s.Index].(map[string]any)
			if !ok {
				return ""
			}
			if !s.ActionMatches {
				if _, hasNot := st["NotAction"]; hasNot {
					continue
				}
				st["Action"] = appendValue(st["Action"], act)
			}
			for _, c := range s.Conditions {
				if c.Holds {
					continue
				}
				op := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(c.Operator, "ForAnyValue:"), "ForAllValues:"), "IfExists")
				if !slices.Contains([]string{"StringEquals", "StringEqualsIgnoreCase", "StringLike"}, op) || len(c.RequestValues) == 0 {
					return ""
				}
				cond, _ := st["Condition"].(map[string]any)
				block, _ := cond[c.Operator].(map[string]any)
				if block == nil {
					return ""
				}
				for k := range block {
					if strings.EqualFold(k, c.Key) {
						for _, v := range c.RequestValues {
							block[k] = appendValue(block[k], v)
						}
					}
				}
			}
			fixed, changed = true, true
			break
		}
		if !fixed {
			return ""
		}
	}
	if !changed {
		return ""
	}
	if single {
		pol["Statement"] = stmts[0]
	}
	out, err := json.MarshalIndent(pol, "", "  ")
	if err != nil {
		return ""
	}
	return string(out) + "\n"
}

// appendValue adds v to a JSON string-or-array value, keeping it unique.
func appendValue(cur any, v string) any {
	switch c := cur.(type) {
	case string:
		if c == v {
			return c
		}
		return []any{c, v}
	case []any:
		for _, x := range c {
			if x == v {
				return c
			}
		}
		return append(c, v)
	}
	return v
}

// indentJSON re-indents a JSON document for a file a person reads; invalid
// JSON is returned unchanged.
func indentJSON(doc string) string {
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return doc
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return doc
	}
	return string(out) + "\n"
}

// denials says, for the actions the policy denies, why: actions denied for
// the same reason share one entry.
func (tr *trustResult) denials(providerARN string) []string {
	var reasons []string
	acts := map[string][]string{}
	for _, act := range tr.actions {
		if ev := tr.evals[act]; !ev.Allowed {
			r := whyDenied(ev, providerARN)
			if _, ok := acts[r]; !ok {
				reasons = append(reasons, r)
			}
			acts[r] = append(acts[r], act)
		}
	}
	out := make([]string, 0, len(reasons))
	for _, r := range reasons {
		out = append(out, strings.Join(acts[r], ", ")+": "+r)
	}
	return out
}

// splitProviderARN splits a SAML provider ARN into its account and name.
func splitProviderARN(arn string) (account, name string, err error) {
	a, err := awssaml.SplitARN(arn)
	if err != nil || a.Type != "saml-provider" {
		return "", "", fmt.Errorf("%q is not a SAML provider ARN (arn:aws:iam::ACCOUNT:saml-provider/NAME)", arn)
	}
	return a.Account, a.Name, nil
}
