package policy

import (
	"fmt"
	"strings"
)

// Principal is who makes a request, in every form a policy can name it.
type Principal struct {
	// ARN is the caller's own ARN: an IAM user
	// (arn:aws:iam::111122223333:user/alice), the account root user
	// (arn:aws:iam::111122223333:root), a role session
	// (arn:aws:sts::111122223333:assumed-role/Admin/alice) or a federated
	// user session (arn:aws:sts::111122223333:federated-user/bob). Empty for a
	// caller with no IAM identity: a web-identity or SAML user presenting a
	// token to AssumeRoleWith*, a service, an anonymous caller.
	ARN string
	// RoleARN is, for a role session, the role's ARN
	// (arn:aws:iam::111122223333:role/Admin).
	RoleARN string
	// UserARN is, for a federated user session, the ARN of the IAM user who
	// called GetFederationToken.
	UserARN string
	// Account is the caller's account; when empty it is read from ARN.
	Account string
	// Federated is the identity provider a web-identity or SAML caller
	// comes through: a SAML or OIDC provider ARN, or a well-known provider
	// such as "www.amazon.com" or "cognito-identity.amazonaws.com".
	Federated string
	// Service is a service principal ("ec2.amazonaws.com").
	Service       string
	CanonicalUser string
}

// account returns the caller's account ID, or "".
func (p Principal) account() string {
	if p.Account != "" {
		return p.Account
	}
	if parts, ok := splitARN(p.ARN); ok {
		return parts[4]
	}
	return ""
}

func (p Principal) isRoot() bool {
	parts, ok := splitARN(p.ARN)
	return ok && parts[2] == "iam" && parts[5] == "root"
}

// String names the principal as AccessDenied messages do.
func (p Principal) String() string {
	switch {
	case p.ARN != "":
		return p.ARN
	case p.Federated != "":
		return p.Federated
	case p.Service != "":
		return p.Service
	case p.CanonicalUser != "":
		return p.CanonicalUser
	}
	return "anonymous"
}

// Request is what is evaluated: who, what, on which resource, in which
// context.
type Request struct {
	Principal Principal
	// Action is "service:Action", e.g. "s3:GetObject"; matched
	// case-insensitively.
	Action string
	// Resource is the ARN the action is on; "" for actions that have no
	// resource (then only "Resource": "*" matches, and messages say no "on
	// resource").
	Resource string
	// Context holds the condition keys of the request and their values
	// (aws:username, aws:PrincipalTag/team, saml:sub, aws:SourceIp…). Key
	// names are case-insensitive ("Key names are case-insensitive"); a key
	// with several values is multivalued. Binary keys are given base64-
	// encoded.
	Context map[string][]string
}

// PolicyType names the kind of policy that decided.
type PolicyType int

const (
	Identity PolicyType = iota + 1
	Resource
	Trust
	Boundary
	Session
)

func (t PolicyType) String() string {
	switch t {
	case Identity:
		return "identity-based policy"
	case Resource:
		return "resource-based policy"
	case Trust:
		return "role trust policy"
	case Boundary:
		return "permissions boundary"
	case Session:
		return "session policy"
	}
	return "no policy"
}

// Match is the statement that decided.
type Match struct {
	Type   PolicyType
	Policy string // the Policy's Name
	Index  int    // 0-based statement index in the policy
	Sid    string
	Effect Effect
}

func (m *Match) String() string {
	if m == nil {
		return "no statement"
	}
	s := fmt.Sprintf("%s statement %d", m.Type, m.Index+1)
	if m.Policy != "" {
		s = fmt.Sprintf("%s %q statement %d", m.Type, m.Policy, m.Index+1)
	}
	if m.Sid != "" {
		s += fmt.Sprintf(" (Sid %q)", m.Sid)
	}
	if m.Effect == Deny {
		return s + " denies"
	}
	return s + " allows"
}

// evalContext is a request's condition context with lower-case keys.
type evalContext struct {
	ctx         map[string][]string
	vars        bool // the current policy reads policy variables
	hasBoundary bool
}

func newEvalContext(c map[string][]string) *evalContext {
	ec := &evalContext{ctx: make(map[string][]string, len(c))}
	for k, v := range c {
		lk := strings.ToLower(k)
		ec.ctx[lk] = append(ec.ctx[lk], v...)
	}
	return ec
}

func (ec *evalContext) values(key string) ([]string, bool) {
	v, ok := ec.ctx[strings.ToLower(key)]
	return v, ok
}

