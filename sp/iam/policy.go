package iam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Policy is a parsed trust (assume-role) policy. Only what AssumeRoleWithSAML
// needs is modelled: Effect, Principal, Action/NotAction and Condition. See the
// IAM User Guide, "IAM JSON policy elements reference" and "Policy evaluation
// logic".
type Policy struct {
	Version    string
	Statements []Statement
}

// Statement is one policy statement.
type Statement struct {
	Sid    string
	Effect string // "Allow" or "Deny"
	// Principal maps a principal type ("Federated", "AWS", "Service", …) to
	// its values. AnyPrincipal is set for "Principal": "*" and for
	// {"AWS": "*"}, which IAM treats alike.
	Principal    map[string][]string
	AnyPrincipal bool
	// Federated is Principal["Federated"], kept for callers that only care
	// about SAML and OIDC providers.
	Federated  []string
	Actions    []string
	NotActions []string
	Conditions []Condition
}

// Condition is one operator/key/values test of a statement's Condition block.
type Condition struct {
	// Operator is as written in the policy, set and IfExists qualifiers
	// included: "StringEquals", "ForAnyValue:StringLike",
	// "StringNotEqualsIfExists", "Null".
	Operator string
	// Key is the condition key as written, e.g. "SAML:aud". Keys are matched
	// case-insensitively.
	Key    string
	Values []string
}

// stringList decodes a JSON string or an array of strings. Condition values
// may also be JSON booleans or numbers ("Null": {"k": true}); they are kept in
// their JSON spelling.
type stringList []string

func (s *stringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var raw []json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return err
		}
		out := make([]string, 0, len(raw))
		for _, r := range raw {
			v, err := scalar(r)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		*s = out
		return nil
	}
	v, err := scalar(b)
	if err != nil {
		return err
	}
	*s = []string{v}
	return nil
}

func scalar(b []byte) (string, error) {
	b = bytes.TrimSpace(b)
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		return str, nil
	}
	var bl bool
	if err := json.Unmarshal(b, &bl); err == nil {
		return strconv.FormatBool(bl), nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		return n.String(), nil
	}
	return "", fmt.Errorf("policy value %s is not a string, boolean or number", b)
}

type rawStatement struct {
	Sid       string                           `json:"Sid"`
	Effect    string                           `json:"Effect"`
	Principal json.RawMessage                  `json:"Principal"`
	Action    stringList                       `json:"Action"`
	NotAction stringList                       `json:"NotAction"`
	Condition map[string]map[string]stringList `json:"Condition"`
}

