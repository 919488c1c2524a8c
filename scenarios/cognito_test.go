package scenarios_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cisdk "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/samlab-dev/samlab/idp/oidc"
)

// ciLab is a web identity lab (samlab's OIDC provider registered in IAM)
// with an identity pool that accepts that provider's tokens, and two roles
// that trust cognito-identity.amazonaws.com for the pool: AuthRole for
// authenticated identities, GuestRole for unauthenticated ones.
type ciLab struct {
	*wiLab
	login            string // the Logins key: the issuer URL without scheme
	authRole, unauth string
	pool             string // AllowUnauthenticatedIdentities false
	guestPool        string // AllowUnauthenticatedIdentities true
	adminCI, anonCI  *cisdk.Client
}

func cognitoTrust(pool, amr string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":%q},
		"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":%q}}}]}`, pool, amr)
}

func (l *ciLab) ciClient(creds aws.CredentialsProvider) *cisdk.Client {
	return cisdk.NewFromConfig(l.config(creds), func(o *cisdk.Options) { o.BaseEndpoint = aws.String(l.srv.URL) })
}

func (l *ciLab) createRole(t *testing.T, name, trust string) string {
	t.Helper()
	out, err := l.iamClient(l.adminCreds()).CreateRole(t.Context(), &iamsdk.CreateRoleInput{RoleName: aws.String(name),
		AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
	return aws.ToString(out.Role.Arn)
}

func (l *ciLab) createPool(t *testing.T, name string, unauth bool, roles map[string]string) string {
	t.Helper()
	ctx := t.Context()
	out, err := l.adminCI.CreateIdentityPool(ctx, &cisdk.CreateIdentityPoolInput{IdentityPoolName: aws.String(name),
		AllowUnauthenticatedIdentities: unauth, OpenIdConnectProviderARNs: []string{l.provider}})
	if err != nil {
		t.Fatalf("CreateIdentityPool %s: %v", name, err)
	}
	id := aws.ToString(out.IdentityPoolId)
	if roles != nil {
		if _, err := l.adminCI.SetIdentityPoolRoles(ctx, &cisdk.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(id), Roles: roles}); err != nil {
			t.Fatalf("SetIdentityPoolRoles: %v", err)
		}
	}
	return id
}

func newCILab(t *testing.T) *ciLab {
	t.Helper()
	l := &ciLab{wiLab: newWILab(t, nil)}
	l.login = strings.TrimPrefix(l.issuer, "http://")
	l.adminCI, l.anonCI = l.ciClient(l.adminCreds()), l.ciClient(nil)
	// Role ARNs are known before the pools exist; the trust policies name
	// the pools, so the roles are created after them.
	acct := "arn:aws:iam::123456789012:role/"
	l.pool = l.createPool(t, "members", false, map[string]string{"authenticated": acct + "AuthRole"})
	l.guestPool = l.createPool(t, "guests", true, map[string]string{"authenticated": acct + "AuthRole", "unauthenticated": acct + "GuestRole"})
	l.authRole = l.createRole(t, "AuthRole", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":[%q,%q]},
		"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}]}`, l.pool, l.guestPool))
	l.unauth = l.createRole(t, "GuestRole", cognitoTrust(l.guestPool, "unauthenticated"))
	return l
}

func (l *ciLab) logins(t *testing.T, opts oidc.TokenOptions) map[string]string {
	return map[string]string{l.login: l.token(t, "alice", opts)}
}

// apiErr asserts err is the API error code with message msg (msg "" skips
// the message) and HTTP status 400.
func apiErr(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("%s: err = %v, want %s", what, err, code)
	}
	if ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Errorf("%s: %s %q, want %s %q", what, ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != http.StatusBadRequest {
		t.Errorf("%s: HTTP %d, want 400", what, re.HTTPStatusCode())
	}
}

