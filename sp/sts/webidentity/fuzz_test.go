package webidentity_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/samlab-dev/samlab/sp/sts/webidentity"
)

// FuzzParse feeds Parse arbitrary tokens. Properties: no panic; a refusal
// wraps ErrMalformed or ErrAlgorithm; an accepted token is at most
// MaxTokenLength bytes, has an alg STS accepts, parses the same way twice,
// gives every present claim's JSON through Raw, and its signature checks
// end in ErrUnknownKey or ErrSignature against a key that did not sign it,
// never in success. Seeds: the f.Add tokens below
// (signed by go-jose) and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	rs := rsaSigner(f, "seed-rsa")
	ec := ecSigner(f, "seed-ec")
	full := baseClaims()
	full["amr"] = []string{"pwd"}
	full["https://aws.amazon.com/tags"] = map[string]any{"principal_tags": map[string][]string{"team": {"blue"}}}
	f.Add(rs.sign(f, full))
	f.Add(ec.sign(f, baseClaims()))
	f.Add(hs256WithPublicKey(f, rs.key.Public(), baseClaims()))
	stranger := ecSigner(f, "seed-ec")
	keys := []jose.JSONWebKey{stranger.jwk()}
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := webidentity.Parse(raw)
		if err != nil {
			if !errors.Is(err, webidentity.ErrMalformed) && !errors.Is(err, webidentity.ErrAlgorithm) {
				t.Fatalf("Parse(%q) = %v, want ErrMalformed or ErrAlgorithm", raw, err)
			}
			return
		}
		if len(raw) > webidentity.MaxTokenLength {
			t.Fatalf("accepted a %d-byte token", len(raw))
		}
		if !slices.Contains(webidentity.Algorithms, jose.SignatureAlgorithm(tok.Algorithm)) {
			t.Fatalf("accepted alg %q", tok.Algorithm)
		}
		again, err := webidentity.Parse(raw)
		if err != nil {
			t.Fatalf("second Parse failed: %v", err)
		}
		a, _ := json.Marshal(tok.Claims)
		b, _ := json.Marshal(again.Claims)
		if string(a) != string(b) {
			t.Fatalf("Parse is not deterministic: %s vs %s", a, b)
		}
		for _, name := range []string{"aud", "azp", "cognito:roles", "groups"} {
			if v, ok := tok.Claims.Raw(name); ok != tok.Claims.Has(name) || (ok && !json.Valid(v)) {
				t.Fatalf("claim %s: Raw = %q, %v; Has = %v", name, v, ok, tok.Claims.Has(name))
			}
		}
		if err := tok.Verify(keys); err == nil {
			t.Fatalf("a token not signed by the stranger's key verified: %q", raw)
		} else if !errors.Is(err, webidentity.ErrUnknownKey) && !errors.Is(err, webidentity.ErrSignature) {
			t.Fatalf("Verify = %v, want ErrUnknownKey or ErrSignature", err)
		}
	})
}
