package scenarios

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"time"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/sp/sts"
)

// BenchConfig configures Bench.
type BenchConfig struct {
	// Rounds is how many alternating baseline/subject rounds run per subject
	// (default 7). The reported ratio is the median of the per-round ratios,
	// so a noisy neighbour slowing one round does not skew the result.
	Rounds int
	// RoundTime is how long each half of a round runs (default 200ms).
	RoundTime time.Duration
}

// BenchResult is one subject measured against the baseline.
type BenchResult struct {
	Name string `json:"name"`
	// Unit is what one operation is.
	Unit string `json:"unit"`
	// OpsPerSec is the subject's median throughput on one goroutine.
	OpsPerSec float64 `json:"ops_per_sec"`
	// BaselineOpsPerSec is the median throughput of the baseline (one RSA-2048
	// PKCS#1 v1.5 signature plus its verification with the same key).
	BaselineOpsPerSec float64 `json:"baseline_ops_per_sec"`
	// Ratio is the median over rounds of subject time / baseline time per
	// operation: how many baseline operations one subject operation costs.
	Ratio float64 `json:"ratio"`
	// AllocBytesPerOp is the heap allocated per subject operation.
	AllocBytesPerOp float64 `json:"alloc_bytes_per_op"`
}

// Bench measures samlab's hot paths against a baseline measured in the same
// run (machines are noisy; absolute numbers mean little, ratios travel):
// building and signing an AWS response, validating one in AssumeRoleWithSAML,
// the whole cert-rotation scenario, and the whole library.
func Bench(ctx context.Context, cfg BenchConfig) ([]BenchResult, error) {
	if cfg.Rounds <= 0 {
		cfg.Rounds = 7
	}
	if cfg.RoundTime <= 0 {
		cfg.RoundTime = 200 * time.Millisecond
	}
	lab, err := NewLab(LabConfig{Keys: certstest.New()})
	if err != nil {
		return nil, err
	}
	if err := lab.RegisterProvider(); err != nil {
		return nil, err
	}
	user := lab.Users[DefaultUser]
	key := lab.IDP.SigningKey().Key
	digest := sha256.Sum256([]byte("samlab bench baseline"))
	baseline := func() error {
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
		if err != nil {
			return err
		}
		return rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], sig)
	}
	resp, err := lab.IDP.AWSResponse(user, idp.ResponseOptions{})
	if err != nil {
		return nil, err
	}
	assertion := resp.Base64()
	all, err := Library()
	if err != nil {
		return nil, err
	}
	scenario, err := findIn(all, "cert-rotation")
	if err != nil {
		return nil, err
	}
	subjects := []struct {
		name, unit string
		op         func() error
	}{
		{"idp-sign-response", "signed AWS SAMLResponse", func() error {
			_, err := lab.IDP.AWSResponse(user, idp.ResponseOptions{})
			return err
		}},
		{"sts-assume-role-with-saml", "validated AssumeRoleWithSAML", func() error {
			_, err := lab.STS.AssumeRoleWithSAML(ctx, sts.AssumeRoleWithSAMLInput{
				RoleARN: lab.RoleARN, PrincipalARN: lab.ProviderARN, SAMLAssertion: assertion})
			return err
		}},
		{"scenario-cert-rotation", "cert-rotation scenario run (fixture keys)", func() error {
			rep, err := Run(ctx, scenario, LabConfig{Keys: certstest.New()}, nil)
			if err == nil && !rep.Pass {
				err = errors.New("cert-rotation did not pass")
			}
			return err
		}},
		{"scenario-library", fmt.Sprintf("run of the whole library, %d scenarios (fixture keys)", len(all)), func() error {
			for _, sc := range all {
				rep, err := Run(ctx, sc, LabConfig{Keys: certstest.New()}, nil)
				if err != nil {
					return err
				}
				if !rep.Pass {
					return fmt.Errorf("%s did not pass", sc.Name)
				}
			}
			return nil
		}},
	}
	var out []BenchResult
	for _, s := range subjects {
		var ratios, subjRates, baseRates []float64
		var allocs float64
		for range cfg.Rounds {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			bn, bd, _, err := timeLoop(baseline, cfg.RoundTime)
			if err != nil {
				return out, fmt.Errorf("bench baseline: %w", err)
			}
			sn, sd, sb, err := timeLoop(s.op, cfg.RoundTime)
			if err != nil {
				return out, fmt.Errorf("bench %s: %w", s.name, err)
			}
			perBase := bd.Seconds() / float64(bn)
			perSubj := sd.Seconds() / float64(sn)
			ratios = append(ratios, perSubj/perBase)
			subjRates = append(subjRates, 1/perSubj)
			baseRates = append(baseRates, 1/perBase)
			allocs += float64(sb) / float64(sn)
		}
		out = append(out, BenchResult{Name: s.name, Unit: s.unit, OpsPerSec: median(subjRates),
			BaselineOpsPerSec: median(baseRates), Ratio: median(ratios), AllocBytesPerOp: allocs / float64(cfg.Rounds)})
	}
	return out, nil
}

// timeLoop runs op until d has passed (at least once) and returns the number
// of runs, the time taken and the bytes allocated.
func timeLoop(op func() error, d time.Duration) (int, time.Duration, uint64, error) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	start := time.Now()
	n := 0
	for n == 0 || time.Since(start) < d {
		if err := op(); err != nil {
			return n, 0, 0, err
		}
		n++
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&ms)
	return n, elapsed, ms.TotalAlloc - before, nil
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
