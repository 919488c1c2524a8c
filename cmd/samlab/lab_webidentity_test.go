package main

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/samlab-dev/samlab/scenarios/labs"
)

// labToken gets an ID token from a served lab's OpenID Connect provider as
// a trainee does: samlab idp token --endpoint LAB_URL (the password grant).
func labToken(t *testing.T, endpoint, user, audience string) string {
	t.Helper()
	cmd := NewRootCommand()
	var stdout, stderr bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetIn(strings.NewReader(""))
	cmd.SetArgs([]string{"idp", "token", "--endpoint", endpoint, "--user", user, "--audience", audience})
	if err := cmd.ExecuteContext(t.Context()); err != nil {
		t.Fatalf("samlab idp token --endpoint %s: %v\n%s", endpoint, err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// tokenClaims decodes an ID token's claims (no verification: STS does that).
func tokenClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
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

// assumeWithWebIdentity runs aws sts assume-role-with-web-identity against a
// lab, as the app would.
func assumeWithWebIdentity(t *testing.T, seat labs.Seat, endpoint, role, session, token string) (string, error) {
	t.Helper()
	return awsCall(t, seat, endpoint, "sts", "assume-role-with-web-identity", "--role-arn",
		"arn:aws:iam::"+seat.Account+":role/"+role, "--role-session-name", session, "--web-identity-token", token)
}

// TestWebIdentityLabClass serves oidc-client-id-missing to a class of two:
// each trainee's lab has its own issuer (its URL + /idp/oidc), registered in
// its own account; a trainee gets tokens with samlab idp token --endpoint
// and redeems them with the aws CLI; one trainee's fix (the printed
// solution, run with the aws CLI) fixes that lab alone, and survives a
// restart.
func TestWebIdentityLabClass(t *testing.T) {
	requireAWSCLI(t)
	t.Setenv(PasswordEnv, labs.DemoPassword)
	state := filepath.Join(t.TempDir(), "class")
	l := startClass(t, state, "oidc-client-id-missing", "--trainees", "2")
	m := readManifest(t, state)
	one, two := m.Trainees[0], m.Trainees[1]

	tok1 := labToken(t, one.Endpoint, "alice", "my-web-app")
	tok2 := labToken(t, two.Endpoint, "alice", "my-web-app")
	if iss := tokenClaims(t, tok1)["iss"]; iss != one.Endpoint+"/idp/oidc" {
		t.Errorf("trainee 1's token has iss %v, want %s/idp/oidc", iss, one.Endpoint)
	}
	if iss := tokenClaims(t, tok2)["iss"]; iss != two.Endpoint+"/idp/oidc" {
		t.Errorf("trainee 2's token has iss %v, want %s/idp/oidc", iss, two.Endpoint)
	}
	out, err := awsCall(t, one, one.Endpoint, "iam", "list-open-id-connect-providers")
	host1 := strings.TrimPrefix(one.Endpoint, "http://") + "/idp/oidc"
	host2 := strings.TrimPrefix(two.Endpoint, "http://") + "/idp/oidc"
	if err != nil || !strings.Contains(out, "arn:aws:iam::"+one.Account+":oidc-provider/"+host1) || strings.Contains(out, host2) {
		t.Errorf("trainee 1's OIDC providers: %v\n%s", err, out)
	}

	// Broken: the token's audience is not on the provider's client ID list.
	out, err = assumeWithWebIdentity(t, one, one.Endpoint, "WebApp", "alice", tok1)
	if err == nil || !strings.Contains(out, "An error occurred (InvalidIdentityToken) when calling the AssumeRoleWithWebIdentity operation: Incorrect token audience") {
		t.Errorf("broken lab: %v\n%s", err, out)
	}
	// Isolation: trainee 2's account knows nothing of trainee 1's issuer.
	out, err = assumeWithWebIdentity(t, two, two.Endpoint, "WebApp", "alice", tok1)
	if err == nil || !strings.Contains(out, "No OpenIDConnect provider found in your account for "+one.Endpoint+"/idp/oidc") {
		t.Errorf("trainee 1's token at trainee 2's lab: %v\n%s", err, out)
	}

	out, err = run(t, "lab", "solution", "--state", state, "--trainee", "1")
	wantExit(t, "solution for trainee 1", out, err, 0,
		"iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn arn:aws:iam::"+one.Account+":oidc-provider/"+host1+" --client-id my-web-app")
	runSolution(t, out, one)
	out, err = run(t, "lab", "check", "--state", state, "--trainee", "1")
	wantExit(t, "trainee 1's check", out, err, 0, "fixed (check 1)", "assumed-role/WebApp/alice")
	out, err = run(t, "lab", "check", "--state", state, "--trainee", "2")
	wantExit(t, "trainee 2's check", out, err, 1, "not fixed (check 1)", "InvalidIdentityToken (400): Incorrect token audience")

	// The app's own call works now, with the same token.
	out, err = assumeWithWebIdentity(t, one, one.Endpoint, "WebApp", "alice", tok1)
	for _, want := range []string{`"Arn": "arn:aws:sts::` + one.Account + `:assumed-role/WebApp/alice"`,
		`"SubjectFromWebIdentityToken": "alice"`, `"Audience": "my-web-app"`,
		`"Provider": "arn:aws:iam::` + one.Account + `:oidc-provider/` + host1 + `"`} {
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("fixed lab: %v, output lacks %s\n%s", err, want, out)
		}
	}
	out, err = assumeWithWebIdentity(t, two, two.Endpoint, "WebApp", "alice", tok2)
	if err == nil || !strings.Contains(out, "Incorrect token audience") {
		t.Errorf("trainee 2's lab after trainee 1's fix: %v\n%s", err, out)
	}

	// A restart replays the broken state (STS fetching the replayed issuer's
	// keys) and keeps trainee 1's fix.
	if err := l.stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, l.out)
	}
	startClass(t, state, "oidc-client-id-missing")
	out, err = run(t, "lab", "check", "--state", state, "--trainee", "1")
	wantExit(t, "trainee 1's check after a restart", out, err, 0, "fixed (check 2)")
	out, err = run(t, "lab", "check", "--state", state, "--trainee", "2")
	wantExit(t, "trainee 2's check after a restart", out, err, 1, "not fixed (check 2)")
	if tok := labToken(t, one.Endpoint, "alice", "my-web-app"); tokenClaims(t, tok)["iss"] != one.Endpoint+"/idp/oidc" {
		t.Errorf("after a restart the issuer moved: %v", tokenClaims(t, tok)["iss"])
	}
}

