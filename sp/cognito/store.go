package cognito

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Store persists identity pools, identities and the token signing key. Each
// method is one atomic, durable change. Without a Store they live in memory.
type Store interface {
	Load() (pools []*Pool, identities []*Identity, err error)
	PutPool(p *Pool) error
	// DeletePool removes the pool and the identities named.
	DeletePool(id string, identities []string) error
	PutIdentity(i *Identity) error
}

func (s *Service) savePool(p *Pool) error {
	if s.store == nil {
		return nil
	}
	return s.store.PutPool(p)
}

func (s *Service) saveIdentity(i *Identity) error {
	if s.store == nil {
		return nil
	}
	return s.store.PutIdentity(i)
}

func (s *Service) deletePool(id string, identities []string) error {
	if s.store == nil {
		return nil
	}
	return s.store.DeletePool(id, identities)
}

// Attach loads the pools and identities of st into s (replacing those of the
// same IDs) and makes s keep every later change in st.
func (s *Service) Attach(st Store) error {
	pools, idents, err := st.Load()
	if err != nil {
		return fmt.Errorf("cognito: load state: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range pools {
		s.seq++
		p.created = s.seq
		s.pools[p.ID] = p
	}
	for _, i := range idents {
		s.identities[i.ID] = i
	}
	s.store = st
	return nil
}

// storedPool is a pool as kept on disk (Pool's order field is unexported).
type storedPool struct {
	Pool
	Order int
}

// BoltStore is a Store in a bbolt file of its own (the IAM state file is
// locked by IAM's store), plus the token signing key. It is safe for
// concurrent use.
type BoltStore struct{ db *bolt.DB }

var (
	bucketPools      = []byte("identity-pools")
	bucketIdentities = []byte("identities")
	bucketKey        = []byte("signing-key")
)

var _ Store = (*BoltStore)(nil)

// OpenBoltStore opens (creating if needed) the bbolt file path.
func OpenBoltStore(path string) (*BoltStore, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("cognito: open state %s: %w", path, err)
	}
	return &BoltStore{db: db}, nil
}

// Close closes the file.
func (b *BoltStore) Close() error { return b.db.Close() }

// SigningKey returns the stored token signing key, creating it with gen on
// first use, so that tokens and STS's trust in them survive restarts.
func (b *BoltStore) SigningKey(gen func() (*rsa.PrivateKey, error)) (*rsa.PrivateKey, error) {
	var der []byte
	err := b.db.View(func(tx *bolt.Tx) error {
		if bk := tx.Bucket(bucketKey); bk != nil {
			der = append([]byte(nil), bk.Get([]byte("current"))...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(der) > 0 {
		k, err := x509.ParsePKCS1PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("cognito: stored signing key: %w", err)
		}
		return k, nil
	}
	k, err := gen()
	if err != nil {
		return nil, err
	}
	err = b.db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(bucketKey)
		if err != nil {
			return err
		}
		return bk.Put([]byte("current"), x509.MarshalPKCS1PrivateKey(k))
	})
	return k, err
}

// Load implements Store.
func (b *BoltStore) Load() ([]*Pool, []*Identity, error) {
	var pools []*Pool
	var idents []*Identity
	var order []int
	err := b.db.View(func(tx *bolt.Tx) error {
		if bk := tx.Bucket(bucketPools); bk != nil {
			if err := bk.ForEach(func(k, v []byte) error {
				var sp storedPool
				if err := json.Unmarshal(v, &sp); err != nil {
					return fmt.Errorf("identity pool %s: %w", k, err)
				}
				p := sp.Pool
				pools = append(pools, &p)
				order = append(order, sp.Order)
				return nil
			}); err != nil {
				return err
			}
		}
		if bk := tx.Bucket(bucketIdentities); bk != nil {
			return bk.ForEach(func(k, v []byte) error {
				var i Identity
				if err := json.Unmarshal(v, &i); err != nil {
					return fmt.Errorf("identity %s: %w", k, err)
				}
				idents = append(idents, &i)
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	// Keep creation order for ListIdentityPools.
	sortByOrder(pools, order)
	return pools, idents, nil
}

func sortByOrder(pools []*Pool, order []int) {
	for i := 1; i < len(pools); i++ {
		for j := i; j > 0 && order[j] < order[j-1]; j-- {
			pools[j], pools[j-1] = pools[j-1], pools[j]
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
}

// PutPool implements Store.
func (b *BoltStore) PutPool(p *Pool) error {
	data, err := json.Marshal(storedPool{Pool: *p, Order: p.created})
	if err != nil {
		return err
	}
	return b.db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(bucketPools)
		if err != nil {
			return err
		}
		return bk.Put([]byte(p.ID), data)
	})
}

// DeletePool implements Store.
func (b *BoltStore) DeletePool(id string, identities []string) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		var errs []error
		if bk := tx.Bucket(bucketPools); bk != nil {
			errs = append(errs, bk.Delete([]byte(id)))
		}
		if bk := tx.Bucket(bucketIdentities); bk != nil {
			for _, i := range identities {
				errs = append(errs, bk.Delete([]byte(i)))
			}
		}
		return errors.Join(errs...)
	})
}

// PutIdentity implements Store.
func (b *BoltStore) PutIdentity(i *Identity) error {
	data, err := json.Marshal(i)
	if err != nil {
		return err
	}
	return b.db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(bucketIdentities)
		if err != nil {
			return err
		}
		return bk.Put([]byte(i.ID), data)
	})
}
