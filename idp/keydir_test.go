package idp

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
)

func testKeyMaker(t *testing.T) func() (*certs.KeyPair, error) {
	src := certstest.New()
	return func() (*certs.KeyPair, error) { return certs.New(certs.WithKeySource(src), certs.WithSubject("test")) }
}

// The rotation policy, step by step through a safe rollover, on a key
// directory: created, staged, staged again (no change), switched to the
// staged key, switched to a new key at once; slot files follow the ring.
func TestRotateKeyDirPolicy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	newKey := testKeyMaker(t)
	fp := func(kp *certs.KeyPair) string { return certs.FingerprintSHA1(kp.Cert) }

	ring, c, err := RotateKeyDir(dir, true, newKey)
	if err != nil || c != KeysCreated || ring.Next != nil {
		t.Fatalf("first rotation: %v %v %+v", c, err, ring)
	}
	first := fp(ring.Current)
	ring, c, err = RotateKeyDir(dir, true, newKey)
	if err != nil || c != KeyStaged || ring.Next == nil || fp(ring.Current) != first {
		t.Fatalf("rollover: %v %v", c, err)
	}
	next := fp(ring.Next)
	if ring, c, err = RotateKeyDir(dir, true, newKey); err != nil || c != KeyAlreadyStaged || fp(ring.Next) != next {
		t.Fatalf("second rollover: %v %v", c, err)
	}
	ring, c, err = RotateKeyDir(dir, false, newKey)
	if err != nil || c != SwitchedToStaged || fp(ring.Current) != next || ring.Next != nil || fp(ring.Previous[0]) != first {
		t.Fatalf("rotate after rollover: %v %v", c, err)
	}
	ring, c, err = RotateKeyDir(dir, false, newKey)
	if err != nil || c != SwitchedToNew || fp(ring.Previous[0]) != next || len(ring.Previous) != 2 {
		t.Fatalf("rotate without rollover: %v %v", c, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"current.crt", "current.key", "previous-1.crt", "previous-1.key", "previous-2.crt", "previous-2.key"}
	if !slices.Equal(names, want) {
		t.Errorf("files %v, want %v (next.* removed after the switch)", names, want)
	}
	if st, err := os.Stat(filepath.Join(dir, "current.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("current.key mode: %v %v", st, err)
	}
	loaded, err := LoadKeyring(os.DirFS(dir))
	if err != nil || fp(loaded.Current) != fp(ring.Current) {
		t.Errorf("reloaded ring: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "current.crt"), []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := RotateKeyDir(dir, false, newKey); err == nil {
		t.Error("a directory with a bad certificate was rotated")
	}
}

// The live IdP follows the same policy, and SetKeyring restores saved keys.
func TestServerChangeKeysAndSetKeyring(t *testing.T) {
	s, err := New(Config{EntityID: "https://idp.test/metadata", Keys: certstest.New()})
	if err != nil {
		t.Fatal(err)
	}
	saved := s.Keyring()
	if c, err := s.ChangeKeys(true); err != nil || c != KeyStaged || len(s.PublishedCerts()) != 2 {
		t.Fatalf("stage: %v %v, %d published", c, err, len(s.PublishedCerts()))
	}
	if c, err := s.ChangeKeys(false); err != nil || c != SwitchedToStaged || len(s.PublishedCerts()) != 1 {
		t.Fatalf("rotate: %v %v", c, err)
	}
	if s.SigningKey() == saved.Current {
		t.Fatal("the signing key did not change")
	}
	if err := s.SetKeyring(saved); err != nil || s.SigningKey() != saved.Current || s.PreviousKey() != nil {
		t.Fatalf("SetKeyring: %v", err)
	}
	if err := s.SetKeyring(&Keyring{}); err == nil {
		t.Error("SetKeyring accepted a keyring without a current key")
	}
}

// SetUser changes what logins over HTTP get, keeps the user's password,
// gives a new user another user's password, and leaves earlier snapshots of
// the directory alone.
func TestServerSetUser(t *testing.T) {
	s, err := New(Config{EntityID: "https://idp.test/metadata", Keys: certstest.New(), Users: DemoUsers()})
	if err != nil {
		t.Fatal(err)
	}
	before := s.Users()
	alice, _ := before.User("alice")
	alice.RoleSessionName = "alice@example.com"
	s.SetUser(alice, "bob")
	s.SetUser(User{Name: "rosa", Roles: []Role{{RoleARN: "arn:aws:iam::123456789012:role/SAMLAdmin,arn:aws:iam::123456789012:saml-provider/Samlab"}}}, "alice")
	if u, err := s.Users().Authenticate("alice", "samlab"); err != nil || u.RoleSessionName != "alice@example.com" {
		t.Errorf("alice after SetUser: %+v %v", u, err)
	}
	u, err := s.Users().Authenticate("rosa", "samlab")
	if err != nil || u.Roles[0].Value() != "arn:aws:iam::123456789012:role/SAMLAdmin,arn:aws:iam::123456789012:saml-provider/Samlab" {
		t.Errorf("rosa with alice's password: %+v %v", u, err)
	}
	if _, err := s.Users().Authenticate("rosa", "wrong"); err == nil {
		t.Error("rosa logged in with a wrong password")
	}
	if _, ok := before.User("rosa"); ok {
		t.Error("SetUser changed an earlier snapshot of the directory")
	}
	if u, _ := before.User("alice"); u.RoleSessionName == "alice@example.com" {
		t.Error("SetUser changed alice in an earlier snapshot")
	}
	s.SetUser(User{Name: "nopass"}, "nobody")
	if _, err := s.Users().Authenticate("nopass", ""); err == nil {
		t.Error("a user without a password logged in")
	}
}
