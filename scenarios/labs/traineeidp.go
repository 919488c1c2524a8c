package labs

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/scenarios/labweb"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

// idpRecord is what the trainee changed at the IdP: the user and fault
// changes, replayed in order after the broken state, and the keys as they
// were last left (certificates are made on the wall clock with fresh
// randomness once the lab is served, so they are kept, not remade).
type idpRecord struct {
	Changes []scenarios.IDPChange `json:"changes,omitempty"`
	Keys    *savedKeyring         `json:"keys,omitempty"`
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

func readIDPRecord(store *iam.BoltStore) (idpRecord, error) {
	var rec idpRecord
	raw, err := store.Meta(idpMeta)
	if err != nil || raw == nil {
		return rec, err
	}
	return rec, json.Unmarshal(raw, &rec)
}

// restoreIDP replays the trainee's stored IdP changes on a lab just
// replayed to its broken state.
func restoreIDP(store *iam.BoltStore, lab *scenarios.Lab) error {
	rec, err := readIDPRecord(store)
	if err != nil {
		return err
	}
	for i, c := range rec.Changes {
		if _, err := lab.ApplyIDPChange(c); err != nil {
			return fmt.Errorf("change %d (%s): %w", i+1, c.Op, err)
		}
	}
	if rec.Keys == nil {
		return nil
	}
	ring, err := rec.Keys.load()
	if err != nil {
		return err
	}
	return lab.IDP.SetKeyring(ring)
}

// applyIDPChange changes the trainee's IdP and stores the change, so a
// restarted lab has it too.
func (t *Trainee) applyIDPChange(c scenarios.IDPChange) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.store == nil {
		return "", errors.New("the lab is closed")
	}
	msg, err := t.lab.ApplyIDPChange(c)
	if err != nil {
		return "", err
	}
	rec, err := readIDPRecord(t.store)
	if err != nil {
		return "", err
	}
	if c.Op != scenarios.IDPOpRotate {
		rec.Changes = append(rec.Changes, c)
	}
	if rec.Keys, err = saveKeyring(t.lab.IDP.Keyring()); err != nil {
		return "", err
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return "", err
	}
	return msg, t.store.SetMeta(idpMeta, raw)
}

// authorize accepts the trainee's admin token (scenarios.AdminKey.Token)
// and the class's control token.
func (t *Trainee) authorize(r *http.Request) error {
	return scenarios.BearerAuth(t.cfg.Admin.Token(), t.cfg.ControlToken)(r)
}

func (t *Trainee) eventsFile() string {
	if t.cfg.EventsFile != "" {
		return t.cfg.EventsFile
	}
	return filepath.Join(t.cfg.Dir, EventsFile)
}

// readEvents reads the lab's recorded calls, for the event log page.
func (t *Trainee) readEvents() (_ []awsapi.Event, err error) {
	f, err := os.Open(t.eventsFile())
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	return awsapi.ReadEvents(f)
}

// task is the lab's task for the index page: never the hint or the fix.
func (t *Trainee) task() *labweb.Task {
	sc := t.cfg.Scenario
	check := "samlab lab check --endpoint " + t.cfg.BaseURL
	return &labweb.Task{ID: sc.Name, Title: sc.Title, Text: strings.TrimRight(sc.Lab.Task, "\n"), Difficulty: sc.Difficulty,
		Check: check}
}
