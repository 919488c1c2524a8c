package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := NewRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(t.Context())
	return out.String(), err
}

func TestScenarioRunCertRotation(t *testing.T) {
	t.Parallel()
	out, err := run(t, "scenario", "run", "cert-rotation", "--fixture-keys")
	if err != nil {
		t.Fatalf("scenario run cert-rotation: %v\n%s", err, out)
	}
	for _, want := range []string{
		"ok   4. login fails, IAM still holds the old certificate [login]",
		"actual:   InvalidIdentityToken (400): Response signature invalid",
		"ok   6. login works again [login]",
		"PASS: 6 steps",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestScenarioRunJSON(t *testing.T) {
	t.Parallel()
	out, err := run(t, "scenario", "run", "cert-rotation", "--fixture-keys", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rep struct {
		Scenario string
		Pass     bool
		Steps    []struct {
			Pass   bool
			Actual struct {
				Error         bool
				Code, Message string
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if !rep.Pass || len(rep.Steps) != 6 || rep.Steps[3].Actual.Code != "InvalidIdentityToken" {
		t.Errorf("report = %+v, want a passing 6-step run with InvalidIdentityToken at step 4", rep)
	}
}

func TestScenarioRunFailsOnMismatch(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "wrong.yaml")
	doc := "version: 1\nname: wrong\ntitle: expects success where STS must refuse\nsteps:\n  - action: register-provider\n  - action: rotate-key\n  - action: login\n"
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "scenario", "run", "--fixture-keys", "--file", file)
	if err == nil {
		t.Fatalf("scenario run succeeded, want failure:\n%s", out)
	}
	if exitCode(err) != 1 || !strings.Contains(out, "FAIL 3.") || !strings.Contains(out, "Response signature invalid") {
		t.Errorf("exit %d, output:\n%s", exitCode(err), out)
	}
}

func TestScenarioCommandErrors(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\nname: x\nsteps:\n  - action: dance\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown scenario", []string{"scenario", "run", "nope"}, "known: "},
		{"no scenario", []string{"scenario", "run"}, "which scenario"},
		{"name and file", []string{"scenario", "run", "cert-rotation", "--file", bad}, "not both"},
		{"broken file", []string{"scenario", "run", "--file", bad}, "bad.yaml:4"},
		{"missing file", []string{"scenario", "run", "--file", filepath.Join(t.TempDir(), "none.yaml")}, "no such file"},
		{"unknown flag", []string{"scenario", "run", "--colour"}, "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := run(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("samlab %s = %v, want error containing %q\n%s", strings.Join(tt.args, " "), err, tt.want, out)
			}
		})
	}
}

func TestScenarioListAndVersion(t *testing.T) {
	t.Parallel()
	out, err := run(t, "scenario", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var items []struct{ Name string }
	if err := json.Unmarshal([]byte(out), &items); err != nil || len(items) < 2 {
		t.Fatalf("scenario list --json = %q, %v", out, err)
	}
	out, err = run(t, "version")
	if err != nil || !strings.HasPrefix(out, "samlab ") {
		t.Errorf("version = %q, %v", out, err)
	}
}

func TestBenchReportsRatios(t *testing.T) {
	t.Parallel()
	out, err := run(t, "bench", "--rounds", "1", "--round-time", "5ms", "--json")
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	var res []struct {
		Name      string
		OpsPerSec float64 `json:"ops_per_sec"`
		Ratio     float64
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("bench --json output: %v\n%s", err, out)
	}
	if len(res) != 3 {
		t.Fatalf("bench measured %d subjects, want 3", len(res))
	}
	for _, r := range res {
		// Every subject does at least one RSA verification, which alone costs
		// about 3% of the sign+verify baseline; 5 ms rounds on a loaded
		// machine are noisy, so only a ratio far below that fails.
		if r.OpsPerSec <= 0 || r.Ratio < 0.005 {
			t.Errorf("%s: ops/s %.1f ratio %.3f, want positive throughput and ratio ≥ 0.005", r.Name, r.OpsPerSec, r.Ratio)
		}
	}
}

// TestBenchHTTP drives the real HTTP endpoint briefly: every call succeeds
// and each number of the report is filled in.
func TestBenchHTTP(t *testing.T) {
	t.Parallel()
	out, err := run(t, "bench", "--requests", "200", "--concurrency", "4", "--pool", "8", "--json")
	if err != nil {
		t.Fatalf("bench --requests: %v\n%s", err, out)
	}
	var res struct {
		Requests, Errors   int
		RequestsPerSec     float64 `json:"requests_per_sec"`
		P50                int64   `json:"p50_ns"`
		P99                int64   `json:"p99_ns"`
		RSS                int64   `json:"rss_bytes"`
		VerifiesPerSec     float64 `json:"verifies_per_sec"`
		VerifiesPerRequest float64 `json:"verifies_per_request"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("bench --json output: %v\n%s", err, out)
	}
	if res.Requests != 200 || res.Errors != 0 || res.RequestsPerSec <= 0 || res.P50 <= 0 || res.P99 < res.P50 ||
		res.VerifiesPerSec <= 0 || res.VerifiesPerRequest <= 0 {
		t.Errorf("bench --requests 200 reported %+v", res)
	}
	if runtime.GOOS == "linux" && res.RSS <= 0 {
		t.Errorf("RSS = %d on Linux, want the process's resident set", res.RSS)
	}
}

func TestExplainCommand(t *testing.T) {
	t.Parallel()
	lab, err := scenarios.NewLab(scenarios.LabConfig{Keys: certstest.New()})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	md, err := lab.IDP.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	mdFile := filepath.Join(dir, "registered.xml")
	if err := os.WriteFile(mdFile, md, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := lab.IDP.Rotate(); err != nil {
		t.Fatal(err)
	}
	resp, err := lab.IDP.AWSResponse(lab.Users[scenarios.DefaultUser], idp.ResponseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	respFile := filepath.Join(dir, "captured.b64")
	if err := os.WriteFile(respFile, []byte(resp.Base64()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "explain", "--metadata", mdFile, "--response", respFile, "--at", "issue-instant")
	if exitCode(err) != 1 {
		t.Fatalf("explain of a rotated-key response: exit %d (%v), want 1\n%s", exitCode(err), err, out)
	}
	for _, want := range []string{"REJECTED: InvalidIdentityToken (HTTP 400): Response signature invalid", "NOT in the registered metadata"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
	if _, err := run(t, "explain", "--metadata", mdFile); err == nil || !strings.Contains(err.Error(), "response") {
		t.Errorf("explain without --response = %v, want a required-flag error", err)
	}
	if _, err := run(t, "explain", "--metadata", mdFile, "--response", respFile, "--at", "yesterday"); exitCode(err) != 2 {
		t.Errorf("explain --at yesterday: exit %d (%v), want 2", exitCode(err), err)
	}
}
