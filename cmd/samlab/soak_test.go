package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/samlab-dev/samlab/idp/idpclient"
	"github.com/samlab-dev/samlab/scenarios"
)

// The soak test is opt-in: it takes minutes.
//
//	SAMLAB_SOAK=100000 go test ./cmd/samlab -run '^TestSoakSessionMemory$' -v -timeout 30m
//
// SAMLAB_SOAK is the number of AssumeRoleWithSAML + GetCallerIdentity pairs;
// SAMLAB_SOAK_CONCURRENCY the number of clients (default 64);
// SAMLAB_SOAK_STATE=1 runs the server with --state.
const (
	soakEnv       = "SAMLAB_SOAK"
	soakServerEnv = "SAMLAB_SOAK_SERVER"
)

// TestSoakServerProcess is the server of TestSoakSessionMemory, run in a
// process of its own so that its resident memory is the server's alone.
func TestSoakServerProcess(t *testing.T) {
	args := os.Getenv(soakServerEnv)
	if args == "" {
		t.Skip("helper process of TestSoakSessionMemory")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	cmd := NewRootCommand()
	cmd.SetOut(os.Stdout)
	cmd.SetErr(os.Stderr)
	cmd.SetArgs(strings.Fields(args))
	if err := cmd.ExecuteContext(ctx); err != nil {
		t.Fatal(err)
	}
}

// rssKiB reads VmRSS of process pid.
func rssKiB(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read server status: %w", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
	return 0, errors.New("no VmRSS in server status")
}

// TestSoakSessionMemory starts `samlab up` in a child process and drives
// SAMLAB_SOAK AssumeRoleWithSAML calls, each followed by GetCallerIdentity
// with the issued credentials, over HTTP from concurrent SDK clients. The
// server's resident memory must stay under 100 MB and flat after warm-up
// (the first 10% of the calls): at the end at most 15 MB above its level
// after warm-up.
func TestSoakSessionMemory(t *testing.T) {
	total, _ := strconv.Atoi(os.Getenv(soakEnv))
	if total <= 0 {
		t.Skipf("set %s=100000 to run the soak test", soakEnv)
	}
	conc := 64
	if v, err := strconv.Atoi(os.Getenv("SAMLAB_SOAK_CONCURRENCY")); err == nil && v > 0 {
		conc = v
	}
	ctx := t.Context()
	args := "up --fixture-keys --listen 127.0.0.1:0"
	if os.Getenv("SAMLAB_SOAK_STATE") == "1" {
		args += " --state " + t.TempDir()
	}
	server := exec.Command(os.Args[0], "-test.run=^TestSoakServerProcess$")
	server.Env = append(os.Environ(), soakServerEnv+"="+args)
	server.Stderr = os.Stderr
	stdout, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = server.Process.Signal(syscall.SIGTERM)
		_ = server.Wait()
	})
	var endpoint string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := endpointRE.FindStringSubmatch(sc.Text()); m != nil {
			endpoint = m[1]
		}
		if strings.Contains(sc.Text(), "Press Ctrl-C") {
			break
		}
	}
	if endpoint == "" {
		t.Fatalf("server printed no endpoint: %v", sc.Err())
	}
	go func() { // keep draining the server's output
		for sc.Scan() {
		}
	}()
	pid := server.Process.Pid

	transport := &http.Transport{MaxIdleConns: conc * 2, MaxIdleConnsPerHost: conc * 2}
	httpClient := &http.Client{Transport: transport, Timeout: time.Minute}
	var (
		assertionMu sync.Mutex
		assertion   string
		fetchedAt   time.Time
	)
	// The IdP's responses may be redeemed for 5 minutes; fetch a fresh one
	// every minute.
	samlResponse := func() string {
		assertionMu.Lock()
		defer assertionMu.Unlock()
		if assertion == "" || time.Since(fetchedAt) > time.Minute {
			ic, err := idpclient.New(endpoint+scenarios.IDPPrefix, &http.Client{Transport: transport, Timeout: time.Minute})
			if err == nil {
				err = ic.Login(ctx, scenarios.DefaultUser, "samlab")
			}
			var a string
			if err == nil {
				a, err = ic.AWSResponse(ctx)
			}
			if err != nil {
				t.Errorf("IdP login: %v", err)
				return ""
			}
			assertion, fetchedAt = a, time.Now()
		}
		return assertion
	}
	roleARN := "arn:aws:iam::" + scenarios.DefaultAccountID + ":role/" + scenarios.DefaultRoleName
	providerARN := "arn:aws:iam::" + scenarios.DefaultAccountID + ":saml-provider/" + scenarios.DefaultProviderName
	anon := stssdk.New(stssdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), HTTPClient: httpClient,
		Credentials: aws.AnonymousCredentials{}})

	type sample struct {
		done int
		rss  int
		at   time.Duration
	}
	start := time.Now()
	rss := func() int {
		n, err := rssKiB(pid)
		if err != nil {
			t.Errorf("server RSS: %v", err)
		}
		return n
	}
	samples := []sample{{0, rss(), 0}}
	var (
		next, done, failures atomic.Int64
		minTok, maxTok       atomic.Int64
		sampleMu             sync.Mutex
	)
	minTok.Store(1 << 30)
	step := max(total/20, 1)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for next.Add(1) <= int64(total) {
				out, err := anon.AssumeRoleWithSAML(ctx, &stssdk.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN),
					PrincipalArn: aws.String(providerARN), SAMLAssertion: aws.String(samlResponse())})
				if err != nil {
					if failures.Add(1) <= 5 {
						t.Errorf("AssumeRoleWithSAML: %v", err)
					}
					continue
				}
				c := out.Credentials
				tok := int64(len(aws.ToString(c.SessionToken)))
				for v := minTok.Load(); tok < v && !minTok.CompareAndSwap(v, tok); v = minTok.Load() {
				}
				for v := maxTok.Load(); tok > v && !maxTok.CompareAndSwap(v, tok); v = maxTok.Load() {
				}
				who := stssdk.New(stssdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), HTTPClient: httpClient,
					Credentials: credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId),
						aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))})
				if _, err := who.GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{}); err != nil {
					if failures.Add(1) <= 5 {
						t.Errorf("GetCallerIdentity: %v", err)
					}
					continue
				}
				if n := done.Add(1); n%int64(step) == 0 {
					s := sample{int(n), rss(), time.Since(start)}
					sampleMu.Lock()
					samples = append(samples, s)
					sampleMu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	// Let the server's scavenger return what it no longer uses, then sample
	// once more.
	time.Sleep(5 * time.Second)
	samples = append(samples, sample{int(done.Load()), rss(), time.Since(start)})

	t.Logf("%d pairs at concurrency %d in %s (%d failures); session token sizes %d..%d characters",
		done.Load(), conc, time.Since(start).Round(time.Second), failures.Load(), minTok.Load(), maxTok.Load())
	for _, s := range samples {
		t.Logf("after %6d pairs (%6s): server RSS %6.1f MB", s.done, s.at.Round(time.Second), float64(s.rss)/1024)
	}
	if failures.Load() > 0 {
		t.Fatalf("%d calls failed", failures.Load())
	}
	var warm, peakAfterWarm int
	for _, s := range samples {
		if warm == 0 && s.done >= total/10 {
			warm = s.rss
		}
		if warm != 0 {
			peakAfterWarm = max(peakAfterWarm, s.rss)
		}
	}
	final := samples[len(samples)-1].rss
	if final > 100*1024 || peakAfterWarm > 100*1024 {
		t.Errorf("server RSS reached %.1f MB (final %.1f MB), want under 100 MB", float64(peakAfterWarm)/1024, float64(final)/1024)
	}
	if final-warm > 15*1024 {
		t.Errorf("server RSS grew from %.1f MB after warm-up to %.1f MB, want flat (within 15 MB)",
			float64(warm)/1024, float64(final)/1024)
	}
}
