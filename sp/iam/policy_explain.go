package iam

import "strings"

// Evaluation is the statement-by-statement reading of a trust policy for one
// request: why Allows answered as it did.
type Evaluation struct {
	// Allowed is Allows' answer.
	Allowed bool
	// Statements holds one entry per statement, in policy order.
	Statements []StatementEvaluation
}

// StatementEvaluation says whether one statement applies to a request and,
// when it does not, what stopped it.
type StatementEvaluation struct {
	Index  int // 0-based position in the policy
	Sid    string
	Effect string
	// PrincipalMatches and ActionMatches report the first two tests.
	PrincipalMatches, ActionMatches bool
	// Conditions holds every condition with its result, in policy order.
	Conditions []ConditionEvaluation
	// Matches is true when the principal, action and every condition hold.
	Matches bool
}

// ConditionEvaluation is one condition and the request's values for its key.
type ConditionEvaluation struct {
	Condition
	// RequestValues are the request's values for Key (nil when absent).
	RequestValues []string
	Holds         bool
}

// Evaluate evaluates the policy for req exactly as Allows does and returns
// the details. It is safe for concurrent use.
func (p *Policy) Evaluate(req Request) Evaluation {
	ctx := make(map[string][]string, len(req.Context))
	for k, v := range req.Context {
		lk := strings.ToLower(k)
		ctx[lk] = append(ctx[lk], v...)
	}
	ev := Evaluation{Allowed: p.Allows(req)}
	for i, s := range p.Statements {
		se := StatementEvaluation{Index: i, Sid: s.Sid, Effect: s.Effect,
			PrincipalMatches: s.AnyPrincipal || contains(s.Principal["Federated"], req.Federated, false)}
		if len(s.NotActions) > 0 {
			se.ActionMatches = !actionMatch(s.NotActions, req.Action)
		} else {
			se.ActionMatches = actionMatch(s.Actions, req.Action)
		}
		all := true
		for _, c := range s.Conditions {
			h := c.Holds(ctx)
			all = all && h
			se.Conditions = append(se.Conditions, ConditionEvaluation{Condition: c, RequestValues: ctx[strings.ToLower(c.Key)], Holds: h})
		}
		se.Matches = se.PrincipalMatches && se.ActionMatches && all && s.matches(req, ctx)
		ev.Statements = append(ev.Statements, se)
	}
	return ev
}
