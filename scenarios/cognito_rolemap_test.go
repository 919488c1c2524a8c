package scenarios_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cisdk "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/idp/oidc"
)

// taggingTrust is cognitoTrust for roles that receive principal tags: the
// trust policy must also allow sts:TagSession.
func taggingTrust(pool string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],
		"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":%q},
		"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}]}`, pool)
}

// credsFor runs GetId and GetCredentialsForIdentity for logins (with
// customRole when set) and returns the ARN GetCallerIdentity reports for
// the credentials.
func (l *ciLab) credsFor(t *testing.T, pool string, logins map[string]string, customRole string) (string, error) {
	t.Helper()
	ctx := t.Context()
	id, err := l.anonCI.GetId(ctx, &cisdk.GetIdInput{IdentityPoolId: aws.String(pool), Logins: logins})
	if err != nil {
		t.Fatalf("GetId: %v", err)
	}
	in := &cisdk.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins}
	if customRole != "" {
		in.CustomRoleArn = aws.String(customRole)
	}
	out, err := l.anonCI.GetCredentialsForIdentity(ctx, in)
	if err != nil {
		return "", err
	}
	return l.callerARN(t, out.Credentials)
}

func (l *ciLab) callerARN(t *testing.T, c *citypes.Credentials) (string, error) {
	t.Helper()
	who, err := l.stsClient(credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretKey),
		aws.ToString(c.SessionToken))).GetCallerIdentity(t.Context(), &stssdk.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with the pool's credentials: %v", err)
	}
	return aws.ToString(who.Arn), nil
}

func sessionARN(role string) string {
	return "arn:aws:sts::123456789012:assumed-role/" + role + "/CognitoIdentityCredentials"
}

