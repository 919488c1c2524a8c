package scenarios

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/go-jose/go-jose/v4"

	"github.com/samlab-dev/samlab/idp/oidc"
)

// IDPOIDCKey is one of the OpenID Connect provider's signing keys as the
// admin endpoint shows it.
type IDPOIDCKey struct {
	Slot      string `json:"slot"` // current, next, previous-N
	KeyID     string `json:"kid"`
	Algorithm string `json:"alg"`
	Published bool   `json:"published"` // in the JWKS
}

// errOIDCRevert wraps the refusals of a revert the keys do not allow.
var errOIDCRevert = errors.New("cannot revert the OpenID Connect signing key")

func (c IDPChange) validateOIDCRotate() error {
	switch {
	case c.Revert && !c.OIDC:
		return errors.New("revert is for the OpenID Connect provider's keys: give oidc too")
	case c.Revert && c.Rollover:
		return errors.New("give revert or rollover, not both")
	case c.KeyID != "" && !c.Revert:
		return errors.New("kid names the retired key to revert to: give revert too")
	case len(c.KeyID) > 128:
		return errors.New("kid: over 128 characters")
	}
	return nil
}

// RevertOIDCKey makes the OpenID Connect provider sign with its previous
// key again and publish the current one as its next key
// (oidc.Provider.Revert).
func (l *Lab) RevertOIDCKey() error {
	p, _, err := l.oidcProvider()
	if err != nil {
		return err
	}
	_, err = p.Revert("")
	return err
}

// rotateOIDC applies a rotate change with OIDC set.
func (l *Lab) rotateOIDC(c IDPChange) (string, error) {
	p, _, err := l.oidcProvider()
	if err != nil {
		return "", fmt.Errorf("%w: OpenID Connect keys are administered here only on a web identity lab "+
			"(samlab lab start with a scenario that declares setup.oidc), not on samlab up", err)
	}
	before := p.Keyring()
	switch {
	case c.Revert:
		k, err := p.Revert(c.KeyID)
		if err != nil {
			return "", fmt.Errorf("%w: %w", errOIDCRevert, err)
		}
		return fmt.Sprintf("the OpenID Connect provider signs with its previous key %s again; %s stays in the JWKS as the next key",
			k.ID, before.Current.ID), nil
	case c.Rollover:
		if before.Next != nil {
			return fmt.Sprintf("the next OpenID Connect key %s is already in the JWKS; rotate without rollover to switch to it", before.Next.ID), nil
		}
		k, err := p.StageRollover()
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("staged the OpenID Connect key %s: the JWKS publishes it beside %s, which still signs", k.ID, before.Current.ID), nil
	}
	k, err := p.Rotate()
	if err != nil {
		return "", err
	}
	if before.Next != nil {
		return fmt.Sprintf("the OpenID Connect provider switched to the staged key %s; %s left the JWKS", k.ID, before.Current.ID), nil
	}
	return fmt.Sprintf("the OpenID Connect provider switched to the new key %s at once (it was not in the JWKS before); %s left the JWKS",
		k.ID, before.Current.ID), nil
}

// oidcKeys lists the OpenID Connect provider's keys (nil without one).
func (l *Lab) oidcKeys() []IDPOIDCKey {
	p, _, err := l.oidcProvider()
	if err != nil {
		return nil
	}
	ring := p.Keyring()
	out := []IDPOIDCKey{{Slot: "current", KeyID: ring.Current.ID, Algorithm: string(ring.Current.Algorithm), Published: true}}
	if ring.Next != nil {
		out = append(out, IDPOIDCKey{Slot: "next", KeyID: ring.Next.ID, Algorithm: string(ring.Next.Algorithm), Published: true})
	}
	for i, k := range ring.Previous {
		out = append(out, IDPOIDCKey{Slot: fmt.Sprintf("previous-%d", i+1), KeyID: k.ID, Algorithm: string(k.Algorithm)})
	}
	return out
}

type savedOIDCKey struct {
	Algorithm string `json:"alg"`
	Key       string `json:"key"` // PEM PKCS#8
}

type savedOIDCKeyring struct {
	Current  savedOIDCKey   `json:"current"`
	Next     *savedOIDCKey  `json:"next,omitempty"`
	Previous []savedOIDCKey `json:"previous,omitempty"`
}

func saveOIDCKey(k *oidc.Key) (savedOIDCKey, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.Signer)
	if err != nil {
		return savedOIDCKey{}, fmt.Errorf("OpenID Connect key %s: %w", k.ID, err)
	}
	return savedOIDCKey{Algorithm: string(k.Algorithm), Key: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))}, nil
}

func (s savedOIDCKey) load() (*oidc.Key, error) {
	block, _ := pem.Decode([]byte(s.Key))
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("no PEM \"PRIVATE KEY\" block")
	}
	pk, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	signer, ok := pk.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%T is not a signing key", pk)
	}
	return oidc.KeyFromSigner(signer, jose.SignatureAlgorithm(s.Algorithm))
}

// saveOIDCKeys returns the OpenID Connect provider's keys to store (nil for
// a lab without one).
func (l *Lab) saveOIDCKeys() (*savedOIDCKeyring, error) {
	p, _, err := l.oidcProvider()
	if err != nil {
		return nil, nil
	}
	ring := p.Keyring()
	var out savedOIDCKeyring
	if out.Current, err = saveOIDCKey(ring.Current); err != nil {
		return nil, err
	}
	if ring.Next != nil {
		n, err := saveOIDCKey(ring.Next)
		if err != nil {
			return nil, err
		}
		out.Next = &n
	}
	for _, k := range ring.Previous {
		s, err := saveOIDCKey(k)
		if err != nil {
			return nil, err
		}
		out.Previous = append(out.Previous, s)
	}
	return &out, nil
}

// restoreOIDCKeys gives the OpenID Connect provider the stored keys.
func (l *Lab) restoreOIDCKeys(s *savedOIDCKeyring) error {
	if s == nil {
		return nil
	}
	p, _, err := l.oidcProvider()
	if err != nil {
		return fmt.Errorf("stored OpenID Connect keys: %w", err)
	}
	var ring oidc.Keyring
	if ring.Current, err = s.Current.load(); err != nil {
		return fmt.Errorf("stored OpenID Connect keys: current: %w", err)
	}
	if s.Next != nil {
		if ring.Next, err = s.Next.load(); err != nil {
			return fmt.Errorf("stored OpenID Connect keys: next: %w", err)
		}
	}
	for i, sk := range s.Previous {
		k, err := sk.load()
		if err != nil {
			return fmt.Errorf("stored OpenID Connect keys: previous %d: %w", i+1, err)
		}
		ring.Previous = append(ring.Previous, k)
	}
	return p.SetKeyring(&ring)
}
