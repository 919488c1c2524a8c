package policy

import (
	"fmt"
	"strings"
)

// Input is everything one authorization decision needs. Service control
// policies and resource control policies are out of scope: a samlab account
// is not in an organization.
type Input struct {
	Request Request
	// Identity holds the identity-based policies of the caller's IAM entity:
	// the user's inline and attached policies and those of its groups, or
	// the role's. Empty for a caller without an IAM identity.
	Identity []*Policy
	// Boundary is the entity's permissions boundary, nil when none is set.
	Boundary *Policy
	// Session holds the session policies of a role or federated user
	// session (the Policy and PolicyArns of AssumeRole* or
	// GetFederationToken); they allow together. Nil when none was passed.
	// A federated user session without any passes an empty, statement-less
	// policy, since such a session has no permissions of its own.
	Session []*Policy
	// Resource is the resource's resource-based policy, or the role's trust
	// policy for sts:AssumeRole*, nil when the resource has none.
	Resource *Policy
	// ResourceAccount owns the resource; when empty it is read from
	// Request.Resource, and when that has no account (S3 ARNs) the resource
	// is taken to be in the caller's account.
	ResourceAccount string
}

// Decision is the outcome of Evaluate.
type Decision struct {
	Allowed bool
	// Explicit is set when a Deny statement decided.
	Explicit bool
	// Type is the policy type that decided: the one whose Deny applied, whose
	// missing Allow denied, or whose Allow granted (zero for the account root
	// user, who needs no policy).
	Type PolicyType
	// Statement is the deciding statement: the Deny, or the Allow that
	// granted; nil for an implicit deny.
	Statement    *Match
	CrossAccount bool
	// Trace explains the decision step by step, for explain output.
	Trace []string

	principal, action, resource string
}

// Message is AWS's AccessDenied message for a refused request ("" when the
// request is allowed); see messages.go for its sources.
func (d Decision) Message() string {
	if d.Allowed {
		return ""
	}
	return deniedMessage(d.principal, d.action, d.resource, d.Explicit, d.Type)
}

func (d Decision) String() string {
	switch {
	case d.Allowed && d.Statement != nil:
		return "allowed: " + d.Statement.String()
	case d.Allowed:
		return "allowed"
	case d.Explicit:
		return "explicitly denied: " + d.Statement.String()
	}
	return "implicitly denied: no " + d.Type.String() + " allows " + d.action
}

