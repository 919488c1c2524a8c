package sessiontoken

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fuzzKeyring is the fixed keyring the committed seed tokens in
// testdata/fuzz/FuzzOpen were sealed with (key 0x5a5a5a5a, all-0x42 secret),
// plus a retired key, so the fuzzer starts from tokens that open.
const fuzzKeyring = `{"version":1,"keys":[` +
	`{"id":1,"secret":"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=","created":"2030-01-01T00:00:00Z","retired":"2030-01-01T06:00:00Z"},` +
	`{"id":1515870810,"secret":"QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=","created":"2030-01-01T06:00:00Z"}]}`

func newFuzzKeyring(t testing.TB) *Keyring {
	t.Helper()
	kr, err := parse(testAccount, nil, []byte(fuzzKeyring), t0)
	if err != nil {
		t.Fatalf("parse fuzz keyring: %v", err)
	}
	return kr
}

// FuzzOpen feeds arbitrary (access key ID, token) pairs to Open, the decoder
// every signed request with temporary credentials reaches. Properties: no
// panic; every error is one of ErrMalformed, ErrUnknownKey, ErrForged; a
// token that opens yields a 40-character secret, and its claims sealed again
// open to the same claims. Seeds: tokens of the fixed keyring (f.Add and
// testdata/fuzz/FuzzOpen) and near misses.
func FuzzOpen(f *testing.F) {
	kr := newFuzzKeyring(f)
	tok, _, err := kr.Issue(testAKID, testClaims())
	if err != nil {
		f.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(tok)
	f.Add(testAKID, tok)
	f.Add("ASIAEXAMPLEEXAMPLE24", tok)
	f.Add(testAKID, tok[:len(tok)-4])
	f.Add(testAKID, base64.StdEncoding.EncodeToString(raw[:headerLen+24]))
	f.Add(testAKID, "IQoJb3JpZ2luX2Vj")
	f.Add(testAKID, "")
	f.Add("", "FwoGZXIvYXdzEBYaDHhqpy2T4Bz/7M4FYiKoAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, akid, token string) {
		c, secret, err := kr.Open(akid, token)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrForged) {
				t.Fatalf("Open(%q, %q) = %v, not one of the documented errors", akid, token, err)
			}
			return
		}
		if len(secret) != SecretLength {
			t.Fatalf("Open(%q, %q) secret %q has length %d", akid, token, secret, len(secret))
		}
		again, _, err := kr.Issue(akid, c)
		if err != nil {
			t.Fatalf("Issue(claims of an opened token): %v", err)
		}
		c2, _, err := kr.Open(akid, again)
		if err != nil {
			t.Fatalf("Open(reissued token): %v", err)
		}
		if d := cmp.Diff(c, c2); d != "" {
			t.Fatalf("claims changed through Issue/Open (-first +second):\n%s", d)
		}
	})
}
