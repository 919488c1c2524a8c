// Command mutscore scores one package's gremlins mutation-testing report
// against thresholds, leaving out the mutants a committed list declares
// equivalent.
//
// gremlins (v0.6) has no way to mark a mutant equivalent, so its own
// thresholds would count them against the package; mutscore reads the JSON
// report (gremlins unleash -o) instead and recomputes gremlins' two scores
// without them:
//
//	efficacy        = killed / (killed + lived)
//	mutator coverage = (killed + lived) / (killed + lived + not covered)
//
// Timed-out and not-viable mutants count in neither, as in gremlins.
//
// Usage:
//
//	mutscore -pkg sp/iam -equivalent equivalent-mutants.txt -efficacy 90 -coverage 85 report.json
//
// The list has one mutant per line, "dir/file.go:line:column MUTATOR kind
// reason", with # comments. kind is
//
//   - equivalent: no test can tell the mutant from the original code; it is
//     left out of both scores.
//   - unmapped: gremlins reports the mutant NOT COVERED because Go's coverage
//     profile has no counter for its position (switch case conditions and
//     constant expressions, go-gremlins/gremlins#298) although tests execute
//     it. mutscore runs it itself: it applies the mutation through a
//     `go test -overlay` of the package (run from the module root) and counts
//     it killed when the tests fail, lived when they pass, not viable when it
//     does not build.
//
// An entry of the package that matches no mutant in the report is an error:
// the code moved, and the entry must follow. mutscore exits 1 when a score is
// below its threshold or an entry is stale.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// report is the part of gremlins' JSON output mutscore reads.
type report struct {
	Files []struct {
		Name      string `json:"file_name"`
		Mutations []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
		} `json:"mutations"`
	} `json:"files"`
}

// mutant identifies a mutant as the equivalent list and the output name it:
// "sp/iam/iam.go:117:12 CONDITIONALS_NEGATION".
type mutant struct {
	pos, kind string
}

func (m mutant) String() string { return m.pos + " " + m.kind }

// score is a package's result.
type score struct {
	killed, lived, notCovered, timedOut, notViable, equivalent, unmapped int
	livedAt, notCoveredAt, timedOutAt                                    []mutant
	stale                                                                []mutant
}

func (s *score) efficacy() float64 {
	if s.killed+s.lived == 0 {
		return 100
	}
	return 100 * float64(s.killed) / float64(s.killed+s.lived)
}

func (s *score) coverage() float64 {
	if s.killed+s.lived+s.notCovered == 0 {
		return 100
	}
	return 100 * float64(s.killed+s.lived) / float64(s.killed+s.lived+s.notCovered)
}

// Kinds of list entries.
const (
	kindEquivalent = "equivalent"
	kindUnmapped   = "unmapped"
)

// entry is one line of the list.
type entry struct {
	kind, reason string
}

// readEquivalent parses the list.
func readEquivalent(r io.Reader) (map[mutant]entry, error) {
	out := map[mutant]entry{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 4 || strings.Count(fields[0], ":") != 2 {
			return nil, fmt.Errorf("line %d: want \"dir/file.go:line:column MUTATOR kind reason\", got %q", n, line)
		}
		if fields[2] != kindEquivalent && fields[2] != kindUnmapped {
			return nil, fmt.Errorf("line %d: kind %q, want %s or %s", n, fields[2], kindEquivalent, kindUnmapped)
		}
		m := mutant{pos: fields[0], kind: fields[1]}
		if _, dup := out[m]; dup {
			return nil, fmt.Errorf("line %d: %s is listed twice", n, m)
		}
		out[m] = entry{kind: fields[2], reason: strings.Join(fields[3:], " ")}
	}
	return out, sc.Err()
}

// runner runs an unmapped mutant and returns its status as gremlins names it.
type runner func(m mutant) (string, error)

