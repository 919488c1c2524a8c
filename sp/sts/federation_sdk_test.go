package sts

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/policy"
)

const (
	fedAccount  = "123456789012"
	fedUserARN  = "arn:aws:iam::123456789012:user/dev"
	fedUserID   = "AIDAQ3EGDEVUSERID001"
	fedRoleARN  = "arn:aws:iam::123456789012:role/Dev"
	fedSecret   = "dev-secret-access-key"
	fedRoleName = "Dev"
)

// fedEnv is an STS serving the caller-authenticated operations over
// loopback, with one IAM user (dev) whose long-term key the router knows,
// and a role Dev that trusts dev.
type fedEnv struct {
	srv        *httptest.Server
	svc        *Service
	acct       *iam.Account
	now        time.Time
	userKey    string
	userPolicy string
}

// fedUserPolicy allows dev what the tests call: AssumeRole on Dev,
// GetFederationToken, GetAccessKeyInfo and DecodeAuthorizationMessage,
// and tagging sessions.
const fedUserPolicy = `{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Resource":"arn:aws:iam::123456789012:role/*"},
{"Effect":"Allow","Action":["sts:GetFederationToken","sts:TagSession","sts:GetAccessKeyInfo","sts:DecodeAuthorizationMessage"],"Resource":"*"}]}`

// fedTrust lets dev assume Dev with tags and a source identity, as long as
// the session name is not "blocked".
const fedTrust = `{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/dev"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],
 "Condition":{"StringNotEquals":{"sts:RoleSessionName":"blocked"}}},
{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/Dev"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`

// fedRolePolicy lets Dev sessions assume Dev again (role chaining).
const fedRolePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity","sts:GetAccessKeyInfo"],"Resource":"*"}]}`

func newFedEnv(t *testing.T) *fedEnv {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	clock := func() time.Time { return now }
	acct := iam.NewAccount(iam.Config{ID: fedAccount, Now: clock})
	if _, err := acct.CreateRole(iam.CreateRoleInput{Name: fedRoleName, AssumeRolePolicyDocument: fedTrust, MaxSessionDuration: 7200,
		Tags: []awsapi.Tag{{Key: "team", Value: "red"}}}); err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	if err := acct.PutRolePolicy(fedRoleName, "chain", fedRolePolicy); err != nil {
		t.Fatalf("PutRolePolicy: %v", err)
	}
	svc, err := New(Config{Account: acct, Now: clock})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e := &fedEnv{svc: svc, acct: acct, now: now, userPolicy: fedUserPolicy}
	e.userKey, err = awsapi.NewAccessKeyIDFor(rand.Reader, "AKIA", fedAccount)
	if err != nil {
		t.Fatal(err)
	}
	users := UserPoliciesFunc(func(userARN string) ([]*policy.Policy, *policy.Policy, error) {
		if userARN != fedUserARN {
			return nil, nil, nil
		}
		p, err := policy.Parse(e.userPolicy, policy.KindIdentity)
		if err != nil {
			return nil, nil, err
		}
		return []*policy.Policy{p}, nil, nil
	})
	f := svc.NewFederation(FederationConfig{Users: users, MFA: fixedMFA{device: true, valid: true}})
	// The IAM user's long-term key, as IAM's key store would answer for
	// it; everything else is a session token STS issued.
	creds := func(ctx context.Context, akid, token string) (awsapi.Credential, bool) {
		if akid == e.userKey && token == "" {
			return awsapi.Credential{AccessKeyID: akid, SecretAccessKey: fedSecret,
				Caller: awsapi.Caller{Type: "IAMUser", PrincipalID: fedUserID, ARN: fedUserARN, AccountID: fedAccount, AccessKeyID: akid}}, true
		}
		return svc.Credential(ctx, akid, token)
	}
	router, err := awsapi.NewRouter(awsapi.RouterConfig{Operations: append(svc.Operations(), f.Operations()...), Credentials: creds, Now: clock})
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	e.srv = httptest.NewServer(router)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *fedEnv) client(creds aws.CredentialsProvider) *awssts.Client {
	return awssts.New(awssts.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.srv.URL), Credentials: creds,
		HTTPClient: e.srv.Client(), RetryMaxAttempts: 1})
}

