package awsapi

import (
	"errors"
	"regexp"
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
