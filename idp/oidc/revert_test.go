package oidc_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/samlab-dev/samlab/idp/oidc"
)

// Revert undoes a switch: the retired key signs again (tokens name its kid),
// and the JWKS publishes it and, as next, the key that was current; a later
// Rotate goes back to that key. Revert refuses with nothing to revert to and
// with a next key already staged.
func TestRevert(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	alice := demoUser(t, "alice")
	if _, err := s.provider.Revert(""); !errors.Is(err, oidc.ErrNothingToRevert) {
		t.Fatalf("Revert before any rotation: %v, want ErrNothingToRevert", err)
	}
	k1 := s.provider.Keyring().Current
	k2, err := s.provider.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	back, err := s.provider.Revert("")
	if err != nil {
		t.Fatalf("Revert: %v", err)
	}
	if back.ID != k1.ID {
		t.Fatalf("Revert returned %s, want the retired key %s", back.ID, k1.ID)
	}
	if got := kids(fetchJWKS(t, s)); !cmp.Equal(got, []string{k1.ID, k2.ID}) {
		t.Fatalf("JWKS after revert = %v, want current %s then next %s", got, k1.ID, k2.ID)
	}
	tok, err := s.provider.IDToken(alice, oidc.TokenOptions{Audience: testClientID})
	if err != nil {
		t.Fatal(err)
	}
	if kidOf(t, tok) != k1.ID {
		t.Fatalf("after revert the token's kid is %s, want %s", kidOf(t, tok), k1.ID)
	}
	if r := s.provider.Keyring(); len(r.Previous) != 0 {
		t.Errorf("previous keys after revert: %d, want 0", len(r.Previous))
	}
	if _, err := s.provider.Revert(""); !errors.Is(err, oidc.ErrNothingToRevert) {
		t.Errorf("second Revert: %v, want ErrNothingToRevert", err)
	}
	k, err := s.provider.Rotate()
	if err != nil || k.ID != k2.ID {
		t.Fatalf("Rotate after revert: %v, %v; want the staged key %s", k, err, k2.ID)
	}
	if _, err := s.provider.StageRollover(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.provider.Revert(""); !errors.Is(err, oidc.ErrNextStaged) {
		t.Errorf("Revert with a staged key: %v, want ErrNextStaged", err)
	}
	// Two switches later, the key retired first is named by its kid.
	k4, err := s.provider.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.provider.Revert("no-such-kid"); !errors.Is(err, oidc.ErrUnknownPrevious) {
		t.Errorf("Revert to an unknown kid: %v, want ErrUnknownPrevious", err)
	}
	back, err = s.provider.Revert(k1.ID)
	if err != nil || back.ID != k1.ID {
		t.Fatalf("Revert(%s): %v, %v", k1.ID, back, err)
	}
	r := s.provider.Keyring()
	if r.Current.ID != k1.ID || r.Next.ID != k4.ID || len(r.Previous) != 1 || r.Previous[0].ID != k2.ID {
		t.Errorf("after Revert(k1): current %s next %s previous %v; want %s %s [%s]", r.Current.ID, r.Next.ID, r.Previous, k1.ID, k4.ID, k2.ID)
	}
}

// SetKeyring replaces the keys the provider signs with and publishes, and
// refuses an empty keyring or keys of another algorithm.
func TestSetKeyring(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	other := newStack(t, nil)
	if _, err := other.provider.StageRollover(); err != nil {
		t.Fatal(err)
	}
	ring := other.provider.Keyring()
	if err := s.provider.SetKeyring(ring); err != nil {
		t.Fatalf("SetKeyring: %v", err)
	}
	if got := kids(fetchJWKS(t, s)); !cmp.Equal(got, []string{ring.Current.ID, ring.Next.ID}) {
		t.Fatalf("JWKS = %v, want %s %s", got, ring.Current.ID, ring.Next.ID)
	}
	if err := s.provider.SetKeyring(&oidc.Keyring{}); err == nil {
		t.Error("SetKeyring accepted a keyring without a current key")
	}
	es := newStack(t, func(c *oidc.Config) { c.Algorithm = "ES256" })
	if err := s.provider.SetKeyring(es.provider.Keyring()); err == nil {
		t.Error("SetKeyring accepted ES256 keys for an RS256 provider")
	}
}
