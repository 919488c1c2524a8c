package idp

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/metadata"
)

const testEntityID = "https://idp.samlab.test/metadata"

// testClock is a fixed time for deterministic responses.
var testClock = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// newTestServer returns an IdP with fixture keys, the demo users and the
// given adjustments.
func newTestServer(t testing.TB, update func(*Config)) *Server {
	t.Helper()
	cfg := Config{
		EntityID: testEntityID,
		Keys:     certstest.New(),
		Users:    DemoUsers(),
		Logger:   slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if update != nil {
		update(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func demoUser(t testing.TB, name string) User {
	t.Helper()
	u, ok := DemoUsers().User(name)
	if !ok {
		t.Fatalf("demo user %q missing", name)
	}
	return u
}

// requireTool returns the path of an external program; it skips the test
// when the program is missing, unless CI=true, where that is a failure.
func requireTool(t testing.TB, path string) string {
	t.Helper()
	p, err := exec.LookPath(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", path, err)
		}
		t.Skipf("%s not installed: %v", path, err)
	}
	return p
}

// exportedCertPEM writes the first signing certificate of the server's
// exported metadata to a PEM file, as a relying party would get it.
func exportedCertPEM(t testing.TB, s *Server) string {
	t.Helper()
	md, err := s.Metadata()
	if err != nil {
		t.Fatalf("Metadata: %v", err)
	}
	ed, err := metadata.Parse(md)
	if err != nil {
		t.Fatalf("metadata.Parse: %v", err)
	}
	var pemData []byte
	for _, c := range ed.SigningCerts {
		pemData = append(pemData, certs.EncodeCertPEM(c)...)
	}
	p := filepath.Join(t.TempDir(), "idp.crt")
	if err := os.WriteFile(p, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs a command and returns its standard output; a failure's error
// carries the standard error.
func run(t testing.TB, name string, args ...string) ([]byte, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("%s: %w\n%s", filepath.Base(name), err, errOut.Bytes())
	}
	return out.Bytes(), nil
}
