package awsapi

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestIDs(t *testing.T) {
	t.Parallel()
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if a, b := NewRequestID(nil), NewRequestID(nil); !uuid.MatchString(a) || a == b {
		t.Errorf("NewRequestID = %q, %q; want two distinct version-4 UUIDs", a, b)
	}
	if got := NewRequestID(failingReader{}); got != "00000000-0000-0000-0000-000000000000" {
		t.Errorf("NewRequestID(failing reader) = %q, want the nil UUID", got)
	}
	key := regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`)
	if id, err := NewAccessKeyID(nil, "ASIA"); err != nil || !key.MatchString(id) {
		t.Errorf("NewAccessKeyID(ASIA) = %q, %v; want ASIA + 16 of [A-Z2-7]", id, err)
	}
	if _, err := NewAccessKeyID(failingReader{}, "AKIA"); err == nil {
		t.Errorf("NewAccessKeyID(failing reader) succeeded")
	}
}

// TestAccountOfAccessKeyID reads the account from key IDs: AWS's published
// example and keys made for an account, which must round-trip.
func TestAccountOfAccessKeyID(t *testing.T) {
	if got, ok := AccountOfAccessKeyID("ASIAY34FZKBOKMUTVV7A"); !ok || got != "609629065308" {
		t.Errorf("AccountOfAccessKeyID(ASIAY34FZKBOKMUTVV7A) = %q, %v; want 609629065308", got, ok)
	}
	for _, acct := range []string{"123456789012", "000000000001", "999999999999", "609629065308"} {
		for range 20 {
			id, err := NewAccessKeyIDFor(nil, "AKIA", acct)
			if err != nil {
				t.Fatal(err)
			}
			if len(id) != 20 || !strings.HasPrefix(id, "AKIA") || strings.Trim(id[4:], "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
				t.Fatalf("NewAccessKeyIDFor = %q, want AKIA and 16 base32 characters", id)
			}
			if got, ok := AccountOfAccessKeyID(id); !ok || got != acct {
				t.Fatalf("AccountOfAccessKeyID(%s) = %q, %v; want %s", id, got, ok, acct)
			}
		}
	}
	for _, bad := range []string{"", "AKIA", "AKIA0000000000000000", "ASIAY34FZKBOKMUTVV7", "ASIAY34FZKBOKMUTVV7AA"} {
		if got, ok := AccountOfAccessKeyID(bad); ok {
			t.Errorf("AccountOfAccessKeyID(%q) = %q, true; want false", bad, got)
		}
	}
	for _, in := range [][2]string{{"AKIA", "12345678901"}, {"AKIA", "12345678901x"}, {"AK", "123456789012"}} {
		if id, err := NewAccessKeyIDFor(nil, in[0], in[1]); err == nil {
			t.Errorf("NewAccessKeyIDFor(%q, %q) = %q, want an error", in[0], in[1], id)
		}
	}
}

func FuzzAccountOfAccessKeyID(f *testing.F) {
	f.Add("ASIAY34FZKBOKMUTVV7A")
	f.Add("AKIAIOSFODNN7EXAMPLE")
	f.Add("")
	f.Fuzz(func(t *testing.T, id string) {
		acct, ok := AccountOfAccessKeyID(id)
		if !ok {
			return
		}
		if len(acct) != 12 || strings.Trim(acct, "0123456789") != "" {
			t.Fatalf("AccountOfAccessKeyID(%q) = %q, not 12 digits", id, acct)
		}
		again, err := NewAccessKeyIDFor(nil, id[:4], acct)
		if err == nil {
			if back, _ := AccountOfAccessKeyID(again); back != acct {
				t.Fatalf("round trip of %s: %s, want %s", acct, back, acct)
			}
		}
	})
}
