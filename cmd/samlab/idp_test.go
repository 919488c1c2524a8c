package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/scenarios"
)

// runIn runs the root command with standard input and returns standard
// output and standard error separately.
func runIn(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	cmd := NewRootCommand()
	var out, errOut bytes.Buffer
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(t.Context())
	return out.String(), errOut.String(), err
}

func TestIDPUsersFileErrors(t *testing.T) {
	t.Parallel()
	f := filepath.Join(t.TempDir(), "users.yaml")
	if err := os.WriteFile(f, []byte("version: 1\nusers:\n  alice:\n    groups: [admins]\n    colour: blue\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := runIn(t, "", "idp", "users", "--users", f)
	var fe *idp.UsersFileError
	if !errors.As(err, &fe) || fe.File != f || fe.Line != 5 {
		t.Fatalf("idp users on a broken file = %v, want %s:5: …", err, f)
	}
	if !strings.HasPrefix(err.Error(), f+":5: ") {
		t.Errorf("error %q does not start with FILE:LINE:", err)
	}
	out, _, err := runIn(t, "", "idp", "users", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var users []idp.User
	if err := json.Unmarshal([]byte(out), &users); err != nil || len(users) != 2 || users[0].Name != "alice" {
		t.Errorf("idp users --json = %v, %s", err, out)
	}
}

func exportedCerts(t *testing.T, dir string) *metadata.EntityDescriptor {
	t.Helper()
	out, _, err := runIn(t, "", "metadata", "export", "--keys", dir)
	if err != nil {
		t.Fatalf("metadata export: %v", err)
	}
	ed, err := metadata.Parse([]byte(out))
	if err != nil {
		t.Fatalf("metadata.Parse: %v\n%s", err, out)
	}
	return ed
}

// assertionVerifies checks the Assertion signature of a base64 response
// against the metadata's certificates.
func assertionVerifies(t *testing.T, b64 string, ed *metadata.EntityDescriptor) bool {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		t.Fatalf("output is not base64: %v", err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	a := doc.Root().FindElement("./Assertion")
	if a == nil {
		t.Fatalf("no Assertion in %s", raw)
	}
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: ed.SigningCerts})
	_, err = ctx.Validate(a)
	return err == nil
}

// TestIDPRotateAcrossInvocations drives a rollover through a key directory
// with separate command runs, checking the exported metadata and which key
// signs at each step.
func TestIDPRotateAcrossInvocations(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	if _, _, err := runIn(t, "", "idp", "rotate", "--keys", dir); err != nil {
		t.Fatalf("first rotate: %v", err)
	}
	before := exportedCerts(t, dir)
	if len(before.SigningCerts) != 1 {
		t.Fatalf("new key directory publishes %d certs", len(before.SigningCerts))
	}
	resp, _, err := runIn(t, "", "idp", "assert", "--user", "alice", "--keys", dir)
	if err != nil || !assertionVerifies(t, resp, before) {
		t.Fatalf("assert with the first key: %v", err)
	}

	if _, _, err := runIn(t, "", "idp", "rotate", "--keys", dir, "--rollover"); err != nil {
		t.Fatal(err)
	}
	during := exportedCerts(t, dir)
	if len(during.SigningCerts) != 2 || !during.SigningCerts[0].Equal(before.SigningCerts[0]) {
		t.Fatalf("during rollover: %d certs, want the old one then the new one", len(during.SigningCerts))
	}
	// Still signing with the old key: a provider holding only it accepts.
	if resp, _, _ := runIn(t, "", "idp", "assert", "--user", "alice", "--keys", dir); !assertionVerifies(t, resp, before) {
		t.Error("staging a rollover changed the signing key")
	}

	if _, _, err := runIn(t, "", "idp", "rotate", "--keys", dir); err != nil {
		t.Fatal(err)
	}
	after := exportedCerts(t, dir)
	if len(after.SigningCerts) != 1 || !after.SigningCerts[0].Equal(during.SigningCerts[1]) {
		t.Fatal("after the switch the metadata does not publish exactly the staged key")
	}
	resp, _, _ = runIn(t, "", "idp", "assert", "--user", "alice", "--keys", dir)
	if assertionVerifies(t, resp, before) || !assertionVerifies(t, resp, during) {
		t.Error("after the switch: want a signature only the rollover metadata verifies")
	}
	if _, err := os.Stat(filepath.Join(dir, "previous-1.key")); err != nil {
		t.Errorf("retired key not kept: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "next.key")); !os.IsNotExist(err) {
		t.Errorf("next.key still present after the switch: %v", err)
	}
	// stale-key signs with previous-1: refused by the current metadata.
	resp, _, err = runIn(t, "", "idp", "assert", "--user", "alice", "--keys", dir, "--fault", "stale-key")
	if err != nil || assertionVerifies(t, resp, after) || !assertionVerifies(t, resp, before) {
		t.Errorf("stale-key: err %v; want a signature by the retired key", err)
	}
}

func TestIDPAssertErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown user", []string{"--user", "mallory"}, "unknown user"},
		{"role not mapped", []string{"--user", "alice", "--role", "arn:aws:iam::123456789012:role/Other"}, "not mapped"},
		{"unknown fault", []string{"--user", "alice", "--fault", "nope"}, "unknown fault"},
		{"bad sign", []string{"--user", "alice", "--sign", "everything"}, "--sign"},
		{"missing key dir", []string{"--user", "alice", "--keys", "/nonexistent/keys"}, "key directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := runIn(t, "", append([]string{"idp", "assert", "--fixture-keys"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("idp assert %v = %v, want an error about %q", tt.args, err, tt.want)
			}
		})
	}
}

