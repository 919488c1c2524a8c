package oidc_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/idp/oidc"
)

const (
	testClientID = "samlab-test-app"
	// testRedirect is registered without a port: loopback redirect URIs
	// match on any port (RFC 8252 §7.3).
	testRedirect = "http://127.0.0.1/callback"
)

// stack is a SAML IdP with the OIDC provider beside it, served on loopback
// as samlab up serves them: the IdP under /idp, the provider under
// /idp/oidc.
type stack struct {
	idp      *idp.Server
	provider *oidc.Provider
	srv      *httptest.Server
	issuer   string
	// redirect is testRedirect with the port of a listener nobody serves on,
	// as a native app's would be.
	redirect string
}

func newStack(t *testing.T, update func(*oidc.Config)) *stack {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	keys := certstest.New()
	is, err := idp.New(idp.Config{EntityID: base + "/idp/metadata", BaseURL: base + "/idp", Users: idp.DemoUsers(),
		Keys: keys, Logger: logger.With("component", "idp")})
	if err != nil {
		t.Fatalf("idp.New: %v", err)
	}
	cfg := oidc.Config{
		Issuer:   base + "/idp/oidc",
		Users:    is.Users(),
		Sessions: is,
		Keys:     keys,
		Clients:  []oidc.Client{{ID: testClientID, RedirectURIs: []string{testRedirect}}},
		Logger:   logger.With("component", "oidc"),
	}
	if update != nil {
		update(&cfg)
	}
	p, err := oidc.New(cfg)
	if err != nil {
		t.Fatalf("oidc.New: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/idp/", http.StripPrefix("/idp", is))
	mux.Handle("/idp/oidc/", http.StripPrefix("/idp/oidc", p))
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	return &stack{idp: is, provider: p, srv: srv, issuer: cfg.Issuer, redirect: "http://127.0.0.1:" + freePort(t) + "/callback"}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// verifier returns go-oidc's verifier for the stack's issuer, found by
// discovery over HTTP.
func (s *stack) verifier(t *testing.T, clientID string) (*gooidc.Provider, *gooidc.IDTokenVerifier) {
	t.Helper()
	ctx := gooidc.ClientContext(t.Context(), s.srv.Client())
	op, err := gooidc.NewProvider(ctx, s.issuer)
	if err != nil {
		t.Fatalf("go-oidc NewProvider(%s): %v", s.issuer, err)
	}
	return op, op.Verifier(&gooidc.Config{ClientID: clientID})
}

func (s *stack) ctx(t *testing.T) context.Context {
	return gooidc.ClientContext(t.Context(), s.srv.Client())
}

func demoUser(t *testing.T, name string) idp.User {
	t.Helper()
	u, ok := idp.DemoUsers().User(name)
	if !ok {
		t.Fatalf("demo user %q missing", name)
	}
	return u
}

// browser is an HTTP client with a cookie jar that follows redirects until
// it is sent to the client's redirect URI, and stops there.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/callback" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

// authorize drives a browser through the authorization endpoint, logging in
// on the IdP's login page when it is shown, and returns the redirect to the
// client (the 303's Location).
func authorize(t *testing.T, c *http.Client, authURL, user, password string) *url.URL {
	t.Helper()
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatalf("GET authorize: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK && strings.HasSuffix(resp.Request.URL.Path, "/idp/login") {
		action, fields, err := idp.ParseLoginForm(body)
		if err != nil || fields.Get("return") == "" {
			t.Fatalf("login page has no form with a return field (%v):\n%s", err, body)
		}
		fields.Set("username", user)
		fields.Set("password", password)
		resp, err = c.PostForm(action, fields)
		if err != nil {
			t.Fatalf("POST login: %v", err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("authorize ended with %s at %s, want a 303 to the client:\n%s", resp.Status, resp.Request.URL, body)
	}
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("redirect Location: %v", err)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("redirect Cache-Control = %q, want no-store", got)
	}
	return loc
}

// oauthConfig is the client's golang.org/x/oauth2 configuration, endpoints
// from discovery. A public client sends its client_id in the body: with
// oauth2's auto-detection a refused exchange would be retried with the
// other style, and meet a code the first attempt consumed.
func oauthConfig(op *gooidc.Provider, redirect string) *oauth2.Config {
	ep := op.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInParams
	return &oauth2.Config{ClientID: testClientID, Endpoint: ep, RedirectURL: redirect,
		Scopes: []string{gooidc.ScopeOpenID, "email"}}
}
