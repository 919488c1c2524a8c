package iam

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// IdentityStore is implemented by a Store that also persists the account's
// users (with their access keys and policies), groups and virtual MFA
// devices. Account uses it when its Store has it. Users and groups are kept
// under their unique IDs, so a rename is one write.
type IdentityStore interface {
	LoadIdentities() ([]*User, []*Group, []*MFADevice, error)
	PutUser(u *User) error
	DeleteUser(userID string) error
	PutGroup(g *Group) error
	DeleteGroup(groupID string) error
	PutMFADevice(d *MFADevice) error
	DeleteMFADevice(serial string) error
}

var (
	bucketUsers  = []byte("users")
	bucketGroups = []byte("groups")
	bucketMFA    = []byte("mfa-devices")
)

// LoadIdentities implements IdentityStore.
func (s *BoltStore) LoadIdentities() ([]*User, []*Group, []*MFADevice, error) {
	var users []*User
	var groups []*Group
	var devices []*MFADevice
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := loadBucket(tx, bucketUsers, &users); err != nil {
			return err
		}
		if err := loadBucket(tx, bucketGroups, &groups); err != nil {
			return err
		}
		return loadBucket(tx, bucketMFA, &devices)
	})
	return users, groups, devices, err
}

func loadBucket[T any](tx *bolt.Tx, name []byte, out *[]*T) error {
	b := tx.Bucket(name)
	if b == nil {
		return nil
	}
	return b.ForEach(func(k, v []byte) error {
		var x T
		if err := json.Unmarshal(v, &x); err != nil {
			return fmt.Errorf("%s %s: %w", name, k, err)
		}
		*out = append(*out, &x)
		return nil
	})
}

func (s *BoltStore) putIn(bucket []byte, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), data)
	})
}

func (s *BoltStore) delIn(bucket []byte, key string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucket); b != nil {
			return b.Delete([]byte(key))
		}
		return nil
	})
}

// PutUser implements IdentityStore.
func (s *BoltStore) PutUser(u *User) error { return s.putIn(bucketUsers, u.UserID, u) }

// DeleteUser implements IdentityStore.
func (s *BoltStore) DeleteUser(userID string) error { return s.delIn(bucketUsers, userID) }

// PutGroup implements IdentityStore.
func (s *BoltStore) PutGroup(g *Group) error { return s.putIn(bucketGroups, g.GroupID, g) }

// DeleteGroup implements IdentityStore.
func (s *BoltStore) DeleteGroup(groupID string) error { return s.delIn(bucketGroups, groupID) }

// PutMFADevice implements IdentityStore.
func (s *BoltStore) PutMFADevice(d *MFADevice) error { return s.putIn(bucketMFA, d.SerialNumber, d) }

// DeleteMFADevice implements IdentityStore.
func (s *BoltStore) DeleteMFADevice(serial string) error { return s.delIn(bucketMFA, serial) }

// loadIdentities installs what s holds of users, groups and MFA devices, when
// s is an IdentityStore; stored entries win over in-memory ones of the same
// name, and entries only in memory are written to s. Stored policy documents
// are checked again. The caller holds a.mu or owns a.
func (a *Account) loadIdentities(s Store) error {
	is, ok := s.(IdentityStore)
	if !ok {
		return nil
	}
	users, groups, devices, err := is.LoadIdentities()
	if err != nil {
		return fmt.Errorf("iam: load identities: %w", err)
	}
	ids := newIdentities()
	ids.admins = a.ids.admins
	for _, u := range users {
		for n, d := range u.InlinePolicies {
			if err := ParsePermissionsPolicy(d); err != nil {
				return fmt.Errorf("iam: stored policy %s of user %s: %w", n, u.Name, err)
			}
		}
		ids.users[u.Name] = u
	}
	for _, g := range groups {
		for n, d := range g.InlinePolicies {
			if err := ParsePermissionsPolicy(d); err != nil {
				return fmt.Errorf("iam: stored policy %s of group %s: %w", n, g.Name, err)
			}
		}
		ids.groups[g.Name] = g
	}
	for _, d := range devices {
		ids.mfa[d.SerialNumber] = d
	}
	for name, u := range a.ids.users {
		if _, ok := ids.users[name]; !ok {
			if err := is.PutUser(u); err != nil {
				return fmt.Errorf("iam: persist user %s: %w", name, err)
			}
			ids.users[name] = u
		}
	}
	for name, g := range a.ids.groups {
		if _, ok := ids.groups[name]; !ok {
			if err := is.PutGroup(g); err != nil {
				return fmt.Errorf("iam: persist group %s: %w", name, err)
			}
			ids.groups[name] = g
		}
	}
	for serial, d := range a.ids.mfa {
		if _, ok := ids.mfa[serial]; !ok {
			if err := is.PutMFADevice(d); err != nil {
				return fmt.Errorf("iam: persist MFA device %s: %w", serial, err)
			}
			ids.mfa[serial] = d
		}
	}
	a.ids = ids
	return nil
}
