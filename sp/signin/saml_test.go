package signin

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts"
)

const (
	issuer      = "https://idp.example.com/metadata"
	providerARN = "arn:aws:iam::123456789012:saml-provider/samlab"
	adminARN    = "arn:aws:iam::123456789012:role/SAMLAdmin"
	readOnlyARN = "arn:aws:iam::123456789012:role/team/ReadOnly"
)

// testNow is the clock of the tests: real time, since the browser's cookie
// jar drops cookies that expire before it.
var testNow = time.Now().UTC().Truncate(time.Second)

// env is a console sign-in endpoint over a real STS, with the provider
// "samlab" (kp's certificate) and two roles that trust it.
type env struct {
	srv *httptest.Server
	sts *sts.Service
	kp  *certs.KeyPair
}

func newEnv(t *testing.T) *env {
	t.Helper()
	kp, err := certs.New(certs.WithKeySource(certstest.New()),
		certs.WithValidity(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2046, 1, 1, 0, 0, 0, 0, time.UTC)),
		certs.WithRand(mathrand.NewChaCha8([32]byte{'s', 'i'})))
	if err != nil {
		t.Fatal(err)
	}
	md, err := metadata.Build(metadata.IDP{EntityID: issuer, SSOURL: "https://idp.example.com/sso", SigningCerts: []*x509.Certificate{kp.Cert}})
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return testNow }
	acct := iam.NewAccount(iam.Config{ID: "123456789012", Now: now})
	if _, err := acct.CreateSAMLProvider("samlab", md); err != nil {
		t.Fatal(err)
	}
	for _, r := range []iam.CreateRoleInput{{Name: "SAMLAdmin"}, {Name: "ReadOnly", Path: "/team/"}} {
		r.AssumeRolePolicyDocument = iam.SAMLTrustPolicy(providerARN)
		if _, err := acct.CreateRole(r); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := sts.New(sts.Config{Account: acct, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{STS: svc, Now: now, AccountAliases: map[string]string{"123456789012": "lab"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &env{srv: srv, sts: svc, kp: kp}
}

// response returns a base64 AWS response for alice carrying roles, its
// Assertion signed by kp.
func response(t *testing.T, kp *certs.KeyPair, roles ...string) string {
	t.Helper()
	ts := func(t time.Time) string { return t.Format(time.RFC3339) }
	var values strings.Builder
	for _, r := range roles {
		fmt.Fprintf(&values, "<saml:AttributeValue>%s</saml:AttributeValue>", r)
	}
	roleAttr := ""
	if len(roles) > 0 {
		roleAttr = `<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">` + values.String() + `</saml:Attribute>`
	}
	xml := fmt.Sprintf(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0" IssueInstant="%[1]s">
<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">%[3]s</saml:Issuer>
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" Version="2.0" IssueInstant="%[1]s">
<saml:Issuer>%[3]s</saml:Issuer>
<saml:Subject><saml:NameID>alice</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="%[2]s" Recipient="https://signin.aws.amazon.com/saml"/></saml:SubjectConfirmation></saml:Subject>
<saml:Conditions NotBefore="%[1]s" NotOnOrAfter="%[2]s"><saml:AudienceRestriction><saml:Audience>https://signin.aws.amazon.com/saml</saml:Audience></saml:AudienceRestriction></saml:Conditions>
<saml:AttributeStatement>%[4]s<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>alice</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>
</saml:Assertion></samlp:Response>`, ts(testNow.Add(-time.Minute)), ts(testNow.Add(4*time.Minute)), issuer, roleAttr)
	doc := etree.NewDocument()
	if err := doc.ReadFromString(xml); err != nil {
		t.Fatal(err)
	}
	a := doc.Root().SelectElement("Assertion")
	ctx, err := dsig.NewSigningContext(kp.Key, [][]byte{kp.Cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Hash = crypto.SHA256
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	sig, err := ctx.ConstructSignature(a, true)
	if err != nil {
		t.Fatal(err)
	}
	a.InsertChildAt(a.SelectElement("Issuer").Index()+1, sig)
	raw, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// browser keeps cookies and does not follow redirects.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func do(t *testing.T, c *http.Client, method, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = c.PostForm(u, form)
	} else {
		resp, err = c.Get(u)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestSingleRoleSignsInWithOneVerification(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := browser(t)
	before := e.sts.Verifications()
	resp, body := do(t, c, http.MethodPost, e.srv.URL+"/saml", url.Values{"SAMLResponse": {response(t, e.kp, adminARN+","+providerARN)},
		"RelayState": {"/console?region=eu-west-1"}})
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/console?region=eu-west-1" {
		t.Fatalf("POST /saml = %d Location %q, want 302 to the RelayState:\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if got := e.sts.Verifications() - before; got != 1 {
		t.Errorf("one sign-in verified %d signatures, want 1", got)
	}
	resp, body = do(t, c, http.MethodGet, e.srv.URL+"/console", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice") {
		t.Fatalf("GET /console = %d:\n%s", resp.StatusCode, body)
	}
	// GET /logout only asks; the POST signs out.
	do(t, c, http.MethodGet, e.srv.URL+"/logout", nil)
	if resp, _ := do(t, c, http.MethodGet, e.srv.URL+"/console", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /console after GET /logout = %d, want 200 (still signed in)", resp.StatusCode)
	}
	do(t, c, http.MethodPost, e.srv.URL+"/logout", url.Values{})
	if resp, _ := do(t, c, http.MethodGet, e.srv.URL+"/console", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /console after logout = %d, want 401", resp.StatusCode)
	}
}

func TestRoleChooser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := browser(t)
	saml := response(t, e.kp, adminARN+","+providerARN, providerARN+","+readOnlyARN)
	before := e.sts.Verifications()
	resp, body := do(t, c, http.MethodPost, e.srv.URL+"/saml", url.Values{"SAMLResponse": {saml}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /saml with two roles = %d, want the chooser:\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{"Account: lab (123456789012)", `for="` + readOnlyARN + `"`, `>ReadOnly</label>`, `>SAMLAdmin</label>`} {
		if !strings.Contains(body, want) {
			t.Errorf("chooser lacks %s:\n%s", want, body)
		}
	}
	resp, _ = do(t, c, http.MethodPost, e.srv.URL+"/saml", url.Values{"SAMLResponse": {saml}, "roleIndex": {readOnlyARN}})
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("chooser POST = %d, want 302", resp.StatusCode)
	}
	if got := e.sts.Verifications() - before; got != 2 {
		t.Errorf("chooser and choice verified %d signatures, want 1 each", got)
	}
	if _, body := do(t, c, http.MethodGet, e.srv.URL+"/console", nil); !strings.Contains(body, "assumed-role/ReadOnly/alice") {
		t.Errorf("console does not show the chosen role:\n%s", body)
	}
	resp, body = do(t, c, http.MethodPost, e.srv.URL+"/saml", url.Values{"SAMLResponse": {saml}, "roleIndex": {"arn:aws:iam::123456789012:role/Other"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, msgInvalidResponse) {
		t.Errorf("a role the response does not grant = %d:\n%s", resp.StatusCode, body)
	}
}

func TestSignInErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	keys := certstest.New()
	if _, err := keys.Key(0); err != nil { // the registered key
		t.Fatal(err)
	}
	foreign, err := certs.New(certs.WithKeySource(keys))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"no SAMLResponse", url.Values{}, 400, msgInvalidResponse},
		{"not base64", url.Values{"SAMLResponse": {"%%%"}}, 400, "Invalid base64 SAMLResponse"},
		{"not XML", url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString([]byte("hello"))}}, 400, "Invalid SAML Response"},
		{"no Role attribute", url.Values{"SAMLResponse": {response(t, e.kp)}}, 400, msgInvalidResponse},
		{"signed by a key IAM does not have", url.Values{"SAMLResponse": {response(t, foreign, adminARN+","+providerARN)}}, 400,
			"Response signature invalid (Service: AWSSecurityTokenService; Status Code: 400; Error Code: InvalidIdentityToken; Request ID: "},
		{"Role names another provider", url.Values{"SAMLResponse": {response(t, e.kp, adminARN+",arn:aws:iam::123456789012:saml-provider/other")}}, 400,
			msgInvalidResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := do(t, browser(t), http.MethodPost, e.srv.URL+"/saml", tt.form)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("POST /saml = %d, want %d with %q:\n%s", resp.StatusCode, tt.status, tt.want, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type = %q, want text/html", ct)
			}
		})
	}
}
