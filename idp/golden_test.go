package idp

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// seeded is a deterministic byte source for IDs and certificate serials.
type seeded struct{ r *rand.ChaCha8 }

func (s seeded) Read(p []byte) (int, error) { return s.r.Read(p) }

// TestGolden pins the exact XML of metadata and of an AWS response (fixed
// clock, seeded IDs, fixture key, deterministic RSA PKCS#1 v1.5), so every
// change to the output shows up in review. Regenerate with -update.
func TestGolden(t *testing.T) {
	t.Parallel()
	r := seeded{rand.NewChaCha8([32]byte{1})}
	now := func() time.Time { return testClock }
	kp, err := certs.New(certs.WithKeySource(certstest.New()), certs.WithSubject(testEntityID), certs.WithNow(now), certs.WithRand(r))
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, func(c *Config) { c.Key, c.Now, c.Rand, c.BaseURL = kp, now, r, "https://idp.samlab.test" })
	md, err := s.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.AWSResponse(demoUser(t, "alice"), ResponseOptions{SessionLifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"metadata": md, "aws_response": resp.XML} {
		file := filepath.Join("testdata", t.Name()+"_"+name+".golden")
		if *update {
			if err := os.WriteFile(file, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (run with -update and review the diff):\n%s", name, file, got)
		}
	}
}
