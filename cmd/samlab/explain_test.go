package main

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/iam"
)

// jsonReport is the documented JSON schema of samlab explain, read back.
type jsonReport struct {
	Schema  string `json:"schema"`
	Reports []struct {
		Accepted  bool   `json:"accepted"`
		Code      string `json:"code"`
		Status    int    `json:"status"`
		Message   string `json:"message"`
		Diagnosis string `json:"diagnosis"`
		Source    string `json:"source"`
		PostedTo  string `json:"posted_to"`
		PostedAt  string `json:"posted_at"`
		Findings  []struct {
			Check     string `json:"check"`
			OK        bool   `json:"ok"`
			NotJudged bool   `json:"not_judged"`
			Detail    string `json:"detail"`
		} `json:"findings"`
		NotJudged []string `json:"not_judged"`
		Fixes     []struct {
			Rank     int               `json:"rank"`
			Cause    string            `json:"cause"`
			Where    string            `json:"where"`
			Commands []string          `json:"commands"`
			Files    map[string]string `json:"files"`
		} `json:"fixes"`
	} `json:"reports"`
}

// TestExplainHARFromLoopbackSignIn records a real sign-in over loopback
// HTTP in HAR 1.2 form (one login before an unannounced key rotation, one
// after) and explains it: one report per posted SAMLResponse, the second
// diagnosed as a certificate rotation with the update-saml-provider command.
func TestExplainHARFromLoopbackSignIn(t *testing.T) {
	t.Parallel()
	har, registered, current := recordSignInHAR(t)
	dir := t.TempDir()
	if *updateHAR {
		dir = filepath.Join("testdata", "signin")
	}
	harFile := writeFile(t, filepath.Join(dir, "signin.har"), har)
	regFile := writeFile(t, filepath.Join(dir, "registered.xml"), registered)
	curFile := writeFile(t, filepath.Join(dir, "idp-metadata.xml"), current)

	out, err := run(t, "explain", "--response", harFile, "--metadata", regFile, "--idp-metadata", curFile, "--at", "posted")
	if exitCode(err) != 1 {
		t.Fatalf("explain HAR: exit %d (%v), want 1\n%s", exitCode(err), err, out)
	}
	first, second, ok := strings.Cut(out, "\n== ")
	if !ok {
		t.Fatalf("want two reports:\n%s", out)
	}
	if !regexp.MustCompile(`^== ` + regexp.QuoteMeta(harFile) + ` entry \d+ \(POST http://127\.0\.0\.1:\d+/saml\)\n`).MatchString(first) {
		t.Errorf("first report does not start with its HAR entry:\n%s", first)
	}
	for _, want := range []string{"ACCEPTED as far as judged", "n/a  trust-policy"} {
		if !strings.Contains(first, want) {
			t.Errorf("first report lacks %q:\n%s", want, first)
		}
	}
	for _, want := range []string{
		"REJECTED: InvalidIdentityToken (HTTP 400): Response signature invalid",
		"FAIL signed-with",
		"THE FIX (most likely first)",
		" 1. [aws] The IdP rotated its signing certificate",
		"$ aws iam update-saml-provider --saml-provider-arn arn:aws:iam::123456789012:saml-provider/samlab --saml-metadata-document file://" + curFile,
	} {
		if !strings.Contains(second, want) {
			t.Errorf("second report lacks %q:\n%s", want, second)
		}
	}

	out, err = run(t, "explain", "--response", harFile, "--metadata", regFile, "--idp-metadata", curFile, "--at", "posted", "--output", "json")
	if exitCode(err) != 1 {
		t.Fatalf("explain --output json: exit %d (%v)", exitCode(err), err)
	}
	var rep jsonReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("JSON output does not parse: %v\n%s", err, out)
	}
	if rep.Schema != explainSchema || len(rep.Reports) != 2 {
		t.Fatalf("schema %q with %d reports, want %s with 2", rep.Schema, len(rep.Reports), explainSchema)
	}
	r0, r1 := rep.Reports[0], rep.Reports[1]
	if !r0.Accepted || r1.Accepted || r1.Code != "InvalidIdentityToken" || r1.Status != 400 || r1.Diagnosis != "cert-rotation" {
		t.Errorf("reports = %+v / %+v", r0, r1)
	}
	if len(r1.Fixes) == 0 || r1.Fixes[0].Where != "aws" || !strings.Contains(strings.Join(r1.Fixes[0].Commands, "\n"), "aws iam update-saml-provider") {
		t.Errorf("first fix = %+v", r1.Fixes)
	}
	if !strings.HasPrefix(r1.PostedTo, "http://127.0.0.1:") || r1.PostedAt == "" {
		t.Errorf("posted_to %q, posted_at %q", r1.PostedTo, r1.PostedAt)
	}

	// The fix, applied: with the IdP's current metadata registered, the
	// failing response is accepted.
	// The first (pre-rotation) response is signed by the old key, which the
	// current metadata no longer lists: exactly the second is accepted.
	if out, err := run(t, "explain", "--response", harFile, "--metadata", curFile, "--at", "posted"); exitCode(err) != 1 ||
		strings.Count(out, "ACCEPTED") != 1 || !strings.Contains(out[strings.LastIndex(out, "\n== "):], "ACCEPTED") {
		t.Errorf("after the fix: exit %d (%v), want 1 with one acceptance\n%s", exitCode(err), err, out)
	}

	// scenario from-capture turns the HAR into scenario files that reproduce
	// each sign-in; the rejected one reproduces the rotation and its fix.
	scDir := t.TempDir()
	if out, err := run(t, "scenario", "from-capture", "--response", harFile, "--metadata", regFile, "--at", "posted", "--dir", scDir); err != nil {
		t.Fatalf("from-capture: %v\n%s", err, out)
	}
	out, err = run(t, "scenario", "run", "--file", filepath.Join(scDir, "02-cert-rotation.yaml"), "--fixture-keys")
	if err != nil || !strings.Contains(out, "PASS") || !strings.Contains(out, "Response signature invalid") {
		t.Errorf("the generated scenario does not reproduce the failure: %v\n%s", err, out)
	}
}

