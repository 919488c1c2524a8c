// Package webidentity reads and verifies the JSON Web Tokens that STS
// AssumeRoleWithWebIdentity accepts: Parse decodes a token without trusting
// it, Keys fetches and caches an issuer's JSON Web Key Set over loopback
// HTTP(S) with IAM's thumbprint rule, and Verify checks the signature. It
// knows nothing of IAM, roles or the wire: package sts maps its errors to
// AWS's codes and messages.
//
// The JOSE work (compact serialization, algorithm allow-list, RSA and ECDSA
// verification, JWK decoding) is go-jose's, a widely used and fuzzed
// library; this package adds AWS's rules around it.
package webidentity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// MaxTokenLength is the longest WebIdentityToken STS accepts (service model
// clientTokenType, 4–20000).
const MaxTokenLength = 20000

// maxDepth bounds the nesting of the claims JSON. AWS's limit is unknown
// (unverified); 32 levels is far more than any real claim set uses.
const maxDepth = 32

// Algorithms are the signature algorithms STS accepts (STS API reference,
// WebIdentityToken: "Tokens must be signed using either RSA keys (RS256,
// RS384, or RS512) or ECDSA keys (ES256, ES384, or ES512)").
var Algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512}

// Errors Parse wraps; callers branch on them with errors.Is.
var (
	// ErrMalformed: not a compact JWS with a JSON object header and payload,
	// or a claim of the wrong type.
	ErrMalformed = errors.New("malformed token")
	// ErrAlgorithm: alg is not one STS accepts (none, HS256, PS256, EdDSA…).
	ErrAlgorithm = errors.New("unsupported signature algorithm")
)

// Token is a parsed JWT whose signature has not been checked yet.
type Token struct {
	// Algorithm and KeyID are the protected header's alg and kid.
	Algorithm string
	KeyID     string
	Claims    Claims

	jws *jose.JSONWebSignature
}

// Claims are the claims STS reads. Times are whole seconds since the epoch;
// a nil pointer means the claim is absent.
type Claims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience Audience `json:"aud"`
	// AuthorizedParty is azp.
	AuthorizedParty string     `json:"azp"`
	Expiry          *Timestamp `json:"exp"`
	NotBefore       *Timestamp `json:"nbf"`
	IssuedAt        *Timestamp `json:"iat"`
	// AMR is the authentication methods reference, a string or a list.
	AMR Audience `json:"amr"`
	// Tags is the "https://aws.amazon.com/tags" claim, nil when absent.
	Tags *SessionTags `json:"https://aws.amazon.com/tags"`
	// SourceIdentity is the "https://aws.amazon.com/source_identity" claim.
	SourceIdentity *string `json:"https://aws.amazon.com/source_identity"`

	present map[string]bool
	raw     map[string]json.RawMessage
}

// Has reports whether the claim name was in the token (with any value).
func (c *Claims) Has(name string) bool { return c.present[name] }

// Raw returns the JSON of the claim name as the token has it, for claims
// Claims has no field for (custom claims such as cognito:roles or groups).
func (c *Claims) Raw(name string) (json.RawMessage, bool) {
	v, ok := c.raw[name]
	return v, ok
}

// SessionTags is the shape of the "https://aws.amazon.com/tags" claim (IAM
// User Guide, "Passing session tags using AssumeRoleWithWebIdentity"): each
// principal tag value is a one-element list.
type SessionTags struct {
	PrincipalTags     map[string][]string `json:"principal_tags"`
	TransitiveTagKeys []string            `json:"transitive_tag_keys"`
}

// Audience is a JSON string or a list of strings (aud, amr).
type Audience []string

// UnmarshalJSON implements json.Unmarshaler.
func (a *Audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = Audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("want a string or a list of strings")
	}
	*a = many
	return nil
}

// Timestamp is a NumericDate (RFC 7519 §2) in whole seconds. STS accepts
// "an integer or a long integer" (API reference); a fraction is malformed.
type Timestamp int64

