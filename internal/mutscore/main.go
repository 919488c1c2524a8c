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
// The equivalent list has one mutant per line, "dir/file.go:line:column
// MUTATOR reason", with # comments. An entry of the package that matches no
// mutant in the report is an error: the code moved, and the entry must follow.
// mutscore exits 1 when a score is below its threshold or an entry is stale.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
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
	killed, lived, notCovered, timedOut, notViable, equivalent int
	livedAt, notCoveredAt, timedOutAt                          []mutant
	stale                                                      []mutant
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

// readEquivalent parses the equivalent list: mutant → reason.
func readEquivalent(r io.Reader) (map[mutant]string, error) {
	out := map[mutant]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 3 || strings.Count(fields[0], ":") != 2 {
			return nil, fmt.Errorf("line %d: want \"dir/file.go:line:column MUTATOR reason\", got %q", n, line)
		}
		m := mutant{pos: fields[0], kind: fields[1]}
		if _, dup := out[m]; dup {
			return nil, fmt.Errorf("line %d: %s is listed twice", n, m)
		}
		out[m] = strings.Join(fields[2:], " ")
	}
	return out, sc.Err()
}

// tally scores rep, a report on the package in directory pkg, leaving out the
// mutants in equivalent.
func tally(rep *report, pkg string, equivalent map[mutant]string) *score {
	s := &score{}
	used := map[mutant]bool{}
	for _, f := range rep.Files {
		for _, m := range f.Mutations {
			id := mutant{pos: fmt.Sprintf("%s:%d:%d", path.Join(pkg, f.Name), m.Line, m.Column), kind: m.Type}
			if _, ok := equivalent[id]; ok {
				used[id] = true
				s.equivalent++
				continue
			}
			switch m.Status {
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
	for id := range equivalent {
		if path.Dir(strings.SplitN(id.pos, ":", 2)[0]) == pkg && !used[id] {
			s.stale = append(s.stale, id)
		}
	}
	sort.Slice(s.stale, func(i, j int) bool { return s.stale[i].String() < s.stale[j].String() })
	return s
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("mutscore", flag.ContinueOnError)
	pkg := fs.String("pkg", "", "package directory the report is about, relative to the module root (sp/iam)")
	eqPath := fs.String("equivalent", "", "file listing equivalent mutants")
	minEfficacy := fs.Float64("efficacy", 90, "minimum efficacy, percent")
	minCoverage := fs.Float64("coverage", 85, "minimum mutator coverage, percent")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pkg == "" || fs.NArg() != 1 {
		return errors.New("usage: mutscore -pkg dir [-equivalent file] [-efficacy %] [-coverage %] report.json")
	}
	equivalent := map[mutant]string{}
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
	s := tally(&rep, path.Clean(*pkg), equivalent)
	for _, l := range []struct {
		what string
		ms   []mutant
	}{{"LIVED", s.livedAt}, {"NOT COVERED", s.notCoveredAt}, {"TIMED OUT", s.timedOutAt}} {
		for _, m := range l.ms {
			fmt.Fprintf(stdout, "%12s %s\n", l.what, m)
		}
	}
	fmt.Fprintf(stdout, "%s: killed %d, lived %d, not covered %d, timed out %d, not viable %d, equivalent (left out) %d\n",
		*pkg, s.killed, s.lived, s.notCovered, s.timedOut, s.notViable, s.equivalent)
	fmt.Fprintf(stdout, "%s: efficacy %.2f%% (minimum %.0f%%), mutator coverage %.2f%% (minimum %.0f%%)\n",
		*pkg, s.efficacy(), *minEfficacy, s.coverage(), *minCoverage)
	var problems []string
	for _, m := range s.stale {
		problems = append(problems, fmt.Sprintf("%s: listed as equivalent but not in the report: update %s", m, *eqPath))
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