func claimsOf(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCognitoAuthenticatedFlow runs the enhanced flow with the SDK's
// cognito-identity client and a token from samlab's OIDC provider, then the
// basic flow (GetOpenIdToken + AssumeRoleWithWebIdentity), and uses the
// credentials with GetCallerIdentity.
func TestCognitoAuthenticatedFlow(t *testing.T) {
	t.Parallel()
	l := newCILab(t)
	ctx := t.Context()

	desc, err := l.adminCI.DescribeIdentityPool(ctx, &cisdk.DescribeIdentityPoolInput{IdentityPoolId: aws.String(l.pool)})
	if err != nil {
		t.Fatalf("DescribeIdentityPool: %v", err)
	}
	if aws.ToString(desc.IdentityPoolName) != "members" || desc.AllowUnauthenticatedIdentities ||
		len(desc.OpenIdConnectProviderARNs) != 1 || desc.OpenIdConnectProviderARNs[0] != l.provider ||
		!strings.HasPrefix(l.pool, "us-east-1:") {
		t.Errorf("DescribeIdentityPool = %+v (id %s)", desc, l.pool)
	}
	roles, err := l.adminCI.GetIdentityPoolRoles(ctx, &cisdk.GetIdentityPoolRolesInput{IdentityPoolId: aws.String(l.guestPool)})
	if err != nil || roles.Roles["authenticated"] != l.authRole || roles.Roles["unauthenticated"] != l.unauth {
		t.Errorf("GetIdentityPoolRoles = %+v, %v", roles, err)
	}
	list, err := l.adminCI.ListIdentityPools(ctx, &cisdk.ListIdentityPoolsInput{MaxResults: aws.Int32(1)})
	if err != nil || len(list.IdentityPools) != 1 || aws.ToString(list.IdentityPools[0].IdentityPoolId) != l.pool || list.NextToken == nil {
		t.Fatalf("ListIdentityPools page 1 = %+v, %v", list, err)
	}
	list, err = l.adminCI.ListIdentityPools(ctx, &cisdk.ListIdentityPoolsInput{MaxResults: aws.Int32(1), NextToken: list.NextToken})
	if err != nil || len(list.IdentityPools) != 1 || aws.ToString(list.IdentityPools[0].IdentityPoolName) != "guests" || list.NextToken != nil {
		t.Fatalf("ListIdentityPools page 2 = %+v, %v", list, err)
	}

	// Enhanced flow: GetId, then GetCredentialsForIdentity, unsigned.
	logins := l.logins(t, oidc.TokenOptions{})
	id, err := l.anonCI.GetId(ctx, &cisdk.GetIdInput{IdentityPoolId: aws.String(l.pool), Logins: logins})
	if err != nil {
		t.Fatalf("GetId: %v", err)
	}
	again, err := l.anonCI.GetId(ctx, &cisdk.GetIdInput{IdentityPoolId: aws.String(l.pool), Logins: l.logins(t, oidc.TokenOptions{})})
	if err != nil || aws.ToString(again.IdentityId) != aws.ToString(id.IdentityId) {
		t.Errorf("GetId for the same login again = %v, %v; want %s", again, err, aws.ToString(id.IdentityId))
	}
	creds, err := l.anonCI.GetCredentialsForIdentity(ctx, &cisdk.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins})
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity: %v", err)
	}
	c := creds.Credentials
	if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || aws.ToString(c.SecretKey) == "" || aws.ToString(c.SessionToken) == "" ||
		c.Expiration == nil || !c.Expiration.Equal(l.lab.Clock.Now().Add(time.Hour).Truncate(time.Second)) ||
		aws.ToString(creds.IdentityId) != aws.ToString(id.IdentityId) {
		t.Errorf("GetCredentialsForIdentity = %+v, credentials %+v", creds, c)
	}
	who, err := l.stsClient(credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretKey),
		aws.ToString(c.SessionToken))).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with the pool's credentials: %v", err)
	}
	if got := aws.ToString(who.Arn); got != "arn:aws:sts::123456789012:assumed-role/AuthRole/CognitoIdentityCredentials" {
		t.Errorf("GetCallerIdentity Arn = %s", got)
	}

	// Without its login, an authenticated identity is refused.
	_, err = l.anonCI.GetCredentialsForIdentity(ctx, &cisdk.GetCredentialsForIdentityInput{IdentityId: id.IdentityId})
	apiErr(t, "authenticated identity without logins", err, "NotAuthorizedException",
		fmt.Sprintf("Access to Identity '%s' is forbidden.", aws.ToString(id.IdentityId)))

	// Basic flow: GetOpenIdToken, then STS with the Cognito token.
	oid, err := l.anonCI.GetOpenIdToken(ctx, &cisdk.GetOpenIdTokenInput{IdentityId: id.IdentityId, Logins: logins})
	if err != nil {
		t.Fatalf("GetOpenIdToken: %v", err)
	}
	cl := claimsOf(t, aws.ToString(oid.Token))
	amr, _ := cl["amr"].([]any)
	if cl["iss"] != "https://cognito-identity.amazonaws.com" || cl["aud"] != l.pool || cl["sub"] != aws.ToString(id.IdentityId) ||
		len(amr) != 3 || amr[0] != "authenticated" || amr[1] != l.login || amr[2] != l.login+":OIDC:alice" ||
		cl["https://cognito-identity.amazonaws.com/identity-pool-arn"] != "arn:aws:cognito-identity:us-east-1:123456789012:identitypool/"+l.pool {
		t.Errorf("Cognito token claims = %v", cl)
	}
	out, err := l.anonSTS().AssumeRoleWithWebIdentity(ctx, &stssdk.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(l.authRole),
		RoleSessionName: aws.String("basic"), WebIdentityToken: oid.Token})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity with the Cognito token: %v", err)
	}
	if aws.ToString(out.Provider) != "cognito-identity.amazonaws.com" || aws.ToString(out.Audience) != l.pool ||
		aws.ToString(out.SubjectFromWebIdentityToken) != aws.ToString(id.IdentityId) {
		t.Errorf("AssumeRoleWithWebIdentity = provider %s audience %s subject %s", aws.ToString(out.Provider),
			aws.ToString(out.Audience), aws.ToString(out.SubjectFromWebIdentityToken))
	}
	// The Cognito token is refused once it expires (15 minutes).
	l.lab.Clock.Advance(16 * time.Minute)
	_, err = l.anonSTS().AssumeRoleWithWebIdentity(ctx, &stssdk.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(l.authRole),
		RoleSessionName: aws.String("basic"), WebIdentityToken: oid.Token})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ExpiredTokenException" {
		t.Errorf("expired Cognito token: %v", err)
	}
}

