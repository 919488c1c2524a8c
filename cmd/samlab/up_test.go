package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// upLab is a running `samlab up`.
type upLab struct {
	out           *syncBuffer
	endpoint      string
	keyID, secret string
	stop          func() error
}

var (
	endpointRE = regexp.MustCompile(`AWS \(IAM \+ STS\)\s+(http://\S+)/`)
	keyIDRE    = regexp.MustCompile(`export AWS_ACCESS_KEY_ID=(\S+)`)
	secretRE   = regexp.MustCompile(`export AWS_SECRET_ACCESS_KEY=(\S+)`)
)

func startUp(t *testing.T, args ...string) *upLab {
	t.Helper()
	return startServer(t, append([]string{"up"}, args...)...)
}

// startServer runs `samlab up` or `samlab sp serve` (args begin with the
// command) on a free loopback port with the fixture keys.
func startServer(t *testing.T, args ...string) *upLab {
	t.Helper()
	out, stop := startCommand(t, "samlab "+args[0], 10*time.Second, append(args, "--fixture-keys", "--listen", "127.0.0.1:0")...)
	s := out.String()
	return &upLab{out: out, endpoint: endpointRE.FindStringSubmatch(s)[1], keyID: keyIDRE.FindStringSubmatch(s)[1],
		secret: secretRE.FindStringSubmatch(s)[1], stop: stop}
}

// startCommand runs samlab with args until the test ends, once its banner
// says "Press Ctrl-C" (within timeout); stop ends it early (again: nil).
func startCommand(t *testing.T, name string, timeout time.Duration, args ...string) (out *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	cmd := NewRootCommand()
	out = &syncBuffer{}
	cmd.SetOut(out)
	cmd.SetErr(out)
	cmd.SetArgs(args)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	deadline := time.After(timeout)
	for !strings.Contains(out.String(), "Press Ctrl-C") {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("%s exited early: %v\n%s", name, err, out)
		case <-deadline:
			cancel()
			t.Fatalf("%s did not start:\n%s", name, out)
		case <-time.After(10 * time.Millisecond):
		}
	}
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { _ = stop() })
	return out, stop
}

func (l *upLab) config() aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(l.keyID, l.secret, "")}
}

