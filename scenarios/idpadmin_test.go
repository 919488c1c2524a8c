package scenarios_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
)

// The IdP admin endpoint as samlab up mounts it: the admin key's token is
// required, bad changes are refused with the field named, and changes
// reach the IdP that serves the lab.
func TestIDPAdminEndpoint(t *testing.T) {
	t.Parallel()
	lab, err := scenarios.NewLab(labConfig())
	if err != nil {
		t.Fatal(err)
	}
	if w, err := lab.EnsureProvider(); err != nil || w != "" {
		t.Fatalf("EnsureProvider on a new lab: %q %v", w, err)
	}
	admin, err := scenarios.NewAdminKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := scenarios.NewAdminKey(nil)
	if admin.Token() == other.Token() || len(admin.Token()) != 64 || strings.Contains(admin.Token(), admin.SecretAccessKey) {
		t.Fatalf("tokens: %q %q", admin.Token(), other.Token())
	}
	h, err := lab.Handler(scenarios.ServerConfig{Admin: admin})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(scenarios.WithIDPAdmin(h, scenarios.IDPAdminConfig{Lab: func() *scenarios.Lab { return lab },
		Authorize: scenarios.BearerAuth(admin.Token())}))
	defer srv.Close()
	call := func(method, token, body string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+scenarios.IDPAdminPath, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	for _, c := range []struct {
		method, token, body string
		code                int
		want                string
	}{
		{"GET", "", "", 401, "needs the lab's admin token"},
		{"POST", other.Token(), `{"op":"rotate"}`, 401, "the token is not this lab's"},
		{"PUT", admin.Token(), "", 405, "GET shows the IdP, POST changes it"},
		{"POST", admin.Token(), `{"op":"rotate","colour":"red"}`, 400, `unknown field \"colour\"`},
		{"POST", admin.Token(), `{"op":"set-fault","fault":"gremlins"}`, 400, `unknown fault \"gremlins\"`},
		{"POST", admin.Token(), `{"op":"set-user","user":"a b","with":{}}`, 400, `user \"a b\": a user name is`},
		{"POST", admin.Token(), `{"op":"set-user","user":"carol"}`, 400, "set-user needs the user's definition (with)"},
		{"POST", admin.Token(), `{"op":"set-user","user":"carol","with":{"roles":[{"value":"x","role":"y"}]}}`, 400, "with.roles[0]: value is sent as is"},
		{"POST", admin.Token(), `{"op":"rotate","user":"alice"}`, 400, "rotate takes only rollover"},
		{"POST", admin.Token(), `{"op":"rotate","revert":true}`, 400, "revert is for the OpenID Connect provider's keys: give oidc too"},
		{"POST", admin.Token(), `{"op":"rotate","oidc":true,"revert":true,"rollover":true}`, 400, "give revert or rollover, not both"},
		{"POST", admin.Token(), `{"op":"rotate","oidc":true,"kid":"k"}`, 400, "kid names the retired key to revert to: give revert too"},
		{"POST", admin.Token(), `{"op":"rotate","oidc":true}`, 409, "the OpenID Connect provider is not started"},
		{"POST", admin.Token(), `{"op":"rotate"` + strings.Repeat(" ", 70<<10) + `}`, 413, "over 64 KiB"},
		{"POST", admin.Token(), `{"op":"set-fault","fault":"missing-role-session-name"}`, 200, `"fault": "missing-role-session-name"`},
		{"POST", admin.Token(), `{"op":"set-user","user":"carol","with":{"roles":["SAMLReadOnly"],"role_session_name":"carol@example.com"}}`, 400, "cannot unmarshal"},
		{"POST", admin.Token(), `{"op":"set-user","user":"carol","with":{"roles":[{"role":"SAMLReadOnly"}],"role_session_name":"carol@example.com"}}`, 200, `"change": "added user carol"`},
	} {
		code, body := call(c.method, c.token, c.body)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s %.60s: %d %s, want %d and %q", c.method, c.body, code, body, c.code, c.want)
		}
	}
	if lab.IDP.Fault() != idp.FaultMissingRoleSessionName {
		t.Errorf("the IdP's fault is %q", lab.IDP.Fault())
	}
	if u := lab.Users["carol"]; u.RoleSessionName != "carol@example.com" || len(u.Roles) != 1 || u.Roles[0].RoleARN != lab.Account.RoleARN("/", "SAMLReadOnly") {
		t.Errorf("carol at the IdP: %+v", u)
	}
	before := lab.IDP.SigningKey()
	if code, body := call("POST", admin.Token(), `{"op":"rotate"}`); code != 200 || !strings.Contains(body, "switched to a new key at once") {
		t.Errorf("rotate: %d %s", code, body)
	}
	if lab.IDP.SigningKey() == before {
		t.Error("rotate left the signing key")
	}
	if w, err := lab.EnsureProvider(); err != nil || !strings.Contains(w, "aws iam update-saml-provider") {
		t.Errorf("EnsureProvider after a rotation: %q %v", w, err)
	}
	// Other paths still reach the lab.
	if resp, err := http.Get(srv.URL + scenarios.IDPPrefix + "/metadata"); err != nil || resp.StatusCode != 200 {
		t.Errorf("metadata through the admin wrapper: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

// FuzzIDPAdminChange posts arbitrary bodies to the IdP admin endpoint: each
// is applied or refused with a JSON error naming the problem (400, 413),
// never a panic or a 500.
func FuzzIDPAdminChange(f *testing.F) {
	for _, seed := range []string{
		`{"op":"rotate"}`, `{"op":"rotate","rollover":true}`, `{"op":"rotate","oidc":true,"revert":true,"kid":"k"}`, `{"op":"set-fault","fault":"tamper"}`, `{"op":"set-fault"}`,
		`{"op":"set-user","user":"rosa","with":{"roles":[{"role":"SAMLAdmin"}],"principal_tags":{"team":"a"}}}`,
		`{"op":"set-user","user":"q","with":{"roles":[{"value":"arn:aws:iam::1:role/R,arn:aws:iam::1:saml-provider/P"}]}}`,
		`{"op":"set-user","user":"x","with":{"roles":[]}}`, `{}`, `[]`, `null`, `{"op":"rotate"}{"op":"rotate"}`, "\xff",
	} {
		f.Add([]byte(seed))
	}
	lab, err := scenarios.NewLab(labConfig())
	if err != nil {
		f.Fatal(err)
	}
	admin, err := scenarios.NewAdminKey(nil)
	if err != nil {
		f.Fatal(err)
	}
	h := scenarios.WithIDPAdmin(http.NotFoundHandler(), scenarios.IDPAdminConfig{Lab: func() *scenarios.Lab { return lab },
		Authorize: scenarios.BearerAuth(admin.Token())})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, scenarios.IDPAdminPath, strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+admin.Token())
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusConflict:
			if !strings.Contains(rec.Body.String(), `"error": "`) {
				t.Fatalf("%d without an error message: %s", rec.Code, rec.Body)
			}
		default:
			t.Fatalf("body %q: %d %s", body, rec.Code, rec.Body)
		}
	})
}
