package sessiontoken

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	testAccount = "123456789012"
	testAKID    = "ASIAEXAMPLEEXAMPLE23"
)

var t0 = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

func testClaims() Claims {
	return Claims{RoleARN: "arn:aws:iam::123456789012:role/team/SAMLAdmin", RoleID: "AROAEXAMPLEEXAMPLE234",
		SessionName: "alice@example.com", SourceIdentity: "alice", Tags: map[string]string{"Project": "blue", "CostCenter": "42"},
		TransitiveTagKeys: []string{"Project"}, IssuedAt: t0, Expires: t0.Add(time.Hour)}
}

func newKeyring(t *testing.T, account string) *Keyring {
	t.Helper()
	kr, err := New(account, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func issue(t *testing.T, kr *Keyring, akid string, c Claims) (string, string) {
	t.Helper()
	tok, secret, err := kr.Issue(akid, c)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return tok, secret
}

func TestIssueOpenRoundTrip(t *testing.T) {
	t.Parallel()
	kr := newKeyring(t, testAccount)
	want := testClaims()
	want.MFA, want.Chained = true, true
	tok, secret := issue(t, kr, testAKID, want)
	if !strings.HasPrefix(tok, "IQoJb3JpZ2luX2Vj") {
		t.Errorf("token %q lacks AWS's IQoJb3JpZ2luX2Vj prefix", tok[:20])
	}
	if len(secret) != SecretLength {
		t.Errorf("secret length = %d, want %d", len(secret), SecretLength)
	}
	if _, err := base64.StdEncoding.DecodeString(tok); err != nil {
		t.Errorf("token is not standard base64: %v", err)
	}
	got, gotSecret, err := kr.Open(testAKID, tok)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Open claims (-want +got):\n%s", d)
	}
	if gotSecret != secret {
		t.Errorf("Open secret = %q, want the issued %q", gotSecret, secret)
	}
	// Transitive keys that are no tags (STS never issues them) keep their
	// names.
	odd := testClaims()
	odd.TransitiveTagKeys = []string{"Project", "NotATag"}
	tok3, _ := issue(t, kr, testAKID, odd)
	if got, _, err := kr.Open(testAKID, tok3); err != nil || !cmp.Equal(got.TransitiveTagKeys, odd.TransitiveTagKeys) {
		t.Errorf("Open(transitive keys %q) = %q, %v", odd.TransitiveTagKeys, got.TransitiveTagKeys, err)
	}
	tok2, secret2 := issue(t, kr, testAKID, want)
	if tok2 == tok || secret2 == secret {
		t.Error("two tokens of the same claims are equal: the nonce is not random")
	}
}

// TestOpenRejects covers every way a token can fail, with the error a caller
// maps to InvalidClientTokenId.
func TestOpenRejects(t *testing.T) {
	t.Parallel()
	kr := newKeyring(t, testAccount)
	tok, _ := issue(t, kr, testAKID, testClaims())
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		return base64.StdEncoding.EncodeToString(b)
	}
	other := newKeyring(t, "210987654321")
	otherTok, _ := issue(t, other, testAKID, testClaims())
	// Same key bytes, other account: the account is authenticated data.
	sameKeyOtherAccount := &Keyring{account: "210987654321", rand: kr.rand, keys: kr.keys}
	tests := []struct {
		name, akid, token string
		want              error
	}{
		{"empty", testAKID, "", ErrMalformed},
		{"not base64", testAKID, "IQoJb3JpZ2luX2Vj!!!", ErrMalformed},
		{"random base64", testAKID, base64.StdEncoding.EncodeToString([]byte("FwoGZXIvYXdzEJr//////////wEaDM")), ErrMalformed},
		{"header only", testAKID, base64.StdEncoding.EncodeToString(raw[:headerLen]), ErrMalformed},
		{"truncated by one byte", testAKID, base64.StdEncoding.EncodeToString(raw[:len(raw)-1]), ErrForged},
		{"truncated mid-nonce", testAKID, base64.StdEncoding.EncodeToString(raw[:headerLen+10]), ErrMalformed},
		{"truncated base64", testAKID, tok[:len(tok)-3], ErrMalformed},
		{"wrong version", testAKID, flip(prefixLen), ErrMalformed},
		{"unknown key id", testAKID, flip(prefixLen + 1), ErrUnknownKey},
		{"flipped ciphertext bit", testAKID, flip(len(raw) - 20), ErrForged},
		{"flipped tag bit", testAKID, flip(len(raw) - 1), ErrForged},
		{"other access key id", "ASIAEXAMPLEEXAMPLE24", tok, ErrForged},
		{"other account's keyring", testAKID, otherTok, ErrUnknownKey},
		{"too long", testAKID, tok + strings.Repeat("A", MaxTokenLength), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, _, err := kr.Open(tc.akid, tc.token); !errors.Is(err, tc.want) {
				t.Errorf("Open(%q…) = %v, want %v", trim(tc.token), err, tc.want)
			}
		})
	}
	t.Run("same key under another account", func(t *testing.T) {
		t.Parallel()
		if _, _, err := sameKeyOtherAccount.Open(testAKID, tok); !errors.Is(err, ErrForged) {
			t.Errorf("Open = %v, want %v", err, ErrForged)
		}
	})
}

func trim(s string) string {
	if len(s) > 24 {
		return s[:24]
	}
	return s
}

