package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/scenarios/labs"
)

// TestExpiredTokenFileLab serves oidc-expired-token-reuse with --https and
// plays the trainee. The app is Debian's aws CLI with
// AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN as the task prints them (its
// credential provider calls STS at sts.amazonaws.com through the lab's
// proxy: aws CLI 2.9 ignores --endpoint-url there). It fails with
// ExpiredTokenException; re-putting the role's trust policy does not fix
// it, nor does a fresh token that never reaches the file; the printed
// solution (a fresh token written to the file) does, and check flips to
// fixed. The fix survives a restart, and a reset writes an expired token
// again.
func TestExpiredTokenFileLab(t *testing.T) {
	requireAWSCLI(t)
	t.Setenv(PasswordEnv, labs.DemoPassword)
	state := filepath.Join(t.TempDir(), "class")
	l := startClass(t, state, "oidc-expired-token-reuse", "--https")
	seat, err := readManifest(t, state).Seat(1)
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(state, "trainee-1", "token") // state is absolute (t.TempDir)
	roleARN := "arn:aws:iam::" + seat.Account + ":role/WebApp"
	banner := l.out.String()
	for _, want := range []string{"AWS_WEB_IDENTITY_TOKEN_FILE=" + tokenFile, "AWS_ROLE_ARN=" + roleARN,
		"/usr/bin/aws sts get-caller-identity --endpoint-url LAB_URL", "export HTTPS_PROXY=" + seat.Endpoint} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	if strings.Contains(banner, "> "+tokenFile) || strings.Contains(banner, "mv ") {
		t.Errorf("the banner gives the fix away:\n%s", banner)
	}
	ca := caFileRE.FindStringSubmatch(banner)
	if ca == nil {
		t.Fatalf("no CA file in the banner:\n%s", banner)
	}

	readToken := func() string {
		t.Helper()
		raw, err := os.ReadFile(tokenFile)
		if err != nil {
			t.Fatalf("the app's token file: %v", err)
		}
		return strings.TrimSpace(string(raw))
	}
	expired := readToken()
	claims := tokenClaims(t, expired)
	if exp, ok := claims["exp"].(float64); !ok || time.Unix(int64(exp), 0).After(time.Now()) {
		t.Errorf("the broken lab's token has exp %v: want one in the past", claims["exp"])
	}
	if claims["iss"] != seat.Endpoint+"/idp/oidc" || claims["aud"] != "sts.amazonaws.com" || claims["sub"] != "alice" {
		t.Errorf("the broken lab's token: iss %v aud %v sub %v", claims["iss"], claims["aud"], claims["sub"])
	}

	// The app: no keys of its own, only the token file and the role.
	home := t.TempDir()
	app := func() (string, string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, awsCLI, "--endpoint-url", seat.Endpoint, "--output", "json", "sts", "get-caller-identity")
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true",
			"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
			"AWS_REGION=us-east-1", "AWS_WEB_IDENTITY_TOKEN_FILE=" + tokenFile, "AWS_ROLE_ARN=" + roleARN,
			"AWS_ROLE_SESSION_NAME=app", "AWS_CA_BUNDLE=" + ca[1], "HTTPS_PROXY=" + seat.Endpoint, "NO_PROXY=127.0.0.1,localhost"}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	appFails := func(what string) {
		t.Helper()
		out, stderr, err := app()
		for _, want := range []string{"An error occurred (ExpiredTokenException) when calling the AssumeRoleWithWebIdentity operation: " +
			"Token expired: current date/time ", " must be before the expiration date/time"} {
			if err == nil || !strings.Contains(stderr, want) {
				t.Errorf("%s: the app's call: %v, stderr lacks %q\n%s%s", what, err, want, out, stderr)
			}
		}
	}
	appFails("broken lab")
	out, err := run(t, "lab", "check", "--state", state)
	wantExit(t, "check before the fix", out, err, 1, "not fixed (check 1)", "ExpiredTokenException (400): Token expired: current date/time")

	// Wrong moves: IAM is right, and a fresh token the app never reads
	// changes nothing.
	got, err := awsCall(t, seat, seat.Endpoint, "iam", "get-role", "--role-name", "WebApp")
	if err != nil {
		t.Fatalf("get-role: %v\n%s", err, got)
	}
	var role struct {
		Role struct{ AssumeRolePolicyDocument json.RawMessage }
	}
	if err := json.Unmarshal([]byte(got), &role); err != nil || len(role.Role.AssumeRolePolicyDocument) == 0 {
		t.Fatalf("get-role printed %q (%v)", got, err)
	}
	if got, err := awsCall(t, seat, seat.Endpoint, "iam", "update-assume-role-policy", "--role-name", "WebApp",
		"--policy-document", string(role.Role.AssumeRolePolicyDocument)); err != nil {
		t.Fatalf("update-assume-role-policy: %v\n%s", err, got)
	}
	fresh := labToken(t, seat.Endpoint, "alice", "sts.amazonaws.com")
	if got, err := assumeWithWebIdentity(t, seat, seat.Endpoint, "WebApp", "alice", fresh); err != nil ||
		!strings.Contains(got, "assumed-role/WebApp/alice") {
		t.Errorf("a fresh token passed by hand: %v\n%s", err, got)
	}
	out, err = run(t, "lab", "check", "--state", state)
	wantExit(t, "check after the trust policy was put again and a token used by hand", out, err, 1, "not fixed (check 2)")
	appFails("after the wrong moves")
	if readToken() != expired {
		t.Error("the wrong moves changed the token file")
	}

	out, err = run(t, "lab", "solution", "--state", state)
	wantExit(t, "solution", out, err, 0, "samlab idp token --endpoint "+seat.Endpoint+" --user alice --audience sts.amazonaws.com > "+tokenFile+".new\n",
		"mv "+tokenFile+".new "+tokenFile+"\n")
	runSolution(t, out, seat)
	if readToken() == expired {
		t.Fatal("the solution left the expired token in the file")
	}
	got, stderr, err := app()
	if err != nil || !strings.Contains(got, `"Arn": "arn:aws:sts::`+seat.Account+`:assumed-role/WebApp/app"`) {
		t.Errorf("the app's call after the fix: %v\n%s%s", err, got, stderr)
	}
	out, err = run(t, "lab", "check", "--state", state)
	wantExit(t, "check after the solution", out, err, 0, "fixed (check 3)", "assumed-role/WebApp/alice")

	// A restart replays the broken state elsewhere and keeps the trainee's file.
	if err := l.stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, l.out)
	}
	startClass(t, state, "oidc-expired-token-reuse", "--https")
	out, err = run(t, "lab", "check", "--state", state)
	wantExit(t, "check after a restart", out, err, 0, "fixed (check 4)")

	// A reset breaks the lab again: an expired token in the file.
	out, err = run(t, "lab", "reset", "--state", state)
	wantExit(t, "reset", out, err, 0)
	if exp, ok := tokenClaims(t, readToken())["exp"].(float64); !ok || time.Unix(int64(exp), 0).After(time.Now()) {
		t.Errorf("after a reset the token file has exp %v: want one in the past", exp)
	}
	out, err = run(t, "lab", "check", "--state", state)
	wantExit(t, "check after a reset", out, err, 1, "not fixed")
}

