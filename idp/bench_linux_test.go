package idp

import (
	"crypto"
	"crypto/rsa"
	"log/slog"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU returns the CPU time the calling OS thread has used (Linux
// RUSAGE_THREAD), so that a benchmark on a busy machine still measures work
// done rather than time spent waiting for a core.
func threadCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSign compares a whole signed AWS response (assertion built,
// canonicalized, digested, signed, serialized) with the raw RSA PKCS#1 v1.5
// signature it contains, with the same 2048-bit key. The two alternate in one
// loop on one locked OS thread and are timed by that thread's CPU time, so
// the figures are per core even on a loaded machine (work on other threads,
// such as background GC, is not counted). It reports responses/s,
// rsa-signatures/s and response-cost/rsa-cost.
func BenchmarkSign(b *testing.B) {
	s := newTestServer(b, func(c *Config) { c.Logger = slog.New(slog.DiscardHandler) })
	u := demoUser(b, "alice")
	key := s.SigningKey().Key
	digest := make([]byte, 32)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var respCPU, rawCPU time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := threadCPU(b)
		if _, err := s.AWSResponse(u, ResponseOptions{}); err != nil {
			b.Fatal(err)
		}
		t1 := threadCPU(b)
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest); err != nil {
			b.Fatal(err)
		}
		respCPU += t1 - t0
		rawCPU += threadCPU(b) - t1
	}
	b.ReportMetric(float64(b.N)/respCPU.Seconds(), "responses/cpu-s")
	b.ReportMetric(float64(b.N)/rawCPU.Seconds(), "rsa-signatures/cpu-s")
	b.ReportMetric(respCPU.Seconds()/rawCPU.Seconds(), "response/rsa-cost")
}
