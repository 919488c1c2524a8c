package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/samlab-dev/samlab/scenarios/labs"
	"github.com/samlab-dev/samlab/sp/awsapi"
)

// screenshotsEnv names the directory the browser test writes its
// screenshots to; unset, it writes none.
const screenshotsEnv = "SAMLAB_SCREENSHOTS"

// chromium returns the path of Debian's chromium. Outside CI a missing
// browser skips the test (as does -short); in CI it fails it.
func chromium(t *testing.T) string {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	if testing.Short() && !ci {
		t.Skip("the browser test takes seconds; skipped with -short outside CI")
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if ci {
		t.Fatal("chromium is required in CI (Debian package chromium; .ci/deps.sh installs it)")
	}
	t.Skip("chromium not installed (Debian package chromium)")
	return ""
}

// browser is one headless Chromium with a fresh profile, and every URL it
// requested.
type browser struct {
	t    *testing.T
	ctx  context.Context
	shot string // screenshot directory, "" for none

	mu   sync.Mutex
	urls []string
}

func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	path := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 800),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), append(opts, extra...)...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, shot: os.Getenv(screenshotsEnv)}
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			b.mu.Lock()
			b.urls = append(b.urls, e.Request.URL)
			b.mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

// do runs the steps with a deadline, failing the test with what it was
// doing.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("%s (at %s): %v", what, loc, err)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// screenshot saves the whole page as NAME.png when screenshots are asked
// for.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	if b.shot == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(b.shot, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.shot, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// requested returns every URL the browser asked for.
func (b *browser) requested() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.urls...)
}