// TestCognitoRulesMapping: a Rules role mapping picks the role of the first
// rule whose claim matches, CustomRoleArn may name any matching rule's role
// and nothing else, and AmbiguousRoleResolution decides when no rule
// matches; all through the SDK's cognito-identity client.
func TestCognitoRulesMapping(t *testing.T) {
	t.Parallel()
	l := newCILab(t)
	ctx := t.Context()
	pool := l.createPool(t, "mapped", false, nil)
	def := l.createRole(t, "DefaultRole", cognitoTrust(pool, "authenticated"))
	reader := l.createRole(t, "ReaderRole", cognitoTrust(pool, "authenticated"))
	admin := l.createRole(t, "AdminRole", cognitoTrust(pool, "authenticated"))
	mapping := citypes.RoleMapping{Type: citypes.RoleMappingTypeRules, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeDeny,
		RulesConfiguration: &citypes.RulesConfigurationType{Rules: []citypes.MappingRule{
			{Claim: aws.String("groups"), MatchType: citypes.MappingRuleMatchTypeContains, Value: aws.String("readers"), RoleARN: aws.String(reader)},
			{Claim: aws.String("email"), MatchType: citypes.MappingRuleMatchTypeStartsWith, Value: aws.String("alice@"), RoleARN: aws.String(admin)},
		}}}
	set := func(m citypes.RoleMapping) error {
		_, err := l.adminCI.SetIdentityPoolRoles(ctx, &cisdk.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(pool),
			Roles: map[string]string{"authenticated": def}, RoleMappings: map[string]citypes.RoleMapping{l.login: m}})
		return err
	}
	if err := set(mapping); err != nil {
		t.Fatalf("SetIdentityPoolRoles with a Rules mapping: %v", err)
	}
	got, err := l.adminCI.GetIdentityPoolRoles(ctx, &cisdk.GetIdentityPoolRolesInput{IdentityPoolId: aws.String(pool)})
	if err != nil {
		t.Fatalf("GetIdentityPoolRoles: %v", err)
	}
	m, ok := got.RoleMappings[l.login]
	if !ok || m.Type != citypes.RoleMappingTypeRules || m.AmbiguousRoleResolution != citypes.AmbiguousRoleResolutionTypeDeny ||
		m.RulesConfiguration == nil || len(m.RulesConfiguration.Rules) != 2 ||
		aws.ToString(m.RulesConfiguration.Rules[1].RoleARN) != admin || m.RulesConfiguration.Rules[1].MatchType != citypes.MappingRuleMatchTypeStartsWith ||
		got.Roles["authenticated"] != def {
		t.Errorf("GetIdentityPoolRoles = %+v (mapping %+v)", got, m)
	}

	bob := map[string]string{l.login: l.token(t, "bob", oidc.TokenOptions{})} // groups admins, readers
	alice := l.logins(t, oidc.TokenOptions{})                                 // groups admins; alice@example.com
	for _, tc := range []struct {
		name   string
		logins map[string]string
		custom string
		want   string
	}{
		{"bob is in readers: the first rule", bob, "", sessionARN("ReaderRole")},
		{"alice matches the second rule", alice, "", sessionARN("AdminRole")},
		{"CustomRoleArn names a matching rule's role", bob, reader, sessionARN("ReaderRole")},
	} {
		arn, err := l.credsFor(t, pool, tc.logins, tc.custom)
		if err != nil || arn != tc.want {
			t.Errorf("%s: %s, %v; want %s", tc.name, arn, err, tc.want)
		}
	}
	_, err = l.credsFor(t, pool, alice, reader)
	apiErr(t, "CustomRoleArn of a rule alice does not match", err, "NotAuthorizedException",
		"The role "+reader+" is not allowed by the role mapping rules of this identity pool.")
	_, err = l.credsFor(t, pool, bob, def)
	apiErr(t, "CustomRoleArn of the default role", err, "NotAuthorizedException",
		"The role "+def+" is not allowed by the role mapping rules of this identity pool.")

	// No rule matches alice: Deny refuses, AuthenticatedRole falls back.
	mapping.RulesConfiguration.Rules = mapping.RulesConfiguration.Rules[:1]
	if err := set(mapping); err != nil {
		t.Fatal(err)
	}
	_, err = l.credsFor(t, pool, alice, "")
	apiErr(t, "no rule matches, Deny", err, "NotAuthorizedException", "The ambiguous role mapping rules for: "+l.login+" denied this request.")
	var na *citypes.NotAuthorizedException
	if !errors.As(err, &na) {
		t.Errorf("%T is not the SDK's NotAuthorizedException", err)
	}
	mapping.AmbiguousRoleResolution = citypes.AmbiguousRoleResolutionTypeAuthenticatedRole
	if err := set(mapping); err != nil {
		t.Fatal(err)
	}
	if arn, err := l.credsFor(t, pool, alice, ""); err != nil || arn != sessionARN("DefaultRole") {
		t.Errorf("no rule matches, AuthenticatedRole: %s, %v", arn, err)
	}
	// NotEqual matches alice, who is not in readers.
	mapping.RulesConfiguration.Rules[0].MatchType = citypes.MappingRuleMatchTypeNotEqual
	if err := set(mapping); err != nil {
		t.Fatal(err)
	}
	if arn, err := l.credsFor(t, pool, alice, ""); err != nil || arn != sessionARN("ReaderRole") {
		t.Errorf("NotEqual rule: %s, %v", arn, err)
	}
	// CustomRoleArn on a pool without role mappings.
	_, err = l.credsFor(t, l.pool, l.logins(t, oidc.TokenOptions{}), reader)
	apiErr(t, "CustomRoleArn without a mapping", err, "InvalidParameterException", "CustomRoleArn can only be used with a role mapping of the login's provider.")

	// SetIdentityPoolRoles refuses bad mappings.
	bad := []struct {
		name     string
		mappings map[string]citypes.RoleMapping
		code     string
		msg      string
	}{
		{"key that is no provider of the pool", map[string]citypes.RoleMapping{"accounts.example.com": mapping}, "InvalidParameterException",
			"(accounts.example.com) is not a valid RoleMapping ProviderName or is not a configured provider."},
		{"no AmbiguousRoleResolution", map[string]citypes.RoleMapping{l.login: {Type: citypes.RoleMappingTypeToken}}, "InvalidParameterException",
			"AmbiguousRoleResolution must be specified for the role mapping of " + l.login + "."},
		{"Rules without rules", map[string]citypes.RoleMapping{l.login: {Type: citypes.RoleMappingTypeRules,
			AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeDeny}}, "InvalidParameterException",
			"RulesConfiguration must be specified for the Rules role mapping of " + l.login + "."},
		{"unknown match type", map[string]citypes.RoleMapping{l.login: {Type: citypes.RoleMappingTypeRules,
			AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeDeny, RulesConfiguration: &citypes.RulesConfigurationType{
				Rules: []citypes.MappingRule{{Claim: aws.String("groups"), MatchType: "Like", Value: aws.String("x"), RoleARN: aws.String(reader)}}}}},
			"ValidationException", "1 validation error detected: Value 'Like' at 'roleMappings." + l.login +
				".member.rulesConfiguration.rules.1.member.matchType' failed to satisfy constraint: Member must satisfy enum value set: [Equals, Contains, StartsWith, NotEqual]"},
	}
	for _, tc := range bad {
		_, err := l.adminCI.SetIdentityPoolRoles(ctx, &cisdk.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(pool),
			Roles: map[string]string{"authenticated": def}, RoleMappings: tc.mappings})
		apiErr(t, tc.name, err, tc.code, tc.msg)
	}
	// A refused call changed nothing.
	got, err = l.adminCI.GetIdentityPoolRoles(ctx, &cisdk.GetIdentityPoolRolesInput{IdentityPoolId: aws.String(pool)})
	if err != nil || got.RoleMappings[l.login].Type != citypes.RoleMappingTypeRules || len(got.RoleMappings) != 1 {
		t.Errorf("GetIdentityPoolRoles after refused updates = %+v, %v", got, err)
	}
}

