package scenarios_test

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/net/html"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/scenarios/labweb"
	"github.com/samlab-dev/samlab/sp/awsapi"
)

// What Chromium sends for a page navigation.
const (
	chromeAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8"
	chromeUA     = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
)

// pagesLab is a lab served whole (AWS, IdP, sign-in, pages) over loopback,
// with the provider registered and every event kept.
type pagesLab struct {
	lab    *scenarios.Lab
	srv    *httptest.Server
	admin  scenarios.AdminKey
	events *awsapi.EventLog
}

func newPagesLab(t *testing.T, why bool, adjust func(*scenarios.ServerConfig)) *pagesLab {
	t.Helper()
	cfg := labConfig()
	cfg.SignInWhy = why
	return newPagesLabConfig(t, cfg, adjust)
}

func newPagesLabConfig(t *testing.T, cfg scenarios.LabConfig, adjust func(*scenarios.ServerConfig)) *pagesLab {
	t.Helper()
	lab, err := scenarios.NewLab(cfg)
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
	events := &awsapi.EventLog{}
	scfg := scenarios.ServerConfig{Admin: admin, Events: events, EventLog: func() ([]awsapi.Event, error) { return events.Events(), nil }}
	if adjust != nil {
		adjust(&scfg)
	}
	h, err := lab.Handler(scfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &pagesLab{lab: lab, srv: srv, admin: admin, events: events}
}

// fetch sends a request with the given headers and returns the response
// and its body.
func fetch(t *testing.T, c *http.Client, method, u string, header http.Header, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func browserHeader() http.Header {
	return http.Header{"Accept": {chromeAccept}, "User-Agent": {chromeUA}}
}

// TestIndexForBrowsersOnly: a browser's GET / gets the lab's index page,
// and neither it, the other pages nor the favicon reach the event log;
// every AWS-client shape of request to / still gets AWS's answer.
func TestIndexForBrowsersOnly(t *testing.T) {
	t.Parallel()
	l := newPagesLab(t, false, nil)
	c := l.srv.Client()

	resp, body := fetch(t, c, http.MethodGet, l.srv.URL+"/", browserHeader(), nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("browser GET / = %d %q, want the HTML index", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`<meta name="viewport"`, `href="/idp/"`, `href="/idp/metadata"`, `href="` + labweb.IAMPath + `"`,
		`href="` + labweb.EventsPath + `"`, `id="no-lab"`, "No lab running.", `<code id="account">123456789012</code>`} {
		if !strings.Contains(body, want) {
			t.Errorf("index lacks %s", want)
		}
	}
	if strings.Contains(body, "http://") && !strings.Contains(body, l.srv.URL) {
		t.Errorf("index links outside the lab:\n%s", body)
	}
	for _, path := range []string{"/favicon.ico", labweb.IAMPath, labweb.EventsPath, "/idp/", "/console"} {
		fetch(t, c, http.MethodGet, l.srv.URL+path, browserHeader(), nil)
	}
	if ev := l.events.Events(); len(ev) != 0 {
		t.Fatalf("browser page requests were recorded as AWS calls: %+v", ev)
	}

	// The same URL through AWS's eyes: the answer is the mock AWS's own.
	awsOnly, err := l.lab.AWSHandler(scenarios.ServerConfig{Admin: l.admin})
	if err != nil {
		t.Fatal(err)
	}
	ref := httptest.NewServer(awsOnly)
	t.Cleanup(ref.Close)
	tests := []struct {
		name   string
		method string
		query  string
		header http.Header
	}{
		{"no Accept", http.MethodGet, "", http.Header{}},
		{"curl", http.MethodGet, "", http.Header{"Accept": {"*/*"}, "User-Agent": {"curl/8.5.0"}}},
		{"browser headers with an Action", http.MethodGet, "?Action=GetCallerIdentity&Version=2011-06-15", browserHeader()},
		{"aws CLI user agent accepting HTML", http.MethodGet, "", http.Header{"Accept": {"text/html"}, "User-Agent": {"aws-cli/2.9.19 Python/3.11.2 Linux/6.1 source/x86_64.debian.12"}}},
		{"signed request", http.MethodGet, "", http.Header{"Accept": {"text/html"}, "Authorization": {"AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00"}}},
		{"POST from a browser", http.MethodPost, "", browserHeader()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotBody := fetch(t, c, tt.method, l.srv.URL+"/"+tt.query, tt.header, nil)
			want, wantBody := fetch(t, ref.Client(), tt.method, ref.URL+"/"+tt.query, tt.header, nil)
			if got.StatusCode != want.StatusCode || got.Header.Get("Content-Type") != want.Header.Get("Content-Type") {
				t.Errorf("%s / = %d %q, mock AWS alone answers %d %q", tt.method, got.StatusCode, got.Header.Get("Content-Type"),
					want.StatusCode, want.Header.Get("Content-Type"))
			}
			if xmlErrorCode(t, gotBody) != xmlErrorCode(t, wantBody) {
				t.Errorf("error code %q, mock AWS alone answers %q:\n%s", xmlErrorCode(t, gotBody), xmlErrorCode(t, wantBody), gotBody)
			}
		})
	}
	if n := len(l.events.Events()); n != len(tests) {
		t.Errorf("%d AWS calls recorded, want %d (one per AWS-client request)", n, len(tests))
	}

	// The SDK at the same base URL.
	cfg := aws.Config{Region: "us-east-1", HTTPClient: c,
		Credentials: credentials.NewStaticCredentialsProvider(l.admin.AccessKeyID, l.admin.SecretAccessKey, "")}
	id, err := stssdk.NewFromConfig(cfg, func(o *stssdk.Options) { o.BaseEndpoint = aws.String(l.srv.URL) }).
		GetCallerIdentity(t.Context(), &stssdk.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != scenarios.DefaultAccountID {
		t.Fatalf("SDK GetCallerIdentity at / = %+v, %v", id, err)
	}
}

func xmlErrorCode(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Code string `xml:"Error>Code"`
	}
	if err := xml.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("not AWS XML (%v):\n%s", err, body)
	}
	return e.Code
}

// TestIndexAWSCLIUnaffected: Debian's aws CLI against the lab's root URL
// still gets AWS's answers, for a success and for an error.
func TestIndexAWSCLIUnaffected(t *testing.T) {
	t.Parallel()
	l := newPagesLab(t, false, nil)
	cli := newAWSCLI(t, l.srv.URL)
	creds := [3]string{l.admin.AccessKeyID, l.admin.SecretAccessKey, ""}
	var id struct{ Account, Arn string }
	cli.mustJSON(creds, &id, "sts", "get-caller-identity")
	if id.Account != scenarios.DefaultAccountID {
		t.Errorf("aws sts get-caller-identity = %+v", id)
	}
	_, stderr, ok := cli.run(creds, "iam", "get-role", "--role-name", "NoSuchRole")
	if ok || !strings.Contains(stderr, "NoSuchEntity") {
		t.Errorf("aws iam get-role for a missing role: ok=%v, stderr %s", ok, stderr)
	}
}

// TestIAMPage lists the providers with the fingerprints of the registered
// certificates and the roles with their trust policies.
func TestIAMPage(t *testing.T) {
	t.Parallel()
	l := newPagesLab(t, false, nil)
	md, err := l.lab.IDP.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	ed, err := metadata.Parse(md)
	if err != nil {
		t.Fatal(err)
	}
	registered := certs.FingerprintSHA1(ed.SigningCerts[0])
	// After a rotation the page still shows what IAM holds, not the IdP's key.
	if _, err := l.lab.IDP.Rotate(); err != nil {
		t.Fatal(err)
	}
	_, body := fetch(t, l.srv.Client(), http.MethodGet, l.srv.URL+labweb.IAMPath, browserHeader(), nil)
	for _, want := range []string{l.lab.ProviderARN, registered, scenarios.DefaultEntityID, l.lab.RoleARN,
		"arn:aws:iam::123456789012:role/" + scenarios.ReadOnlyRoleName, "sts:AssumeRoleWithSAML", "SAML:aud"} {
		if !strings.Contains(body, want) {
			t.Errorf("IAM page lacks %s", want)
		}
	}
	md2, _ := l.lab.IDP.Metadata()
	ed2, _ := metadata.Parse(md2)
	if now := certs.FingerprintSHA1(ed2.SigningCerts[0]); strings.Contains(body, now) {
		t.Errorf("IAM page shows the IdP's new key %s, which IAM does not hold", now)
	}
}

var requestIDRE = regexp.MustCompile(`Request ID: ([0-9a-f-]{36})`)

// TestBrowserSignInEvents: a browser sign-in, failed or not, is in the
// event log under the request ID its page shows, and the event log page
// shows it.
func TestBrowserSignInEvents(t *testing.T) {
	t.Parallel()
	l := newPagesLab(t, false, nil)
	c := consoleClient(t)

	// Success: the console page names the sign-in's request ID.
	resp, _ := post(t, c, l.srv.URL+"/saml", url.Values{"SAMLResponse": {samlResponse(t, l.lab, l.lab.Users[scenarios.DefaultUser])}})
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("sign-in = %d", resp.StatusCode)
	}
	_, console := get(t, c, l.srv.URL+"/console")
	m := regexp.MustCompile(`id="request-id"><code>([0-9a-f-]{36})</code>`).FindStringSubmatch(console)
	if m == nil {
		t.Fatalf("console page shows no request ID:\n%s", console)
	}
	ok := findEvent(t, l.events.Events(), m[1])
	if ok.EventName != "ConsoleLogin" || ok.EventSource != "signin.amazonaws.com" || ok.Failed() ||
		ok.UserIdentity.ARN != "arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice" || ok.RequestParameters["roleArn"] != l.lab.RoleARN {
		t.Errorf("successful sign-in event = %+v", ok)
	}

	// Failure after a rotation: the error page's request ID is the event's.
	if _, err := l.lab.IDP.Rotate(); err != nil {
		t.Fatal(err)
	}
	resp, page := post(t, consoleClient(t), l.srv.URL+"/saml", url.Values{"SAMLResponse": {samlResponse(t, l.lab, l.lab.Users[scenarios.DefaultUser])}})
	m = requestIDRE.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusBadRequest || m == nil {
		t.Fatalf("rotated sign-in = %d, page without a request ID:\n%s", resp.StatusCode, page)
	}
	bad := findEvent(t, l.events.Events(), m[1])
	if bad.EventName != "ConsoleLogin" || bad.ErrorCode != "InvalidIdentityToken" || bad.ErrorMessage != "Response signature invalid" ||
		bad.HTTPStatus != http.StatusBadRequest || bad.Cause == "" {
		t.Errorf("failed sign-in event = %+v", bad)
	}

	// A form without a SAMLResponse is logged too.
	fetch(t, c, http.MethodPost, l.srv.URL+"/saml", browserHeader(), url.Values{})
	if n := len(l.events.Events()); n != 3 {
		t.Errorf("%d events, want 3 sign-ins", n)
	}

	// The event log page shows both request IDs.
	_, eventsPage := fetch(t, c, http.MethodGet, l.srv.URL+labweb.EventsPath, browserHeader(), nil)
	for _, id := range []string{ok.RequestID, bad.RequestID, "ConsoleLogin", "InvalidIdentityToken"} {
		if !strings.Contains(eventsPage, id) {
			t.Errorf("event log page lacks %s", id)
		}
	}
	// Without an event log the page says how to turn it on.
	off := newPagesLab(t, false, func(c *scenarios.ServerConfig) { c.EventLog = nil })
	if _, body := fetch(t, off.srv.Client(), http.MethodGet, off.srv.URL+labweb.EventsPath, browserHeader(), nil); !strings.Contains(body, "--events FILE") {
		t.Errorf("event log page without a log:\n%s", body)
	}
}

