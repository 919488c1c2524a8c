package scenarios_test

import (
	"encoding/base32"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/iam"
)

// TestSDKSessionPoliciesLimitIAMCalls: IAM calls made with role-session
// credentials are limited by the session policies the session was created
// with (AssumeRole Policy and PolicyArns, AssumeRoleWithSAML Policy) as by
// the role's own policies, and the session's tags are its aws:PrincipalTag
// keys. Each case has an accepting and a refusing call, over HTTP with the
// SDK; the refusals have AWS's wording, "on resource:" included.
func TestSDKSessionPoliciesLimitIAMCalls(t *testing.T) {
	t.Parallel()
	l := newAWSLab(t, nil)
	if err := l.lab.RegisterProvider(); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	admin := l.iamClient(l.adminCreds())
	role, err := admin.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("Ops"),
		AssumeRolePolicyDocument: aws.String(trustDoc(adminARN, `["sts:AssumeRole","sts:TagSession"]`, ""))})
	if err != nil {
		t.Fatal(err)
	}
	roleARN := aws.ToString(role.Role.Arn)
	if _, err := admin.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("Ops"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatal(err)
	}
	usersOnly, err := admin.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("UsersOnly"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	const listRolesOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`
	const denyRoles = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},` +
		`{"Effect":"Deny","Action":"iam:ListRoles","Resource":"*"}]}`
	stsAdmin := l.stsClient(l.adminCreds())
	assume := func(name string, in stssdk.AssumeRoleInput) *iamsdk.Client {
		t.Helper()
		in.RoleArn, in.RoleSessionName = aws.String(roleARN), aws.String(name)
		out, err := stsAdmin.AssumeRole(ctx, &in)
		if err != nil {
			t.Fatalf("AssumeRole %s: %v", name, err)
		}
		return l.iamClient(static(credsOf(out.Credentials)))
	}
	sessionARN := func(name string) string { return "arn:aws:sts::" + acct + ":assumed-role/Ops/" + name }
	listUsers := func(c *iamsdk.Client) error { _, err := c.ListUsers(ctx, &iamsdk.ListUsersInput{}); return err }
	listRoles := func(c *iamsdk.Client) error { _, err := c.ListRoles(ctx, &iamsdk.ListRolesInput{}); return err }
	usersRes, rolesRes := "arn:aws:iam::"+acct+":user/", "arn:aws:iam::"+acct+":role/"

	// No session policy: the role's AdministratorAccess alone decides.
	plain := assume("plain", stssdk.AssumeRoleInput{})
	if err := errorsOf(listUsers(plain), listRoles(plain)); err != nil {
		t.Errorf("session without a session policy: %v", err)
	}

	inline := assume("inline", stssdk.AssumeRoleInput{Policy: aws.String(listRolesOnly)})
	if err := listRoles(inline); err != nil {
		t.Errorf("inline session policy allowing ListRoles: %v", err)
	}
	wantAPIError(t, "inline session policy, ListUsers", listUsers(inline), "AccessDenied", 403,
		"User: "+sessionARN("inline")+" is not authorized to perform: iam:ListUsers on resource: "+usersRes+
			" because no session policy allows the iam:ListUsers action")

	managed := assume("managed", stssdk.AssumeRoleInput{PolicyArns: []ststypes.PolicyDescriptorType{{Arn: usersOnly.Policy.Arn}}})
	if err := listUsers(managed); err != nil {
		t.Errorf("managed session policy allowing ListUsers: %v", err)
	}
	wantAPIError(t, "managed session policy, ListRoles", listRoles(managed), "AccessDenied", 403,
		"User: "+sessionARN("managed")+" is not authorized to perform: iam:ListRoles on resource: "+rolesRes+
			" because no session policy allows the iam:ListRoles action")

	deny := assume("deny", stssdk.AssumeRoleInput{Policy: aws.String(denyRoles)})
	if err := listUsers(deny); err != nil {
		t.Errorf("session policy allowing everything but ListRoles, ListUsers: %v", err)
	}
	wantAPIError(t, "session policy's explicit deny", listRoles(deny), "AccessDenied", 403,
		"User: "+sessionARN("deny")+" is not authorized to perform: iam:ListRoles on resource: "+rolesRes+
			" with an explicit deny in a session policy")

	// AssumeRoleWithSAML's Policy limits the SAML session the same way.
	saml, err := l.stsClient(aws.AnonymousCredentials{}).AssumeRoleWithSAML(ctx, &stssdk.AssumeRoleWithSAMLInput{
		RoleArn: aws.String(l.lab.RoleARN), PrincipalArn: aws.String(l.lab.ProviderARN),
		SAMLAssertion: aws.String(l.samlResponse(t, l.lab.Users[scenarios.DefaultUser])), Policy: aws.String(listRolesOnly)})
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML: %v", err)
	}
	samlIAM := l.iamClient(static(credsOf(saml.Credentials)))
	if err := listRoles(samlIAM); err != nil {
		t.Errorf("SAML session with a session policy allowing ListRoles: %v", err)
	}
	wantAPIError(t, "SAML session policy, ListUsers", listUsers(samlIAM), "AccessDenied", 403,
		"User: "+aws.ToString(saml.AssumedRoleUser.Arn)+" is not authorized to perform: iam:ListUsers on resource: "+usersRes+
			" because no session policy allows the iam:ListUsers action")

	// Session tags are the session's aws:PrincipalTag keys in IAM too.
	if _, err := admin.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("Ops"), PolicyName: aws.String("NoUsersOutsideDev"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:ListUsers","Resource":"*",` +
			`"Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"dev"}}}]}`)}); err != nil {
		t.Fatal(err)
	}
	dev := assume("dev", stssdk.AssumeRoleInput{Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("dev")}}})
	if err := listUsers(dev); err != nil {
		t.Errorf("session tagged team=dev: %v", err)
	}
	ops := assume("ops", stssdk.AssumeRoleInput{Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}})
	wantAPIError(t, "session tagged team=ops", listUsers(ops), "AccessDenied", 403,
		"User: "+sessionARN("ops")+" is not authorized to perform: iam:ListUsers on resource: "+usersRes+
			" with an explicit deny in an identity-based policy")
}

