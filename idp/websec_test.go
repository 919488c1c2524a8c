package idp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// submitLogin opens the login page at loginURL, fills in the form it finds
// (keeping its hidden fields, as a browser does) and posts it to the form's
// action.
func submitLogin(t *testing.T, c *http.Client, loginURL, user, password string) (*http.Response, []byte) {
	t.Helper()
	resp, body := do(t, c, http.MethodGet, loginURL, nil)
	action, fields, err := ParseLoginForm(body)
	if err != nil {
		t.Fatalf("GET %s (%d): %v\n%s", loginURL, resp.StatusCode, err, body)
	}
	fields.Set("username", user)
	fields.Set("password", password)
	return do(t, c, http.MethodPost, action, fields)
}

// logout posts the logout confirmation form served at idpURL/logout.
func logout(t *testing.T, c *http.Client, idpURL string) (*http.Response, []byte) {
	t.Helper()
	_, body := do(t, c, http.MethodGet, idpURL+"/logout", nil)
	action, fields, err := parseForm(body, func(v url.Values) bool { return v.Has(CSRFField) })
	if err != nil {
		t.Fatalf("logout page: %v\n%s", err, body)
	}
	return do(t, c, http.MethodPost, action, fields)
}

func loggedIn(t *testing.T, c *http.Client, idpURL string) bool {
	t.Helper()
	resp, _ := do(t, c, http.MethodGet, idpURL+"/", nil)
	return !strings.HasSuffix(resp.Request.URL.Path, "/login")
}

// TestLoginCSRF: the login form only counts when it comes from the IdP's own
// page: the token must match the cookie, and a browser's cross-origin marks
// refuse it even with a valid token.
func TestLoginCSRF(t *testing.T) {
	t.Parallel()
	_, ts := startIDPAt(t, "/idp", nil)
	idpURL := ts.URL + "/idp"
	tests := []struct {
		name    string
		edit    func(url.Values)
		headers map[string]string
		want    int
	}{
		{"the form as served", nil, nil, http.StatusOK},
		{"same-origin browser", nil, map[string]string{"Origin": ts.URL, "Sec-Fetch-Site": "same-origin"}, http.StatusOK},
		{"no token", func(v url.Values) { v.Del(CSRFField) }, nil, http.StatusForbidden},
		{"empty token", func(v url.Values) { v.Set(CSRFField, "") }, nil, http.StatusForbidden},
		{"another token", func(v url.Values) { v.Set(CSRFField, strings.Repeat("ab", 32)) }, nil, http.StatusForbidden},
		{"foreign Origin", nil, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"cross-site fetch", nil, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := browser(t, ts)
			_, body := do(t, c, http.MethodGet, idpURL+"/login?return=sso/aws", nil)
			action, fields, err := ParseLoginForm(body)
			if err != nil {
				t.Fatal(err)
			}
			fields.Set("username", "alice")
			fields.Set("password", "samlab")
			if tt.edit != nil {
				tt.edit(fields)
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, action, strings.NewReader(fields.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("POST login = %d, want %d", resp.StatusCode, tt.want)
			}
			if got, want := loggedIn(t, c, idpURL), tt.want == http.StatusOK; got != want {
				t.Errorf("logged in = %v, want %v", got, want)
			}
		})
	}
}

// TestLogoutNeedsPOST: GET /logout only asks; the session ends with the
// confirmation form's POST, and a forged POST does not end it.
func TestLogoutNeedsPOST(t *testing.T) {
	t.Parallel()
	_, ts := startIDPAt(t, "/idp", nil)
	idpURL := ts.URL + "/idp"
	c := browser(t, ts)
	submitLogin(t, c, idpURL+"/login", "alice", "samlab")
	if !loggedIn(t, c, idpURL) {
		t.Fatal("login did not start a session")
	}
	resp, body := do(t, c, http.MethodGet, idpURL+"/logout", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `<form id="logout" method="post"`) {
		t.Errorf("GET /logout = %d, want a confirmation form that posts:\n%s", resp.StatusCode, body)
	}
	if !loggedIn(t, c, idpURL) {
		t.Fatal("GET /logout ended the session")
	}
	resp, _ = do(t, c, http.MethodPost, idpURL+"/logout", url.Values{})
	if resp.StatusCode != http.StatusForbidden || !loggedIn(t, c, idpURL) {
		t.Errorf("POST /logout without the token = %d (logged in: %v), want 403 and the session kept",
			resp.StatusCode, loggedIn(t, c, idpURL))
	}
	resp, body = logout(t, c, idpURL)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "You are logged out.") {
		t.Errorf("POST /logout = %d:\n%s", resp.StatusCode, body)
	}
	if loggedIn(t, c, idpURL) {
		t.Error("still logged in after the logout form")
	}
}

