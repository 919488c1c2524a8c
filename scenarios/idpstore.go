package scenarios

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/idp"
)

// idpRecord is what was changed at a served lab's IdP: the user and fault
// changes, replayed in order, and the keys as they were last left.
type idpRecord struct {
	Changes []IDPChange   `json:"changes,omitempty"`
	Keys    *savedKeyring `json:"keys,omitempty"`
	// OIDCKeys are the OpenID Connect provider's keys as last left.
	OIDCKeys *savedOIDCKeyring `json:"oidc_keys,omitempty"`
}

type savedKey struct {
	Key  string `json:"key"`  // PEM
	Cert string `json:"cert"` // PEM
}

type savedKeyring struct {
	Current  savedKey   `json:"current"`
	Next     *savedKey  `json:"next,omitempty"`
	Previous []savedKey `json:"previous,omitempty"`
}

func saveKey(kp *certs.KeyPair) (savedKey, error) {
	k, err := certs.EncodeKeyPEM(kp.Key)
	if err != nil {
		return savedKey{}, err
	}
	return savedKey{Key: string(k), Cert: string(certs.EncodeCertPEM(kp.Cert))}, nil
}

func (s savedKey) load() (*certs.KeyPair, error) {
	key, err := certs.ParseKeyPEM([]byte(s.Key))
	if err != nil {
		return nil, err
	}
	cs, err := certs.ParseCertsPEM([]byte(s.Cert))
	if err != nil {
		return nil, err
	}
	if !key.PublicKey.Equal(cs[0].PublicKey) {
		return nil, errors.New("a stored certificate does not certify its key")
	}
	return &certs.KeyPair{Key: key, Cert: cs[0]}, nil
}

func saveKeyring(r *idp.Keyring) (*savedKeyring, error) {
	var out savedKeyring
	var err error
	if out.Current, err = saveKey(r.Current); err != nil {
		return nil, err
	}
	if r.Next != nil {
		n, err := saveKey(r.Next)
		if err != nil {
			return nil, err
		}
		out.Next = &n
	}
	for _, kp := range r.Previous {
		p, err := saveKey(kp)
		if err != nil {
			return nil, err
		}
		out.Previous = append(out.Previous, p)
	}
	return &out, nil
}

func (s *savedKeyring) load() (*idp.Keyring, error) {
	var r idp.Keyring
	var err error
	if r.Current, err = s.Current.load(); err != nil {
		return nil, fmt.Errorf("current key: %w", err)
	}
	if s.Next != nil {
		if r.Next, err = s.Next.load(); err != nil {
			return nil, fmt.Errorf("next key: %w", err)
		}
	}
	for i, p := range s.Previous {
		kp, err := p.load()
		if err != nil {
			return nil, fmt.Errorf("previous key %d: %w", i+1, err)
		}
		r.Previous = append(r.Previous, kp)
	}
	return &r, nil
}

func readIDPRecord(store MetaStore, key string) (idpRecord, error) {
	var rec idpRecord
	raw, err := store.Meta(key)
	if err != nil || raw == nil {
		return rec, err
	}
	return rec, json.Unmarshal(raw, &rec)
}

// MetaStore keeps small records by key (iam.BoltStore does).
type MetaStore interface {
	Meta(key string) ([]byte, error)
	SetMeta(key string, value []byte) error
}

// RestoreIDP replays the IdP changes stored under key (RecordIDPChange) on
// the lab: user and fault changes in order, then the keys as they were last
// left. It reports whether any were stored.
func (l *Lab) RestoreIDP(store MetaStore, key string) (bool, error) {
	rec, err := readIDPRecord(store, key)
	if err != nil {
		return false, fmt.Errorf("stored IdP changes: %w", err)
	}
	for i, c := range rec.Changes {
		if _, err := l.ApplyIDPChange(c); err != nil {
			return false, fmt.Errorf("stored IdP change %d (%s): %w", i+1, c.Op, err)
		}
	}
	if err := l.restoreOIDCKeys(rec.OIDCKeys); err != nil {
		return false, err
	}
	if rec.Keys == nil {
		return len(rec.Changes) > 0 || rec.OIDCKeys != nil, nil
	}
	ring, err := rec.Keys.load()
	if err != nil {
		return false, fmt.Errorf("stored IdP keys: %w", err)
	}
	return true, l.IDP.SetKeyring(ring)
}

// ApplyAndRecordIDPChange makes the change (ApplyIDPChange) and stores it
// under key, so that RestoreIDP gives a restarted lab the same IdP: user and
// fault changes are kept in order, and the keys as they are after the
// change (keys made on the wall clock with fresh randomness are kept, not
// remade).
func (l *Lab) ApplyAndRecordIDPChange(store MetaStore, key string, c IDPChange) (string, error) {
	msg, err := l.ApplyIDPChange(c)
	if err != nil {
		return "", err
	}
	rec, err := readIDPRecord(store, key)
	if err != nil {
		return "", err
	}
	if c.Op != IDPOpRotate {
		rec.Changes = append(rec.Changes, c)
	}
	if rec.Keys, err = saveKeyring(l.IDP.Keyring()); err != nil {
		return "", err
	}
	if rec.OIDCKeys, err = l.saveOIDCKeys(); err != nil {
		return "", err
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return "", err
	}
	return msg, store.SetMeta(key, raw)
}
