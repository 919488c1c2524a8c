package idp

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"

	"github.com/samlab-dev/samlab/certs"
)

// MaxPreviousKeys is how many retired keys a Keyring keeps (for the
// stale-key fault and for reference); older ones are dropped.
const MaxPreviousKeys = 5

// Keyring holds an IdP's signing keys: Current signs responses; Next, when
// set, is published in metadata beside Current ahead of a switch (the safe
// rollover); Previous holds retired keys, newest first, no longer published.
// A Keyring is a plain value; Server guards its own copy with a lock.
type Keyring struct {
	Current  *certs.KeyPair
	Next     *certs.KeyPair
	Previous []*certs.KeyPair
}

// Published returns the certificates metadata publishes: Current, then Next.
func (k *Keyring) Published() []*x509.Certificate { return certsOf(k.Current, k.Next) }

// Stage sets Next to kp unless a next key is already staged; it returns the
// staged key.
func (k *Keyring) Stage(kp *certs.KeyPair) *certs.KeyPair {
	if k.Next == nil {
		k.Next = kp
	}
	return k.Next
}

// Rotate makes the staged Next key current, or fresh when none is staged,
// and retires the current key. fresh may be nil when Next is set. It returns
// the new current key.
func (k *Keyring) Rotate(fresh *certs.KeyPair) (*certs.KeyPair, error) {
	nk := k.Next
	if nk == nil {
		nk = fresh
	}
	if nk == nil {
		return nil, errors.New("idp: rotate: no next key")
	}
	if k.Current != nil {
		k.Previous = append([]*certs.KeyPair{k.Current}, k.Previous...)
		if len(k.Previous) > MaxPreviousKeys {
			k.Previous = k.Previous[:MaxPreviousKeys]
		}
	}
	k.Current, k.Next = nk, nil
	return nk, nil
}

func (k *Keyring) clone() *Keyring {
	return &Keyring{Current: k.Current, Next: k.Next, Previous: append([]*certs.KeyPair(nil), k.Previous...)}
}

// Key directory layout: one PKCS#8 key and one certificate per slot.
//
//	current.key  current.crt
//	next.key     next.crt        (only during a rollover)
//	previous-1.key previous-1.crt … (newest first)
const (
	keyExt  = ".key"
	certExt = ".crt"
)

var previousRE = regexp.MustCompile(`^previous-([0-9]+)\.key$`)

// Files returns the keyring as files for a key directory: "current.key" and
// "current.crt", "next.*" during a rollover and "previous-N.*" for retired
// keys. Keys are PEM PKCS#8, certificates PEM.
func (k *Keyring) Files() (map[string][]byte, error) {
	out := map[string][]byte{}
	add := func(slot string, kp *certs.KeyPair) error {
		pk, err := certs.EncodeKeyPEM(kp.Key)
		if err != nil {
			return err
		}
		out[slot+keyExt] = pk
		out[slot+certExt] = certs.EncodeCertPEM(kp.Cert)
		return nil
	}
	if k.Current == nil {
		return nil, errors.New("idp: keyring has no current key")
	}
	if err := add("current", k.Current); err != nil {
		return nil, err
	}
	if k.Next != nil {
		if err := add("next", k.Next); err != nil {
			return nil, err
		}
	}
	for i, kp := range k.Previous {
		if err := add("previous-"+strconv.Itoa(i+1), kp); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ErrNoKeyring is returned by LoadKeyring when the directory holds no
// current key.
var ErrNoKeyring = errors.New("no current.key in key directory")

// LoadKeyring reads a key directory written from Files. It returns
// ErrNoKeyring when there is no current key, and an error naming the file
// when a key and its certificate do not belong together.
func LoadKeyring(fsys fs.FS) (*Keyring, error) {
	load := func(slot string) (*certs.KeyPair, error) {
		kb, err := fs.ReadFile(fsys, slot+keyExt)
		if err != nil {
			return nil, err
		}
		cb, err := fs.ReadFile(fsys, slot+certExt)
		if err != nil {
			return nil, err
		}
		key, err := certs.ParseKeyPEM(kb)
		if err != nil {
			return nil, fmt.Errorf("%s%s: %w", slot, keyExt, err)
		}
		cs, err := certs.ParseCertsPEM(cb)
		if err != nil {
			return nil, fmt.Errorf("%s%s: %w", slot, certExt, err)
		}
		if !key.PublicKey.Equal(cs[0].PublicKey) {
			return nil, fmt.Errorf("%s%s does not certify the key in %s%s", slot, certExt, slot, keyExt)
		}
		return &certs.KeyPair{Key: key, Cert: cs[0]}, nil
	}
	cur, next, prev, err := LoadKeySlots(fsys, load)
	if err != nil {
		return nil, err
	}
	return &Keyring{Current: cur, Next: next, Previous: prev}, nil
}

// LoadKeySlots reads the slots of a key directory laid out as Files writes
// it, calling load with each slot's name: "current", "next" and the
// "previous-N" slots in order of N (a slot is there when its .key file is).
// It returns ErrNoKeyring when load finds no current slot (fs.ErrNotExist);
// a missing next slot is the zero K.
func LoadKeySlots[K any](fsys fs.FS, load func(slot string) (K, error)) (current, next K, previous []K, err error) {
	var zero K
	if current, err = load("current"); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = ErrNoKeyring
		}
		return zero, zero, nil, err
	}
	if next, err = load("next"); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return zero, zero, nil, err
		}
		next = zero
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return zero, zero, nil, err
	}
	var idx []int
	for _, e := range entries {
		if m := previousRE.FindStringSubmatch(e.Name()); m != nil {
			n, _ := strconv.Atoi(m[1])
			idx = append(idx, n)
		}
	}
	sort.Ints(idx)
	for _, n := range idx {
		k, err := load("previous-" + strconv.Itoa(n))
		if err != nil {
			return zero, zero, nil, err
		}
		previous = append(previous, k)
	}
	return current, next, previous, nil
}
