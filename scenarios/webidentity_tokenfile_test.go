package scenarios_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/scenarios"
)

// TestParseTokenFileProblems: token_file is a name inside the lab's
// directory, and the token read from it is sent as it is.
func TestParseTokenFileProblems(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, file, want string }{
		{"outside the directory", wiHead + "  - action: write-token-file\n    token_file: ../token\n",
			"t.yaml:12:17: steps[0].token_file: \"../token\": want a file name inside the lab's directory"},
		{"absolute", wiHead + "  - action: web-identity-login\n    role: WebApp\n    token_file: /etc/token\n",
			"steps[0].token_file: \"/etc/token\": want a file name inside the lab's directory"},
		{"write needs a file", wiHead + "  - action: write-token-file\n    user: alice\n",
			"steps[0]: write-token-file needs token_file"},
		{"file and saved token", wiHead + "  - action: web-identity-login\n    role: WebApp\n    save_token: t1\n  - action: web-identity-login\n    role: WebApp\n    token: t1\n    token_file: token\n",
			"steps[1].token_file: send either token or token_file, not both"},
		{"file with a fault", wiHead + "  - action: web-identity-login\n    role: WebApp\n    token_file: token\n    token_fault: expired\n",
			"steps[0].token_fault: the token in token_file \"token\" is sent as it is: token_fault does not apply"},
		{"file on another action", wiHead + "  - action: cognito-login\n    pool: app\n    user: alice\n    token_file: token\n",
			"steps[0].token_file: does not apply to cognito-login"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := scenarios.Parse("t.yaml", []byte(tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse: %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// TestTokenFileSteps plays write-token-file and web-identity-login with
// token_file in a lab directory: the file holds the provider's token, a
// missing or empty file is a clear error, and a lab with no directory uses
// one of its own, removed by Close.
func TestTokenFileSteps(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Parse("t.yaml", []byte(`version: 2
name: x
setup:
  oidc:
    provider: {client_ids: [sts.amazonaws.com]}
  roles:
    WebApp:
      trust: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Federated: "${oidc_provider}"}, Action: sts:AssumeRoleWithWebIdentity}]}
steps:
  - action: write-token-file
    user: alice
    token_file: token
`))
	if err != nil {
		t.Fatal(err)
	}
	lab, err := scenarios.NewLabFor(t.Context(), labConfig(), sc.Setup)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lab.Close() })
	dir := t.TempDir()
	if err := lab.SetDir(dir); err != nil {
		t.Fatal(err)
	}
	login := scenarios.Step{Action: scenarios.ActionWebIdentityLogin, Role: "WebApp", TokenFile: "token"}
	if out := lab.Do(t.Context(), login); !out.Harness || !strings.Contains(out.Message, "the app's token file") ||
		!strings.Contains(out.Message, filepath.Join(dir, "token")) {
		t.Errorf("login with no token file: %+v", out)
	}
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := lab.Do(t.Context(), login); !out.Harness || !strings.Contains(out.Message, "is empty") {
		t.Errorf("login with an empty token file: %+v", out)
	}
	for _, fault := range []string{"expired", ""} {
		if out := lab.Do(t.Context(), scenarios.Step{Action: scenarios.ActionWriteTokenFile, User: "alice", TokenFault: fault,
			TokenFile: "token"}); out.Error {
			t.Fatalf("write-token-file (fault %q): %+v", fault, out)
		}
		raw, err := os.ReadFile(filepath.Join(dir, "token"))
		if err != nil || strings.Count(strings.TrimSpace(string(raw)), ".") != 2 {
			t.Fatalf("token file after write-token-file: %q %v", raw, err)
		}
		out := lab.Do(t.Context(), login)
		switch fault {
		case "expired":
			if out.Code != "ExpiredTokenException" || !strings.Contains(out.Message, "Token expired: current date/time") {
				t.Errorf("login with an expired token in the file: %+v", out)
			}
		default:
			if out.Error || !strings.HasSuffix(out.AssumedRoleARN, ":assumed-role/WebApp/alice") {
				t.Errorf("login with a fresh token in the file: %+v", out)
			}
		}
	}

	// A lab without a directory writes into one of its own.
	lab2, err := scenarios.NewLabFor(t.Context(), labConfig(), sc.Setup)
	if err != nil {
		t.Fatal(err)
	}
	path, err := lab2.TokenFilePath("token")
	if err != nil {
		t.Fatal(err)
	}
	if out := lab2.Do(t.Context(), scenarios.Step{Action: scenarios.ActionWriteTokenFile, User: "alice", TokenFile: "token"}); out.Error {
		t.Fatalf("write-token-file without a directory: %+v", out)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the token file of a lab without a directory: %v", err)
	}
	if err := lab2.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Errorf("Close left the lab's own directory %s: %v", filepath.Dir(path), err)
	}
}