func errorsOf(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// TestEventsCallerType pins each kind of temporary credentials' CloudTrail
// userIdentity.type, which only the event log shows: a GetSessionToken
// session is its IAMUser, a GetFederationToken session a FederatedUser, an
// AssumeRole session an AssumedRole, and long-term keys IAMUser.
func TestEventsCallerType(t *testing.T) {
	t.Parallel()
	l := newAWSLab(t, nil)
	ctx := t.Context()
	admin := l.stsClient(l.adminCreds())
	if _, err := l.iamClient(l.adminCreds()).CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("Ops"),
		AssumeRolePolicyDocument: aws.String(trustDoc(adminARN, `"sts:AssumeRole"`, ""))}); err != nil {
		t.Fatal(err)
	}
	st, err := admin.GetSessionToken(ctx, &stssdk.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	fed, err := admin.GetFederationToken(ctx, &stssdk.GetFederationTokenInput{Name: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	role, err := admin.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acct + ":role/Ops"), RoleSessionName: aws.String("s1")})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		l.admin.AccessKeyID:                        "IAMUser",
		aws.ToString(st.Credentials.AccessKeyId):   "IAMUser",
		aws.ToString(fed.Credentials.AccessKeyId):  "FederatedUser",
		aws.ToString(role.Credentials.AccessKeyId): "AssumedRole",
	}
	for _, c := range []*ststypes.Credentials{st.Credentials, fed.Credentials, role.Credentials} {
		if _, err := l.stsClient(static(credsOf(c))).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{}); err != nil {
			t.Fatalf("GetCallerIdentity: %v", err)
		}
	}
	seen := map[string]bool{}
	for _, e := range l.events.Events() {
		if e.EventName != "GetCallerIdentity" && e.EventName != "GetSessionToken" {
			continue
		}
		w, ok := want[e.UserIdentity.AccessKeyID]
		if !ok {
			continue
		}
		seen[e.UserIdentity.AccessKeyID] = true
		if e.UserIdentity.Type != w {
			t.Errorf("%s by %s: userIdentity.type %q, want %q", e.EventName, e.UserIdentity.ARN, e.UserIdentity.Type, w)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("events of %d of the %d keys, want all", len(seen), len(want))
	}
}

// TestSDKMFAUserSessionIAMRefusal: an IAM user's GetSessionToken session
// with MFA reaches IAM, where its user's policies decide, through the one
// refusal path every caller takes: an explicit deny in the user's policy
// refuses with AWS's full wording, "on resource:" included, and an allowed
// action runs. Without MFA the session is refused as an invalid token.
func TestSDKMFAUserSessionIAMRefusal(t *testing.T) {
	t.Parallel()
	l := newAWSLab(t, nil)
	ctx := t.Context()
	admin := l.iamClient(l.adminCreds())
	key := userKey(t, admin, "Dev", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:List*","Resource":"*"},`+
		`{"Effect":"Deny","Action":"iam:ListRoles","Resource":"*"}]}`)
	dev, err := admin.CreateVirtualMFADevice(ctx, &iamsdk.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("Dev")})
	if err != nil {
		t.Fatal(err)
	}
	seed, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(string(dev.VirtualMFADevice.Base32StringSeed))
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	now := l.lab.Clock.Now()
	serial := dev.VirtualMFADevice.SerialNumber
	if _, err := admin.EnableMFADevice(ctx, &iamsdk.EnableMFADeviceInput{UserName: aws.String("Dev"), SerialNumber: serial,
		AuthenticationCode1: aws.String(iam.TOTP(seed, now.Add(-2*iam.TOTPStep))),
		AuthenticationCode2: aws.String(iam.TOTP(seed, now.Add(-iam.TOTPStep)))}); err != nil {
		t.Fatalf("EnableMFADevice: %v", err)
	}
	stsDev := l.stsClient(static(key))
	withMFA, err := stsDev.GetSessionToken(ctx, &stssdk.GetSessionTokenInput{SerialNumber: serial, TokenCode: aws.String(iam.TOTP(seed, now))})
	if err != nil {
		t.Fatalf("GetSessionToken with MFA: %v", err)
	}
	noMFA, err := stsDev.GetSessionToken(ctx, &stssdk.GetSessionTokenInput{})
	if err != nil {
		t.Fatalf("GetSessionToken: %v", err)
	}
	session := l.iamClient(static(credsOf(withMFA.Credentials)))
	if _, err := session.ListUsers(ctx, &iamsdk.ListUsersInput{}); err != nil {
		t.Errorf("MFA session, allowed ListUsers: %v", err)
	}
	_, err = session.ListRoles(ctx, &iamsdk.ListRolesInput{})
	wantAPIError(t, "MFA session, denied ListRoles", err, "AccessDenied", 403,
		"User: arn:aws:iam::"+acct+":user/Dev is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::"+acct+
			":role/ with an explicit deny in an identity-based policy")
	_, err = l.iamClient(static(credsOf(noMFA.Credentials))).ListUsers(ctx, &iamsdk.ListUsersInput{})
	wantAPIError(t, "session without MFA", err, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")
}
