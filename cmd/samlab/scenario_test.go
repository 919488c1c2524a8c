package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/reporters"

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
	out, err := run(t, "scenario", "run", "cert-rotation", "--fixture-keys", "--output", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var res struct {
		Pass      bool
		Scenarios []struct {
			Scenario, Title, File string
			Labels                []string
			Pass                  bool
			Steps                 []struct {
				Pass     bool
				Expected struct {
					Error bool
					Code  string
				}
				Actual struct {
					Error         bool
					Code, Message string
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if !res.Pass || len(res.Scenarios) != 1 {
		t.Fatalf("result = %+v, want one passing scenario", res)
	}
	rep := res.Scenarios[0]
	if !rep.Pass || len(rep.Steps) != 6 || rep.Steps[3].Actual.Code != "InvalidIdentityToken" || rep.Steps[3].Expected.Code != "InvalidIdentityToken" ||
		rep.Title == "" || rep.File != "library/cert-rotation.yaml" || len(rep.Labels) == 0 {
		t.Errorf("report = %+v, want a passing 6-step run with InvalidIdentityToken expected and got at step 4, title, file and labels", rep)
	}
}

func writeTemp(t *testing.T, name, doc string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestScenarioRunFailsOnMismatch(t *testing.T) {
	t.Parallel()
	file := writeTemp(t, "wrong.yaml", "version: 2\nname: wrong\ntitle: expects success where STS must refuse\nsteps:\n  - action: create-provider\n  - action: rotate-key\n  - action: login\n")
	junit := filepath.Join(t.TempDir(), "junit.xml")
	out, err := run(t, "scenario", "run", "--fixture-keys", file, "cert-rotation", "--junit", junit)
	if err == nil {
		t.Fatalf("scenario run succeeded, want failure:\n%s", out)
	}
	if exitCode(err) != 1 || !strings.Contains(out, "FAIL 3.") || !strings.Contains(out, "Response signature invalid") ||
		!strings.Contains(out, "1 of 2 scenarios passed") {
		t.Errorf("exit %d, output:\n%s", exitCode(err), out)
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatalf("JUnit report: %v\n%s", err, data)
	}
	if suites.Tests != 9 || suites.Failures != 1 || len(suites.TestSuites) != 2 {
		t.Errorf("JUnit report: %d tests, %d failures, %d suites; want 9, 1, 2", suites.Tests, suites.Failures, len(suites.TestSuites))
	}
	for _, ts := range suites.TestSuites {
		for _, tc := range ts.TestCases {
			if tc.Failure != nil && !strings.Contains(tc.Failure.Description, "wrong.yaml:7") {
				t.Errorf("failure %q does not point at wrong.yaml:7", tc.Failure.Description)
			}
		}
	}
}

func TestScenarioRunAllWithLabels(t *testing.T) {
	t.Parallel()
	out, err := run(t, "scenario", "run", "--all", "--fixture-keys", "--parallel", "3", "--label", "rotation && !rollover", "--output", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var res struct {
		Pass      bool
		Scenarios []struct {
			Scenario string
			Labels   []string
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if !res.Pass || len(res.Scenarios) < 2 {
		t.Fatalf("result = %+v, want at least two passing rotation scenarios", res)
	}
	for _, sc := range res.Scenarios {
		if !slices.Contains(sc.Labels, "rotation") || slices.Contains(sc.Labels, "rollover") {
			t.Errorf("%s has labels %v, which the filter excludes", sc.Scenario, sc.Labels)
		}
	}
}

func TestScenarioValidateNewMigrateShow(t *testing.T) {
	t.Parallel()
	bad := writeTemp(t, "bad.yaml", "version: 2\nname: x\nsteps:\n  - action: login\n    user: carol\n  - action: dance\n")
	out, err := run(t, "scenario", "validate", bad)
	if exitCode(err) != 1 || !strings.Contains(out, "bad.yaml:5:11: steps[0].user: unknown user") || !strings.Contains(out, "bad.yaml:6:13: steps[1].action") {
		t.Errorf("validate bad.yaml: exit %d, output:\n%s", exitCode(err), out)
	}

	tmpl := filepath.Join(t.TempDir(), "mine.yaml")
	if out, err := run(t, "scenario", "new", "mine", "--file", tmpl); err != nil {
		t.Fatalf("scenario new: %v\n%s", err, out)
	}
	if out, err := run(t, "scenario", "validate", tmpl); err != nil || !strings.Contains(out, "ok  ") {
		t.Errorf("validate of the template: %v\n%s", err, out)
	}
	if out, err := run(t, "scenario", "run", "--fixture-keys", tmpl); err != nil {
		t.Errorf("the template does not pass: %v\n%s", err, out)
	}

	v1 := writeTemp(t, "old.yaml", "# my scenario\nversion: 1\nname: old\nsteps:\n  - action: register-provider\n  - action: login\n    role: arn:aws:iam::123456789012:role/Nope\n    expect: {code: AccessDenied}\n")
	out, err = run(t, "scenario", "migrate", v1)
	if err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	for _, want := range []string{"version: 2", "action: create-provider", "role_arn: arn:aws:iam::123456789012:role/Nope", "# my scenario", "yaml-language-server"} {
		if !strings.Contains(out, want) {
			t.Errorf("migrated file lacks %q:\n%s", want, out)
		}
	}

	out, err = run(t, "scenario", "show", "cert-rotation")
	if err != nil || !strings.Contains(out, "fix:") || !strings.Contains(out, "4. login fails") {
		t.Errorf("scenario show: %v\n%s", err, out)
	}
	out, err = run(t, "scenario", "show", "user-without-role")
	if err != nil || !strings.Contains(out, "user carol (no Role attribute)") || !strings.Contains(out, "IAM provider samlab") {
		t.Errorf("scenario show lacks the setup: %v\n%s", err, out)
	}
}

func TestScenarioCommandErrors(t *testing.T) {
	t.Parallel()
	bad := writeTemp(t, "bad.yaml", "version: 1\nname: x\nsteps:\n  - action: dance\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown scenario", []string{"scenario", "run", "cert-rotaton"}, "did you mean cert-rotation?"},
		{"no scenario", []string{"scenario", "run"}, "which scenarios"},
		{"broken file", []string{"scenario", "run", "--file", bad}, "bad.yaml:4:13: steps[0].action"},
		{"missing file", []string{"scenario", "run", filepath.Join(t.TempDir(), "none.yaml")}, "neither a file"},
		{"unknown flag", []string{"scenario", "run", "--colour"}, "unknown flag"},
		{"bad label filter", []string{"scenario", "run", "--all", "--label", "a &&"}, "--label"},
		{"no match", []string{"scenario", "run", "--all", "--label", "no-such-label"}, "no scenario matches"},
		{"bad output", []string{"scenario", "run", "--all", "--output", "yaml"}, "text or json"},
		{"new with a bad name", []string{"scenario", "new", "Bad Name"}, "lower-case"},
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
	var items []struct {
		Name       string
		Difficulty int
		Labels     []string
	}
	if err := json.Unmarshal([]byte(out), &items); err != nil || len(items) < 2 {
		t.Fatalf("scenario list --json = %q, %v", out, err)
	}
	out, err = run(t, "scenario", "list")
	if err != nil || !strings.Contains(out, "DIFFICULTY") || !strings.Contains(out, "rotation,signature") {
		t.Errorf("scenario list = %q, %v; want difficulty and labels columns", out, err)
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
	if len(res) != 4 {
		t.Fatalf("bench measured %d subjects, want 4", len(res))
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
		CPUPerRequest      int64   `json:"cpu_per_request_ns"`
		CPUVerifies        float64 `json:"cpu_verifies_per_request"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("bench --json output: %v\n%s", err, out)
	}
	if res.Requests != 200 || res.Errors != 0 || res.RequestsPerSec <= 0 || res.P50 <= 0 || res.P99 < res.P50 ||
		res.VerifiesPerSec <= 0 || res.VerifiesPerRequest <= 0 {
		t.Errorf("bench --requests 200 reported %+v", res)
	}
	if runtime.GOOS == "linux" && (res.CPUPerRequest <= 0 || res.CPUVerifies <= 0) {
		t.Errorf("CPU per request = %d ns, %.2f verifications on Linux, want both measured", res.CPUPerRequest, res.CPUVerifies)
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
