package scenarios_test

import (
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/scenarios"
)

func TestParseReportsProblemsWithLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		file  string
		wants []string // substrings the error must contain
	}{
		{"unknown top-level field", "version: 1\nname: x\nsteps:\n  - action: login\ncolour: red\n", []string{"t.yaml", "line 5", "colour"}},
		{"unknown step field", "version: 1\nname: x\nsteps:\n  - action: login\n    speed: fast\n", []string{"line 5", "speed"}},
		{"unknown action", "version: 1\nname: x\nsteps:\n  - action: login\n  - action: dance\n", []string{"t.yaml:5", `unknown action "dance"`, "rotate-key"}},
		{"wrong version", "version: 2\nname: x\nsteps:\n  - action: login\n", []string{"version is 2, want 1"}},
		{"no steps", "version: 1\nname: x\n", []string{"at least one step"}},
		{"bad expect scalar", "version: 1\nname: x\nsteps:\n  - action: login\n    expect: failure\n", []string{"line 5", "success"}},
		{"expect without code", "version: 1\nname: x\nsteps:\n  - action: login\n    expect: {message: hi}\n", []string{"needs a code"}},
		{"expect unknown key", "version: 1\nname: x\nsteps:\n  - action: login\n    expect: {code: X, colour: red}\n", []string{"colour"}},
		{"fault on non-login", "version: 1\nname: x\nsteps:\n  - action: rotate-key\n    fault: tamper\n", []string{"t.yaml:4", "only to login"}},
		{"unknown fault", "version: 1\nname: x\nsteps:\n  - action: login\n    fault: gremlins\n", []string{"t.yaml:4", "gremlins"}},
		{"bad duration", "version: 1\nname: x\nsteps:\n  - action: advance-clock\n    duration: soon\n", []string{"t.yaml:4", "positive duration"}},
		{"not yaml", "version: [1\n", []string{"t.yaml"}},
		{"empty", "", []string{"empty scenario file"}},
		{"two documents", "version: 1\nname: x\nsteps:\n  - action: login\n---\nversion: 1\n", []string{"more than one YAML document"}},
		{"several problems at once", "version: 3\nname: x\nsteps:\n  - action: dance\n  - action: jump\n", []string{"version is 3", `"dance"`, `"jump"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := scenarios.Parse("t.yaml", []byte(tt.file))
			if err == nil {
				t.Fatalf("Parse succeeded, want an error mentioning %q", tt.wants)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Parse error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLibraryLoadsAndValidates(t *testing.T) {
	t.Parallel()
	all, err := scenarios.Library()
	if err != nil {
		t.Fatalf("Library: %v", err)
	}
	names := map[string]bool{}
	for _, sc := range all {
		if names[sc.Name] {
			t.Errorf("duplicate scenario name %q", sc.Name)
		}
		names[sc.Name] = true
		if sc.Title == "" || sc.Description == "" {
			t.Errorf("%s: scenarios in the library need a title and a description", sc.File)
		}
	}
	if !names["cert-rotation"] {
		t.Errorf("the headline scenario cert-rotation is missing from the library")
	}
	if _, err := scenarios.Find("no-such-scenario"); err == nil || !strings.Contains(err.Error(), "cert-rotation") {
		t.Errorf("Find(unknown) = %v, want an error listing known names", err)
	}
}

func TestRunReportsMismatchedSteps(t *testing.T) {
	t.Parallel()
	// A scenario whose second step expects the wrong outcome must fail, and the
	// report must say which step and what actually happened.
	sc, err := scenarios.Parse("wrong.yaml", []byte(`version: 1
name: wrong
steps:
  - action: register-provider
  - action: login
    expect: {code: InvalidIdentityToken, message: Response signature invalid}
  - action: rotate-key
  - action: login
`))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := scenarios.Run(t.Context(), sc, labConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pass {
		t.Fatalf("report passed, want failure")
	}
	wantPass := []bool{true, false, true, false}
	for i, st := range rep.Steps {
		if st.Pass != wantPass[i] {
			t.Errorf("step %d pass = %v, want %v (actual %s)", i+1, st.Pass, wantPass[i], st.Actual)
		}
	}
	if got := rep.Steps[1].Actual; got.Error {
		t.Errorf("step 2 actual = %s, want success", got)
	}
	if got := rep.Steps[3].Actual; got.Code != "InvalidIdentityToken" || got.Message != "Response signature invalid" || got.Cause == "" {
		t.Errorf("step 4 actual = %+v, want InvalidIdentityToken with a cause", got)
	}
}
