package scenarios_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts/sessiontoken"
)

// AWS's answers to temporary credentials it did not issue or that expired
// (docs/aws-behavior.md §11; failure catalogue "expired credentials").
const (
	msgInvalidToken = "The security token included in the request is invalid."
	msgExpiredToken = "The security token included in the request is expired"
)

// assume returns temporary credentials of the lab's role for alice, through
// AssumeRoleWithSAML over HTTP.
func (l *awsLab) assume(t *testing.T) aws.Credentials {
	t.Helper()
	out, err := l.stsClient(aws.AnonymousCredentials{}).AssumeRoleWithSAML(t.Context(), &stssdk.AssumeRoleWithSAMLInput{
		RoleArn: aws.String(l.lab.RoleARN), PrincipalArn: aws.String(l.lab.ProviderARN),
		SAMLAssertion: aws.String(l.samlResponse(t, l.lab.Users[scenarios.DefaultUser]))})
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML: %v", err)
	}
	c := out.Credentials
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken)}
}

// whoAmI calls GetCallerIdentity with c and returns the ARN, or the AWS
// error's code, HTTP status and message.
func (l *awsLab) whoAmI(t *testing.T, c aws.Credentials) (arn, code string, status int, msg string) {
	t.Helper()
	out, err := l.stsClient(credentials.StaticCredentialsProvider{Value: c}).GetCallerIdentity(t.Context(), &stssdk.GetCallerIdentityInput{})
	if err == nil {
		return aws.ToString(out.Arn), "", http.StatusOK, ""
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("GetCallerIdentity: %v (not an AWS error)", err)
	}
	return "", ae.ErrorCode(), httpStatus(err), ae.ErrorMessage()
}

