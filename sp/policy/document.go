package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Kind says what a document is used as; it decides which elements a
// statement must and must not have (IAM User Guide, "IAM JSON policy
// elements reference").
type Kind int

const (
	// KindIdentity is an identity-based policy (inline or managed, on a user,
	// group or role), and also a permissions boundary or a session policy:
	// no Principal, and Resource required.
	KindIdentity Kind = iota
	// KindResource is a resource-based policy (a bucket policy, a key
	// policy…): Principal required.
	KindResource
	// KindTrust is a role trust policy, a resource-based policy whose
	// resource is the role: Principal required, Resource prohibited.
	KindTrust
)

// Versions of the policy language ("IAM JSON policy elements: Version").
// Policy variables exist only in VersionCurrent.
const (
	VersionCurrent = "2012-10-17"
	VersionLegacy  = "2008-10-17"
)

// Effect is a statement's Effect.
type Effect string

const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Policy is a parsed policy document.
type Policy struct {
	// Name identifies the document in a Decision (a policy name or ARN); Parse
	// leaves it empty and callers set it.
	Name       string
	Kind       Kind
	Version    string // "" when the document has none
	ID         string
	Statements []Statement
}

// Statement is one statement of a policy.
type Statement struct {
	Sid    string
	Effect Effect
	// Principal and NotPrincipal are nil when the element is absent.
	Principal    *Principals
	NotPrincipal *Principals
	// Action/NotAction and Resource/NotResource: exactly one of each pair is
	// set where the element is present.
	Action, NotAction     []string
	Resource, NotResource []string
	Conditions            []Condition
}

// Principals is a Principal or NotPrincipal element.
type Principals struct {
	// Any is set for "*" and for {"AWS": "*"}, which the IAM User Guide
	// describes as equivalent.
	Any bool
	// Values maps a principal type ("AWS", "Federated", "Service",
	// "CanonicalUser") to its values. An AWS account given as a bare 12-digit
	// ID is kept as written; matching treats it as arn:aws:iam::ID:root.
	Values map[string][]string
}

// ParseError is a document IAM would refuse with MalformedPolicyDocument.
type ParseError struct {
	// Statement is the 1-based index of the offending statement, 0 for the
	// document itself.
	Statement int
	// Field is the element at fault: "Statement", "Effect", "Principal",
	// "Condition"…
	Field string
	// Message is IAM's MalformedPolicyDocument message (see messages.go).
	Message string
}

func (e *ParseError) Error() string {
	if e.Statement == 0 {
		return fmt.Sprintf("policy: %s: %s", e.Field, e.Message)
	}
	return fmt.Sprintf("policy: statement %d: %s: %s", e.Statement, e.Field, e.Message)
}

// Parse parses a policy document used as kind. Element names are matched
// exactly (IAM's are case-sensitive); an unknown element is a syntax error.
// Errors are *ParseError.
func Parse(doc string, kind Kind) (*Policy, error) {
	docErr := func(field, msg string) error { return &ParseError{Field: field, Message: msg} }
	var top map[string]json.RawMessage
	if err := strictUnmarshal([]byte(doc), &top); err != nil || top == nil {
		return nil, docErr("Policy", msgSyntax)
	}
	p := &Policy{Kind: kind}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		v := top[k]
		switch k {
		case "Version":
			if err := json.Unmarshal(v, &p.Version); err != nil {
				return nil, docErr("Version", msgSyntax)
			}
			if p.Version != VersionCurrent && p.Version != VersionLegacy {
				return nil, docErr("Version", msgVersion)
			}
		case "Id":
			if err := json.Unmarshal(v, &p.ID); err != nil {
				return nil, docErr("Id", msgSyntax)
			}
		case "Statement":
		default:
			return nil, docErr(elementName(k), msgSyntax) // unknown element (unverified wording)
		}
	}
	raw, ok := top["Statement"]
	if !ok || isNull(raw) {
		return nil, docErr("Statement", msgMissingStatement)
	}
	var stmts []map[string]json.RawMessage
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(t, &stmts); err != nil {
			return nil, docErr("Statement", msgSyntax)
		}
	} else {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(t, &one); err != nil || one == nil {
			return nil, docErr("Statement", msgSyntax)
		}
		stmts = []map[string]json.RawMessage{one}
	}
	sids := map[string]bool{}
	for i, rs := range stmts {
		s, err := parseStatement(rs, kind)
		if err != nil {
			err.Statement = i + 1
			return nil, err
		}
		if s.Sid != "" {
			if sids[s.Sid] {
				return nil, &ParseError{Statement: i + 1, Field: "Sid", Message: msgDuplicateID}
			}
			sids[s.Sid] = true
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

// strictUnmarshal decodes exactly one JSON value.
func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the policy document")
	}
	return nil
}

