package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"

	"github.com/go-jose/go-jose/v4"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/idp"
)

// DefaultAlgorithm is the ID-token signing algorithm unless configured
// otherwise: RS256, the one every OpenID Connect relying party must accept
// (OpenID Connect Core 1.0 §15.1).
const DefaultAlgorithm = jose.RS256

// algorithms lists the signing algorithms the provider can use, in the order
// discovery publishes them.
var algorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
	jose.EdDSA,
}

// Algorithms returns the names of the signing algorithms the provider
// supports.
func Algorithms() []string {
	out := make([]string, len(algorithms))
	for i, a := range algorithms {
		out[i] = string(a)
	}
	return out
}

// ParseAlgorithm checks an algorithm name (JWA, RFC 7518 §3.1). The empty
// name is DefaultAlgorithm; "none" and the HMAC algorithms are refused: an
// identity provider signs with a private key its relying parties cannot
// forge with.
func ParseAlgorithm(s string) (jose.SignatureAlgorithm, error) {
	if s == "" {
		return DefaultAlgorithm, nil
	}
	if a := jose.SignatureAlgorithm(s); slices.Contains(algorithms, a) {
		return a, nil
	}
	return "", fmt.Errorf("unsupported signing algorithm %q (supported: %v)", s, Algorithms())
}

// MaxPreviousKeys is how many retired keys a Keyring keeps, as the SAML
// keyring does.
const MaxPreviousKeys = 5

// Key is one signing key: its key ID (kid), algorithm and private key.
type Key struct {
	// ID is the key's "kid": its RFC 7638 JWK thumbprint (SHA-256,
	// base64url), so the same key always has the same ID.
	ID string
	// Algorithm is the JWS algorithm the key signs with.
	Algorithm jose.SignatureAlgorithm
	// Signer is an *rsa.PrivateKey, an *ecdsa.PrivateKey or an
	// ed25519.PrivateKey matching Algorithm.
	Signer crypto.Signer
}

// NewKey makes a fresh key for alg: RSA keys (RS*, PS*) of bits come from
// rsaKeys (certs.GeneratedKeys when nil), elliptic-curve and Ed25519 keys
// from random (crypto/rand when nil).
func NewKey(alg jose.SignatureAlgorithm, rsaKeys certs.KeySource, bits int, random io.Reader) (*Key, error) {
	if random == nil {
		random = rand.Reader
	}
	var signer crypto.Signer
	var err error
	switch alg {
	case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
		if rsaKeys == nil {
			rsaKeys = certs.GeneratedKeys{}
		}
		if bits == 0 {
			bits = certs.DefaultBits
		}
		signer, err = rsaKeys.Key(bits)
	case jose.ES256:
		signer, err = ecdsa.GenerateKey(elliptic.P256(), random)
	case jose.ES384:
		signer, err = ecdsa.GenerateKey(elliptic.P384(), random)
	case jose.ES512:
		signer, err = ecdsa.GenerateKey(elliptic.P521(), random)
	case jose.EdDSA:
		_, signer, err = ed25519.GenerateKey(random)
	default:
		_, err = ParseAlgorithm(string(alg))
		if err == nil {
			err = fmt.Errorf("no key type for %s", alg)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("oidc: new %s key: %w", alg, err)
	}
	return KeyFromSigner(signer, alg)
}

// KeyFromSigner wraps an existing private key. It returns an error when the
// key's type or curve does not fit alg (an RSA key for ES256, a P-384 key for
// ES256) or an RSA key is smaller than certs.MinBits.
func KeyFromSigner(signer crypto.Signer, alg jose.SignatureAlgorithm) (*Key, error) {
	if _, err := ParseAlgorithm(string(alg)); err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	if err := keyFits(signer, alg); err != nil {
		return nil, fmt.Errorf("oidc: %s key: %w", alg, err)
	}
	jwk := jose.JSONWebKey{Key: signer.Public()}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("oidc: key thumbprint: %w", err)
	}
	return &Key{ID: base64.RawURLEncoding.EncodeToString(tp), Algorithm: alg, Signer: signer}, nil
}

func keyFits(signer crypto.Signer, alg jose.SignatureAlgorithm) error {
	switch k := signer.(type) {
	case *rsa.PrivateKey:
		switch alg {
		case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
			if k.N.BitLen() < certs.MinBits {
				return fmt.Errorf("RSA key of %d bits is below %d", k.N.BitLen(), certs.MinBits)
			}
			return nil
		}
		return errors.New("an RSA key signs only RS256/384/512 and PS256/384/512")
	case *ecdsa.PrivateKey:
		want := map[jose.SignatureAlgorithm]elliptic.Curve{jose.ES256: elliptic.P256(), jose.ES384: elliptic.P384(), jose.ES512: elliptic.P521()}[alg]
		if want == nil || k.Curve != want {
			return fmt.Errorf("an ECDSA key on %s does not sign %s", k.Curve.Params().Name, alg)
		}
		return nil
	case ed25519.PrivateKey:
		if alg != jose.EdDSA {
			return errors.New("an Ed25519 key signs only EdDSA")
		}
		return nil
	}
	return fmt.Errorf("unsupported key type %T", signer)
}

// PublicJWK returns the key's public half as a JWK (kid, alg, use "sig").
func (k *Key) PublicJWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.Signer.Public(), KeyID: k.ID, Algorithm: string(k.Algorithm), Use: "sig"}
}

