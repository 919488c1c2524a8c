package iam

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Store persists an account's SAML providers and roles. Each method is one
// atomic, durable change: after it returns nil the change survives a crash,
// and a crash during it leaves the previous value. Account calls it before it
// changes its memory, so a failed write changes nothing.
type Store interface {
	// Load returns every stored provider and role.
	Load() ([]*SAMLProvider, []*Role, error)
	PutProvider(p *SAMLProvider) error
	DeleteProvider(arn string) error
	PutRole(r *Role) error
	DeleteRole(name string) error
}

// OpenAccount returns an account holding what cfg.Store already stores (an
// empty account when cfg.Store is nil). Stored metadata documents and trust
// policies are parsed again, so a store written by an older samlab is
// checked by today's rules.
func OpenAccount(cfg Config) (*Account, error) {
	a := NewAccount(cfg)
	if cfg.Store == nil {
		return a, nil
	}
	providers, roles, err := cfg.Store.Load()
	if err != nil {
		return nil, fmt.Errorf("iam: load store: %w", err)
	}
	for _, p := range providers {
		md, err := parseProviderMetadata(p.MetadataDocument)
		if err != nil {
			return nil, fmt.Errorf("iam: stored provider %s: %w", p.ARN, err)
		}
		p.Metadata = md
		a.providers[p.ARN] = p
	}
	for _, r := range roles {
		pol, err := ParsePolicy(r.AssumeRolePolicyDocument)
		if err != nil {
			return nil, fmt.Errorf("iam: stored role %s: %w", r.Name, err)
		}
		r.Trust = pol
		a.roles[r.Name] = r
	}
	if err := a.loadExtras(cfg.Store); err != nil {
		return nil, err
	}
	if err := a.loadOIDCProviders(cfg.Store); err != nil {
		return nil, err
	}
	return a, nil
}

// BoltStore is a Store in a bbolt file.
//
// bbolt because the state must survive kill -9 in the middle of an update:
// each mutation is one bbolt transaction (copy-on-write B+tree pages, then an
// fsynced meta-page switch), so a crash leaves either the old or the new
// provider, never half of one. It is embedded, pure Go and needs no server,
// which suits a tool that runs on a laptop or in CI. A directory of JSON files
// would need write-rename-fsync dances per file to get the same guarantee.
//
// A BoltStore is safe for concurrent use. The file is locked while open, so
// two processes cannot share one state directory.
type BoltStore struct {
	db *bolt.DB
}

var (
	bucketProviders = []byte("saml-providers")
	bucketRoles     = []byte("roles")
	bucketMeta      = []byte("meta")
)

// StateFile is the name of the database file inside a state directory.
const StateFile = "iam.db"

// OpenBoltStore opens (creating if needed) the store in dir.
func OpenBoltStore(dir string) (*BoltStore, error) {
	path := filepath.Join(dir, StateFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketProviders, bucketRoles, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("init state %s: %w", path, err), db.Close())
	}
	return &BoltStore{db: db}, nil
}

// Close closes the database file.
func (s *BoltStore) Close() error { return s.db.Close() }

// Load implements Store.
func (s *BoltStore) Load() ([]*SAMLProvider, []*Role, error) {
	var providers []*SAMLProvider
	var roles []*Role
	err := s.db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketProviders).ForEach(func(k, v []byte) error {
			var p SAMLProvider
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("provider %s: %w", k, err)
			}
			providers = append(providers, &p)
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketRoles).ForEach(func(k, v []byte) error {
			var r Role
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("role %s: %w", k, err)
			}
			roles = append(roles, &r)
			return nil
		})
	})
	return providers, roles, err
}

func (s *BoltStore) put(bucket []byte, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(key), data) })
}

func (s *BoltStore) del(bucket []byte, key string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Delete([]byte(key)) })
}

// PutProvider implements Store.
func (s *BoltStore) PutProvider(p *SAMLProvider) error { return s.put(bucketProviders, p.ARN, p) }

// DeleteProvider implements Store.
func (s *BoltStore) DeleteProvider(arn string) error { return s.del(bucketProviders, arn) }

// PutRole implements Store.
func (s *BoltStore) PutRole(r *Role) error { return s.put(bucketRoles, r.Name, r) }

// DeleteRole implements Store.
func (s *BoltStore) DeleteRole(name string) error { return s.del(bucketRoles, name) }

// Meta returns the value stored under key in the store's settings bucket
// (nil when absent). The lab keeps its admin access key there.
func (s *BoltStore) Meta(key string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get([]byte(key)); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// SetMeta stores value under key in the settings bucket.
func (s *BoltStore) SetMeta(key string, value []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put([]byte(key), value) })
}

// AttachStore makes s the account's store from now on. What s already holds
// is loaded first and wins over the account's in-memory entries of the same
// name; entries only in memory are then written to s. A lab that starts with
// defaults and attaches its state directory so keeps everything changed in
// earlier runs and persists the defaults on the first.
func (a *Account) AttachStore(s Store) error {
	stored, err := OpenAccount(Config{ID: a.id, Partition: a.partition, Now: a.now, Rand: a.rand, Store: s})
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for arn, p := range a.providers {
		if _, ok := stored.providers[arn]; !ok {
			if err := s.PutProvider(p); err != nil {
				return fmt.Errorf("iam: persist provider %s: %w", arn, err)
			}
			stored.providers[arn] = p
		}
	}
	for name, r := range a.roles {
		if _, ok := stored.roles[name]; !ok {
			if err := s.PutRole(r); err != nil {
				return fmt.Errorf("iam: persist role %s: %w", name, err)
			}
			stored.roles[name] = r
		}
	}
	stored.policies, stored.alias, stored.ids = a.policies, a.alias, a.ids
	if err := stored.loadExtras(s); err != nil {
		return err
	}
	if err := a.attachOIDCProviders(s, stored); err != nil {
		return err
	}
	a.providers, a.roles, a.store = stored.providers, stored.roles, s
	a.policies, a.alias, a.ids = stored.policies, stored.alias, stored.ids
	return nil
}