// TestBrowserEndToEnd drives headless Chromium through `samlab up` as a
// trainee would: the index, the IdP login, the role chooser for bob's two
// roles (with the account alias, and a submit with no role), the console
// page; then, after a restart on the same state (the IdP has a new key,
// IAM the old one), a sign-in that fails with the why panel, logged under
// the request ID the page shows. No page fetches anything from elsewhere.
func TestBrowserEndToEnd(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	dir := t.TempDir()
	events := filepath.Join(dir, "events.jsonl")
	l := startUp(t, "--fixture-keys=false", "--state", dir, "--events", events, "--account-alias", "samlab-class")

	b.do("open the index", chromedp.Navigate(l.endpoint+"/"), chromedp.WaitVisible(chromedp.ID("no-lab")))
	if got := b.text("#no-lab"); got != "No lab running." {
		t.Errorf("index task slot = %q", got)
	}
	b.screenshot("index")

	b.do("follow the IdP link to its login form", chromedp.Click(chromedp.CSS(`a[href="/idp/"]`)),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "bob"), chromedp.SendKeys(chromedp.ID("password"), "samlab"))
	b.screenshot("login")
	b.do("log in as bob", chromedp.Submit(chromedp.ID("password")), chromedp.WaitVisible(chromedp.ID("aws")))

	b.do("open AWS from the IdP", chromedp.Click(chromedp.ID("aws")), chromedp.WaitVisible(chromedp.ID("saml_form")))
	if got := b.text("#saml_form fieldset > div.saml-account > div > div.saml-account-name"); got != "Account: samlab-class (123456789012)" {
		t.Errorf("chooser account = %q, want \"Account: samlab-class (123456789012)\"", got)
	}
	b.screenshot("chooser")

	b.do("submit the chooser with no role", chromedp.Click(chromedp.ID("signin_button")),
		chromedp.WaitVisible(chromedp.ID("error_message")))
	if got := b.text("#error_message"); got != "Choose a role to sign in with." {
		t.Errorf("no-role submit says %q", got)
	}
	readOnly := "arn:aws:iam::123456789012:role/SAMLReadOnly"
	b.do("choose SAMLReadOnly and sign in", chromedp.Click(chromedp.CSS(`label[for="`+readOnly+`"]`)),
		chromedp.Click(chromedp.ID("signin_button")), chromedp.WaitVisible(chromedp.ID("identity")))
	if got := b.text("#identity"); !strings.Contains(got, "arn:aws:sts::123456789012:assumed-role/SAMLReadOnly/bob") {
		t.Errorf("console identity = %q", got)
	}
	for sel, want := range map[string]string{"#name-id": "bob", "#issuer": "https://idp.samlab.test/metadata",
		"#duration": "requested 2h0m0s", "#credentials": "export AWS_SESSION_TOKEN="} {
		if got := b.text(sel); !strings.Contains(got, want) {
			t.Errorf("console %s = %q, want %q", sel, got, want)
		}
	}
	b.screenshot("console")

	b.do("open the IAM page", chromedp.Navigate(l.endpoint+"/samlab/iam"), chromedp.WaitVisible(chromedp.CSS(".provider-arn")))
	if got := b.text(".provider-arn"); got != "arn:aws:iam::123456789012:saml-provider/samlab" {
		t.Errorf("IAM page provider = %q", got)
	}
	b.screenshot("iam")
	// AWS calls beside the sign-in, one of them refused, for the event log.
	stsc := stssdk.NewFromConfig(l.config(), func(o *stssdk.Options) { o.BaseEndpoint = aws.String(l.endpoint) })
	if _, err := stsc.GetCallerIdentity(t.Context(), &stssdk.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	iamc := iamsdk.NewFromConfig(l.config(), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(l.endpoint) })
	if _, err := iamc.GetRole(t.Context(), &iamsdk.GetRoleInput{RoleName: aws.String("NoSuchRole")}); err == nil {
		t.Fatal("GetRole for a missing role succeeded")
	}
	b.do("open the event log", chromedp.Navigate(l.endpoint+"/samlab/events"), chromedp.WaitVisible(chromedp.CSS("tr.event")))
	if got := b.text("#events"); !strings.Contains(got, "ConsoleLogin") || !strings.Contains(got, "GetCallerIdentity") || !strings.Contains(got, "NoSuchEntity") {
		t.Errorf("event log page lacks the console sign-in: %q", got)
	}
	b.screenshot("events")

	// Restart on the same state: a new IdP key, IAM holds the old one.
	if err := l.stop(); err != nil {
		t.Fatalf("stop samlab up: %v", err)
	}
	l2 := startUp(t, "--fixture-keys=false", "--state", dir, "--events", events)
	b.do("log in as alice after the restart", chromedp.Navigate(l2.endpoint+"/idp/"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "alice"), chromedp.SendKeys(chromedp.ID("password"), "samlab"),
		chromedp.Submit(chromedp.ID("password")), chromedp.WaitVisible(chromedp.ID("aws")))
	b.do("open AWS: the sign-in fails", chromedp.Click(chromedp.ID("aws")), chromedp.WaitVisible(chromedp.ID("why")))
	if got := b.text("#error_message"); !strings.HasPrefix(got, "Response signature invalid (Service: AWSSecurityTokenService; Status Code: 400; Error Code: InvalidIdentityToken; Request ID: ") {
		t.Errorf("error page = %q", got)
	}
	if got := b.text("#why-diagnosis"); !strings.Contains(got, "cert-rotation") {
		t.Errorf("why panel diagnosis = %q", got)
	}
	if got := b.text("#why-fixes"); !strings.Contains(got, "aws iam update-saml-provider") {
		t.Errorf("why panel fix = %q", got)
	}
	reqID := b.text("#why-request-id")
	b.screenshot("error-why")

	found := false
	if err := l2.stop(); err != nil {
		t.Fatalf("stop samlab up: %v", err)
	}
	data, err := os.ReadFile(events)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := awsapi.ReadEvents(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.RequestID == reqID {
			found = e.EventName == "ConsoleLogin" && e.ErrorCode == "InvalidIdentityToken"
		}
		if e.EventName == "" || strings.Contains(e.EventSource, "favicon") {
			t.Errorf("a browser request reached the event log: %+v", e)
		}
	}
	if !found {
		t.Errorf("no ConsoleLogin InvalidIdentityToken event under the page's request ID %s in %s", reqID, data)
	}
	if n := len(b.requested()); n < 10 {
		t.Errorf("the browser made %d requests; the network log is not working", n)
	}
	for _, u := range b.requested() {
		if !strings.HasPrefix(u, l.endpoint+"/") && !strings.HasPrefix(u, l2.endpoint+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the browser fetched %s, outside samlab", u)
		}
	}
}