func findEvent(t *testing.T, events []awsapi.Event, requestID string) awsapi.Event {
	t.Helper()
	for _, e := range events {
		if e.RequestID == requestID {
			return e
		}
	}
	t.Fatalf("no event with request ID %s in %+v", requestID, events)
	return awsapi.Event{}
}

// whyPanel returns the text of the page's why panel, "" when it has none.
func whyPanel(t *testing.T, page string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if n := findNode(doc, func(n *html.Node) bool { return attr(n, "id") == "why" }); n != nil {
		return textOf(n)
	}
	return ""
}

// TestWhyPanel: with the why panel on, the error page keeps AWS's text and
// explains the cause; a rotated key and a tampered response get different
// explanations, each naming its cause; with the panel off the page is
// AWS's alone.
func TestWhyPanel(t *testing.T) {
	t.Parallel()
	l := newPagesLab(t, true, nil)
	md, _ := l.lab.IDP.Metadata()
	ed, _ := metadata.Parse(md)
	registered := certs.FingerprintSHA1(ed.SigningCerts[0])

	tampered, err := l.lab.IDP.FaultyResponse(l.lab.Users[scenarios.DefaultUser], idp.ResponseOptions{}, idp.FaultTamper)
	if err != nil {
		t.Fatal(err)
	}
	_, tamperedPage := post(t, consoleClient(t), l.srv.URL+"/saml", url.Values{"SAMLResponse": {tampered.Base64()}})

	kp, err := l.lab.IDP.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	signer := certs.FingerprintSHA1(kp.Cert)
	_, rotatedPage := post(t, consoleClient(t), l.srv.URL+"/saml", url.Values{"SAMLResponse": {samlResponse(t, l.lab, l.lab.Users[scenarios.DefaultUser])}})

	for name, page := range map[string]string{"rotated": rotatedPage, "tampered": tamperedPage} {
		if !strings.Contains(page, "Response signature invalid (Service: AWSSecurityTokenService; Status Code: 400; Error Code: InvalidIdentityToken; Request ID: ") {
			t.Errorf("%s: the page lost AWS's text:\n%s", name, page)
		}
		m := requestIDRE.FindStringSubmatch(page)
		if m == nil || !strings.Contains(whyPanel(t, page), m[1]) {
			t.Errorf("%s: the why panel does not name the page's request ID", name)
		}
	}
	rotated, tamper := whyPanel(t, rotatedPage), whyPanel(t, tamperedPage)
	if rotated == "" || tamper == "" {
		t.Fatalf("no why panel:\nrotated: %s\ntampered: %s", rotatedPage, tamperedPage)
	}
	for _, want := range []string{"cert-rotation", signer, registered, "NOT in the registered metadata",
		"aws iam update-saml-provider --saml-provider-arn " + l.lab.ProviderARN, "curl -so idp-metadata.xml " + l.srv.URL + "/idp/metadata", "audience", "not-on-or-after", "issuer"} {
		if !strings.Contains(rotated, want) {
			t.Errorf("rotated-key panel lacks %q:\n%s", want, rotated)
		}
	}
	for _, want := range []string{"forged-signature", "changed after the IdP signed it", registered + " (CN=https://idp.samlab.test/metadata), in the registered metadata"} {
		if !strings.Contains(tamper, want) {
			t.Errorf("tampered-response panel lacks %q:\n%s", want, tamper)
		}
	}
	if strings.Contains(tamper, "cert-rotation") || strings.Contains(tamper, "update-saml-provider") {
		t.Errorf("tampered-response panel blames a rotation:\n%s", tamper)
	}

	// Off: AWS's page alone.
	off := newPagesLab(t, false, nil)
	if _, err := off.lab.IDP.Rotate(); err != nil {
		t.Fatal(err)
	}
	_, page := post(t, consoleClient(t), off.srv.URL+"/saml", url.Values{"SAMLResponse": {samlResponse(t, off.lab, off.lab.Users[scenarios.DefaultUser])}})
	if whyPanel(t, page) != "" || strings.Contains(page, "update-saml-provider") || !strings.Contains(page, "Response signature invalid") {
		t.Errorf("with the why panel off the page explains:\n%s", page)
	}
	if !whyPanelOpen(t, rotatedPage) {
		t.Error("the why panel is closed; outside labs it opens with the page")
	}
}

