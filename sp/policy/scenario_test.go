package policy

import "testing"

// TestFederationFlows runs the policies of the federation flows samlab
// reproduces (cross-account roles guarded by an ExternalId, MFA-required
// roles, revoked sessions, ABAC with session tags, session-name and source-
// identity rules), each with an accepting and a refusing request.
func TestFederationFlows(t *testing.T) {
	t.Parallel()
	const allowAssume = `{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Resource":"*"}`
	confused := `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"Unique ID Assigned by Example Corp"}}}`
	mfa := `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}`
	revoke := `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2026-11-28T12:00:00Z"}}}`
	abac := `{"Effect":"Allow","Action":"ec2:StartInstances","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}}`
	tagOnCreate := `{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]},"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team}"}}}`
	sessionName := `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"sts:RoleSessionName":"${aws:username}"}}}`
	sourceID := `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*@example.com"}}}`
	webID := `{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::app/${www.amazon.com:user_id}/*"}`
	samlSub := `{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${saml:sub}/*"}`

	role := Principal{ARN: devSess, RoleARN: devRole}
	tests := []struct {
		name string
		in   func(t *testing.T) Input
		want bool
	}{
		{"ExternalId given", func(t *testing.T) Input {
			return Input{Request: Request{Principal: carol, Action: "sts:AssumeRole", Resource: devRole, Context: ctx("sts:ExternalId", "Unique ID Assigned by Example Corp")},
				Identity: []*Policy{idp(t, "p", allowAssume)}, Resource: trustp(t, confused)}
		}, true},
		{"ExternalId missing (confused deputy)", func(t *testing.T) Input {
			return Input{Request: Request{Principal: carol, Action: "sts:AssumeRole", Resource: devRole},
				Identity: []*Policy{idp(t, "p", allowAssume)}, Resource: trustp(t, confused)}
		}, false},
		{"MFA present and fresh", func(t *testing.T) Input {
			return Input{Request: Request{Principal: alice, Action: "sts:AssumeRole", Resource: devRole, Context: ctx("aws:MultiFactorAuthPresent", "true", "aws:MultiFactorAuthAge", "120")},
				Identity: []*Policy{idp(t, "p", allowAssume)}, Resource: trustp(t, mfa)}
		}, true},
		{"MFA too old", func(t *testing.T) Input {
			return Input{Request: Request{Principal: alice, Action: "sts:AssumeRole", Resource: devRole, Context: ctx("aws:MultiFactorAuthPresent", "true", "aws:MultiFactorAuthAge", "4000")},
				Identity: []*Policy{idp(t, "p", allowAssume)}, Resource: trustp(t, mfa)}
		}, false},
		{"no MFA (long-term keys)", func(t *testing.T) Input {
			return Input{Request: Request{Principal: alice, Action: "sts:AssumeRole", Resource: devRole},
				Identity: []*Policy{idp(t, "p", allowAssume)}, Resource: trustp(t, mfa)}
		}, false},
		{"session issued after revocation", func(t *testing.T) Input {
			return Input{Request: Request{Principal: role, Action: "s3:GetObject", Resource: bucketK, Context: ctx("aws:TokenIssueTime", "2026-11-28T12:30:00Z")},
				Identity: []*Policy{idp(t, "p", `{"Effect":"Allow","Action":"s3:*","Resource":"*"}`), idp(t, "AWSRevokeOlderSessions", revoke)}}
		}, true},
		{"session issued before revocation", func(t *testing.T) Input {
			return Input{Request: Request{Principal: role, Action: "s3:GetObject", Resource: bucketK, Context: ctx("aws:TokenIssueTime", "2026-11-28T11:59:59Z")},
				Identity: []*Policy{idp(t, "p", `{"Effect":"Allow","Action":"s3:*","Resource":"*"}`), idp(t, "AWSRevokeOlderSessions", revoke)}}
		}, false},
		{"ABAC: tags match", func(t *testing.T) Input {
			return Input{Request: Request{Principal: role, Action: "ec2:StartInstances", Resource: "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
				Context: ctx("aws:PrincipalTag/team", "blue", "aws:ResourceTag/team", "blue")}, Identity: []*Policy{idp(t, "p", abac)}}
		}, true},
		{"ABAC: tags differ", func(t *testing.T) Input {
			return Input{Request: Request{Principal: role, Action: "ec2:StartInstances", Resource: "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
				Context: ctx("aws:PrincipalTag/team", "blue", "aws:ResourceTag/team", "red")}, Identity: []*Policy{idp(t, "p", abac)}}
		}, false},
		{"ABAC: session without the tag", func(t *testing.T) Input {
			return Input{Request: Request{Principal: role, Action: "ec2:StartInstances", Resource: "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
				Context: ctx("aws:ResourceTag/team", "")}, Identity: []*Policy{idp(t, "p", abac)}}
		}, false},
		{"RequestTag: only the team tag, own team", func(t *testing.T) Input {
			return Input{Request: Request{Principal: role, Action: "ec2:CreateTags", Resource: "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
				Context: ctx("aws:PrincipalTag/team", "blue", "aws:RequestTag/team", "blue", "aws:TagKeys", "team")}, Identity: []*Policy{idp(t, "p", tagOnCreate)}}
		}, true},
		{"RequestTag: an extra tag key", func(t *testing.T) Input {
			return Input{Request: Request{Principal: role, Action: "ec2:CreateTags", Resource: "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
				Context: ctx("aws:PrincipalTag/team", "blue", "aws:RequestTag/team", "blue", "aws:TagKeys", "team", "aws:TagKeys", "cost")}, Identity: []*Policy{idp(t, "p", tagOnCreate)}}
		}, false},
		{"RoleSessionName is the user name", func(t *testing.T) Input {
			return Input{Request: Request{Principal: alice, Action: "sts:AssumeRole", Resource: devRole, Context: ctx("sts:RoleSessionName", "alice")},
				Identity: []*Policy{idp(t, "p", allowAssume)}, Resource: trustp(t, sessionName)}
		}, true},
		{"RoleSessionName is someone else's", func(t *testing.T) Input {
			return Input{Request: Request{Principal: alice, Action: "sts:AssumeRole", Resource: devRole, Context: ctx("sts:RoleSessionName", "bob")},
				Identity: []*Policy{idp(t, "p", allowAssume)}, Resource: trustp(t, sessionName)}
		}, false},
		{"SourceIdentity in the company domain", func(t *testing.T) Input {
			return Input{Request: Request{Principal: alice, Action: "sts:SetSourceIdentity", Resource: devRole, Context: ctx("sts:SourceIdentity", "alice@example.com")},
				Identity: []*Policy{idp(t, "p", allowAssume)}, Resource: trustp(t, sourceID)}
		}, true},
		{"SourceIdentity outside the domain", func(t *testing.T) Input {
			return Input{Request: Request{Principal: alice, Action: "sts:SetSourceIdentity", Resource: devRole, Context: ctx("sts:SourceIdentity", "alice@evil.test")},
				Identity: []*Policy{idp(t, "p", allowAssume)}, Resource: trustp(t, sourceID)}
		}, false},
		{"web identity user in own prefix", func(t *testing.T) Input {
			return Input{Request: Request{Principal: role, Action: "s3:PutObject", Resource: "arn:aws:s3:::app/amzn1.account.A/x", Context: ctx("www.amazon.com:user_id", "amzn1.account.A")},
				Identity: []*Policy{idp(t, "p", webID)}}
		}, true},
		{"web identity user in another prefix", func(t *testing.T) Input {
			return Input{Request: Request{Principal: role, Action: "s3:PutObject", Resource: "arn:aws:s3:::app/amzn1.account.B/x", Context: ctx("www.amazon.com:user_id", "amzn1.account.A")},
				Identity: []*Policy{idp(t, "p", webID)}}
		}, false},
		{"SAML session in its saml:sub home", func(t *testing.T) Input {
			return Input{Request: Request{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice@example.com/x", Context: ctx("saml:sub", "alice@example.com")},
				Identity: []*Policy{idp(t, "p", samlSub)}}
		}, true},
		{"SAML session outside its saml:sub home", func(t *testing.T) Input {
			return Input{Request: Request{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::home/bob@example.com/x", Context: ctx("saml:sub", "alice@example.com")},
				Identity: []*Policy{idp(t, "p", samlSub)}}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if d := Evaluate(tt.in(t)); d.Allowed != tt.want {
				t.Errorf("Evaluate = %s (trace %q), want allowed %v", d, d.Trace, tt.want)
			}
		})
	}
}