func newRegisteredLab(t *testing.T, cfg scenarios.LabConfig) *awsLab {
	t.Helper()
	lab, err := scenarios.NewLab(cfg)
	if err != nil {
		t.Fatalf("NewLab: %v", err)
	}
	admin, err := scenarios.NewAdminKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	events := &awsapi.EventLog{}
	h, err := lab.Handler(scenarios.ServerConfig{Admin: admin, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.RegisterProvider(); err != nil {
		t.Fatalf("RegisterProvider: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &awsLab{lab: lab, srv: srv, admin: admin, events: events}
}

// TestSessionTokenRejections sends temporary credentials STS did not issue,
// or no longer accepts, with the SDK, and checks AWS's exact code, status and
// message for each.
func TestSessionTokenRejections(t *testing.T) {
	t.Parallel()
	l := newAWSLab(t, nil)
	if err := l.lab.RegisterProvider(); err != nil {
		t.Fatal(err)
	}
	good, second := l.assume(t), l.assume(t)
	cfg := labConfig()
	cfg.AccountID = "210987654321"
	otherAccount := newRegisteredLab(t, cfg)
	foreign := otherAccount.assume(t)
	otherProcess := newRegisteredLab(t, labConfig()) // same account, its own per-process key
	stranger := otherProcess.assume(t)

	raw, err := base64.StdEncoding.DecodeString(good.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)/2] ^= 0x40
	with := func(mod func(*aws.Credentials)) aws.Credentials {
		c := good
		mod(&c)
		return c
	}
	tests := []struct {
		name  string
		creds aws.Credentials
	}{
		{"token of another session", with(func(c *aws.Credentials) { c.SessionToken = second.SessionToken })},
		{"access key ID of another session", with(func(c *aws.Credentials) { c.AccessKeyID = second.AccessKeyID })},
		{"truncated token", with(func(c *aws.Credentials) { c.SessionToken = good.SessionToken[:len(good.SessionToken)/2] })},
		{"token cut by one byte", with(func(c *aws.Credentials) {
			c.SessionToken = base64.StdEncoding.EncodeToString(raw[:len(raw)-1])
		})},
		{"altered token", with(func(c *aws.Credentials) { c.SessionToken = base64.StdEncoding.EncodeToString(flipped) })},
		{"AWS-looking token samlab never issued", with(func(c *aws.Credentials) {
			c.SessionToken = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD"
		})},
		{"token that is not base64", with(func(c *aws.Credentials) { c.SessionToken = "not a token" })},
		{"another account's credentials", foreign},
		{"credentials of another samlab without a shared key", stranger},
	}
	for _, tc := range tests {
		arn, code, status, msg := l.whoAmI(t, tc.creds)
		if got, want := []any{code, status, msg}, []any{"InvalidClientTokenId", 403, msgInvalidToken}; !cmp.Equal(got, want) {
			t.Errorf("%s: GetCallerIdentity = %q %v, want %v", tc.name, arn, got, want)
		}
	}
	if arn, code, _, _ := l.whoAmI(t, good); code != "" || arn != "arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice" {
		t.Errorf("the genuine credentials: GetCallerIdentity = %q, %s", arn, code)
	}
	// Expired: the lab clock passes the credentials' expiry (one hour). The
	// SDK corrects its clock skew from the first "Signature expired" answer.
	l.lab.Clock.Advance(time.Hour)
	if _, code, status, msg := l.whoAmI(t, good); code != "ExpiredToken" || status != 403 || msg != msgExpiredToken {
		t.Errorf("expired credentials: GetCallerIdentity = %s %d %q, want ExpiredToken 403 %q", code, status, msg, msgExpiredToken)
	}
	// An expired token that was also altered is invalid, not expired.
	altered := with(func(c *aws.Credentials) { c.SessionToken = base64.StdEncoding.EncodeToString(flipped) })
	if _, code, _, _ := l.whoAmI(t, altered); code != "InvalidClientTokenId" {
		t.Errorf("altered expired token: code %s, want InvalidClientTokenId", code)
	}
}

// TestSessionKeyRotation rotates the lab's session key between two sessions:
// both keep working until they expire, and the console's federation endpoint
// accepts the older one too.
func TestSessionKeyRotation(t *testing.T) {
	t.Parallel()
	l := newAWSLab(t, nil)
	if err := l.lab.RegisterProvider(); err != nil {
		t.Fatal(err)
	}
	before := l.assume(t)
	if err := l.lab.STS.SessionKeys().Rotate(l.lab.Clock.Now()); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	after := l.assume(t)
	if before.SessionToken[16:24] == after.SessionToken[16:24] {
		t.Errorf("tokens before and after rotation name the same key")
	}
	for name, c := range map[string]aws.Credentials{"before rotation": before, "after rotation": after} {
		if arn, code, _, msg := l.whoAmI(t, c); code != "" || arn == "" {
			t.Errorf("credentials issued %s: GetCallerIdentity = %s %q", name, code, msg)
		}
	}
	session, _ := json.Marshal(map[string]string{"sessionId": before.AccessKeyID, "sessionKey": before.SecretAccessKey,
		"sessionToken": before.SessionToken})
	resp, body := get(t, consoleClient(t), l.srv.URL+"/federation?"+url.Values{"Action": {"getSigninToken"},
		"Session": {string(session)}}.Encode())
	if resp.StatusCode != http.StatusOK {
		t.Errorf("getSigninToken with pre-rotation credentials = %d %s", resp.StatusCode, body)
	}
	truncated, _ := json.Marshal(map[string]string{"sessionId": before.AccessKeyID, "sessionKey": before.SecretAccessKey,
		"sessionToken": before.SessionToken[:100]})
	if resp, _ := get(t, consoleClient(t), l.srv.URL+"/federation?"+url.Values{"Action": {"getSigninToken"},
		"Session": {string(truncated)}}.Encode()); resp.StatusCode != http.StatusForbidden {
		t.Errorf("getSigninToken with a truncated token = %d, want 403", resp.StatusCode)
	}
}

// TestLabsSharingSessionKeys: two labs whose keyrings come from copies of one
// state accept each other's credentials over HTTP.
func TestLabsSharingSessionKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	store, err := iam.OpenBoltStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	keysA, err := sessiontoken.Open(store, scenarios.DefaultAccountID, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	store, err = iam.OpenBoltStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	keysB, err := sessiontoken.Open(store, scenarios.DefaultAccountID, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfgA, cfgB := labConfig(), labConfig()
	cfgA.SessionKeys, cfgB.SessionKeys = keysA, keysB
	a, b := newRegisteredLab(t, cfgA), newRegisteredLab(t, cfgB)
	for name, tc := range map[string]struct {
		issuer, verifier *awsLab
	}{"A's credentials at B": {a, b}, "B's credentials at A": {b, a}} {
		c := tc.issuer.assume(t)
		if arn, code, _, msg := tc.verifier.whoAmI(t, c); code != "" || arn != "arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice" {
			t.Errorf("%s: GetCallerIdentity = %q %s %q", name, arn, code, msg)
		}
	}
}

// TestSessionEvents: the events of calls made with temporary credentials
// carry the session's context, read from the token, with its issue time
// (aws:TokenIssueTime) as creationDate.
func TestSessionEvents(t *testing.T) {
	t.Parallel()
	l := newAWSLab(t, nil)
	if err := l.lab.RegisterProvider(); err != nil {
		t.Fatal(err)
	}
	issued := l.lab.Clock.Now().UTC().Truncate(time.Second)
	c := l.assume(t)
	l.lab.Clock.Advance(10 * time.Minute)
	if _, code, _, msg := l.whoAmI(t, c); code != "" {
		t.Fatalf("GetCallerIdentity = %s %q", code, msg)
	}
	role, err := l.lab.Account.RoleByARN(l.lab.RoleARN)
	if err != nil {
		t.Fatal(err)
	}
	var got *awsapi.UserIdentity
	for _, e := range l.events.Events() {
		if e.EventName == "GetCallerIdentity" && !e.Failed() {
			got = &e.UserIdentity
		}
	}
	want := &awsapi.UserIdentity{Type: "AssumedRole", PrincipalID: role.RoleID + ":alice",
		ARN: "arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice", AccountID: "123456789012", AccessKeyID: c.AccessKeyID,
		SessionContext: &awsapi.SessionContext{
			SessionIssuer: awsapi.SessionIssuer{Type: "Role", PrincipalID: role.RoleID, ARN: l.lab.RoleARN, AccountID: "123456789012",
				UserName: "SAMLAdmin"},
			Attributes: awsapi.SessionAttributes{CreationDate: issued, MFAAuthenticated: "false"}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("GetCallerIdentity event's userIdentity (-want +got):\n%s", d)
	}
}

// TestLargestSessionTokenWithClients issues the largest session
// AssumeRoleWithSAML accepts (50 session tags filling the 2,048-byte packed
// limit, all transitive, session name and source identity of 64 characters)
// and uses its credentials with the Go SDK and the aws CLI: the token stays
// under 4,096 characters and AWS clients accept it.
func TestLargestSessionTokenWithClients(t *testing.T) {
	t.Parallel()
	l := newAWSLab(t, nil)
	if err := l.lab.RegisterProvider(); err != nil {
		t.Fatal(err)
	}
	cli := newAWSCLI(t, l.srv.URL)
	u := l.lab.Users[scenarios.DefaultUser]
	u.RoleSessionName, u.SourceIdentity = strings.Repeat("s", 64), strings.Repeat("i", 64)
	u.PrincipalTags = map[string]string{}
	for i := range 50 { // 50 × (8 + 33) bytes, less 2: exactly the 2,048-byte limit
		k, v := fmt.Sprintf("Key%05d", i), strings.Repeat("v", 33)
		if i == 49 {
			v = v[:31]
		}
		u.PrincipalTags[k] = v
		u.TransitiveTagKeys = append(u.TransitiveTagKeys, k)
	}
	resp, err := l.lab.IDP.AWSResponse(u, idp.ResponseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := l.stsClient(aws.AnonymousCredentials{}).AssumeRoleWithSAML(t.Context(), &stssdk.AssumeRoleWithSAMLInput{
		RoleArn: aws.String(l.lab.RoleARN), PrincipalArn: aws.String(l.lab.ProviderARN), SAMLAssertion: aws.String(resp.Base64())})
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML of the largest session: %v", err)
	}
	c := out.Credentials
	creds := aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken)}
	t.Logf("largest session token: %d characters", len(creds.SessionToken))
	// AWS: "the typical size is less than 4096 bytes"; samlab's largest
	// SAML session stays under it.
	if len(creds.SessionToken) >= 4096 {
		t.Errorf("token of %d characters, want under 4096", len(creds.SessionToken))
	}
	want := aws.ToString(out.AssumedRoleUser.Arn)
	if arn, code, _, msg := l.whoAmI(t, creds); code != "" || arn != want {
		t.Errorf("SDK GetCallerIdentity = %q %s %q, want %q", arn, code, msg, want)
	}
	var who struct{ Arn string }
	cli.mustJSON([3]string{creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken}, &who, "sts", "get-caller-identity")
	if who.Arn != want {
		t.Errorf("aws sts get-caller-identity Arn = %q, want %q", who.Arn, want)
	}
	sess, err := l.lab.STS.Session(creds.AccessKeyID, creds.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(u.PrincipalTags, sess.Tags); d != "" || len(sess.TransitiveTagKeys) != 50 || sess.SourceIdentity != u.SourceIdentity {
		t.Errorf("session read from the token: tags (-want +got):\n%s\ntransitive %d, source identity %q", d, len(sess.TransitiveTagKeys), sess.SourceIdentity)
	}
}
