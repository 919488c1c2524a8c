package sessiontoken

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestSealUnseal pins Seal and Unseal: a round trip for the same purpose,
// with the current key or one rotated out but still held; the sealed form's
// layout (key ID, nonce, ciphertext and tag); and each refusal with its
// error.
func TestSealUnseal(t *testing.T) {
	t.Parallel()
	kr := newKeyring(t, testAccount)
	plain := []byte(`{"allowed":false}`)
	sealed, err := kr.Seal("authz", plain)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		t.Fatalf("sealed %q is not URL-safe base64: %v", sealed, err)
	}
	// XChaCha20-Poly1305: a 24-byte nonce and a 16-byte tag.
	if want := idLen + 24 + len(plain) + 16; len(raw) != want {
		t.Errorf("sealed is %d bytes, want %d", len(raw), want)
	}
	if keys := kr.Keys(); len(keys) != 1 || !bytes.Equal(raw[:idLen], []byte{byte(keys[0].ID >> 24), byte(keys[0].ID >> 16), byte(keys[0].ID >> 8), byte(keys[0].ID)}) {
		t.Errorf("sealed starts %x, want the current key's ID", raw[:idLen])
	}
	if got, err := kr.Unseal("authz", sealed); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Unseal = %q, %v; want %q", got, err, plain)
	}
	again, err := kr.Seal("authz", plain)
	if err != nil || again == sealed {
		t.Errorf("two seals of one plaintext are equal (%v): the nonce must differ", err)
	}
	empty, err := kr.Seal("authz", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := kr.Unseal("authz", empty); err != nil || len(got) != 0 {
		t.Errorf("Unseal of an empty plaintext = %q, %v", got, err)
	}

	if err := kr.Rotate(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := kr.Unseal("authz", sealed); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("Unseal with the retired key = %q, %v; want the plaintext", got, err)
	}
	fresh, err := kr.Seal("authz", plain)
	if err != nil {
		t.Fatal(err)
	}
	if raw2, _ := base64.RawURLEncoding.DecodeString(fresh); bytes.Equal(raw2[:idLen], raw[:idLen]) {
		t.Errorf("after Rotate, Seal still uses the old key %x", raw2[:idLen])
	}

	flip := func(s string, i int) string {
		b, _ := base64.RawURLEncoding.DecodeString(s)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	short := base64.RawURLEncoding.EncodeToString(raw[:idLen+24+16-1])
	other := newKeyring(t, testAccount)
	foreign, err := other.Seal("authz", plain)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, purpose, sealed string
		want                  error
		msg                   string
	}{
		{"another purpose", "other", sealed, ErrForged, "sealed other"},
		{"a flipped ciphertext bit", "authz", flip(sealed, len(raw)-1), ErrForged, ""},
		{"a flipped nonce bit", "authz", flip(sealed, idLen), ErrForged, ""},
		{"not base64", "authz", "!!", ErrMalformed, ""},
		{"padded base64", "authz", sealed + "=", ErrMalformed, ""},
		{"three bytes", "authz", base64.RawURLEncoding.EncodeToString(raw[:3]), ErrMalformed, "3 bytes"},
		{"the key ID alone", "authz", base64.RawURLEncoding.EncodeToString(raw[:idLen]), ErrMalformed, "0 bytes after the key ID"},
		{"one byte short of nonce and tag", "authz", short, ErrMalformed, "39 bytes after the key ID"},
		{"another keyring's key", "authz", foreign, ErrUnknownKey, "account " + testAccount},
	} {
		got, err := kr.Unseal(tt.purpose, tt.sealed)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Unseal of %s = %q, %v; want %v %s", tt.name, got, err, tt.want, tt.msg)
		}
	}
	// Nonce and tag with no ciphertext is the shortest sealed form: it
	// reaches the AEAD, which refuses it as forged, not as too short.
	if _, err := kr.Unseal("authz", base64.RawURLEncoding.EncodeToString(raw[:idLen+24+16])); !errors.Is(err, ErrForged) {
		t.Errorf("Unseal of nonce and tag alone = %v, want %v", err, ErrForged)
	}
}

// TestSealFailingRandomness: a nonce that cannot be read fails Seal.
func TestSealFailingRandomness(t *testing.T) {
	t.Parallel()
	kr, err := New(testAccount, bytes.NewReader(make([]byte, 200)), t0)
	if err != nil {
		t.Fatal(err)
	}
	kr.rand = bytes.NewReader(make([]byte, 10))
	if _, err := kr.Seal("authz", []byte("x")); err == nil || !strings.Contains(err.Error(), "nonce") {
		t.Errorf("Seal with 10 bytes of randomness = %v, want a nonce error", err)
	}
}