// TestCognitoLabFixSurvivesRestart fixes cognito-unauthenticated-denied with
// the printed solution and restarts the lab: the identity pool keeps the
// trainee's change.
func TestCognitoLabFixSurvivesRestart(t *testing.T) {
	requireAWSCLI(t)
	state := filepath.Join(t.TempDir(), "class")
	l := startClass(t, state, "cognito-unauthenticated-denied")
	if !strings.Contains(l.out.String(), "/idp/oidc\n") {
		t.Errorf("the banner does not name the lab's OIDC issuer:\n%s", l.out)
	}
	seat, _ := readManifest(t, state).Seat(1)
	out, err := run(t, "lab", "check", "--state", state)
	wantExit(t, "check before the fix", out, err, 1, "NotAuthorizedException (400): Unauthenticated access is not supported for this identity pool.")
	out, err = run(t, "lab", "solution", "--state", state)
	if err != nil {
		t.Fatal(err)
	}
	runSolution(t, out, seat)
	out, err = run(t, "lab", "check", "--state", state)
	wantExit(t, "check after the fix", out, err, 0, "fixed (check 2)", "assumed-role/AppGuest/CognitoIdentityCredentials")
	if err := l.stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, l.out)
	}
	startClass(t, state, "cognito-unauthenticated-denied")
	out, err = run(t, "lab", "check", "--state", state)
	wantExit(t, "check after a restart", out, err, 0, "fixed (check 3)")
	out, err = awsCall(t, seat, seat.Endpoint, "cognito-identity", "list-identity-pools", "--max-results", "10")
	if err != nil || strings.Count(out, `"IdentityPoolName": "app"`) != 1 {
		t.Errorf("pools after a restart: %v\n%s", err, out)
	}
}

// issuerCA returns the top certificate of the chain an https issuer
// presents, as PEM: what a trainee takes from openssl s_client -showcerts.
func issuerCA(t *testing.T, issuer string) []byte {
	t.Helper()
	host := strings.TrimPrefix(issuer, "https://")
	if i := strings.IndexByte(host, '/'); i >= 0 {
		host = host[:i]
	}
	conn, err := tls.Dial("tcp", host, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}) //nolint:gosec // reading the chain, as openssl s_client does
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	chain := conn.ConnectionState().PeerCertificates
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: chain[len(chain)-1].Raw})
}

