package oidc_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/samlab-dev/samlab/idp/oidc"
)

// idClaims are the claims the tests read from verified ID tokens.
type idClaims struct {
	Subject       string       `json:"sub"`
	Email         string       `json:"email"`
	EmailVerified bool         `json:"email_verified"`
	Groups        []string     `json:"groups"`
	Tags          oidc.AWSTags `json:"https://aws.amazon.com/tags"`
	DisplayName   string       `json:"displayName"`
	Department    string       `json:"department"`
	AuthorizedFor string       `json:"azp"`
	JTI           string       `json:"jti"`
}

// TestGoOIDCVerifiesTokens has go-oidc find the provider by discovery,
// fetch its JWKS over HTTP and verify ID tokens signed with each algorithm.
func TestGoOIDCVerifiesTokens(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"", "RS384", "PS256", "ES256", "ES384", "ES512", "EdDSA"} {
		t.Run("alg="+alg, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, func(c *oidc.Config) { c.Algorithm = alg })
			op, v := s.verifier(t, testClientID)
			tok, err := s.provider.IDToken(demoUser(t, "alice"), oidc.TokenOptions{Audience: testClientID, Nonce: "n-1"})
			if err != nil {
				t.Fatalf("IDToken: %v", err)
			}
			idt, err := v.Verify(s.ctx(t), tok)
			if err != nil {
				t.Fatalf("go-oidc Verify: %v", err)
			}
			want := alg
			if want == "" {
				want = "RS256"
			}
			var disc struct {
				Algs []string `json:"id_token_signing_alg_values_supported"`
			}
			if err := op.Claims(&disc); err != nil || len(disc.Algs) != 1 || disc.Algs[0] != want {
				t.Errorf("discovery algs = %v (%v), want [%s]", disc.Algs, err, want)
			}
			if idt.Issuer != s.issuer || idt.Subject != "alice" || idt.Nonce != "n-1" || !slices1(idt.Audience, testClientID) {
				t.Errorf("token iss=%q sub=%q nonce=%q aud=%v", idt.Issuer, idt.Subject, idt.Nonce, idt.Audience)
			}
			if d := idt.Expiry.Sub(idt.IssuedAt); d != oidc.DefaultIDTokenLifetime {
				t.Errorf("exp - iat = %v, want %v", d, oidc.DefaultIDTokenLifetime)
			}
			var c idClaims
			if err := idt.Claims(&c); err != nil {
				t.Fatal(err)
			}
			wantClaims := idClaims{Subject: "alice", Email: "alice@example.com", EmailVerified: true, Groups: []string{"admins"},
				Tags: oidc.AWSTags{PrincipalTags: map[string][]string{"team": {"platform"}, "cost-center": {"1234"}},
					TransitiveTagKeys: []string{"team"}},
				DisplayName: "Alice Admin", Department: "platform", AuthorizedFor: testClientID, JTI: c.JTI}
			if diff := cmp.Diff(wantClaims, c); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
			if len(c.JTI) != 32 {
				t.Errorf("jti = %q, want 32 hex digits", c.JTI)
			}
		})
	}
}

func slices1(s []string, v string) bool { return len(s) == 1 && s[0] == v }

