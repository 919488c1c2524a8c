package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/policy"
)

// SimulatePrincipalPolicy and SimulateCustomPolicy answer with the same
// engine that authorizes the mock's calls (sp/policy), in AWS's
// EvaluationResults shape. Where AWS lists every statement that matched,
// samlab lists, per policy, the statement that decided that policy alone.
// Positions of matched statements are 1-based lines and columns of the
// character after the statement's opening brace and after its closing brace:
// this reproduces both positions of the aws CLI's documented examples
// (simulate-custom-policy: 1:38 to 1:167 for its one-line policy).

// EvalDecision values.
const (
	EvalAllowed      = "allowed"
	EvalExplicitDeny = "explicitDeny"
	EvalImplicitDeny = "implicitDeny"
)

// SimulationInput is the input of Simulate.
type SimulationInput struct {
	// Policies are the identity-based policies simulated.
	Policies []SimulationPolicy
	// Boundary is the permissions boundary, nil when none.
	Boundary *SimulationPolicy
	// ResourcePolicy is a resource-based policy document, "" for none.
	ResourcePolicy string
	// Caller is the principal's ARN (the simulated user or role, or
	// CallerArn).
	Caller      string
	Actions     []string
	Resources   []string // default "*"
	Context     map[string][]string
	ResourceOwn string // the resource owner's account, for ResourcePolicy
}

// SimulationPolicy is one policy given to Simulate with the ID and type
// MatchedStatements report it under.
type SimulationPolicy struct {
	ID, Type, Document string
}

// Position is a line and column in a policy document, both 1-based.
type Position struct {
	Line   int `xml:"Line"`
	Column int `xml:"Column"`
}

// MatchedStatement is a statement that decided, as EvaluationResults show it.
type MatchedStatement struct {
	SourcePolicyID   string   `xml:"SourcePolicyId"`
	SourcePolicyType string   `xml:"SourcePolicyType,omitempty"`
	StartPosition    Position `xml:"StartPosition"`
	EndPosition      Position `xml:"EndPosition"`
}

// EvaluationResult is one action on one resource, simulated.
type EvaluationResult struct {
	EvalActionName       string
	EvalResourceName     string
	EvalDecision         string
	MatchedStatements    []MatchedStatement
	MissingContextValues []string
	// AllowedByBoundary is set when a boundary was simulated.
	AllowedByBoundary *bool
}

// Simulate evaluates every action on every resource.
func Simulate(in SimulationInput) ([]EvaluationResult, error) {
	var ids []*policy.Policy
	var named []SimulationPolicy
	for _, p := range in.Policies {
		pp, err := parseForSimulation(p, policy.KindIdentity)
		if err != nil {
			return nil, err
		}
		ids = append(ids, pp)
		named = append(named, p)
	}
	var boundary *policy.Policy
	if in.Boundary != nil {
		b, err := parseForSimulation(*in.Boundary, policy.KindIdentity)
		if err != nil {
			return nil, err
		}
		boundary = b
	}
	var resPolicy *policy.Policy
	if in.ResourcePolicy != "" {
		rp, err := parseForSimulation(SimulationPolicy{ID: "ResourcePolicy", Type: "resource", Document: in.ResourcePolicy}, policy.KindResource)
		if err != nil {
			return nil, err
		}
		resPolicy = rp
	}
	resources := in.Resources
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	var out []EvaluationResult
	for _, action := range in.Actions {
		for _, res := range resources {
			req := policy.Request{Principal: policy.Principal{ARN: in.Caller}, Action: action, Resource: res, Context: in.Context}
			d := policy.Evaluate(policy.Input{Request: req, Identity: ids, Boundary: boundary, Resource: resPolicy,
				ResourceAccount: in.ResourceOwn})
			r := EvaluationResult{EvalActionName: action, EvalResourceName: res, EvalDecision: EvalImplicitDeny}
			switch {
			case d.Allowed:
				r.EvalDecision = EvalAllowed
			case d.Explicit:
				r.EvalDecision = EvalExplicitDeny
			}
			for i, p := range ids {
				c := p.Check(req)
				if c.Statement != nil && ((r.EvalDecision == EvalAllowed && c.Allowed && !c.Denied) || (r.EvalDecision == EvalExplicitDeny && c.Denied)) {
					r.MatchedStatements = append(r.MatchedStatements, matched(named[i], c.Statement.Index))
				}
			}
			if boundary != nil {
				c := boundary.Check(req)
				ok := c.Allowed && !c.Denied
				r.AllowedByBoundary = &ok
			}
			all := append([]*policy.Policy{}, ids...)
			if boundary != nil {
				all = append(all, boundary)
			}
			r.MissingContextValues = missingKeys(all, req)
			out = append(out, r)
		}
	}
	return out, nil
}