// TestBrowserLab drives headless Chromium through a lab as a trainee does:
// the index shows the running lab's task (never the fix); alice's console
// sign-in fails; the printed solution, run with curl and Debian's aws CLI
// v2, fixes IAM; samlab lab check says fixed; and the same sign-in in the
// browser now reaches the console.
func TestBrowserLab(t *testing.T) {
	b := newBrowser(t)
	requireAWSCLI(t)
	requireTool(t, "/usr/bin/curl")
	sc, err := labs.Find("cert-rotation")
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "class")
	startClass(t, state, sc.Name)
	seat, _ := readManifest(t, state).Seat(1)

	b.do("open the lab's index", chromedp.Navigate(seat.Endpoint+"/"), chromedp.WaitVisible(chromedp.ID("task-title")))
	for sel, want := range map[string]string{"#task-title": sc.Title, "#task-id": sc.Name, "#task-difficulty": "1",
		"#task-text":  strings.TrimSpace(strings.ReplaceAll(sc.Lab.Task, "\n", " ")),
		"#task-check": "samlab lab check --endpoint " + seat.Endpoint} {
		got := strings.Join(strings.Fields(b.text(sel)), " ")
		if got != want {
			t.Errorf("index %s = %q, want %q", sel, got, want)
		}
	}
	if slot := b.text("#task"); strings.Contains(slot, "update-saml-provider") || strings.Contains(slot, sc.Hint) {
		t.Errorf("the task slot gives the fix away: %q", slot)
	}
	b.screenshot("lab-task")

	b.do("log in as alice", chromedp.Click(chromedp.CSS(`a[href="/idp/"]`)), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "alice"), chromedp.SendKeys(chromedp.ID("password"), "samlab"),
		chromedp.Submit(chromedp.ID("password")), chromedp.WaitVisible(chromedp.ID("aws")))
	b.do("open AWS: the sign-in fails", chromedp.Click(chromedp.ID("aws")), chromedp.WaitVisible(chromedp.ID("error_message")))
	if got := b.text("#error_message"); !strings.HasPrefix(got, "Response signature invalid (Service: AWSSecurityTokenService; Status Code: 400; Error Code: InvalidIdentityToken") {
		t.Errorf("error page before the fix = %q", got)
	}
	// The why panel is there but closed: its fix stays hidden until the
	// trainee opens it.
	if open, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById("why").open`)); err != nil || open {
		t.Errorf("lab's why panel open = %v (%v), want closed", open, err)
	}
	if shown, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById("why-fixes").checkVisibility()`)); err != nil || shown {
		t.Errorf("the closed why panel shows the fix: %v (%v)", shown, err)
	}
	b.do("open the why panel", chromedp.Click(chromedp.CSS("#why > summary")), chromedp.WaitVisible(chromedp.ID("why-fixes")))
	if got := b.text("#why-fixes"); !strings.Contains(got, "aws iam update-saml-provider") {
		t.Errorf("lab's why panel fix = %q", got)
	}

	out, err := run(t, "lab", "solution", "--state", state)
	if err != nil {
		t.Fatalf("solution: %v\n%s", err, out)
	}
	runSolution(t, out, seat)
	out, err = run(t, "lab", "check", "--state", state)
	wantExit(t, "check after the fix", out, err, 0, "fixed (check 1)")

	b.do("open AWS again: the console", chromedp.Navigate(seat.Endpoint+"/idp/"), chromedp.WaitVisible(chromedp.ID("aws")),
		chromedp.Click(chromedp.ID("aws")), chromedp.WaitVisible(chromedp.ID("identity")))
	if got := b.text("#identity"); !strings.Contains(got, "arn:aws:sts::"+seat.Account+":assumed-role/SAMLAdmin/alice") {
		t.Errorf("console identity after the fix = %q", got)
	}
	for _, u := range b.requested() {
		if !strings.HasPrefix(u, seat.Endpoint+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the browser fetched %s, outside the lab", u)
		}
	}
}