// TestSecurityHeaders fetches every kind of IdP page and checks the
// anti-framing and no-sniff headers on each.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	s, ts := startIDPAt(t, "/idp", nil)
	registeredSP(t, s, "https://sp.samlab.test/metadata", "https://sp.samlab.test/acs", nil)
	idpURL := ts.URL + "/idp"
	c := browser(t, ts)
	get := func(path string) func() *http.Response {
		return func() *http.Response { resp, _ := do(t, c, http.MethodGet, idpURL+path, nil); return resp }
	}
	pages := []struct {
		name  string
		fetch func() *http.Response
		want  int
	}{
		{"login form", get("/login"), http.StatusOK},
		{"failed login", func() *http.Response {
			resp, _ := submitLogin(t, browser(t, ts), idpURL+"/login", "alice", "wrong")
			return resp
		}, http.StatusUnauthorized},
		{"forged login", func() *http.Response {
			resp, _ := do(t, c, http.MethodPost, idpURL+"/login", url.Values{"username": {"alice"}})
			return resp
		}, http.StatusForbidden},
		{"home", func() *http.Response {
			submitLogin(t, c, idpURL+"/login", "alice", "samlab")
			return get("/")()
		}, http.StatusOK},
		{"SAML POST form to AWS", get("/sso/aws"), http.StatusOK},
		{"SAML POST form to an SP", get("/sso/init?sp=https://sp.samlab.test/metadata"), http.StatusOK},
		{"error page", get("/sso/init?sp=https://unknown.example/"), http.StatusNotFound},
		{"not found", get("/nope"), http.StatusNotFound},
		{"metadata", get("/metadata"), http.StatusOK},
		{"logout confirmation", get("/logout"), http.StatusOK},
		{"logged out", func() *http.Response { resp, _ := logout(t, c, idpURL); return resp }, http.StatusOK},
	}
	for _, p := range pages { // in order: the session pages need the login before them
		resp := p.fetch()
		if resp.StatusCode != p.want {
			t.Errorf("%s: status %d, want %d", p.name, resp.StatusCode, p.want)
		}
		for h, want := range map[string]string{
			"X-Frame-Options":         "DENY",
			"Content-Security-Policy": "frame-ancestors 'none'",
			"X-Content-Type-Options":  "nosniff",
		} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", p.name, h, got, want)
			}
		}
	}
}

// TestFailedLoginForSAML2AWS: a failed login shows the message in the element
// saml2aws's KeyCloak provider looks for (span#input-error, text "Invalid
// username or password."); without it, saml2aws retries forever.
func TestFailedLoginForSAML2AWS(t *testing.T) {
	t.Parallel()
	_, ts := startIDP(t, nil)
	for _, user := range []string{"alice", "mallory"} {
		resp, body := submitLogin(t, browser(t, ts), ts.URL+"/login", user, "wrong")
		if resp.StatusCode != http.StatusUnauthorized ||
			!strings.Contains(string(body), `<span id="input-error">Invalid username or password.</span>`) {
			t.Errorf("failed login as %s = %d, want 401 with span#input-error:\n%s", user, resp.StatusCode, body)
		}
	}
}

// TestCookiesOverHTTP: served over plain http under /idp, the IdP's cookies
// are scoped to /idp/ and not Secure (a Secure cookie set over http is
// dropped by clients' cookie jars), and the login form's action is absolute.
func TestCookiesOverHTTP(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	mux := http.NewServeMux()
	mux.Handle("/idp/", http.StripPrefix("/idp", s))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	c := ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	resp, body := do(t, c, http.MethodGet, ts.URL+"/idp/login", nil)
	action, fields, err := ParseLoginForm(body)
	if err != nil {
		t.Fatal(err)
	}
	if action != ts.URL+"/idp/login" {
		t.Errorf("login form action = %q, want %s/idp/login", action, ts.URL)
	}
	csrf := cookieNamed(resp, csrfCookie)
	if csrf == nil || csrf.Path != "/idp/" || csrf.Secure || !csrf.HttpOnly || csrf.SameSite != http.SameSiteStrictMode {
		t.Errorf("csrf cookie = %+v, want Path=/idp/, not Secure, HttpOnly, SameSite=Strict", csrf)
	}
	fields.Set("username", "alice")
	fields.Set("password", "samlab")
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, action, strings.NewReader(fields.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(csrf)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sess := cookieNamed(resp, SessionCookie)
	if resp.StatusCode != http.StatusSeeOther || sess == nil || sess.Path != "/idp/" || sess.Secure {
		t.Errorf("login = %d, session cookie %+v, want 303 and Path=/idp/, not Secure", resp.StatusCode, sess)
	}
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}
