package idp

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/crewjam/saml"
)

// startIDP serves an IdP over TLS on loopback, its BaseURL the server's URL.
func startIDP(t *testing.T, update func(*Config)) (*Server, *httptest.Server) {
	t.Helper()
	return startIDPAt(t, "", update)
}

// startIDPAt mounts the IdP under prefix (e.g. "/idp") with
// http.StripPrefix, as a lab serving several components does.
func startIDPAt(t *testing.T, prefix string, update func(*Config)) (*Server, *httptest.Server) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	s := newTestServer(t, func(c *Config) {
		c.BaseURL = ts.URL + prefix
		if update != nil {
			update(c)
		}
	})
	var h http.Handler = s
	if prefix != "" {
		mux := http.NewServeMux()
		mux.Handle(prefix+"/", http.StripPrefix(prefix, s))
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "outside the IdP", http.StatusTeapot) })
		h = mux
	}
	ts.Config.Handler = h
	return s, ts
}

// browser is an HTTP client with a cookie jar that trusts the test server.
func browser(t *testing.T, ts *httptest.Server) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := *ts.Client() // a copy: the test server's client is shared
	c.Jar = jar
	return &c
}

func do(t *testing.T, c *http.Client, method, u string, form url.Values) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func login(t *testing.T, c *http.Client, ts *httptest.Server, user, password, ret string) (*http.Response, []byte) {
	t.Helper()
	return submitLogin(t, c, ts.URL+"/login?return="+url.QueryEscape(ret), user, password)
}

// TestIDPInitiatedAWS logs in over real HTTP with a cookie jar, then follows
// IdP-initiated SSO to AWS and checks the auto-submitting form. The IdP is
// mounted under /idp, so every link and redirect must stay inside it.
func TestIDPInitiatedAWS(t *testing.T) {
	t.Parallel()
	const acs = "http://127.0.0.1:1/saml"
	s, ts := startIDPAt(t, "/idp", func(c *Config) { c.AWSSignInURL = acs })
	c := browser(t, ts)
	idpURL := ts.URL + "/idp"

	// Not logged in: SSO sends the browser to the login form.
	resp, body := do(t, c, http.MethodGet, idpURL+"/sso/aws?RelayState=https://console.aws.amazon.com/s3", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `name="password"`) {
		t.Fatalf("GET /sso/aws before login = %d, want the login form:\n%s", resp.StatusCode, body)
	}
	m := returnRE.FindSubmatch(body)
	if m == nil {
		t.Fatalf("login form has no return field:\n%s", body)
	}
	// The login form carries the way back; logging in lands on the SSO form.
	loginAction, fields, err := ParseLoginForm(body)
	if err != nil {
		t.Fatal(err)
	}
	if loginAction != idpURL+"/login" || fields.Get("return") != html.UnescapeString(string(m[1])) {
		t.Fatalf("login form posts to %q with return %q, want %s/login", loginAction, fields.Get("return"), idpURL)
	}
	fields.Set("username", "alice")
	fields.Set("password", "samlab")
	resp, body = do(t, c, http.MethodPost, loginAction, fields)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login = %d:\n%s", resp.StatusCode, body)
	}
	action, fields, err := ParsePostForm(body)
	if err != nil {
		t.Fatalf("ParsePostForm: %v\n%s", err, body)
	}
	if action != acs {
		t.Errorf("form action = %q, want %q", action, acs)
	}
	if got := fields.Get("RelayState"); got != "https://console.aws.amazon.com/s3" {
		t.Errorf("RelayState = %q", got)
	}
	xmlResp, err := base64.StdEncoding.DecodeString(fields.Get("SAMLResponse"))
	if err != nil {
		t.Fatal(err)
	}
	var r saml.Response
	if err := xml.Unmarshal(xmlResp, &r); err != nil {
		t.Fatalf("unmarshal response: %v", err)
	}
	// The form goes to the configured endpoint; the Recipient stays the
	// value AWS checks.
	if r.Destination != AWSSignInURL || r.Assertion == nil || r.Assertion.Subject.SubjectConfirmations[0].SubjectConfirmationData.Recipient != AWSSignInURL {
		t.Errorf("Destination/Recipient not %q: %s", AWSSignInURL, xmlResp)
	}
	got := attrValues(r.Assertion, AttrRole)
	want := []string{"arn:aws:iam::123456789012:role/SAMLAdmin,arn:aws:iam::123456789012:saml-provider/samlab"}
	if !slices.Equal(got, want) {
		t.Errorf("Role = %q, want %q", got, want)
	}
	if got := attrValues(r.Assertion, AttrPrincipalTagPrefix+"team"); !slices.Equal(got, []string{"platform"}) {
		t.Errorf("PrincipalTag:team = %q", got)
	}
	// The signature verifies against the published certificate.
	if err := xmlsecVerify(t, xmlResp, exportedCertPEM(t, s), assertionXPath); err != nil {
		t.Error(err)
	}

	// Logged out, SSO needs a login again.
	logout(t, c, idpURL)
	resp, body = do(t, c, http.MethodGet, idpURL+"/sso/aws", nil)
	if _, _, err := ParsePostForm(body); err == nil || resp.StatusCode != http.StatusOK {
		t.Errorf("after logout /sso/aws gave a SAML form (status %d)", resp.StatusCode)
	}
}

