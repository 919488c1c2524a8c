package policy

import (
	"strings"
	"testing"
)

// TestDecisionString pins the one-line summaries callers log: the deciding
// statement of an allow or an explicit deny, and for an implicit deny the
// policy type that did not allow.
func TestDecisionString(t *testing.T) {
	t.Parallel()
	allowGet := `{"Sid":"AllowGet","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`
	denyGet := `{"Sid":"DenyGet","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}`
	get := func(p Principal) Request { return Request{Principal: p, Action: "s3:GetObject", Resource: bucketK} }
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"allowed by a statement", Input{Request: get(alice), Identity: []*Policy{idp(t, "p", allowGet)}}, "allowed: "},
		{"allowed without a statement (the root user)", Input{Request: get(root)}, "allowed"},
		{"explicitly denied", Input{Request: get(alice), Identity: []*Policy{idp(t, "p", allowGet+","+denyGet)}}, "explicitly denied: "},
		{"implicitly denied", Input{Request: get(alice)}, "implicitly denied: no identity-based policy allows s3:GetObject"},
	}
	for _, tt := range tests {
		d := Evaluate(tt.in)
		got := d.String()
		switch {
		case tt.want == "allowed":
			if got != "allowed" || !d.Allowed || d.Statement != nil {
				t.Errorf("%s: String() = %q (statement %v), want %q", tt.name, got, d.Statement, tt.want)
			}
		case strings.HasSuffix(tt.want, ": "):
			if d.Statement == nil || got != tt.want+d.Statement.String() {
				t.Errorf("%s: String() = %q, want %q and the statement", tt.name, got, tt.want)
			}
		default:
			if got != tt.want {
				t.Errorf("%s: String() = %q, want %q", tt.name, got, tt.want)
			}
		}
		if d.Allowed != strings.HasPrefix(tt.want, "allowed") {
			t.Errorf("%s: Allowed = %v", tt.name, d.Allowed)
		}
	}
}

// TestCrossAccountSessionPolicy: across accounts the caller's own side must
// allow too, and a session policy that does not allow refuses it even when
// the resource policy and the identity policy do.
func TestCrossAccountSessionPolicy(t *testing.T) {
	t.Parallel()
	const res = "arn:aws:s3:::other-bucket/key"
	in := func(sessionDoc string) Input {
		return Input{
			Request:         Request{Principal: session, Action: "s3:GetObject", Resource: res},
			ResourceAccount: acctB,
			Resource:        resp(t, `{"Effect":"Allow","Principal":{"AWS":"`+devRole+`"},"Action":"s3:GetObject","Resource":"`+res+`"}`),
			Identity:        []*Policy{idp(t, "p", `{"Effect":"Allow","Action":"s3:*","Resource":"*"}`)},
			Session:         []*Policy{idp(t, "s", sessionDoc)},
		}
	}
	d := Evaluate(in(`{"Effect":"Allow","Action":"ec2:*","Resource":"*"}`))
	if d.Allowed || d.Type != Session || !d.CrossAccount || !strings.Contains(strings.Join(d.Trace, "\n"), "no session policy allows s3:GetObject") {
		t.Errorf("cross-account with a session policy for ec2 = %+v, want denied by the session policy", d)
	}
	if d := Evaluate(in(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`)); !d.Allowed {
		t.Errorf("cross-account with a session policy for s3 = %+v, want allowed", d)
	}
}

// TestIPv4MappedPrefix pins that a CIDR written as an IPv4-mapped IPv6
// prefix (::ffff:a.b.c.d/n, n ≥ 96) matches the IPv4 addresses it maps, as
// IAM reads it, and only those.
func TestIPv4MappedPrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cidr, ip string
		want     bool
	}{
		{"::ffff:10.0.0.0/104", "10.1.2.3", true},
		{"::ffff:10.0.0.0/104", "11.0.0.1", false},
		{"::ffff:10.1.2.3/128", "10.1.2.3", true},
		{"::ffff:10.1.2.3/128", "10.1.2.4", false},
		{"::ffff:0.0.0.0/96", "192.0.2.1", true},
		{"10.0.0.0/8", "::ffff:10.9.9.9", true},
	}
	for _, tt := range tests {
		p := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*",
			"Condition":{"IpAddress":{"aws:SourceIp":"`+tt.cidr+`"}}}}`, KindIdentity)
		got := p.Check(Request{Action: "s3:GetObject", Resource: bucketK, Context: map[string][]string{"aws:SourceIp": {tt.ip}}}).Allowed
		if got != tt.want {
			t.Errorf("IpAddress %s for %s: allowed = %v, want %v", tt.cidr, tt.ip, got, tt.want)
		}
	}
}

