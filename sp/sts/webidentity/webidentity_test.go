package webidentity_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts/webidentity"
)

var b64 = base64.RawURLEncoding

// fixtures hands out distinct RSA keys to the whole package.
var fixtures = certstest.New()

// signer signs JWTs with go-jose, independently of samlab's IdP.
type signer struct {
	key crypto.Signer
	alg jose.SignatureAlgorithm
	kid string
}

func rsaSigner(t testing.TB, kid string) signer {
	t.Helper()
	k, err := fixtures.Key(2048)
	if err != nil {
		t.Fatal(err)
	}
	return signer{key: k, alg: jose.RS256, kid: kid}
}

func ecSigner(t testing.TB, kid string) signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signer{key: k, alg: jose.ES256, kid: kid}
}

func (s signer) jwk() jose.JSONWebKey {
	return jose.JSONWebKey{Key: s.key.Public(), KeyID: s.kid, Algorithm: string(s.alg), Use: "sig"}
}

func (s signer) sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if s.kid != "" {
		opts = opts.WithHeader("kid", s.kid)
	}
	sg, err := jose.NewSigner(jose.SigningKey{Algorithm: s.alg, Key: s.key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := sg.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func seg(v any) string {
	b, _ := json.Marshal(v)
	return b64.EncodeToString(b)
}

// hs256WithPublicKey is the algorithm-confusion token: HMAC keyed with the
// PEM of the issuer's public key.
func hs256WithPublicKey(t testing.TB, pub crypto.PublicKey, claims map[string]any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	in := seg(map[string]string{"alg": "HS256", "typ": "JWT"}) + "." + seg(claims)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + b64.EncodeToString(m.Sum(nil))
}

func baseClaims() map[string]any {
	return map[string]any{"iss": "https://idp.example", "sub": "alice-0001", "aud": "app", "exp": 2000000000, "iat": 1900000000}
}

func TestParseBadTokens(t *testing.T) {
	t.Parallel()
	s := rsaSigner(t, "k1")
	good := s.sign(t, baseClaims())
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", webidentity.ErrMalformed},
		{"truncated", good[:len(good)/2], webidentity.ErrMalformed},
		{"no signature part", good[:strings.LastIndexByte(good, '.')], webidentity.ErrMalformed},
		{"alg none", seg(map[string]string{"alg": "none"}) + "." + seg(baseClaims()) + ".", webidentity.ErrAlgorithm},
		{"alg None", seg(map[string]string{"alg": "None"}) + "." + seg(baseClaims()) + ".", webidentity.ErrAlgorithm},
		{"HS256 with the public key as secret", hs256WithPublicKey(t, s.key.Public(), baseClaims()), webidentity.ErrAlgorithm},
		{"PS256", seg(map[string]string{"alg": "PS256"}) + "." + seg(baseClaims()) + ".c2ln", webidentity.ErrAlgorithm},
		{"huge", seg(map[string]string{"alg": "RS256"}) + "." + strings.Repeat("A", webidentity.MaxTokenLength) + ".c2ln", webidentity.ErrMalformed},
		{"nested JSON", seg(map[string]string{"alg": "RS256"}) + "." + b64.EncodeToString([]byte(`{"iss":"x","n":`+deep+`}`)) + ".c2ln", webidentity.ErrMalformed},
		{"claims not an object", seg(map[string]string{"alg": "RS256"}) + "." + b64.EncodeToString([]byte(`[1,2]`)) + ".c2ln", webidentity.ErrMalformed},
		{"header not JSON", b64.EncodeToString([]byte("{alg")) + "." + seg(baseClaims()) + ".c2ln", webidentity.ErrMalformed},
		{"exp as a string", s.sign(t, map[string]any{"iss": "x", "exp": "tomorrow"}), webidentity.ErrMalformed},
		{"exp with a fraction", s.sign(t, map[string]any{"iss": "x", "exp": 1.5}), webidentity.ErrMalformed},
		{"aud a number", s.sign(t, map[string]any{"iss": "x", "aud": 7}), webidentity.ErrMalformed},
		{"tags claim a string", s.sign(t, map[string]any{"iss": "x", "https://aws.amazon.com/tags": "team=blue"}), webidentity.ErrMalformed},
	}
	for _, tt := range tests {
		_, err := webidentity.Parse(tt.token)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: Parse = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestParseClaims(t *testing.T) {
	t.Parallel()
	s := ecSigner(t, "ec")
	claims := baseClaims()
	claims["aud"] = []string{"app", "other"}
	claims["amr"] = []string{"pwd", "mfa"}
	claims["azp"] = "app"
	claims["nbf"] = 1899999999
	claims["https://aws.amazon.com/tags"] = map[string]any{"principal_tags": map[string][]string{"team": {"blue"}}, "transitive_tag_keys": []string{"team"}}
	tok, err := webidentity.Parse(s.sign(t, claims))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	c := tok.Claims
	if tok.Algorithm != "ES256" || tok.KeyID != "ec" || c.Issuer != "https://idp.example" || c.Subject != "alice-0001" ||
		!cmp.Equal([]string(c.Audience), []string{"app", "other"}) || !cmp.Equal([]string(c.AMR), []string{"pwd", "mfa"}) ||
		c.AuthorizedParty != "app" || c.Expiry == nil || *c.Expiry != 2000000000 || c.NotBefore == nil || c.IssuedAt == nil {
		t.Errorf("token = %+v", tok)
	}
	if c.Tags == nil || !cmp.Equal(c.Tags.PrincipalTags, map[string][]string{"team": {"blue"}}) || !c.Has("aud") || c.Has("email") {
		t.Errorf("tags = %+v", c.Tags)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	rs, ec, other := rsaSigner(t, "r1"), ecSigner(t, "e1"), rsaSigner(t, "r1")
	keys := []jose.JSONWebKey{rs.jwk(), ec.jwk()}
	for _, s := range []signer{rs, ec} {
		tok, err := webidentity.Parse(s.sign(t, baseClaims()))
		if err != nil {
			t.Fatal(err)
		}
		if err := tok.Verify(keys); err != nil {
			t.Errorf("%s: Verify = %v", s.alg, err)
		}
	}
	// Same kid, different key: the signature fails.
	tok, _ := webidentity.Parse(other.sign(t, baseClaims()))
	if err := tok.Verify(keys); !errors.Is(err, webidentity.ErrSignature) {
		t.Errorf("foreign key under a known kid: %v, want ErrSignature", err)
	}
	unknown := rsaSigner(t, "r2")
	tok, _ = webidentity.Parse(unknown.sign(t, baseClaims()))
	if err := tok.Verify(keys); !errors.Is(err, webidentity.ErrUnknownKey) {
		t.Errorf("unknown kid: %v, want ErrUnknownKey", err)
	}
	// A tampered payload under a valid signature.
	good := rs.sign(t, baseClaims())
	parts := strings.Split(good, ".")
	c := baseClaims()
	c["sub"] = "mallory"
	tok, err := webidentity.Parse(parts[0] + "." + seg(c) + "." + parts[2])
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Verify(keys); !errors.Is(err, webidentity.ErrSignature) {
		t.Errorf("tampered claims: %v, want ErrSignature", err)
	}
}

// issuer serves a discovery document and a JWKS, counting JWKS fetches.
type issuer struct {
	srv     *httptest.Server
	keys    atomic.Pointer[[]jose.JSONWebKey]
	fetches atomic.Int32
}

func newIssuer(t *testing.T, tlsServer bool, keys ...jose.JSONWebKey) *issuer {
	t.Helper()
	is := &issuer{}
	is.keys.Store(&keys)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/jwks"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		is.fetches.Add(1)
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: *is.keys.Load()})
	})
	if tlsServer {
		is.srv = httptest.NewTLSServer(mux)
	} else {
		is.srv = httptest.NewServer(mux)
	}
	t.Cleanup(is.srv.Close)
	return is
}