func parseForSimulation(p SimulationPolicy, kind policy.Kind) (*policy.Policy, error) {
	// Parsed afresh: documents sent for simulation are not cached.
	pp, err := policy.Parse(p.Document, kind)
	if err != nil {
		var pe *policy.ParseError
		msg := err.Error()
		if errors.As(err, &pe) {
			msg = pe.Message
		}
		return nil, &awsapi.Error{Code: awsapi.CodeMalformedPolicy, Status: http.StatusBadRequest, Message: msg, Err: err}
	}
	pp.Name = p.ID
	return pp, nil
}

// matched locates statement index of p's document.
func matched(p SimulationPolicy, index int) MatchedStatement {
	m := MatchedStatement{SourcePolicyID: p.ID, SourcePolicyType: p.Type}
	spans := statementSpans(p.Document)
	if index >= 0 && index < len(spans) {
		m.StartPosition, m.EndPosition = position(p.Document, spans[index][0]), position(p.Document, spans[index][1])
	}
	return m
}

// statementSpans returns the byte offsets of each statement of a policy
// document: the bytes after its opening and after its closing brace.
func statementSpans(doc string) [][2]int {
	dec := json.NewDecoder(strings.NewReader(doc))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	// Positions count from just after the statement's opening brace, as
	// AWS's do (the CLI's documented examples).
	afterBrace := func(off int) int { return off + 1 }
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil
		}
		if key != "Statement" {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return nil
			}
			continue
		}
		if rest := strings.TrimLeft(doc[dec.InputOffset():], " \t\r\n:"); strings.HasPrefix(rest, "{") {
			start := afterBrace(len(doc) - len(rest))
			var one json.RawMessage
			if dec.Decode(&one) != nil {
				return nil
			}
			return [][2]int{{start, int(dec.InputOffset())}}
		}
		if _, err := dec.Token(); err != nil { // [
			return nil
		}
		var out [][2]int
		for dec.More() {
			rest := strings.TrimLeft(doc[dec.InputOffset():], " \t\r\n,")
			s := afterBrace(len(doc) - len(rest))
			var st json.RawMessage
			if dec.Decode(&st) != nil {
				return nil
			}
			out = append(out, [2]int{s, int(dec.InputOffset())})
		}
		return out
	}
	return nil
}

