package idpclient

import (
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
)

const (
	adminRole    = "arn:aws:iam::123456789012:role/SAMLAdmin"
	readOnlyRole = "arn:aws:iam::123456789012:role/SAMLReadOnly"
	provider     = "arn:aws:iam::123456789012:saml-provider/samlab"
)

// startIDP serves an IdP with the demo users under /idp on loopback.
func startIDP(t *testing.T) (*idp.Server, string) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	ts.Start()
	t.Cleanup(ts.Close)
	s, err := idp.New(idp.Config{EntityID: "https://idp.samlab.test/metadata", BaseURL: ts.URL + "/idp",
		AWSSignInURL: "../saml", Users: idp.DemoUsers(), Keys: certstest.New(),
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/idp/", http.StripPrefix("/idp", s))
	ts.Config.Handler = mux
	return s, ts.URL + "/idp"
}

func newClient(t *testing.T, idpURL string) *Client {
	t.Helper()
	c, err := New(idpURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLoginAndResponses logs in through the real form (CSRF token and all)
// and fetches a response both ways.
func TestLoginAndResponses(t *testing.T) {
	t.Parallel()
	s, idpURL := startIDP(t)
	ctx := t.Context()
	c := newClient(t, idpURL)

	// Before a login, both ways say so.
	if _, err := c.AWSResponse(ctx); err == nil || !strings.Contains(err.Error(), "not logged in") {
		t.Errorf("AWSResponse before login = %v, want a not-logged-in error", err)
	}
	if _, err := c.Assertion(ctx, ""); err == nil || !strings.Contains(err.Error(), "HTTP 401: nobody is logged in") {
		t.Errorf("Assertion before login = %v, want the IdP's 401", err)
	}

	err := c.Login(ctx, "bob", "wrong")
	var le *LoginError
	if !errors.As(err, &le) || !errors.Is(err, ErrLoginFailed) || le.Status != http.StatusUnauthorized ||
		le.Reason != "Invalid username or password." {
		t.Fatalf("Login with a wrong password = %#v, want a LoginError 401 with the page's reason", err)
	}
	if err := c.Login(ctx, "bob", "samlab"); err != nil {
		t.Fatalf("Login: %v", err)
	}

	b64, err := c.AWSResponse(ctx)
	if err != nil {
		t.Fatalf("AWSResponse: %v", err)
	}
	roles, err := Roles(b64)
	want := []idp.Role{{RoleARN: adminRole, ProviderARN: provider}, {RoleARN: readOnlyRole, ProviderARN: provider}}
	if err != nil || !slices.Equal(roles, want) {
		t.Errorf("Roles(AWSResponse) = %v, %v; want %v", roles, err, want)
	}

	a, err := c.Assertion(ctx, readOnlyRole)
	if err != nil {
		t.Fatalf("Assertion: %v", err)
	}
	roles, err = Roles(a.SAMLResponse)
	if err != nil || !slices.Equal(roles, want[1:]) || a.RoleARN != readOnlyRole || a.PrincipalARN != provider {
		t.Errorf("Assertion(%s) = %+v; roles %v, %v", readOnlyRole, a, roles, err)
	}
	if _, err := c.Assertion(ctx, "arn:aws:iam::123456789012:role/Other"); err == nil ||
		!strings.Contains(err.Error(), `HTTP 400: user "bob" is not mapped to role "arn:aws:iam::123456789012:role/Other"`) {
		t.Errorf("Assertion for a role bob lacks = %v", err)
	}

	// A fault on the IdP that cannot be applied comes back as the IdP's words.
	if err := s.SetFault(idp.FaultStaleKey); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AWSResponse(ctx); err == nil || !strings.Contains(err.Error(), "could not build a response for AWS") {
		t.Errorf("AWSResponse with an impossible fault = %v", err)
	}
}

// TestNotAnIdP: pointed at something that is not a samlab IdP, the client
// says what it found.
func TestNotAnIdP(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body>hello</body></html>"))
	}))
	t.Cleanup(ts.Close)
	c := newClient(t, ts.URL)
	if err := c.Login(t.Context(), "alice", "samlab"); !errors.Is(err, idp.ErrNoLoginForm) {
		t.Errorf("Login at a page without a form = %v, want ErrNoLoginForm", err)
	}
	if _, err := c.Assertion(t.Context(), ""); err == nil || !strings.Contains(err.Error(), "instead of JSON") {
		t.Errorf("Assertion from a plain page = %v", err)
	}
	for _, bad := range []string{"", "ftp://x/", "http://", "::"} {
		if _, err := New(bad, nil); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
}

func TestRolesErrors(t *testing.T) {
	t.Parallel()
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	const resp = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">`
	for _, tt := range []struct{ in, want string }{
		{"%%%", "not base64"},
		{enc("<html/>"), "not a SAML Response"},
		{enc(resp + `</samlp:Response>`), "no plaintext Assertion"},
		{enc(resp + `<saml:Assertion><saml:AttributeStatement><saml:Attribute Name="` + idp.AttrRole +
			`"><saml:AttributeValue>SAMLAdmin</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>`),
			"grants no AWS role"},
	} {
		if _, err := Roles(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Roles(%.30q) = %v, want %q", tt.in, err, tt.want)
		}
	}
	// Either order, as AWS accepts.
	in := enc(resp + `<saml:Assertion><saml:AttributeStatement><saml:Attribute Name="` + idp.AttrRole +
		`"><saml:AttributeValue>` + provider + `,` + adminRole + `</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>`)
	if got, err := Roles(in); err != nil || !slices.Equal(got, []idp.Role{{RoleARN: adminRole, ProviderARN: provider}}) {
		t.Errorf("Roles(provider,role) = %v, %v", got, err)
	}
}

// FuzzRoles: any input gives roles or an error, never a panic, and every
// role found names a role and a provider.
func FuzzRoles(f *testing.F) {
	f.Add(base64.StdEncoding.EncodeToString([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`)))
	f.Fuzz(func(t *testing.T, in string) {
		roles, err := Roles(in)
		if err == nil && len(roles) == 0 {
			t.Fatal("no roles and no error")
		}
		for _, r := range roles {
			if strings.Contains(r.RoleARN, ",") || strings.Contains(r.ProviderARN, ",") {
				t.Fatalf("role %+v kept a comma", r)
			}
		}
	})
}