func TestKeysCacheAndRefresh(t *testing.T) {
	t.Parallel()
	now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	s1, s2 := rsaSigner(t, "one"), rsaSigner(t, "two")
	is := newIssuer(t, false, s1.jwk())
	k := webidentity.NewKeys(webidentity.KeysConfig{TTL: time.Hour, Now: func() time.Time { return now }})
	ctx := t.Context()
	got, fetched, err := k.Get(ctx, is.srv.URL, nil, false)
	if err != nil || !fetched || len(got) != 1 || got[0].KeyID != "one" {
		t.Fatalf("Get = %v, %v, %v", got, fetched, err)
	}
	is.keys.Store(&[]jose.JSONWebKey{s2.jwk()})
	if got, fetched, _ := k.Get(ctx, is.srv.URL, nil, false); fetched || got[0].KeyID != "one" {
		t.Errorf("within TTL: fetched=%v kid=%s, want the cached key", fetched, got[0].KeyID)
	}
	if got, fetched, _ := k.Get(ctx, is.srv.URL, nil, true); !fetched || got[0].KeyID != "two" {
		t.Errorf("refresh: fetched=%v kid=%s, want the new key", fetched, got[0].KeyID)
	}
	now = now.Add(2 * time.Hour)
	if _, fetched, _ := k.Get(ctx, is.srv.URL, nil, false); !fetched {
		t.Errorf("after TTL: not fetched again")
	}
	if n := is.fetches.Load(); n != 3 {
		t.Errorf("%d JWKS fetches, want 3", n)
	}
}