// TestExplainInputForms gives the same captured response and metadata in
// every form an engineer may hold; each must produce the same verdict.
func TestExplainInputForms(t *testing.T) {
	t.Parallel()
	s := newSignInLab(t, time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC))
	registered, err := s.lab.IDP.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.lab.IDP.Rotate(); err != nil {
		t.Fatal(err)
	}
	resp, err := s.lab.IDP.AWSResponse(s.lab.Users[scenarios.DefaultUser], idp.ResponseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b64 := resp.Base64()
	dir := t.TempDir()
	file := func(name string, data string) string { return writeFile(t, filepath.Join(dir, name), []byte(data)) }
	wrapped := ""
	for i := 0; i < len(b64); i += 76 {
		wrapped += b64[i:min(i+76, len(b64))] + "\n"
	}
	mdXML := file("registered.xml", string(registered))
	var escaped strings.Builder
	_ = xml.EscapeText(&escaped, registered)
	getJSON, _ := json.Marshal(map[string]any{"SAMLMetadataDocument": string(registered), "CreateDate": "2026-03-14T09:00:00Z", "ValidUntil": "2126-03-14T09:00:00Z"})
	mdServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(registered) }))
	t.Cleanup(mdServer.Close)

	responses := map[string]string{
		"base64":         file("r.b64", b64+"\n"),
		"base64 wrapped": file("r-wrapped.b64", wrapped),
		"xml":            file("r.xml", string(resp.XML)),
		"form body":      file("r.form", "SAMLResponse="+url.QueryEscape(b64)+"&RelayState="),
		"html form":      file("r.html", `<html><body onload="document.forms[0].submit()"><form method="post" action="https://signin.aws.amazon.com/saml"><input type="hidden" name="SAMLResponse" value="`+b64+`"/></form></body></html>`),
		"saml2aws log":   file("saml2aws.log", "DEBU[0003] HTTP Req   method=POST url=\"https://signin.aws.amazon.com/saml\"\nDEBU[0003] body: RelayState=&SAMLResponse="+url.QueryEscape(b64)+"\n"),
	}
	metadatas := map[string]string{
		"xml":                    mdXML,
		"get-saml-provider json": file("provider.json", string(getJSON)),
		"GetSAMLProvider xml":    file("provider-api.xml", `<GetSAMLProviderResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetSAMLProviderResult><SAMLMetadataDocument>`+escaped.String()+`</SAMLMetadataDocument></GetSAMLProviderResult><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></GetSAMLProviderResponse>`),
		"loopback url":           mdServer.URL + "/idp/metadata",
	}
	const want = "REJECTED: InvalidIdentityToken (HTTP 400): Response signature invalid"
	for name, f := range responses {
		t.Run("response "+name, func(t *testing.T) {
			t.Parallel()
			out, err := run(t, "explain", "--response", f, "--metadata", mdXML, "--at", "issue-instant")
			if exitCode(err) != 1 || !strings.Contains(out, want) {
				t.Errorf("exit %d (%v), want 1 and %q:\n%s", exitCode(err), err, want, out)
			}
		})
	}
	for name, f := range metadatas {
		t.Run("metadata "+name, func(t *testing.T) {
			t.Parallel()
			out, err := run(t, "explain", "--response", responses["base64"], "--metadata", f, "--at", "issue-instant")
			if exitCode(err) != 1 || !strings.Contains(out, want) {
				t.Errorf("exit %d (%v), want 1 and %q:\n%s", exitCode(err), err, want, out)
			}
		})
	}
	t.Run("stdin", func(t *testing.T) {
		t.Parallel()
		cmd := NewRootCommand()
		var out strings.Builder
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetIn(strings.NewReader("SAMLResponse=" + url.QueryEscape(b64)))
		cmd.SetArgs([]string{"explain", "--response", "-", "--metadata", mdXML, "--at", "issue-instant"})
		err := cmd.ExecuteContext(t.Context())
		if exitCode(err) != 1 || !strings.Contains(out.String(), want) {
			t.Errorf("exit %d (%v):\n%s", exitCode(err), err, out.String())
		}
	})
}

