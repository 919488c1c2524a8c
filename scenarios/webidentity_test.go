package scenarios_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/idp/oidc"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/sts"
)

// wiLab is a lab served on loopback plus samlab's OpenID Connect provider on
// its own loopback server, registered in IAM as an OIDC provider with the
// client ID wiClientID, and a role WebRole that trusts it for alice.
type wiLab struct {
	*awsLab
	oidc     *oidc.Provider
	oidcSrv  *httptest.Server
	issuer   string
	provider string // IAM OIDC provider ARN
	roleARN  string
}

const wiClientID = "sts.amazonaws.com"

func newWILab(t testing.TB, behavior *sts.WebIdentityBehavior) *wiLab {
	t.Helper()
	cfg := labConfig()
	cfg.InsecureHTTPIssuers = true
	cfg.WebIdentity = behavior
	lab, err := scenarios.NewLab(cfg)
	if err != nil {
		t.Fatalf("NewLab: %v", err)
	}
	admin, err := scenarios.NewAdminKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := lab.Handler(scenarios.ServerConfig{Admin: admin, Events: &awsapi.EventLog{}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	l := &wiLab{awsLab: &awsLab{lab: lab, srv: srv, admin: admin}}

	var handler http.Handler = http.NotFoundHandler()
	l.oidcSrv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(l.oidcSrv.Close)
	l.issuer = l.oidcSrv.URL
	l.oidc, err = oidc.New(oidc.Config{Issuer: l.issuer, Users: idp.DemoUsers(), Keys: certstest.New(), Now: lab.Clock.Now})
	if err != nil {
		t.Fatalf("oidc.New: %v", err)
	}
	handler = l.oidc

	ctx := t.Context()
	iamc := l.iamClient(l.adminCreds())
	out, err := iamc.CreateOpenIDConnectProvider(ctx, &iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String(l.issuer),
		ClientIDList: []string{wiClientID}})
	if err != nil {
		t.Fatalf("CreateOpenIDConnectProvider: %v", err)
	}
	l.provider = aws.ToString(out.OpenIDConnectProviderArn)
	host := strings.TrimPrefix(l.issuer, "http://")
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},
		"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],
		"Condition":{"StringEquals":{%q:%q,%q:"alice"}}}]}`, l.provider, host+":aud", wiClientID, host+":sub")
	role, err := iamc.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("WebRole"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	l.roleARN = aws.ToString(role.Role.Arn)
	return l
}

func (l *wiLab) token(t testing.TB, user string, opts oidc.TokenOptions) string {
	t.Helper()
	u, ok := idp.DemoUsers().User(user)
	if !ok {
		t.Fatalf("no demo user %s", user)
	}
	if opts.Audience == "" {
		opts.Audience = wiClientID
	}
	tok, err := l.oidc.IDToken(u, opts)
	if err != nil {
		t.Fatalf("IDToken: %v", err)
	}
	return tok
}

func (l *wiLab) anonSTS() *stssdk.Client {
	return stssdk.NewFromConfig(aws.Config{Region: "us-east-1", HTTPClient: l.srv.Client()},
		func(o *stssdk.Options) { o.BaseEndpoint = aws.String(l.srv.URL) })
}

func (l *wiLab) assume(t *testing.T, token string) (*stssdk.AssumeRoleWithWebIdentityOutput, error) {
	t.Helper()
	return l.anonSTS().AssumeRoleWithWebIdentity(t.Context(), &stssdk.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(l.roleARN), RoleSessionName: aws.String("web-session"), WebIdentityToken: aws.String(token)})
}

// TestWebIdentitySDK drives AssumeRoleWithWebIdentity with the AWS SDK for Go
// v2: the result's fields, session tags from the tags claim, then the SDK's
// stscreds web identity provider reading a token file, with the issued
// credentials accepted by GetCallerIdentity.
func TestWebIdentitySDK(t *testing.T) {
	t.Parallel()
	l := newWILab(t, nil)
	ctx := t.Context()
	out, err := l.assume(t, l.token(t, "alice", oidc.TokenOptions{}))
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	if got := aws.ToString(out.SubjectFromWebIdentityToken); got != "alice" {
		t.Errorf("SubjectFromWebIdentityToken = %q, want alice", got)
	}
	if got := aws.ToString(out.Provider); got != l.provider {
		t.Errorf("Provider = %q, want the provider ARN %q", got, l.provider)
	}
	if got := aws.ToString(out.Audience); got != wiClientID {
		t.Errorf("Audience = %q, want %q", got, wiClientID)
	}
	wantARN := "arn:aws:sts::123456789012:assumed-role/WebRole/web-session"
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != wantARN {
		t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, wantARN)
	}
	if exp := aws.ToTime(out.Credentials.Expiration); !exp.Equal(l.lab.Clock.Now().Truncate(time.Second).Add(time.Hour)) {
		t.Errorf("Expiration = %v, want now + 1h", exp)
	}
	sess, err := l.lab.STS.Session(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SessionToken))
	if err != nil {
		t.Fatal(err)
	}
	if sess.Tags["team"] != "platform" || sess.Tags["cost-center"] != "1234" || len(sess.TransitiveTagKeys) != 1 || sess.TransitiveTagKeys[0] != "team" {
		t.Errorf("session tags = %v, transitive %v; want alice's principal_tags from the tags claim", sess.Tags, sess.TransitiveTagKeys)
	}

	// The SDK's web identity credential provider, reading the token from a
	// file as AWS_WEB_IDENTITY_TOKEN_FILE makes it do.
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(l.token(t, "alice", oidc.TokenOptions{})), 0o600); err != nil {
		t.Fatal(err)
	}
	prov := stscreds.NewWebIdentityRoleProvider(l.anonSTS(), l.roleARN, stscreds.IdentityTokenFile(file),
		func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = "sdk-provider" })
	id, err := l.stsClient(aws.NewCredentialsCache(prov)).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with web identity credentials: %v", err)
	}
	if got := aws.ToString(id.Arn); got != "arn:aws:sts::123456789012:assumed-role/WebRole/sdk-provider" {
		t.Errorf("GetCallerIdentity ARN = %q", got)
	}
}

// TestWebIdentitySDKErrors checks each refusal as the SDK sees it: the
// typed error, the wire code, the HTTP status and the message.
func TestWebIdentitySDKErrors(t *testing.T) {
	t.Parallel()
	l := newWILab(t, nil)
	good := l.token(t, "alice", oidc.TokenOptions{})
	tests := []struct {
		name   string
		token  string
		target any
		code   string
		status int
		msg    string
	}{
		{"wrong audience", l.token(t, "alice", oidc.TokenOptions{Audience: "sts.amazon.com"}),
			new(*ststypes.InvalidIdentityTokenException), "InvalidIdentityToken", 400, "Incorrect token audience"},
		{"expired", l.token(t, "alice", oidc.TokenOptions{Fault: oidc.FaultExpired}),
			new(*ststypes.ExpiredTokenException), "ExpiredTokenException", 400, "Token expired: current date/time "},
		{"wrong issuer", l.token(t, "alice", oidc.TokenOptions{Fault: oidc.FaultWrongIssuer}),
			new(*ststypes.InvalidIdentityTokenException), "InvalidIdentityToken", 400, "No OpenIDConnect provider found in your account for "},
		{"foreign key", l.token(t, "alice", oidc.TokenOptions{Fault: oidc.FaultForeignKey}),
			new(*ststypes.InvalidIdentityTokenException), "InvalidIdentityToken", 400, "The web identity token's signature could not be verified"},
		{"tampered", l.token(t, "alice", oidc.TokenOptions{Fault: oidc.FaultTamper}),
			new(*ststypes.InvalidIdentityTokenException), "InvalidIdentityToken", 400, "The web identity token's signature could not be verified"},
		{"unknown kid", l.token(t, "alice", oidc.TokenOptions{Fault: oidc.FaultUnknownKID}),
			new(*ststypes.InvalidIdentityTokenException), "InvalidIdentityToken", 400, "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"},
		{"alg none", l.token(t, "alice", oidc.TokenOptions{Fault: oidc.FaultAlgNone}),
			new(*ststypes.InvalidIdentityTokenException), "InvalidIdentityToken", 400, "The web identity token is signed with an unsupported algorithm"},
		{"HS256 keyed with the public key", l.token(t, "alice", oidc.TokenOptions{Fault: oidc.FaultHS256PublicKey}),
			new(*ststypes.InvalidIdentityTokenException), "InvalidIdentityToken", 400, "The web identity token is signed with an unsupported algorithm"},
		{"truncated", good[:len(good)-20] + "." + "x",
			new(*ststypes.InvalidIdentityTokenException), "InvalidIdentityToken", 400, "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"},
		{"no aud (azp still names the client)", l.token(t, "alice", oidc.TokenOptions{Fault: oidc.FaultNoAudience}),
			new(*ststypes.InvalidIdentityTokenException), "InvalidIdentityToken", 400, "Missing a required claim: aud"},
		{"an opaque access token", "ya29.a0AfH6SMBx3Jm2rEXAMPLEaccesstoken",
			new(*ststypes.InvalidIdentityTokenException), "InvalidIdentityToken", 400, "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"},
		{"sub not allowed by the trust policy", l.token(t, "bob", oidc.TokenOptions{}),
			nil, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{"nested JSON", good[:strings.IndexByte(good, '.')] + "." +
			base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"x","n":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}`)) + ".c2ln",
			new(*ststypes.InvalidIdentityTokenException), "InvalidIdentityToken", 400, "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"},
		{"huge", strings.Repeat("a", 20001),
			nil, "ValidationError", 400, "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to 20000"},
	}
	for _, tt := range tests {
		_, err := l.assume(t, tt.token)
		if err == nil {
			t.Errorf("%s: accepted", tt.name)
			continue
		}
		if tt.target != nil && !errors.As(err, tt.target) {
			t.Errorf("%s: %v is not %T", tt.name, err, tt.target)
		}
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != tt.code || httpStatus(err) != tt.status || !strings.HasPrefix(ae.ErrorMessage(), tt.msg) {
			t.Errorf("%s: %v; want %s %d %q", tt.name, err, tt.code, tt.status, tt.msg)
		}
	}
	ctx := t.Context()
	// ProviderId for an OAuth 2.0 provider: samlab cannot ask it.
	_, err := l.anonSTS().AssumeRoleWithWebIdentity(ctx, &stssdk.AssumeRoleWithWebIdentityInput{RoleArn: &l.roleARN,
		RoleSessionName: aws.String("s1"), WebIdentityToken: &good, ProviderId: aws.String("www.amazon.com")})
	var commErr *ststypes.IDPCommunicationErrorException
	if !errors.As(err, &commErr) || httpStatus(err) != 400 {
		t.Errorf("ProviderId www.amazon.com: %v, want IDPCommunicationErrorException 400", err)
	}
	// The client ID removed from the provider: the same token is refused.
	iamc := l.iamClient(l.adminCreds())
	if _, err := iamc.RemoveClientIDFromOpenIDConnectProvider(ctx, &iamsdk.RemoveClientIDFromOpenIDConnectProviderInput{
		OpenIDConnectProviderArn: &l.provider, ClientID: aws.String(wiClientID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.assume(t, good); errorCode(err) != "InvalidIdentityToken" {
		t.Errorf("after RemoveClientID: %v, want InvalidIdentityToken", err)
	}
	if _, err := iamc.AddClientIDToOpenIDConnectProvider(ctx, &iamsdk.AddClientIDToOpenIDConnectProviderInput{
		OpenIDConnectProviderArn: &l.provider, ClientID: aws.String(wiClientID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.assume(t, good); err != nil {
		t.Errorf("after AddClientID again: %v", err)
	}
	// DurationSeconds beyond the role's MaxSessionDuration.
	_, err = l.anonSTS().AssumeRoleWithWebIdentity(ctx, &stssdk.AssumeRoleWithWebIdentityInput{RoleArn: &l.roleARN,
		RoleSessionName: aws.String("s1"), WebIdentityToken: &good, DurationSeconds: aws.Int32(7200)})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationError" || ae.ErrorMessage() != "The requested DurationSeconds exceeds the MaxSessionDuration set for this role." {
		t.Errorf("DurationSeconds 7200: %v", err)
	}
	// The provider deleted: no provider for the issuer.
	if _, err := iamc.DeleteOpenIDConnectProvider(ctx, &iamsdk.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: &l.provider}); err != nil {
		t.Fatal(err)
	}
	_, err = l.assume(t, good)
	if !errors.As(err, &ae) || ae.ErrorMessage() != "No OpenIDConnect provider found in your account for "+l.issuer {
		t.Errorf("after DeleteOpenIDConnectProvider: %v", err)
	}
}

// TestWebIdentityKeyRotation rotates the IdP's signing key. With
// RefetchOnUnknownKey (the default) STS fetches the JWKS again for the new
// kid; without it, STS keeps its cached keys and refuses new tokens until the
// cache expires.
func TestWebIdentityKeyRotation(t *testing.T) {
	t.Parallel()
	for _, refetch := range []bool{true, false} {
		b := sts.DefaultWebIdentityBehavior()
		b.RefetchOnUnknownKey = refetch
		l := newWILab(t, &b)
		if _, err := l.assume(t, l.token(t, "alice", oidc.TokenOptions{})); err != nil {
			t.Fatalf("before rotation: %v", err)
		}
		if _, err := l.oidc.Rotate(); err != nil {
			t.Fatal(err)
		}
		_, err := l.assume(t, l.token(t, "alice", oidc.TokenOptions{}))
		if refetch && err != nil {
			t.Errorf("refetch on: token with the new kid: %v", err)
		}
		if !refetch {
			if errorCode(err) != "InvalidIdentityToken" {
				t.Errorf("refetch off: token with the new kid: %v, want InvalidIdentityToken from the stale cache", err)
			}
			l.lab.Clock.Advance(b.JWKSCacheTTL + time.Second)
			if _, err := l.assume(t, l.token(t, "alice", oidc.TokenOptions{})); err != nil {
				t.Errorf("refetch off, after the cache TTL: %v", err)
			}
		}
	}
}

// TestWebIdentityIdPDown: STS cannot fetch the JWKS.
func TestWebIdentityIdPDown(t *testing.T) {
	t.Parallel()
	l := newWILab(t, nil)
	tok := l.token(t, "alice", oidc.TokenOptions{})
	l.oidcSrv.Close()
	_, err := l.assume(t, tok)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidIdentityToken" ||
		ae.ErrorMessage() != "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements" {
		t.Errorf("IdP down: %v", err)
	}
}

// stsProxy is an HTTPS proxy for the aws CLI's credential provider, which
// sends AssumeRoleWithWebIdentity to AWS's STS host whatever --endpoint-url
// says (aws CLI 2.9 has no per-service endpoint setting). It answers CONNECT
// for any host by terminating TLS itself, with a certificate from a test CA
// the CLI is told to trust (AWS_CA_BUNDLE), and serves the decrypted
// requests with the lab's handler: nothing leaves the machine.
type stsProxy struct {
	srv      *httptest.Server
	caFile   string
	connects atomic.Int32
}

func newSTSProxy(t *testing.T, lab http.Handler) *stsProxy {
	t.Helper()
	key, err := certstest.New().Key(2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sts.amazonaws.com"},
		DNSNames:  []string{"sts.amazonaws.com", "sts.us-east-1.amazonaws.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	p := &stsProxy{caFile: caFile}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		p.connects.Add(1)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		if _, err := conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
			return
		}
		tc := tls.Server(&bufferedConn{Conn: conn, r: buf.Reader}, tlsCfg)
		_ = http.Serve(&oneConnListener{conn: tc}, lab)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// oneConnListener hands out one connection, then reports closed once that
// connection is closed.
type oneConnListener struct {
	conn net.Conn
	done chan struct{}
	used bool
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	if l.done == nil {
		l.done = make(chan struct{})
	}
	if !l.used {
		l.used = true
		return &closeNotify{Conn: l.conn, done: l.done}, nil
	}
	<-l.done
	return nil, net.ErrClosed
}
func (l *oneConnListener) Close() error   { return nil }
func (l *oneConnListener) Addr() net.Addr { return l.conn.LocalAddr() }

type closeNotify struct {
	net.Conn
	done chan struct{}
	once bool
}

func (c *closeNotify) Close() error {
	if !c.once {
		c.once = true
		close(c.done)
	}
	return c.Conn.Close()
}

// TestWebIdentityAWSCLI runs Debian's aws CLI v2: assume-role-with-web-identity
// with a token from samlab's OIDC provider, its refusal of an expired token,
// and a web identity profile (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN)
// whose credentials sts get-caller-identity uses.
func TestWebIdentityAWSCLI(t *testing.T) {
	t.Parallel()
	l := newWILab(t, nil)
	cli := newAWSCLI(t, l.srv.URL)
	var out struct {
		Credentials                                     struct{ AccessKeyId, SecretAccessKey, SessionToken string }
		SubjectFromWebIdentityToken, Provider, Audience string
		AssumedRoleUser                                 struct{ Arn string }
	}
	cli.mustJSON([3]string{}, &out, "sts", "assume-role-with-web-identity", "--role-arn", l.roleARN,
		"--role-session-name", "cli", "--web-identity-token", l.token(t, "alice", oidc.TokenOptions{}))
	if out.SubjectFromWebIdentityToken != "alice" || out.Provider != l.provider || out.Audience != wiClientID ||
		out.AssumedRoleUser.Arn != "arn:aws:sts::123456789012:assumed-role/WebRole/cli" || !strings.HasPrefix(out.Credentials.AccessKeyId, "ASIA") {
		t.Errorf("assume-role-with-web-identity output = %+v", out)
	}
	_, errOut, ok := cli.run([3]string{}, "sts", "assume-role-with-web-identity", "--role-arn", l.roleARN,
		"--role-session-name", "cli", "--web-identity-token", l.token(t, "alice", oidc.TokenOptions{Fault: oidc.FaultExpired}))
	if ok || !strings.Contains(errOut, "An error occurred (ExpiredTokenException) when calling the AssumeRoleWithWebIdentity operation: Token expired: current date/time") {
		t.Errorf("expired token: ok=%v stderr=%s", ok, errOut)
	}

	// The web identity profile: the CLI's own credential provider calls
	// AssumeRoleWithWebIdentity (through the proxy), then signs
	// get-caller-identity with the result.
	h, err := l.lab.Handler(scenarios.ServerConfig{Admin: l.admin})
	if err != nil {
		t.Fatal(err)
	}
	proxy := newSTSProxy(t, h)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(l.token(t, "alice", oidc.TokenOptions{})), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), awsCLI, "--endpoint-url", l.srv.URL, "--region", "us-east-1", "--output", "json",
		"sts", "get-caller-identity")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_WEB_IDENTITY_TOKEN_FILE=" + tokenFile, "AWS_ROLE_ARN=" + l.roleARN, "AWS_ROLE_SESSION_NAME=cli-profile",
		"HTTPS_PROXY=" + proxy.srv.URL, "NO_PROXY=127.0.0.1", "AWS_CA_BUNDLE=" + proxy.caFile}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws sts get-caller-identity with a web identity profile: %v\n%s", err, stderr.String())
	}
	var id struct{ Arn, Account string }
	if err := json.Unmarshal(stdout.Bytes(), &id); err != nil {
		t.Fatalf("output: %v\n%s", err, stdout.String())
	}
	if id.Arn != "arn:aws:sts::123456789012:assumed-role/WebRole/cli-profile" || id.Account != "123456789012" {
		t.Errorf("get-caller-identity = %+v", id)
	}
	if proxy.connects.Load() == 0 {
		t.Errorf("the CLI's credential provider never went through the STS proxy")
	}
}