// tally scores rep, a report on the package in directory pkg: it leaves out
// the equivalent mutants and has run run the unmapped ones gremlins could not.
func tally(rep *report, pkg string, list map[mutant]entry, run runner) (*score, error) {
	s := &score{}
	used := map[mutant]bool{}
	for _, f := range rep.Files {
		for _, m := range f.Mutations {
			id := mutant{pos: fmt.Sprintf("%s:%d:%d", path.Join(pkg, f.Name), m.Line, m.Column), kind: m.Type}
			status := m.Status
			if e, ok := list[id]; ok {
				used[id] = true
				if e.kind == kindEquivalent {
					s.equivalent++
					continue
				}
				if status == "NOT COVERED" {
					var err error
					if status, err = run(id); err != nil {
						return nil, fmt.Errorf("run %s: %w", id, err)
					}
					s.unmapped++
				}
			}
			switch status {
			case "KILLED":
				s.killed++
			case "LIVED":
				s.lived++
				s.livedAt = append(s.livedAt, id)
			case "NOT COVERED":
				s.notCovered++
				s.notCoveredAt = append(s.notCoveredAt, id)
			case "TIMED OUT":
				s.timedOut++
				s.timedOutAt = append(s.timedOutAt, id)
			case "NOT VIABLE":
				s.notViable++
			}
		}
	}
	for id := range list {
		if path.Dir(strings.SplitN(id.pos, ":", 2)[0]) == pkg && !used[id] {
			s.stale = append(s.stale, id)
		}
	}
	sort.Slice(s.stale, func(i, j int) bool { return s.stale[i].String() < s.stale[j].String() })
	return s, nil
}

// operators maps each mutator to gremlins' token replacements
// (internal/engine/mappings.go of gremlins v0.6.0).
var operators = map[string]map[string]string{
	"ARITHMETIC_BASE":       {"+": "-", "-": "+", "*": "/", "/": "*", "%": "*"},
	"CONDITIONALS_BOUNDARY": {">=": ">", ">": ">=", "<=": "<", "<": "<="},
	"CONDITIONALS_NEGATION": {"==": "!=", "!=": "==", ">=": "<", ">": "<=", "<=": ">", "<": ">="},
	"INCREMENT_DECREMENT":   {"++": "--", "--": "++"},
	"INVERT_NEGATIVES":      {"-": "+"},
	"INVERT_LOGICAL":        {"&&": "||", "||": "&&"},
}

// mutate applies the mutator kind to the operator at line:column (1-based,
// in bytes, as go/token reports it) of src.
func mutate(src []byte, line, column int, kind string) ([]byte, error) {
	ops, ok := operators[kind]
	if !ok {
		return nil, fmt.Errorf("mutator %s is not supported", kind)
	}
	lines := bytes.SplitAfter(src, []byte("\n"))
	if line < 1 || line > len(lines) || column < 1 || column > len(lines[line-1]) {
		return nil, fmt.Errorf("no position %d:%d", line, column)
	}
	off := len(bytes.Join(lines[:line-1], nil)) + column - 1
	for _, width := range []int{2, 1} {
		if off+width > len(src) {
			continue
		}
		if to, ok := ops[string(src[off:off+width])]; ok {
			return append(append(append([]byte(nil), src[:off]...), to...), src[off+width:]...), nil
		}
	}
	return nil, fmt.Errorf("no %s operator at %d:%d", kind, line, column)
}