// ParsePolicy parses a trust policy document. Errors are MalformedPolicyDocument
// (400) as IAM returns them.
func ParsePolicy(doc string) (*Policy, error) {
	malformed := func(format string, args ...any) error {
		return awsapi.Errorf(awsapi.CodeMalformedPolicy, http.StatusBadRequest, format, args...)
	}
	if strings.TrimSpace(doc) == "" {
		return nil, malformed("Syntax errors in policy.")
	}
	var raw struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, malformed("Syntax errors in policy.")
	}
	var stmts []rawStatement
	st := bytes.TrimSpace(raw.Statement)
	switch {
	case len(st) == 0:
		return nil, malformed("Missing required field Statement")
	case st[0] == '[':
		if err := json.Unmarshal(st, &stmts); err != nil {
			return nil, malformed("Syntax errors in policy.")
		}
	default:
		var one rawStatement
		if err := json.Unmarshal(st, &one); err != nil {
			return nil, malformed("Syntax errors in policy.")
		}
		stmts = []rawStatement{one}
	}
	p := &Policy{Version: raw.Version}
	for i, rs := range stmts {
		if rs.Effect != "Allow" && rs.Effect != "Deny" {
			return nil, malformed("Invalid effect: %s (statement %d)", rs.Effect, i+1)
		}
		if len(rs.Action) == 0 && len(rs.NotAction) == 0 {
			return nil, malformed("Missing required field Action")
		}
		s := Statement{Sid: rs.Sid, Effect: rs.Effect, Actions: rs.Action, NotActions: rs.NotAction}
		if msg := s.parsePrincipal(rs.Principal); msg != "" {
			return nil, malformed("%s", msg)
		}
		for op, keys := range rs.Condition {
			for k, vals := range keys {
				s.Conditions = append(s.Conditions, Condition{Operator: op, Key: k, Values: vals})
			}
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

// parsePrincipal fills the statement's principal fields and returns IAM's
// message for a bad Principal element, or "".
func (s *Statement) parsePrincipal(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "Missing required field Principal"
	}
	var star string
	if err := json.Unmarshal(raw, &star); err == nil {
		if star != "*" {
			return fmt.Sprintf("Invalid principal in policy: %q", star)
		}
		s.AnyPrincipal = true
		return ""
	}
	var m map[string]stringList
	if err := json.Unmarshal(raw, &m); err != nil {
		return "Syntax errors in policy."
	}
	s.Principal = map[string][]string{}
	for k, v := range m {
		s.Principal[k] = v
		if k == "AWS" {
			for _, x := range v {
				if x == "*" {
					s.AnyPrincipal = true
				}
			}
		}
	}
	s.Federated = s.Principal["Federated"]
	return ""
}

// Request is what a trust policy is evaluated against.
type Request struct {
	// Federated is the federated principal (the SAML provider ARN).
	Federated string
	// Action is e.g. "sts:AssumeRoleWithSAML".
	Action string
	// Context holds condition keys (SAML:aud, SAML:iss, …) and their values.
	// Key names are case-insensitive (IAM: "Condition key names are not case
	// sensitive"); values are compared as each operator says.
	Context map[string][]string
}

// Allows reports whether the policy allows req: some Allow statement matches
// and no Deny statement does (IAM policy evaluation logic). Unknown condition
// operators never hold, so an Allow that uses one fails closed.
func (p *Policy) Allows(req Request) bool {
	ctx := make(map[string][]string, len(req.Context))
	for k, v := range req.Context {
		lk := strings.ToLower(k)
		ctx[lk] = append(ctx[lk], v...)
	}
	allowed := false
	for _, s := range p.Statements {
		if !s.matches(req, ctx) {
			continue
		}
		if s.Effect == "Deny" {
			return false
		}
		allowed = true
	}
	return allowed
}

func (s Statement) matches(req Request, ctx map[string][]string) bool {
	if !s.AnyPrincipal && !contains(s.Principal["Federated"], req.Federated, false) {
		return false
	}
	if len(s.NotActions) > 0 {
		if actionMatch(s.NotActions, req.Action) {
			return false
		}
	} else if !actionMatch(s.Actions, req.Action) {
		return false
	}
	for _, c := range s.Conditions {
		if !c.Holds(ctx) {
			return false
		}
	}
	return true
}

// actionMatch matches IAM action patterns: case-insensitive, with '*' and '?'
// wildcards.
func actionMatch(patterns []string, action string) bool {
	for _, p := range patterns {
		if like(strings.ToLower(p), strings.ToLower(action)) {
			return true
		}
	}
	return false
}

// Holds evaluates one condition against ctx, whose keys must already be lower
// case (Allows does that). The rules are IAM's:
//   - a key missing from the request makes a plain operator false and a
//     negated one (…Not…) true; …IfExists makes it true; "Null" tests presence;
//   - ForAnyValue: holds if some request value satisfies the operator (false
//     when the key is missing); ForAllValues: holds if every request value
//     does (true when the key is missing or empty);
//   - without a set qualifier, a multi-valued key holds if any value does.
//
// String operators compare case-sensitively except …IgnoreCase; StringLike
// supports '*' and '?' anywhere, '/' included.
func (c Condition) Holds(ctx map[string][]string) bool {
	op := c.Operator
	set := ""
	if rest, ok := strings.CutPrefix(op, "ForAnyValue:"); ok {
		set, op = "any", rest
	} else if rest, ok := strings.CutPrefix(op, "ForAllValues:"); ok {
		set, op = "all", rest
	}
	op, ifExists := strings.CutSuffix(op, "IfExists")
	vals, present := ctx[strings.ToLower(c.Key)]
	present = present && len(vals) > 0
	if op == "Null" {
		for _, want := range c.Values {
			if (want == "true") == !present {
				return true
			}
		}
		return false
	}
	base, negated := positive(op)
	if base == "" {
		return false
	}
	if !present {
		switch {
		case set == "all":
			return true
		case set == "any":
			return false
		case ifExists:
			return true
		}
		return negated
	}
	test := func(v string) bool { return stringMatch(base, c.Values, v) != negated }
	if set == "all" {
		for _, v := range vals {
			if !test(v) {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if test(v) {
			return true
		}
	}
	return false
}

// positive maps a string operator to its positive form and whether it is
// negated; "" for operators this evaluator does not know.
func positive(op string) (string, bool) {
	switch op {
	case "StringEquals", "StringEqualsIgnoreCase", "StringLike":
		return op, false
	case "StringNotEquals":
		return "StringEquals", true
	case "StringNotEqualsIgnoreCase":
		return "StringEqualsIgnoreCase", true
	case "StringNotLike":
		return "StringLike", true
	}
	return "", false
}

func stringMatch(op string, patterns []string, v string) bool {
	switch op {
	case "StringEquals":
		return contains(patterns, v, false)
	case "StringEqualsIgnoreCase":
		return contains(patterns, v, true)
	case "StringLike":
		for _, p := range patterns {
			if like(p, v) {
				return true
			}
		}
	}
	return false
}

func contains(list []string, v string, fold bool) bool {
	for _, x := range list {
		if x == v || (fold && strings.EqualFold(x, v)) {
			return true
		}
	}
	return false
}

// like matches v against p with '*' (any run, '/' included) and '?' (one
// byte) in linear time (greedy two-pointer wildcard match), so hostile
// patterns cannot make evaluation slow.
func like(p, v string) bool {
	pi, vi, star, mark := 0, 0, -1, 0
	for vi < len(v) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == v[vi]):
			pi++
			vi++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, vi
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			vi = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// String renders the request for logs.
func (r Request) String() string { return fmt.Sprintf("%s %s", r.Federated, r.Action) }
