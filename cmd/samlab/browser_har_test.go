package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/chromedp/cdproto/har"
	"github.com/chromedp/chromedp"

	"github.com/samlab-dev/samlab/scenarios"
)

// chromiumHARDir holds a HAR recorded by TestBrowserSignInHAR, with the
// metadata IAM held and the IdP's metadata after the rotation.
var chromiumHARDir = filepath.Join("testdata", "chromium")

// TestBrowserSignInHAR records, in headless Chromium, the network log a
// person saves from the developer tools ("Preserve log", "Save all as
// HAR") across a sign-in that works and, after `samlab up` restarts on the
// same state (the IdP has a new key, IAM the old one), a sign-in that
// fails; then explains that HAR against what IAM holds and the IdP's
// metadata, as docs/explain.md walks through.
func TestBrowserSignInHAR(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	rec := recordHAR(t, b.ctx)
	state := t.TempDir()
	l := startUp(t, "--fixture-keys=false", "--state", state)

	// What IAM holds, as `aws iam get-saml-provider` prints it.
	iamc := iamsdk.NewFromConfig(l.config(), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(l.endpoint) })
	const providerARN = "arn:aws:iam::" + scenarios.DefaultAccountID + ":saml-provider/samlab"
	got, err := iamc.GetSAMLProvider(t.Context(), &iamsdk.GetSAMLProviderInput{SAMLProviderArn: aws.String(providerARN)})
	if err != nil {
		t.Fatalf("GetSAMLProvider: %v", err)
	}
	provider := indentJSON(t, map[string]any{"SAMLMetadataDocument": aws.ToString(got.SAMLMetadataDocument),
		"CreateDate": got.CreateDate.UTC().Format(time.RFC3339), "ValidUntil": got.ValidUntil.UTC().Format(time.RFC3339)})

	b.do("log in as alice", chromedp.Navigate(l.endpoint+"/idp/"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "alice"), chromedp.SendKeys(chromedp.ID("password"), "samlab"),
		chromedp.Submit(chromedp.ID("password")), chromedp.WaitVisible(chromedp.ID("aws")))
	b.do("open AWS: the console", chromedp.Click(chromedp.ID("aws")), chromedp.WaitVisible(chromedp.ID("identity")))
	if got := b.text("#identity"); !strings.Contains(got, "assumed-role/") {
		t.Fatalf("console identity = %q", got)
	}
	if err := l.stop(); err != nil {
		t.Fatalf("stop samlab up: %v", err)
	}

	l2 := startUp(t, "--fixture-keys=false", "--state", state)
	current := httpGet(t, l2.endpoint+scenarios.IDPPrefix+"/metadata")
	// The post bodies of this sign-in are also read back with
	// Network.getRequestPostData, the recorder's way for a body the event
	// does not carry; each must be the body the event carried.
	rec.mu.Lock()
	rec.refetch = true
	rec.mu.Unlock()
	b.do("log in as alice after the restart", chromedp.Navigate(l2.endpoint+"/idp/"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "alice"), chromedp.SendKeys(chromedp.ID("password"), "samlab"),
		chromedp.Submit(chromedp.ID("password")), chromedp.WaitVisible(chromedp.ID("aws")))
	b.do("open AWS: the sign-in fails", chromedp.Click(chromedp.ID("aws")), chromedp.WaitVisible(chromedp.ID("why")))
	data := rec.har(t)
	t.Logf("post bodies read back with Network.getRequestPostData: %d; not available any more: %q", rec.fetched, rec.unavailable)
	if rec.fetched == 0 {
		t.Errorf("no post body was read with Network.getRequestPostData")
	}

	// Every request the browser made is an entry, in order, and the form
	// posts carry what the browser sent: the login its anti-forgery cookie
	// and fields, the SAMLResponse its Origin.
	var h har.HAR
	if err := json.Unmarshal(data, &h); err != nil || h.Log == nil {
		t.Fatalf("the HAR does not parse: %v", err)
	}
	var urls []string
	for _, u := range b.requested() {
		if !strings.HasPrefix(u, "data:") {
			urls = append(urls, u)
		}
	}
	var entries []string
	for _, e := range h.Log.Entries {
		entries = append(entries, e.Request.URL)
	}
	if strings.Join(entries, "\n") != strings.Join(urls, "\n") {
		t.Errorf("HAR entries:\n%s\nthe browser requested:\n%s", strings.Join(entries, "\n"), strings.Join(urls, "\n"))
	}
	for _, e := range h.Log.Entries {
		if e.Request.Method != http.MethodPost {
			continue
		}
		req := e.Request
		switch {
		case strings.HasSuffix(req.URL, "/idp/login"):
			fields := map[string]string{}
			for _, p := range req.PostData.Params {
				fields[p.Name] = p.Value
			}
			if fields["username"] != "alice" || fields["csrf_token"] == "" || !hasCookie(req.Cookies, "samlab_csrf") {
				t.Errorf("login POST: fields %v, cookies %d", fields, len(req.Cookies))
			}
		case strings.HasSuffix(req.URL, "/saml"):
			if header(req.Headers, "Origin") == "" || header(req.Headers, "Content-Type") != "application/x-www-form-urlencoded" ||
				len(req.PostData.Params) != 1 || req.PostData.Params[0].Name != "SAMLResponse" {
				t.Errorf("SAMLResponse POST %s: headers %v, params %d", req.URL, req.Headers, len(req.PostData.Params))
			}
		}
	}

	dir := t.TempDir()
	if *updateHAR {
		dir = chromiumHARDir
	}
	harFile := writeFile(t, filepath.Join(dir, "signin.har"), data)
	regFile := writeFile(t, filepath.Join(dir, "provider.json"), provider)
	curFile := writeFile(t, filepath.Join(dir, "idp-metadata.xml"), current)
	posts := postedSAMLResponses(t, data)
	if len(posts) != 2 || !strings.HasPrefix(posts[0], l.endpoint+"/saml") || !strings.HasPrefix(posts[1], l2.endpoint+"/saml") {
		t.Fatalf("the HAR's SAMLResponse posts = %q, want one to each lab's /saml", posts)
	}
	checkSignInHARExplained(t, harFile, regFile, curFile, 2)
}

