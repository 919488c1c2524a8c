package policy

import (
	"strings"
	"testing"
)

const (
	acctA    = "111122223333"
	acctB    = "444455556666"
	aliceARN = "arn:aws:iam::111122223333:user/alice"
	bucketK  = "arn:aws:s3:::bucket/key"
	devRole  = "arn:aws:iam::111122223333:role/Dev"
	devSess  = "arn:aws:sts::111122223333:assumed-role/Dev/alice-session"
	fedUser  = "arn:aws:sts::111122223333:federated-user/bob"
	broker   = "arn:aws:iam::111122223333:user/broker"
	samlProv = "arn:aws:iam::111122223333:saml-provider/samlab"
	carolB   = "arn:aws:iam::444455556666:user/carol"
)

var (
	alice   = Principal{ARN: aliceARN}
	session = Principal{ARN: devSess, RoleARN: devRole}
	fed     = Principal{ARN: fedUser, UserARN: broker}
	root    = Principal{ARN: "arn:aws:iam::111122223333:root"}
	carol   = Principal{ARN: carolB}
	samlFed = Principal{Federated: samlProv}
)

func idp(t *testing.T, name, stmts string) *Policy {
	t.Helper()
	p := mustParse(t, `{"Version":"2012-10-17","Statement":[`+stmts+`]}`, KindIdentity)
	p.Name = name
	return p
}

func resp(t *testing.T, stmts string) *Policy {
	t.Helper()
	return mustParse(t, `{"Version":"2012-10-17","Statement":[`+stmts+`]}`, KindResource)
}