// TestCognitoUnauthenticated: guests get the unauthenticated role where the
// pool allows them and AWS's refusal where it does not.
func TestCognitoUnauthenticated(t *testing.T) {
	t.Parallel()
	l := newCILab(t)
	ctx := t.Context()
	id, err := l.anonCI.GetId(ctx, &cisdk.GetIdInput{IdentityPoolId: aws.String(l.guestPool)})
	if err != nil {
		t.Fatalf("GetId (guest): %v", err)
	}
	creds, err := l.anonCI.GetCredentialsForIdentity(ctx, &cisdk.GetCredentialsForIdentityInput{IdentityId: id.IdentityId})
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity (guest): %v", err)
	}
	c := creds.Credentials
	who, err := l.stsClient(credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretKey),
		aws.ToString(c.SessionToken))).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:sts::123456789012:assumed-role/GuestRole/CognitoIdentityCredentials" {
		t.Errorf("GetCallerIdentity (guest) = %v, %v", who, err)
	}
	oid, err := l.anonCI.GetOpenIdToken(ctx, &cisdk.GetOpenIdTokenInput{IdentityId: id.IdentityId})
	if err != nil {
		t.Fatalf("GetOpenIdToken (guest): %v", err)
	}
	if amr, _ := claimsOf(t, aws.ToString(oid.Token))["amr"].([]any); len(amr) != 1 || amr[0] != "unauthenticated" {
		t.Errorf("guest token amr = %v", amr)
	}
	// A guest logging in is linked: the same identity, now authenticated.
	logins := l.logins(t, oidc.TokenOptions{})
	creds, err = l.anonCI.GetCredentialsForIdentity(ctx, &cisdk.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins})
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity (guest logs in): %v", err)
	}
	c = creds.Credentials
	who, err = l.stsClient(credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretKey),
		aws.ToString(c.SessionToken))).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:sts::123456789012:assumed-role/AuthRole/CognitoIdentityCredentials" {
		t.Errorf("GetCallerIdentity (guest logged in) = %v, %v", who, err)
	}
	// Now authenticated, the identity is refused without its login.
	_, err = l.anonCI.GetCredentialsForIdentity(ctx, &cisdk.GetCredentialsForIdentityInput{IdentityId: id.IdentityId})
	apiErr(t, "linked identity without logins", err, "NotAuthorizedException", "Access to Identity '"+aws.ToString(id.IdentityId)+"' is forbidden.")
	again, err := l.anonCI.GetId(ctx, &cisdk.GetIdInput{IdentityPoolId: aws.String(l.guestPool), Logins: logins})
	if err != nil || aws.ToString(again.IdentityId) != aws.ToString(id.IdentityId) {
		t.Errorf("GetId after linking = %v, %v; want %s", again, err, aws.ToString(id.IdentityId))
	}

	// Denied: the members pool does not allow guests.
	_, err = l.anonCI.GetId(ctx, &cisdk.GetIdInput{IdentityPoolId: aws.String(l.pool)})
	apiErr(t, "GetId without logins", err, "NotAuthorizedException", "Unauthenticated access is not supported for this identity pool.")
	var na *citypes.NotAuthorizedException
	if !errors.As(err, &na) {
		t.Errorf("GetId without logins: %T is not the SDK's NotAuthorizedException", err)
	}
	// The fix: UpdateIdentityPool allows guests (roles are kept), and the
	// members pool then issues guest identities; their role is missing, so
	// credentials are refused until an unauthenticated role is set.
	desc, err := l.adminCI.DescribeIdentityPool(ctx, &cisdk.DescribeIdentityPoolInput{IdentityPoolId: aws.String(l.pool)})
	if err != nil {
		t.Fatal(err)
	}
	upd, err := l.adminCI.UpdateIdentityPool(ctx, &cisdk.UpdateIdentityPoolInput{IdentityPoolId: desc.IdentityPoolId,
		IdentityPoolName: desc.IdentityPoolName, AllowUnauthenticatedIdentities: true, OpenIdConnectProviderARNs: desc.OpenIdConnectProviderARNs})
	if err != nil || !upd.AllowUnauthenticatedIdentities || aws.ToString(upd.IdentityPoolName) != "members" {
		t.Fatalf("UpdateIdentityPool = %+v, %v", upd, err)
	}
	member, err := l.anonCI.GetId(ctx, &cisdk.GetIdInput{IdentityPoolId: aws.String(l.pool)})
	if err != nil {
		t.Fatalf("GetId after allowing guests: %v", err)
	}
	_, err = l.anonCI.GetCredentialsForIdentity(ctx, &cisdk.GetCredentialsForIdentityInput{IdentityId: member.IdentityId})
	apiErr(t, "guest of a pool without an unauthenticated role", err, "InvalidIdentityPoolConfigurationException", "")
	if roles, err := l.adminCI.GetIdentityPoolRoles(ctx, &cisdk.GetIdentityPoolRolesInput{IdentityPoolId: aws.String(l.pool)}); err != nil ||
		roles.Roles["authenticated"] != l.authRole {
		t.Errorf("roles after UpdateIdentityPool = %v, %v", roles, err)
	}
	// DescribeIdentity and ListIdentities show the guest pool's identity,
	// now linked to its login.
	di, err := l.adminCI.DescribeIdentity(ctx, &cisdk.DescribeIdentityInput{IdentityId: id.IdentityId})
	if err != nil || len(di.Logins) != 1 || di.Logins[0] != l.login || di.CreationDate == nil || di.LastModifiedDate == nil {
		t.Errorf("DescribeIdentity = %+v, %v", di, err)
	}
	li, err := l.adminCI.ListIdentities(ctx, &cisdk.ListIdentitiesInput{IdentityPoolId: aws.String(l.guestPool), MaxResults: aws.Int32(10)})
	if err != nil || len(li.Identities) != 1 || aws.ToString(li.Identities[0].IdentityId) != aws.ToString(id.IdentityId) {
		t.Errorf("ListIdentities = %+v, %v", li, err)
	}
	// A pool without an unauthenticated role, even if it allows guests.
	bare := l.createPool(t, "bare", true, nil)
	gid, err := l.anonCI.GetId(ctx, &cisdk.GetIdInput{IdentityPoolId: aws.String(bare)})
	if err != nil {
		t.Fatalf("GetId (bare): %v", err)
	}
	_, err = l.anonCI.GetCredentialsForIdentity(ctx, &cisdk.GetCredentialsForIdentityInput{IdentityId: gid.IdentityId})
	apiErr(t, "no unauthenticated role", err, "InvalidIdentityPoolConfigurationException",
		"Invalid identity pool configuration. Check assigned IAM roles for this pool.")
}

