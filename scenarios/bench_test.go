package scenarios_test

import (
	"testing"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/scenarios"
)

// BenchmarkCertRotation runs the headline scenario end to end (lab set-up
// included) with fixture keys and with freshly generated RSA-2048 keys, beside
// the baseline of generating one RSA-2048 key, so the share of key generation
// can be read as a ratio from one run.
func BenchmarkCertRotation(b *testing.B) {
	sc, err := scenarios.Find("cert-rotation")
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, keys func() certs.KeySource) {
		for b.Loop() {
			rep, err := scenarios.Run(b.Context(), sc, scenarios.LabConfig{Keys: keys()}, nil)
			if err != nil || !rep.Pass {
				b.Fatalf("run: %v, pass=%v", err, rep != nil && rep.Pass)
			}
		}
	}
	b.Run("fixture-keys", func(b *testing.B) { run(b, func() certs.KeySource { return certstest.New() }) })
	b.Run("generated-keys", func(b *testing.B) { run(b, func() certs.KeySource { return certs.GeneratedKeys{} }) })
	b.Run("baseline-rsa2048-keygen", func(b *testing.B) {
		for b.Loop() {
			if _, err := (certs.GeneratedKeys{}).Key(2048); err != nil {
				b.Fatal(err)
			}
		}
	})
}
