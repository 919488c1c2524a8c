package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/iam"
)

// awsCLI is Debian's aws CLI v2, named explicitly: a pip aws CLI v1 may come
// first on PATH.
const awsCLI = "/usr/bin/aws"

// requireAWSCLI skips without the aws CLI, except in CI, where it fails.
func requireAWSCLI(t *testing.T) {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	if testing.Short() && !ci {
		t.Skip("the aws CLI takes seconds per call; skipped with -short outside CI")
	}
	if _, err := os.Stat(awsCLI); err != nil {
		if ci {
			t.Fatalf("%s is required in CI: %v", awsCLI, err)
		}
		t.Skipf("%s not installed: %v", awsCLI, err)
	}
}

// tempCreds are temporary credentials as `samlab login --format json` prints
// them.
type tempCreds struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	AssumedRoleARN  string `json:"AssumedRoleArn"`
}

// loginCreds signs alice in at l's IdP and returns the credentials of her
// role from l's STS.
func loginCreds(t *testing.T, l *upLab) tempCreds {
	t.Helper()
	login := NewRootCommand()
	var out bytes.Buffer
	login.SetIn(strings.NewReader("samlab\n"))
	login.SetOut(&out)
	login.SetErr(&out)
	login.SetArgs([]string{"login", "--idp-url", l.endpoint + scenarios.IDPPrefix, "--endpoint-url", l.endpoint,
		"--username", scenarios.DefaultUser, "--password-stdin", "--format", "json"})
	if err := login.ExecuteContext(t.Context()); err != nil {
		t.Fatalf("samlab login: %v\n%s", err, &out)
	}
	var c tempCreds
	if err := json.Unmarshal(out.Bytes(), &c); err != nil || c.SessionToken == "" {
		t.Fatalf("samlab login printed no credentials (%v):\n%s", err, &out)
	}
	return c
}

// updateProvider sets the registered SAML provider to the IdP's current
// metadata, as the banner's warning after a restart asks.
func updateProvider(t *testing.T, l *upLab) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, l.endpoint+scenarios.IDPPrefix+"/metadata", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET IdP metadata: %v", err)
	}
	defer resp.Body.Close()
	md, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET IdP metadata: %d, %v", resp.StatusCode, err)
	}
	iamc := iamsdk.NewFromConfig(l.config(), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(l.endpoint) })
	arn := "arn:aws:iam::" + scenarios.DefaultAccountID + ":saml-provider/" + scenarios.DefaultProviderName
	if _, err := iamc.UpdateSAMLProvider(t.Context(), &iamsdk.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(arn),
		SAMLMetadataDocument: aws.String(string(md))}); err != nil {
		t.Fatalf("UpdateSAMLProvider: %v", err)
	}
}

// callerIdentity runs `aws sts get-caller-identity` with c against endpoint
// and returns the ARN, or the CLI's error output.
func callerIdentity(t *testing.T, endpoint string, c tempCreds) (string, string, bool) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.CommandContext(t.Context(), awsCLI, "--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json",
		"sts", "get-caller-identity")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_ACCESS_KEY_ID=" + c.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + c.SecretAccessKey, "AWS_SESSION_TOKEN=" + c.SessionToken}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("run %s: %v", awsCLI, err)
		}
		return "", stderr.String(), false
	}
	var who struct{ Arn string }
	if err := json.Unmarshal(stdout.Bytes(), &who); err != nil {
		t.Fatalf("aws sts get-caller-identity: output is not JSON: %v\n%s", err, &stdout)
	}
	return who.Arn, "", true
}

const invalidTokenCLI = "An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: " +
	"The security token included in the request is invalid."