// TestWhyPanelClosed: labs render the why panel closed (it holds the
// answer), with the same explanation inside.
func TestWhyPanelClosed(t *testing.T) {
	t.Parallel()
	cfg := labConfig()
	cfg.SignInWhy, cfg.SignInWhyClosed = true, true
	l := newPagesLabConfig(t, cfg, nil)
	if _, err := l.lab.IDP.Rotate(); err != nil {
		t.Fatal(err)
	}
	_, page := post(t, consoleClient(t), l.srv.URL+"/saml", url.Values{"SAMLResponse": {samlResponse(t, l.lab, l.lab.Users[scenarios.DefaultUser])}})
	if whyPanelOpen(t, page) {
		t.Errorf("the lab's why panel is open:\n%s", page)
	}
	if p := whyPanel(t, page); !strings.Contains(p, "aws iam update-saml-provider") {
		t.Errorf("the closed why panel lacks the fix:\n%s", p)
	}
}

// whyPanelOpen reports whether the page's why panel (a details element)
// is rendered open.
func whyPanelOpen(t *testing.T, page string) bool {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	n := findNode(doc, func(n *html.Node) bool { return attr(n, "id") == "why" })
	if n == nil {
		t.Fatalf("no why panel:\n%s", page)
	}
	return slices.ContainsFunc(n.Attr, func(a html.Attribute) bool { return a.Key == "open" })
}