func attrValues(a *saml.Assertion, name string) []string {
	var out []string
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			if at.Name == name {
				for _, v := range at.Values {
					out = append(out, v.Value)
				}
			}
		}
	}
	return out
}

// TestSessionCookie checks the cookie's security attributes.
func TestSessionCookie(t *testing.T) {
	t.Parallel()
	_, ts := startIDP(t, nil)
	c := browser(t, ts)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, _ := submitLogin(t, c, ts.URL+"/login", "bob", "samlab")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login status = %d, want 303", resp.StatusCode)
	}
	var ck *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == SessionCookie {
			ck = c
		}
	}
	if ck == nil || !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || len(ck.Value) < 32 || ck.Path != "/" {
		t.Errorf("session cookie = %+v, want Secure (served over https), HttpOnly, SameSite=Lax, Path=/, long random value", ck)
	}
}

// TestHTTPErrors checks that bad input gets a 4xx HTML page with the reason.
func TestHTTPErrors(t *testing.T) {
	t.Parallel()
	s, ts := startIDP(t, nil)
	registeredSP(t, s, "https://sp.samlab.test/metadata", "https://sp.samlab.test/acs", nil)
	deflate := func(x string) string {
		var b bytes.Buffer
		w, _ := flate.NewWriter(&b, flate.DefaultCompression)
		w.Write([]byte(x))
		w.Close()
		return base64.StdEncoding.EncodeToString(b.Bytes())
	}
	authn := func(issuer, extra string) string {
		return `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" IssueInstant="` +
			s.now().UTC().Format("2006-01-02T15:04:05Z") + `"` + extra + `><saml:Issuer>` + issuer + `</saml:Issuer></samlp:AuthnRequest>`
	}
	tests := []struct {
		name       string
		method     string
		path       string
		form       url.Values
		wantStatus int
		wantReason string
	}{
		{"login without the form's token", "POST", "/login", url.Values{"username": {"alice"}, "password": {"samlab"}}, 403, "did not come from this IdP"},
		{"redirect without SAMLRequest", "GET", "/sso", nil, 400, "no SAMLRequest"},
		{"redirect not base64", "GET", "/sso?SAMLRequest=%25%25%25", nil, 400, "not base64"},
		{"redirect not deflated", "GET", "/sso?SAMLRequest=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte("<x/>"))), nil, 400, "not DEFLATE"},
		{"redirect not xml", "GET", "/sso?SAMLRequest=" + url.QueryEscape(deflate("hello")), nil, 400, "not a samlp:AuthnRequest"},
		{"redirect wrong root", "GET", "/sso?SAMLRequest=" + url.QueryEscape(deflate(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`)), nil, 400, "not a samlp:AuthnRequest"},
		{"redirect doctype", "GET", "/sso?SAMLRequest=" + url.QueryEscape(deflate(`<!DOCTYPE x [<!ENTITY a "b">]>`+authn("https://sp.samlab.test/metadata", ""))), nil, 400, "DTD"},
		{"redirect unknown SP", "GET", "/sso?SAMLRequest=" + url.QueryEscape(deflate(authn("https://evil.test/", ""))), nil, 403, "unknown service provider"},
		{"post unknown SP", "POST", "/sso", url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(authn("https://evil.test/", "")))}}, 403, "unknown service provider"},
		{"post unregistered ACS", "POST", "/sso", url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(authn("https://sp.samlab.test/metadata", ` AssertionConsumerServiceURL="https://evil.test/acs"`)))}}, 400, "AssertionConsumerServiceURL"},
		{"post wrong destination", "POST", "/sso", url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(authn("https://sp.samlab.test/metadata", ` Destination="https://other.test/sso"`)))}}, 400, "Destination"},
		{"post artifact binding", "POST", "/sso", url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(authn("https://sp.samlab.test/metadata", ` ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"`)))}}, 400, "ProtocolBinding"},
		{"idp-initiated unknown SP", "GET", "/sso/init?sp=https://evil.test/", nil, 404, "unknown service provider"},
		{"no such page", "GET", "/nope", nil, 404, "There is no page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := do(t, browser(t, ts), tt.method, ts.URL+tt.path, tt.form)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("%s %s = %d, want %d\n%s", tt.method, tt.path, resp.StatusCode, tt.wantStatus, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type = %q, want text/html", ct)
			}
			if !strings.Contains(string(body), tt.wantReason) {
				t.Errorf("page does not give the reason %q:\n%s", tt.wantReason, body)
			}
		})
	}
}

// TestMetadataEndpoint serves the metadata with both certificates during a
// rollover.
func TestMetadataEndpoint(t *testing.T) {
	t.Parallel()
	s, ts := startIDP(t, nil)
	if _, err := s.StageRollover(); err != nil {
		t.Fatal(err)
	}
	resp, body := do(t, ts.Client(), http.MethodGet, ts.URL+"/metadata", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/samlmetadata+xml" {
		t.Fatalf("GET /metadata = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(body, &ed); err != nil {
		t.Fatal(err)
	}
	if n := len(ed.IDPSSODescriptors[0].KeyDescriptors); n != 2 {
		t.Errorf("metadata during rollover has %d KeyDescriptors, want 2", n)
	}
	if got := ed.IDPSSODescriptors[0].SingleSignOnServices[0].Location; got != ts.URL+"/sso" {
		t.Errorf("SSO location = %q", got)
	}
}

// TestSPInitiatedStatusResponses: failures the SP must hear about come back
// to its ACS as a signed status-only Response, not as an IdP page.
func TestSPInitiatedStatusResponses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		edit       func(*saml.AuthnRequest)
		wantStatus string
	}{
		{"passive without a session", func(r *saml.AuthnRequest) { r.IsPassive = ptr(true) }, saml.StatusNoPassive},
		{"unsupported NameID format", func(r *saml.AuthnRequest) {
			r.NameIDPolicy = &saml.NameIDPolicy{Format: ptr("urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos")}
		}, saml.StatusInvalidNameIDPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, ts := startIDP(t, nil)
			const acs = "https://sp.samlab.test/saml/acs"
			sp := registeredSP(t, s, "https://sp.samlab.test/saml/metadata", acs, nil)
			req, err := sp.MakeAuthenticationRequest(ts.URL+"/sso", saml.HTTPRedirectBinding, saml.HTTPPostBinding)
			if err != nil {
				t.Fatal(err)
			}
			tt.edit(req)
			u, err := req.Redirect("", sp)
			if err != nil {
				t.Fatal(err)
			}
			_, body := do(t, browser(t, ts), http.MethodGet, u.String(), nil)
			action, fields, err := ParsePostForm(body)
			if err != nil || action != acs {
				t.Fatalf("want a form to the ACS, got %q, %v:\n%s", action, err, body)
			}
			raw, _ := base64.StdEncoding.DecodeString(fields.Get("SAMLResponse"))
			var r saml.Response
			if err := xml.Unmarshal(raw, &r); err != nil {
				t.Fatal(err)
			}
			if r.InResponseTo != req.ID || r.Assertion != nil || r.Status.StatusCode.StatusCode == nil ||
				r.Status.StatusCode.StatusCode.Value != tt.wantStatus {
				t.Errorf("status response = %s", raw)
			}
			if err := xmlsecVerify(t, raw, exportedCertPEM(t, s), responseXPath); err != nil {
				t.Errorf("status response signature: %v", err)
			}
			acsURL, _ := url.Parse(acs)
			if _, err := sp.ParseXMLResponse(raw, []string{req.ID}, *acsURL); err == nil {
				t.Error("crewjam accepted a status-only response as a login")
			}
		})
	}
}

// TestAWSSignInURLRelative posts IdP-initiated SSO to a console mounted
// beside the IdP: "../signin/saml" is relative to the IdP's root.
func TestAWSSignInURLRelative(t *testing.T) {
	t.Parallel()
	_, ts := startIDPAt(t, "/idp", func(c *Config) { c.AWSSignInURL = "../signin/saml" })
	c := browser(t, ts)
	submitLogin(t, c, ts.URL+"/idp/login", "alice", "samlab")
	resp, body := do(t, c, http.MethodGet, ts.URL+"/idp/sso/aws", nil)
	action, _, err := ParsePostForm(body)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := url.Parse(action)
	if got := resp.Request.URL.ResolveReference(ref).String(); got != ts.URL+"/signin/saml" {
		t.Errorf("form posts to %q (action %q), want %s/signin/saml", got, action, ts.URL)
	}
}
