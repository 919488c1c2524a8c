package idp

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
)

func TestKeyringRolloverAndFiles(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	first := s.SigningKey()
	next, err := s.StageRollover()
	if err != nil {
		t.Fatal(err)
	}
	if got := s.PublishedCerts(); len(got) != 2 || !got[0].Equal(first.Cert) || !got[1].Equal(next.Cert) {
		t.Fatalf("during rollover PublishedCerts = %d certs, want current then next", len(got))
	}
	if s.SigningKey() != first {
		t.Fatal("StageRollover switched the signing key")
	}
	// The ring survives a trip through a key directory.
	files, err := s.Keyring().Files()
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: data}
	}
	ring, err := LoadKeyring(fsys)
	if err != nil {
		t.Fatalf("LoadKeyring: %v", err)
	}
	s2 := newTestServer(t, func(c *Config) { c.Keyring = ring })
	if nk, err := s2.Rotate(); err != nil || !nk.Cert.Equal(next.Cert) {
		t.Fatalf("Rotate after reload = %v, want the staged key", err)
	}
	if got := s2.PublishedCerts(); len(got) != 1 || !got[0].Equal(next.Cert) {
		t.Errorf("after the switch PublishedCerts has %d certs, want only the new one", len(got))
	}
	if p := s2.PreviousKey(); p == nil || !p.Cert.Equal(first.Cert) {
		t.Error("the old key is not kept as previous")
	}

	// A certificate that does not match its key is refused.
	other, _ := certs.New(certs.WithKeySource(certstest.New()), certs.WithBits(3072))
	fsys["current.crt"] = &fstest.MapFile{Data: certs.EncodeCertPEM(other.Cert)}
	if _, err := LoadKeyring(fsys); err == nil {
		t.Error("LoadKeyring accepted a certificate of another key")
	}
	if _, err := LoadKeyring(fstest.MapFS{}); !errors.Is(err, ErrNoKeyring) {
		t.Errorf("LoadKeyring(empty) = %v, want ErrNoKeyring", err)
	}
}

func TestKeySizes(t *testing.T) {
	t.Parallel()
	for _, bits := range []int{2048, 3072, 4096} {
		s := newTestServer(t, func(c *Config) { c.KeyBits = bits })
		if got := s.SigningKey().Key.N.BitLen(); got != bits {
			t.Errorf("KeyBits %d gave a %d-bit key", bits, got)
		}
		if _, err := s.AWSResponse(demoUser(t, "alice"), ResponseOptions{}); err != nil {
			t.Errorf("AWSResponse with %d-bit key: %v", bits, err)
		}
	}
}

// recorder is a slog handler that keeps messages.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Level.String()+" "+rec.Message)
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

// TestExpiredCertificate signs with an already-expired certificate: the
// response is still built (AWS's enforcement is unverified) and a warning
// is logged.
func TestExpiredCertificate(t *testing.T) {
	t.Parallel()
	past := testClock.Add(-48 * time.Hour)
	kp, err := certs.New(certs.WithKeySource(certstest.New()), certs.WithValidity(past, past.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	s := newTestServer(t, func(c *Config) {
		c.Key, c.Logger, c.Now = kp, slog.New(rec), func() time.Time { return testClock }
	})
	if _, err := s.AWSResponse(demoUser(t, "alice"), ResponseOptions{}); err != nil {
		t.Fatalf("AWSResponse with an expired cert: %v", err)
	}
	want := "WARN signing with a certificate outside its validity window"
	if len(rec.msgs) != 1 || rec.msgs[0] != want {
		t.Errorf("logs = %q, want [%q]", rec.msgs, want)
	}

	// An expired certificate can also be staged and switched to.
	s2 := newTestServer(t, func(c *Config) { c.Now = func() time.Time { return testClock } })
	if got := s2.StageKey(kp); got != kp || len(s2.PublishedCerts()) != 2 {
		t.Fatal("StageKey did not publish the expired key beside the current one")
	}
	if nk, err := s2.Rotate(); err != nil || nk != kp {
		t.Errorf("Rotate after StageKey = %v, want the staged expired key", err)
	}
}

func TestNameIDFormats(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	for _, f := range NameIDFormats() {
		resp, err := s.AWSResponse(demoUser(t, "alice"), ResponseOptions{NameIDFormat: f})
		if err != nil {
			t.Fatalf("NameIDFormat %s: %v", f, err)
		}
		if !bytes.Contains(resp.XML, []byte(`Format="`+f+`"`)) {
			t.Errorf("response lacks NameID Format %s", f)
		}
		if f == NameIDFormatEmail && !bytes.Contains(resp.XML, []byte(">alice@example.com</saml:NameID>")) {
			t.Error("emailAddress NameID is not the email")
		}
	}
	if _, err := s.AWSResponse(demoUser(t, "alice"), ResponseOptions{NameIDFormat: "urn:x"}); err == nil {
		t.Error("unsupported NameID format accepted")
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    Config
		wantOK bool
	}{
		{"minimal", Config{EntityID: "e"}, true},
		{"no entity id", Config{}, false},
		{"relative sign-in URL", Config{EntityID: "e", AWSSignInURL: "../signin/saml"}, true},
		{"local sign-in URL", Config{EntityID: "e", AWSSignInURL: "http://127.0.0.1:8765/signin/saml"}, true},
		{"sign-in URL with another scheme", Config{EntityID: "e", AWSSignInURL: "javascript:alert(1)"}, false},
		{"base URL without host", Config{EntityID: "e", BaseURL: "http://"}, false},
		{"tiny key", Config{EntityID: "e", KeyBits: 512}, false},
		{"unknown signature method", Config{EntityID: "e", Signing: SigningOptions{SignatureMethod: "rsa-md5"}}, false},
		{"a fault", Config{EntityID: "e", Fault: FaultTamper}, true},
		{"unknown fault", Config{EntityID: "e", Fault: "melt"}, false},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); (err == nil) != tt.wantOK {
			t.Errorf("%s: Validate() = %v, want ok %v", tt.name, err, tt.wantOK)
		}
	}
}
