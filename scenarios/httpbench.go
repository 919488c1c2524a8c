package scenarios

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
)

// HTTPBenchConfig configures HTTPBench.
type HTTPBenchConfig struct {
	// Concurrency is the number of clients sending at once (default 16).
	Concurrency int
	// Requests is the total number of AssumeRoleWithSAML calls (default
	// 10,000).
	Requests int
	// Pool is the number of distinct signed responses the clients cycle
	// through (default 256). Each is signed freshly by the lab's IdP before
	// the run; AWS accepts a response again within its validity.
	Pool int
	// VerifyTime is how long the raw RSA-2048 verification rate is measured
	// for (default 1s).
	VerifyTime time.Duration
}

// poolRefresh is how often HTTPBench re-signs its pool: well inside AWS's
// 5-minute window for redeeming a response.
const poolRefresh = 2 * time.Minute

// HTTPBenchResult is what HTTPBench measured.
type HTTPBenchResult struct {
	Concurrency int `json:"concurrency"`
	Requests    int `json:"requests"`
	Errors      int `json:"errors"`
	// RequestsPerSec is the rate of completed AssumeRoleWithSAML calls.
	RequestsPerSec float64 `json:"requests_per_sec"`
	// P50 and P99 are request latencies as the clients saw them.
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	// RSSBytes is the process's resident set after the run, PeakRSSBytes its
	// high-water mark (Linux; 0 elsewhere). Server and clients share the
	// process.
	RSSBytes     int64 `json:"rss_bytes"`
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
	// VerifiesPerSec is the raw RSA-2048 PKCS#1 v1.5 verification rate of
	// one goroutine, ParallelVerifiesPerSec that of GOMAXPROCS goroutines,
	// both measured in the same run just before the load.
	VerifiesPerSec         float64 `json:"verifies_per_sec"`
	ParallelVerifiesPerSec float64 `json:"parallel_verifies_per_sec"`
	// VerifiesPerRequest is ParallelVerifiesPerSec / RequestsPerSec: what one
	// request over HTTP costs, in raw verifications, on this machine.
	VerifiesPerRequest float64 `json:"verifies_per_request"`
}

// HTTPBench drives the lab's real AWS endpoint over loopback HTTP: it serves
// a fresh lab's mock AWS on 127.0.0.1, signs a pool of distinct AWS
// responses with the lab's IdP, and has Concurrency clients send Requests
// AssumeRoleWithSAML calls (the AWS Query protocol form, as the SDKs send
// it), cycling through the pool. Every call must succeed; failures are
// counted and reported. Load generator and server share the machine, as
// they do in CI.
func HTTPBench(ctx context.Context, cfg HTTPBenchConfig) (*HTTPBenchResult, error) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	if cfg.Requests <= 0 {
		cfg.Requests = 10_000
	}
	if cfg.Pool <= 0 {
		cfg.Pool = 256
	}
	if cfg.VerifyTime <= 0 {
		cfg.VerifyTime = time.Second
	}
	lab, err := NewLab(LabConfig{Keys: certstest.New(), WallClock: true})
	if err != nil {
		return nil, err
	}
	if err := lab.RegisterProvider(); err != nil {
		return nil, err
	}
	admin, err := NewAdminKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	handler, err := lab.AWSHandler(ServerConfig{Admin: admin})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	endpoint := "http://" + ln.Addr().String() + "/"

	// The pool: distinct responses, each re-signed before AWS's 5-minute
	// redeem window closes, so a long run on a slow machine stays valid.
	user := lab.Users[DefaultUser]
	sign := func() (*[]byte, error) {
		resp, err := lab.IDP.AWSResponse(user, idp.ResponseOptions{})
		if err != nil {
			return nil, err
		}
		b := []byte(url.Values{"Action": {"AssumeRoleWithSAML"}, "Version": {"2011-06-15"},
			"RoleArn": {lab.RoleARN}, "PrincipalArn": {lab.ProviderARN}, "SAMLAssertion": {resp.Base64()}}.Encode())
		return &b, nil
	}
	bodies := make([]atomic.Pointer[[]byte], cfg.Pool)
	for i := range bodies {
		b, err := sign()
		if err != nil {
			return nil, err
		}
		bodies[i].Store(b)
	}
	refreshCtx, stopRefresh := context.WithCancel(ctx)
	defer stopRefresh()
	go func() {
		tick := time.NewTicker(poolRefresh)
		defer tick.Stop()
		for {
			select {
			case <-refreshCtx.Done():
				return
			case <-tick.C:
				for i := range bodies {
					if b, err := sign(); err == nil {
						bodies[i].Store(b)
					}
				}
			}
		}
	}()

	res := &HTTPBenchResult{Concurrency: cfg.Concurrency, Requests: cfg.Requests}
	key := lab.IDP.SigningKey().Key
	if res.VerifiesPerSec, err = verifyRate(ctx, key, 1, cfg.VerifyTime); err != nil {
		return nil, err
	}
	if res.ParallelVerifiesPerSec, err = verifyRate(ctx, key, runtime.GOMAXPROCS(0), cfg.VerifyTime); err != nil {
		return nil, err
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConns: cfg.Concurrency, MaxIdleConnsPerHost: cfg.Concurrency},
		Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	latencies := make([]time.Duration, cfg.Requests)
	var next, failed atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= cfg.Requests || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				err := post(ctx, client, endpoint, *bodies[i%len(bodies)].Load())
				latencies[i] = time.Since(t0)
				if err != nil {
					failed.Add(1)
					errOnce.Do(func() { firstErr = err })
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.Errors = int(failed.Load())
	res.RequestsPerSec = float64(cfg.Requests) / elapsed.Seconds()
	slices.Sort(latencies)
	res.P50 = latencies[len(latencies)*50/100]
	res.P99 = latencies[min(len(latencies)-1, len(latencies)*99/100)]
	res.RSSBytes, res.PeakRSSBytes = rss()
	if res.RequestsPerSec > 0 {
		res.VerifiesPerRequest = res.ParallelVerifiesPerSec / res.RequestsPerSec
	}
	if firstErr != nil {
		return res, fmt.Errorf("%d of %d requests failed; first: %w", res.Errors, cfg.Requests, firstErr)
	}
	return res, nil
}

func post(ctx context.Context, c *http.Client, endpoint string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(out, []byte("<AssumeRoleWithSAMLResult>")) {
		return fmt.Errorf("status %d: %.300s", resp.StatusCode, out)
	}
	return nil
}

// verifyRate measures raw RSA PKCS#1 v1.5 SHA-256 verifications per second
// with key's public half, on n goroutines, for d.
func verifyRate(ctx context.Context, key *rsa.PrivateKey, n int, d time.Duration) (float64, error) {
	digest := sha256.Sum256([]byte("samlab bench"))
	var count atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	var sigErr error
	var once sync.Once
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return 0, err
	}
	start := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) && ctx.Err() == nil {
				if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
					once.Do(func() { sigErr = err })
					return
				}
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	if sigErr != nil {
		return 0, sigErr
	}
	return float64(count.Load()) / time.Since(start).Seconds(), ctx.Err()
}

// rss returns the process's resident set size and its high-water mark from
// /proc/self/status (Linux), or zeros.
func rss() (cur, peak int64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			cur = n << 10
		case "VmHWM":
			peak = n << 10
		}
	}
	return cur, peak
}
