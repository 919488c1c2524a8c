package scenarios_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/iam"
)

// TestConsoleLogoutNeedsPOST: GET /logout on the console only asks; the POST
// from its form signs out, a POST a browser marks as cross-site does not.
func TestConsoleLogoutNeedsPOST(t *testing.T) {
	t.Parallel()
	lab, srv := signinLab(t)
	c := consoleClient(t)
	post(t, c, srv.URL+"/saml", url.Values{"SAMLResponse": {samlResponse(t, lab, lab.Users[scenarios.DefaultUser])}})
	signedIn := func() bool {
		resp, _ := get(t, c, srv.URL+"/console")
		return resp.StatusCode == http.StatusOK
	}
	if !signedIn() {
		t.Fatal("sign-in did not open a console session")
	}
	resp, body := get(t, c, srv.URL+"/logout")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<form id="logout_form" action="/logout" method="post">`) ||
		!strings.Contains(body, `<meta name="viewport" content="width=device-width, initial-scale=1">`) {
		t.Errorf("GET /logout = %d, want a form that posts, on a page with the viewport meta tag:\n%s", resp.StatusCode, body)
	}
	if !signedIn() {
		t.Fatal("GET /logout ended the console session")
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "https://evil.example")
	if resp, err = c.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !signedIn() {
		t.Errorf("cross-origin POST /logout = %d (signed in: %v), want 403 and the session kept", resp.StatusCode, signedIn())
	}
	if resp, _ = post(t, c, srv.URL+"/logout", nil); resp.StatusCode != http.StatusOK || signedIn() {
		t.Errorf("POST /logout = %d (signed in: %v), want 200 and signed out", resp.StatusCode, signedIn())
	}
}

// TestConsoleSecurityHeaders fetches every page of the console sign-in and
// checks the anti-framing and no-sniff headers, and no-store on the sign-in
// token JSON.
func TestConsoleSecurityHeaders(t *testing.T) {
	t.Parallel()
	lab, srv := signinLab(t)
	ro, err := lab.Account.CreateRole(iam.CreateRoleInput{Name: "ReadOnly", AssumeRolePolicyDocument: iam.SAMLTrustPolicy(lab.ProviderARN)})
	if err != nil {
		t.Fatal(err)
	}
	two := lab.Users[scenarios.DefaultUser]
	two.Roles = append(two.Roles, idp.Role{RoleARN: ro.ARN, ProviderARN: lab.ProviderARN})
	out, err := lab.Login(t.Context(), scenarios.LoginInput{})
	if err != nil {
		t.Fatal(err)
	}
	session, _ := json.Marshal(map[string]string{"sessionId": out.Credentials.AccessKeyID,
		"sessionKey": out.Credentials.SecretAccessKey, "sessionToken": out.Credentials.SessionToken})
	c := consoleClient(t)
	pages := []struct {
		name  string
		fetch func() *http.Response
		want  int
	}{
		{"sign-in redirect", func() *http.Response {
			resp, _ := post(t, c, srv.URL+"/saml", url.Values{"SAMLResponse": {samlResponse(t, lab, lab.Users[scenarios.DefaultUser])}})
			return resp
		}, http.StatusFound},
		{"console", func() *http.Response { resp, _ := get(t, c, srv.URL+"/console"); return resp }, http.StatusOK},
		{"role chooser", func() *http.Response {
			resp, _ := post(t, c, srv.URL+"/saml", url.Values{"SAMLResponse": {samlResponse(t, lab, two)}})
			return resp
		}, http.StatusOK},
		{"sign-in error", func() *http.Response { resp, _ := post(t, c, srv.URL+"/saml", url.Values{}); return resp }, http.StatusBadRequest},
		{"sign-in token JSON", func() *http.Response {
			resp, _ := get(t, c, srv.URL+"/federation?"+url.Values{"Action": {"getSigninToken"}, "Session": {string(session)}}.Encode())
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("sign-in token JSON: Cache-Control = %q, want no-store", cc)
			}
			return resp
		}, http.StatusOK},
		{"federation login error", func() *http.Response {
			resp, _ := get(t, c, srv.URL+"/federation?Action=login&SigninToken=nope")
			return resp
		}, http.StatusBadRequest},
		{"logout confirmation", func() *http.Response { resp, _ := get(t, c, srv.URL+"/logout"); return resp }, http.StatusOK},
		{"signed out", func() *http.Response { resp, _ := post(t, c, srv.URL+"/logout", nil); return resp }, http.StatusOK},
		{"console without a session", func() *http.Response { resp, _ := get(t, c, srv.URL+"/console"); return resp }, http.StatusUnauthorized},
	}
	for _, p := range pages { // in order: the console needs the sign-in before it
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
