package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
)

var updateHAR = flag.Bool("update-har", false, "rewrite testdata/signin/ from a fresh loopback sign-in")

// The HAR 1.2 shape (http://www.softwareishard.com/blog/har-12-spec/), as
// browsers export it: every field a HAR reader may require is present.
type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harPostData struct {
	MimeType string  `json:"mimeType"`
	Params   []harNV `json:"params"`
	Text     string  `json:"text"`
}

type harRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Cookies     []harNV      `json:"cookies"`
	Headers     []harNV      `json:"headers"`
	QueryString []harNV      `json:"queryString"`
	PostData    *harPostData `json:"postData,omitempty"`
	HeadersSize int          `json:"headersSize"`
	BodySize    int          `json:"bodySize"`
}

type harContent struct {
	Size     int    `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
}

type harResponse struct {
	Status      int        `json:"status"`
	StatusText  string     `json:"statusText"`
	HTTPVersion string     `json:"httpVersion"`
	Cookies     []harNV    `json:"cookies"`
	Headers     []harNV    `json:"headers"`
	Content     harContent `json:"content"`
	RedirectURL string     `json:"redirectURL"`
	HeadersSize int        `json:"headersSize"`
	BodySize    int        `json:"bodySize"`
}

type harEntry struct {
	StartedDateTime string         `json:"startedDateTime"`
	Time            float64        `json:"time"`
	Request         harRequest     `json:"request"`
	Response        harResponse    `json:"response"`
	Cache           struct{}       `json:"cache"`
	Timings         map[string]int `json:"timings"`
}

type harLog struct {
	Log struct {
		Version string            `json:"version"`
		Creator map[string]string `json:"creator"`
		Pages   []any             `json:"pages"`
		Entries []harEntry        `json:"entries"`
	} `json:"log"`
}

// harRecorder is an http.RoundTripper that records every exchange as a HAR
// entry, bodies included, as a browser's developer tools do.
type harRecorder struct {
	next    http.RoundTripper
	now     func() time.Time
	mu      sync.Mutex
	entries []harEntry
}

func nvs(h map[string][]string) []harNV {
	out := []harNV{}
	for k, vs := range h {
		for _, v := range vs {
			out = append(out, harNV{k, v})
		}
	}
	return out
}

func (r *harRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	start := r.now()
	e := harEntry{StartedDateTime: start.UTC().Format(time.RFC3339Nano), Timings: map[string]int{"send": 0, "wait": 0, "receive": 0}}
	e.Request = harRequest{Method: req.Method, URL: req.URL.String(), HTTPVersion: "HTTP/1.1", Cookies: []harNV{},
		Headers: nvs(req.Header), QueryString: nvs(req.URL.Query()), HeadersSize: -1}
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		pd := &harPostData{MimeType: req.Header.Get("Content-Type"), Text: string(body), Params: []harNV{}}
		if form, err := url.ParseQuery(string(body)); err == nil {
			pd.Params = nvs(form)
		}
		e.Request.PostData, e.Request.BodySize = pd, len(body)
	}
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	e.Response = harResponse{Status: resp.StatusCode, StatusText: http.StatusText(resp.StatusCode), HTTPVersion: "HTTP/1.1",
		Cookies: []harNV{}, Headers: nvs(resp.Header), RedirectURL: resp.Header.Get("Location"), HeadersSize: -1, BodySize: len(body),
		Content: harContent{Size: len(body), MimeType: resp.Header.Get("Content-Type"), Text: string(body)}}
	r.mu.Lock()
	r.entries = append(r.entries, e)
	r.mu.Unlock()
	return resp, nil
}

func (r *harRecorder) har() []byte {
	var h harLog
	h.Log.Version = "1.2"
	h.Log.Creator = map[string]string{"name": "samlab test recorder", "version": "1"}
	h.Log.Pages = []any{}
	r.mu.Lock()
	h.Log.Entries = r.entries
	r.mu.Unlock()
	out, _ := json.MarshalIndent(h, "", "  ")
	return out
}

// signInLab is a lab served on loopback, as `samlab up` serves it.
type signInLab struct {
	lab *scenarios.Lab
	url string
}

func newSignInLab(t *testing.T, start time.Time) *signInLab {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	lab, err := scenarios.NewLab(scenarios.LabConfig{Keys: certstest.New(), Start: start, IDPBaseURL: base + scenarios.IDPPrefix})
	if err != nil {
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
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	return &signInLab{lab: lab, url: base}
}

// signIn logs alice in at the IdP and posts the SAMLResponse to the console
// sign-in endpoint, as a browser does, over real HTTP through rec.
func (s *signInLab) signIn(t *testing.T, rec *harRecorder) (status int) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Transport: rec, Timeout: 10 * time.Second}
	post := func(u string, form url.Values) (*http.Response, []byte) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	// The login form carries a CSRF token: open it first, as a browser does.
	resp, err := c.Get(s.url + scenarios.IDPPrefix + "/login?return=sso/aws")
	if err != nil {
		t.Fatal(err)
	}
	form, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	loginAction, login, err := idp.ParseLoginForm(form)
	if err != nil {
		t.Fatalf("the IdP's login page has no login form: %v\n%s", err, form)
	}
	login.Set("username", "alice")
	login.Set("password", "samlab")
	_, page := post(loginAction, login)
	action, fields, err := idp.ParsePostForm(page)
	if err != nil {
		t.Fatalf("the IdP did not answer with the auto-post form: %v\n%s", err, page)
	}
	resp, _ = post(action, fields)
	return resp.StatusCode
}

// recordSignInHAR records, over real HTTP on loopback, a sign-in that works,
// then the IdP's key rotation without update-saml-provider, then a sign-in
// that fails. It returns the HAR and the registered and current metadata.
func recordSignInHAR(t *testing.T) (har, registered, current []byte) {
	t.Helper()
	// The lab clock starts now: the client's cookie jar judges the IdP's
	// session cookie by real time.
	s := newSignInLab(t, time.Now().UTC().Truncate(time.Second))
	if err := s.lab.RegisterProvider(); err != nil {
		t.Fatal(err)
	}
	registered, err := s.lab.IDP.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	rec := &harRecorder{next: http.DefaultTransport, now: s.lab.Clock.Now}
	if st := s.signIn(t, rec); st != http.StatusOK {
		t.Fatalf("sign-in before the rotation: HTTP %d", st)
	}
	s.lab.Clock.Advance(24 * time.Hour)
	if _, err := s.lab.IDP.Rotate(); err != nil {
		t.Fatal(err)
	}
	if st := s.signIn(t, rec); st < 400 {
		t.Fatalf("sign-in after the rotation: HTTP %d, want an error page", st)
	}
	current, err = s.lab.IDP.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	return rec.har(), registered, current
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
