package iam

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// OIDCProviderStore persists an account's OIDC providers. A Store that also
// implements it (BoltStore does) keeps them; with any other Store they live
// in memory only. Each method is one atomic, durable change, as for Store.
type OIDCProviderStore interface {
	LoadOIDCProviders() ([]*OIDCProvider, error)
	PutOIDCProvider(p *OIDCProvider) error
	DeleteOIDCProvider(arn string) error
}

var _ OIDCProviderStore = (*BoltStore)(nil)

var bucketOIDCProviders = []byte("oidc-providers")

// LoadOIDCProviders implements OIDCProviderStore.
func (s *BoltStore) LoadOIDCProviders() ([]*OIDCProvider, error) {
	var out []*OIDCProvider
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOIDCProviders)
		if b == nil { // a state directory from before OIDC providers
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var p OIDCProvider
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("oidc provider %s: %w", k, err)
			}
			out = append(out, &p)
			return nil
		})
	})
	return out, err
}

// PutOIDCProvider implements OIDCProviderStore.
func (s *BoltStore) PutOIDCProvider(p *OIDCProvider) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketOIDCProviders)
		if err != nil {
			return err
		}
		return b.Put([]byte(p.ARN), data)
	})
}

// DeleteOIDCProvider implements OIDCProviderStore.
func (s *BoltStore) DeleteOIDCProvider(arn string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOIDCProviders)
		if b == nil {
			return nil
		}
		return b.Delete([]byte(arn))
	})
}

// loadOIDCProviders fills the table from s when s keeps OIDC providers
// (OpenAccount calls it).
func (a *Account) loadOIDCProviders(s Store) error {
	ostore, ok := s.(OIDCProviderStore)
	if !ok {
		return nil
	}
	ps, err := ostore.LoadOIDCProviders()
	if err != nil {
		return fmt.Errorf("iam: load OIDC providers: %w", err)
	}
	a.oidc.mu.Lock()
	defer a.oidc.mu.Unlock()
	a.oidc.store = ostore
	if a.oidc.byARN == nil {
		a.oidc.byARN = map[string]*OIDCProvider{}
	}
	for _, p := range ps {
		a.oidc.byARN[p.ARN] = p
	}
	return nil
}

// attachOIDCProviders is AttachStore's step for OIDC providers: stored
// entries win, entries only in memory are written to s, and the account takes
// the merged table. The caller holds a.mu (not a.oidc.mu).
func (a *Account) attachOIDCProviders(s Store, stored *Account) error {
	a.oidc.mu.Lock()
	defer a.oidc.mu.Unlock()
	stored.oidc.mu.Lock()
	defer stored.oidc.mu.Unlock()
	merged := stored.oidc.byARN
	if merged == nil {
		merged = map[string]*OIDCProvider{}
	}
	ostore, _ := s.(OIDCProviderStore)
	for arn, p := range a.oidc.byARN {
		if _, ok := merged[arn]; ok {
			continue
		}
		if ostore != nil {
			if err := ostore.PutOIDCProvider(p); err != nil {
				return fmt.Errorf("iam: persist OIDC provider %s: %w", arn, err)
			}
		}
		merged[arn] = p
	}
	a.oidc.byARN, a.oidc.store = merged, ostore
	return nil
}
