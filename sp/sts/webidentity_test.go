package sts_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts"
)

var wiNow = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

// wiEnv is an account with one OIDC provider for a loopback issuer that
// serves discovery and a JWKS with one EC key, and a Web role per test.
type wiEnv struct {
	acct   *iam.Account
	svc    *sts.Service
	wi     *sts.WebIdentity
	issuer string
	host   string
	prov   *iam.OIDCProvider
	key    crypto.Signer
	srv    *httptest.Server
}

func newWIEnv(t *testing.T, tlsIssuer bool, behavior *sts.WebIdentityBehavior, handler func(http.ResponseWriter, *http.Request) bool) *wiEnv {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e := &wiEnv{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		if handler != nil && handler(w, r) {
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": e.issuer, "jwks_uri": e.issuer + "/jwks"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k1", Use: "sig"}}})
	})
	if tlsIssuer {
		e.srv = httptest.NewTLSServer(mux)
	} else {
		e.srv = httptest.NewServer(mux)
	}
	t.Cleanup(e.srv.Close)
	e.issuer = e.srv.URL
	e.host = strings.TrimPrefix(strings.TrimPrefix(e.issuer, "https://"), "http://")
	e.acct = iam.NewAccount(iam.Config{Now: func() time.Time { return wiNow }})
	e.acct.SetInsecureHTTPIssuers(true)
	in := iam.CreateOIDCProviderInput{URL: e.issuer, ClientIDs: []string{"app"}}
	if tlsIssuer {
		in.Thumbprints = []string{iam.Thumbprint(e.srv.Certificate().Raw)}
	}
	e.prov, err = e.acct.CreateOIDCProvider(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	e.svc, err = sts.New(sts.Config{Account: e.acct, Now: func() time.Time { return wiNow }})
	if err != nil {
		t.Fatal(err)
	}
	e.wi = e.svc.NewWebIdentity(behavior)
	return e
}