// TestInvalidVariablesAreLiteral pins that a ${...} whose body is no valid
// key or default stays literal text (its wildcards still wildcards), and
// never takes a value from the context.
func TestInvalidVariablesAreLiteral(t *testing.T) {
	t.Parallel()
	c := map[string][]string{"aws:username": {"alice"}, "a b": {"alice"}}
	tests := []struct {
		resource, req string
		want          bool
	}{
		{"arn:aws:s3:::bucket/${a b}", "arn:aws:s3:::bucket/${a b}", true},
		{"arn:aws:s3:::bucket/${a b}", "arn:aws:s3:::bucket/alice", false},
		{"arn:aws:s3:::bucket/${a'b}", "arn:aws:s3:::bucket/${a'b}", true},
		{"arn:aws:s3:::bucket/${, 'x'}", "arn:aws:s3:::bucket/${, 'x'}", true},
		{"arn:aws:s3:::bucket/${, 'x'}", "arn:aws:s3:::bucket/x", false},
		{"arn:aws:s3:::bucket/${aws:userid, 'x}", "arn:aws:s3:::bucket/${aws:userid, 'x}", true},
		{"arn:aws:s3:::bucket/${aws:userid, x'}", "arn:aws:s3:::bucket/x", false},
		{"arn:aws:s3:::bucket/${aws:userid, '}", "arn:aws:s3:::bucket/${aws:userid, '}", true},
		{"arn:aws:s3:::bucket/${aws:userid, 'a'b'}", "arn:aws:s3:::bucket/${aws:userid, 'a'b'}", true},
		{"arn:aws:s3:::bucket/${aws:userid, 'a'b'}", "arn:aws:s3:::bucket/a'b", false},
		{"arn:aws:s3:::bucket/${aws:userid, 'a''b'}", "arn:aws:s3:::bucket/a'b", true},
		{"arn:aws:s3:::bucket/${aws:userid, 'a'''}", "arn:aws:s3:::bucket/a'", true},
		{"arn:aws:s3:::bucket/${aws:userid, x}", "arn:aws:s3:::bucket/${aws:userid, x}", true},
		{"arn:aws:s3:::bucket/${aws:userid, x}", "arn:aws:s3:::bucket/x", false},
		{"arn:aws:s3:::bucket/${aws:userid, 'a' 'b'}", "arn:aws:s3:::bucket/${aws:userid, 'a' 'b'}", true},
		{"arn:aws:s3:::bucket/${aws:userid, 'a' 'b'}", "arn:aws:s3:::bucket/a 'b", false},
		{"arn:aws:s3:::bucket/${x y*}", "arn:aws:s3:::bucket/${x yz}", true},
		{"arn:aws:s3:::bucket/${x y?}", "arn:aws:s3:::bucket/${x yzz}", false},
	}
	for _, tt := range tests {
		p := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"`+tt.resource+`"}}`, KindIdentity)
		if got := p.Check(Request{Action: "s3:GetObject", Resource: tt.req, Context: c}).Allowed; got != tt.want {
			t.Errorf("Resource %s, request %s: allowed = %v, want %v", tt.resource, tt.req, got, tt.want)
		}
	}
}

// TestPrincipalKeysOfOtherARNs: only users, the root user, federated users
// and role sessions get aws:PrincipalType; another IAM or STS resource as
// a principal gets its account alone.
func TestPrincipalKeysOfOtherARNs(t *testing.T) {
	t.Parallel()
	for _, arn := range []string{
		"arn:aws:iam::111122223333:role/Dev",
		"arn:aws:iam::111122223333:group/user/x",
		"arn:aws:sts::111122223333:other/assumed-role/x",
		"arn:aws:sts::111122223333:user/x",
	} {
		got := Principal{ARN: arn}.PrincipalKeys()
		if len(got) != 1 || len(got["aws:PrincipalAccount"]) != 1 || got["aws:PrincipalAccount"][0] != acctA {
			t.Errorf("PrincipalKeys(%s) = %v, want aws:PrincipalAccount only", arn, got)
		}
	}
}

// TestZeroPolicyType: the zero PolicyType is no policy, so a Decision no
// policy decided never names one.
func TestZeroPolicyType(t *testing.T) {
	t.Parallel()
	var d Decision
	if got := d.Type.String(); got != "no policy" {
		t.Errorf("zero PolicyType = %q, want \"no policy\"", got)
	}
	for _, pt := range []PolicyType{Identity, Resource, Trust, Boundary, Session} {
		if pt == 0 || pt.String() == "no policy" {
			t.Errorf("PolicyType %d (%s) is the zero value or unnamed", pt, pt)
		}
	}
}