// UnmarshalJSON implements json.Unmarshaler.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("want a number of seconds")
	}
	i, err := n.Int64()
	if err != nil {
		f, ferr := n.Float64()
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return errors.New("want an integer number of seconds")
		}
		i = int64(f)
	}
	*t = Timestamp(i)
	return nil
}

// Time returns t as a time.Time.
func (t Timestamp) Time() time.Time { return time.Unix(int64(t), 0).UTC() }

// Parse decodes a compact JWS and its claims without verifying anything but
// their form: three base64url parts, a JSON header whose alg STS accepts, and
// a JSON object payload whose standard claims have the right types. Errors
// wrap ErrMalformed or ErrAlgorithm and say what was wrong.
func Parse(raw string) (*Token, error) {
	if len(raw) > MaxTokenLength {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(raw), MaxTokenLength)
	}
	if strings.Count(raw, ".") != 2 {
		return nil, fmt.Errorf("%w: want three dot-separated parts, got %d", ErrMalformed, strings.Count(raw, ".")+1)
	}
	// Read alg ourselves first, so "none" and HMAC get their own error
	// rather than go-jose's generic one.
	alg, err := headerAlg(raw[:strings.IndexByte(raw, '.')])
	if err != nil {
		return nil, err
	}
	if !accepted(alg) {
		return nil, fmt.Errorf("%w: alg %q (accepted: RS256, RS384, RS512, ES256, ES384, ES512)", ErrAlgorithm, alg)
	}
	jws, err := jose.ParseSignedCompact(raw, Algorithms)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("%w: want one signature", ErrMalformed)
	}
	payload := jws.UnsafePayloadWithoutVerification()
	claims, err := parseClaims(payload)
	if err != nil {
		return nil, err
	}
	h := jws.Signatures[0].Protected
	return &Token{Algorithm: h.Algorithm, KeyID: h.KeyID, Claims: *claims, jws: jws}, nil
}

func accepted(alg string) bool {
	for _, a := range Algorithms {
		if string(a) == alg {
			return true
		}
	}
	return false
}

func headerAlg(seg string) (string, error) {
	b, err := decodeSegment(seg)
	if err != nil {
		return "", fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(b, &h); err != nil {
		return "", fmt.Errorf("%w: header is not a JSON object: %v", ErrMalformed, err)
	}
	var alg string
	if err := json.Unmarshal(h["alg"], &alg); err != nil || alg == "" {
		return "", fmt.Errorf("%w: header has no alg string", ErrMalformed)
	}
	return alg, nil
}

func decodeSegment(seg string) ([]byte, error) {
	return base64URL.DecodeString(strings.TrimRight(seg, "="))
}

func parseClaims(payload []byte) (*Claims, error) {
	if err := checkDepth(payload); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", ErrMalformed, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(payload, &raw); err != nil {
		return nil, fmt.Errorf("%w: claims are not a JSON object: %v", ErrMalformed, err)
	}
	c := &Claims{present: make(map[string]bool, len(raw)), raw: raw}
	for k := range raw {
		c.present[k] = true
	}
	// Decode claim by claim so the error names the claim.
	fields := []struct {
		name string
		dst  any
	}{
		{"iss", &c.Issuer}, {"sub", &c.Subject}, {"aud", &c.Audience}, {"azp", &c.AuthorizedParty},
		{"exp", &c.Expiry}, {"nbf", &c.NotBefore}, {"iat", &c.IssuedAt}, {"amr", &c.AMR},
		{"https://aws.amazon.com/tags", &c.Tags}, {"https://aws.amazon.com/source_identity", &c.SourceIdentity},
	}
	for _, f := range fields {
		v, ok := raw[f.name]
		if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			continue
		}
		if err := json.Unmarshal(v, f.dst); err != nil {
			return nil, fmt.Errorf("%w: claim %s: %v", ErrMalformed, f.name, err)
		}
	}
	return c, nil
}

// checkDepth refuses JSON nested deeper than maxDepth.
func checkDepth(b []byte) error {
	depth := 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > maxDepth {
				return fmt.Errorf("nested deeper than %d levels", maxDepth)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}
