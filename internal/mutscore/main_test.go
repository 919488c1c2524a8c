package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A report as gremlins v0.6 writes it (file names relative to the package).
const testReport = `{"go_module":"example.com/m","files":[
{"file_name":"a.go","mutations":[
 {"type":"CONDITIONALS_NEGATION","status":"KILLED","line":10,"column":5},
 {"type":"CONDITIONALS_NEGATION","status":"KILLED","line":11,"column":5},
 {"type":"CONDITIONALS_NEGATION","status":"KILLED","line":12,"column":5},
 {"type":"CONDITIONALS_BOUNDARY","status":"LIVED","line":12,"column":5},
 {"type":"ARITHMETIC_BASE","status":"NOT COVERED","line":3,"column":20},
 {"type":"ARITHMETIC_BASE","status":"NOT VIABLE","line":30,"column":9}]},
{"file_name":"b.go","mutations":[
 {"type":"CONDITIONALS_NEGATION","status":"TIMED OUT","line":7,"column":2},
 {"type":"CONDITIONALS_NEGATION","status":"KILLED","line":8,"column":2}]}]}`

func runWith(t *testing.T, equivalent string, args ...string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	rep := filepath.Join(dir, "report.json")
	eq := filepath.Join(dir, "equivalent.txt")
	if err := os.WriteFile(rep, []byte(testReport), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(eq, []byte(equivalent), 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err := run(append(append([]string{"-pkg", "sp/x", "-equivalent", eq}, args...), rep), &out)
	return out.String(), err
}

func TestScores(t *testing.T) {
	t.Parallel()
	// 4 killed, 1 lived, 1 not covered: efficacy 80%, coverage 5/6.
	out, err := runWith(t, "# none\n", "-efficacy", "80", "-coverage", "83")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	for _, want := range []string{"killed 4, lived 1, not covered 1, timed out 1, not viable 1, equivalent (left out) 0",
		"efficacy 80.00%", "mutator coverage 83.33%", "LIVED sp/x/a.go:12:5 CONDITIONALS_BOUNDARY",
		"NOT COVERED sp/x/a.go:3:20 ARITHMETIC_BASE", "TIMED OUT sp/x/b.go:7:2 CONDITIONALS_NEGATION"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := runWith(t, "", "-efficacy", "81", "-coverage", "0"); err == nil || !strings.Contains(err.Error(), "efficacy 80.00% is below 81%") {
		t.Errorf("efficacy below threshold: %v, want an error naming it", err)
	}
	if _, err := runWith(t, "", "-efficacy", "0", "-coverage", "84"); err == nil || !strings.Contains(err.Error(), "mutator coverage 83.33% is below 84%") {
		t.Errorf("coverage below threshold: %v, want an error naming it", err)
	}
}

func TestEquivalentAreLeftOut(t *testing.T) {
	t.Parallel()
	eq := "sp/x/a.go:12:5 CONDITIONALS_BOUNDARY i <= n and i < n differ only at n, which never occurs\n" +
		"sp/x/a.go:3:20 ARITHMETIC_BASE constant: gremlins cannot see its coverage\n" +
		"sp/y/a.go:3:20 ARITHMETIC_BASE another package's entry is not checked here\n"
	out, err := runWith(t, eq, "-efficacy", "100", "-coverage", "100")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	if !strings.Contains(out, "killed 4, lived 0, not covered 0, timed out 1, not viable 1, equivalent (left out) 2") {
		t.Errorf("output:\n%s\nwant both listed mutants left out", out)
	}
	// The same kind at another column is a different mutant.
	if _, err := runWith(t, "sp/x/a.go:12:6 CONDITIONALS_BOUNDARY moved\n", "-efficacy", "0", "-coverage", "0"); err == nil ||
		!strings.Contains(err.Error(), "sp/x/a.go:12:6 CONDITIONALS_BOUNDARY: listed as equivalent but not in the report") {
		t.Errorf("stale entry: %v, want an error naming it", err)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	for _, eq := range []string{"sp/x/a.go:12 CONDITIONALS_BOUNDARY no column\n", "sp/x/a.go:12:5 CONDITIONALS_BOUNDARY\n",
		"sp/x/a.go:12:5 K r\nsp/x/a.go:12:5 K r\n"} {
		if _, err := runWith(t, eq); err == nil || !strings.Contains(err.Error(), "line ") {
			t.Errorf("equivalent list %q: %v, want an error with the line number", eq, err)
		}
	}
	var out strings.Builder
	if err := run([]string{"-pkg", "sp/x"}, &out); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("no report: %v, want usage", err)
	}
	bad := filepath.Join(t.TempDir(), "r.json")
	if err := os.WriteFile(bad, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-pkg", "sp/x", bad}, &out); err == nil || !strings.Contains(err.Error(), "not a gremlins JSON report") {
		t.Errorf("garbage report: %v, want it named", err)
	}
}