func (e *fedEnv) user() *awssts.Client {
	return e.client(credentials.NewStaticCredentialsProvider(e.userKey, fedSecret, ""))
}

func sessionClient(e *fedEnv, c *ststypes.Credentials) *awssts.Client {
	return e.client(credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
}

// wantSDKError asserts err is AWS's error code with message (msg "" for any).
func wantSDKError(t *testing.T, what string, err error, code awsapi.Code, msg string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != string(code) || (msg != "" && apiErr.ErrorMessage() != msg) {
		t.Errorf("%s = %v, want %s %q", what, err, code, msg)
	}
}

// TestAssumeRoleWithTheSDK drives AssumeRole over loopback with the SDK:
// an IAM user assumes a role with tags, a source identity and a session
// policy, chains from that session, and each check of the operation
// refuses with AWS's code and message.
func TestAssumeRoleWithTheSDK(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	user := e.user()
	ctx := t.Context()
	const sessionPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:*","Resource":"*"}]}`
	out, err := user.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(fedRoleARN), RoleSessionName: aws.String("s1"),
		DurationSeconds: aws.Int32(7200), SourceIdentity: aws.String("alice"), Policy: aws.String(sessionPolicy),
		Tags: []ststypes.Tag{{Key: aws.String("project"), Value: aws.String("x")}}, TransitiveTagKeys: []string{"project"},
		ExternalId: aws.String("ext-1")})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	const assumed = "arn:aws:sts::123456789012:assumed-role/Dev/s1"
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != assumed {
		t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, assumed)
	}
	role, err := e.acct.RoleByARN(fedRoleARN)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.AssumedRoleUser.AssumedRoleId), role.RoleID+":s1"; got != want {
		t.Errorf("AssumedRoleId = %q, want %q", got, want)
	}
	if got, want := aws.ToTime(out.Credentials.Expiration), e.now.Add(2*time.Hour); !got.Equal(want) {
		t.Errorf("Expiration = %s, want %s", got, want)
	}
	if aws.ToString(out.SourceIdentity) != "alice" {
		t.Errorf("SourceIdentity = %q, want alice", aws.ToString(out.SourceIdentity))
	}
	//lint:ignore SA1019 STS still returns PackedPolicySize, which samlab serves.
	packed := out.PackedPolicySize
	if packed == nil || *packed <= 0 || *packed > 100 {
		t.Errorf("PackedPolicySize = %v, want a percentage", packed)
	}
	id, err := sessionClient(e, out.Credentials).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != assumed {
		t.Fatalf("GetCallerIdentity of the session = %v, %v; want %s", id, err, assumed)
	}
	sess, err := e.svc.Session(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SessionToken))
	if err != nil {
		t.Fatal(err)
	}
	if sess.Tags["project"] != "x" || strings.Join(sess.TransitiveTagKeys, ",") != "project" || sess.Chained || sess.Policy != sessionPolicy {
		t.Errorf("session tags %v transitive %v chained %v policy %q", sess.Tags, sess.TransitiveTagKeys, sess.Chained, sess.Policy)
	}

	// Default duration: one hour.
	def, err := user.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(fedRoleARN), RoleSessionName: aws.String("s2")})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	if got, want := aws.ToTime(def.Credentials.Expiration), e.now.Add(time.Hour); !got.Equal(want) {
		t.Errorf("default Expiration = %s, want %s", got, want)
	}
	//lint:ignore SA1019 STS still returns PackedPolicySize, which samlab serves.
	if packed := def.PackedPolicySize; packed != nil || def.SourceIdentity != nil {
		t.Errorf("PackedPolicySize %v, SourceIdentity %v; want both absent", packed, def.SourceIdentity)
	}

	// Role chaining from the first session: the source identity and the
	// transitive tag carry over, an hour at most.
	chain := sessionClient(e, out.Credentials)
	_, err = chain.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(fedRoleARN), RoleSessionName: aws.String("c1"), DurationSeconds: aws.Int32(3601)})
	wantSDKError(t, "chained AssumeRole for 3601 s", err, awsapi.CodeValidation, msgChainedDuration)
	chained, err := chain.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(fedRoleARN), RoleSessionName: aws.String("c1"), DurationSeconds: aws.Int32(3600)})
	if err != nil {
		t.Fatalf("chained AssumeRole: %v", err)
	}
	if aws.ToString(chained.SourceIdentity) != "alice" {
		t.Errorf("chained SourceIdentity = %q, want alice (inherited)", aws.ToString(chained.SourceIdentity))
	}
	cs, err := e.svc.Session(aws.ToString(chained.Credentials.AccessKeyId), aws.ToString(chained.Credentials.SessionToken))
	if err != nil {
		t.Fatal(err)
	}
	if !cs.Chained || cs.Tags["project"] != "x" || cs.SourceIdentity != "alice" {
		t.Errorf("chained session: chained %v tags %v source identity %q", cs.Chained, cs.Tags, cs.SourceIdentity)
	}
	_, err = chain.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(fedRoleARN), RoleSessionName: aws.String("c2"), SourceIdentity: aws.String("bob")})
	wantSDKError(t, "chained AssumeRole changing SourceIdentity", err, awsapi.CodeValidation, msgSourceIdentityChanged)
	_, err = chain.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(fedRoleARN), RoleSessionName: aws.String("c3"), SourceIdentity: aws.String("alice")})
	if err != nil {
		t.Errorf("chained AssumeRole repeating SourceIdentity: %v", err)
	}
	_, err = chain.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(fedRoleARN), RoleSessionName: aws.String("c4"),
		Tags: []ststypes.Tag{{Key: aws.String("Project"), Value: aws.String("y")}}})
	wantSDKError(t, "chained AssumeRole overriding a transitive tag", err, awsapi.CodeValidation, msgTransitiveOverride)

	for _, tt := range []struct {
		name string
		in   awssts.AssumeRoleInput
		code awsapi.Code
		msg  string
	}{
		{"a user ARN", awssts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:user/dev"), RoleSessionName: aws.String("s9")},
			awsapi.CodeValidation, msgRoleARN},
		// The model's pattern has no ':', so an "aws:" prefix fails it first.
		{"an aws: source identity", awssts.AssumeRoleInput{RoleArn: aws.String(fedRoleARN), RoleSessionName: aws.String("s9"), SourceIdentity: aws.String("AWS:x")},
			awsapi.CodeValidation, "1 validation error detected: Value 'AWS:x' at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"},
		{"over the role's maximum", awssts.AssumeRoleInput{RoleArn: aws.String(fedRoleARN), RoleSessionName: aws.String("s9"), DurationSeconds: aws.Int32(7201)},
			awsapi.CodeValidation, msgDurationExceedsMax},
		{"a role that does not exist", awssts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/Nope"), RoleSessionName: aws.String("s9")},
			awsapi.CodeAccessDenied, ""},
		{"a role of another account", awssts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::210987654321:role/Dev"), RoleSessionName: aws.String("s9")},
			awsapi.CodeAccessDenied, ""},
		{"a session name the trust policy refuses", awssts.AssumeRoleInput{RoleArn: aws.String(fedRoleARN), RoleSessionName: aws.String("blocked")},
			awsapi.CodeAccessDenied, ""},
		{"a transitive key that is no tag", awssts.AssumeRoleInput{RoleArn: aws.String(fedRoleARN), RoleSessionName: aws.String("s9"),
			Tags: []ststypes.Tag{{Key: aws.String("a"), Value: aws.String("1")}}, TransitiveTagKeys: []string{"b"}},
			awsapi.CodeValidation, msgTransitiveNotTag},
		{"a session policy that is not a policy", awssts.AssumeRoleInput{RoleArn: aws.String(fedRoleARN), RoleSessionName: aws.String("s9"),
			Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`)},
			awsapi.CodeMalformedPolicyDocument, ""},
	} {
		_, err := user.AssumeRole(ctx, &tt.in)
		wantSDKError(t, "AssumeRole with "+tt.name, err, tt.code, tt.msg)
	}
}

// TestAssumeRoleSessionPolicies pins that a session is allowed only what
// both its role's policies and its session policy allow.
func TestAssumeRoleSessionPolicies(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	ctx := t.Context()
	denyChain := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetAccessKeyInfo","Resource":"*"}]}`
	out, err := e.user().AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(fedRoleARN), RoleSessionName: aws.String("narrow"),
		Policy: aws.String(denyChain)})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	narrow := sessionClient(e, out.Credentials)
	_, err = narrow.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(fedRoleARN), RoleSessionName: aws.String("c9")})
	wantSDKError(t, "AssumeRole outside the session policy", err, awsapi.CodeAccessDenied, "")
	info, err := narrow.GetAccessKeyInfo(ctx, &awssts.GetAccessKeyInfoInput{AccessKeyId: aws.String(e.userKey)})
	if err != nil || aws.ToString(info.Account) != fedAccount {
		t.Errorf("GetAccessKeyInfo inside the session policy = %v, %v; want %s", info, err, fedAccount)
	}
}

