// Package certstest provides a fast KeySource for tests and scenarios: RSA keys
// generated once (see gen.sh) and embedded, so a suite that rotates keys dozens
// of times does not pay ~100 ms per RSA-2048 generation.
//
// The keys are public. Never use them for anything but tests and labs.
package certstest

import (
	"crypto/rsa"
	"embed"
	"fmt"
	"sort"
	"sync"

	"github.com/samlab-dev/samlab/certs"
)

//go:embed keys/*.pem
var keyFiles embed.FS

// Keys is a KeySource that hands out the embedded fixture keys in a fixed
// order, each at most once per Keys value, and generates fresh keys (with
// certs.GeneratedKeys) once a size's fixtures are used up. Distinct Keys values
// hand out the same keys in the same order, which makes scenario runs
// repeatable. Keys is safe for concurrent use; the zero value is ready.
type Keys struct {
	mu   sync.Mutex
	next map[int]int
}

// New returns a fresh fixture KeySource.
func New() *Keys { return &Keys{} }

// Key returns the next unused fixture key of the given size (certs.DefaultBits
// when bits is 0).
func (k *Keys) Key(bits int) (*rsa.PrivateKey, error) {
	if bits == 0 {
		bits = certs.DefaultBits
	}
	k.mu.Lock()
	if k.next == nil {
		k.next = map[int]int{}
	}
	i := k.next[bits]
	k.next[bits] = i + 1
	k.mu.Unlock()

	names := fixtureNames(bits)
	if i >= len(names) {
		return certs.GeneratedKeys{}.Key(bits)
	}
	return loadFixture(names[i])
}

// Count returns how many embedded fixture keys of the given size exist.
func Count(bits int) int { return len(fixtureNames(bits)) }

func fixtureNames(bits int) []string {
	entries, err := keyFiles.ReadDir("keys")
	if err != nil {
		return nil
	}
	prefix := fmt.Sprintf("rsa%d-", bits)
	var out []string
	for _, e := range entries {
		if len(e.Name()) > len(prefix) && e.Name()[:len(prefix)] == prefix {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

var cache sync.Map // file name -> *rsa.PrivateKey; parsed keys are immutable

func loadFixture(name string) (*rsa.PrivateKey, error) {
	if v, ok := cache.Load(name); ok {
		return v.(*rsa.PrivateKey), nil
	}
	data, err := keyFiles.ReadFile("keys/" + name)
	if err != nil {
		return nil, fmt.Errorf("fixture key %s: %w", name, err)
	}
	key, err := certs.ParseKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("fixture key %s: %w", name, err)
	}
	v, _ := cache.LoadOrStore(name, key)
	return v.(*rsa.PrivateKey), nil
}
