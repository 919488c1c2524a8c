package iam

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ExtraStore is implemented by a Store that also persists the account's
// customer managed policies and its alias. Account uses it when its Store
// has it.
type ExtraStore interface {
	// LoadExtras returns every stored managed policy and the alias.
	LoadExtras() ([]*ManagedPolicy, string, error)
	PutPolicy(p *ManagedPolicy) error
	DeletePolicy(arn string) error
	SetAccountAlias(alias string) error
}

var bucketPolicies = []byte("managed-policies")

const metaAccountAlias = "account-alias"

// LoadExtras implements ExtraStore.
func (s *BoltStore) LoadExtras() ([]*ManagedPolicy, string, error) {
	var out []*ManagedPolicy
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPolicies)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var p ManagedPolicy
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("policy %s: %w", k, err)
			}
			out = append(out, &p)
			return nil
		})
	})
	if err != nil {
		return nil, "", err
	}
	alias, err := s.Meta(metaAccountAlias)
	return out, string(alias), err
}

// PutPolicy implements ExtraStore.
func (s *BoltStore) PutPolicy(p *ManagedPolicy) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketPolicies)
		if err != nil {
			return err
		}
		return b.Put([]byte(p.ARN), data)
	})
}

// DeletePolicy implements ExtraStore.
func (s *BoltStore) DeletePolicy(arn string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketPolicies); b != nil {
			return b.Delete([]byte(arn))
		}
		return nil
	})
}

// SetAccountAlias implements ExtraStore.
func (s *BoltStore) SetAccountAlias(alias string) error {
	return s.SetMeta(metaAccountAlias, []byte(alias))
}

// loadExtras installs what s holds of policies and the alias, when s is an
// ExtraStore. Entries already in memory and not in s are written to s.
// The caller holds a.mu or owns a.
func (a *Account) loadExtras(s Store) error {
	es, ok := s.(ExtraStore)
	if !ok {
		return nil
	}
	policies, alias, err := es.LoadExtras()
	if err != nil {
		return fmt.Errorf("iam: load policies: %w", err)
	}
	stored := map[string]*ManagedPolicy{}
	for _, p := range policies {
		if err := ParsePermissionsPolicy(p.Document); err != nil {
			return fmt.Errorf("iam: stored policy %s: %w", p.ARN, err)
		}
		for _, v := range p.Versions {
			if err := ParsePermissionsPolicy(v.Document); err != nil {
				return fmt.Errorf("iam: stored policy %s version %s: %w", p.ARN, v.VersionID, err)
			}
		}
		stored[p.ARN] = p
	}
	for arn, p := range a.policies {
		if _, ok := stored[arn]; !ok {
			if err := es.PutPolicy(p); err != nil {
				return fmt.Errorf("iam: persist policy %s: %w", arn, err)
			}
			stored[arn] = p
		}
	}
	a.policies = stored
	if alias == "" && a.alias != "" {
		if err := es.SetAccountAlias(a.alias); err != nil {
			return fmt.Errorf("iam: persist account alias: %w", err)
		}
		alias = a.alias
	}
	a.alias = alias
	return a.loadIdentities(s)
}