// TestExplainBadInput: every unusable input is exit status 2 with a
// one-line error naming the input and what was expected.
func TestExplainBadInput(t *testing.T) {
	t.Parallel()
	lab, err := scenarios.NewLab(scenarios.LabConfig{Keys: newFixtureKeys()})
	if err != nil {
		t.Fatal(err)
	}
	md, err := lab.IDP.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := lab.IDP.AWSResponse(lab.Users[scenarios.DefaultUser], idp.ResponseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := func(name, data string) string { return writeFile(t, filepath.Join(dir, name), []byte(data)) }
	good, mdFile := file("good.b64", resp.Base64()), file("md.xml", string(md))
	huge := filepath.Join(dir, "huge.har")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(500 << 20); err != nil { // sparse: 500 MB that take no disk
		t.Fatal(err)
	}
	f.Close()
	tests := []struct {
		name string
		args []string
		want []string // in the error
	}{
		{"truncated base64", []string{"--response", file("cut.b64", resp.Base64()[:len(resp.Base64())-7]), "--metadata", mdFile}, []string{"cut.b64", "truncated"}},
		{"not base64", []string{"--response", file("junk.txt", "hello, world!"), "--metadata", mdFile}, []string{"junk.txt", "expected a SAMLResponse"}},
		{"base64 of something else", []string{"--response", file("other.b64", base64.StdEncoding.EncodeToString([]byte("<html/>"))), "--metadata", mdFile}, []string{"other.b64", "<html>", "samlp:Response"}},
		{"HAR without SAMLResponse", []string{"--response", file("empty.har", `{"log":{"version":"1.2","entries":[{"request":{"method":"GET","url":"https://example.com/"}}]}}`), "--metadata", mdFile}, []string{"empty.har", "HAR with 1 entries", "SAMLResponse"}},
		{"500 MB file", []string{"--response", huge, "--metadata", mdFile}, []string{"huge.har", "524288000 bytes"}},
		{"metadata that is not metadata", []string{"--response", good, "--metadata", file("md.html", "<html><body>login</body></html>")}, []string{"md.html", "<html>", "EntityDescriptor"}},
		{"metadata without an IdP", []string{"--response", good, "--metadata", file("sp.xml", `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp"><SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></EntityDescriptor>`)}, []string{"sp.xml", "IDPSSODescriptor"}},
		{"metadata JSON without document", []string{"--response", good, "--metadata", file("p.json", `{"CreateDate":"x"}`)}, []string{"p.json", "SAMLMetadataDocument"}},
		{"metadata URL off loopback", []string{"--response", good, "--metadata", "http://192.0.2.1/metadata"}, []string{"192.0.2.1", "loopback"}},
		{"missing file", []string{"--response", filepath.Join(dir, "nope.b64"), "--metadata", mdFile}, []string{"nope.b64"}},
		{"role file that is not a role", []string{"--response", good, "--metadata", mdFile, "--role-file", file("role.txt", "Admin")}, []string{"role.txt", "get-role"}},
		{"key that is not a key", []string{"--response", good, "--metadata", mdFile, "--key", file("key.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")}, []string{"key.pem", "PRIVATE KEY"}},
		{"no IAM side", []string{"--response", good}, []string{"--metadata"}},
		{"state dir without state", []string{"--response", good, "--state", dir}, []string{dir, "no samlab state"}},
		{"endpoint without credentials", []string{"--response", good, "--endpoint", "ftp://x"}, []string{"--endpoint"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := run(t, append([]string{"explain"}, tt.args...)...)
			if exitCode(err) != 2 {
				t.Fatalf("exit %d (%v), want 2\n%s", exitCode(err), err, out)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not name %q", msg, w)
				}
			}
		})
	}
}