// elementName names an unknown element in a ParseError; an empty name is
// shown quoted so the error still says which element it is.
func elementName(k string) string {
	if k == "" {
		return `""`
	}
	return k
}

func isNull(b json.RawMessage) bool { return string(bytes.TrimSpace(b)) == "null" }

func parseStatement(rs map[string]json.RawMessage, kind Kind) (Statement, *ParseError) {
	fail := func(field, msg string) (Statement, *ParseError) {
		return Statement{}, &ParseError{Field: field, Message: msg}
	}
	var s Statement
	for _, k := range slices.Sorted(maps.Keys(rs)) {
		switch k {
		case "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
			"Resource", "NotResource", "Condition":
		default:
			return fail(elementName(k), msgSyntax) // unknown element (unverified wording)
		}
	}
	if v, ok := rs["Sid"]; ok {
		if err := json.Unmarshal(v, &s.Sid); err != nil {
			return fail("Sid", msgSyntax)
		}
		// IAM's own documents (identity-based and, unverified, trust
		// policies) take alphanumeric Sids only; other services' resource
		// policies accept more (S3 takes spaces and hyphens).
		if kind != KindResource && strings.Trim(s.Sid, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" {
			return fail("Sid", msgSidFormat)
		}
	}
	var effect string
	if v, ok := rs["Effect"]; !ok {
		return fail("Effect", msgMissingEffect)
	} else if err := json.Unmarshal(v, &effect); err != nil {
		return fail("Effect", msgSyntax)
	}
	if effect != string(Allow) && effect != string(Deny) {
		return fail("Effect", fmt.Sprintf(msgEffectFmt, effect))
	}
	s.Effect = Effect(effect)

	// Principal / NotPrincipal.
	_, hasP := rs["Principal"]
	_, hasNP := rs["NotPrincipal"]
	switch {
	case hasP && hasNP:
		return fail("Principal", fmt.Sprintf(msgBothFmt, "Principal", "NotPrincipal"))
	case kind == KindIdentity && (hasP || hasNP):
		field := "Principal"
		if hasNP {
			field = "NotPrincipal"
		}
		return fail(field, msgProhibitedPrincipal)
	case kind != KindIdentity && !hasP && !hasNP:
		return fail("Principal", msgMissingPrincipal)
	}
	for _, f := range []struct {
		name string
		dst  **Principals
	}{{"Principal", &s.Principal}, {"NotPrincipal", &s.NotPrincipal}} {
		if v, ok := rs[f.name]; ok {
			pr, msg := parsePrincipals(v)
			if msg != "" {
				return fail(f.name, msg)
			}
			*f.dst = pr
		}
	}

	// Action / NotAction.
	var err *ParseError
	if s.Action, s.NotAction, err = pair(rs, "Action", "NotAction"); err != nil {
		return Statement{}, err
	}
	if len(s.Action) == 0 && len(s.NotAction) == 0 {
		return fail("Action", msgNoActions)
	}
	for _, a := range append(append([]string{}, s.Action...), s.NotAction...) {
		if a != "*" && !validAction(a) {
			return fail("Action", msgVendor)
		}
	}

	// Resource / NotResource.
	if s.Resource, s.NotResource, err = pair(rs, "Resource", "NotResource"); err != nil {
		return Statement{}, err
	}
	hasRes := len(s.Resource) > 0 || len(s.NotResource) > 0
	switch {
	case kind == KindTrust && hasRes:
		field := "Resource"
		if len(s.NotResource) > 0 {
			field = "NotResource"
		}
		return fail(field, msgProhibitedResource)
	case kind == KindIdentity && !hasRes:
		return fail("Resource", msgNoResources)
	}
	for _, r := range append(append([]string{}, s.Resource...), s.NotResource...) {
		if r != "*" && !strings.HasPrefix(r, "arn:") {
			return fail("Resource", fmt.Sprintf(msgResourceFmt, r))
		}
	}

	if v, ok := rs["Condition"]; ok && !isNull(v) {
		conds, msg := parseConditions(v)
		if msg != "" {
			return fail("Condition", msg)
		}
		s.Conditions = conds
	}
	return s, nil
}