// TestCognitoErrors: wrong pools and identities, bad logins, a trust policy
// for another pool, signed operations unsigned, the basic flow disabled.
func TestCognitoErrors(t *testing.T) {
	t.Parallel()
	l := newCILab(t)
	ctx := t.Context()
	missing := "us-east-1:00000000-0000-4000-8000-000000000000"
	_, err := l.anonCI.GetId(ctx, &cisdk.GetIdInput{IdentityPoolId: aws.String(missing), Logins: l.logins(t, oidc.TokenOptions{})})
	apiErr(t, "GetId wrong pool", err, "ResourceNotFoundException", "IdentityPool '"+missing+"' not found.")
	var rnf *citypes.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("GetId wrong pool: %T is not the SDK's ResourceNotFoundException", err)
	}
	_, err = l.anonCI.GetId(ctx, &cisdk.GetIdInput{IdentityPoolId: aws.String("us-east-1_AbCdEf")})
	apiErr(t, "GetId user pool ID", err, "ValidationException",
		`1 validation error detected: Value 'us-east-1_AbCdEf' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+`)
	_, err = l.anonCI.GetCredentialsForIdentity(ctx, &cisdk.GetCredentialsForIdentityInput{IdentityId: aws.String(missing)})
	apiErr(t, "unknown identity", err, "ResourceNotFoundException", "Identity '"+missing+"' not found.")
	_, err = l.adminCI.DescribeIdentityPool(ctx, &cisdk.DescribeIdentityPoolInput{IdentityPoolId: aws.String(missing)})
	apiErr(t, "DescribeIdentityPool wrong pool", err, "ResourceNotFoundException", "IdentityPool '"+missing+"' not found.")

	now := l.lab.Clock.Now()
	badLogins := []struct {
		name   string
		logins map[string]string
		code   string
		msg    string
	}{
		{"expired", l.logins(t, oidc.TokenOptions{Lifetime: time.Minute, Now: now.Add(-2 * time.Minute)}), "NotAuthorizedException",
			fmt.Sprintf("Invalid login token. Token expired: %d >= %d", now.Unix(), now.Add(-time.Minute).Unix())},
		{"tampered", l.logins(t, oidc.TokenOptions{Fault: oidc.FaultTamper}), "NotAuthorizedException", "Invalid login token. Couldn't verify signed token."},
		{"wrong audience", l.logins(t, oidc.TokenOptions{Fault: oidc.FaultWrongAudience}), "NotAuthorizedException", "Invalid login token. Incorrect token audience."},
		{"issuer is not the key", map[string]string{l.login: l.token(t, "alice", oidc.TokenOptions{Fault: oidc.FaultWrongIssuer})},
			"NotAuthorizedException", "Invalid login token. Issuer doesn't match providerName"},
		{"provider not in the pool", map[string]string{"accounts.example.com": l.token(t, "alice", oidc.TokenOptions{})},
			"NotAuthorizedException", "Token is not from a supported provider of this identity pool."},
		{"no aud", l.logins(t, oidc.TokenOptions{Fault: oidc.FaultNoAudience}), "NotAuthorizedException", "Invalid login token. Missing a required claim: aud"},
		{"not a JWT", map[string]string{l.login: "not-a-token"}, "NotAuthorizedException", ""},
	}
	for _, tc := range badLogins {
		_, err := l.anonCI.GetId(ctx, &cisdk.GetIdInput{IdentityPoolId: aws.String(l.pool), Logins: tc.logins})
		apiErr(t, "GetId "+tc.name, err, tc.code, tc.msg)
	}

	// A role whose trust policy names another pool: the enhanced flow gets
	// Cognito's configuration error, the basic flow STS's AccessDenied.
	other := l.createRole(t, "OtherPoolRole", cognitoTrust("us-east-1:11111111-1111-4111-8111-111111111111", "authenticated"))
	pool := l.createPool(t, "misconfigured", false, map[string]string{"authenticated": other})
	logins := l.logins(t, oidc.TokenOptions{})
	id, err := l.anonCI.GetId(ctx, &cisdk.GetIdInput{IdentityPoolId: aws.String(pool), Logins: logins})
	if err != nil {
		t.Fatalf("GetId: %v", err)
	}
	_, err = l.anonCI.GetCredentialsForIdentity(ctx, &cisdk.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins})
	apiErr(t, "trust policy for another pool", err, "InvalidIdentityPoolConfigurationException",
		"Invalid identity pool configuration. Check assigned IAM roles for this pool.")
	var ipc *citypes.InvalidIdentityPoolConfigurationException
	if !errors.As(err, &ipc) {
		t.Errorf("%T is not the SDK's InvalidIdentityPoolConfigurationException", err)
	}
	oid, err := l.anonCI.GetOpenIdToken(ctx, &cisdk.GetOpenIdTokenInput{IdentityId: id.IdentityId, Logins: logins})
	if err != nil {
		t.Fatalf("GetOpenIdToken: %v", err)
	}
	_, err = l.anonSTS().AssumeRoleWithWebIdentity(ctx, &stssdk.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(other),
		RoleSessionName: aws.String("basic"), WebIdentityToken: oid.Token})
	var ae smithy.APIError
	var re *smithyhttp.ResponseError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" || ae.ErrorMessage() != "Not authorized to perform sts:AssumeRoleWithWebIdentity" ||
		!errors.As(err, &re) || re.HTTPStatusCode() != http.StatusForbidden {
		t.Errorf("AssumeRoleWithWebIdentity, aud mismatch: %v", err)
	}
	// The same identity's token is good for a role that trusts the pool…
	if _, err := l.anonSTS().AssumeRoleWithWebIdentity(ctx, &stssdk.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(
		l.createRole(t, "RightPoolRole", cognitoTrust(pool, "authenticated"))), RoleSessionName: aws.String("basic"), WebIdentityToken: oid.Token}); err != nil {
		t.Errorf("AssumeRoleWithWebIdentity, aud matching: %v", err)
	}
	// …but not for one that wants guests only.
	_, err = l.anonSTS().AssumeRoleWithWebIdentity(ctx, &stssdk.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(
		l.createRole(t, "GuestsOnly", cognitoTrust(pool, "unauthenticated"))), RoleSessionName: aws.String("basic"), WebIdentityToken: oid.Token})
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Errorf("AssumeRoleWithWebIdentity, amr mismatch: %v", err)
	}
	// A token signed by another key under the Cognito issuer is refused.
	parts := strings.Split(aws.ToString(oid.Token), ".")
	forged := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 512))
	_, err = l.anonSTS().AssumeRoleWithWebIdentity(ctx, &stssdk.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(l.authRole),
		RoleSessionName: aws.String("basic"), WebIdentityToken: aws.String(forged)})
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidIdentityToken" {
		t.Errorf("forged Cognito token: %v", err)
	}

	// Pool management is signed.
	_, err = l.anonCI.CreateIdentityPool(ctx, &cisdk.CreateIdentityPoolInput{IdentityPoolName: aws.String("x"), AllowUnauthenticatedIdentities: true})
	if !errors.As(err, &ae) || ae.ErrorCode() != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned CreateIdentityPool: %v", err)
	}
	_, err = l.adminCI.CreateIdentityPool(ctx, &cisdk.CreateIdentityPoolInput{IdentityPoolName: aws.String("bad/name"), AllowUnauthenticatedIdentities: true})
	apiErr(t, "pool name", err, "ValidationException",
		`1 validation error detected: Value 'bad/name' at 'identityPoolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w\s+=,.@-]+`)
	_, err = l.adminCI.SetIdentityPoolRoles(ctx, &cisdk.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(pool),
		Roles: map[string]string{"admin": other}})
	apiErr(t, "role key", err, "ValidationException", "")

	// AllowClassicFlow false: GetOpenIdToken is refused.
	out, err := l.adminCI.CreateIdentityPool(ctx, &cisdk.CreateIdentityPoolInput{IdentityPoolName: aws.String("enhanced only"),
		AllowUnauthenticatedIdentities: true, AllowClassicFlow: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	gid, err := l.anonCI.GetId(ctx, &cisdk.GetIdInput{IdentityPoolId: out.IdentityPoolId})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.anonCI.GetOpenIdToken(ctx, &cisdk.GetOpenIdTokenInput{IdentityId: gid.IdentityId})
	apiErr(t, "classic flow disabled", err, "InvalidParameterException", "Basic (classic) flow is not enabled, please use enhanced flow.")

	// Deleting a pool deletes its identities.
	if _, err := l.adminCI.DeleteIdentityPool(ctx, &cisdk.DeleteIdentityPoolInput{IdentityPoolId: aws.String(pool)}); err != nil {
		t.Fatalf("DeleteIdentityPool: %v", err)
	}
	_, err = l.anonCI.GetCredentialsForIdentity(ctx, &cisdk.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins})
	apiErr(t, "identity of a deleted pool", err, "ResourceNotFoundException", "Identity '"+aws.ToString(id.IdentityId)+"' not found.")
}

