package oidc_test

import (
	"crypto"
	"crypto/rsa"
	"log/slog"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/idp/oidc"
)

// threadCPU returns the CPU time the calling OS thread has used (Linux
// RUSAGE_THREAD), so a benchmark on a busy machine measures work done
// rather than time spent waiting for a core.
func threadCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkIDToken compares issuing an RS256 ID token with two baselines in
// the same loop, on one locked OS thread timed by its CPU time: the raw RSA
// PKCS#1 v1.5 signature it contains (same 2048-bit key), and a signed SAML
// response of the IdP beside it for the same user. It reports
// token/rsa-cost and token/saml-cost.
func BenchmarkIDToken(b *testing.B) {
	keys := certstest.New()
	s, err := idp.New(idp.Config{EntityID: "https://idp.samlab.test/metadata", Keys: keys, Users: idp.DemoUsers(),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	p, err := oidc.New(oidc.Config{Issuer: "https://idp.samlab.test/oidc", Users: idp.DemoUsers(), Keys: keys})
	if err != nil {
		b.Fatal(err)
	}
	u, _ := idp.DemoUsers().User("alice")
	key := p.Keyring().Current.Signer.(*rsa.PrivateKey)
	digest := make([]byte, 32)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var tokCPU, rsaCPU, samlCPU time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := threadCPU(b)
		if _, err := p.IDToken(u, oidc.TokenOptions{Audience: "sts.amazonaws.com"}); err != nil {
			b.Fatal(err)
		}
		t1 := threadCPU(b)
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest); err != nil {
			b.Fatal(err)
		}
		t2 := threadCPU(b)
		if _, err := s.AWSResponse(u, idp.ResponseOptions{}); err != nil {
			b.Fatal(err)
		}
		tokCPU += t1 - t0
		rsaCPU += t2 - t1
		samlCPU += threadCPU(b) - t2
	}
	b.ReportMetric(float64(b.N)/tokCPU.Seconds(), "tokens/cpu-s")
	b.ReportMetric(tokCPU.Seconds()/rsaCPU.Seconds(), "token/rsa-cost")
	b.ReportMetric(tokCPU.Seconds()/samlCPU.Seconds(), "token/saml-cost")
}
