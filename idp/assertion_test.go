package idp

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/crewjam/saml"
)

const (
	adminRole    = "arn:aws:iam::123456789012:role/SAMLAdmin"
	readOnlyRole = "arn:aws:iam::123456789012:role/SAMLReadOnly"
	demoProvider = "arn:aws:iam::123456789012:saml-provider/samlab"
)

// getAssertion asks GET /assertion for format as the client c.
func getAssertion(t *testing.T, c *http.Client, idpURL, query string) (*http.Response, []byte) {
	t.Helper()
	return do(t, c, http.MethodGet, idpURL+"/assertion"+query, nil)
}

func decodeAssertion(t *testing.T, b64 string) (*saml.Response, []byte) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("SAMLResponse is not base64: %v", err)
	}
	var r saml.Response
	if err := xml.Unmarshal(raw, &r); err != nil || r.Assertion == nil {
		t.Fatalf("SAMLResponse is not a Response with an assertion: %v\n%s", err, raw)
	}
	return &r, raw
}

// TestAssertionEndpointJSON: GET /assertion?format=json needs the login
// session, then answers a signed response for the user's roles (or the one
// asked for), the ARNs and the command, never cached.
func TestAssertionEndpointJSON(t *testing.T) {
	t.Parallel()
	s, ts := startIDPAt(t, "/idp", func(c *Config) { c.AWSSignInURL = "../saml" })
	idpURL := ts.URL + "/idp"
	c := browser(t, ts)

	for _, format := range []string{"json", "base64"} {
		resp, body := getAssertion(t, c, idpURL, "?format="+format)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), idpURL+"/login") {
			t.Errorf("format=%s before login = %d %s, want 401 naming the login page", format, resp.StatusCode, body)
		}
	}

	if resp, _ := submitLogin(t, c, idpURL+"/login", "bob", "samlab"); resp.StatusCode != http.StatusOK {
		t.Fatalf("login = %d", resp.StatusCode)
	}
	resp, body := getAssertion(t, c, idpURL, "?format=json")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("format=json = %d %s:\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "Cross-Origin-Resource-Policy": "same-origin",
		"X-Content-Type-Options": "nosniff"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	var a Assertion
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("format=json: %v\n%s", err, body)
	}
	r, raw := decodeAssertion(t, a.SAMLResponse)
	if !signatureValid(t, raw, s.PublishedCerts()) {
		t.Error("the assertion does not verify with the published certificate")
	}
	wantRoles := []string{adminRole + "," + demoProvider, readOnlyRole + "," + demoProvider}
	if got := attrValues(r.Assertion, AttrRole); !slices.Equal(got, wantRoles) {
		t.Errorf("Role attribute = %q, want both of bob's roles %q", got, wantRoles)
	}
	wantCmd := "aws sts assume-role-with-saml --endpoint-url " + ts.URL + " --role-arn " + adminRole +
		" --principal-arn " + demoProvider + " --saml-assertion file://" + AssertionFile
	wantAll := []AssertionRole{{adminRole, demoProvider}, {readOnlyRole, demoProvider}}
	if a.RoleARN != adminRole || a.PrincipalARN != demoProvider || !slices.Equal(a.Roles, wantAll) || a.EndpointURL != ts.URL ||
		a.ResponseID != r.ID || a.Command != wantCmd || a.Fault != FaultNone {
		t.Errorf("format=json = %+v\nwant role %s, provider %s, roles %v, endpoint %s, id %s, command %q", a, adminRole,
			demoProvider, wantAll, ts.URL, r.ID, wantCmd)
	}

	// role= sends that role only.
	_, body = getAssertion(t, c, idpURL, "?format=json&role="+readOnlyRole)
	var one Assertion
	if err := json.Unmarshal(body, &one); err != nil {
		t.Fatal(err)
	}
	r, _ = decodeAssertion(t, one.SAMLResponse)
	if got := attrValues(r.Assertion, AttrRole); one.RoleARN != readOnlyRole || !slices.Equal(got, wantRoles[1:]) ||
		!strings.Contains(one.Command, "--role-arn "+readOnlyRole+" ") || !slices.Equal(one.Roles, wantAll[1:]) {
		t.Errorf("role=%s: RoleArn %s, Role attribute %q, command %q", readOnlyRole, one.RoleARN, got, one.Command)
	}

	// base64 is the response alone.
	resp, body = getAssertion(t, c, idpURL, "?format=base64")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("format=base64 = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	decodeAssertion(t, strings.TrimSpace(string(body)))

	// Refusals name what was wrong.
	for _, tt := range []struct {
		query string
		want  int
		text  string
	}{
		{"?format=json&role=arn:aws:iam::123456789012:role/Nope", http.StatusBadRequest, `not mapped to role \"arn:aws:iam::123456789012:role/Nope\"`},
		{"?format=yaml", http.StatusBadRequest, `format \"yaml\": want html, json or base64`},
	} {
		resp, body := getAssertion(t, c, idpURL, tt.query)
		if resp.StatusCode != tt.want || !strings.Contains(string(body), tt.text) {
			t.Errorf("GET /assertion%s = %d %s, want %d with %q", tt.query, resp.StatusCode, body, tt.want, tt.text)
		}
	}
}

