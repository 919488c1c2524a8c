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
	// CPUPerRequest is the process's CPU time (user and system, server and
	// clients together) during the load divided by Requests (0 where the
	// platform does not report it). Unlike RequestsPerSec it hardly depends
	// on what else runs on the machine.
	CPUPerRequest time.Duration `json:"cpu_per_request_ns"`
	// CPUVerifiesPerRequest is CPUPerRequest in raw RSA-2048 verifications:
	// divided by the CPU time one verification took on one goroutine,
	// measured the same way in the same run.
	CPUVerifiesPerRequest float64 `json:"cpu_verifies_per_request"`
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

	// The pool: distinct responses, each re-signed before AWS's 5-minute
	// redeem window closes, so a long run on a slow machine stays valid.
	user := lab.Users[DefaultUser]
	host := ln.Addr().String()
	sign := func() (*[]byte, error) {
		resp, err := lab.IDP.AWSResponse(user, idp.ResponseOptions{})
		if err != nil {
			return nil, err
		}
		b := rawRequest(host, url.Values{"Action": {"AssumeRoleWithSAML"}, "Version": {"2011-06-15"},
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
	var verifyCPU time.Duration
	if res.VerifiesPerSec, verifyCPU, err = verifyRate(ctx, key, 1, cfg.VerifyTime); err != nil {
		return nil, err
	}
	if res.ParallelVerifiesPerSec, _, err = verifyRate(ctx, key, runtime.GOMAXPROCS(0), cfg.VerifyTime); err != nil {
		return nil, err
	}

	latencies := make([]time.Duration, cfg.Requests)
	var next, failed atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	cpu0 := processCPU()
	start := time.Now()
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &benchClient{addr: host}
			defer c.close()
			for {
				i := int(next.Add(1)) - 1
				if i >= cfg.Requests || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				err := c.do(*bodies[i%len(bodies)].Load())
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
	cpu := processCPU() - cpu0
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.Errors = int(failed.Load())
	res.RequestsPerSec = float64(cfg.Requests) / elapsed.Seconds()
	slices.Sort(latencies)
	res.P50 = latencies[len(latencies)*50/100]
	res.P99 = latencies[min(len(latencies)-1, len(latencies)*99/100)]
	res.RSSBytes, res.PeakRSSBytes = rss()
	if cpu > 0 {
		res.CPUPerRequest = cpu / time.Duration(cfg.Requests)
		if verifyCPU > 0 {
			res.CPUVerifiesPerRequest = float64(res.CPUPerRequest) / float64(verifyCPU)
		}
	}
	if res.RequestsPerSec > 0 {
		res.VerifiesPerRequest = res.ParallelVerifiesPerSec / res.RequestsPerSec
	}
	if firstErr != nil {
		return res, fmt.Errorf("%d of %d requests failed; first: %w", res.Errors, cfg.Requests, firstErr)
	}
	return res, nil
}

// rawRequest returns the whole HTTP/1.1 request an SDK sends for a Query
// call with form body, built once so that the clients spend their CPU on
// sending, not on building requests.
func rawRequest(host, form string) []byte {
	return fmt.Appendf(nil, "POST / HTTP/1.1\r\nHost: %s\r\nUser-Agent: samlab-bench\r\n"+
		"Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s",
		host, len(form), form)
}

// benchClient is one load-generating client: one keep-alive connection
// that sends prebuilt requests and reads each response with net/http's own
// parser. It is cheaper than an http.Client (no per-request request object,
// no transport goroutines and channel hand-offs) because the load generator
// shares the machine with the server it measures, and every cycle it spends
// is taken from the server. A broken connection is redialled on the next
// request.
type benchClient struct {
	addr string
	conn net.Conn
	br   *bufio.Reader
	body bytes.Buffer
}

// resultMarker is what every successful AssumeRoleWithSAML response holds.
var resultMarker = []byte("<AssumeRoleWithSAMLResult>")

func (c *benchClient) do(req []byte) error {
	if c.conn == nil {
		conn, err := net.Dial("tcp", c.addr)
		if err != nil {
			return err
		}
		c.conn = conn
		if c.br == nil {
			c.br = bufio.NewReaderSize(conn, 8<<10)
		} else {
			c.br.Reset(conn)
		}
	}
	if _, err := c.conn.Write(req); err != nil {
		c.close()
		return err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.close()
		return err
	}
	c.body.Reset()
	_, err = c.body.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil || resp.Close {
		c.close()
	}
	if err != nil {
		return err
	}
	if out := c.body.Bytes(); resp.StatusCode != http.StatusOK || !bytes.Contains(out, resultMarker) {
		return fmt.Errorf("status %d: %.300s", resp.StatusCode, out)
	}
	return nil
}

func (c *benchClient) close() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
	}
}

// verifyRate measures raw RSA PKCS#1 v1.5 SHA-256 verifications per second
// with key's public half, on n goroutines, for d, and the process CPU time
// per verification (0 where it is not measured).
func verifyRate(ctx context.Context, key *rsa.PrivateKey, n int, d time.Duration) (float64, time.Duration, error) {
	digest := sha256.Sum256([]byte("samlab bench"))
	var count atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	var sigErr error
	var once sync.Once
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return 0, 0, err
	}
	cpu0 := processCPU()
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
	elapsed, cpu := time.Since(start), processCPU()-cpu0
	if sigErr != nil {
		return 0, 0, sigErr
	}
	var perOp time.Duration
	if c := count.Load(); c > 0 && cpu > 0 {
		perOp = cpu / time.Duration(c)
	}
	return float64(count.Load()) / elapsed.Seconds(), perOp, ctx.Err()
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