// TestChooserMarkup: bob's two roles bring up a chooser nested as AWS's is,
// with the account alias; alice's single role signs straight in.
func TestChooserMarkup(t *testing.T) {
	t.Parallel()
	l := newPagesLab(t, false, nil)
	if err := l.lab.Account.CreateAccountAlias("samlab-class"); err != nil {
		t.Fatal(err)
	}
	bob := l.lab.Users["bob"]
	if len(bob.Roles) != 2 {
		t.Fatalf("bob has %d roles, want 2", len(bob.Roles))
	}
	resp, page := post(t, consoleClient(t), l.srv.URL+"/saml", url.Values{"SAMLResponse": {samlResponse(t, l.lab, bob)}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("bob's sign-in = %d, want the chooser", resp.StatusCode)
	}
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	form := findNode(doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "id") == "saml_form" })
	if form == nil || attr(form.Parent, "id") != "content" || attr(form.Parent.Parent, "id") != "container" {
		t.Fatalf("form#saml_form is not inside div#container > div#content:\n%s", page)
	}
	// fieldset > div.saml-account (outer, one per account)
	fieldset := findNode(form, func(n *html.Node) bool { return n.Data == "fieldset" })
	var outer []*html.Node
	for ch := fieldset.FirstChild; ch != nil; ch = ch.NextSibling {
		if ch.Type == html.ElementNode && hasClass(ch, "saml-account") {
			outer = append(outer, ch)
		}
	}
	if len(outer) != 1 {
		t.Fatalf("%d fieldset > div.saml-account, want 1 (one account)", len(outer))
	}
	// outer > div > div.saml-account-name
	name := findNode(outer[0], func(n *html.Node) bool { return hasClass(n, "saml-account-name") })
	if name == nil || name.Parent.Data != "div" || name.Parent.Parent != outer[0] || textOf(name) != "Account: samlab-class (123456789012)" {
		t.Fatalf("account name = %v, want outer > div > div.saml-account-name \"Account: samlab-class (123456789012)\"", name)
	}
	// outer > div.saml-account#N > div.saml-role > input + label[for=ARN]
	inner := findNode(outer[0], func(n *html.Node) bool { return n != outer[0] && hasClass(n, "saml-account") })
	if inner == nil || inner.Parent != outer[0] || attr(inner, "id") == "" {
		t.Fatalf("no inner div.saml-account with an id")
	}
	for _, r := range bob.Roles {
		label := findNode(inner, func(n *html.Node) bool { return n.Data == "label" && attr(n, "for") == r.RoleARN })
		radio := findNode(inner, func(n *html.Node) bool {
			return n.Data == "input" && attr(n, "name") == "roleIndex" && attr(n, "value") == r.RoleARN && attr(n, "id") == r.RoleARN
		})
		if label == nil || radio == nil || !hasClass(label.Parent, "saml-role") {
			t.Errorf("role %s: no div.saml-role > input[value=ARN] + label[for=ARN]", r.RoleARN)
		}
	}
	// One role: straight to the console.
	resp, _ = post(t, consoleClient(t), l.srv.URL+"/saml", url.Values{"SAMLResponse": {samlResponse(t, l.lab, l.lab.Users[scenarios.DefaultUser])}})
	if resp.StatusCode != http.StatusFound {
		t.Errorf("single-role sign-in = %d, want a redirect", resp.StatusCode)
	}
}