// TestAssertionEndpointFault: a fault set on the running IdP reaches the
// responses of both GET /assertion and IdP-initiated SSO.
func TestAssertionEndpointFault(t *testing.T) {
	t.Parallel()
	s, ts := startIDPAt(t, "/idp", nil)
	idpURL := ts.URL + "/idp"
	c := browser(t, ts)
	submitLogin(t, c, idpURL+"/login", "alice", "samlab")
	if err := s.SetFault("no-such-fault"); !errors.Is(err, ErrUnknownFault) {
		t.Errorf("SetFault(no-such-fault) = %v, want ErrUnknownFault", err)
	}
	if err := s.SetFault(FaultWrongAudience); err != nil {
		t.Fatal(err)
	}
	_, body := getAssertion(t, c, idpURL, "?format=json")
	var a Assertion
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	r, _ := decodeAssertion(t, a.SAMLResponse)
	if got := r.Assertion.Conditions.AudienceRestrictions[0].Audience.Value; got != FaultAudience || a.Fault != FaultWrongAudience {
		t.Errorf("with fault wrong-audience: Audience %q, Fault %q", got, a.Fault)
	}
	// Real AWS is the destination: the command has no --endpoint-url.
	if a.EndpointURL != "" || strings.Contains(a.Command, "--endpoint-url") {
		t.Errorf("posting to AWS itself, EndpointUrl = %q, command %q", a.EndpointURL, a.Command)
	}
	_, body = do(t, c, http.MethodGet, idpURL+"/sso/aws", nil)
	_, fields, err := ParsePostForm(body)
	if err != nil {
		t.Fatal(err)
	}
	r, _ = decodeAssertion(t, fields.Get("SAMLResponse"))
	if got := r.Assertion.Conditions.AudienceRestrictions[0].Audience.Value; got != FaultAudience {
		t.Errorf("IdP-initiated SSO with fault wrong-audience: Audience %q", got)
	}
	// Turned off again, responses are correct.
	if err := s.SetFault(FaultNone); err != nil {
		t.Fatal(err)
	}
	_, body = getAssertion(t, c, idpURL, "?format=base64")
	r, _ = decodeAssertion(t, strings.TrimSpace(string(body)))
	if got := r.Assertion.Conditions.AudienceRestrictions[0].Audience.Value; got != AWSAudience {
		t.Errorf("fault off: Audience %q", got)
	}
	// A fault the IdP cannot apply is a clear refusal, not a 500.
	if err := s.SetFault(FaultStaleKey); err != nil {
		t.Fatal(err)
	}
	resp, body := getAssertion(t, c, idpURL, "?format=json")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "could not build a response") {
		t.Errorf("stale-key without a previous key = %d %s", resp.StatusCode, body)
	}
}