func newFixtureKeys() certs.KeySource { return certstest.New() }

// TestExplainTrustPolicy: with the role's trust policy, a condition that the
// response does not meet is named, the fix is update-assume-role-policy with
// a corrected policy, and that policy, applied, is accepted. Without it, the
// trust policy is reported as not judged.
func TestExplainTrustPolicy(t *testing.T) {
	t.Parallel()
	lab, err := scenarios.NewLab(scenarios.LabConfig{Keys: newFixtureKeys()})
	if err != nil {
		t.Fatal(err)
	}
	md, err := lab.IDP.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	// The IdP posts to the eu-west-1 regional endpoint; the trust policy
	// only allows the global one.
	resp, err := lab.IDP.AWSResponse(lab.Users[scenarios.DefaultUser], idp.ResponseOptions{Recipient: "https://eu-west-1.signin.aws.amazon.com/saml"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	respFile := writeFile(t, filepath.Join(dir, "r.b64"), []byte(resp.Base64()))
	mdFile := writeFile(t, filepath.Join(dir, "md.xml"), md)
	getRole, _ := json.Marshal(map[string]any{"Role": map[string]any{"Path": "/", "RoleName": "SAMLAdmin", "Arn": lab.RoleARN,
		"MaxSessionDuration": 3600, "AssumeRolePolicyDocument": json.RawMessage(iam.SAMLTrustPolicy(lab.ProviderARN))}})
	roleFile := writeFile(t, filepath.Join(dir, "role.json"), getRole)

	out, err := run(t, "explain", "--response", respFile, "--metadata", mdFile, "--at", "issue-instant")
	if err != nil || !strings.Contains(out, "ACCEPTED as far as judged") || !strings.Contains(out, "n/a  trust-policy") || !strings.Contains(out, "NOT JUDGED") {
		t.Errorf("without a trust policy: exit %d (%v), want acceptance with the trust policy not judged\n%s", exitCode(err), err, out)
	}

	fixes := filepath.Join(dir, "fixes")
	out, err = run(t, "explain", "--response", respFile, "--metadata", mdFile, "--role-file", roleFile, "--at", "issue-instant", "--write-fixes", fixes)
	if exitCode(err) != 1 {
		t.Fatalf("with the trust policy: exit %d (%v), want 1\n%s", exitCode(err), err, out)
	}
	for _, want := range []string{
		"REJECTED: AccessDenied (HTTP 403): Not authorized to perform sts:AssumeRoleWithSAML",
		`condition StringEquals SAML:aud ["https://signin.aws.amazon.com/saml"] fails, the request has ["https://eu-west-1.signin.aws.amazon.com/saml"]`,
		"$ aws iam update-assume-role-policy --role-name SAMLAdmin --policy-document file://trust-policy.json",
		"the eu-west-1 regional sign-in endpoint",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	fixed, err := os.ReadFile(filepath.Join(fixes, "trust-policy.json"))
	if err != nil {
		t.Fatalf("--write-fixes wrote no trust-policy.json: %v", err)
	}
	// The corrected policy, given as a bare policy document, is accepted.
	out, err = run(t, "explain", "--response", respFile, "--metadata", mdFile, "--role-file", filepath.Join(fixes, "trust-policy.json"), "--role", lab.RoleARN, "--at", "issue-instant")
	if err != nil || !strings.Contains(out, "ACCEPTED: AssumeRoleWithSAML succeeds") || !strings.Contains(out, "ok   trust-policy") {
		t.Errorf("with the corrected policy %s: exit %d (%v)\n%s", fixed, exitCode(err), err, out)
	}
}

// TestExplainEndpointAndState reads provider and role from a running samlab
// through its IAM API, and from a state directory, and finds the role's
// trust policy and the provider's decryption key there.
func TestExplainEndpointAndState(t *testing.T) {
	s := newSignInLab(t, time.Now().UTC())
	lab := s.lab
	if err := lab.RegisterProvider(); err != nil {
		t.Fatal(err)
	}
	// A trust policy that requires an attribute the IdP does not send.
	strict := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml","saml:edupersonaffiliation":"staff"}}}]}`, lab.ProviderARN)
	if err := lab.Account.UpdateAssumeRolePolicy(scenarios.DefaultRoleName, strict); err != nil {
		t.Fatal(err)
	}
	resp, err := lab.IDP.AWSResponse(lab.Users[scenarios.DefaultUser], idp.ResponseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	respFile := writeFile(t, filepath.Join(dir, "r.b64"), []byte(resp.Base64()))

	// --endpoint: the admin credentials come from the environment.
	admin, err := scenarios.NewAdminKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := lab.Handler(scenarios.ServerConfig{Admin: admin})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", admin.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", admin.SecretAccessKey)
	out, err := run(t, "explain", "--response", respFile, "--endpoint", srv.URL)
	if exitCode(err) != 1 || !strings.Contains(out, "REJECTED: AccessDenied") ||
		!strings.Contains(out, `saml:edupersonaffiliation ["staff"] fails, the request has no value for it`) {
		t.Errorf("--endpoint: exit %d (%v)\n%s", exitCode(err), err, out)
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	if _, err := run(t, "explain", "--response", respFile, "--endpoint", srv.URL); exitCode(err) != 2 {
		t.Errorf("--endpoint with a wrong secret: exit %d (%v), want 2", exitCode(err), err)
	}

	// --state: a state directory written by the IAM store holds the
	// provider's private key, so an encrypted assertion is read.
	stateDir := t.TempDir()
	store, err := iam.OpenBoltStore(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := iam.OpenAccount(iam.Config{ID: lab.Account.ID(), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	kp, err := lab.IDP.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := certs.EncodeKeyPEM(kp.Key)
	if err != nil {
		t.Fatal(err)
	}
	md, err := lab.IDP.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acct.CreateProvider(iam.CreateSAMLProviderInput{Name: lab.ProviderName, MetadataDocument: md, AddPrivateKey: string(keyPEM), AssertionEncryptionMode: "Required"}); err != nil {
		t.Fatal(err)
	}
	if _, err := acct.CreateRole(iam.CreateRoleInput{Name: scenarios.DefaultRoleName, AssumeRolePolicyDocument: strict}); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	enc, err := lab.IDP.AWSResponse(lab.Users[scenarios.DefaultUser], idp.ResponseOptions{Encryption: &idp.EncryptionOptions{Cert: kp.Cert}})
	if err != nil {
		t.Fatal(err)
	}
	encFile := writeFile(t, filepath.Join(dir, "enc.b64"), []byte(enc.Base64()))
	out, err = run(t, "explain", "--response", encFile, "--state", stateDir)
	if exitCode(err) != 1 || !strings.Contains(out, "ok   encryption              the EncryptedAssertion decrypts") ||
		!strings.Contains(out, `saml:edupersonaffiliation ["staff"] fails`) || !strings.Contains(out, "registered copy from state "+stateDir) {
		t.Errorf("--state: exit %d (%v)\n%s", exitCode(err), err, out)
	}
	// With --metadata only, the encrypted assertion cannot be read: said so.
	mdFile := writeFile(t, filepath.Join(dir, "md.xml"), md)
	if _, err := run(t, "explain", "--response", encFile, "--metadata", mdFile); exitCode(err) != 2 || !strings.Contains(err.Error(), "--key") {
		t.Errorf("encrypted, no key, no role: exit %d (%v), want 2 asking for --key", exitCode(err), err)
	}
	out, _ = run(t, "explain", "--response", encFile, "--metadata", mdFile, "--role", lab.RoleARN, "--provider", lab.ProviderARN)
	if !strings.Contains(out, "n/a  encryption") || !strings.Contains(out, "--key") {
		t.Errorf("encrypted, no key: the output does not say the claims were not judged\n%s", out)
	}
	keyFile := writeFile(t, filepath.Join(dir, "sp-key.pem"), keyPEM)
	out, err = run(t, "explain", "--response", encFile, "--metadata", mdFile, "--key", keyFile)
	if err != nil || !strings.Contains(out, "ACCEPTED") || !strings.Contains(out, "ok   encryption") {
		t.Errorf("encrypted, with --key: exit %d (%v)\n%s", exitCode(err), err, out)
	}
}

// TestExplainCommittedHAR explains the committed HAR fixture (testdata/signin,
// see gen.sh), judged at each response's posting time, as docs/explain.md
// shows it.
func TestExplainCommittedHAR(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "signin")
	out, err := run(t, "explain", "--response", filepath.Join(dir, "signin.har"), "--metadata", filepath.Join(dir, "registered.xml"),
		"--idp-metadata", filepath.Join(dir, "idp-metadata.xml"), "--at", "posted", "--output", "json")
	if exitCode(err) != 1 {
		t.Fatalf("exit %d (%v), want 1\n%s", exitCode(err), err, out)
	}
	var rep jsonReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Reports) != 2 || !rep.Reports[0].Accepted || rep.Reports[1].Diagnosis != "cert-rotation" {
		t.Fatalf("reports: %s", out)
	}
}

// TestExplainUnknownProvider: a state directory without the provider gives
// AWS's verdict for it and the create-saml-provider command.
func TestExplainUnknownProvider(t *testing.T) {
	t.Parallel()
	lab, err := scenarios.NewLab(scenarios.LabConfig{Keys: newFixtureKeys()})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := lab.IDP.AWSResponse(lab.Users[scenarios.DefaultUser], idp.ResponseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stateDir := t.TempDir()
	store, err := iam.OpenBoltStore(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := iam.OpenAccount(iam.Config{ID: lab.Account.ID(), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acct.CreateRole(iam.CreateRoleInput{Name: scenarios.DefaultRoleName, AssumeRolePolicyDocument: iam.SAMLTrustPolicy(lab.ProviderARN)}); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	respFile := writeFile(t, filepath.Join(t.TempDir(), "r.b64"), []byte(resp.Base64()))
	out, err := run(t, "explain", "--response", respFile, "--state", stateDir)
	if exitCode(err) != 1 {
		t.Fatalf("exit %d (%v), want 1\n%s", exitCode(err), err, out)
	}
	for _, want := range []string{"REJECTED: InvalidIdentityToken (HTTP 400): Specified provider doesn't exist",
		"FAIL provider", "n/a  signature", "$ aws iam create-saml-provider --name samlab --saml-metadata-document file://idp-metadata.xml"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
