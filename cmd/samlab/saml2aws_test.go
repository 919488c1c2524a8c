package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/scenarios"
)

// saml2awsModule is the saml2aws release the interoperability test builds
// from its Go module (docs/saml2aws.md names the same version).
const saml2awsModule = "github.com/versent/saml2aws/v2@v2.36.19"

// awsCLIPath is Debian's aws CLI v2. It is named explicitly: an aws CLI v1
// from pip may come first on PATH.
const awsCLIPath = "/usr/bin/aws"

// needInterop skips (or, under CI=true, fails) when an interoperability
// prerequisite is missing.
func needInterop(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI: %v", what, err)
	}
	t.Skipf("%s unavailable: %v", what, err)
}

// buildSAML2AWS builds saml2aws at the pinned version into a temporary
// GOBIN. It builds inside the module's own directory, with the versions of
// its go.sum: `go install module@version` would do the same, but first asks
// the module proxy for the module's version list (to report deprecation),
// which a proxy that serves the exact version alone refuses.
func buildSAML2AWS(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	gobin := t.TempDir()
	dl := exec.CommandContext(ctx, "go", "mod", "download", "-json", saml2awsModule)
	dl.Dir = gobin // outside any module
	out, err := dl.Output()
	if err != nil {
		needInterop(t, "saml2aws ("+saml2awsModule+")", fmt.Errorf("go mod download: %v\n%s", err, out))
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		needInterop(t, "saml2aws ("+saml2awsModule+")", fmt.Errorf("go mod download: %v %s\n%s", err, mod.Error, out))
	}
	build := exec.CommandContext(ctx, "go", "install", "-mod=readonly", "./cmd/saml2aws")
	build.Dir = mod.Dir
	build.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=-buildvcs=false", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		needInterop(t, "saml2aws ("+saml2awsModule+")", fmt.Errorf("go install: %v\n%s", err, out))
	}
	return filepath.Join(gobin, "saml2aws")
}

// TestSAML2AWSAgainstUpHTTPS runs an unmodified saml2aws against
// `samlab up --https`: login with the KeyCloak provider, list-roles, then
// the aws CLI with the profile saml2aws wrote. Every client reaches AWS's
// real host names through samlab's proxy and trusts samlab's CA; the
// environment holds nothing else, so nothing is sent elsewhere.
func TestSAML2AWSAgainstUpHTTPS(t *testing.T) {
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("builds saml2aws and runs the aws CLI; skipped with -short outside CI")
	}
	_, err := os.Stat(awsCLIPath)
	needInterop(t, awsCLIPath, err)
	bin := buildSAML2AWS(t)

	l := startUp(t, "--https", "--state", t.TempDir())
	m := caFileRE.FindStringSubmatch(l.out.String())
	if m == nil {
		t.Fatalf("no SSL_CERT_FILE in the banner:\n%s", l.out)
	}
	home := t.TempDir()
	env := []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"),
		"SSL_CERT_FILE=" + m[1], "AWS_CA_BUNDLE=" + m[1],
		"HTTPS_PROXY=" + l.endpoint, "https_proxy=" + l.endpoint, "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
	}
	run := func(name string, args ...string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Stdin = strings.NewReader("") // never a prompt
		err := cmd.Run()
		if ctx.Err() != nil {
			t.Fatalf("%s %s did not finish in 2 minutes:\n%s%s", filepath.Base(name), strings.Join(args, " "), &stdout, &stderr)
		}
		return stdout.String() + stderr.String(), err
	}
	idpURL := l.endpoint + scenarios.IDPPrefix + "/sso/aws"
	saml2aws := func(command, user, password string, extra ...string) (string, error) {
		args := append([]string{command, "--idp-provider", "KeyCloak", "--mfa", "Auto", "--url", idpURL,
			"--username", user, "--password", password, "--skip-prompt", "--disable-keychain", "--region", "us-east-1"}, extra...)
		return run(bin, args...)
	}

	// A wrong password ends with saml2aws's error, not a retry loop.
	out, err := saml2aws("login", "alice", "wrong", "--profile", "samlab")
	if err == nil || !strings.Contains(out, "unable to locate saml response field") {
		t.Errorf("saml2aws login with a wrong password: %v, want its login error:\n%s", err, out)
	}

	// alice has one role: saml2aws assumes it without asking.
	out, err = saml2aws("login", "alice", "samlab", "--profile", "samlab", "--session-duration", "3600")
	if err != nil || !strings.Contains(out, "Logged in as: arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice") {
		t.Fatalf("saml2aws login: %v\n%s\n--- samlab:\n%s", err, out, l.out)
	}
	creds, err := os.ReadFile(filepath.Join(home, ".aws", "credentials"))
	if err != nil || !strings.Contains(string(creds), "[samlab]") || !strings.Contains(string(creds), "aws_session_token") {
		t.Fatalf("saml2aws wrote no samlab profile (%v):\n%s", err, creds)
	}

	// bob has two roles: list-roles posts the response to
	// https://signin.aws.amazon.com/saml and reads the role chooser, and
	// login picks the role given with --role from it.
	out, err = saml2aws("list-roles", "bob", "samlab")
	if err != nil || !strings.Contains(out, "Account: 123456789012") ||
		!strings.Contains(out, "arn:aws:iam::123456789012:role/SAMLAdmin") || !strings.Contains(out, "arn:aws:iam::123456789012:role/SAMLReadOnly") {
		t.Fatalf("saml2aws list-roles: %v\n%s", err, out)
	}
	out, err = saml2aws("login", "bob", "samlab", "--profile", "reader", "--role", "arn:aws:iam::123456789012:role/SAMLReadOnly")
	if err != nil || !strings.Contains(out, "Logged in as: arn:aws:sts::123456789012:assumed-role/SAMLReadOnly/bob") {
		t.Fatalf("saml2aws login --role: %v\n%s", err, out)
	}

	out, err = run(awsCLIPath, "--profile", "samlab", "--region", "us-east-1", "--output", "json", "sts", "get-caller-identity")
	if err != nil {
		t.Fatalf("aws sts get-caller-identity: %v\n%s", err, out)
	}
	var id struct{ Account, Arn string }
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &id); err != nil ||
		id.Arn != "arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice" || id.Account != "123456789012" {
		t.Errorf("aws sts get-caller-identity = %q (%v), want the assumed-role ARN", out, err)
	}
}
