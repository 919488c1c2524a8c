package sessiontoken

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Store keeps a keyring between runs: the settings bucket of samlab's state
// database (iam.BoltStore) implements it. Methods must be safe for concurrent
// use, and SetMeta must be durable when it returns.
type Store interface {
	// Meta returns the value under key, nil when absent.
	Meta(key string) ([]byte, error)
	// SetMeta stores value under key.
	SetMeta(key string, value []byte) error
}

// metaKey is where an account's keyring lives in a Store.
func metaKey(account string) string { return "session-token-keys/" + account }

// storedKeyring is a keyring as stored.
type storedKeyring struct {
	Version int   `json:"version"`
	Keys    []Key `json:"keys"`
}

func marshalKeys(keys []*derived) ([]byte, error) {
	sk := storedKeyring{Version: version}
	for _, d := range keys {
		sk.Keys = append(sk.Keys, d.Key)
	}
	return json.Marshal(sk)
}

// save writes keys to store under account.
func save(store Store, account string, keys []*derived) error {
	b, err := marshalKeys(keys)
	if err == nil {
		err = store.SetMeta(metaKey(account), b)
	}
	if err != nil {
		return fmt.Errorf("sessiontoken: store keyring of %s: %w", account, err)
	}
	return nil
}

// Open returns account's keyring from store, making and storing a fresh one
// (a key made at now) when store holds none. Rotations of the returned keyring
// are written to store. rand is the entropy for new keys and nonces
// (crypto/rand when nil).
func Open(store Store, account string, r io.Reader, now time.Time) (*Keyring, error) {
	raw, err := store.Meta(metaKey(account))
	if err != nil {
		return nil, fmt.Errorf("sessiontoken: read keyring of %s: %w", account, err)
	}
	if raw == nil {
		kr, err := New(account, r, now)
		if err != nil {
			return nil, err
		}
		if err := save(store, account, kr.keys); err != nil {
			return nil, err
		}
		kr.store = store
		return kr, nil
	}
	kr, err := parse(account, r, raw, now)
	if err != nil {
		return nil, fmt.Errorf("sessiontoken: stored keyring of %s: %w", account, err)
	}
	kr.store = store
	return kr, nil
}

// parse reads a stored keyring, leaving out keys retired more than
// RetiredKeyLifetime before now.
func parse(account string, r io.Reader, raw []byte, now time.Time) (*Keyring, error) {
	var sk storedKeyring
	if err := json.Unmarshal(raw, &sk); err != nil {
		return nil, err
	}
	if sk.Version != version {
		return nil, fmt.Errorf("version %d, want %d", sk.Version, version)
	}
	if len(sk.Keys) == 0 {
		return nil, fmt.Errorf("no keys")
	}
	kr := &Keyring{account: account, rand: r}
	if kr.rand == nil {
		kr.rand = rand.Reader
	}
	for i, k := range sk.Keys {
		if (i == len(sk.Keys)-1) != k.Retired.IsZero() {
			return nil, fmt.Errorf("key %08x: only the last key is current", k.ID)
		}
		d, err := derive(k)
		if err != nil {
			return nil, err
		}
		if !k.Retired.IsZero() && now.Sub(k.Retired) >= RetiredKeyLifetime {
			continue
		}
		kr.keys = append(kr.keys, d)
	}
	return kr, nil
}