// startLab serves a demo lab (IdP under /idp, IAM and STS at /) on loopback.
func startLab(t *testing.T) *httptest.Server {
	t.Helper()
	_, ts := startLabWith(t)
	return ts
}

func startLabWith(t *testing.T) (*scenarios.Lab, *httptest.Server) {
	t.Helper()
	lab, err := scenarios.NewLab(scenarios.LabConfig{Keys: certstest.New()})
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.RegisterProvider(); err != nil {
		t.Fatal(err)
	}
	admin, err := scenarios.NewAdminKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := lab.Handler(scenarios.ServerConfig{Admin: admin})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return lab, ts
}

// TestAssertWithSTS feeds "samlab idp assert" output to AssumeRoleWithSAML
// through the AWS SDK, after registering the key directory's metadata, as
// "aws sts assume-role-with-saml --saml-assertion" would.
func TestAssertWithSTS(t *testing.T) {
	t.Parallel()
	lab, ts := startLabWith(t)
	dir := filepath.Join(t.TempDir(), "keys")
	if _, _, err := runIn(t, "", "idp", "rotate", "--keys", dir); err != nil {
		t.Fatal(err)
	}
	md, _, err := runIn(t, "", "metadata", "export", "--keys", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lab.Account.UpdateSAMLProvider(lab.ProviderARN, []byte(md)); err != nil {
		t.Fatalf("update provider: %v", err)
	}
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL)})
	call := func(args ...string) error {
		t.Helper()
		resp, _, err := runIn(t, "", append([]string{"idp", "assert", "--user", "alice", "--keys", dir}, args...)...)
		if err != nil {
			t.Fatalf("idp assert %v: %v", args, err)
		}
		_, err = client.AssumeRoleWithSAML(t.Context(), &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(lab.RoleARN),
			PrincipalArn: aws.String(lab.ProviderARN), SAMLAssertion: aws.String(strings.TrimSpace(resp))})
		return err
	}
	for _, args := range [][]string{nil, {"--sign", "both", "--signature-method", "rsa-sha1", "--digest", "sha1"}, {"--sign", "response"}} {
		if err := call(args...); err != nil {
			t.Errorf("AssumeRoleWithSAML with idp assert %v: %v", args, err)
		}
	}
	var bad *ststypes.InvalidIdentityTokenException
	if err := call("--fault", "tamper"); !errors.As(err, &bad) {
		t.Errorf("tampered response: %v, want InvalidIdentityToken", err)
	}
}

// TestLoginEndToEnd runs samlab login against a lab over real HTTP: IdP
// login with a cookie jar, IdP-initiated SSO, AssumeRoleWithSAML through the
// AWS SDK, then uses the credentials for a SigV4-signed GetCallerIdentity.
func TestLoginEndToEnd(t *testing.T) {
	t.Parallel()
	ts := startLab(t)
	common := []string{"login", "--idp-url", ts.URL + "/idp", "--endpoint-url", ts.URL, "--password-stdin"}

	out, _, err := runIn(t, "samlab\n", append(common, "--username", "alice", "--format", "credential-process")...)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	var cp struct {
		Version                                   int
		AccessKeyID                               string `json:"AccessKeyId"`
		SecretAccessKey, SessionToken, Expiration string
	}
	if err := json.Unmarshal([]byte(out), &cp); err != nil || cp.Version != 1 || !strings.HasPrefix(cp.AccessKeyID, "ASIA") || cp.Expiration == "" {
		t.Fatalf("credential-process output %q: %v", out, err)
	}
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL),
		Credentials: credentials.NewStaticCredentialsProvider(cp.AccessKeyID, cp.SecretAccessKey, cp.SessionToken)})
	id, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with the login's credentials: %v", err)
	}
	if got, want := aws.ToString(id.Arn), "arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice"; got != want {
		t.Errorf("caller = %q, want %q", got, want)
	}

	// bob has two roles: the prompt picks the first; env output.
	out, prompt, err := runIn(t, "samlab\n1\n", append(common, "--username", "bob")...)
	if err != nil {
		t.Fatalf("login bob: %v\n%s", err, prompt)
	}
	if !strings.Contains(prompt, "[2] arn:aws:iam::123456789012:role/SAMLReadOnly") ||
		!strings.Contains(out, "export AWS_SESSION_TOKEN=") || !strings.Contains(out, "assumed-role/SAMLAdmin/bob") {
		t.Errorf("bob's login: prompt %q, output %q", prompt, out)
	}

	errTests := []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"wrong password", "nope\n", []string{"--username", "alice"}, "Invalid username or password"},
		{"role not granted", "samlab\n", []string{"--username", "alice", "--role", "arn:aws:iam::123456789012:role/Other"}, "not in the SAMLResponse"},
		{"no role chosen", "samlab\n\n", []string{"--username", "bob"}, "no role chosen"},
		{"bad format", "samlab\n", []string{"--username", "alice", "--format", "yaml"}, "--format"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runIn(t, tt.stdin, append(common, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("login %v = %v, want an error about %q", tt.args, err, tt.want)
			}
		})
	}
}