// memStore is a Store in memory, as the state database's settings bucket.
type memStore struct {
	mu   sync.Mutex
	m    map[string][]byte
	fail error
}

func (s *memStore) Meta(key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key], nil
}

func (s *memStore) SetMeta(key string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	s.m[key] = append([]byte(nil), v...)
	return nil
}

// TestRotation: after Rotate, new tokens use the new key, tokens of the old
// key still open (also from the stored keyring, as after a restart), and the
// old key is dropped RetiredKeyLifetime after its retirement.
func TestRotation(t *testing.T) {
	t.Parallel()
	store := &memStore{}
	kr, err := Open(store, testAccount, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	oldTok, oldSecret := issue(t, kr, testAKID, testClaims())
	if err := kr.Rotate(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	newTok, _ := issue(t, kr, testAKID, testClaims())
	if oldTok[16:24] == newTok[16:24] {
		t.Errorf("tokens before and after Rotate name the same key: %s", newTok[16:24])
	}
	restarted, err := Open(store, testAccount, nil, t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string]*Keyring{"rotated": kr, "reopened": restarted} {
		if _, secret, err := k.Open(testAKID, oldTok); err != nil || secret != oldSecret {
			t.Errorf("%s keyring: Open(old token) = %v (secret match %t), want it to open", name, err, secret == oldSecret)
		}
		if _, _, err := k.Open(testAKID, newTok); err != nil {
			t.Errorf("%s keyring: Open(new token) = %v", name, err)
		}
	}
	if got := len(restarted.Keys()); got != 2 {
		t.Errorf("stored keyring has %d keys, want 2", got)
	}
	// Rotating again after the retired key's lifetime drops it.
	if err := kr.Rotate(t0.Add(time.Hour + RetiredKeyLifetime)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := kr.Open(testAKID, oldTok); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Open(token of a key retired %s ago) = %v, want %v", RetiredKeyLifetime, err, ErrUnknownKey)
	}
	if _, _, err := kr.Open(testAKID, newTok); err != nil {
		t.Errorf("Open(token of the key retired just now) = %v", err)
	}
	late, err := Open(store, testAccount, nil, t0.Add(3*time.Hour+RetiredKeyLifetime))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(late.Keys()); n != 2 {
		t.Errorf("keyring reopened later holds %d keys, want 2 (the first is past its lifetime)", n)
	}
}

func TestRotateFailedWriteChangesNothing(t *testing.T) {
	t.Parallel()
	store := &memStore{}
	kr, err := Open(store, testAccount, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	before := kr.Keys()
	store.fail = errors.New("disk full")
	if err := kr.Rotate(t0.Add(time.Hour)); err == nil {
		t.Fatal("Rotate with a failing store succeeded")
	}
	if d := cmp.Diff(before, kr.Keys()); d != "" {
		t.Errorf("keys changed by a failed Rotate (-before +after):\n%s", d)
	}
}

func TestOpenStoreErrors(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{`{`, `{"version":2,"keys":[]}`, `{"version":1,"keys":[]}`,
		`{"version":1,"keys":[{"id":1,"secret":"AAAA","created":"2030-01-01T00:00:00Z"}]}`,
		`{"version":1,"keys":[{"id":1,"secret":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","created":"2030-01-01T00:00:00Z","retired":"2030-01-01T00:00:00Z"}]}`} {
		store := &memStore{m: map[string][]byte{metaKey(testAccount): []byte(raw)}}
		if _, err := Open(store, testAccount, nil, t0); err == nil {
			t.Errorf("Open(stored %s) succeeded, want an error", raw)
		}
	}
}

// TestTokenSizes: a typical SAML session's token is about the size of AWS's
// (under 1 KiB), and the largest session AssumeRoleWithSAML accepts (50
// tags filling the 2,048-byte packed limit, all transitive, names at their
// maximum, a role path of 512 characters) stays under MaxTokenLength and
// under the 8 KiB header limit of common proxies.
func TestTokenSizes(t *testing.T) {
	t.Parallel()
	kr := newKeyring(t, testAccount)
	typical, _ := issue(t, kr, testAKID, testClaims())
	if len(typical) > 1024 {
		t.Errorf("typical token is %d characters, want at most 1024", len(typical))
	}
	big := testClaims()
	big.RoleARN = "arn:aws-us-gov:iam::123456789012:role/" + strings.Repeat("p/", 255) + "/" + strings.Repeat("R", 64)
	big.SessionName, big.SourceIdentity = strings.Repeat("s", 64), strings.Repeat("i", 64)
	big.Tags, big.TransitiveTagKeys = map[string]string{}, nil
	for i := range 50 { // 50 × (8 + 33) = 2,050 > 2,048: the last value one shorter
		k, v := fmt.Sprintf("Key%05d", i), strings.Repeat("v", 33)
		if i == 49 {
			v = v[:31]
		}
		big.Tags[k] = v
		big.TransitiveTagKeys = append(big.TransitiveTagKeys, k)
	}
	largest, _ := issue(t, kr, testAKID, big)
	if len(largest) > MaxTokenLength || len(largest) > 8192 {
		t.Errorf("largest token is %d characters, want at most %d", len(largest), MaxTokenLength)
	}
	if _, _, err := kr.Open(testAKID, largest); err != nil {
		t.Errorf("Open(largest token) = %v", err)
	}
	t.Logf("token sizes: typical %d, largest %d characters", len(typical), len(largest))
}