func position(doc string, off int) Position {
	line, col := 1, 1
	for i := 0; i < off && i < len(doc); i++ {
		if doc[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return Position{line, col}
}

// missingKeys returns the condition keys of the statements that apply to
// req's action and resource which req's context does not have.
func missingKeys(ps []*policy.Policy, req policy.Request) []string {
	have := map[string]bool{}
	for k := range req.Context {
		have[strings.ToLower(k)] = true
	}
	for k := range req.Principal.PrincipalKeys() {
		have[strings.ToLower(k)] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, p := range ps {
		for _, st := range p.Statements {
			if len(st.Conditions) == 0 {
				continue
			}
			bare := st
			bare.Conditions = nil
			c := (&policy.Policy{Name: p.Name, Kind: p.Kind, Version: p.Version, Statements: []policy.Statement{bare}}).Check(req)
			if !c.Allowed && !c.Denied {
				continue
			}
			for _, cond := range st.Conditions {
				k := strings.ToLower(cond.Key)
				if !have[k] && !seen[k] {
					seen[k] = true
					out = append(out, cond.Key)
				}
			}
		}
	}
	return out
}

// simulation request parameters common to both operations.
func simulationParams(r *awsapi.Request) (SimulationInput, error) {
	in := SimulationInput{Actions: r.List("ActionNames", ""), Resources: r.List("ResourceArns", ""),
		ResourcePolicy: r.Get("ResourcePolicy"), ResourceOwn: r.Get("ResourceOwner"), Context: map[string][]string{}}
	for i, doc := range r.List("PolicyInputList", "") {
		in.Policies = append(in.Policies, SimulationPolicy{ID: fmt.Sprintf("PolicyInputList.%d", i+1), Document: doc})
	}
	if bs := r.List("PermissionsBoundaryPolicyInputList", ""); len(bs) > 0 {
		if len(bs) > 1 {
			// A principal has one boundary; AWS's answer to several is
			// unverified.
			return in, awsapi.Errorf(awsapi.CodeInvalidInput, http.StatusBadRequest,
				"PermissionsBoundaryPolicyInputList may hold one policy only.")
		}
		in.Boundary = &SimulationPolicy{ID: "PermissionsBoundaryPolicyInputList.1", Document: bs[0]}
	}
	for n := 1; ; n++ {
		base := fmt.Sprintf("ContextEntries.member.%d.", n)
		name := r.Get(base + "ContextKeyName")
		if name == "" {
			break
		}
		in.Context[name] = append(in.Context[name], r.List(base+"ContextKeyValues", "")...)
	}
	in.Caller = r.Get("CallerArn")
	return in, nil
}

// simulationResult renders a page of results.
func simulationResult(r *awsapi.Request, results []EvaluationResult) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	type indexed struct {
		i int
		r EvaluationResult
	}
	items := make([]indexed, len(results))
	for i, res := range results {
		items[i] = indexed{i, res}
	}
	items, next, err := paginate(pg, items, func(x indexed) string { return fmt.Sprintf("%08d", x.i) })
	if err != nil {
		return nil, err
	}
	type boundaryDetail struct {
		Allowed bool `xml:"AllowedByPermissionsBoundary"`
	}
	type resultXML struct {
		EvalActionName    string `xml:"EvalActionName"`
		EvalResourceName  string `xml:"EvalResourceName"`
		EvalDecision      string `xml:"EvalDecision"`
		MatchedStatements struct {
			Members []MatchedStatement `xml:"member"`
		} `xml:"MatchedStatements"`
		MissingContextValues memberList      `xml:"MissingContextValues"`
		Boundary             *boundaryDetail `xml:"PermissionsBoundaryDecisionDetail,omitempty"`
	}
	var list struct {
		Members []resultXML `xml:"member"`
	}
	for _, it := range items {
		x := resultXML{EvalActionName: it.r.EvalActionName, EvalResourceName: it.r.EvalResourceName, EvalDecision: it.r.EvalDecision,
			MissingContextValues: memberList{it.r.MissingContextValues}}
		x.MatchedStatements.Members = it.r.MatchedStatements
		if it.r.AllowedByBoundary != nil {
			x.Boundary = &boundaryDetail{*it.r.AllowedByBoundary}
		}
		list.Members = append(list.Members, x)
	}
	return struct {
		EvaluationResults any `xml:"EvaluationResults"`
		paged
	}{list, pagedOf(next)}, nil
}

func (a *Account) handleSimulateCustomPolicy(_ context.Context, r *awsapi.Request) (any, error) {
	in, err := simulationParams(r)
	if err != nil {
		return nil, err
	}
	if in.Caller == "" {
		in.Caller = a.simulatedCaller(r.Caller)
	}
	results, err := Simulate(in)
	if err != nil {
		return nil, err
	}
	return simulationResult(r, results)
}

// simulatedCaller is the principal SimulateCustomPolicy simulates when the
// request names no CallerArn: the calling user or role session, but never the
// root user, whom no policy restricts (AWS's default is unverified).
func (a *Account) simulatedCaller(c awsapi.Caller) string {
	if (c.Type == "IAMUser" || c.Type == "AssumedRole") && c.ARN != "" {
		return c.ARN
	}
	return fmt.Sprintf("arn:%s:iam::%s:user/simulated-caller", a.partition, a.id)
}

// SimulationPolicies returns the policies of the user, group or role with the
// given ARN, as SimulatePrincipalPolicy simulates them: a user's own and its
// groups', and its boundary.
func (a *Account) SimulationPolicies(sourceARN string) ([]SimulationPolicy, *SimulationPolicy, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	prefix := fmt.Sprintf("arn:%s:iam::%s:", a.partition, a.id)
	rest, ok := strings.CutPrefix(sourceARN, prefix)
	kind, _, _ := strings.Cut(rest, "/")
	name := rest[strings.LastIndexByte(rest, '/')+1:]
	var pp principalPolicies
	switch {
	case ok && kind == "user":
		u, found := a.ids.users[name]
		if !found || u.ARN != sourceARN {
			return nil, nil, noSuchUser(name)
		}
		pp = a.userPoliciesLocked(u)
	case ok && kind == "group":
		g, found := a.ids.groups[name]
		if !found || g.ARN != sourceARN {
			return nil, nil, noSuchGroup(name)
		}
		a.policiesLocked(g.Policies, "group", &pp.identity)
	case ok && kind == "role":
		role, found := a.roles[name]
		if !found || role.ARN != sourceARN {
			return nil, nil, noSuchRole(name)
		}
		pp = a.rolePoliciesLocked(role, sourceARN)
	default:
		// Wording unverified.
		return nil, nil, awsapi.Errorf(awsapi.CodeInvalidInput, http.StatusBadRequest,
			"PolicySourceArn %s is not the ARN of a user, group or role of this account.", sourceARN)
	}
	var out []SimulationPolicy
	for _, np := range pp.identity {
		out = append(out, SimulationPolicy{ID: np.id, Type: np.typ, Document: np.doc})
	}
	var b *SimulationPolicy
	if pp.boundary != nil {
		b = &SimulationPolicy{ID: pp.boundary.id, Type: pp.boundary.typ, Document: pp.boundary.doc}
	}
	return out, b, nil
}

func (a *Account) handleSimulatePrincipalPolicy(_ context.Context, r *awsapi.Request) (any, error) {
	source := r.Get("PolicySourceArn")
	r.Note("policySourceArn", source)
	in, err := simulationParams(r)
	if err != nil {
		return nil, err
	}
	own, boundary, err := a.SimulationPolicies(source)
	if err != nil {
		return nil, err
	}
	in.Policies = append(own, in.Policies...)
	if in.Boundary == nil {
		in.Boundary = boundary
	}
	if in.Caller == "" {
		in.Caller = source
	}
	results, err := Simulate(in)
	if err != nil {
		return nil, err
	}
	return simulationResult(r, results)
}
