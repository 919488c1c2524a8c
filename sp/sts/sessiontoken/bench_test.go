package sessiontoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"testing"
)

// BenchmarkSessionToken measures sealing and opening a typical SAML
// session's token against a baseline run in the same process: one
// HMAC-SHA256 of the token, what a stored-session lookup would at least
// cost to compare secrets. Compare the ns/op ratios, not absolute numbers.
func BenchmarkSessionToken(b *testing.B) {
	kr := newFuzzKeyring(b)
	c := testClaims()
	tok, _, err := kr.Issue(testAKID, c)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline-hmac", func(b *testing.B) {
		key := make([]byte, 32)
		for b.Loop() {
			m := hmac.New(sha256.New, key)
			m.Write([]byte(tok))
			m.Sum(nil)
		}
	})
	b.Run("issue", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := kr.Issue(testAKID, c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := kr.Open(testAKID, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
