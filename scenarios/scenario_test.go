package scenarios_test

import (
	"errors"
	"fmt"
	"slices"
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
		{"unknown top-level field", "version: 2\nname: x\nsteps:\n  - action: login\ncolour: red\n", []string{"t.yaml:5:1: colour: unknown field"}},
		{"unknown step field", "version: 2\nname: x\nsteps:\n  - action: login\n    speed: fast\n", []string{"t.yaml:5:5: steps[0].speed: unknown field"}},
		{"unknown action", "version: 2\nname: x\nsteps:\n  - action: login\n  - action: dance\n", []string{"t.yaml:5:13: steps[1].action: unknown action \"dance\"", "rotate-key"}},
		{"wrong version", "version: 3\nname: x\nsteps:\n  - action: login\n", []string{"t.yaml:1:10: version: is 3"}},
		{"no steps", "version: 2\nname: x\n", []string{"steps: at least one step"}},
		{"bad expect scalar", "version: 2\nname: x\nsteps:\n  - action: login\n    expect: failure\n", []string{"t.yaml:5:13: steps[0].expect: want `success`"}},
		{"expect without code", "version: 2\nname: x\nsteps:\n  - action: login\n    expect: {message: hi}\n", []string{"steps[0].expect: an error expectation needs a code"}},
		{"expect unknown key", "version: 2\nname: x\nsteps:\n  - action: login\n    expect: {code: X, colour: red}\n", []string{"steps[0].expect.colour: unknown field"}},
		{"harness code", "version: 2\nname: x\nsteps:\n  - action: login\n    expect: {code: samlab.Error}\n", []string{"steps[0].expect.code", "never satisfies"}},
		{"fault on non-login", "version: 2\nname: x\nsteps:\n  - action: rotate-key\n    fault: tamper\n", []string{"t.yaml:5:5: steps[0].fault: does not apply to rotate-key"}},
		{"unknown fault", "version: 2\nname: x\nsteps:\n  - action: login\n    fault: gremlins\n", []string{"t.yaml:5:12: steps[0].fault:", "gremlins"}},
		{"bad duration", "version: 2\nname: x\nsteps:\n  - action: advance-clock\n    duration: soon\n", []string{"t.yaml:5:15: steps[0].duration: want a duration"}},
		{"missing duration", "version: 2\nname: x\nsteps:\n  - action: advance-clock\n", []string{"steps[0]: advance-clock needs duration"}},
		{"wrong type", "version: 2\nname: x\nsteps:\n  - action: login\n    duration_seconds: long\n", []string{"steps[0].duration_seconds: want a whole number, got \"long\""}},
		{"unknown user", "version: 2\nname: x\nsteps:\n  - action: login\n    user: carol\n", []string{"t.yaml:5:11: steps[0].user: unknown user \"carol\"", "alice"}},
		{"role as ARN", "version: 2\nname: x\nsteps:\n  - action: login\n    role: arn:aws:iam::123456789012:role/X\n", []string{"steps[0].role: unknown role", "use role_arn"}},
		{"role_arn not an ARN", "version: 2\nname: x\nsteps:\n  - action: login\n    role_arn: SAMLReadOnly\n", []string{"steps[0].role_arn: \"SAMLReadOnly\" is not an ARN"}},
		{"snapshot never saved", "version: 2\nname: x\nsteps:\n  - action: update-provider\n    snapshot: old\n  - action: save-metadata\n    snapshot: old\n", []string{"steps[0].snapshot: no earlier save-metadata step saved \"old\""}},
		{"unknown provider", "version: 2\nname: x\nsteps:\n  - action: delete-provider\n    provider: okta\n", []string{"steps[0].provider: unknown provider \"okta\""}},
		{"unknown behavior", "version: 2\nname: x\nsetup:\n  behavior:\n    clock_skw: 1m\nsteps:\n  - action: login\n", []string{"t.yaml:5:16: setup.behavior.clock_skw: unknown Behavior switch", "clock_skew"}},
		{"bad behavior value", "version: 2\nname: x\nsetup:\n  behavior:\n    single_use: maybe\nsteps:\n  - action: login\n", []string{"setup.behavior.single_use: behavior single_use wants true or false"}},
		{"user with unknown role", "version: 2\nname: x\nsetup:\n  users:\n    carol:\n      roles: [Admin]\nsteps:\n  - action: login\n    user: carol\n", []string{"setup.users.carol.roles[0]: unknown role \"Admin\""}},
		{"trust with unknown provider", "version: 2\nname: x\nsteps:\n  - action: update-trust\n    role: SAMLAdmin\n    trust: {Statement: [{Principal: {Federated: \"${provider:okta}\"}}]}\n", []string{"steps[0].trust: ${provider:okta}: unknown provider"}},
		{"console expects a code", "version: 2\nname: x\nsteps:\n  - action: console-sign-in\n    expect: {code: AccessDenied}\n", []string{"steps[0].expect: a console sign-in shows a page"}},
		{"not yaml", "version: [1\n", []string{"t.yaml:", "not YAML"}},
		{"empty", "", []string{"empty scenario file"}},
		{"two documents", "version: 2\nname: x\nsteps:\n  - action: login\n---\nversion: 1\n", []string{"more than one YAML document"}},
		{"several problems at once", "version: 3\nname: x\nsteps:\n  - action: dance\n  - action: login\n    user: carol\n    speed: 3\n", []string{"version: is 3", `"dance"`, `unknown user "carol"`, "steps[1].speed"}},
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

// TestProblemFormat: every problem of a file in one format, in file order,
// with no Go type names.
func TestProblemFormat(t *testing.T) {
	t.Parallel()
	_, err := scenarios.Parse("f.yaml", []byte("version: 2\nname: x\nsteps:\n  - action: login\n    user: carol\n    duration_seconds: [1]\n  - action: dance\n"))
	var fe *scenarios.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("Parse error = %v (%T), want a *scenarios.FileError", err, err)
	}
	want := []string{
		`f.yaml:5:11: steps[0].user: unknown user "carol" (known: alice, bob)`,
		`f.yaml:6:23: steps[0].duration_seconds: want a whole number, got a list`,
		`f.yaml:7:13: steps[1].action: unknown action "dance" (known: ` + strings.Join(scenarios.ActionNames(), ", ") + ")",
	}
	if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, bad := range []string{" int", "string", "yaml: ", "!!", "Go "} {
		if strings.Contains(err.Error(), bad) {
			t.Errorf("problems mention %q: %v", bad, err)
		}
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
	if _, err := scenarios.Find("cert-rotaton"); err == nil || !strings.Contains(err.Error(), "did you mean cert-rotation?") {
		t.Errorf("Find(a typo) = %v, want a suggestion", err)
	}
	if _, err := scenarios.Find("no-such-scenario"); err == nil || !strings.Contains(err.Error(), "samlab scenario list") {
		t.Errorf("Find(unknown) = %v, want a pointer to samlab scenario list", err)
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

// TestParseBoundsAliasExpansion: aliases cannot make a small file expand
// into a huge one.
func TestParseBoundsAliasExpansion(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("version: 2\nname: x\nsetup:\n  users:\n    u0: &u {attributes: {a: [")
	for i := range 2000 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("v")
	}
	b.WriteString("]}}\n")
	for i := 1; i < 2000; i++ {
		fmt.Fprintf(&b, "    u%d: *u\n", i)
	}
	b.WriteString("steps:\n  - action: login\n")
	_, err := scenarios.Parse("bomb.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "more than 200000 values") {
		t.Fatalf("Parse = %v, want the expansion limit", err)
	}
}

// TestValidateGoScenario: a scenario built in Go gets the same checks as a
// file, with field paths, and Do never panics on a step Validate refuses.
func TestValidateGoScenario(t *testing.T) {
	t.Parallel()
	sc := &scenarios.Scenario{Version: scenarios.Version, Name: "go", Steps: []scenarios.Step{
		{Action: scenarios.ActionUpdateTrust, Role: "SAMLAdmin"},
		{Action: scenarios.ActionRotateKey, Fault: "tamper"},
		{Action: scenarios.ActionLogin, User: "carol"},
	}}
	err := sc.Validate()
	for _, want := range []string{"steps[0]: update-trust needs trust", "steps[1].fault: does not apply to rotate-key",
		`steps[2].user: unknown user "carol"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want %q", err, want)
		}
	}
	lab, err := scenarios.NewLab(labConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []scenarios.Step{{Action: scenarios.ActionUpdateTrust}, {Action: scenarios.ActionSetSigning},
		{Action: scenarios.ActionSetUser}} {
		if out := lab.Do(t.Context(), st); !out.Harness {
			t.Errorf("Do(%s without its required field) = %s, want a failure of samlab", st.Action, out)
		}
	}
}