// TestAWSTagsClaimShape checks the session-tags claim against the shape in
// IAM UG "Passing session tags using AssumeRoleWithWebIdentity": tag values
// are one-element arrays.
func TestAWSTagsClaimShape(t *testing.T) {
	t.Parallel()
	raw, err := json.Marshal(oidc.UserClaims(demoUser(t, "alice"))[oidc.AWSTagsClaim])
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"principal_tags":{"cost-center":["1234"],"team":["platform"]},"transitive_tag_keys":["team"]}`
	if string(raw) != want {
		t.Errorf("tags claim = %s, want %s", raw, want)
	}
	bob := oidc.UserClaims(demoUser(t, "bob"))
	if _, ok := bob[oidc.AWSTagsClaim]; ok {
		t.Errorf("bob has no principal tags, but his claims carry %v", bob[oidc.AWSTagsClaim])
	}
	if got := bob["groups"]; !cmp.Equal(got, []string{"admins", "readers"}) {
		t.Errorf("bob groups = %v", got)
	}
}

// TestRotationAndRollover keeps one go-oidc verifier (and its cached JWKS)
// across a rollover, a switch to the staged key and an immediate rotation.
func TestRotationAndRollover(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	_, v := s.verifier(t, testClientID)
	alice := demoUser(t, "alice")
	issue := func() string {
		t.Helper()
		tok, err := s.provider.IDToken(alice, oidc.TokenOptions{Audience: testClientID})
		if err != nil {
			t.Fatalf("IDToken: %v", err)
		}
		return tok
	}
	mustVerify := func(step, tok string) {
		t.Helper()
		if _, err := v.Verify(s.ctx(t), tok); err != nil {
			t.Fatalf("%s: go-oidc refused the token: %v", step, err)
		}
	}
	first := issue()
	mustVerify("before rotation", first)
	k1 := s.provider.Keyring().Current

	staged, err := s.provider.StageRollover()
	if err != nil {
		t.Fatal(err)
	}
	jwks := fetchJWKS(t, s)
	if got := kids(jwks); !cmp.Equal(got, []string{k1.ID, staged.ID}) {
		t.Fatalf("JWKS during rollover = %v, want current %s then next %s", got, k1.ID, staged.ID)
	}
	mustVerify("during rollover, old key still signs", issue())

	if _, err := s.provider.Rotate(); err != nil {
		t.Fatal(err)
	}
	if got := kids(fetchJWKS(t, s)); !cmp.Equal(got, []string{staged.ID}) {
		t.Fatalf("JWKS after the switch = %v, want only %s", got, staged.ID)
	}
	second := issue()
	if kidOf(t, second) != staged.ID {
		t.Fatalf("after the switch the token's kid is %s, want the staged key %s", kidOf(t, second), staged.ID)
	}
	mustVerify("after the switch to the staged key", second)
	if _, err := v.Verify(s.ctx(t), first); err == nil {
		t.Error("a token signed by the retired key still verifies")
	}

	// An immediate rotation: go-oidc meets an unknown kid and fetches the
	// JWKS again.
	k3, err := s.provider.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	third := issue()
	if kidOf(t, third) != k3.ID {
		t.Fatalf("kid = %s, want %s", kidOf(t, third), k3.ID)
	}
	mustVerify("after an immediate rotation", third)
	if _, err := v.Verify(s.ctx(t), second); err == nil {
		t.Error("a token signed by the key retired by the immediate rotation still verifies")
	}
	if got := s.provider.Keyring().Previous; len(got) != 2 || got[0].ID != staged.ID || got[1].ID != k1.ID {
		t.Errorf("previous keys = %v, want [%s %s]", got, staged.ID, k1.ID)
	}
}

func fetchJWKS(t *testing.T, s *stack) jose.JSONWebKeySet {
	t.Helper()
	resp, err := s.srv.Client().Get(s.issuer + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "application/json" {
		t.Fatalf("GET jwks: %s, Content-Type %q", resp.Status, ct)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatalf("decode JWKS: %v", err)
	}
	for _, k := range set.Keys {
		if !k.IsPublic() || k.Use != "sig" || k.Algorithm == "" {
			t.Errorf("JWKS key %s: public=%v use=%q alg=%q", k.KeyID, k.IsPublic(), k.Use, k.Algorithm)
		}
	}
	return set
}

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}

func kidOf(t *testing.T, tok string) string {
	t.Helper()
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	return jws.Signatures[0].Header.KeyID
}

// TestFaultsRefusedByGoOIDC issues each fault and has go-oidc refuse it,
// while the same verifier accepts a correct token. A second verifier that
// tolerates exactly the fault's defect (a skipped check, or a header the
// test inspects) accepts the token, so each fault is refused for its own
// reason and is otherwise a well-formed token.
func TestFaultsRefusedByGoOIDC(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	if _, err := s.provider.Rotate(); err != nil { // so stale-key has a retired key
		t.Fatal(err)
	}
	ring := s.provider.Keyring()
	op, v := s.verifier(t, testClientID)
	alice := demoUser(t, "alice")
	good, err := s.provider.IDToken(alice, oidc.TokenOptions{Audience: testClientID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(s.ctx(t), good); err != nil {
		t.Fatalf("correct token refused: %v", err)
	}
	noSig := &gooidc.Config{ClientID: testClientID, InsecureSkipSignatureCheck: true}
	cases := map[oidc.Fault]struct {
		tolerant *gooidc.Config
		alg, kid string // the header's, when checked
		sub      string
	}{
		oidc.FaultExpired:        {tolerant: &gooidc.Config{ClientID: testClientID, SkipExpiryCheck: true}},
		oidc.FaultNotYetValid:    {tolerant: &gooidc.Config{ClientID: testClientID, Now: func() time.Time { return time.Now().Add(oidc.FaultSkew) }}},
		oidc.FaultWrongAudience:  {tolerant: &gooidc.Config{ClientID: oidc.FaultAudience}},
		oidc.FaultWrongIssuer:    {tolerant: &gooidc.Config{ClientID: testClientID, SkipIssuerCheck: true}},
		oidc.FaultForeignKey:     {tolerant: noSig, alg: "RS256", kid: ring.Current.ID},
		oidc.FaultStaleKey:       {tolerant: noSig, alg: "RS256", kid: ring.Previous[0].ID},
		oidc.FaultUnknownKID:     {tolerant: noSig, alg: "RS256", kid: oidc.FaultKeyID},
		oidc.FaultTamper:         {tolerant: noSig, alg: "RS256", kid: ring.Current.ID, sub: "alice-tampered"},
		oidc.FaultAlgNone:        {tolerant: noSig, alg: "none", kid: ring.Current.ID},
		oidc.FaultNoAudience:     {tolerant: &gooidc.Config{SkipClientIDCheck: true}},
		oidc.FaultHS256PublicKey: {tolerant: &gooidc.Config{ClientID: testClientID, InsecureSkipSignatureCheck: true, SupportedSigningAlgs: []string{"HS256"}}, alg: "HS256", kid: ring.Current.ID},
	}
	if len(cases) != len(oidc.FaultNames()) {
		t.Errorf("FaultNames = %v; every fault needs a case here", oidc.FaultNames())
	}
	for _, name := range oidc.FaultNames() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, err := oidc.ParseFault(name)
			if err != nil {
				t.Fatal(err)
			}
			tc := cases[f]
			tok, err := s.provider.IDToken(alice, oidc.TokenOptions{Audience: testClientID, Fault: f})
			if err != nil {
				t.Fatalf("IDToken(%s): %v", f, err)
			}
			_, err = v.Verify(s.ctx(t), tok)
			if err == nil {
				t.Fatalf("go-oidc accepted a token with fault %s", f)
			}
			t.Logf("go-oidc: %v", err)
			var expired *gooidc.TokenExpiredError
			if got := errors.As(err, &expired); got != (f == oidc.FaultExpired) {
				t.Errorf("TokenExpiredError = %v for fault %s: %v", got, f, err)
			}
			if tc.tolerant == nil {
				t.Fatalf("no tolerant verifier for %s", f)
			}
			idt, err := op.Verifier(tc.tolerant).Verify(s.ctx(t), tok)
			if err != nil {
				t.Fatalf("a verifier tolerating only the %s defect refused the token: %v", f, err)
			}
			wantSub := "alice"
			if tc.sub != "" {
				wantSub = tc.sub
			}
			if idt.Subject != wantSub {
				t.Errorf("sub = %q, want %q", idt.Subject, wantSub)
			}
			if tc.alg != "" {
				h := header(t, tok)
				if h.Alg != tc.alg || h.Kid != tc.kid {
					t.Errorf("header alg=%q kid=%q, want alg=%q kid=%q", h.Alg, h.Kid, tc.alg, tc.kid)
				}
			}
		})
	}
	if _, err := oidc.ParseFault("nope"); !errors.Is(err, oidc.ErrUnknownFault) {
		t.Errorf("ParseFault(nope) = %v, want ErrUnknownFault", err)
	}
}

// TestHS256FaultUsesThePublicKey checks the algorithm-confusion token: its
// HMAC verifies with the PEM of the key the JWKS publishes.
func TestHS256FaultUsesThePublicKey(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	tok, err := s.provider.IDToken(demoUser(t, "alice"), oidc.TokenOptions{Audience: testClientID, Fault: oidc.FaultHS256PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	set := fetchJWKS(t, s)
	der, err := x509.MarshalPKIXPublicKey(set.Keys[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jws.Verify(secret); err != nil {
		t.Errorf("HS256 signature does not verify with the published key's PEM: %v", err)
	}
}

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

func header(t *testing.T, tok string) jwtHeader {
	t.Helper()
	h, _, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatalf("token header: %v", err)
	}
	var out jwtHeader
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("token header: %v", err)
	}
	return out
}

func TestStaleKeyNeedsRotation(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	_, err := s.provider.IDToken(demoUser(t, "alice"), oidc.TokenOptions{Audience: testClientID, Fault: oidc.FaultStaleKey})
	if !errors.Is(err, oidc.ErrNoPreviousKey) {
		t.Errorf("stale-key before any rotation = %v, want ErrNoPreviousKey", err)
	}
	if _, err := s.provider.IDToken(demoUser(t, "alice"), oidc.TokenOptions{}); !errors.Is(err, oidc.ErrNoAudience) {
		t.Errorf("IDToken without audience = %v, want ErrNoAudience", err)
	}
}

// tokenPost posts a token request and returns the status, the decoded JSON
// body and the headers.
func tokenPost(t *testing.T, s *stack, form url.Values, basic [2]string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.issuer+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic[0] != "" {
		req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("token response Content-Type = %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("token response Cache-Control = %q, want no-store", cc)
	}
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode token response: %v", err)
	}
	return resp.StatusCode, body, resp.Header
}

// TestCodeFlowWithPKCE drives the authorization-code flow over HTTP as a
// browser and a golang.org/x/oauth2 client do, logging in on the SAML IdP's
// login page, and verifies the result with go-oidc.
func TestCodeFlowWithPKCE(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	op, v := s.verifier(t, testClientID)
	cfg := oauthConfig(op, s.redirect)
	verifier := oauth2.GenerateVerifier()
	b := browser(t)
	authURL := cfg.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier), gooidc.Nonce("nonce-1"))
	loc := authorize(t, b, authURL, "alice", "samlab")
	q := loc.Query()
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != s.redirect {
		t.Fatalf("redirected to %s, want %s", got, s.redirect)
	}
	if q.Get("state") != "state-1" || q.Get("iss") != s.issuer || q.Get("code") == "" || q.Has("error") {
		t.Fatalf("redirect query = %v", q)
	}
	code := q.Get("code")

	tok, err := cfg.Exchange(s.ctx(t), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := v.Verify(s.ctx(t), raw)
	if err != nil {
		t.Fatalf("go-oidc Verify: %v", err)
	}
	if idt.Subject != "alice" || idt.Nonce != "nonce-1" {
		t.Errorf("ID token sub=%q nonce=%q", idt.Subject, idt.Nonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	if tok.TokenType != "Bearer" || tok.Expiry.IsZero() {
		t.Errorf("token type %q expiry %v", tok.TokenType, tok.Expiry)
	}
	ui, err := op.UserInfo(s.ctx(t), oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("UserInfo: %v", err)
	}
	if ui.Subject != "alice" || ui.Email != "alice@example.com" || !ui.EmailVerified {
		t.Errorf("userinfo = %+v", ui)
	}

	// The code is single-use.
	_, err = cfg.Exchange(s.ctx(t), code, oauth2.VerifierOption(verifier))
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" || re.Response.StatusCode != http.StatusBadRequest {
		t.Fatalf("second Exchange = %v, want invalid_grant", err)
	}
	if !strings.Contains(re.ErrorDescription, "already used") {
		t.Errorf("reuse error_description = %q", re.ErrorDescription)
	}

	// A second authorization finds the IdP session: no login page.
	loc = authorize(t, b, cfg.AuthCodeURL("state-2", oauth2.S256ChallengeOption(verifier)), "", "")
	if loc.Query().Get("code") == "" || loc.Query().Get("state") != "state-2" {
		t.Errorf("second authorization redirect = %v", loc)
	}
}

// TestTokenEndpointRefusals sends wrong verifiers, redirect URIs, clients
// and codes, each on a fresh code, and checks the OAuth error JSON.
func TestTokenEndpointRefusals(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(c *oidc.Config) {
		c.Clients = append(c.Clients, oidc.Client{ID: "other-app", RedirectURIs: []string{testRedirect}},
			oidc.Client{ID: "confidential", RedirectURIs: []string{testRedirect}, Secret: "s3cret"})
	})
	op, _ := s.verifier(t, testClientID)
	b := browser(t)
	verifier := oauth2.GenerateVerifier()
	newCode := func(clientID string) string {
		t.Helper()
		cfg := oauthConfig(op, s.redirect)
		cfg.ClientID = clientID
		loc := authorize(t, b, cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)), "alice", "samlab")
		if loc.Query().Get("code") == "" {
			t.Fatalf("no code: %v", loc)
		}
		return loc.Query().Get("code")
	}
	form := func(code string, edit func(url.Values)) url.Values {
		v := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {s.redirect},
			"client_id": {testClientID}, "code_verifier": {verifier}}
		if edit != nil {
			edit(v)
		}
		return v
	}
	cases := []struct {
		name       string
		client     string
		edit       func(url.Values)
		basic      [2]string
		status     int
		code, desc string
	}{
		{"wrong verifier", testClientID, func(v url.Values) { v.Set("code_verifier", oauth2.GenerateVerifier()) }, [2]string{}, 400, "invalid_grant", "code_verifier does not match"},
		{"malformed verifier", testClientID, func(v url.Values) { v.Set("code_verifier", "short") }, [2]string{}, 400, "invalid_request", "43-128"},
		{"no verifier", testClientID, func(v url.Values) { v.Del("code_verifier") }, [2]string{}, 400, "invalid_request", "code_verifier is required"},
		{"wrong redirect_uri", testClientID, func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:1/other") }, [2]string{}, 400, "invalid_grant", "redirect_uri does not match"},
		{"redirect_uri on another port", testClientID, func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:1/callback") }, [2]string{}, 400, "invalid_grant", "redirect_uri does not match"},
		{"code of another client", "other-app", nil, [2]string{}, 400, "invalid_grant", "another client"},
		{"unknown code", "", func(v url.Values) { v.Set("code", "nope") }, [2]string{}, 400, "invalid_grant", "invalid or has expired"},
		{"unknown client", "", func(v url.Values) { v.Set("client_id", "who") }, [2]string{}, 401, "invalid_client", "unknown client_id"},
		{"confidential client without secret", "confidential", func(v url.Values) { v.Set("client_id", "confidential") }, [2]string{}, 401, "invalid_client", "authentication failed"},
		{"confidential client, wrong secret", "confidential", func(v url.Values) { v.Del("client_id") }, [2]string{"confidential", "wrong"}, 401, "invalid_client", "authentication failed"},
		{"unsupported grant", "", func(v url.Values) { v.Set("grant_type", "implicit") }, [2]string{}, 400, "unsupported_grant_type", "implicit"},
		{"repeated parameter", "", func(v url.Values) { v.Add("code", "x") }, [2]string{}, 400, "invalid_request", "repeated"},
	}
	for _, tc := range cases {
		code := "unused"
		if tc.client != "" {
			code = newCode(tc.client)
		}
		status, body, hdr := tokenPost(t, s, form(code, tc.edit), tc.basic)
		desc, _ := body["error_description"].(string)
		if status != tc.status || body["error"] != tc.code || !strings.Contains(desc, tc.desc) {
			t.Errorf("%s: %d %v, want %d %s %q", tc.name, status, body, tc.status, tc.code, tc.desc)
		}
		if _, ok := body["id_token"]; ok {
			t.Errorf("%s: an error response carries an id_token", tc.name)
		}
		if tc.basic[0] != "" && hdr.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 after Basic authentication without WWW-Authenticate", tc.name)
		}
	}

	// A code is consumed by a failed attempt too.
	code := newCode(testClientID)
	if st, body, _ := tokenPost(t, s, form(code, func(v url.Values) { v.Set("code_verifier", oauth2.GenerateVerifier()) }), [2]string{}); st != 400 {
		t.Fatalf("wrong verifier: %d %v", st, body)
	}
	if _, body, _ := tokenPost(t, s, form(code, nil), [2]string{}); body["error"] != "invalid_grant" {
		t.Errorf("right verifier after a wrong one = %v, want invalid_grant", body)
	}

	// The confidential client with its secret succeeds, over Basic.
	code = newCode("confidential")
	st, body, _ := tokenPost(t, s, form(code, func(v url.Values) { v.Del("client_id") }), [2]string{"confidential", "s3cret"})
	if st != 200 || body["id_token"] == nil || body["token_type"] != "Bearer" {
		t.Errorf("confidential client: %d %v", st, body)
	}
}

func TestCodeExpires(t *testing.T) {
	t.Parallel()
	now := time.Now()
	clock := &now
	s := newStack(t, func(c *oidc.Config) { c.Now = func() time.Time { return *clock } })
	op, _ := s.verifier(t, testClientID)
	cfg := oauthConfig(op, s.redirect)
	verifier := oauth2.GenerateVerifier()
	loc := authorize(t, browser(t), cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)), "alice", "samlab")
	later := now.Add(oidc.DefaultCodeLifetime + time.Second)
	clock = &later
	_, err := cfg.Exchange(s.ctx(t), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" || !strings.Contains(re.ErrorDescription, "expired") {
		t.Errorf("Exchange of an expired code = %v, want invalid_grant expired", err)
	}
}

// TestAuthorizationErrors checks which authorization errors go back to the
// client (with state) and which are shown to the user.
func TestAuthorizationErrors(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	good := func() url.Values {
		return url.Values{"client_id": {testClientID}, "redirect_uri": {s.redirect}, "response_type": {"code"},
			"scope": {"openid"}, "state": {"xyz"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	}
	cases := []struct {
		name     string
		edit     func(url.Values)
		page     bool // shown to the user with 400, not redirected
		code     string
		contains string
	}{
		{"unknown client", func(v url.Values) { v.Set("client_id", "nope") }, true, "", "unknown client_id"},
		{"no client", func(v url.Values) { v.Del("client_id") }, true, "", "client_id is required"},
		{"unregistered redirect", func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }, true, "", "not registered"},
		{"loopback redirect with other path", func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:9/other") }, true, "", "not registered"},
		{"no PKCE", func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }, false, "invalid_request", "code_challenge is required"},
		{"plain PKCE", func(v url.Values) { v.Set("code_challenge_method", "plain") }, false, "invalid_request", "S256"},
		{"bad challenge", func(v url.Values) { v.Set("code_challenge", "abc") }, false, "invalid_request", "43 characters"},
		{"no openid scope", func(v url.Values) { v.Set("scope", "email") }, false, "invalid_scope", "openid"},
		{"implicit flow", func(v url.Values) { v.Set("response_type", "id_token") }, false, "unsupported_response_type", "id_token"},
		{"prompt none without session", func(v url.Values) { v.Set("prompt", "none") }, false, "login_required", "nobody is logged in"},
		{"request object", func(v url.Values) { v.Set("request", "eyJ") }, false, "request_not_supported", ""},
	}
	c := browser(t)
	for _, tc := range cases {
		v := good()
		tc.edit(v)
		resp, err := c.Get(s.issuer + "/authorize?" + v.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if tc.page {
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("%s: %s Location %q, want a 400 page", tc.name, resp.Status, resp.Header.Get("Location"))
			}
			continue
		}
		loc, err := resp.Location()
		if resp.StatusCode != http.StatusSeeOther || err != nil {
			t.Errorf("%s: %s, want a 303 to the client", tc.name, resp.Status)
			continue
		}
		q := loc.Query()
		if q.Get("error") != tc.code || !strings.Contains(q.Get("error_description"), tc.contains) ||
			q.Get("state") != "xyz" || q.Get("iss") != s.issuer || q.Has("code") {
			t.Errorf("%s: redirect query %v, want error %s (%q)", tc.name, q, tc.code, tc.contains)
		}
	}
}

// TestPasswordGrant is the token-for-scripts path: any client ID is the
// audience, the user's password is required, faults are injected by name.
func TestPasswordGrant(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	_, v := s.verifier(t, "sts.amazonaws.com")
	// alice's bcrypt hash checks in milliseconds; bob's argon2id takes 64 MiB.
	form := url.Values{"grant_type": {"password"}, "client_id": {"sts.amazonaws.com"}, "username": {"alice"}, "password": {"samlab"}}
	st, body, _ := tokenPost(t, s, form, [2]string{})
	if st != 200 {
		t.Fatalf("password grant: %d %v", st, body)
	}
	idt, err := v.Verify(s.ctx(t), body["id_token"].(string))
	if err != nil {
		t.Fatalf("go-oidc Verify: %v", err)
	}
	if idt.Subject != "alice" || body["scope"] != "openid" {
		t.Errorf("sub %q scope %v", idt.Subject, body["scope"])
	}

	form.Set("fault", "wrong-issuer")
	st, body, _ = tokenPost(t, s, form, [2]string{})
	if st != 200 {
		t.Fatalf("password grant with fault: %d %v", st, body)
	}
	if _, err := v.Verify(s.ctx(t), body["id_token"].(string)); err == nil {
		t.Error("go-oidc accepted the wrong-issuer token from the endpoint")
	}
	for name, edit := range map[string]func(url.Values){
		"wrong password": func(v url.Values) { v.Set("password", "nope"); v.Del("fault") },
		"unknown user":   func(v url.Values) { v.Set("username", "mallory"); v.Del("fault") },
		"unknown fault":  func(v url.Values) { v.Set("fault", "bogus") },
		"stale-key without rotation": func(v url.Values) {
			v.Set("fault", "stale-key")
		},
	} {
		f := url.Values{}
		for k, vs := range form {
			f[k] = append([]string(nil), vs...)
		}
		edit(f)
		st, body, _ := tokenPost(t, s, f, [2]string{})
		want := "invalid_grant"
		if f.Has("fault") {
			want = "invalid_request"
		}
		if st != 400 || body["error"] != want {
			t.Errorf("%s: %d %v, want 400 %s", name, st, body, want)
		}
	}
}

func TestDiscoveryDocument(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	resp, err := s.srv.Client().Get(s.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d oidc.Discovery
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if d.Issuer != s.issuer || d.JWKSURI != s.issuer+"/jwks" || d.TokenEndpoint != s.issuer+"/token" ||
		!cmp.Equal(d.CodeChallengeMethodsSupported, []string{"S256"}) || !cmp.Equal(d.ResponseTypesSupported, []string{"code"}) {
		t.Errorf("discovery = %+v", d)
	}
	r2, err := s.srv.Client().Get(s.issuer + "/nothing")
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nothing = %s", r2.Status)
	}
}

// TestPromptsAndPOST: with a session, prompt=none returns a code and
// prompt=login shows the login page once; the POST binding of the
// authorization endpoint works like GET.
func TestPromptsAndPOST(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	op, _ := s.verifier(t, testClientID)
	cfg := oauthConfig(op, s.redirect)
	verifier := oauth2.GenerateVerifier()
	b := browser(t)
	if loc := authorize(t, b, cfg.AuthCodeURL("s1", oauth2.S256ChallengeOption(verifier)), "alice", "samlab"); loc.Query().Get("code") == "" {
		t.Fatalf("first login: %v", loc)
	}
	loc := authorize(t, b, cfg.AuthCodeURL("s2", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "none")), "", "")
	if loc.Query().Get("code") == "" || loc.Query().Get("state") != "s2" {
		t.Errorf("prompt=none with a session: %v", loc)
	}

	resp, err := b.Get(cfg.AuthCodeURL("s3", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "login")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.HasSuffix(resp.Request.URL.Path, "/idp/login") {
		t.Fatalf("prompt=login with a session ended at %s, want the login page", resp.Request.URL)
	}
	if ret := resp.Request.URL.Query().Get("return"); strings.Contains(ret, "prompt") {
		t.Errorf("return %q still asks for a login", ret)
	}
	loc = authorize(t, b, cfg.AuthCodeURL("s3", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "login")), "bob", "samlab")
	tok, err := cfg.Exchange(s.ctx(t), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange after prompt=login: %v", err)
	}
	_, v := s.verifier(t, testClientID)
	idt, err := v.Verify(s.ctx(t), tok.Extra("id_token").(string))
	if err != nil || idt.Subject != "bob" {
		t.Errorf("after logging in again as bob: %v, sub %v", err, idt)
	}

	u, _ := url.Parse(cfg.AuthCodeURL("s4", oauth2.S256ChallengeOption(verifier)))
	resp, err = b.PostForm(s.issuer+"/authorize", u.Query())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err = resp.Location()
	if resp.StatusCode != http.StatusSeeOther || err != nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != "s4" {
		t.Errorf("POST authorize: %s %v", resp.Status, loc)
	}
}

// TestUserInfoRefusals: the userinfo endpoint answers RFC 6750's 401 to a
// missing, forged or ID (not access) token.
func TestUserInfoRefusals(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	idt, err := s.provider.IDToken(demoUser(t, "alice"), oidc.TokenOptions{Audience: testClientID})
	if err != nil {
		t.Fatal(err)
	}
	for name, auth := range map[string]string{
		"none":     "",
		"basic":    "Basic YTpi",
		"garbage":  "Bearer abc.def.ghi",
		"id token": "Bearer " + idt,
	} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.issuer+"/userinfo", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Bearer error="invalid_token"`) {
			t.Errorf("%s: %s, WWW-Authenticate %q", name, resp.Status, resp.Header.Get("WWW-Authenticate"))
		}
	}
}