// TestExplainChromiumHAR explains the committed HAR that headless Chromium
// recorded (TestBrowserSignInHAR with -update-har): the browser's form
// posts, headers and times as the DevTools protocol reported them.
func TestExplainChromiumHAR(t *testing.T) {
	t.Parallel()
	harFile := filepath.Join(chromiumHARDir, "signin.har")
	var h har.HAR
	if err := json.Unmarshal(readFile(t, harFile), &h); err != nil || h.Log == nil {
		t.Fatalf("%s does not parse as HAR: %v", harFile, err)
	}
	if h.Log.Version != "1.2" || h.Log.Browser == nil || !strings.Contains(h.Log.Browser.Name, "Chrome") {
		t.Fatalf("%s: version %q, browser %+v; want a HAR 1.2 recorded by Chromium", harFile, h.Log.Version, h.Log.Browser)
	}
	// The browser's own requests: its User-Agent on the SAMLResponse posts.
	posts := 0
	for _, e := range h.Log.Entries {
		if e.Request.PostData == nil || !strings.Contains(e.Request.PostData.Text, "SAMLResponse=") {
			continue
		}
		posts++
		if ua := header(e.Request.Headers, "User-Agent"); !strings.Contains(ua, "Chrome/") || e.Response.Status == 0 {
			t.Errorf("entry POST %s: User-Agent %q, status %d", e.Request.URL, ua, e.Response.Status)
		}
	}
	if posts != 2 {
		t.Fatalf("%s holds %d SAMLResponse posts, want 2", harFile, posts)
	}
	regFile := filepath.Join(chromiumHARDir, "provider.json")
	checkSignInHARExplained(t, harFile, regFile, filepath.Join(chromiumHARDir, "idp-metadata.xml"), posts)

	// The same HAR through a scrubber that redacts SAMLResponse: one line
	// naming each entry, exit status 2.
	for _, e := range h.Log.Entries {
		if pd := e.Request.PostData; pd != nil && strings.Contains(pd.Text, "SAMLResponse=") {
			pd.Text, pd.Params = "SAMLResponse=[REDACTED]", []*har.Param{{Name: "SAMLResponse", Value: "[REDACTED]"}}
		}
	}
	redacted := writeFile(t, filepath.Join(t.TempDir(), "scrubbed.har"), indentJSON(t, h))
	out, err := run(t, "explain", "--response", redacted, "--metadata", regFile)
	if exitCode(err) != 2 || strings.Contains(err.Error(), "\n") ||
		!regexp.MustCompile(`entry \d+ \(POST http://127\.0\.0\.1:\d+/saml\): not base64.* entry \d+ \(POST http://127\.0\.0\.1:\d+/saml\): not base64`).MatchString(err.Error()) {
		t.Errorf("scrubbed HAR: exit %d, %v\n%s", exitCode(err), err, out)
	}
}