// TestCredentialsSurviveRestart: credentials issued by `samlab up --state`
// keep working with the aws CLI after the server restarts on the same state,
// also when the session key was rotated in between; without --state a restart
// invalidates them with AWS's InvalidClientTokenId.
func TestCredentialsSurviveRestart(t *testing.T) {
	requireAWSCLI(t)
	t.Parallel()
	dir := t.TempDir()
	up := startUp(t, "--state", dir)
	creds := loginCreds(t, up)
	if arn, errOut, ok := callerIdentity(t, up.endpoint, creds); !ok || arn != creds.AssumedRoleARN {
		t.Fatalf("get-caller-identity before restart = %q, want %q\n%s", arn, creds.AssumedRoleARN, errOut)
	}
	if err := up.stop(); err != nil {
		t.Fatalf("samlab up did not shut down cleanly: %v", err)
	}
	// Rotate the session key while the server is down: the old credentials
	// still work, new ones are sealed with the new key.
	if out, err := run(t, "sp", "rotate-session-key", "--state", dir); err != nil || !strings.Contains(out, "1 older key(s)") {
		t.Fatalf("samlab sp rotate-session-key: %v\n%s", err, out)
	}
	again := startUp(t, "--state", dir)
	if arn, errOut, ok := callerIdentity(t, again.endpoint, creds); !ok || arn != creds.AssumedRoleARN {
		t.Errorf("get-caller-identity after restart and key rotation = %q, want %q\n%s", arn, creds.AssumedRoleARN, errOut)
	}
	updateProvider(t, again)
	fresh := loginCreds(t, again)
	if fresh.SessionToken[16:24] == creds.SessionToken[16:24] {
		t.Errorf("credentials issued after rotate-session-key name the old key")
	}
	if arn, errOut, ok := callerIdentity(t, again.endpoint, fresh); !ok || arn != fresh.AssumedRoleARN {
		t.Errorf("get-caller-identity with credentials of the new key = %q\n%s", arn, errOut)
	}

	mem := startUp(t)
	memCreds := loginCreds(t, mem)
	if err := mem.stop(); err != nil {
		t.Fatalf("samlab up did not shut down cleanly: %v", err)
	}
	memAgain := startUp(t)
	if _, errOut, ok := callerIdentity(t, memAgain.endpoint, memCreds); ok || strings.TrimSpace(errOut) != invalidTokenCLI {
		t.Errorf("get-caller-identity after a restart without --state: ok=%t, stderr %q, want %q", ok, errOut, invalidTokenCLI)
	}
}

// TestServersSharingStateAcceptEachOthersCredentials runs two `samlab up`
// at once on copies of one state directory (a bbolt file is locked by the
// process that opens it, so servers share a state by copying it): each
// accepts the other's credentials through the aws CLI. A server with a state
// of its own refuses them.
func TestServersSharingStateAcceptEachOthersCredentials(t *testing.T) {
	requireAWSCLI(t)
	t.Parallel()
	dirA, dirB := t.TempDir(), t.TempDir()
	seed := startUp(t, "--state", dirA)
	if err := seed.stop(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dirA, iam.StateFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirB, iam.StateFile), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	a, b := startUp(t, "--state", dirA), startUp(t, "--state", dirB)
	other := startUp(t, "--state", t.TempDir())
	updateProvider(t, a)
	updateProvider(t, b)
	fromA, fromB := loginCreds(t, a), loginCreds(t, b)
	for _, tc := range []struct {
		name     string
		endpoint string
		creds    tempCreds
	}{{"A's credentials at B", b.endpoint, fromA}, {"B's credentials at A", a.endpoint, fromB}} {
		if arn, errOut, ok := callerIdentity(t, tc.endpoint, tc.creds); !ok || arn != tc.creds.AssumedRoleARN {
			t.Errorf("%s: get-caller-identity = %q, want %q\n%s", tc.name, arn, tc.creds.AssumedRoleARN, errOut)
		}
	}
	if _, errOut, ok := callerIdentity(t, other.endpoint, fromA); ok || strings.TrimSpace(errOut) != invalidTokenCLI {
		t.Errorf("A's credentials at a server with its own state: ok=%t, stderr %q, want %q", ok, errOut, invalidTokenCLI)
	}
}