func trustp(t *testing.T, stmts string) *Policy {
	t.Helper()
	return mustParse(t, `{"Version":"2012-10-17","Statement":[`+stmts+`]}`, KindTrust)
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	const (
		allowGet   = `{"Sid":"AllowGet","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}`
		denyGet    = `{"Sid":"DenyGet","Effect":"Deny","Action":"s3:Get*","Resource":"*"}`
		allowS3    = `{"Effect":"Allow","Action":"s3:*","Resource":"*"}`
		allowEC2   = `{"Effect":"Allow","Action":"ec2:*","Resource":"*"}`
		allowSTS   = `{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}`
		getFor     = `{"Sid":"Res","Effect":"Allow","Principal":{"AWS":"%s"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}`
		trustFor   = `{"Sid":"Trust","Effect":"Allow","Principal":{"AWS":"%s"},"Action":"sts:AssumeRole"}`
		denyPrefix = "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::bucket/key "
	)
	sub := func(f, v string) string { return strings.Replace(f, "%s", v, 1) }
	get := func(p Principal) Request { return Request{Principal: p, Action: "s3:GetObject", Resource: bucketK} }
	assume := func(p Principal) Request {
		return Request{Principal: p, Action: "sts:AssumeRole", Resource: devRole}
	}
	type want struct {
		allowed  bool
		explicit bool
		typ      PolicyType
		sid      string // deciding statement's Sid, when checked
		msg      string // exact AccessDenied message, when checked
	}
	tests := []struct {
		name string
		in   func(t *testing.T) Input
		want want
	}{
		// Identity-based policies.
		{"identity policy allows", func(t *testing.T) Input {
			return Input{Request: get(alice), Identity: []*Policy{idp(t, "p", allowGet)}}
		}, want{allowed: true, typ: Identity, sid: "AllowGet"}},
		{"no identity policy allows", func(t *testing.T) Input {
			return Input{Request: get(alice), Identity: []*Policy{idp(t, "p", allowEC2)}}
		}, want{typ: Identity, msg: denyPrefix + "because no identity-based policy allows the s3:GetObject action"}},
		{"explicit deny in an identity policy", func(t *testing.T) Input {
			return Input{Request: get(alice), Identity: []*Policy{idp(t, "p", allowGet+","+denyGet)}}
		}, want{explicit: true, typ: Identity, sid: "DenyGet", msg: denyPrefix + "with an explicit deny in an identity-based policy"}},
		{"deny in a group policy overrides a user policy allow", func(t *testing.T) Input {
			return Input{Request: get(alice), Identity: []*Policy{idp(t, "user", allowGet), idp(t, "group", denyGet)}}
		}, want{explicit: true, typ: Identity, sid: "DenyGet"}},
		{"action without a resource", func(t *testing.T) Input {
			return Input{Request: Request{Principal: alice, Action: "iam:ListUsers"}, Identity: []*Policy{idp(t, "p", allowEC2)}}
		}, want{typ: Identity, msg: "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:ListUsers because no identity-based policy allows the iam:ListUsers action"}},
		// Permissions boundaries.
		{"boundary and identity allow", func(t *testing.T) Input {
			return Input{Request: get(alice), Identity: []*Policy{idp(t, "p", allowGet)}, Boundary: idp(t, "b", allowS3)}
		}, want{allowed: true, typ: Identity}},
		{"boundary does not allow", func(t *testing.T) Input {
			return Input{Request: get(alice), Identity: []*Policy{idp(t, "p", allowGet)}, Boundary: idp(t, "b", allowEC2)}
		}, want{typ: Boundary, msg: denyPrefix + "because no permissions boundary allows the s3:GetObject action"}},
		{"explicit deny in a boundary", func(t *testing.T) Input {
			return Input{Request: get(alice), Identity: []*Policy{idp(t, "p", allowGet)}, Boundary: idp(t, "b", allowS3+","+denyGet)}
		}, want{explicit: true, typ: Boundary, msg: denyPrefix + "with an explicit deny in a permissions boundary"}},
		{"a boundary grants nothing by itself", func(t *testing.T) Input {
			return Input{Request: get(alice), Boundary: idp(t, "b", allowS3)}
		}, want{typ: Identity}},
		// Session policies.
		{"role session: identity and session policy allow", func(t *testing.T) Input {
			return Input{Request: get(session), Identity: []*Policy{idp(t, "p", allowGet)}, Session: []*Policy{idp(t, "s", allowS3)}}
		}, want{allowed: true, typ: Identity}},
		{"session policy does not allow", func(t *testing.T) Input {
			return Input{Request: get(session), Identity: []*Policy{idp(t, "p", allowGet)}, Session: []*Policy{idp(t, "s", allowEC2)}}
		}, want{typ: Session, msg: "User: " + devSess + " is not authorized to perform: s3:GetObject on resource: " + bucketK + " because no session policy allows the s3:GetObject action"}},
		{"session policies allow together", func(t *testing.T) Input {
			return Input{Request: get(session), Identity: []*Policy{idp(t, "p", allowGet)}, Session: []*Policy{idp(t, "s1", allowEC2), idp(t, "s2", allowS3)}}
		}, want{allowed: true, typ: Identity}},
		{"explicit deny in a session policy", func(t *testing.T) Input {
			return Input{Request: get(session), Identity: []*Policy{idp(t, "p", allowGet)}, Session: []*Policy{idp(t, "s", allowS3+","+denyGet)}}
		}, want{explicit: true, typ: Session, msg: "User: " + devSess + " is not authorized to perform: s3:GetObject on resource: " + bucketK + " with an explicit deny in a session policy"}},
		{"a session policy grants nothing by itself", func(t *testing.T) Input {
			return Input{Request: get(session), Session: []*Policy{idp(t, "s", allowS3)}}
		}, want{typ: Identity}},
		{"role session: boundary and session policy intersect", func(t *testing.T) Input {
			return Input{Request: get(session), Identity: []*Policy{idp(t, "p", allowS3)}, Boundary: idp(t, "b", allowGet), Session: []*Policy{idp(t, "s", allowEC2)}}
		}, want{typ: Session}},
		// Resource-based policies within one account.
		{"resource policy naming the IAM user allows alone", func(t *testing.T) Input {
			return Input{Request: get(alice), Resource: resp(t, sub(getFor, aliceARN))}
		}, want{allowed: true, typ: Resource, sid: "Res"}},
		{"resource policy naming the IAM user: boundary implicit deny does not limit", func(t *testing.T) Input {
			return Input{Request: get(alice), Resource: resp(t, sub(getFor, aliceARN)), Boundary: idp(t, "b", allowEC2)}
		}, want{allowed: true, typ: Resource}},
		{"resource policy naming the session: boundary and session policy do not limit", func(t *testing.T) Input {
			return Input{Request: get(session), Resource: resp(t, sub(getFor, devSess)), Boundary: idp(t, "b", allowEC2), Session: []*Policy{idp(t, "s", allowEC2)}}
		}, want{allowed: true, typ: Resource}},
		{"resource policy naming the role allows without identity policy", func(t *testing.T) Input {
			return Input{Request: get(session), Resource: resp(t, sub(getFor, devRole))}
		}, want{allowed: true, typ: Resource}},
		{"resource policy naming the role: session policy limits", func(t *testing.T) Input {
			return Input{Request: get(session), Resource: resp(t, sub(getFor, devRole)), Session: []*Policy{idp(t, "s", allowEC2)}}
		}, want{typ: Session}},
		{"resource policy naming the role: boundary limits", func(t *testing.T) Input {
			return Input{Request: get(session), Resource: resp(t, sub(getFor, devRole)), Boundary: idp(t, "b", allowEC2)}
		}, want{typ: Boundary}},
		{"resource policy naming the account delegates to identity policies", func(t *testing.T) Input {
			return Input{Request: get(alice), Resource: resp(t, sub(getFor, "arn:aws:iam::111122223333:root"))}
		}, want{typ: Identity}},
		{"resource policy naming the account, identity policy allows", func(t *testing.T) Input {
			return Input{Request: get(alice), Resource: resp(t, sub(getFor, acctA)), Identity: []*Policy{idp(t, "p", allowGet)}}
		}, want{allowed: true, typ: Identity}},
		{"resource policy for everyone", func(t *testing.T) Input {
			return Input{Request: get(alice), Resource: resp(t, `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}`)}
		}, want{allowed: true, typ: Resource}},
		{"resource policy naming someone else", func(t *testing.T) Input {
			return Input{Request: get(alice), Resource: resp(t, sub(getFor, broker))}
		}, want{typ: Identity}},
		{"explicit deny in a resource policy", func(t *testing.T) Input {
			return Input{Request: get(alice), Identity: []*Policy{idp(t, "p", allowGet)},
				Resource: resp(t, `{"Sid":"NoAlice","Effect":"Deny","Principal":{"AWS":"`+aliceARN+`"},"Action":"s3:*","Resource":"*"}`)}
		}, want{explicit: true, typ: Resource, sid: "NoAlice", msg: denyPrefix + "with an explicit deny in a resource-based policy"}},
		{"resource policy condition holds", func(t *testing.T) Input {
			in := Input{Request: get(alice), Resource: resp(t, `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`)}
			in.Request.Context = ctx("aws:SourceIp", "10.1.2.3")
			return in
		}, want{allowed: true, typ: Resource}},
		{"resource policy condition fails", func(t *testing.T) Input {
			in := Input{Request: get(alice), Resource: resp(t, `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`)}
			in.Request.Context = ctx("aws:SourceIp", "192.0.2.1")
			return in
		}, want{typ: Identity}},
		// NotPrincipal.
		{"Deny with NotPrincipal spares the listed user and account", func(t *testing.T) Input {
			return Input{Request: get(alice), Identity: []*Policy{idp(t, "p", allowGet)},
				Resource: resp(t, `{"Effect":"Deny","NotPrincipal":{"AWS":["`+aliceARN+`","arn:aws:iam::111122223333:root"]},"Action":"s3:*","Resource":"*"}`)}
		}, want{allowed: true, typ: Identity}},
		{"Deny with NotPrincipal denies the unlisted", func(t *testing.T) Input {
			return Input{Request: get(Principal{ARN: broker}), Identity: []*Policy{idp(t, "p", allowGet)},
				Resource: resp(t, `{"Effect":"Deny","NotPrincipal":{"AWS":["`+aliceARN+`","arn:aws:iam::111122223333:root"]},"Action":"s3:*","Resource":"*"}`)}
		}, want{explicit: true, typ: Resource}},
		{"NotPrincipal without the account denies the listed user too", func(t *testing.T) Input {
			return Input{Request: get(alice), Identity: []*Policy{idp(t, "p", allowGet)},
				Resource: resp(t, `{"Effect":"Deny","NotPrincipal":{"AWS":"`+aliceARN+`"},"Action":"s3:*","Resource":"*"}`)}
		}, want{explicit: true, typ: Resource}},
		{"Deny with NotPrincipal always denies a principal with a boundary", func(t *testing.T) Input {
			return Input{Request: get(alice), Identity: []*Policy{idp(t, "p", allowGet)}, Boundary: idp(t, "b", allowS3),
				Resource: resp(t, `{"Effect":"Deny","NotPrincipal":{"AWS":["`+aliceARN+`","arn:aws:iam::111122223333:root"]},"Action":"s3:*","Resource":"*"}`)}
		}, want{explicit: true, typ: Resource}},
		// Across accounts: both sides must allow.
		{"cross-account: both sides allow", func(t *testing.T) Input {
			return Input{Request: get(alice), ResourceAccount: acctB, Identity: []*Policy{idp(t, "p", allowGet)}, Resource: resp(t, sub(getFor, aliceARN))}
		}, want{allowed: true, typ: Resource}},
		{"cross-account: resource policy naming the account is enough on its side", func(t *testing.T) Input {
			return Input{Request: get(alice), ResourceAccount: acctB, Identity: []*Policy{idp(t, "p", allowGet)}, Resource: resp(t, sub(getFor, acctA))}
		}, want{allowed: true, typ: Resource}},
		{"cross-account: identity side does not allow", func(t *testing.T) Input {
			return Input{Request: get(alice), ResourceAccount: acctB, Resource: resp(t, sub(getFor, aliceARN))}
		}, want{typ: Identity}},
		{"cross-account: resource side does not allow", func(t *testing.T) Input {
			return Input{Request: get(alice), ResourceAccount: acctB, Identity: []*Policy{idp(t, "p", allowGet)}, Resource: resp(t, sub(getFor, broker))}
		}, want{typ: Resource, msg: denyPrefix + "because no resource-based policy allows the s3:GetObject action"}},
		{"cross-account: no resource policy", func(t *testing.T) Input {
			return Input{Request: Request{Principal: alice, Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:444455556666:q"},
				Identity: []*Policy{idp(t, "p", `{"Effect":"Allow","Action":"sqs:*","Resource":"*"}`)}}
		}, want{typ: Resource}},
		{"cross-account: boundary on the caller's side", func(t *testing.T) Input {
			return Input{Request: get(alice), ResourceAccount: acctB, Identity: []*Policy{idp(t, "p", allowGet)}, Boundary: idp(t, "b", allowEC2), Resource: resp(t, sub(getFor, aliceARN))}
		}, want{typ: Boundary}},
		// Trust policies.
		{"trust policy naming the user allows alone", func(t *testing.T) Input {
			return Input{Request: assume(alice), Resource: trustp(t, sub(trustFor, aliceARN))}
		}, want{allowed: true, typ: Trust, sid: "Trust"}},
		{"trust policy naming the account needs an identity policy", func(t *testing.T) Input {
			return Input{Request: assume(alice), Resource: trustp(t, sub(trustFor, "arn:aws:iam::111122223333:root"))}
		}, want{typ: Identity}},
		{"trust policy naming the account, identity policy allows", func(t *testing.T) Input {
			return Input{Request: assume(alice), Resource: trustp(t, sub(trustFor, "arn:aws:iam::111122223333:root")), Identity: []*Policy{idp(t, "p", allowSTS)}}
		}, want{allowed: true, typ: Identity}},
		{"identity policy alone cannot assume a role", func(t *testing.T) Input {
			return Input{Request: assume(alice), Resource: trustp(t, sub(trustFor, broker)), Identity: []*Policy{idp(t, "p", allowSTS)}}
		}, want{typ: Trust, msg: "User: " + aliceARN + " is not authorized to perform: sts:AssumeRole on resource: " + devRole}},
		{"explicit deny in a trust policy", func(t *testing.T) Input {
			return Input{Request: assume(alice), Identity: []*Policy{idp(t, "p", allowSTS)},
				Resource: trustp(t, sub(trustFor, acctA)+`,{"Effect":"Deny","Principal":{"AWS":"`+aliceARN+`"},"Action":"sts:*"}`)}
		}, want{explicit: true, typ: Trust, msg: "User: " + aliceARN + " is not authorized to perform: sts:AssumeRole on resource: " + devRole + " with an explicit deny in the role trust policy"}},
		{"cross-account AssumeRole: both allow", func(t *testing.T) Input {
			return Input{Request: assume(carol), Resource: trustp(t, sub(trustFor, "arn:aws:iam::444455556666:root")), Identity: []*Policy{idp(t, "p", allowSTS)}}
		}, want{allowed: true, typ: Trust}},
		{"cross-account AssumeRole: caller's identity policy does not allow", func(t *testing.T) Input {
			return Input{Request: assume(carol), Resource: trustp(t, sub(trustFor, carolB))}
		}, want{typ: Identity}},
		{"cross-account AssumeRole: trust does not name the account", func(t *testing.T) Input {
			return Input{Request: assume(carol), Resource: trustp(t, sub(trustFor, acctA)), Identity: []*Policy{idp(t, "p", allowSTS)}}
		}, want{typ: Trust}},
		{"SAML provider in the trust policy", func(t *testing.T) Input {
			return Input{Request: Request{Principal: samlFed, Action: "sts:AssumeRoleWithSAML", Resource: devRole},
				Resource: trustp(t, `{"Effect":"Allow","Principal":{"Federated":"`+samlProv+`"},"Action":"sts:AssumeRoleWithSAML"}`)}
		}, want{allowed: true, typ: Trust}},
		{"SAML provider not in the trust policy", func(t *testing.T) Input {
			return Input{Request: Request{Principal: samlFed, Action: "sts:AssumeRoleWithSAML", Resource: devRole},
				Resource: trustp(t, sub(trustFor, acctA))}
		}, want{typ: Trust}},
		{"service principal in the trust policy", func(t *testing.T) Input {
			return Input{Request: Request{Principal: Principal{Service: "ec2.amazonaws.com"}, Action: "sts:AssumeRole", Resource: devRole},
				Resource: trustp(t, `{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Action":"sts:AssumeRole"}`)}
		}, want{allowed: true, typ: Trust}},
		{"other service principal", func(t *testing.T) Input {
			return Input{Request: Request{Principal: Principal{Service: "lambda.amazonaws.com"}, Action: "sts:AssumeRole", Resource: devRole},
				Resource: trustp(t, `{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Action":"sts:AssumeRole"}`)}
		}, want{typ: Trust, msg: "User: lambda.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: " + devRole}},
		{"canonical user in a bucket policy", func(t *testing.T) Input {
			return Input{Request: Request{Principal: Principal{CanonicalUser: "79a59df900b949e5"}, Action: "s3:GetObject", Resource: bucketK},
				Resource: resp(t, `{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e5"},"Action":"s3:GetObject","Resource":"*"}`)}
		}, want{allowed: true, typ: Resource}},
		{"anonymous caller and a bucket policy for one canonical user", func(t *testing.T) Input {
			return Input{Request: Request{Action: "s3:GetObject", Resource: bucketK},
				Resource: resp(t, `{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e5"},"Action":"s3:GetObject","Resource":"*"}`)}
		}, want{typ: Resource, msg: "User: anonymous is not authorized to perform: s3:GetObject on resource: " + bucketK + " because no resource-based policy allows the s3:GetObject action"}},
		// The root user and federated users.
		{"root user needs no policy", func(t *testing.T) Input {
			return Input{Request: get(root)}
		}, want{allowed: true}},
		{"root user and an explicit deny", func(t *testing.T) Input {
			return Input{Request: get(root), Resource: resp(t, `{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}`)}
		}, want{explicit: true, typ: Resource}},
		{"root user across accounts needs the resource policy", func(t *testing.T) Input {
			return Input{Request: get(root), ResourceAccount: acctB, Resource: resp(t, sub(getFor, acctA))}
		}, want{allowed: true, typ: Resource}},
		{"root user across accounts without a resource policy allow", func(t *testing.T) Input {
			return Input{Request: get(root), ResourceAccount: acctB, Resource: resp(t, sub(getFor, broker))}
		}, want{typ: Resource}},
		{"federated user: identity and session policy allow", func(t *testing.T) Input {
			return Input{Request: get(fed), Identity: []*Policy{idp(t, "broker", allowS3)}, Session: []*Policy{idp(t, "s", allowGet)}}
		}, want{allowed: true, typ: Identity}},
		{"federated user without a session policy has no permissions", func(t *testing.T) Input {
			return Input{Request: get(fed), Identity: []*Policy{idp(t, "broker", allowS3)}, Session: []*Policy{mustParse(t, `{"Statement":[]}`, KindIdentity)}}
		}, want{typ: Session}},
		{"resource policy naming the federated user allows alone", func(t *testing.T) Input {
			return Input{Request: get(fed), Session: []*Policy{mustParse(t, `{"Statement":[]}`, KindIdentity)}, Resource: resp(t, sub(getFor, fedUser))}
		}, want{allowed: true, typ: Resource}},
		{"resource policy naming the federating IAM user: session policy limits", func(t *testing.T) Input {
			return Input{Request: get(fed), Session: []*Policy{mustParse(t, `{"Statement":[]}`, KindIdentity)}, Resource: resp(t, sub(getFor, broker))}
		}, want{typ: Session}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Evaluate(tt.in(t))
			if d.Allowed != tt.want.allowed || d.Explicit != tt.want.explicit || d.Type != tt.want.typ {
				t.Fatalf("Evaluate = allowed %v explicit %v type %v (%s; trace %q), want allowed %v explicit %v type %v",
					d.Allowed, d.Explicit, d.Type, d, d.Trace, tt.want.allowed, tt.want.explicit, tt.want.typ)
			}
			if tt.want.sid != "" && (d.Statement == nil || d.Statement.Sid != tt.want.sid) {
				t.Errorf("deciding statement = %v, want Sid %q", d.Statement, tt.want.sid)
			}
			if tt.want.msg != "" && d.Message() != tt.want.msg {
				t.Errorf("Message() = %q\nwant        %q", d.Message(), tt.want.msg)
			}
			if d.Allowed != (d.Message() == "") {
				t.Errorf("Message() = %q for allowed = %v", d.Message(), d.Allowed)
			}
			if len(d.Trace) == 0 {
				t.Error("Trace is empty")
			}
		})
	}
}

func TestPrincipalKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Principal
		want map[string]string // key -> single value; "" means absent
	}{
		{"IAM user", Principal{ARN: "arn:aws:iam::111122223333:user/division/alice"}, map[string]string{
			"aws:PrincipalArn": "arn:aws:iam::111122223333:user/division/alice", "aws:PrincipalType": "User",
			"aws:username": "alice", "aws:PrincipalAccount": acctA}},
		{"role session: PrincipalArn is the role", session, map[string]string{
			"aws:PrincipalArn": devRole, "aws:PrincipalType": "AssumedRole", "aws:username": "", "aws:PrincipalAccount": acctA}},
		{"federated user", fed, map[string]string{"aws:PrincipalArn": fedUser, "aws:PrincipalType": "FederatedUser", "aws:username": ""}},
		{"root", root, map[string]string{"aws:PrincipalType": "Account", "aws:PrincipalArn": "arn:aws:iam::111122223333:root"}},
		{"SAML caller has no keys", samlFed, map[string]string{"aws:PrincipalArn": "", "aws:PrincipalType": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.p.PrincipalKeys()
			for k, want := range tt.want {
				v := got[k]
				if (want == "" && len(v) != 0) || (want != "" && (len(v) != 1 || v[0] != want)) {
					t.Errorf("PrincipalKeys()[%q] = %q, want %q", k, v, want)
				}
			}
		})
	}
}