// TestHTTPSIssuerLabOverRestart serves oidc-issuer-new-ca, whose issuer is
// https on a listener of its own: the banner and the manifest name it, the
// printed solution (openssl and the aws CLI) fixes the lab, and after a
// restart the issuer is at the same URL with the same certificate chain, so
// the trainee's thumbprint still matches; a token from samlab idp token
// --endpoint ISSUER --ca-file is redeemed with the aws CLI.
func TestHTTPSIssuerLabOverRestart(t *testing.T) {
	requireAWSCLI(t)
	requireTool(t, "/usr/bin/openssl")
	t.Setenv(PasswordEnv, labs.DemoPassword)
	state := filepath.Join(t.TempDir(), "class")
	l := startClass(t, state, "oidc-issuer-new-ca")
	seat, _ := readManifest(t, state).Seat(1)
	if !strings.HasPrefix(seat.OIDCIssuer, "https://127.0.0.1:") || !regexp.MustCompile(`\nOIDC issuer +`+regexp.QuoteMeta(seat.OIDCIssuer)+`\n`).MatchString(l.out.String()) {
		t.Fatalf("manifest issuer %q; banner:\n%s", seat.OIDCIssuer, l.out)
	}
	for _, want := range []string{"iam list-open-id-connect-providers",
		"samlab idp token --endpoint " + seat.OIDCIssuer + " --ca-file CA.pem --user alice",
		"sts assume-role-with-web-identity --role-arn arn:aws:iam::" + seat.Account + ":role/ROLE"} {
		if !strings.Contains(l.out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, l.out)
		}
	}
	ca := issuerCA(t, seat.OIDCIssuer)
	out, err := run(t, "lab", "check", "--state", state)
	wantExit(t, "check before the fix", out, err, 1, "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint")
	out, err = run(t, "lab", "solution", "--state", state)
	if err != nil {
		t.Fatal(err)
	}
	runSolution(t, out, seat)
	out, err = run(t, "lab", "check", "--state", state)
	wantExit(t, "check after the fix", out, err, 0, "fixed (check 2)")

	if err := l.stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, l.out)
	}
	startClass(t, state, "oidc-issuer-new-ca")
	again, _ := readManifest(t, state).Seat(1)
	if again.OIDCIssuer != seat.OIDCIssuer {
		t.Errorf("after a restart the issuer is %s, was %s", again.OIDCIssuer, seat.OIDCIssuer)
	}
	if got := issuerCA(t, again.OIDCIssuer); !bytes.Equal(got, ca) {
		t.Error("after a restart the issuer presents another chain")
	}
	out, err = run(t, "lab", "check", "--state", state)
	wantExit(t, "check after a restart", out, err, 0, "fixed (check 3)")

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := NewRootCommand()
	var stdout, stderr bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs([]string{"idp", "token", "--endpoint", seat.OIDCIssuer, "--ca-file", caFile, "--user", "alice", "--audience", "sts.amazonaws.com"})
	if err := cmd.ExecuteContext(t.Context()); err != nil {
		t.Fatalf("samlab idp token --endpoint %s --ca-file: %v\n%s", seat.OIDCIssuer, err, stderr.String())
	}
	out, err = assumeWithWebIdentity(t, seat, seat.Endpoint, "WebApp", "alice", strings.TrimSpace(stdout.String()))
	if err != nil || !strings.Contains(out, `"Arn": "arn:aws:sts::`+seat.Account+`:assumed-role/WebApp/alice"`) {
		t.Errorf("assume-role-with-web-identity after a restart: %v\n%s", err, out)
	}
}

// TestWebIdentityLabCodeFlow runs the authorization-code flow with PKCE
// against a served lab's OpenID Connect provider, as samlab up's demo
// client: the authorize endpoint sends the browser to the lab's IdP login,
// the code comes back after it, and the ID token from the exchange verifies
// with go-oidc through the lab's discovery.
func TestWebIdentityLabCodeFlow(t *testing.T) {
	state := filepath.Join(t.TempDir(), "class")
	startClass(t, state, "oidc-sub-condition-mismatch")
	seat, _ := readManifest(t, state).Seat(1)
	ctx := t.Context()
	op, err := gooidc.NewProvider(ctx, seat.OIDCIssuer)
	if err != nil {
		t.Fatalf("go-oidc discovery at the lab's issuer %s: %v", seat.OIDCIssuer, err)
	}
	login, callback, raw := codeFlow(t, op, "bob", labs.DemoPassword)
	if !strings.HasPrefix(login.String(), seat.Endpoint+scenariosLoginPath+"?") {
		t.Fatalf("authorize led to %s, want the lab's IdP login page", login)
	}
	if got := callback.Query().Get("iss"); got != seat.OIDCIssuer {
		t.Errorf("the redirect back names issuer %q, want %q", got, seat.OIDCIssuer)
	}
	idt, err := op.Verifier(&gooidc.Config{ClientID: demoOIDCClientID}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("go-oidc Verify of the code-flow token: %v", err)
	}
	if idt.Subject != "bob" || idt.Issuer != seat.Endpoint+"/idp/oidc" {
		t.Errorf("code-flow token: sub %q, iss %q", idt.Subject, idt.Issuer)
	}
}