// TestIDPServe starts "samlab idp serve" with an SP's metadata and checks
// that it serves its metadata and knows the SP.
func TestIDPServe(t *testing.T) {
	t.Parallel()
	spFile := filepath.Join(t.TempDir(), "sp.xml")
	sp := `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.samlab.test/metadata">` +
		`<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
		`<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.samlab.test/acs" index="0"/>` +
		`</md:SPSSODescriptor></md:EntityDescriptor>`
	if err := os.WriteFile(spFile, []byte(sp), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cmd := NewRootCommand()
	var out syncBuffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"idp", "serve", "--listen", "127.0.0.1:0", "--fixture-keys", "--sp", spFile})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("idp serve: %v", err)
		}
	})
	var mdURL string
	for deadline := time.Now().Add(10 * time.Second); mdURL == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, line := range strings.Split(out.String(), "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == "metadata" {
				mdURL = f[1]
			}
		}
	}
	if mdURL == "" || !strings.Contains(out.String(), "https://sp.samlab.test/metadata") {
		t.Fatalf("idp serve output:\n%s", out.String())
	}
	resp, err := http.Get(mdURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if _, err := metadata.Parse(body); err != nil || resp.StatusCode != 200 {
		t.Errorf("GET %s = %d, %v", mdURL, resp.StatusCode, err)
	}
}

// TestLoginAgainstUp runs samlab login against a running "samlab up", as a
// trainee would: the password from the environment-free stdin, the
// credentials printed as shell exports.
func TestLoginAgainstUp(t *testing.T) {
	t.Parallel()
	up := startUp(t)
	out, _, err := runIn(t, "samlab\n", "login", "--idp-url", up.endpoint+"/idp", "--endpoint-url", up.endpoint,
		"--username", "alice", "--password-stdin", "--format", "json")
	if err != nil {
		t.Fatalf("login against samlab up: %v\n%s", err, up.out)
	}
	var got struct{ AssumedRoleArn, AccessKeyId string }
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("login output %q: %v", out, err)
	}
	if got.AssumedRoleArn != "arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice" || !strings.HasPrefix(got.AccessKeyId, "ASIA") {
		t.Errorf("login = %+v", got)
	}
}

// TestIDPInitiatedToConsole follows IdP-initiated SSO in "samlab up" the way
// a browser does: log in at the IdP, take the auto-submitting form from
// /idp/sso/aws and post it where it points, the local console sign-in.
func TestIDPInitiatedToConsole(t *testing.T) {
	t.Parallel()
	up := startUp(t)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/saml" || strings.HasPrefix(req.URL.Path, "/console") {
			return http.ErrUseLastResponse // the console itself is not under test here
		}
		return nil
	}}
	for _, tt := range []struct {
		user       string
		wantStatus int
		wantBody   string
	}{
		{"alice", http.StatusFound, ""},                // one role: signed straight in
		{"bob", http.StatusOK, `class="saml-account"`}, // two roles: the role chooser
	} {
		t.Run(tt.user, func(t *testing.T) {
			resp, err := postLoginForm(t, c, up.endpoint+"/idp/login?return=sso/aws", tt.user, "samlab")
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			action, fields, err := idp.ParsePostForm(page)
			if err != nil {
				t.Fatalf("no SSO form after login (%d): %v\n%s", resp.StatusCode, err, page)
			}
			ref, _ := url.Parse(action)
			target := resp.Request.URL.ResolveReference(ref)
			if target.String() != up.endpoint+"/saml" {
				t.Fatalf("form posts to %s, want the lab console %s/saml", target, up.endpoint)
			}
			resp, err = c.PostForm(target.String(), fields)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("console answered %d, want %d with %q:\n%s", resp.StatusCode, tt.wantStatus, tt.wantBody, body)
			}
		})
	}
}

// postLoginForm opens the IdP login page at loginURL and posts its form back
// filled in, as a browser does (hidden fields included).
func postLoginForm(t *testing.T, c *http.Client, loginURL, user, password string) (*http.Response, error) {
	t.Helper()
	resp, err := c.Get(loginURL)
	if err != nil {
		return nil, err
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	action, fields, err := idp.ParseLoginForm(page)
	if err != nil {
		return nil, fmt.Errorf("GET %s (%d): %w", loginURL, resp.StatusCode, err)
	}
	fields.Set("username", user)
	fields.Set("password", password)
	return c.PostForm(action, fields)
}