func wantCmdFor(endpoint string) string {
	return "aws sts assume-role-with-saml --endpoint-url " + endpoint + " --role-arn " + readOnlyRole +
		" --principal-arn " + demoProvider + " --saml-assertion file://" + AssertionFile
}

var textareaRE = regexp.MustCompile(`(?s)<textarea id="samlresponse"[^>]*>(.*?)</textarea>`)

// TestAssertionPage: the page sends a visitor to the login form and back,
// then shows the SAMLResponse, the decoded response and the command, with
// copy buttons that only the inline script reveals.
func TestAssertionPage(t *testing.T) {
	t.Parallel()
	s, ts := startIDPAt(t, "/idp", func(c *Config) { c.AWSSignInURL = "../saml" })
	idpURL := ts.URL + "/idp"
	c := browser(t, ts)

	// The IdP's home page links to it.
	submitLogin(t, c, idpURL+"/login", "alice", "samlab")
	if _, body := do(t, c, http.MethodGet, idpURL+"/", nil); !strings.Contains(string(body), `<a id="assertion" href="./assertion">`) {
		t.Errorf("home page has no link to the assertion page:\n%s", body)
	}
	logout(t, c, idpURL)

	// Not logged in: the login form, which comes back to the page.
	resp, body := getAssertion(t, c, idpURL, "?role="+readOnlyRole)
	if !strings.HasSuffix(resp.Request.URL.Path, "/idp/login") {
		t.Fatalf("GET /assertion before login ended at %s, want the login form", resp.Request.URL)
	}
	action, fields, err := ParseLoginForm(body)
	if err != nil {
		t.Fatal(err)
	}
	fields.Set("username", "bob")
	fields.Set("password", "samlab")
	resp, body = do(t, c, http.MethodPost, action, fields)
	page := string(body)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/idp/assertion" {
		t.Fatalf("after login: %d at %s:\n%s", resp.StatusCode, resp.Request.URL, page)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}
	if !regexp.MustCompile(`<pre id="command"[^>]*>` + regexp.QuoteMeta(wantCmdFor(ts.URL)) + `</pre>`).MatchString(page) {
		t.Errorf("page lacks the command %q", wantCmdFor(ts.URL))
	}
	m := textareaRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no SAMLResponse textarea:\n%s", page)
	}
	r, raw := decodeAssertion(t, html.UnescapeString(m[1]))
	if !signatureValid(t, raw, s.PublishedCerts()) {
		t.Error("the page's SAMLResponse does not verify")
	}
	if got := attrValues(r.Assertion, AttrRole); !slices.Equal(got, []string{readOnlyRole + "," + demoProvider}) {
		t.Errorf("the page kept role=%s from before the login? Role = %q", readOnlyRole, got)
	}
	for _, want := range []string{
		`<strong id="user">bob</strong>`,
		// The decoded response, escaped, with the assertion's ID in it.
		`<pre id="decoded"`, `&lt;saml:Assertion`, `ID=&#34;` + r.Assertion.ID + `&#34;`,
		// The copy buttons are hidden until the inline script shows them.
		`<button type="button" class="copy" data-copy="samlresponse" hidden>`,
		`<button type="button" class="copy" data-copy="command" hidden>`,
		`navigator.clipboard.writeText`,
		// A link to the other role.
		`<a href="?role=arn%3aaws%3aiam%3a%3a123456789012%3arole%2fSAMLAdmin">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	// No external fetches: no element loads anything from a URL.
	if m := fetchRE.FindString(page); m != "" {
		t.Errorf("page fetches something: %s", m)
	}
}

var fetchRE = regexp.MustCompile(`(?i)\ssrc=|@import|url\(\s*['"]?https?:|<link[^>]+href="https?:`)
