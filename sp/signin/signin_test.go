package signin_test

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/sp/signin"
	"github.com/samlab-dev/samlab/sp/sts"
)

func TestNewRequiresSTS(t *testing.T) {
	t.Parallel()
	if _, err := signin.New(signin.Config{}); err == nil {
		t.Error("New without STS = nil error, want one naming STS")
	} else if !strings.Contains(err.Error(), "STS") {
		t.Errorf("New without STS: %v, want it to name STS", err)
	}
}

// signedInAs checks that the browser's console page names the assumed role.
func signedInAs(t *testing.T, b *browser, arn string) {
	t.Helper()
	p := b.get("/console", nil)
	if p.status != http.StatusOK || !strings.Contains(p.body, "<code>"+arn+"</code>") {
		t.Errorf("console = %d, want 200 naming %s:\n%s", p.status, arn, p.body)
	}
}

func TestSignInWithOneRole(t *testing.T) {
	t.Parallel()
	l := newLab(t, signin.Config{})
	b := l.browser(t)
	if p := b.get("/console", nil); p.status != http.StatusUnauthorized {
		t.Errorf("console before sign-in = %d, want 401", p.status)
	}
	p := b.post("/saml", url.Values{"SAMLResponse": {l.response(t, nil, l.admin)}, "RelayState": {"/console?from=idp"}})
	if p.status != http.StatusFound || p.location != "/console?from=idp" {
		t.Fatalf("sign-in = %d to %q, want 302 to the RelayState\n%s", p.status, p.location, p.body)
	}
	c := p.header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(c, want) {
			t.Errorf("Set-Cookie %q lacks %s", c, want)
		}
	}
	if strings.Contains(c, "Secure") {
		t.Errorf("Set-Cookie %q is Secure although SecureCookies is off", c)
	}
	signedInAs(t, b, "arn:aws:sts::"+accountID+":assumed-role/Admin/alice")
	log := l.log.String()
	if !strings.Contains(log, `msg="console sign-in"`) || !strings.Contains(log, `assumed_role_arn=arn:aws:sts::`+accountID+`:assumed-role/Admin/alice`) ||
		strings.Contains(log, "level=ERROR") {
		t.Errorf("log = %s\nwant the sign-in and no error", log)
	}

	// The console session ends with the credentials (one hour by default).
	l.clock.Advance(time.Hour - time.Second)
	signedInAs(t, b, "arn:aws:sts::"+accountID+":assumed-role/Admin/alice")
	if p := b.get("/console", nil); !strings.Contains(p.body, "(in 1s)") {
		t.Errorf("console a second before the end does not say so:\n%s", p.body)
	}
	l.clock.Advance(time.Second)
	if p := b.get("/console", nil); p.status != http.StatusUnauthorized {
		t.Errorf("console at the credentials' expiry = %d, want 401", p.status)
	}
}