// goTestRunner runs an unmapped mutant: `go test` of its package, from the
// module root, with the mutated file swapped in through an overlay.
func goTestRunner(ctx context.Context, root string, timeout time.Duration) runner {
	return func(m mutant) (string, error) {
		parts := strings.Split(m.pos, ":")
		file := parts[0]
		line, err1 := strconv.Atoi(parts[1])
		column, err2 := strconv.Atoi(parts[2])
		if err := errors.Join(err1, err2); err != nil {
			return "", err
		}
		abs := filepath.Join(root, filepath.FromSlash(file))
		src, err := os.ReadFile(abs)
		if err != nil {
			return "", err
		}
		mutated, err := mutate(src, line, column, m.kind)
		if err != nil {
			return "", err
		}
		dir, err := os.MkdirTemp("", "mutscore")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(dir)
		mf := filepath.Join(dir, filepath.Base(file))
		overlay, err := json.Marshal(map[string]map[string]string{"Replace": {abs: mf}})
		if err != nil {
			return "", err
		}
		of := filepath.Join(dir, "overlay.json")
		if err := errors.Join(os.WriteFile(mf, mutated, 0o600), os.WriteFile(of, overlay, 0o600)); err != nil {
			return "", err
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-overlay", of, "./"+path.Dir(file))
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		switch {
		case ctx.Err() != nil:
			return "TIMED OUT", nil
		case err == nil:
			return "LIVED", nil
		case !errors.As(err, &exit):
			return "", err
		case bytes.Contains(out, []byte("[build failed]")) || bytes.Contains(out, []byte("[setup failed]")):
			return "NOT VIABLE", nil
		}
		return "KILLED", nil
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("mutscore", flag.ContinueOnError)
	pkg := fs.String("pkg", "", "package directory the report is about, relative to the module root (sp/iam)")
	eqPath := fs.String("equivalent", "", "file listing equivalent mutants")
	minEfficacy := fs.Float64("efficacy", 90, "minimum efficacy, percent")
	minCoverage := fs.Float64("coverage", 85, "minimum mutator coverage, percent")
	root := fs.String("root", ".", "module root, where unmapped mutants are run from")
	timeout := fs.Duration("timeout", 10*time.Minute, "limit on one unmapped mutant's test run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pkg == "" || fs.NArg() != 1 {
		return errors.New("usage: mutscore -pkg dir [-equivalent file] [-efficacy %] [-coverage %] report.json")
	}
	equivalent := map[mutant]entry{}
	if *eqPath != "" {
		f, err := os.Open(*eqPath)
		if err != nil {
			return err
		}
		equivalent, err = readEquivalent(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *eqPath, err)
		}
	}
	raw, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	var rep report
	if err := json.Unmarshal(raw, &rep); err != nil {
		return fmt.Errorf("%s: not a gremlins JSON report: %w", fs.Arg(0), err)
	}
	s, err := tally(&rep, path.Clean(*pkg), equivalent, goTestRunner(context.Background(), *root, *timeout))
	if err != nil {
		return err
	}
	for _, l := range []struct {
		what string
		ms   []mutant
	}{{"LIVED", s.livedAt}, {"NOT COVERED", s.notCoveredAt}, {"TIMED OUT", s.timedOutAt}} {
		for _, m := range l.ms {
			fmt.Fprintf(stdout, "%12s %s\n", l.what, m)
		}
	}
	fmt.Fprintf(stdout, "%s: killed %d, lived %d, not covered %d, timed out %d, not viable %d (%d of these run by mutscore), equivalent (left out) %d\n",
		*pkg, s.killed, s.lived, s.notCovered, s.timedOut, s.notViable, s.unmapped, s.equivalent)
	fmt.Fprintf(stdout, "%s: efficacy %.2f%% (minimum %.0f%%), mutator coverage %.2f%% (minimum %.0f%%)\n",
		*pkg, s.efficacy(), *minEfficacy, s.coverage(), *minCoverage)
	var problems []string
	for _, m := range s.stale {
		problems = append(problems, fmt.Sprintf("%s: listed in %s but not in the report: update it", m, *eqPath))
	}
	if s.efficacy() < *minEfficacy {
		problems = append(problems, fmt.Sprintf("efficacy %.2f%% is below %.0f%%", s.efficacy(), *minEfficacy))
	}
	if s.coverage() < *minCoverage {
		problems = append(problems, fmt.Sprintf("mutator coverage %.2f%% is below %.0f%%", s.coverage(), *minCoverage))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s:\n  %s", *pkg, strings.Join(problems, "\n  "))
	}
	return nil
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mutscore:", err)
		os.Exit(1)
	}
}