// TestCognitoAWSCLI: the aws CLI's cognito-identity get-id and
// get-credentials-for-identity, then sts get-caller-identity with the result.
func TestCognitoAWSCLI(t *testing.T) {
	t.Parallel()
	l := newCILab(t)
	cli := newAWSCLI(t, l.srv.URL)
	loginArg := l.login + "=" + l.token(t, "alice", oidc.TokenOptions{})
	var id struct{ IdentityId string }
	cli.mustJSON([3]string{}, &id, "cognito-identity", "get-id", "--identity-pool-id", l.pool, "--logins", loginArg)
	if !strings.HasPrefix(id.IdentityId, "us-east-1:") {
		t.Fatalf("get-id = %+v", id)
	}
	var creds struct {
		IdentityId  string
		Credentials struct{ AccessKeyId, SecretKey, SessionToken, Expiration string }
	}
	cli.mustJSON([3]string{}, &creds, "cognito-identity", "get-credentials-for-identity", "--identity-id", id.IdentityId, "--logins", loginArg)
	if creds.IdentityId != id.IdentityId || !strings.HasPrefix(creds.Credentials.AccessKeyId, "ASIA") || creds.Credentials.Expiration == "" {
		t.Fatalf("get-credentials-for-identity = %+v", creds)
	}
	var who struct{ Arn string }
	cli.mustJSON([3]string{creds.Credentials.AccessKeyId, creds.Credentials.SecretKey, creds.Credentials.SessionToken}, &who,
		"sts", "get-caller-identity")
	if who.Arn != "arn:aws:sts::123456789012:assumed-role/AuthRole/CognitoIdentityCredentials" {
		t.Errorf("get-caller-identity = %+v", who)
	}
	_, errOut, ok := cli.run([3]string{}, "cognito-identity", "get-id", "--identity-pool-id", l.pool)
	if ok || !strings.Contains(errOut, "An error occurred (NotAuthorizedException) when calling the GetId operation: Unauthenticated access is not supported for this identity pool.") {
		t.Errorf("get-id without logins: ok=%v stderr=%s", ok, errOut)
	}
}