// TestChooserNoRoleSubmit: submitting the chooser without a role says so
// and shows the chooser again; the IdP's own POST shows no such notice.
func TestChooserNoRoleSubmit(t *testing.T) {
	t.Parallel()
	l := newPagesLab(t, false, nil)
	assertion := samlResponse(t, l.lab, l.lab.Users["bob"])
	_, first := post(t, consoleClient(t), l.srv.URL+"/saml", url.Values{"SAMLResponse": {assertion}})
	if strings.Contains(first, "Choose a role") {
		t.Errorf("the first chooser already complains")
	}
	// Submit the chooser's own hidden fields, as the browser does.
	doc, _ := html.Parse(strings.NewReader(first))
	form := url.Values{}
	findNode(doc, func(n *html.Node) bool {
		if n.Data == "input" && attr(n, "type") == "hidden" {
			form.Set(attr(n, "name"), attr(n, "value"))
		}
		return false
	})
	resp, page := post(t, consoleClient(t), l.srv.URL+"/saml", form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Choose a role to sign in with.") || !strings.Contains(page, `id="saml_form"`) {
		t.Errorf("no-role submit = %d:\n%s", resp.StatusCode, page)
	}
}

// TestConsolePageDetails: the console page shows what the IdP asserted and
// STS applied, the decoded response, and credentials that work.
func TestConsolePageDetails(t *testing.T) {
	t.Parallel()
	l := newPagesLab(t, false, nil)
	u := l.lab.Users["bob"]
	u.SourceIdentity = "bob.builder"
	u.PrincipalTags = map[string]string{"team": "platform"}
	u.SessionDuration = 7200
	c := consoleClient(t)
	ro := u.Roles[1].RoleARN
	resp, _ := post(t, c, l.srv.URL+"/saml", url.Values{"SAMLResponse": {samlResponse(t, l.lab, u)}, "roleIndex": {ro}})
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("sign-in = %d", resp.StatusCode)
	}
	_, page := get(t, c, l.srv.URL+"/console")
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	byID := func(id string) string {
		n := findNode(doc, func(n *html.Node) bool { return attr(n, "id") == id })
		if n == nil {
			t.Fatalf("console page has no #%s:\n%s", id, page)
		}
		return textOf(n)
	}
	for id, want := range map[string]string{
		"provider": l.lab.ProviderARN, "issuer": scenarios.DefaultEntityID, "name-id": "bob",
		"source-identity": "bob.builder", "tags": "team=platform", "role": ro,
		"duration":  "requested 2h0m0s (SessionDuration attribute); applied 1h0m0s",
		"assertion": "<saml:AttributeValue",
	} {
		if got := byID(id); !strings.Contains(got, want) {
			t.Errorf("#%s = %q, want %q", id, got, want)
		}
	}
	// The export lines are the session's working credentials.
	creds := map[string]string{}
	for _, line := range strings.Split(byID("credentials"), "\n") {
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok && !strings.HasPrefix(line, "#") {
			creds[k] = v
		}
	}
	cfg := aws.Config{Region: "us-east-1", HTTPClient: l.srv.Client(),
		Credentials: credentials.NewStaticCredentialsProvider(creds["AWS_ACCESS_KEY_ID"], creds["AWS_SECRET_ACCESS_KEY"], creds["AWS_SESSION_TOKEN"])}
	id, err := stssdk.NewFromConfig(cfg, func(o *stssdk.Options) { o.BaseEndpoint = aws.String(l.srv.URL) }).
		GetCallerIdentity(context.WithoutCancel(t.Context()), &stssdk.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(id.Arn), "assumed-role/SAMLReadOnly/bob") {
		t.Fatalf("GetCallerIdentity with the page's credentials = %+v, %v", id, err)
	}
}