// TestCognitoTokenMapping: a Token role mapping takes the role from the
// login token's cognito:preferred_role, lets CustomRoleArn pick any of its
// cognito:roles, and applies AmbiguousRoleResolution without a preferred
// role.
func TestCognitoTokenMapping(t *testing.T) {
	t.Parallel()
	l := newCILab(t)
	ctx := t.Context()
	pool := l.createPool(t, "by token", false, nil)
	def := l.createRole(t, "DefaultRole", cognitoTrust(pool, "authenticated"))
	editor := l.createRole(t, "EditorRole", cognitoTrust(pool, "authenticated"))
	viewer := l.createRole(t, "ViewerRole", cognitoTrust(pool, "authenticated"))
	if _, err := l.adminCI.SetIdentityPoolRoles(ctx, &cisdk.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(pool),
		Roles: map[string]string{"authenticated": def}, RoleMappings: map[string]citypes.RoleMapping{l.login: {
			Type: citypes.RoleMappingTypeToken, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeDeny}}}); err != nil {
		t.Fatalf("SetIdentityPoolRoles with a Token mapping: %v", err)
	}
	login := func(name string, attrs map[string][]string) map[string]string {
		tok, err := l.oidc.IDToken(idp.User{Name: name, Attributes: attrs}, oidc.TokenOptions{Audience: wiClientID})
		if err != nil {
			t.Fatal(err)
		}
		return map[string]string{l.login: tok}
	}
	both := map[string][]string{"cognito:roles": {editor, viewer}}
	preferred := map[string][]string{"cognito:roles": {editor, viewer}, "cognito:preferred_role": {viewer}}
	if arn, err := l.credsFor(t, pool, login("carol", preferred), ""); err != nil || arn != sessionARN("ViewerRole") {
		t.Errorf("preferred role: %s, %v", arn, err)
	}
	if arn, err := l.credsFor(t, pool, login("carol", preferred), editor); err != nil || arn != sessionARN("EditorRole") {
		t.Errorf("CustomRoleArn among cognito:roles: %s, %v", arn, err)
	}
	_, err := l.credsFor(t, pool, login("carol", preferred), def)
	apiErr(t, "CustomRoleArn not in cognito:roles", err, "NotAuthorizedException",
		"The role "+def+" is not allowed by the role mapping rules of this identity pool.")
	_, err = l.credsFor(t, pool, login("dave", both), "")
	apiErr(t, "two roles, no preferred role, Deny", err, "NotAuthorizedException",
		"The ambiguous role mapping rules for: "+l.login+" denied this request.")
	if arn, err := l.credsFor(t, pool, login("dave", both), viewer); err != nil || arn != sessionARN("ViewerRole") {
		t.Errorf("CustomRoleArn resolves the ambiguity: %s, %v", arn, err)
	}
}

