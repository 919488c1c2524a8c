package main

import (
	"errors"
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
	err := run(append(append([]string{"-pkg", "sp/x", "-equivalent", eq, "-root", dir}, args...), rep), &out)
	return out.String(), err
}

func TestScores(t *testing.T) {
	t.Parallel()
	// 4 killed, 1 lived, 1 not covered: efficacy 80%, coverage 5/6.
	out, err := runWith(t, "# none\n", "-efficacy", "80", "-coverage", "83")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	for _, want := range []string{"killed 4, lived 1, not covered 1, timed out 1, not viable 1 (0 of these run by mutscore), equivalent (left out) 0",
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
	eq := "sp/x/a.go:12:5 CONDITIONALS_BOUNDARY equivalent i <= n and i < n differ only at n, which never occurs\n" +
		"sp/x/a.go:3:20 ARITHMETIC_BASE equivalent the value is never observed\n" +
		"sp/y/a.go:3:20 ARITHMETIC_BASE equivalent another package's entry is not checked here\n"
	out, err := runWith(t, eq, "-efficacy", "100", "-coverage", "100")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	if !strings.Contains(out, "killed 4, lived 0, not covered 0, timed out 1, not viable 1 (0 of these run by mutscore), equivalent (left out) 2") {
		t.Errorf("output:\n%s\nwant both listed mutants left out", out)
	}
	// The same kind at another column is a different mutant.
	if _, err := runWith(t, "sp/x/a.go:12:6 CONDITIONALS_BOUNDARY equivalent moved\n", "-efficacy", "0", "-coverage", "0"); err == nil ||
		!strings.Contains(err.Error(), "sp/x/a.go:12:6 CONDITIONALS_BOUNDARY: listed in ") {
		t.Errorf("stale entry: %v, want an error naming it", err)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	for _, eq := range []string{"sp/x/a.go:12 CONDITIONALS_BOUNDARY equivalent no column\n", "sp/x/a.go:12:5 CONDITIONALS_BOUNDARY equivalent\n",
		"sp/x/a.go:12:5 CONDITIONALS_BOUNDARY same reason\n",
		"sp/x/a.go:12:5 K equivalent r\nsp/x/a.go:12:5 K equivalent r\n"} {
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

func TestMutate(t *testing.T) {
	t.Parallel()
	src := "package p\n\nfunc f(a, b int) bool {\n\treturn a-b >= -1 && a != b\n}\n"
	tests := []struct {
		line, col int
		kind      string
		want      string // the mutated line 4, or "" for an error
	}{
		{4, 10, "ARITHMETIC_BASE", "\treturn a+b >= -1 && a != b"},
		{4, 13, "CONDITIONALS_BOUNDARY", "\treturn a-b > -1 && a != b"},
		{4, 13, "CONDITIONALS_NEGATION", "\treturn a-b < -1 && a != b"},
		{4, 16, "INVERT_NEGATIVES", "\treturn a-b >= +1 && a != b"},
		{4, 24, "CONDITIONALS_NEGATION", "\treturn a-b >= -1 && a == b"},
		{4, 19, "INVERT_LOGICAL", "\treturn a-b >= -1 || a != b"},
		{4, 2, "CONDITIONALS_NEGATION", ""},
		{4, 13, "INVERT_LOOPCTRL", ""},
		{9, 1, "ARITHMETIC_BASE", ""},
	}
	for _, tt := range tests {
		out, err := mutate([]byte(src), tt.line, tt.col, tt.kind)
		if tt.want == "" {
			if err == nil {
				t.Errorf("mutate %d:%d %s = %q, want an error", tt.line, tt.col, tt.kind, out)
			}
			continue
		}
		if err != nil {
			t.Errorf("mutate %d:%d %s: %v", tt.line, tt.col, tt.kind, err)
			continue
		}
		if got := strings.Split(string(out), "\n")[3]; got != tt.want {
			t.Errorf("mutate %d:%d %s = %q, want %q", tt.line, tt.col, tt.kind, got, tt.want)
		}
	}
}

// TestUnmappedMutantsAreRun runs mutants of a throwaway module's switch the
// way make mutate does: killed, lived and not viable.
func TestUnmappedMutantsAreRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test")
	}
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/m\n\ngo 1.22\n",
		"sp/x/a.go": "package x\n\n" +
			"func Sign(n int) string {\n" +
			"\tswitch {\n" +
			"\tcase n > 0:\n" + // line 5: the tests pin this boundary
			"\t\treturn \"+\"\n" +
			"\tcase n < -100:\n" + // line 7: and not this one
			"\t\treturn \"--\"\n" +
			"\t}\n" +
			"\treturn \"\" + \"0\"\n" + // line 10: "-" on strings does not build
			"}\n",
		"sp/x/a_test.go": "package x\n\nimport \"testing\"\n\n" +
			"func TestSign(t *testing.T) {\n" +
			"\tif Sign(1) != \"+\" || Sign(0) != \"0\" || Sign(-1000) != \"--\" {\n\t\tt.Fatal(\"wrong\")\n\t}\n}\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	report := `{"files":[{"file_name":"a.go","mutations":[
 {"type":"CONDITIONALS_BOUNDARY","status":"NOT COVERED","line":5,"column":9},
 {"type":"CONDITIONALS_BOUNDARY","status":"NOT COVERED","line":7,"column":9},
 {"type":"ARITHMETIC_BASE","status":"NOT COVERED","line":10,"column":12}]}]}`
	list := "sp/x/a.go:5:9 CONDITIONALS_BOUNDARY unmapped switch case\n" +
		"sp/x/a.go:7:9 CONDITIONALS_BOUNDARY unmapped switch case\n" +
		"sp/x/a.go:10:12 ARITHMETIC_BASE unmapped constant\n"
	rep, eq := filepath.Join(dir, "r.json"), filepath.Join(dir, "eq.txt")
	if err := errors.Join(os.WriteFile(rep, []byte(report), 0o600), os.WriteFile(eq, []byte(list), 0o600)); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err := run([]string{"-pkg", "sp/x", "-equivalent", eq, "-root", dir, "-efficacy", "50", "-coverage", "100", rep}, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{"killed 1, lived 1, not covered 0, timed out 0, not viable 1 (3 of these run by mutscore)",
		"LIVED sp/x/a.go:7:9 CONDITIONALS_BOUNDARY"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