// Evaluate decides a request as the IAM User Guide's "Policy evaluation
// logic" describes, for one account and across accounts:
//
//  1. An explicit Deny in any applicable policy (identity-based, resource-
//     based, permissions boundary, session) refuses the request.
//  2. The account root user is allowed everything else in its own account.
//  3. Within one account, an Allow in the resource-based policy that names
//     the caller itself (IAM user, role session, federated user session,
//     federated provider, service) allows alone. One that names the role of a
//     session, the IAM user of a federated user, or "*" still needs the
//     boundary and session policies to allow; one that names the account
//     delegates to identity-based policies.
//  4. Otherwise identity-based policies must allow, then the permissions
//     boundary (if any), then the session policies (if any).
//  5. A role trust policy must allow on its own terms: identity-based
//     policies alone cannot let anyone assume a role.
//  6. Across accounts both sides must allow: the caller's account (identity,
//     boundary, session) and the resource-based policy.
func Evaluate(in Input) Decision {
	req := in.Request
	d := Decision{principal: req.Principal.String(), action: req.Action, resource: req.Resource}
	ec := newEvalContext(withPrincipalKeys(req.Context, req.Principal))
	ec.hasBoundary = in.Boundary != nil
	resType := Resource
	if in.Resource != nil && in.Resource.Kind == KindTrust {
		resType = Trust
	}
	type scanned struct {
		deny, allow *Match
		g           grant
	}
	scanAll := func(t PolicyType, ps []*Policy) scanned {
		var s scanned
		for _, p := range ps {
			deny, allow, g := p.scan(t, &req, ec)
			if s.deny == nil {
				s.deny = deny
			}
			if allow != nil && (s.allow == nil || g > s.g) {
				s.allow, s.g = allow, g
			}
		}
		return s
	}
	id := scanAll(Identity, in.Identity)
	var bnd, res scanned
	if in.Boundary != nil {
		bnd = scanAll(Boundary, []*Policy{in.Boundary})
	}
	ses := scanAll(Session, in.Session)
	if in.Resource != nil {
		res = scanAll(resType, []*Policy{in.Resource})
	}

	// The trace starts with what each policy type says on its own.
	summary := func(t PolicyType, present bool, n int, s scanned) {
		switch {
		case !present:
			d.trace("%s: none", t)
		case s.deny != nil:
			d.trace("%s", s.deny)
		case s.allow != nil:
			d.trace("%s", s.allow)
		default:
			d.trace("%s: no statement of %d applies", t, n)
		}
	}
	summary(Identity, len(in.Identity) > 0, statements(in.Identity), id)
	summary(resType, in.Resource != nil, statements([]*Policy{in.Resource}), res)
	summary(Boundary, in.Boundary != nil, statements([]*Policy{in.Boundary}), bnd)
	summary(Session, len(in.Session) > 0, statements(in.Session), ses)

	// 1. Explicit deny. When several policy types deny, AWS names one; the
	// order here is unverified.
	for _, s := range []struct {
		t PolicyType
		m *Match
	}{{Identity, id.deny}, {resType, res.deny}, {Boundary, bnd.deny}, {Session, ses.deny}} {
		if s.m != nil {
			d.Explicit, d.Type, d.Statement = true, s.t, s.m
			d.trace("explicit deny: %s", s.m)
			return d
		}
	}
	d.trace("no explicit deny")

	callerAcct := req.Principal.account()
	resAcct := in.ResourceAccount
	if resAcct == "" {
		if parts, ok := splitARN(req.Resource); ok {
			resAcct = parts[4]
		}
	}
	d.CrossAccount = callerAcct != "" && resAcct != "" && callerAcct != resAcct
	boundaryOK := in.Boundary == nil || bnd.allow != nil
	sessionOK := len(in.Session) == 0 || ses.allow != nil
	deny := func(t PolicyType, why string) Decision {
		d.Type = t
		d.trace("implicit deny: %s", why)
		return d
	}
	allow := func(t PolicyType, m *Match, why string) Decision {
		d.Allowed, d.Type, d.Statement = true, t, m
		d.trace("allowed: %s", why)
		return d
	}
	// callerSide is the caller's own account's verdict: identity-based
	// policies, then the boundary, then session policies.
	callerSide := func() (bool, PolicyType, string) {
		switch {
		case req.Principal.isRoot():
			return true, Identity, "the account root user needs no policy in its own account"
		case id.allow == nil:
			return false, Identity, "no identity-based policy allows " + req.Action
		case !boundaryOK:
			return false, Boundary, "the permissions boundary does not allow " + req.Action
		case !sessionOK:
			return false, Session, "no session policy allows " + req.Action
		}
		return true, Identity, id.allow.String()
	}

	// 2. The root user.
	if req.Principal.isRoot() && !d.CrossAccount && resType != Trust {
		return allow(0, nil, "the account root user needs no policy in its own account")
	}

	// Callers without an IAM identity (web identity, SAML, services,
	// anonymous) have only the resource-based policy.
	if req.Principal.ARN == "" {
		if res.allow != nil {
			return allow(resType, res.allow, res.allow.String())
		}
		if in.Resource == nil {
			return deny(Identity, "the caller has no IAM identity and the resource no resource-based policy")
		}
		return deny(resType, "no statement of the "+resType.String()+" allows the caller")
	}

	// 6. Across accounts.
	if d.CrossAccount {
		if ok, t, why := callerSide(); !ok {
			return deny(t, why+" (caller's account)")
		}
		if res.allow == nil {
			return deny(resType, "cross-account request: no "+resType.String()+" in account "+resAcct+" allows the caller")
		}
		_, _, why := callerSide()
		return allow(resType, res.allow, "both accounts allow: "+why+"; "+res.allow.String())
	}

	// 3–5. Within one account.
	if res.allow != nil && res.g == grantDirect {
		return allow(resType, res.allow, res.allow.String()+", naming the caller itself")
	}
	if resType == Trust && res.allow == nil {
		return deny(Trust, "the role trust policy does not allow the caller")
	}
	viaResource := res.allow != nil && res.g > grantAccount
	switch {
	case id.allow == nil && !viaResource:
		if res.allow != nil {
			return deny(Identity, "the "+resType.String()+" names the caller's account, which delegates to identity-based policies, and none allows "+req.Action)
		}
		return deny(Identity, "no identity-based policy allows "+req.Action)
	case !boundaryOK:
		return deny(Boundary, "the permissions boundary does not allow "+req.Action)
	case !sessionOK:
		return deny(Session, "no session policy allows "+req.Action)
	}
	if id.allow != nil {
		return allow(Identity, id.allow, id.allow.String())
	}
	return allow(resType, res.allow, res.allow.String())
}

func statements(ps []*Policy) int {
	n := 0
	for _, p := range ps {
		if p != nil {
			n += len(p.Statements)
		}
	}
	return n
}

func (d *Decision) trace(format string, args ...any) {
	d.Trace = append(d.Trace, strings.TrimSpace(fmt.Sprintf(format, args...)))
}