// single returns a key's value when it has exactly one: a multivalued key
// cannot be a policy variable ("Single-valued vs. multivalued context keys").
func (ec *evalContext) single(key string) (string, bool) {
	v, ok := ec.values(key)
	if !ok || len(v) != 1 {
		return "", false
	}
	return v[0], true
}

// grant says how a resource-based policy named the caller, strongest first.
// The IAM User Guide ("Policy evaluation logic", resource-based policies
// within one account) gives each its own weight.
type grant int

const (
	grantNone grant = iota
	// grantAccount: the caller's account (arn:aws:iam::ID:root or the bare
	// ID). Within the account this delegates to identity-based policies: they
	// must allow too, as for KMS key policies (unverified for other
	// services).
	grantAccount
	// grantAny: "*", or a NotPrincipal that does not exclude the caller.
	// Treated like grantParent (unverified).
	grantAny
	// grantParent: the role of a role session, or the IAM user of a federated
	// user session. Limited by an implicit deny in a permissions boundary or
	// session policy, not in identity-based policies.
	grantParent
	// grantDirect: the caller itself (IAM user ARN, role session ARN,
	// federated user ARN, a federated provider or service). Not limited by an
	// implicit deny in identity-based policies, boundaries or session
	// policies.
	grantDirect
)

// principalGrant matches a Principal element against the caller.
func principalGrant(pr *Principals, c Principal) grant {
	best := grantNone
	if pr.Any {
		best = grantAny
	}
	acct := c.account()
	for _, v := range pr.Values["AWS"] {
		g := grantNone
		switch {
		case v == "*":
			g = grantAny
		case c.ARN != "" && v == c.ARN && !c.isRoot():
			g = grantDirect
		case v != "" && (v == c.RoleARN || v == c.UserARN):
			g = grantParent
		case acct != "" && c.ARN != "" && isAccountPrincipal(v, acct):
			g = grantAccount
		}
		best = max(best, g)
	}
	if c.Federated != "" && contains(pr.Values["Federated"], c.Federated) {
		best = grantDirect
	}
	if c.Service != "" && contains(pr.Values["Service"], c.Service) {
		best = grantDirect
	}
	if c.CanonicalUser != "" && contains(pr.Values["CanonicalUser"], c.CanonicalUser) {
		best = grantDirect
	}
	return best
}

// isAccountPrincipal reports whether v names account acct: the bare ID or
// arn:PARTITION:iam::ID:root.
func isAccountPrincipal(v, acct string) bool {
	if v == acct {
		return true
	}
	parts, ok := splitARN(v)
	return ok && parts[2] == "iam" && parts[4] == acct && parts[5] == "root"
}

// notPrincipalApplies reports whether a NotPrincipal statement applies to
// the caller: when any of the caller's identities (itself, its role or IAM
// user, its account) is not listed. That is why AWS asks a NotPrincipal to
// list the account and the role along with the session ("AWS JSON policy
// elements: NotPrincipal"). A Deny with NotPrincipal always applies to a
// principal with a permissions boundary ("Permissions boundaries for IAM
// entities", Important box).
func notPrincipalApplies(pr *Principals, c Principal, effect Effect, hasBoundary bool) bool {
	if pr.Any {
		return false
	}
	if effect == Deny && hasBoundary && c.ARN != "" {
		return true
	}
	aws := pr.Values["AWS"]
	listed := func(v string) bool { return contains(aws, v) }
	var ids []bool
	if c.ARN != "" {
		if c.isRoot() {
			ids = append(ids, listedAccount(aws, c.account()))
		} else {
			ids = append(ids, listed(c.ARN), listedAccount(aws, c.account()))
		}
	}
	if c.RoleARN != "" {
		ids = append(ids, listed(c.RoleARN))
	}
	if c.UserARN != "" {
		ids = append(ids, listed(c.UserARN))
	}
	if c.Federated != "" {
		ids = append(ids, contains(pr.Values["Federated"], c.Federated))
	}
	if c.Service != "" {
		ids = append(ids, contains(pr.Values["Service"], c.Service))
	}
	if c.CanonicalUser != "" {
		ids = append(ids, contains(pr.Values["CanonicalUser"], c.CanonicalUser))
	}
	if len(ids) == 0 {
		return true // anonymous: never listed
	}
	for _, l := range ids {
		if !l {
			return true
		}
	}
	return false
}