// TestUpServesAndRestarts runs `samlab up` with a state directory and an
// event file, uses it with the SDK, stops it, reads the events back with
// `samlab events`, and restarts it on the same state.
func TestUpServesAndRestarts(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	events := filepath.Join(dir, "events.jsonl")
	up := startUp(t, "--state", dir, "--events", events)

	iamc := iamsdk.NewFromConfig(up.config(), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(up.endpoint) })
	stsc := stssdk.NewFromConfig(up.config(), func(o *stssdk.Options) { o.BaseEndpoint = aws.String(up.endpoint) })
	who, err := stsc.GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Account) != scenarios.DefaultAccountID {
		t.Fatalf("GetCallerIdentity = %v, %v; want account %s", who, err, scenarios.DefaultAccountID)
	}
	list, err := iamc.ListSAMLProviders(ctx, &iamsdk.ListSAMLProvidersInput{})
	if err != nil || len(list.SAMLProviderList) != 1 {
		t.Fatalf("ListSAMLProviders = %v, %v; want the lab's provider registered", list, err)
	}
	providerARN := aws.ToString(list.SAMLProviderList[0].Arn)
	if _, err := iamc.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("Trainee"),
		AssumeRolePolicyDocument: aws.String(iam.SAMLTrustPolicy(providerARN))}); err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	// The banner's login recipe: IdP login over HTTP, then AssumeRoleWithSAML
	// at the mock STS, then the credentials work on a signed call.
	login := NewRootCommand()
	var loginOut bytes.Buffer
	login.SetIn(strings.NewReader("samlab\n"))
	login.SetOut(&loginOut)
	login.SetErr(&loginOut)
	login.SetArgs([]string{"login", "--idp-url", up.endpoint + scenarios.IDPPrefix, "--endpoint-url", up.endpoint,
		"--username", scenarios.DefaultUser, "--password-stdin", "--format", "json"})
	if err := login.ExecuteContext(ctx); err != nil {
		t.Fatalf("samlab login against samlab up: %v\n%s", err, &loginOut)
	}
	if !strings.Contains(loginOut.String(), `"ASIA`) {
		t.Errorf("samlab login printed no temporary credentials:\n%s", &loginOut)
	}
	if !strings.Contains(up.out.String(), "samlab login --idp-url "+up.endpoint+scenarios.IDPPrefix) {
		t.Errorf("banner lacks the login recipe:\n%s", up.out)
	}
	bad := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(up.keyID, "wrong", "")}
	_, err = stssdk.NewFromConfig(bad, func(o *stssdk.Options) { o.BaseEndpoint = aws.String(up.endpoint) }).
		GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
	if err == nil {
		t.Fatal("GetCallerIdentity with a wrong secret succeeded")
	}
	if err := up.stop(); err != nil {
		t.Fatalf("samlab up did not shut down cleanly: %v\n%s", err, up.out)
	}

	out, err := run(t, "events", events, "--error-code", "SignatureDoesNotMatch", "--json")
	if err != nil {
		t.Fatalf("samlab events: %v\n%s", err, out)
	}
	var evs []awsapi.Event
	if err := json.Unmarshal([]byte(out), &evs); err != nil {
		t.Fatalf("samlab events --json: %v\n%s", err, out)
	}
	if len(evs) != 1 || evs[0].EventName != "GetCallerIdentity" || evs[0].UserIdentity.AccessKeyID != up.keyID || evs[0].HTTPStatus != 403 {
		t.Errorf("SignatureDoesNotMatch events = %+v, want the one bad GetCallerIdentity", evs)
	}
	out, err = run(t, "events", events)
	if err != nil || !strings.Contains(out, "CreateRole") || !strings.Contains(out, "arn:aws:iam::123456789012:user/samlab-admin") {
		t.Errorf("samlab events table lacks the CreateRole call by the admin: %v\n%s", err, out)
	}

	again := startUp(t, "--state", dir)
	if again.keyID != up.keyID || again.secret != up.secret {
		t.Errorf("admin key after restart = %s, want the stored %s", again.keyID, up.keyID)
	}
	iamc = iamsdk.NewFromConfig(again.config(), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(again.endpoint) })
	if _, err := iamc.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("Trainee")}); err != nil {
		t.Errorf("GetRole after restart: %v", err)
	}
	if !strings.Contains(again.out.String(), "warning: the registered SAML provider holds metadata from an earlier run") {
		t.Errorf("restart did not warn about the stale provider metadata:\n%s", again.out)
	}
}

func TestSPServeStartsEmpty(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cmd := NewRootCommand()
	out := &syncBuffer{}
	cmd.SetOut(out)
	cmd.SetErr(out)
	cmd.SetArgs([]string{"sp", "serve", "--fixture-keys", "--listen", "127.0.0.1:0"})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	for !strings.Contains(out.String(), "Press Ctrl-C") {
		select {
		case err := <-done:
			t.Fatalf("samlab sp serve exited: %v\n%s", err, out)
		case <-time.After(10 * time.Millisecond):
		}
	}
	s := out.String()
	l := &upLab{endpoint: endpointRE.FindStringSubmatch(s)[1], keyID: keyIDRE.FindStringSubmatch(s)[1], secret: secretRE.FindStringSubmatch(s)[1]}
	iamc := iamsdk.NewFromConfig(l.config(), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(l.endpoint) })
	list, err := iamc.ListSAMLProviders(ctx, &iamsdk.ListSAMLProvidersInput{})
	if err != nil || len(list.SAMLProviderList) != 0 {
		t.Errorf("ListSAMLProviders = %v, %v; want no provider", list, err)
	}
	if strings.Contains(s, "/idp/") {
		t.Errorf("sp serve advertises the IdP:\n%s", s)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("sp serve shutdown: %v", err)
	}
}