func findNode(n *html.Node, match func(*html.Node) bool) *html.Node {
	if n == nil {
		return nil
	}
	if n.Type == html.ElementNode && match(n) {
		return n
	}
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if found := findNode(ch, match); found != nil {
			return found
		}
	}
	return nil
}

func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

func textOf(n *html.Node) string {
	var sb strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			sb.WriteString(n.Data)
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(n)
	return strings.TrimSpace(sb.String())
}

// TestIndexLabTask: the index shows the task a lab puts in the slot, and
// never a "no lab" notice beside it.
func TestIndexLabTask(t *testing.T) {
	t.Parallel()
	task := &labweb.Task{ID: "cert-rotation", Title: "The IdP rotated its key", Text: "Make alice's sign-in work again.",
		Difficulty: 2, Check: "samlab lab check --endpoint http://127.0.0.1:8765"}
	l := newPagesLab(t, true, func(c *scenarios.ServerConfig) { c.Task = func() *labweb.Task { return task } })
	_, body := fetch(t, l.srv.Client(), http.MethodGet, l.srv.URL+"/", browserHeader(), nil)
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	slot := findNode(doc, func(n *html.Node) bool { return attr(n, "id") == "task" })
	if slot == nil {
		t.Fatalf("index has no task slot:\n%s", body)
	}
	got := textOf(slot)
	for _, want := range []string{task.ID, task.Title, task.Text, "difficulty 2", task.Check} {
		if !strings.Contains(got, want) {
			t.Errorf("task slot %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "No lab running") {
		t.Errorf("task slot says no lab runs: %q", got)
	}
}
