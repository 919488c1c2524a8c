package iam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"strings"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Policy is a parsed trust (assume-role) policy. Only what AssumeRoleWithSAML
// needs is modelled: Effect, Principal.Federated, Action and Condition.
type Policy struct {
	Version    string
	Statements []Statement
}

// Statement is one policy statement.
type Statement struct {
	Sid        string
	Effect     string // "Allow" or "Deny"
	Federated  []string
	Actions    []string
	Conditions []Condition
}

// Condition is one operator/key/values test of a statement's Condition block.
type Condition struct {
	Operator string // e.g. StringEquals, StringLike
	Key      string // e.g. SAML:aud
	Values   []string
}

// stringList decodes a JSON string or array of strings.
type stringList []string

func (s *stringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var v []string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = v
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = []string{v}
	return nil
}

type rawStatement struct {
	Sid       string                           `json:"Sid"`
	Effect    string                           `json:"Effect"`
	Principal map[string]stringList            `json:"Principal"`
	Action    stringList                       `json:"Action"`
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
		if len(rs.Action) == 0 {
			return nil, malformed("Missing required field Action")
		}
		s := Statement{Sid: rs.Sid, Effect: rs.Effect, Federated: rs.Principal["Federated"], Actions: rs.Action}
		for op, keys := range rs.Condition {
			for k, vals := range keys {
				s.Conditions = append(s.Conditions, Condition{Operator: op, Key: k, Values: vals})
			}
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

// Request is what a trust policy is evaluated against.
type Request struct {
	// Federated is the federated principal (the SAML provider ARN).
	Federated string
	// Action is e.g. "sts:AssumeRoleWithSAML".
	Action string
	// Context holds condition keys (SAML:aud, SAML:iss, …) and their values.
	Context map[string][]string
}

// Allows reports whether the policy allows req: some Allow statement matches
// and no Deny statement does (IAM policy evaluation logic). Unknown condition
// operators never match, so they fail closed.
func (p *Policy) Allows(req Request) bool {
	allowed := false
	for _, s := range p.Statements {
		if !s.matches(req) {
			continue
		}
		if s.Effect == "Deny" {
			return false
		}
		allowed = true
	}
	return allowed
}

func (s Statement) matches(req Request) bool {
	if !anyMatch(s.Federated, req.Federated, false) || !anyMatch(s.Actions, req.Action, true) {
		return false
	}
	for _, c := range s.Conditions {
		if !c.holds(req.Context) {
			return false
		}
	}
	return true
}

func anyMatch(patterns []string, v string, caseInsensitive bool) bool {
	for _, p := range patterns {
		if p == "*" {
			return true
		}
		if caseInsensitive {
			p, v = strings.ToLower(p), strings.ToLower(v)
		}
		if ok, _ := path.Match(p, v); ok {
			return true
		}
	}
	return false
}

// holds evaluates one condition. For a multi-valued key, a plain operator holds
// if any request value satisfies it (IAM evaluates single-valued SAML keys).
func (c Condition) holds(ctx map[string][]string) bool {
	op := strings.TrimSuffix(c.Operator, "IfExists")
	ifExists := op != c.Operator
	vals, present := ctx[c.Key]
	if !present {
		if ifExists {
			return true
		}
		// Negated operators match a missing key (IAM: "…NotEquals" with no key
		// in the context evaluates to true).
		return strings.Contains(op, "Not")
	}
	test := func(v string) bool {
		switch op {
		case "StringEquals":
			return contains(c.Values, v, false)
		case "StringNotEquals":
			return !contains(c.Values, v, false)
		case "StringEqualsIgnoreCase":
			return contains(c.Values, v, true)
		case "StringNotEqualsIgnoreCase":
			return !contains(c.Values, v, true)
		case "StringLike":
			return likeAny(c.Values, v)
		case "StringNotLike":
			return !likeAny(c.Values, v)
		}
		return false
	}
	for _, v := range vals {
		if test(v) {
			return true
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

// likeAny implements StringLike's '*' and '?' wildcards, which unlike
// path.Match also cross '/'.
func likeAny(patterns []string, v string) bool {
	for _, p := range patterns {
		if like(p, v) {
			return true
		}
	}
	return false
}

// like matches v against p in linear time (greedy two-pointer wildcard match),
// so hostile patterns cannot make evaluation slow.
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