func TestSecureCookies(t *testing.T) {
	t.Parallel()
	l := newLab(t, signin.Config{SecureCookies: true})
	p := l.browser(t).post("/saml", url.Values{"SAMLResponse": {l.response(t, nil, l.admin)}})
	if c := p.header.Get("Set-Cookie"); p.status != http.StatusFound || !strings.Contains(c, "Secure") {
		t.Errorf("sign-in = %d with Set-Cookie %q, want a Secure cookie", p.status, c)
	}
	if p.location != "/console" {
		t.Errorf("sign-in without RelayState went to %q, want /console", p.location)
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	l := newLab(t, signin.Config{})
	b := l.browser(t)
	if p := b.post("/saml", url.Values{"SAMLResponse": {l.response(t, nil, l.admin)}}); p.status != http.StatusFound {
		t.Fatalf("sign-in = %d, want 302\n%s", p.status, p.body)
	}
	stolen := b.jar.Cookies(mustURL(t, l.srv.URL))

	// GET only asks: a link or an image cannot sign anyone out.
	p := b.do(http.MethodGet, "/logout", nil)
	if p.status != http.StatusOK || !strings.Contains(p.body, `action="/logout" method="post"`) {
		t.Errorf("GET /logout = %d, want 200 and a form that posts to /logout\n%s", p.status, p.body)
	}
	if c := p.header.Get("Set-Cookie"); c != "" {
		t.Errorf("GET /logout sets %q, want no cookie change", c)
	}
	if p := b.get("/console", nil); p.status != http.StatusOK {
		t.Errorf("console after GET /logout = %d, want 200 (still signed in)", p.status)
	}

	p = b.do(http.MethodPost, "/logout", nil)
	if p.status != http.StatusOK || !strings.Contains(p.body, "signed out") {
		t.Errorf("POST /logout = %d, want 200 and a signed-out page\n%s", p.status, p.body)
	}
	if c := p.header.Get("Set-Cookie"); !strings.Contains(c, "Max-Age=0") {
		t.Errorf("POST /logout sets %q, want the cookie deleted (Max-Age=0)", c)
	}
	if p := b.get("/console", nil); p.status != http.StatusUnauthorized {
		t.Errorf("console after POST /logout = %d, want 401", p.status)
	}
	// The session is gone on the server too, not just the cookie.
	b2 := l.browser(t)
	b2.jar.SetCookies(mustURL(t, l.srv.URL), stolen)
	if p := b2.get("/console", nil); p.status != http.StatusUnauthorized {
		t.Errorf("console with the old cookie after POST /logout = %d, want 401", p.status)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestRoleChooser(t *testing.T) {
	t.Parallel()
	l := newLab(t, signin.Config{AccountAliases: map[string]string{accountID: "lab-account"}})
	b := l.browser(t)
	resp := l.response(t, nil, l.admin, l.readOnly)
	p := b.post("/saml", url.Values{"SAMLResponse": {resp}, "RelayState": {"/console?chosen"}})
	if p.status != http.StatusOK {
		t.Fatalf("sign-in with two roles = %d, want the chooser (200)\n%s", p.status, p.body)
	}
	for _, want := range []string{
		`<div class="saml-account-name">Account: lab-account (` + accountID + `)</div>`,
		`value="` + l.admin + `"`, `value="` + l.readOnly + `"`,
		`<label for="` + l.readOnly + `" class="saml-role-description">ReadOnly</label>`,
		`name="RelayState" value="/console?chosen"`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("chooser lacks %s:\n%s", want, p.body)
		}
	}
	if p := b.get("/console", nil); p.status != http.StatusUnauthorized {
		t.Errorf("console after the chooser = %d, want 401 (no role chosen yet)", p.status)
	}
	if p := b.post("/saml", url.Values{"SAMLResponse": {resp}, "roleIndex": {l.admin + "x"}}); p.status != http.StatusBadRequest {
		t.Errorf("roleIndex not in the response = %d, want 400", p.status)
	}
	p = b.post("/saml", url.Values{"SAMLResponse": {resp}, "RelayState": {"/console?chosen"}, "roleIndex": {l.readOnly}})
	if p.status != http.StatusFound || p.location != "/console?chosen" {
		t.Fatalf("chosen role = %d to %q, want 302 to the RelayState\n%s", p.status, p.location, p.body)
	}
	signedInAs(t, b, "arn:aws:sts::"+accountID+":assumed-role/ReadOnly/alice")

	// Without an alias the account is shown by its ID alone.
	l2 := newLab(t, signin.Config{AccountAliases: map[string]string{accountID: ""}})
	p = l2.browser(t).post("/saml", url.Values{"SAMLResponse": {l2.response(t, nil, l2.admin, l2.readOnly)}})
	if want := `<div class="saml-account-name">Account: ` + accountID + `</div>`; !strings.Contains(p.body, want) {
		t.Errorf("chooser without alias lacks %s:\n%s", want, p.body)
	}
}

func TestSignInRejects(t *testing.T) {
	t.Parallel()
	l := newLab(t, signin.Config{})
	// A fresh fixture source hands out the lab's key first: take its second.
	foreign, err := certs.New(certs.WithKey(secondKey(t)), certs.WithSubject("foreign"), certs.WithNow(l.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	invalid := "Your request included an invalid SAML response. To logout, click here."
	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		wantText   string
	}{
		{"no SAMLResponse", url.Values{"RelayState": {"/console"}}, http.StatusBadRequest, invalid},
		{"no Role attribute", url.Values{"SAMLResponse": {l.response(t, nil)}}, http.StatusBadRequest, invalid},
		{"signed by a foreign key", url.Values{"SAMLResponse": {l.response(t, foreign, l.admin)}}, http.StatusBadRequest,
			"(Service: AWSSecurityTokenService; Status Code: 400; Error Code: InvalidIdentityToken; Request ID: "},
		{"not base64", url.Values{"SAMLResponse": {"%%%"}}, http.StatusBadRequest, "Error Code: InvalidIdentityToken"},
		{"role that does not exist", url.Values{"SAMLResponse": {l.response(t, nil, "arn:aws:iam::"+accountID+":role/Ghost")}},
			http.StatusForbidden, "(Service: AWSSecurityTokenService; Status Code: 403; Error Code: AccessDenied; Request ID: "},
		{"chosen role the response does not sign", url.Values{"SAMLResponse": {l.response(t, foreign, l.admin, l.readOnly)},
			"roleIndex": {l.admin}}, http.StatusBadRequest, "Error Code: InvalidIdentityToken"},
	}
	for _, tt := range tests {
		b := l.browser(t)
		p := b.post("/saml", tt.form)
		if p.status != tt.wantStatus || !strings.Contains(p.body, tt.wantText) {
			t.Errorf("%s: %d\n%s\nwant %d with %q", tt.name, p.status, p.body, tt.wantStatus, tt.wantText)
		}
		if p.header.Get("Set-Cookie") != "" {
			t.Errorf("%s: set a cookie %q", tt.name, p.header.Get("Set-Cookie"))
		}
		if c := p.header.Get("Cache-Control"); c != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", tt.name, c)
		}
	}
	// A body over the limit is refused, not read whole.
	b := l.browser(t)
	if p := b.post("/saml", url.Values{"SAMLResponse": {strings.Repeat("A", 600<<10)}}); p.status != http.StatusBadRequest {
		t.Errorf("oversized form = %d, want 400", p.status)
	}
}

func secondKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	keys := certstest.New()
	if _, err := keys.Key(0); err != nil {
		t.Fatal(err)
	}
	k, err := keys.Key(0)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// failingReader fails every read: sessions cannot be given an ID.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestSessionIDFailure(t *testing.T) {
	t.Parallel()
	l := newLab(t, signin.Config{Rand: failingReader{}})
	p := l.browser(t).post("/saml", url.Values{"SAMLResponse": {l.response(t, nil, l.admin)}})
	if p.status != http.StatusInternalServerError || p.header.Get("Set-Cookie") != "" {
		t.Errorf("sign-in without randomness = %d (cookie %q), want 500 and no session", p.status, p.header.Get("Set-Cookie"))
	}
	c := credentials(t, l).Credentials
	p = l.browser(t).get("/federation", url.Values{"Action": {"getSigninToken"}, "Session": {sessionJSON(t, c.AccessKeyID, c.SecretAccessKey, c.SessionToken)}})
	if p.status != http.StatusInternalServerError || strings.Contains(p.body, "SigninToken") {
		t.Errorf("getSigninToken without randomness = %d %q, want 500 and no token", p.status, p.body)
	}

	// Randomness for the sign-in token, none for the session.
	l2 := newLab(t, signin.Config{Rand: io.MultiReader(strings.NewReader(strings.Repeat("r", 24)), failingReader{})})
	b := l2.browser(t)
	token := signinToken(t, b, credentials(t, l2), nil)
	p = b.get("/federation", url.Values{"Action": {"login"}, "SigninToken": {token}})
	if p.status != http.StatusInternalServerError || p.header.Get("Set-Cookie") != "" {
		t.Errorf("login without randomness = %d (cookie %q), want 500 and no session", p.status, p.header.Get("Set-Cookie"))
	}
}

// TestSTSFailure: an error from STS that is not an AWS error is logged and
// shown as a generic failure, not as an STS error page.
func TestSTSFailure(t *testing.T) {
	t.Parallel()
	// STS draws randomness for its session-token key when it starts (36
	// bytes: the key and its ID), then for the request ID (which tolerates
	// failure) and for the credentials, which cannot be issued.
	l := newLab(t, signin.Config{}, io.MultiReader(strings.NewReader(strings.Repeat("k", 36)), failingReader{}))
	p := l.browser(t).post("/saml", url.Values{"SAMLResponse": {l.response(t, nil, l.admin)}})
	if p.status != http.StatusInternalServerError || !strings.Contains(p.body, "Sign-in failed; see the samlab log.") {
		t.Errorf("sign-in with a failing STS = %d\n%s\nwant 500 pointing to the log", p.status, p.body)
	}
	if log := l.log.String(); !strings.Contains(log, `level=ERROR msg="sign-in failed"`) || !strings.Contains(log, "no entropy") {
		t.Errorf("log = %s\nwant the STS failure at ERROR", log)
	}
}

// TestDestinations pins the open-redirect defence of both ways into the
// console: the SAML RelayState and the federation endpoint's Destination.
func TestDestinations(t *testing.T) {
	t.Parallel()
	l := newLab(t, signin.Config{})
	creds := credentials(t, l)
	tests := []struct {
		dest string
		want string // "" for the destination itself
	}{
		{"/console/home?region=us-east-1", ""},
		{"/", ""},
		{"https://console.aws.amazon.com/s3/home", ""},
		{"https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#Instances:", ""},
		{"", "/console"},
		{"//evil.example/", "/console"},
		{`/\evil.example/`, "/console"},
		{`/console\`, "/console"},
		{"/\t/evil.example/", "/console"},
		{"/\n/evil.example/", "/console"},
		{"/\r/evil.example/", "/console"},
		{"/%09/evil.example/", "/console"},
		{"/%0a/evil.example/", "/console"},
		{"/%5C/evil.example/", "/console"},
		{"/ /evil.example/", "/console"},
		{"/\x00/evil.example/", "/console"},
		{"/console%zz", "/console"},
		{"https://console.aws.amazon.com\t.evil.example/", "/console"},
		{"https://x.console.aws.amazon.com.evil.example/", "/console"},
		{"https://console.aws.amazon.com.evil.example/", "/console"},
		{"https://evilconsole.aws.amazon.com/", "/console"},
		{"https://console.aws.amazon.com@evil.example/", "/console"},
		{"http://console.aws.amazon.com/", "/console"},
		{"https://evil.example/", "/console"},
		{"javascript:alert(1)", "/console"},
		{"evil.example", "/console"},
	}
	for _, tt := range tests {
		want := tt.want
		if want == "" {
			want = tt.dest
		}
		p := l.browser(t).post("/saml", url.Values{"SAMLResponse": {l.response(t, nil, l.admin)}, "RelayState": {tt.dest}})
		if p.status != http.StatusFound || p.location != want {
			t.Errorf("RelayState %q: %d to %q, want 302 to %q", tt.dest, p.status, p.location, want)
		}
		b := l.browser(t)
		token := signinToken(t, b, creds, nil)
		p = b.get("/federation", url.Values{"Action": {"login"}, "SigninToken": {token}, "Destination": {tt.dest}})
		if p.status != http.StatusFound || p.location != want {
			t.Errorf("federation Destination %q: %d to %q, want 302 to %q", tt.dest, p.status, p.location, want)
		}
	}
}

// credentials assumes the lab's Admin role through STS, as a broker's
// AssumeRoleWithSAML call does.
func credentials(t *testing.T, l *lab) *sts.AssumeRoleWithSAMLOutput {
	t.Helper()
	out, err := l.sts.AssumeRoleWithSAML(t.Context(), sts.AssumeRoleWithSAMLInput{
		RoleARN: l.admin, PrincipalARN: l.providerARN, SAMLAssertion: l.response(t, nil, l.admin)})
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML: %v", err)
	}
	return out
}

func sessionJSON(t *testing.T, id, key, token string) string {
	t.Helper()
	b, err := json.Marshal(map[string]string{"sessionId": id, "sessionKey": key, "sessionToken": token})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// signinToken calls getSigninToken and returns the token; extra adds form
// fields.
func signinToken(t *testing.T, b *browser, out *sts.AssumeRoleWithSAMLOutput, extra url.Values) string {
	t.Helper()
	c := out.Credentials
	form := url.Values{"Action": {"getSigninToken"}, "Session": {sessionJSON(t, c.AccessKeyID, c.SecretAccessKey, c.SessionToken)}}
	for k, v := range extra {
		form[k] = v
	}
	p := b.get("/federation", form)
	var body struct{ SigninToken string }
	if p.status != http.StatusOK || p.header.Get("Content-Type") != "application/json" || json.Unmarshal([]byte(p.body), &body) != nil || body.SigninToken == "" {
		t.Fatalf("getSigninToken = %d %q\n%s\nwant 200 JSON with a SigninToken", p.status, p.header.Get("Content-Type"), p.body)
	}
	return body.SigninToken
}

func TestFederationSignIn(t *testing.T) {
	t.Parallel()
	l := newLab(t, signin.Config{})
	out := credentials(t, l)
	l.clock.Advance(10 * time.Minute) // the broker signs in a while after AssumeRoleWithSAML
	b := l.browser(t)
	token := signinToken(t, b, out, nil)
	p := b.post("/federation", url.Values{"Action": {"login"}, "SigninToken": {token}, "Issuer": {"https://broker.example"},
		"Destination": {"https://console.aws.amazon.com/iam/home"}})
	if p.status != http.StatusFound || p.location != "https://console.aws.amazon.com/iam/home" {
		t.Fatalf("login = %d to %q, want 302 to the Destination\n%s", p.status, p.location, p.body)
	}
	signedInAs(t, b, out.AssumedRoleUser.ARN)
	if p := b.get("/console", nil); !strings.Contains(p.body, "<td>https://broker.example</td>") {
		t.Errorf("console does not name the federation broker:\n%s", p.body)
	}

	// Issuing a token, or opening a session, keeps the others.
	b2 := l.browser(t)
	first, second := signinToken(t, b2, out, nil), signinToken(t, b2, out, nil)
	if p := b2.get("/federation", url.Values{"Action": {"login"}, "SigninToken": {first}}); p.status != http.StatusFound {
		t.Errorf("login with the first of two tokens = %d, want 302", p.status)
	}
	if p := l.browser(t).get("/federation", url.Values{"Action": {"login"}, "SigninToken": {second}}); p.status != http.StatusFound {
		t.Errorf("login with the second of two tokens = %d, want 302", p.status)
	}
	signedInAs(t, b, out.AssumedRoleUser.ARN)
	signedInAs(t, b2, out.AssumedRoleUser.ARN)

	// A sign-in token is redeemed once.
	if p := l.browser(t).get("/federation", url.Values{"Action": {"login"}, "SigninToken": {token}}); p.status != http.StatusBadRequest {
		t.Errorf("second login with one token = %d, want 400", p.status)
	}
	// Without SessionDuration the console session lasts as long as the credentials.
	l.clock.Advance(out.Credentials.Expiration.Sub(l.clock.Now()) - time.Second)
	signedInAs(t, b, out.AssumedRoleUser.ARN)
	l.clock.Advance(time.Second)
	if p := b.get("/console", nil); p.status != http.StatusUnauthorized {
		t.Errorf("console at the credentials' expiry = %d, want 401", p.status)
	}
}

// TestFederationLoginAfterExpiry pins what a login does when the credentials
// expired between getSigninToken and login: the console session gets the
// default hour rather than none.
func TestFederationLoginAfterExpiry(t *testing.T) {
	t.Parallel()
	for _, late := range []time.Duration{0, time.Minute} {
		l := newLab(t, signin.Config{})
		out := credentials(t, l)
		l.clock.Advance(out.Credentials.Expiration.Sub(l.clock.Now()) - time.Minute)
		b := l.browser(t)
		token := signinToken(t, b, out, nil)
		l.clock.Advance(time.Minute + late)
		if p := b.get("/federation", url.Values{"Action": {"login"}, "SigninToken": {token}}); p.status != http.StatusFound {
			t.Fatalf("login %s after the credentials expired = %d, want 302", late, p.status)
		}
		l.clock.Advance(time.Hour - time.Second)
		signedInAs(t, b, out.AssumedRoleUser.ARN)
		l.clock.Advance(time.Second)
		if p := b.get("/console", nil); p.status != http.StatusUnauthorized {
			t.Errorf("console an hour after a login %s after expiry = %d, want 401", late, p.status)
		}
	}
}

func TestFederationSessionDuration(t *testing.T) {
	t.Parallel()
	l := newLab(t, signin.Config{})
	out := credentials(t, l)
	for _, v := range []string{"899", "43201", "0", "-900", "1h", "900.0"} {
		p := l.browser(t).get("/federation", url.Values{"Action": {"getSigninToken"}, "SessionDuration": {v},
			"Session": {sessionJSON(t, out.Credentials.AccessKeyID, out.Credentials.SecretAccessKey, out.Credentials.SessionToken)}})
		// AWS's federation endpoint answers every bad parameter alike.
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Invalid Credentials Parameter") || strings.Contains(p.body, "SigninToken") {
			t.Errorf("SessionDuration=%s: %d %q, want 400 Invalid Credentials Parameter and no token", v, p.status, p.body)
		}
	}
	// The console session lasts SessionDuration, past the credentials' hour.
	for _, secs := range []string{"900", "43200"} {
		b := l.browser(t)
		token := signinToken(t, b, out, url.Values{"SessionDuration": {secs}})
		if p := b.get("/federation", url.Values{"Action": {"login"}, "SigninToken": {token}}); p.status != http.StatusFound || p.location != "/console" {
			t.Fatalf("login with SessionDuration=%s = %d to %q, want 302 to /console", secs, p.status, p.location)
		}
		d, _ := time.ParseDuration(secs + "s")
		start := l.clock.Now()
		l.clock.Advance(d - time.Second)
		signedInAs(t, b, out.AssumedRoleUser.ARN)
		l.clock.Advance(time.Second)
		if p := b.get("/console", nil); p.status != http.StatusUnauthorized {
			t.Errorf("console %s after a %ss login = %d, want 401", l.clock.Now().Sub(start), secs, p.status)
		}
		l.clock.Advance(start.Sub(l.clock.Now()))
	}
}

func TestFederationRejects(t *testing.T) {
	t.Parallel()
	l := newLab(t, signin.Config{})
	out := credentials(t, l)
	c := out.Credentials
	for _, tt := range []struct {
		name, session string
		want          int
	}{
		{"not JSON", "{", http.StatusBadRequest},
		{"unknown key", sessionJSON(t, "ASIANOBODY", c.SecretAccessKey, c.SessionToken), http.StatusForbidden},
		{"wrong secret", sessionJSON(t, c.AccessKeyID, c.SecretAccessKey+"x", c.SessionToken), http.StatusForbidden},
		{"wrong session token", sessionJSON(t, c.AccessKeyID, c.SecretAccessKey, c.SessionToken+"x"), http.StatusForbidden},
	} {
		if p := l.browser(t).get("/federation", url.Values{"Action": {"getSigninToken"}, "Session": {tt.session}}); p.status != tt.want {
			t.Errorf("getSigninToken with %s = %d %q, want %d", tt.name, p.status, p.body, tt.want)
		}
	}
	for _, action := range []string{"", "logout"} {
		if p := l.browser(t).get("/federation", url.Values{"Action": {action}}); p.status != http.StatusBadRequest {
			t.Errorf("Action=%q = %d, want 400", action, p.status)
		}
	}
	if p := l.browser(t).get("/federation", url.Values{"Action": {"login"}, "SigninToken": {"nope"}}); p.status != http.StatusBadRequest {
		t.Errorf("login with an unknown token = %d, want 400", p.status)
	}
	if p := l.browser(t).post("/federation", url.Values{"Action": {"login"}, "Pad": {strings.Repeat("x", 600<<10)}}); p.status != http.StatusBadRequest {
		t.Errorf("oversized federation form = %d, want 400", p.status)
	}

	// A sign-in token is good for 15 minutes.
	b := l.browser(t)
	token := signinToken(t, b, out, nil)
	l.clock.Advance(15 * time.Minute)
	if p := b.get("/federation", url.Values{"Action": {"login"}, "SigninToken": {token}}); p.status != http.StatusFound {
		t.Errorf("login 15 minutes after getSigninToken = %d, want 302", p.status)
	}
	token = signinToken(t, b, out, nil)
	l.clock.Advance(15*time.Minute + time.Second)
	if p := b.get("/federation", url.Values{"Action": {"login"}, "SigninToken": {token}}); p.status != http.StatusBadRequest {
		t.Errorf("login 15 minutes and 1 second after getSigninToken = %d, want 400", p.status)
	}

	// Expired credentials get no token.
	l.clock.Advance(c.Expiration.Sub(l.clock.Now()))
	p := l.browser(t).get("/federation", url.Values{"Action": {"getSigninToken"}, "Session": {sessionJSON(t, c.AccessKeyID, c.SecretAccessKey, c.SessionToken)}})
	if p.status != http.StatusForbidden || !strings.Contains(p.body, "expired") {
		t.Errorf("getSigninToken with credentials at their expiry = %d %q, want 403 naming the expiry", p.status, p.body)
	}
}