func listedAccount(list []string, acct string) bool {
	for _, v := range list {
		if acct != "" && isAccountPrincipal(v, acct) {
			return true
		}
	}
	return false
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// applies reports whether the statement applies to the request, and for a
// statement with Principal or NotPrincipal how the caller was named.
func (s *Statement) applies(req *Request, ec *evalContext) (bool, grant) {
	g := grantDirect // identity-based statements name no principal
	switch {
	case s.Principal != nil:
		if g = principalGrant(s.Principal, req.Principal); g == grantNone {
			return false, grantNone
		}
	case s.NotPrincipal != nil:
		if !notPrincipalApplies(s.NotPrincipal, req.Principal, s.Effect, ec.hasBoundary) {
			return false, grantNone
		}
		g = grantAny
	}
	if !actionMatches(s, req.Action) || !s.resourceMatches(req.Resource, ec) {
		return false, grantNone
	}
	for i := range s.Conditions {
		if !s.Conditions[i].holds(ec) {
			return false, grantNone
		}
	}
	return true, g
}

// actionMatches: IAM action names are case-insensitive, with '*' and '?'
// wildcards ("IAM JSON policy elements: Action").
func actionMatches(s *Statement, action string) bool {
	list, negate := s.Action, false
	if len(s.NotAction) > 0 {
		list, negate = s.NotAction, true
	}
	for _, a := range list {
		if wildPattern(a).match(action, true) {
			return !negate
		}
	}
	return negate
}

// resourceMatches: ARNs are matched case-sensitively, segment by segment,
// with '*' and '?' ("IAM JSON policy elements: Resource"; that a wildcard
// does not cross a colon before the resource part is unverified for the
// Resource element). Policy variables are read only in the resource part,
// after the fifth colon ("Policy variables", Resource element). A statement
// without Resource/NotResource (a trust policy) applies to any resource.
func (s *Statement) resourceMatches(resource string, ec *evalContext) bool {
	list, negate := s.Resource, false
	if len(s.NotResource) > 0 {
		list, negate = s.NotResource, true
	}
	if len(list) == 0 {
		return true
	}
	for _, r := range list {
		if r == "*" {
			return !negate
		}
		if resource == "" {
			continue
		}
		p, ok := resourcePattern(r, ec)
		if ok && matchARN(p, resource) {
			return !negate
		}
	}
	return negate
}

func resourcePattern(r string, ec *evalContext) (pattern, bool) {
	parts, ok := splitARN(r)
	if !ok || !ec.vars {
		return wildPattern(r), true
	}
	head := r[:len(r)-len(parts[5])]
	tail, ok := expand(parts[5], true, ec.single)
	return append(wildPattern(head), tail...), ok
}

// scan evaluates one policy: the first statement that denies, and the
// statement that allows with the strongest grant.
func (p *Policy) scan(t PolicyType, req *Request, ec *evalContext) (deny, allow *Match, g grant) {
	if p == nil {
		return nil, nil, grantNone
	}
	ec.vars = p.Version == VersionCurrent
	for i := range p.Statements {
		s := &p.Statements[i]
		ok, sg := s.applies(req, ec)
		if !ok {
			continue
		}
		m := &Match{Type: t, Policy: p.Name, Index: i, Sid: s.Sid, Effect: s.Effect}
		if s.Effect == Deny {
			if deny == nil {
				deny = m
			}
			continue
		}
		if allow == nil || sg > g {
			allow, g = m, sg
		}
	}
	return deny, allow, g
}

// Result is the outcome of one policy evaluated alone.
type Result struct {
	// Allowed: some statement allows and none denies.
	Allowed bool
	// Denied: some statement denies explicitly.
	Denied bool
	// Statement is the deny that decided, else the allow, else nil.
	Statement *Match
}

// Check evaluates the policy alone against req: an explicit deny wins, then
// any allow (IAM's rule within one policy). This is what a trust policy
// check for AssumeRoleWithSAML or AssumeRoleWithWebIdentity needs.
func (p *Policy) Check(req Request) Result {
	t := Identity
	switch p.Kind {
	case KindResource:
		t = Resource
	case KindTrust:
		t = Trust
	}
	deny, allow, _ := p.scan(t, &req, newEvalContext(withPrincipalKeys(req.Context, req.Principal)))
	switch {
	case deny != nil:
		return Result{Denied: true, Statement: deny}
	case allow != nil:
		return Result{Allowed: true, Statement: allow}
	}
	return Result{}
}