// pair reads an element and its Not form; at most one may be present.
func pair(rs map[string]json.RawMessage, name, notName string) (vals, notVals []string, _ *ParseError) {
	v, has := rs[name]
	nv, hasNot := rs[notName]
	if has && hasNot {
		return nil, nil, &ParseError{Field: name, Message: fmt.Sprintf(msgBothFmt, name, notName)}
	}
	var err error
	if has {
		if vals, err = stringOrList(v); err != nil {
			return nil, nil, &ParseError{Field: name, Message: msgSyntax}
		}
	}
	if hasNot {
		if notVals, err = stringOrList(nv); err != nil {
			return nil, nil, &ParseError{Field: notName, Message: msgSyntax}
		}
	}
	return vals, notVals, nil
}

// validAction accepts "service:Action" where the service prefix has no
// wildcard and is not empty (IAM: "Actions/Conditions must be prefaced by a
// vendor").
func validAction(a string) bool {
	svc, rest, ok := strings.Cut(a, ":")
	return ok && svc != "" && rest != "" && !strings.ContainsAny(svc, "*?") && !strings.Contains(rest, ":")
}

// stringOrList decodes a JSON string or a non-empty array of strings.
func stringOrList(b json.RawMessage) ([]string, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var out []string
		if err := json.Unmarshal(b, &out); err != nil {
			return nil, err
		}
		return out, nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// scalarOrList decodes condition values: strings, booleans and numbers, alone
// or in an array, each kept in its JSON spelling ("Null": {"k": true}).
func scalarOrList(b json.RawMessage) ([]string, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var raw []json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, err
		}
		out := make([]string, 0, len(raw))
		for _, r := range raw {
			v, err := scalar(r)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	v, err := scalar(b)
	if err != nil {
		return nil, err
	}
	return []string{v}, nil
}

func scalar(b json.RawMessage) (string, error) {
	b = bytes.TrimSpace(b)
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		return s, nil
	}
	var bl bool
	if err := json.Unmarshal(b, &bl); err == nil {
		return strconv.FormatBool(bl), nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		return n.String(), nil
	}
	return "", fmt.Errorf("condition value %.40s is not a string, boolean or number", b)
}

// principalTypes are the keys a Principal object may have.
var principalTypes = map[string]bool{"AWS": true, "Federated": true, "Service": true, "CanonicalUser": true}

// parsePrincipals reads a Principal or NotPrincipal element; msg is IAM's
// message for a bad one.
func parsePrincipals(raw json.RawMessage) (p *Principals, msg string) {
	var star string
	if err := json.Unmarshal(raw, &star); err == nil {
		if star != "*" {
			return nil, fmt.Sprintf(msgPrincipalFmt, "", star)
		}
		return &Principals{Any: true}, ""
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, msgSyntax
	}
	p = &Principals{Values: map[string][]string{}}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		vals, err := stringOrList(m[k])
		if err != nil {
			return nil, msgSyntax
		}
		if !principalTypes[k] {
			return nil, fmt.Sprintf(msgPrincipalFmt, k, strings.Join(vals, ","))
		}
		for _, x := range vals {
			if x == "" || (k == "AWS" && x != "*" && !validAWSPrincipal(x)) {
				return nil, fmt.Sprintf(msgPrincipalFmt, k, x)
			}
			if k == "AWS" && x == "*" {
				p.Any = true
			}
		}
		p.Values[k] = vals
	}
	return p, ""
}

// validAWSPrincipal accepts a 12-digit account ID or an IAM/STS ARN with a
// 12-digit account. AWS further checks that the named user or role exists;
// that is for the caller, who knows the store.
func validAWSPrincipal(s string) bool {
	if isAccountID(s) {
		return true
	}
	parts, ok := splitARN(s)
	return ok && parts[0] == "arn" && parts[1] != "" && (parts[2] == "iam" || parts[2] == "sts") &&
		parts[3] == "" && isAccountID(parts[4]) && parts[5] != "" && !strings.ContainsAny(s, "*?")
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
