package oidc

import (
	"errors"
	"fmt"
	"slices"
)

// ErrNothingToRevert is returned by Revert when there is no retired key to
// sign with again.
var ErrNothingToRevert = errors.New("oidc: revert: no previous signing key (the key was never rotated)")

// ErrNextStaged is returned by Revert when a next key is already staged: the
// current key would have nowhere to go.
var ErrNextStaged = errors.New("oidc: revert: a next key is already staged; switch to it (rotate) instead")

// ErrUnknownPrevious is returned by Revert for a kid that is not a retired
// key's.
var ErrUnknownPrevious = errors.New("oidc: revert: no retired key has this kid")

// Revert undoes a switch: a retired key (the one whose ID is kid, or the most
// recently retired one when kid is empty) signs again, and the key that was
// current is kept in the JWKS as the staged next key, so a later Rotate
// switches back to it. It is what an identity provider's administrator does
// after switching to a key that relying parties had not fetched yet: tokens
// verify again against the keys they cached, and the new key is published
// ahead of the next switch.
func (k *Keyring) Revert(kid string) (*Key, error) {
	switch {
	case len(k.Previous) == 0:
		return nil, ErrNothingToRevert
	case k.Next != nil:
		return nil, ErrNextStaged
	}
	i := 0
	if kid != "" {
		i = slices.IndexFunc(k.Previous, func(p *Key) bool { return p.ID == kid })
		if i < 0 {
			return nil, fmt.Errorf("%w (%s)", ErrUnknownPrevious, kid)
		}
	}
	back := k.Previous[i]
	k.Current, k.Next, k.Previous = back, k.Current, slices.Delete(slices.Clone(k.Previous), i, i+1)
	return back, nil
}

// Revert makes the provider sign with a retired key again (the one whose ID
// is kid; the most recently retired when kid is empty) and publish the
// current one as its next key (Keyring.Revert).
func (p *Provider) Revert(kid string) (*Key, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k, err := p.ring.Revert(kid)
	if err != nil {
		return nil, err
	}
	p.logger.Info("oidc signing key reverted", "kid", k.ID, "next", p.ring.Next.ID)
	return k, nil
}

// SetKeyring replaces the provider's keys (restoring keys kept from an
// earlier run). The current key must sign with the provider's algorithm.
func (p *Provider) SetKeyring(r *Keyring) error {
	if r == nil || r.Current == nil {
		return errors.New("oidc: set keyring: no current key")
	}
	for _, k := range append([]*Key{r.Current, r.Next}, r.Previous...) {
		if k != nil && k.Algorithm != p.alg {
			return fmt.Errorf("oidc: set keyring: key %s signs %s, the provider %s", k.ID, k.Algorithm, p.alg)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ring = r.clone()
	return nil
}
