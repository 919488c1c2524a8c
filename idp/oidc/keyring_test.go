package oidc_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/go-jose/go-jose/v4"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/idp/oidc"
)

func TestKeyringFilesRoundTrip(t *testing.T) {
	t.Parallel()
	keys := certstest.New()
	mk := func(alg jose.SignatureAlgorithm) *oidc.Key {
		t.Helper()
		k, err := oidc.NewKey(alg, keys, 0, nil)
		if err != nil {
			t.Fatalf("NewKey(%s): %v", alg, err)
		}
		return k
	}
	ring := &oidc.Keyring{Current: mk(jose.PS256), Next: mk(jose.ES384), Previous: []*oidc.Key{mk(jose.EdDSA), mk(jose.ES256)}}
	files, err := ring.Files()
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for n, b := range files {
		fsys[n] = &fstest.MapFile{Data: b}
	}
	got, err := oidc.LoadKeyring(fsys, jose.PS256)
	if err != nil {
		t.Fatalf("LoadKeyring: %v", err)
	}
	want := []*oidc.Key{ring.Current, ring.Next, ring.Previous[0], ring.Previous[1]}
	have := append([]*oidc.Key{got.Current, got.Next}, got.Previous...)
	if len(have) != len(want) {
		t.Fatalf("loaded %d keys, want %d", len(have), len(want))
	}
	for i := range want {
		if have[i] == nil || have[i].ID != want[i].ID || have[i].Algorithm != want[i].Algorithm {
			t.Errorf("key %d = %+v, want kid %s alg %s", i, have[i], want[i].ID, want[i].Algorithm)
		}
	}
	if _, ok := got.Next.Signer.(*ecdsa.PrivateKey); !ok {
		t.Errorf("next key is %T, want ECDSA", got.Next.Signer)
	}
	if _, ok := got.Previous[0].Signer.(ed25519.PrivateKey); !ok {
		t.Errorf("previous-1 is %T, want Ed25519", got.Previous[0].Signer)
	}
	if _, err := oidc.LoadKeyring(fstest.MapFS{}, ""); !errors.Is(err, oidc.ErrNoKeyring) {
		t.Errorf("empty directory: %v, want ErrNoKeyring", err)
	}
	bad := fstest.MapFS{"current.key": &fstest.MapFile{Data: []byte("not pem")}}
	if _, err := oidc.LoadKeyring(bad, ""); err == nil || !strings.Contains(err.Error(), "current.key") {
		t.Errorf("bad key file: %v, want an error naming current.key", err)
	}
}

// TestLoadSAMLKeyDirectory reads a SAML IdP key directory: the RSA keys
// sign ID tokens, the certificates are ignored.
func TestLoadSAMLKeyDirectory(t *testing.T) {
	t.Parallel()
	s, err := idp.New(idp.Config{EntityID: "https://idp.samlab.test/metadata", Keys: certstest.New()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StageRollover(); err != nil {
		t.Fatal(err)
	}
	files, err := s.Keyring().Files()
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for n, b := range files {
		fsys[n] = &fstest.MapFile{Data: b}
	}
	ring, err := oidc.LoadKeyring(fsys, "")
	if err != nil {
		t.Fatalf("LoadKeyring(SAML key directory): %v", err)
	}
	if ring.Current.Algorithm != jose.RS256 || ring.Next == nil {
		t.Fatalf("ring = %+v", ring)
	}
	if !s.SigningKey().Key.PublicKey.Equal(ring.Current.Signer.Public()) {
		t.Error("the current OIDC key is not the SAML signing key")
	}
	if _, err := oidc.LoadKeyring(fsys, jose.ES256); err == nil {
		t.Error("RSA keys loaded for ES256")
	}
}

func TestKeyFromSignerRefusesMismatches(t *testing.T) {
	t.Parallel()
	ec, err := oidc.NewKey(jose.ES256, nil, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := oidc.NewKey(jose.RS256, certstest.New(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		k    *oidc.Key
		alg  jose.SignatureAlgorithm
	}{
		{"P-256 for ES384", ec, jose.ES384},
		{"P-256 for RS256", ec, jose.RS256},
		{"RSA for ES256", rsaKey, jose.ES256},
		{"RSA for EdDSA", rsaKey, jose.EdDSA},
		{"RSA for HS256", rsaKey, jose.HS256},
		{"RSA for none", rsaKey, "none"},
	} {
		if _, err := oidc.KeyFromSigner(tc.k.Signer, tc.alg); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	if _, err := oidc.ParseAlgorithm("HS256"); err == nil {
		t.Error("ParseAlgorithm(HS256) accepted")
	}
	k2, err := oidc.KeyFromSigner(rsaKey.Signer, jose.RS256)
	if err != nil || k2.ID != rsaKey.ID {
		t.Errorf("kid is not stable: %v %v", k2, err)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	users := idp.DemoUsers()
	cfg := oidc.Config{Issuer: "http://127.0.0.1:1/idp/oidc", Users: users}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	bad := oidc.Config{Issuer: "http://127.0.0.1:1/idp/oidc/", Algorithm: "HS256", KeyBits: 512,
		Clients:         []oidc.Client{{ID: "a", RedirectURIs: []string{"/relative"}}, {ID: "a"}, {}},
		IDTokenLifetime: -1}
	err := bad.Validate()
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"trailing slash", "HS256", "key_bits 512", "users are required", "/relative",
		`client "a" is registered twice`, "client 3: id is required", "id_token_lifetime"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v\nmissing %q", err, want)
		}
	}
}