// TestCognitoPrincipalTags: attributes for access control put claims of the
// login token into the session as principal tags, which an ABAC condition
// of another role's trust policy then reads.
func TestCognitoPrincipalTags(t *testing.T) {
	t.Parallel()
	l := newCILab(t)
	ctx := t.Context()
	pool := l.createPool(t, "tagged", false, nil)
	tagged := l.createRole(t, "TaggedRole", taggingTrust(pool))
	if _, err := l.adminCI.SetIdentityPoolRoles(ctx, &cisdk.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(pool),
		Roles: map[string]string{"authenticated": tagged}}); err != nil {
		t.Fatal(err)
	}
	// ABAC: only sessions tagged username=alice may assume Reports.
	reports := l.createRole(t, "Reports", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":%q},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalTag/username":"alice"}}}]}`, tagged))

	before, err := l.adminCI.GetPrincipalTagAttributeMap(ctx, &cisdk.GetPrincipalTagAttributeMapInput{IdentityPoolId: aws.String(pool),
		IdentityProviderName: aws.String(l.login)})
	if err != nil || aws.ToBool(before.UseDefaults) || len(before.PrincipalTags) != 0 {
		t.Errorf("GetPrincipalTagAttributeMap before any = %+v, %v", before, err)
	}
	set, err := l.adminCI.SetPrincipalTagAttributeMap(ctx, &cisdk.SetPrincipalTagAttributeMapInput{IdentityPoolId: aws.String(pool),
		IdentityProviderName: aws.String(l.login), UseDefaults: aws.Bool(true)})
	want := map[string]string{"username": "sub", "client": "aud"}
	if err != nil || !aws.ToBool(set.UseDefaults) || !maps.Equal(set.PrincipalTags, want) || aws.ToString(set.IdentityProviderName) != l.login {
		t.Fatalf("SetPrincipalTagAttributeMap(UseDefaults) = %+v, %v", set, err)
	}
	get, err := l.adminCI.GetPrincipalTagAttributeMap(ctx, &cisdk.GetPrincipalTagAttributeMapInput{IdentityPoolId: aws.String(pool),
		IdentityProviderName: aws.String(l.login)})
	if err != nil || !aws.ToBool(get.UseDefaults) || !maps.Equal(get.PrincipalTags, want) {
		t.Errorf("GetPrincipalTagAttributeMap = %+v, %v", get, err)
	}

	assumeReports := func(user string) error {
		logins := map[string]string{l.login: l.token(t, user, oidc.TokenOptions{})}
		id, err := l.anonCI.GetId(ctx, &cisdk.GetIdInput{IdentityPoolId: aws.String(pool), Logins: logins})
		if err != nil {
			t.Fatal(err)
		}
		out, err := l.anonCI.GetCredentialsForIdentity(ctx, &cisdk.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins})
		if err != nil {
			t.Fatalf("GetCredentialsForIdentity for %s: %v", user, err)
		}
		c := out.Credentials
		_, err = l.stsClient(credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretKey),
			aws.ToString(c.SessionToken))).AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(reports), RoleSessionName: aws.String(user)})
		return err
	}
	if err := assumeReports("alice"); err != nil {
		t.Errorf("alice's session (username=alice) into Reports: %v", err)
	}
	err = assumeReports("bob")
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Errorf("bob's session (username=bob) into Reports: %v, want AccessDenied", err)
	}

	// The tags are in the Cognito token (basic flow shows it).
	logins := l.logins(t, oidc.TokenOptions{})
	id, err := l.anonCI.GetId(ctx, &cisdk.GetIdInput{IdentityPoolId: aws.String(pool), Logins: logins})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.adminCI.SetPrincipalTagAttributeMap(ctx, &cisdk.SetPrincipalTagAttributeMapInput{IdentityPoolId: aws.String(pool),
		IdentityProviderName: aws.String(l.login), PrincipalTags: map[string]string{"dept": "department", "mail": "email", "none": "no_such_claim"}}); err != nil {
		t.Fatal(err)
	}
	oid, err := l.anonCI.GetOpenIdToken(ctx, &cisdk.GetOpenIdTokenInput{IdentityId: id.IdentityId, Logins: logins})
	if err != nil {
		t.Fatal(err)
	}
	tags, _ := claimsOf(t, aws.ToString(oid.Token))["https://aws.amazon.com/tags"].(map[string]any)
	pt, _ := tags["principal_tags"].(map[string]any)
	if fmt.Sprint(pt) != "map[dept:[platform] mail:[alice@example.com]]" {
		t.Errorf("Cognito token's principal tags = %v", tags)
	}

	// A role that does not allow sts:TagSession cannot take tagged sessions.
	strict := l.createRole(t, "NoTagSession", cognitoTrust(pool, "authenticated"))
	if _, err := l.adminCI.SetIdentityPoolRoles(ctx, &cisdk.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(pool),
		Roles: map[string]string{"authenticated": strict}}); err != nil {
		t.Fatal(err)
	}
	_, err = l.anonCI.GetCredentialsForIdentity(ctx, &cisdk.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins})
	apiErr(t, "tags without sts:TagSession", err, "InvalidIdentityPoolConfigurationException",
		"Invalid identity pool configuration. Check assigned IAM roles for this pool.")

	_, err = l.adminCI.SetPrincipalTagAttributeMap(ctx, &cisdk.SetPrincipalTagAttributeMapInput{IdentityPoolId: aws.String(pool),
		IdentityProviderName: aws.String("accounts.example.com"), UseDefaults: aws.Bool(true)})
	apiErr(t, "tags for a provider the pool lacks", err, "InvalidParameterException", "(accounts.example.com) is not a configured provider of this identity pool.")
}

// TestCognitoDeveloperIdentities: an app's back end vouches for its own user
// with GetOpenIdTokenForDeveloperIdentity (signed); the app trades the token
// for credentials under the Logins key cognito-identity.amazonaws.com.
func TestCognitoDeveloperIdentities(t *testing.T) {
	t.Parallel()
	l := newCILab(t)
	ctx := t.Context()
	const dev = "login.example.app"
	created, err := l.adminCI.CreateIdentityPool(ctx, &cisdk.CreateIdentityPoolInput{IdentityPoolName: aws.String("dev"),
		DeveloperProviderName: aws.String(dev), OpenIdConnectProviderARNs: []string{l.provider}})
	if err != nil {
		t.Fatal(err)
	}
	pool := aws.ToString(created.IdentityPoolId)
	role := l.createRole(t, "DevRole", taggingTrust(pool))
	if _, err := l.adminCI.SetIdentityPoolRoles(ctx, &cisdk.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(pool),
		Roles: map[string]string{"authenticated": role}}); err != nil {
		t.Fatal(err)
	}
	tok, err := l.adminCI.GetOpenIdTokenForDeveloperIdentity(ctx, &cisdk.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: aws.String(pool),
		Logins: map[string]string{dev: "user-42"}, PrincipalTags: map[string]string{"team": "blue"}, TokenDuration: aws.Int64(600)})
	if err != nil {
		t.Fatalf("GetOpenIdTokenForDeveloperIdentity: %v", err)
	}
	c := claimsOf(t, aws.ToString(tok.Token))
	amr, _ := c["amr"].([]any)
	exp, _ := c["exp"].(float64)
	if c["sub"] != aws.ToString(tok.IdentityId) || c["aud"] != pool || len(amr) != 3 || amr[0] != "authenticated" || amr[1] != dev ||
		amr[2] != dev+":"+pool+":user-42" || !strings.HasPrefix(pool, "us-east-1:") || int64(exp) != l.lab.Clock.Now().Unix()+600 {
		t.Errorf("developer token claims = %v", c)
	}
	again, err := l.adminCI.GetOpenIdTokenForDeveloperIdentity(ctx, &cisdk.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: aws.String(pool),
		Logins: map[string]string{dev: "user-42"}})
	if err != nil || aws.ToString(again.IdentityId) != aws.ToString(tok.IdentityId) {
		t.Errorf("the same developer user again = %v, %v; want identity %s", again, err, aws.ToString(tok.IdentityId))
	}
	desc, err := l.adminCI.DescribeIdentity(ctx, &cisdk.DescribeIdentityInput{IdentityId: tok.IdentityId})
	if err != nil || !slices.Equal(desc.Logins, []string{dev}) {
		t.Errorf("DescribeIdentity = %+v, %v", desc, err)
	}

	logins := map[string]string{"cognito-identity.amazonaws.com": aws.ToString(tok.Token)}
	out, err := l.anonCI.GetCredentialsForIdentity(ctx, &cisdk.GetCredentialsForIdentityInput{IdentityId: tok.IdentityId, Logins: logins})
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity with the developer token: %v", err)
	}
	if arn, _ := l.callerARN(t, out.Credentials); arn != sessionARN("DevRole") {
		t.Errorf("caller = %s", arn)
	}

	// Another user's token does not open this identity.
	other, err := l.adminCI.GetOpenIdTokenForDeveloperIdentity(ctx, &cisdk.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: aws.String(pool),
		Logins: map[string]string{dev: "user-7"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.anonCI.GetCredentialsForIdentity(ctx, &cisdk.GetCredentialsForIdentityInput{IdentityId: tok.IdentityId,
		Logins: map[string]string{"cognito-identity.amazonaws.com": aws.ToString(other.Token)}})
	apiErr(t, "another developer user's token", err, "NotAuthorizedException",
		"Logins don't match. Please include at least one valid login for this identity or identity pool.")
	_, err = l.adminCI.GetOpenIdTokenForDeveloperIdentity(ctx, &cisdk.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: aws.String(pool),
		IdentityId: other.IdentityId, Logins: map[string]string{dev: "user-42"}})
	apiErr(t, "linking a registered user to another identity", err, "DeveloperUserAlreadyRegisteredException",
		"The provided developer user identifier is already registered with Cognito under a different identity ID.")
	var dup *citypes.DeveloperUserAlreadyRegisteredException
	if !errors.As(err, &dup) {
		t.Errorf("%T is not the SDK's DeveloperUserAlreadyRegisteredException", err)
	}
	_, err = l.adminCI.GetOpenIdTokenForDeveloperIdentity(ctx, &cisdk.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: aws.String(pool),
		Logins: map[string]string{"login.other.app": "user-42"}})
	apiErr(t, "another developer provider", err, "InvalidParameterException", "Logins must contain the developer provider name "+dev+".")
	_, err = l.adminCI.GetOpenIdTokenForDeveloperIdentity(ctx, &cisdk.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: aws.String(l.pool),
		Logins: map[string]string{dev: "user-42"}})
	apiErr(t, "pool without a developer provider", err, "NotAuthorizedException", "Developer authentication is not enabled for this identity pool.")
	_, err = l.anonCI.GetOpenIdTokenForDeveloperIdentity(ctx, &cisdk.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: aws.String(pool),
		Logins: map[string]string{dev: "user-42"}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned GetOpenIdTokenForDeveloperIdentity: %v", err)
	}
	_, err = l.anonCI.GetId(ctx, &cisdk.GetIdInput{IdentityPoolId: aws.String(pool), Logins: map[string]string{dev: "user-42"}})
	apiErr(t, "developer provider as a GetId login", err, "NotAuthorizedException", "")

	// A social provider cannot be asked offline: refused with a message
	// that says so.
	social, err := l.adminCI.CreateIdentityPool(ctx, &cisdk.CreateIdentityPoolInput{IdentityPoolName: aws.String("social"),
		SupportedLoginProviders: map[string]string{"accounts.google.com": "123.apps.googleusercontent.com"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.anonCI.GetId(ctx, &cisdk.GetIdInput{IdentityPoolId: social.IdentityPoolId,
		Logins: map[string]string{"accounts.google.com": l.token(t, "alice", oidc.TokenOptions{})}})
	apiErr(t, "social provider login", err, "NotAuthorizedException", "")
	if !errors.As(err, &ae) || !strings.Contains(ae.ErrorMessage(), "accounts.google.com") {
		t.Errorf("social provider login: %v", err)
	}
}

// TestCognitoRoleMappingAWSCLI: the aws CLI's set-identity-pool-roles with
// --role-mappings, get-identity-pool-roles, get-credentials-for-identity
// with and without an allowed --custom-role-arn, set- and
// get-principal-tag-attribute-map, and get-open-id-token-for-developer-identity.
func TestCognitoRoleMappingAWSCLI(t *testing.T) {
	t.Parallel()
	l := newCILab(t)
	cli := newAWSCLI(t, l.srv.URL)
	admin := [3]string{l.admin.AccessKeyID, l.admin.SecretAccessKey}
	var created struct{ IdentityPoolId string }
	cli.mustJSON(admin, &created, "cognito-identity", "create-identity-pool", "--identity-pool-name", "cli",
		"--no-allow-unauthenticated-identities", "--open-id-connect-provider-arns", l.provider, "--developer-provider-name", "login.example.app")
	pool := created.IdentityPoolId
	def := l.createRole(t, "DefaultRole", taggingTrust(pool))
	reader := l.createRole(t, "ReaderRole", taggingTrust(pool))
	mappings := fmt.Sprintf(`{%q:{"Type":"Rules","AmbiguousRoleResolution":"Deny","RulesConfiguration":{"Rules":[
		{"Claim":"groups","MatchType":"Contains","Value":"readers","RoleARN":%q}]}}}`, l.login, reader)
	cli.mustJSON(admin, nil, "cognito-identity", "set-identity-pool-roles", "--identity-pool-id", pool,
		"--roles", "authenticated="+def, "--role-mappings", mappings)
	var roles struct {
		Roles        map[string]string
		RoleMappings map[string]struct {
			Type, AmbiguousRoleResolution string
			RulesConfiguration            struct {
				Rules []struct{ Claim, MatchType, Value, RoleARN string }
			}
		}
	}
	cli.mustJSON(admin, &roles, "cognito-identity", "get-identity-pool-roles", "--identity-pool-id", pool)
	m := roles.RoleMappings[l.login]
	if roles.Roles["authenticated"] != def || m.Type != "Rules" || m.AmbiguousRoleResolution != "Deny" ||
		len(m.RulesConfiguration.Rules) != 1 || m.RulesConfiguration.Rules[0].RoleARN != reader {
		t.Errorf("get-identity-pool-roles = %+v", roles)
	}
	var tags struct {
		UseDefaults   bool
		PrincipalTags map[string]string
	}
	cli.mustJSON(admin, &tags, "cognito-identity", "set-principal-tag-attribute-map", "--identity-pool-id", pool,
		"--identity-provider-name", l.login, "--use-defaults")
	if !tags.UseDefaults || tags.PrincipalTags["username"] != "sub" {
		t.Errorf("set-principal-tag-attribute-map = %+v", tags)
	}

	credsOf := func(user, custom string) (string, string, bool) {
		loginArg := l.login + "=" + l.token(t, user, oidc.TokenOptions{})
		var id struct{ IdentityId string }
		cli.mustJSON([3]string{}, &id, "cognito-identity", "get-id", "--identity-pool-id", pool, "--logins", loginArg)
		args := []string{"cognito-identity", "get-credentials-for-identity", "--identity-id", id.IdentityId, "--logins", loginArg}
		if custom != "" {
			args = append(args, "--custom-role-arn", custom)
		}
		return cli.run([3]string{}, args...)
	}
	callerOf := func(out string) string {
		var creds struct {
			Credentials struct{ AccessKeyId, SecretKey, SessionToken string }
		}
		if err := json.Unmarshal([]byte(out), &creds); err != nil {
			t.Fatalf("get-credentials-for-identity output: %v\n%s", err, out)
		}
		var who struct{ Arn string }
		cli.mustJSON([3]string{creds.Credentials.AccessKeyId, creds.Credentials.SecretKey, creds.Credentials.SessionToken}, &who,
			"sts", "get-caller-identity")
		return who.Arn
	}
	if out, errOut, ok := credsOf("bob", reader); !ok || callerOf(out) != sessionARN("ReaderRole") {
		t.Errorf("bob with --custom-role-arn ReaderRole: ok=%v %s", ok, errOut)
	}
	if _, errOut, ok := credsOf("alice", ""); ok || !strings.Contains(errOut,
		"An error occurred (NotAuthorizedException) when calling the GetCredentialsForIdentity operation: The ambiguous role mapping rules for: "+l.login+" denied this request.") {
		t.Errorf("alice, no rule matches: ok=%v stderr=%s", ok, errOut)
	}
	if _, errOut, ok := credsOf("bob", def); ok || !strings.Contains(errOut, "(NotAuthorizedException)") {
		t.Errorf("bob with a --custom-role-arn the rules do not allow: ok=%v stderr=%s", ok, errOut)
	}

	var dev struct{ IdentityId, Token string }
	cli.mustJSON(admin, &dev, "cognito-identity", "get-open-id-token-for-developer-identity", "--identity-pool-id", pool,
		"--logins", "login.example.app=user-42", "--principal-tags", "team=blue")
	out, errOut, ok := cli.run([3]string{}, "cognito-identity", "get-credentials-for-identity", "--identity-id", dev.IdentityId,
		"--logins", "cognito-identity.amazonaws.com="+dev.Token)
	if !ok || callerOf(out) != sessionARN("DefaultRole") {
		t.Errorf("developer identity's credentials: ok=%v %s", ok, errOut)
	}
}