func (e *wiEnv) role(t *testing.T, name, conditions string, actions ...string) string {
	t.Helper()
	if len(actions) == 0 {
		actions = []string{"sts:AssumeRoleWithWebIdentity"}
	}
	acts, _ := json.Marshal(actions)
	doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},"Action":%s,"Condition":%s}]}`,
		e.prov.ARN, acts, strings.ReplaceAll(conditions, "HOST", e.host))
	r, err := e.acct.CreateRole(iam.CreateRoleInput{Name: name, AssumeRolePolicyDocument: doc})
	if err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
	return r.ARN
}

func (e *wiEnv) claims(extra map[string]any) map[string]any {
	c := map[string]any{"iss": e.issuer, "sub": "user-0001", "aud": "app", "iat": wiNow.Unix() - 60, "exp": wiNow.Unix() + 3600}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func (e *wiEnv) sign(t *testing.T, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: e.key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

func (e *wiEnv) assume(t *testing.T, roleARN, token string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	t.Helper()
	return e.wi.AssumeRoleWithWebIdentity(t.Context(), sts.AssumeRoleWithWebIdentityInput{RoleARN: roleARN,
		RoleSessionName: "sess", WebIdentityToken: token})
}

func wantAPIError(t *testing.T, name string, err error, code awsapi.Code, status int, msgPrefix string) {
	t.Helper()
	var ae *awsapi.Error
	if !errors.As(err, &ae) || ae.Code != code || ae.Status != status || !strings.HasPrefix(ae.Message, msgPrefix) {
		t.Errorf("%s: %v; want %s %d %q", name, err, code, status, msgPrefix)
	}
}

// TestWebIdentityTrustKeys evaluates the provider's condition keys in trust
// policies: aud (azp when present), oaud, sub, amr, with the operators web
// identity trust policies use.
func TestWebIdentityTrustKeys(t *testing.T) {
	t.Parallel()
	e := newWIEnv(t, false, nil, nil)
	subLike := e.role(t, "SubLike", `{"StringLike":{"HOST:sub":"user-*"},"StringEquals":{"HOST:aud":"app"}}`)
	amrMFA := e.role(t, "AmrMFA", `{"ForAnyValue:StringEquals":{"HOST:amr":"mfa"}}`)
	azp := e.role(t, "Azp", `{"StringEquals":{"HOST:aud":"web-client","HOST:oaud":"app"}}`)
	noAMR := e.role(t, "NoAMR", `{"Null":{"HOST:amr":"true"}}`)
	tests := []struct {
		name  string
		role  string
		extra map[string]any
		ok    bool
	}{
		{"sub matches the pattern", subLike, nil, true},
		{"sub outside the pattern", subLike, map[string]any{"sub": "admin"}, false},
		{"aud is not the condition's", subLike, map[string]any{"aud": []string{"app", "other"}, "azp": "other"}, false},
		{"amr contains mfa", amrMFA, map[string]any{"amr": []string{"pwd", "mfa"}}, true},
		{"amr without mfa", amrMFA, map[string]any{"amr": []string{"pwd"}}, false},
		{"no amr at all", amrMFA, nil, false},
		{"azp is :aud, aud is :oaud", azp, map[string]any{"azp": "web-client"}, true},
		{"no azp: :aud is the aud", azp, nil, false},
		{"Null amr true without amr", noAMR, nil, true},
		{"Null amr true with amr", noAMR, map[string]any{"amr": "pwd"}, false},
	}
	for _, tt := range tests {
		_, err := e.assume(t, tt.role, e.sign(t, e.claims(tt.extra)))
		if tt.ok && err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if !tt.ok {
			wantAPIError(t, tt.name, err, awsapi.CodeAccessDenied, 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity")
		}
	}
}

func TestWebIdentityTags(t *testing.T) {
	t.Parallel()
	e := newWIEnv(t, false, nil, nil)
	plain := e.role(t, "Plain", `{}`)
	tagging := e.role(t, "Tagging", `{"StringEquals":{"aws:RequestTag/team":"blue"}}`, "sts:AssumeRoleWithWebIdentity", "sts:TagSession")
	tags := func(pt map[string][]string, transitive ...string) map[string]any {
		return map[string]any{"https://aws.amazon.com/tags": map[string]any{"principal_tags": pt, "transitive_tag_keys": transitive}}
	}
	out, err := e.assume(t, tagging, e.sign(t, e.claims(tags(map[string][]string{"team": {"blue"}, "env": {"ci"}}, "team"))))
	if err != nil {
		t.Fatalf("tags: %v", err)
	}
	if out.Session.Tags["team"] != "blue" || out.Session.Tags["env"] != "ci" || len(out.Session.TransitiveTagKeys) != 1 {
		t.Errorf("session tags = %v %v", out.Session.Tags, out.Session.TransitiveTagKeys)
	}
	_, err = e.assume(t, plain, e.sign(t, e.claims(tags(map[string][]string{"team": {"blue"}}))))
	wantAPIError(t, "tags without sts:TagSession", err, awsapi.CodeAccessDenied, 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	_, err = e.assume(t, tagging, e.sign(t, e.claims(tags(map[string][]string{"team": {"red"}}))))
	wantAPIError(t, "aws:RequestTag condition", err, awsapi.CodeAccessDenied, 403, "Not authorized")
	for name, claim := range map[string]map[string]any{
		"two values":               tags(map[string][]string{"team": {"blue", "red"}}),
		"aws: prefix":              tags(map[string][]string{"team": {"blue"}, "aws:x": {"y"}}),
		"transitive not a tag":     tags(map[string][]string{"team": {"blue"}}, "nope"),
		"keys differ only in case": tags(map[string][]string{"team": {"blue"}, "Team": {"blue"}}),
	} {
		_, err := e.assume(t, tagging, e.sign(t, e.claims(claim)))
		wantAPIError(t, name, err, awsapi.CodeValidation, 400, "Unable to validate tags")
	}
}

func TestWebIdentityTokenChecks(t *testing.T) {
	t.Parallel()
	b := sts.DefaultWebIdentityBehavior()
	b.MaxTokenAge = 24 * time.Hour
	e := newWIEnv(t, false, &b, nil)
	role := e.role(t, "Any", `{}`)
	tests := []struct {
		name   string
		token  string
		code   awsapi.Code
		status int
		msg    string
	}{
		{"no exp", e.sign(t, e.claims(map[string]any{"exp": nil})), awsapi.CodeInvalidIdentityToken, 400, "Missing a required claim: exp"},
		{"no aud", e.sign(t, e.claims(map[string]any{"aud": nil})), awsapi.CodeInvalidIdentityToken, 400, "Missing a required claim: aud"},
		{"no aud, azp names a client ID", e.sign(t, e.claims(map[string]any{"aud": nil, "azp": "app"})), awsapi.CodeInvalidIdentityToken, 400, "Missing a required claim: aud"},
		{"no aud, client_id names a client ID", e.sign(t, e.claims(map[string]any{"aud": nil, "client_id": "app"})), awsapi.CodeInvalidIdentityToken, 400, "Missing a required claim: aud"},
		{"empty aud list", e.sign(t, e.claims(map[string]any{"aud": []string{}})), awsapi.CodeInvalidIdentityToken, 400, "Missing a required claim: aud"},
		{"no iss", e.sign(t, e.claims(map[string]any{"iss": nil})), awsapi.CodeInvalidIdentityToken, 400, "Missing a required claim: iss"},
		{"no sub", e.sign(t, e.claims(map[string]any{"sub": nil})), awsapi.CodeInvalidIdentityToken, 400, "Missing a required claim: sub"},
		{"expired by a second", e.sign(t, e.claims(map[string]any{"exp": wiNow.Unix()})), awsapi.CodeExpiredTokenException, 400,
			fmt.Sprintf("Token expired: current date/time %d must be before the expiration date/time%d", wiNow.Unix(), wiNow.Unix())},
		{"nbf in 10 minutes", e.sign(t, e.claims(map[string]any{"nbf": wiNow.Unix() + 600})), awsapi.CodeInvalidIdentityToken, 400, "The web identity token is not yet valid"},
		{"iat two days old", e.sign(t, e.claims(map[string]any{"iat": wiNow.Unix() - 172800})), awsapi.CodeExpiredTokenException, 400, "Token too old: 172800"},
		{"issuer with a trailing slash", e.sign(t, e.claims(map[string]any{"iss": e.issuer + "/"})), awsapi.CodeInvalidIdentityToken, 400,
			"No OpenIDConnect provider found in your account for " + e.issuer + "/"},
	}
	for _, tt := range tests {
		_, err := e.assume(t, role, tt.token)
		wantAPIError(t, tt.name, err, tt.code, tt.status, tt.msg)
	}
	// nbf within the skew is fine.
	if _, err := e.assume(t, role, e.sign(t, e.claims(map[string]any{"nbf": wiNow.Unix() + 60}))); err != nil {
		t.Errorf("nbf within skew: %v", err)
	}
	// Algorithms outside STS's list, even when the key is right.
	for _, alg := range []jose.SignatureAlgorithm{jose.PS256, jose.EdDSA} {
		_, err := e.assume(t, role, fmt.Sprintf("%s.%s.c2ln", b64json(map[string]string{"alg": string(alg), "kid": "k1"}), b64json(e.claims(nil))))
		wantAPIError(t, string(alg), err, awsapi.CodeInvalidIdentityToken, 400, "The web identity token is signed with an unsupported algorithm")
	}
	_, err := e.wi.AssumeRoleWithWebIdentity(t.Context(), sts.AssumeRoleWithWebIdentityInput{RoleARN: role, RoleSessionName: "sess",
		WebIdentityToken: e.sign(t, e.claims(nil)), ProviderID: "graph.facebook.com"})
	wantAPIError(t, "OAuth provider", err, "IDPCommunicationError", 400, "graph.facebook.com could not be reached")
	_, err = e.wi.AssumeRoleWithWebIdentity(t.Context(), sts.AssumeRoleWithWebIdentityInput{RoleARN: role, RoleSessionName: "a b",
		WebIdentityToken: "x"})
	wantAPIError(t, "parameters", err, awsapi.CodeValidation, 400,
		"2 validation errors detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*; Value at 'webIdentityToken'")
	_, err = e.assume(t, strings.Replace(role, ":role/", ":user/", 1), e.sign(t, e.claims(nil)))
	wantAPIError(t, "user ARN as role", err, awsapi.CodeValidation, 400, "Request ARN is invalid")
	_, err = e.assume(t, strings.Replace(role, "/Any", "/Missing", 1), e.sign(t, e.claims(nil)))
	wantAPIError(t, "no such role", err, awsapi.CodeAccessDenied, 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity")
}

func b64json(v any) string {
	b, _ := json.Marshal(v)
	return strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(base64Std(b)), "=")
}

// TestWebIdentityThumbprint fetches the JWKS over loopback TLS: the
// provider's thumbprint must match the certificate the issuer presents.
func TestWebIdentityThumbprint(t *testing.T) {
	t.Parallel()
	e := newWIEnv(t, true, nil, nil)
	role := e.role(t, "Any", `{}`)
	tok := e.sign(t, e.claims(nil))
	if _, err := e.assume(t, role, tok); err != nil {
		t.Fatalf("matching thumbprint: %v", err)
	}
	e.wi.ForgetKeys(e.issuer)
	if err := e.acct.UpdateOIDCProviderThumbprint(e.prov.ARN, []string{strings.Repeat("0", 40)}); err != nil {
		t.Fatal(err)
	}
	_, err := e.assume(t, role, tok)
	wantAPIError(t, "stale thumbprint", err, awsapi.CodeInvalidIdentityToken, 400, "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint")
	if err := e.acct.UpdateOIDCProviderThumbprint(e.prov.ARN, []string{strings.Repeat("0", 40), iam.Thumbprint(e.srv.Certificate().Raw)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.assume(t, role, tok); err != nil {
		t.Errorf("after UpdateOpenIDConnectProviderThumbprint: %v", err)
	}
}

// TestWebIdentityIDPTimeout: an issuer that does not answer in time is
// IDPCommunicationError.
func TestWebIdentityIDPTimeout(t *testing.T) {
	t.Parallel()
	b := sts.DefaultWebIdentityBehavior()
	b.FetchTimeout = 200 * time.Millisecond
	release := make(chan struct{})
	e := newWIEnv(t, false, &b, func(_ http.ResponseWriter, r *http.Request) bool {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return true
	})
	t.Cleanup(func() { close(release) })
	role := e.role(t, "Any", `{}`)
	_, err := e.assume(t, role, e.sign(t, e.claims(nil)))
	wantAPIError(t, "slow issuer", err, "IDPCommunicationError", 400, "The identity provider could not be reached")
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
