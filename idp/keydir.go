package idp

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/samlab-dev/samlab/certs"
)

// KeyChange says what a key rotation did.
type KeyChange int

// Outcomes of Keyring.Change.
const (
	// KeysCreated: there was no key; a first signing key was made.
	KeysCreated KeyChange = iota + 1
	// KeyStaged: a next key was made and published beside the current one.
	KeyStaged
	// KeyAlreadyStaged: a rollover was asked while a next key was staged;
	// nothing changed.
	KeyAlreadyStaged
	// SwitchedToStaged: the staged next key signs now; the old key retired.
	SwitchedToStaged
	// SwitchedToNew: a new key signs at once; the old key retired (SPs that
	// hold only the old certificate now reject responses).
	SwitchedToNew
)

// String describes the change, for people.
func (c KeyChange) String() string {
	switch c {
	case KeysCreated:
		return "made a first signing key"
	case KeyStaged:
		return "staged a next key: the metadata now publishes the current and the next certificate; " +
			"update every SP with it, then rotate to switch"
	case KeyAlreadyStaged:
		return "a next key is already staged (nothing changed); rotate without a rollover to switch to it"
	case SwitchedToStaged:
		return "switched to the staged key; the old certificate is no longer published"
	case SwitchedToNew:
		return "switched to a new key at once; SPs that only know the old certificate now reject responses"
	}
	return fmt.Sprintf("KeyChange(%d)", int(c))
}

// MarshalText writes the change's short name (created, staged,
// already-staged, switched-to-staged, switched-to-new).
func (c KeyChange) MarshalText() ([]byte, error) {
	names := map[KeyChange]string{KeysCreated: "created", KeyStaged: "staged", KeyAlreadyStaged: "already-staged",
		SwitchedToStaged: "switched-to-staged", SwitchedToNew: "switched-to-new"}
	if n, ok := names[c]; ok {
		return []byte(n), nil
	}
	return nil, fmt.Errorf("idp: unknown key change %d", int(c))
}

// Change applies the rotation policy to the keyring. With rollover, a next
// key from newKey is staged beside the current one (unless one is staged
// already: KeyAlreadyStaged). Without it, the staged key becomes current,
// or, when none is staged, a new key from newKey does at once. An empty
// keyring gets a first key either way (KeysCreated). newKey is called only
// when a key is needed.
func (k *Keyring) Change(rollover bool, newKey func() (*certs.KeyPair, error)) (KeyChange, error) {
	switch {
	case k.Current == nil:
		kp, err := newKey()
		if err != nil {
			return 0, err
		}
		k.Current = kp
		return KeysCreated, nil
	case rollover && k.Next != nil:
		return KeyAlreadyStaged, nil
	case rollover:
		kp, err := newKey()
		if err != nil {
			return 0, err
		}
		k.Stage(kp)
		return KeyStaged, nil
	}
	change := SwitchedToStaged
	var fresh *certs.KeyPair
	if k.Next == nil {
		var err error
		if fresh, err = newKey(); err != nil {
			return 0, err
		}
		change = SwitchedToNew
	}
	if _, err := k.Rotate(fresh); err != nil {
		return 0, err
	}
	return change, nil
}

// ChangeKeys applies Keyring.Change to the IdP's own keys, making new keys
// as NewKeyPair does. It is the live form of RotateKeyDir.
func (s *Server) ChangeKeys(rollover bool) (KeyChange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.ring.Change(rollover, s.NewKeyPair)
	if err != nil {
		return 0, fmt.Errorf("idp: rotate: %w", err)
	}
	s.logger.Info("signing keys changed", "change", c.String(),
		"fingerprint_sha1", certs.FingerprintSHA1(s.ring.Current.Cert))
	return c, nil
}

// SetKeyring replaces the IdP's keys with a copy of k (for example keys
// saved from an earlier run). k must have a current key.
func (s *Server) SetKeyring(k *Keyring) error {
	if k == nil || k.Current == nil {
		return errors.New("idp: set keyring: no current key")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ring = k.clone()
	return nil
}

var keySlotRE = regexp.MustCompile(`^(current|next|previous-[0-9]+)\.(key|crt)$`)

// RotateKeyDir applies the rotation policy (Keyring.Change) to the key
// directory dir, which is created with a first key when it holds none, and
// writes the result back (WriteKeyDir). It returns the new keyring and what
// changed.
func RotateKeyDir(dir string, rollover bool, newKey func() (*certs.KeyPair, error)) (*Keyring, KeyChange, error) {
	ring, err := LoadKeyring(os.DirFS(dir))
	switch {
	case errors.Is(err, ErrNoKeyring) || errors.Is(err, fs.ErrNotExist):
		ring = &Keyring{}
	case err != nil:
		return nil, 0, fmt.Errorf("key directory %s: %w", dir, err)
	}
	change, err := ring.Change(rollover, newKey)
	if err != nil {
		return nil, 0, err
	}
	if change == KeyAlreadyStaged {
		return ring, change, nil
	}
	if err := WriteKeyDir(dir, ring); err != nil {
		return nil, 0, err
	}
	return ring, change, nil
}

// WriteKeyDir writes the keyring's files (Keyring.Files; keys 0600) into
// dir, creating it, through temporary files and renames, then removes slot
// files the keyring no longer has. Other files in dir are left alone.
func WriteKeyDir(dir string, ring *Keyring) error {
	files, err := ring.Files()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(n, keyExt) {
			mode = 0o600
		}
		tmp := filepath.Join(dir, "."+n+".tmp")
		if err := os.WriteFile(tmp, files[n], mode); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, keep := files[e.Name()]; !keep && keySlotRE.MatchString(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