// checkSignInHARExplained runs `samlab explain` on a HAR of a sign-in
// before and after an unannounced key rotation: one report per posted
// SAMLResponse, the first accepted, the last a certificate rotation fixed by
// uploading the IdP's current metadata.
func checkSignInHARExplained(t *testing.T, harFile, regFile, curFile string, posts int) {
	t.Helper()
	args := []string{"explain", "--response", harFile, "--metadata", regFile, "--idp-metadata", curFile, "--at", "posted"}
	out, err := run(t, args...)
	if exitCode(err) != 1 {
		t.Fatalf("explain: exit %d (%v), want 1\n%s", exitCode(err), err, out)
	}
	heads := regexp.MustCompile(`(?m)^== `+regexp.QuoteMeta(harFile)+` entry \d+ \(POST http://127\.0\.0\.1:\d+/saml\)$`).FindAllString(out, -1)
	if len(heads) != posts {
		t.Fatalf("%d report headings for %d SAMLResponse posts:\n%s", len(heads), posts, out)
	}
	last := out[strings.LastIndex(out, "\n== "):]
	for _, want := range []string{
		"REJECTED: InvalidIdentityToken (HTTP 400): Response signature invalid",
		"FAIL signed-with",
		" 1. [aws] The IdP rotated its signing certificate",
		"$ aws iam update-saml-provider --saml-provider-arn arn:aws:iam::123456789012:saml-provider/samlab --saml-metadata-document file://" + curFile,
	} {
		if !strings.Contains(last, want) {
			t.Errorf("the failing sign-in's report lacks %q:\n%s", want, last)
		}
	}

	out, err = run(t, append(args, "--output", "json")...)
	if exitCode(err) != 1 {
		t.Fatalf("explain --output json: exit %d (%v)\n%s", exitCode(err), err, out)
	}
	var rep jsonReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("JSON output does not parse: %v\n%s", err, out)
	}
	if len(rep.Reports) != posts {
		t.Fatalf("%d reports for %d posts", len(rep.Reports), posts)
	}
	first, fail := rep.Reports[0], rep.Reports[len(rep.Reports)-1]
	if !first.Accepted || first.Code != "" {
		t.Errorf("the first sign-in: accepted %v, code %q, diagnosis %q; want accepted", first.Accepted, first.Code, first.Diagnosis)
	}
	if fail.Accepted || fail.Code != "InvalidIdentityToken" || fail.Diagnosis != "cert-rotation" {
		t.Errorf("the failing sign-in: accepted %v, code %q, diagnosis %q; want InvalidIdentityToken, cert-rotation", fail.Accepted, fail.Code, fail.Diagnosis)
	}
	if len(fail.Fixes) == 0 || fail.Fixes[0].Where != "aws" || !strings.Contains(strings.Join(fail.Fixes[0].Commands, "\n"), "aws iam update-saml-provider") {
		t.Errorf("the failing sign-in's first fix = %+v", fail.Fixes)
	}
	for _, r := range rep.Reports {
		if !strings.HasSuffix(r.PostedTo, "/saml") || r.PostedAt == "" {
			t.Errorf("report %s: posted_to %q, posted_at %q", r.Source, r.PostedTo, r.PostedAt)
		}
	}

	// The fix, applied: against the IdP's current metadata the failing
	// sign-in is accepted.
	out, err = run(t, "explain", "--response", harFile, "--metadata", curFile, "--at", "posted")
	if exitCode(err) != 1 || !strings.Contains(out[strings.LastIndex(out, "\n== "):], "ACCEPTED") {
		t.Errorf("after the fix: exit %d (%v), want the last sign-in accepted\n%s", exitCode(err), err, out)
	}
}

func httpGet(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d, %v", u, resp.StatusCode, err)
	}
	return body
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func header(hs []*har.NameValuePair, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

func hasCookie(cs []*har.Cookie, name string) bool {
	for _, c := range cs {
		if c.Name == name {
			return true
		}
	}
	return false
}