// TestExpiredTokenFileLabClassBanner: a class's banner names each
// trainee's own lab directory for the token file.
func TestExpiredTokenFileLabClassBanner(t *testing.T) {
	state := filepath.Join(t.TempDir(), "class")
	l := startClass(t, state, "oidc-expired-token-reuse", "--trainees", "2")
	banner := l.out.String()
	for _, want := range []string{"AWS_WEB_IDENTITY_TOKEN_FILE=" + filepath.Join(state, "trainee-K", "token"),
		"AWS_ROLE_ARN=arn:aws:iam::ACCOUNT:role/WebApp",
		"Each trainee's files are in their own lab directory on this machine: " + filepath.Join(state, "trainee-K")} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	m := readManifest(t, state)
	for _, s := range m.Trainees {
		if _, err := os.Stat(filepath.Join(labs.TraineeDir(state, s.Trainee), "token")); err != nil {
			t.Errorf("trainee %d's token file: %v", s.Trainee, err)
		}
		out, err := run(t, "lab", "solution", "--state", state, "--trainee", strconv.Itoa(s.Trainee))
		wantExit(t, "solution", out, err, 0, "mv "+filepath.Join(labs.TraineeDir(state, s.Trainee), "token.new")+" "+
			filepath.Join(labs.TraineeDir(state, s.Trainee), "token")+"\n")
	}
}
