package cognito

import (
	"crypto/rsa"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// keyring holds the key that signs Cognito OpenID tokens. AWS signs them
// with RS512 under a kid of the form "<region><n>" ("ap-northeast-15" in a
// decoded AWS token), header typ "JWS"; samlab does the same with one key.
//
// A key that is not given is generated on first use, so that a lab that
// never uses identity pools pays nothing for it.
type keyring struct {
	once sync.Once
	gen  func() (*rsa.PrivateKey, error)
	key  *rsa.PrivateKey
	err  error
	kid  string
}

func newKeyring(key *rsa.PrivateKey, gen func() (*rsa.PrivateKey, error), kid string) *keyring {
	return &keyring{key: key, gen: gen, kid: kid}
}

func (k *keyring) current() (*rsa.PrivateKey, error) {
	k.once.Do(func() {
		if k.key == nil {
			k.key, k.err = k.gen()
		}
	})
	return k.key, k.err
}

// public returns the JWKS that STS verifies the tokens with (empty if the
// key cannot be generated).
func (k *keyring) public() []jose.JSONWebKey {
	key, err := k.current()
	if err != nil {
		return nil
	}
	return []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: k.kid, Algorithm: string(jose.RS512), Use: "sig"}}
}

// JWKS returns the public keys of the tokens, as a JSON Web Key Set.
func (s *Service) JWKS() jose.JSONWebKeySet { return jose.JSONWebKeySet{Keys: s.keys.public()} }

// sign returns the compact JWS of claims.
func (k *keyring) sign(claims map[string]any) (string, error) {
	key, err := k.current()
	if err != nil {
		return "", fmt.Errorf("cognito: signing key: %w", err)
	}
	opts := (&jose.SignerOptions{}).WithType("JWS").WithHeader("kid", k.kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS512, Key: key}, opts)
	if err != nil {
		return "", fmt.Errorf("cognito: signer: %w", err)
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("cognito: sign token: %w", err)
	}
	return tok, nil
}

// claims are the token's claims, in the shape of AWS's tokens: sub is the
// identity ID, aud the pool ID, amr "authenticated" or "unauthenticated"
// followed by the providers, and the pool's ARN. The session's principal
// tags ride in the https://aws.amazon.com/tags claim, which STS turns into
// session tags (so the role's trust policy must allow sts:TagSession).
func (s *Service) claims(r *resolved, lifetime time.Duration) map[string]any {
	now := s.now().UTC()
	c := map[string]any{
		"iss":        Issuer,
		"sub":        r.identity.ID,
		"aud":        r.pool.ID,
		"amr":        r.amr,
		"iat":        now.Unix(),
		"exp":        now.Add(lifetime).Unix(),
		poolARNClaim: s.PoolARN(r.pool.ID),
	}
	if len(r.tags) > 0 {
		pt := make(map[string][]string, len(r.tags))
		for k, v := range r.tags {
			pt[k] = []string{v}
		}
		c[tagsClaim] = map[string]any{"principal_tags": pt}
	}
	return c
}