// TestUserTokensWithTheSDK drives GetSessionToken, GetFederationToken and
// GetAccessKeyInfo over loopback with the SDK.
func TestUserTokensWithTheSDK(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	user := e.user()
	ctx := t.Context()

	st, err := user.GetSessionToken(ctx, &awssts.GetSessionTokenInput{})
	if err != nil {
		t.Fatalf("GetSessionToken: %v", err)
	}
	if got, want := aws.ToTime(st.Credentials.Expiration), e.now.Add(DefaultUserSessionDuration*time.Second); !got.Equal(want) {
		t.Errorf("GetSessionToken Expiration = %s, want %s (the default 12 h)", got, want)
	}
	st2, err := user.GetSessionToken(ctx, &awssts.GetSessionTokenInput{DurationSeconds: aws.Int32(900), SerialNumber: aws.String("arn:aws:iam::123456789012:mfa/dev"),
		TokenCode: aws.String("123456")})
	if err != nil {
		t.Fatalf("GetSessionToken with MFA: %v", err)
	}
	if got, want := aws.ToTime(st2.Credentials.Expiration), e.now.Add(900*time.Second); !got.Equal(want) {
		t.Errorf("GetSessionToken Expiration = %s, want %s", got, want)
	}
	sess, err := e.svc.Session(aws.ToString(st2.Credentials.AccessKeyId), aws.ToString(st2.Credentials.SessionToken))
	if err != nil || !sess.MFA || sess.UserARN != fedUserARN {
		t.Errorf("GetSessionToken session = %+v, %v; want dev's, with MFA", sess, err)
	}
	_, err = sessionClient(e, st.Credentials).GetSessionToken(ctx, &awssts.GetSessionTokenInput{})
	wantSDKError(t, "GetSessionToken with session credentials", err, awsapi.CodeAccessDenied, msgGSTWithSession)
	_, err = user.GetSessionToken(ctx, &awssts.GetSessionTokenInput{DurationSeconds: aws.Int32(MaxUserSessionDuration + 1)})
	wantSDKError(t, "GetSessionToken over 36 h", err, awsapi.CodeValidation, "")

	ft, err := user.GetFederationToken(ctx, &awssts.GetFederationTokenInput{Name: aws.String("ops"), DurationSeconds: aws.Int32(1800),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetAccessKeyInfo","Resource":"*"}]}`),
		Tags:   []ststypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	if err != nil {
		t.Fatalf("GetFederationToken: %v", err)
	}
	const fedARN = "arn:aws:sts::123456789012:federated-user/ops"
	if aws.ToString(ft.FederatedUser.Arn) != fedARN || aws.ToString(ft.FederatedUser.FederatedUserId) != fedAccount+":ops" {
		t.Errorf("FederatedUser = %s %s, want %s %s:ops", aws.ToString(ft.FederatedUser.Arn), aws.ToString(ft.FederatedUser.FederatedUserId), fedARN, fedAccount)
	}
	if got, want := aws.ToTime(ft.Credentials.Expiration), e.now.Add(1800*time.Second); !got.Equal(want) {
		t.Errorf("GetFederationToken Expiration = %s, want %s", got, want)
	}
	//lint:ignore SA1019 STS still returns PackedPolicySize, which samlab serves.
	if packed := ft.PackedPolicySize; packed == nil || *packed <= 0 {
		t.Errorf("PackedPolicySize = %v, want a percentage", packed)
	}
	fed := sessionClient(e, ft.Credentials)
	id, err := fed.GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != fedARN {
		t.Errorf("GetCallerIdentity of the federated user = %v, %v; want %s", id, err, fedARN)
	}
	_, err = fed.GetFederationToken(ctx, &awssts.GetFederationTokenInput{Name: aws.String("again")})
	wantSDKError(t, "GetFederationToken with session credentials", err, awsapi.CodeAccessDenied, msgGFTWithSession)
	_, err = fed.GetAccessKeyInfo(ctx, &awssts.GetAccessKeyInfoInput{AccessKeyId: aws.String(e.userKey)})
	wantSDKError(t, "GetAccessKeyInfo as a federated user", err, awsapi.CodeAccessDenied, "Cannot call GetAccessKeyInfo with session credentials")
	_, err = fed.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(fedRoleARN), RoleSessionName: aws.String("f9")})
	wantSDKError(t, "AssumeRole as a federated user", err, awsapi.CodeAccessDenied, "Cannot call AssumeRole with session credentials")
	_, err = user.GetFederationToken(ctx, &awssts.GetFederationTokenInput{Name: aws.String("ops"), Tags: []ststypes.Tag{{Key: aws.String("aws:k"), Value: aws.String("v")}}})
	wantSDKError(t, "GetFederationToken with an aws: tag", err, awsapi.CodeValidation, msgTagReservedPrefix)
	_, err = user.GetFederationToken(ctx, &awssts.GetFederationTokenInput{Name: aws.String("ops"), Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`)})
	wantSDKError(t, "GetFederationToken with an invalid session policy", err, awsapi.CodeMalformedPolicyDocument, "")

	info, err := user.GetAccessKeyInfo(ctx, &awssts.GetAccessKeyInfoInput{AccessKeyId: aws.String(e.userKey)})
	if err != nil || aws.ToString(info.Account) != fedAccount {
		t.Errorf("GetAccessKeyInfo = %v, %v; want %s", info, err, fedAccount)
	}
	other, err := awsapi.NewAccessKeyIDFor(rand.Reader, "ASIA", "210987654321")
	if err != nil {
		t.Fatal(err)
	}
	if info, err := user.GetAccessKeyInfo(ctx, &awssts.GetAccessKeyInfoInput{AccessKeyId: aws.String(other)}); err != nil || aws.ToString(info.Account) != "210987654321" {
		t.Errorf("GetAccessKeyInfo of another account's key = %v, %v", info, err)
	}
	_, err = user.GetAccessKeyInfo(ctx, &awssts.GetAccessKeyInfoInput{AccessKeyId: aws.String("short")})
	wantSDKError(t, "GetAccessKeyInfo of a 5-character ID", err, awsapi.CodeValidation, "")
	_, err = user.GetAccessKeyInfo(ctx, &awssts.GetAccessKeyInfoInput{AccessKeyId: aws.String("AKIA1111111111111111")})
	wantSDKError(t, "GetAccessKeyInfo of an undecodable ID", err, awsapi.CodeValidation, "Invalid AccessKeyId AKIA1111111111111111")
	_, err = sessionClient(e, st.Credentials).GetAccessKeyInfo(ctx, &awssts.GetAccessKeyInfoInput{AccessKeyId: aws.String(e.userKey)})
	wantSDKError(t, "GetAccessKeyInfo with GetSessionToken credentials", err, awsapi.CodeAccessDenied, "Cannot call GetAccessKeyInfo with session credentials")

	// Without an identity policy that allows them, the user is refused.
	e.userPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	_, err = user.GetFederationToken(ctx, &awssts.GetFederationTokenInput{Name: aws.String("ops")})
	wantSDKError(t, "GetFederationToken without a policy", err, awsapi.CodeAccessDenied, "")
	_, err = user.GetAccessKeyInfo(ctx, &awssts.GetAccessKeyInfoInput{AccessKeyId: aws.String(e.userKey)})
	wantSDKError(t, "GetAccessKeyInfo without a policy", err, awsapi.CodeAccessDenied, "")
	// A trust policy that names the user allows it in its own account
	// without any identity-based policy.
	if _, err := user.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(fedRoleARN), RoleSessionName: aws.String("s9")}); err != nil {
		t.Errorf("AssumeRole trusted by name, without an identity policy: %v", err)
	}
}

// TestAssumeRoleManagedAndBoundaryPolicies pins which policies a role
// session is allowed by: the role's attached managed policies, capped by its
// permissions boundary, and the session's managed session policies
// (PolicyArns), one that no longer exists allowing nothing.
func TestAssumeRoleManagedAndBoundaryPolicies(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	ctx := t.Context()
	managed := func(name, actions string) string {
		mp, err := e.acct.CreatePolicy(iam.CreatePolicyInput{Name: name,
			Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":` + actions + `,"Resource":"*"}]}`})
		if err != nil {
			t.Fatalf("CreatePolicy %s: %v", name, err)
		}
		return mp.ARN
	}
	chain := managed("Chain", `["sts:AssumeRole"]`)
	keyInfo := managed("KeyInfo", `["sts:GetAccessKeyInfo"]`)
	both := managed("Both", `["sts:AssumeRole","sts:GetAccessKeyInfo"]`)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/dev"},"Action":"sts:AssumeRole"}]}`
	role := func(name, boundary string, attached ...string) string {
		r, err := e.acct.CreateRole(iam.CreateRoleInput{Name: name, AssumeRolePolicyDocument: trust, PermissionsBoundary: boundary})
		if err != nil {
			t.Fatalf("CreateRole %s: %v", name, err)
		}
		for _, arn := range attached {
			if err := e.acct.AttachRolePolicy(name, arn); err != nil {
				t.Fatalf("AttachRolePolicy: %v", err)
			}
		}
		return r.ARN
	}
	session := func(roleARN string, policyARNs ...string) *awssts.Client {
		t.Helper()
		out, err := e.user().AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s9"), PolicyArns: arnsOf(policyARNs)})
		if err != nil {
			t.Fatalf("AssumeRole %s: %v", roleARN, err)
		}
		return sessionClient(e, out.Credentials)
	}
	// Target trusts the account: its identity-based policies decide.
	target, err := e.acct.CreateRole(iam.CreateRoleInput{Name: "Target",
		AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`})
	if err != nil {
		t.Fatal(err)
	}
	// can reports whether the session may chain to Target and read key info.
	can := func(c *awssts.Client) (assume, keyinfo bool) {
		_, err := c.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(target.ARN), RoleSessionName: aws.String("c9")})
		_, err2 := c.GetAccessKeyInfo(ctx, &awssts.GetAccessKeyInfoInput{AccessKeyId: aws.String(e.userKey)})
		return err == nil, err2 == nil
	}
	tests := []struct {
		name            string
		client          *awssts.Client
		assume, keyinfo bool
	}{
		{"an attached policy", session(role("Attached", "", chain)), true, false},
		{"two attached policies", session(role("TwoAttached", "", chain, keyInfo)), true, true},
		{"a boundary narrower than the attached policy", session(role("Bounded", keyInfo, both)), false, true},
		{"a managed session policy", session(role("SessionPolicy", "", both), keyInfo), false, true},
		{"a managed session policy that no longer exists", session(role("LostSession", "", both), "arn:aws:iam::123456789012:policy/Gone"), false, false},
		{"no managed session policy", session(role("NoSessionPolicy", "", both)), true, true},
	}
	for _, tt := range tests {
		assume, keyinfo := can(tt.client)
		if assume != tt.assume || keyinfo != tt.keyinfo {
			t.Errorf("%s: may AssumeRole %v, GetAccessKeyInfo %v; want %v, %v", tt.name, assume, keyinfo, tt.assume, tt.keyinfo)
		}
	}
}

func arnsOf(arns []string) []ststypes.PolicyDescriptorType {
	var out []ststypes.PolicyDescriptorType
	for _, a := range arns {
		out = append(out, ststypes.PolicyDescriptorType{Arn: aws.String(a)})
	}
	return out
}
