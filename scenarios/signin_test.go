package scenarios_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/iam"
)

// consoleClient is a browser stand-in: a cookie jar, and redirects are not
// followed so each hop can be checked.
func consoleClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func signinLab(t *testing.T) (*scenarios.Lab, *httptest.Server) {
	t.Helper()
	lab, err := scenarios.NewLab(labConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.RegisterProvider(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(lab.SignIn)
	t.Cleanup(srv.Close)
	return lab, srv
}

func samlResponse(t *testing.T, lab *scenarios.Lab, u idp.User) string {
	t.Helper()
	resp, err := lab.IDP.AWSResponse(u, idp.ResponseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Base64()
}

func post(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestSignInSingleRoleRedirectsToConsole(t *testing.T) {
	t.Parallel()
	lab, srv := signinLab(t)
	c := consoleClient(t)
	resp, _ := post(t, c, srv.URL+"/saml", url.Values{"SAMLResponse": {samlResponse(t, lab, lab.Users[scenarios.DefaultUser])}})
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/console" {
		t.Fatalf("POST /saml = %d Location %q, want 302 to /console", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := get(t, c, srv.URL+"/console")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice") {
		t.Fatalf("GET /console = %d, body lacks the assumed-role ARN:\n%s", resp.StatusCode, body)
	}
	// A browser without the cookie is not signed in.
	resp, _ = get(t, consoleClient(t), srv.URL+"/console")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /console without a session = %d, want 401", resp.StatusCode)
	}
	// Logging out ends the session.
	post(t, c, srv.URL+"/logout", nil)
	if resp, _ := get(t, c, srv.URL+"/console"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /console after logout = %d, want 401", resp.StatusCode)
	}
}

func TestSignInRoleChooser(t *testing.T) {
	t.Parallel()
	lab, srv := signinLab(t)
	ro, err := lab.Account.CreateRole(iam.CreateRoleInput{Name: "ReadOnly", Path: "/team/", AssumeRolePolicyDocument: iam.SAMLTrustPolicy(lab.ProviderARN)})
	if err != nil {
		t.Fatal(err)
	}
	u := lab.Users[scenarios.DefaultUser]
	u.Roles = append(u.Roles, idp.Role{RoleARN: ro.ARN, ProviderARN: lab.ProviderARN})
	assertion := samlResponse(t, lab, u)

	c := consoleClient(t)
	resp, body := post(t, c, srv.URL+"/saml", url.Values{"SAMLResponse": {assertion}, "RelayState": {"/console?region=eu-west-1"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /saml with two roles = %d, want the chooser (200)", resp.StatusCode)
	}
	for _, want := range []string{
		`<form id="saml_form" name="saml_form" action="/saml" method="post">`,
		`<div class="saml-account-name">Account: 123456789012</div>`,
		`<input type="radio" name="roleIndex" value="arn:aws:iam::123456789012:role/team/ReadOnly" class="saml-radio" id="arn:aws:iam::123456789012:role/team/ReadOnly"/>`,
		`<label for="arn:aws:iam::123456789012:role/team/ReadOnly" class="saml-role-description">ReadOnly</label>`,
		`<label for="arn:aws:iam::123456789012:role/SAMLAdmin" class="saml-role-description">SAMLAdmin</label>`,
		`name="SAMLResponse"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("chooser lacks %s", want)
		}
	}
	// The follow-up POST picks a role; the RelayState deep link is honoured.
	resp, _ = post(t, c, srv.URL+"/saml", url.Values{"SAMLResponse": {assertion}, "roleIndex": {ro.ARN}, "RelayState": {"/console?region=eu-west-1"}})
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/console?region=eu-west-1" {
		t.Fatalf("chooser POST = %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = get(t, c, srv.URL+"/console")
	if !strings.Contains(body, "assumed-role/ReadOnly/alice") {
		t.Errorf("console does not show the chosen role:\n%s", body)
	}
	// A roleIndex the assertion does not grant is refused.
	resp, body = post(t, c, srv.URL+"/saml", url.Values{"SAMLResponse": {assertion}, "roleIndex": {"arn:aws:iam::123456789012:role/Other"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Your request included an invalid SAML response") {
		t.Errorf("foreign roleIndex = %d:\n%s", resp.StatusCode, body)
	}
}

func TestSignInErrorsRenderAsAWS(t *testing.T) {
	t.Parallel()
	lab, srv := signinLab(t)

	if _, err := lab.IDP.Rotate(); err != nil {
		t.Fatal(err)
	}
	rotated := samlResponse(t, lab, lab.Users[scenarios.DefaultUser])
	noRole := lab.Users[scenarios.DefaultUser]
	noRole.Roles = nil
	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		want       string
	}{
		{"signed by a key IAM does not have", url.Values{"SAMLResponse": {rotated}}, 400,
			"Response signature invalid (Service: AWSSecurityTokenService; Status Code: 400; Error Code: InvalidIdentityToken; Request ID: "},
		{"no SAMLResponse", url.Values{}, 400, "Your request included an invalid SAML response. To logout, click here."},
		{"not base64", url.Values{"SAMLResponse": {"%%%"}}, 400, "Invalid base64 SAMLResponse"},
		{"no Role attribute", url.Values{"SAMLResponse": {samlResponse(t, lab, noRole)}}, 400, "Your request included an invalid SAML response."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := post(t, consoleClient(t), srv.URL+"/saml", tt.form)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.want) {
				t.Errorf("POST /saml = %d, want %d with %q:\n%s", resp.StatusCode, tt.wantStatus, tt.want, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestSignInRelayStateIsNotAnOpenRedirect(t *testing.T) {
	t.Parallel()
	lab, srv := signinLab(t)
	for relay, want := range map[string]string{
		"https://evil.example/phish":                      "/console",
		"//evil.example/x":                                "/console",
		"https://console.aws.amazon.com/s3/home":          "https://console.aws.amazon.com/s3/home",
		"https://eu-west-1.console.aws.amazon.com/ec2/v2": "https://eu-west-1.console.aws.amazon.com/ec2/v2",
		"/console#deep":                                   "/console#deep",
	} {
		resp, _ := post(t, consoleClient(t), srv.URL+"/saml", url.Values{
			"SAMLResponse": {samlResponse(t, lab, lab.Users[scenarios.DefaultUser])}, "RelayState": {relay}})
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || got != want {
			t.Errorf("RelayState %q: %d Location %q, want 302 to %q", relay, resp.StatusCode, got, want)
		}
	}
}

func TestFederationEndpoint(t *testing.T) {
	t.Parallel()
	lab, srv := signinLab(t)
	out, err := lab.Login(t.Context(), scenarios.LoginInput{})
	if err != nil {
		t.Fatal(err)
	}
	session, _ := json.Marshal(map[string]string{"sessionId": out.Credentials.AccessKeyID,
		"sessionKey": out.Credentials.SecretAccessKey, "sessionToken": out.Credentials.SessionToken})
	c := consoleClient(t)
	resp, body := get(t, c, srv.URL+"/federation?"+url.Values{"Action": {"getSigninToken"}, "SessionDuration": {"1800"}, "Session": {string(session)}}.Encode())
	var tok struct{ SigninToken string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &tok) != nil || tok.SigninToken == "" {
		t.Fatalf("getSigninToken = %d %s", resp.StatusCode, body)
	}
	login := srv.URL + "/federation?" + url.Values{"Action": {"login"}, "Issuer": {"https://broker.example"},
		"Destination": {"https://console.aws.amazon.com/"}, "SigninToken": {tok.SigninToken}}.Encode()
	resp, _ = get(t, c, login)
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://console.aws.amazon.com/" {
		t.Fatalf("login = %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := get(t, c, srv.URL+"/console"); !strings.Contains(body, "assumed-role/SAMLAdmin/alice") || !strings.Contains(body, "broker.example") {
		t.Errorf("console after federation login:\n%s", body)
	}
	// Tokens are single-use; wrong secrets get nothing.
	if resp, _ := get(t, consoleClient(t), login); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("second use of a sign-in token = %d, want 400", resp.StatusCode)
	}
	bad, _ := json.Marshal(map[string]string{"sessionId": out.Credentials.AccessKeyID, "sessionKey": "wrong", "sessionToken": out.Credentials.SessionToken})
	if resp, _ := get(t, c, srv.URL+"/federation?"+url.Values{"Action": {"getSigninToken"}, "Session": {string(bad)}}.Encode()); resp.StatusCode != http.StatusForbidden {
		t.Errorf("getSigninToken with a wrong secret = %d, want 403", resp.StatusCode)
	}
}

// TestSignInVerifiesOnce counts signature verifications: a console sign-in
// verifies the response once (one per signature it carries), not once to
// list the roles and again to assume one.
func TestSignInVerifiesOnce(t *testing.T) {
	t.Parallel()
	lab, srv := signinLab(t)
	tests := []struct {
		name    string
		signing idp.SigningOptions
		want    int64
	}{
		{"assertion signed", idp.Sign(true, false), 1},
		{"response signed", idp.Sign(false, true), 1},
		{"both signed", idp.Sign(true, true), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signing := tt.signing
			resp, err := lab.IDP.AWSResponse(lab.Users[scenarios.DefaultUser], idp.ResponseOptions{Signing: &signing})
			if err != nil {
				t.Fatal(err)
			}
			before := lab.STS.Verifications()
			r, _ := post(t, consoleClient(t), srv.URL+"/saml", url.Values{"SAMLResponse": {resp.Base64()}})
			if r.StatusCode != http.StatusFound {
				t.Fatalf("POST /saml = %d, want 302", r.StatusCode)
			}
			if got := lab.STS.Verifications() - before; got != tt.want {
				t.Errorf("one sign-in verified %d signatures, want %d", got, tt.want)
			}
		})
	}
}

// TestSignInEncryptedAssertion signs in to the console with a response whose
// Assertion is encrypted to the provider's uploaded key, both with the
// Response signed over the ciphertext and with the Assertion signed inside.
func TestSignInEncryptedAssertion(t *testing.T) {
	t.Parallel()
	for _, signing := range []idp.SigningOptions{idp.Sign(false, true), idp.Sign(true, false)} {
		lab, srv := signinLab(t)
		target := uploadDecryptionKey(t, lab, "Required")
		resp, err := lab.IDP.AWSResponse(lab.Users[scenarios.DefaultUser], idp.ResponseOptions{Signing: &signing,
			Encryption: &idp.EncryptionOptions{Cert: target.Cert, Cipher: idp.CipherAES256CBC}})
		if err != nil {
			t.Fatal(err)
		}
		if raw, _ := base64.StdEncoding.DecodeString(resp.Base64()); !strings.Contains(string(raw), "EncryptedAssertion") {
			t.Fatal("the IdP did not encrypt the assertion")
		}
		c := consoleClient(t)
		r, body := post(t, c, srv.URL+"/saml", url.Values{"SAMLResponse": {resp.Base64()}})
		if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/console" {
			t.Fatalf("signing %+v: POST /saml = %d Location %q, want 302 to /console:\n%s", signing, r.StatusCode, r.Header.Get("Location"), body)
		}
		if _, body := get(t, c, srv.URL+"/console"); !strings.Contains(body, "assumed-role/SAMLAdmin/alice") {
			t.Errorf("console does not show the session:\n%s", body)
		}
	}
}