func TestKeysThumbprint(t *testing.T) {
	t.Parallel()
	s := rsaSigner(t, "k")
	is := newIssuer(t, true, s.jwk())
	k := webidentity.NewKeys(webidentity.KeysConfig{})
	ctx := t.Context()
	right := iam.Thumbprint(is.srv.Certificate().Raw)
	if _, _, err := k.Get(ctx, is.srv.URL, []string{strings.Repeat("0", 40), right}, true); err != nil {
		t.Errorf("matching thumbprint: %v", err)
	}
	if _, _, err := k.Get(ctx, is.srv.URL, []string{strings.Repeat("0", 40)}, true); !errors.Is(err, webidentity.ErrThumbprint) {
		t.Errorf("stale thumbprint: %v, want ErrThumbprint", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(is.srv.Certificate())
	trusted := webidentity.NewKeys(webidentity.KeysConfig{TrustedRoots: pool})
	if _, _, err := trusted.Get(ctx, is.srv.URL, nil, true); err != nil {
		t.Errorf("trusted root, no thumbprint: %v", err)
	}
}

func TestKeysFetchFailures(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	k := webidentity.NewKeys(webidentity.KeysConfig{Timeout: 300 * time.Millisecond})
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	if _, _, err := k.Get(ctx, down.URL, nil, true); !errors.Is(err, webidentity.ErrFetch) {
		t.Errorf("closed port: %v, want ErrFetch", err)
	}
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)
	if _, _, err := k.Get(ctx, notFound.URL, nil, true); !errors.Is(err, webidentity.ErrFetch) {
		t.Errorf("404 discovery: %v, want ErrFetch", err)
	}
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); slow.Close() })
	if _, _, err := k.Get(ctx, slow.URL, nil, true); !errors.Is(err, webidentity.ErrTimeout) {
		t.Errorf("slow issuer: %v, want ErrTimeout", err)
	}
	if _, _, err := k.Get(ctx, "http://192.0.2.1:80", nil, true); !errors.Is(err, webidentity.ErrNotLoopback) {
		t.Errorf("non-loopback issuer: %v, want ErrNotLoopback", err)
	}
	private := ecSigner(t, "p")
	priv := jose.JSONWebKey{Key: private.key, KeyID: "p"}
	leaky := newIssuer(t, false, priv)
	if _, _, err := k.Get(ctx, leaky.srv.URL, nil, true); !errors.Is(err, webidentity.ErrFetch) {
		t.Errorf("JWKS with only a private key: %v, want ErrFetch", err)
	}
}