// Keyring holds the provider's signing keys, as the SAML IdP's keyring does:
// Current signs tokens; Next, when set, is published in the JWKS beside
// Current ahead of a switch (the safe rollover); Previous holds retired keys,
// newest first, no longer published. A Keyring is a plain value; Provider
// guards its own copy with a lock.
type Keyring struct {
	Current  *Key
	Next     *Key
	Previous []*Key
}

// Published returns the keys the JWKS publishes: Current, then Next.
func (k *Keyring) Published() []*Key {
	var out []*Key
	for _, key := range []*Key{k.Current, k.Next} {
		if key != nil {
			out = append(out, key)
		}
	}
	return out
}

// JWKS returns the published keys as a JWK Set (RFC 7517 §5).
func (k *Keyring) JWKS() jose.JSONWebKeySet {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, key := range k.Published() {
		set.Keys = append(set.Keys, key.PublicJWK())
	}
	return set
}

// Stage sets Next to key unless a next key is already staged; it returns the
// staged key.
func (k *Keyring) Stage(key *Key) *Key {
	if k.Next == nil {
		k.Next = key
	}
	return k.Next
}

// Rotate makes the staged Next key current, or fresh when none is staged,
// and retires the current key. fresh may be nil when Next is set.
func (k *Keyring) Rotate(fresh *Key) (*Key, error) {
	nk := k.Next
	if nk == nil {
		nk = fresh
	}
	if nk == nil {
		return nil, errors.New("oidc: rotate: no next key")
	}
	if k.Current != nil {
		k.Previous = append([]*Key{k.Current}, k.Previous...)
		if len(k.Previous) > MaxPreviousKeys {
			k.Previous = k.Previous[:MaxPreviousKeys]
		}
	}
	k.Current, k.Next = nk, nil
	return nk, nil
}

func (k *Keyring) clone() *Keyring {
	return &Keyring{Current: k.Current, Next: k.Next, Previous: slices.Clone(k.Previous)}
}

// Key directory layout: the SAML IdP's (idp.Keyring.Files), of which only
// the PKCS#8 keys are read, so one directory can hold the keys of both:
//
//	current.key  next.key (during a rollover)  previous-1.key … (newest first)

// Files returns the keyring as PEM PKCS#8 key files ("current.key",
// "next.key", "previous-N.key").
func (k *Keyring) Files() (map[string][]byte, error) {
	if k.Current == nil {
		return nil, errors.New("oidc: keyring has no current key")
	}
	out := map[string][]byte{}
	add := func(slot string, key *Key) error {
		der, err := x509.MarshalPKCS8PrivateKey(key.Signer)
		if err != nil {
			return fmt.Errorf("oidc: encode %s key: %w", slot, err)
		}
		out[slot+".key"] = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		return nil
	}
	if err := add("current", k.Current); err != nil {
		return nil, err
	}
	if k.Next != nil {
		if err := add("next", k.Next); err != nil {
			return nil, err
		}
	}
	for i, key := range k.Previous {
		if err := add("previous-"+strconv.Itoa(i+1), key); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ErrNoKeyring is returned by LoadKeyring when the directory holds no
// current key. It is the SAML IdP's, as the directories are alike.
var ErrNoKeyring = idp.ErrNoKeyring

// LoadKeyring reads the keys of a key directory (a SAML IdP key directory
// works: certificates are ignored). RSA keys sign with rsaAlg (RS256 when
// empty); elliptic-curve keys with the ES algorithm of their curve, Ed25519
// keys with EdDSA.
func LoadKeyring(fsys fs.FS, rsaAlg jose.SignatureAlgorithm) (*Keyring, error) {
	if rsaAlg == "" {
		rsaAlg = DefaultAlgorithm
	}
	load := func(name string) (*Key, error) {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		block, _ := pem.Decode(data)
		if block == nil || block.Type != "PRIVATE KEY" {
			return nil, fmt.Errorf("%s: no PEM \"PRIVATE KEY\" (PKCS#8) block", name)
		}
		pk, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		signer, ok := pk.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("%s: %T is not a signing key", name, pk)
		}
		alg := rsaAlg
		switch k := signer.(type) {
		case *ecdsa.PrivateKey:
			alg = map[string]jose.SignatureAlgorithm{"P-256": jose.ES256, "P-384": jose.ES384, "P-521": jose.ES512}[k.Curve.Params().Name]
		case ed25519.PrivateKey:
			alg = jose.EdDSA
		}
		key, err := KeyFromSigner(signer, alg)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return key, nil
	}
	cur, next, prev, err := idp.LoadKeySlots(fsys, func(slot string) (*Key, error) { return load(slot + ".key") })
	if err != nil {
		return nil, err
	}
	return &Keyring{Current: cur, Next: next, Previous: prev}, nil
}

// atHash is the at_hash of an access token (OpenID Connect Core §3.1.3.6):
// the left half of the hash of its ASCII octets, with the hash of the
// signing algorithm (SHA-512 for EdDSA, as go-oidc computes it).
func atHash(alg jose.SignatureAlgorithm, token string) string {
	var h crypto.Hash
	switch alg {
	case jose.RS384, jose.PS384, jose.ES384:
		h = crypto.SHA384
	case jose.RS512, jose.PS512, jose.ES512, jose.EdDSA:
		h = crypto.SHA512
	default:
		h = crypto.SHA256
	}
	hh := h.New()
	hh.Write([]byte(token))
	sum := hh.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// s256 is the PKCE S256 code challenge of a verifier (RFC 7636 §4.2).
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