func TestPrincipalKeysInEvaluation(t *testing.T) {
	t.Parallel()
	p := idp(t, "own-folder", `{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}`)
	in := Input{Request: Request{Principal: alice, Action: "s3:PutObject", Resource: "arn:aws:s3:::bucket/home/alice/f"}, Identity: []*Policy{p}}
	if d := Evaluate(in); !d.Allowed {
		t.Errorf("alice in her own folder: %s", d)
	}
	in.Request.Resource = "arn:aws:s3:::bucket/home/bob/f"
	if d := Evaluate(in); d.Allowed {
		t.Errorf("alice in bob's folder: %s", d)
	}
	// A key the caller sets wins over the derived one.
	in.Request.Context = map[string][]string{"AWS:UserName": {"bob"}}
	if d := Evaluate(in); !d.Allowed {
		t.Errorf("caller-supplied aws:username ignored: %s", d)
	}
	// Role sessions: aws:PrincipalArn is the role's ARN.
	cond := idp(t, "role-only", `{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"`+devRole+`"}}}`)
	if d := Evaluate(Input{Request: get2(session), Identity: []*Policy{cond}}); !d.Allowed {
		t.Errorf("role session with aws:PrincipalArn condition on the role: %s", d)
	}
	if d := Evaluate(Input{Request: get2(alice), Identity: []*Policy{cond}}); d.Allowed {
		t.Errorf("IAM user passed a condition on the role's ARN: %s", d)
	}
}

func get2(p Principal) Request {
	return Request{Principal: p, Action: "s3:GetObject", Resource: bucketK}
}

func TestDecisionTrace(t *testing.T) {
	t.Parallel()
	p := idp(t, "ReadAll", `{"Sid":"Read","Effect":"Allow","Action":"s3:Get*","Resource":"*"}`)
	b := idp(t, "", `{"Effect":"Allow","Action":"ec2:*","Resource":"*"}`)
	d := Evaluate(Input{Request: Request{Principal: session, Action: "s3:GetObject", Resource: bucketK}, Identity: []*Policy{p}, Boundary: b})
	want := []string{
		`identity-based policy "ReadAll" statement 1 (Sid "Read") allows`,
		"resource-based policy: none",
		"permissions boundary: no statement of 1 applies",
		"session policy: none",
		"no explicit deny",
		"implicit deny: the permissions boundary does not allow s3:GetObject",
	}
	if len(d.Trace) != len(want) {
		t.Fatalf("Trace = %q, want %q", d.Trace, want)
	}
	for i := range want {
		if d.Trace[i] != want[i] {
			t.Errorf("Trace[%d] = %q, want %q", i, d.Trace[i], want[i])
		}
	}
}
