package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/spf13/cobra"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/scenarios"
)

func newScenarioCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenario",
		Short: "List, show, run, check and write federation scenarios",
	}
	cmd.AddCommand(newScenarioListCommand(), newScenarioRunCommand(), newScenarioShowCommand(),
		newScenarioValidateCommand(), newScenarioMigrateCommand(), newScenarioNewCommand())
	cmd.AddCommand(newScenarioFromCaptureCommand())
	return cmd
}

// selectScenarios resolves arguments (names, files, directories; all of the
// library with all) and keeps those whose labels pass the label filter.
func selectScenarios(args []string, all bool, label string) ([]*scenarios.Scenario, error) {
	var out []*scenarios.Scenario
	if all {
		lib, err := scenarios.Library()
		if err != nil {
			return nil, err
		}
		out = append(out, lib...)
	}
	if len(args) > 0 {
		more, err := scenarios.Load(args...)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	if label == "" {
		return out, nil
	}
	filter, err := types.ParseLabelFilter(label)
	if err != nil {
		return nil, fmt.Errorf("--label %q: %v", label, err)
	}
	kept := out[:0]
	for _, sc := range out {
		if filter(sc.Labels) {
			kept = append(kept, sc)
		}
	}
	return kept, nil
}

func newScenarioListCommand() *cobra.Command {
	var asJSON bool
	var label string
	cmd := &cobra.Command{
		Use:   "list [NAME|FILE|DIR]...",
		Short: "List scenarios (the built-in library by default) with difficulty and labels",
		RunE: func(cmd *cobra.Command, args []string) error {
			all, err := selectScenarios(args, len(args) == 0, label)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				type item struct {
					Name       string   `json:"name"`
					Title      string   `json:"title"`
					Difficulty int      `json:"difficulty"`
					Labels     []string `json:"labels"`
					Steps      int      `json:"steps"`
					File       string   `json:"file"`
				}
				items := []item{}
				for _, sc := range all {
					items = append(items, item{sc.Name, sc.Title, sc.Difficulty, sc.Labels, len(sc.Steps), sc.File})
				}
				return writeJSON(out, items)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tDIFFICULTY\tLABELS\tTITLE")
			for _, sc := range all {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", sc.Name, difficulty(sc.Difficulty), strings.Join(sc.Labels, ","), sc.Title)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&label, "label", "", "keep scenarios whose labels match this ginkgo label filter (e.g. 'rotation && !console')")
	return cmd
}

func difficulty(d int) string {
	if d == 0 {
		return "-"
	}
	return strings.Repeat("*", d)
}

func newScenarioShowCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME|FILE",
		Short: "Show a scenario: its story, hint, fix, sources and steps",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			scs, err := scenarios.Load(args[0])
			if err != nil {
				return err
			}
			sc := scs[0]
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, sc)
			}
			fmt.Fprintf(out, "%s: %s\n", sc.Name, sc.Title)
			fmt.Fprintf(out, "file: %s   difficulty: %s   labels: %s\n\n", sc.File, difficulty(sc.Difficulty), strings.Join(sc.Labels, ", "))
			if sc.Description != "" {
				fmt.Fprintf(out, "%s\n\n", strings.TrimSpace(sc.Description))
			}
			if sc.Hint != "" {
				fmt.Fprintf(out, "hint: %s\n", strings.TrimSpace(sc.Hint))
			}
			if sc.Fix != "" {
				fmt.Fprintf(out, "fix:  %s\n", strings.TrimSpace(sc.Fix))
			}
			for _, s := range sc.Sources {
				fmt.Fprintf(out, "source: %s\n", s)
			}
			printSetup(out, sc.Setup)
			fmt.Fprintln(out, "\nsteps:")
			for i, st := range sc.Steps {
				name := st.Name
				if name == "" {
					name = st.Action
				}
				fmt.Fprintf(out, "  %d. %s [%s]\n     expect: %s\n", i+1, name, st.Action, st.Expect)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// printSetup summarises what a scenario's setup changes in the default lab.
func printSetup(w io.Writer, s scenarios.Setup) {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	if s.Account != "" {
		add("account %s", s.Account)
	}
	var idp []string
	for _, kv := range [][2]string{{"entity_id", s.IDP.EntityID}, {"name_id_format", s.IDP.NameIDFormat},
		{"signing target", s.IDP.Signing.Target}, {"algorithm", s.IDP.Signing.Algorithm}, {"digest", s.IDP.Signing.Digest}} {
		if kv[1] != "" {
			idp = append(idp, kv[0]+" "+kv[1])
		}
	}
	for _, kv := range []struct {
		name string
		d    time.Duration
	}{{"cert_validity", s.IDP.CertValidity}, {"assertion_lifetime", s.IDP.AssertionLifetime}, {"session_lifetime", s.IDP.SessionLifetime}} {
		if kv.d != 0 {
			idp = append(idp, kv.name+" "+kv.d.String())
		}
	}
	if s.IDP.KeyBits != 0 {
		idp = append(idp, fmt.Sprintf("key_bits %d", s.IDP.KeyBits))
	}
	if s.IDP.Encryption != nil {
		idp = append(idp, "encrypts assertions")
	}
	if len(idp) > 0 {
		add("IdP: %s", strings.Join(idp, ", "))
	}
	for _, name := range sortedNames(s.Providers) {
		p := s.Providers[name]
		extra := ""
		if p.EncryptionMode != "" {
			extra += ", encryption " + p.EncryptionMode
		}
		if p.PrivateKey != "" {
			extra += ", private key " + p.PrivateKey
		}
		add("IAM provider %s (the IdP's metadata%s)", name, extra)
	}
	for _, name := range sortedNames(s.Roles) {
		r := s.Roles[name]
		var parts []string
		if r.Path != "" {
			parts = append(parts, "path "+r.Path)
		}
		if r.MaxSessionDuration != 0 {
			parts = append(parts, fmt.Sprintf("max session %ds", r.MaxSessionDuration))
		}
		if r.Trust != nil {
			parts = append(parts, "trust "+r.Trust.JSON)
		}
		add("role %s %s", name, strings.Join(parts, ", "))
	}
	for _, name := range sortedNames(s.Users) {
		u := s.Users[name]
		var roles []string
		for _, r := range u.Roles {
			if r.Value != "" {
				roles = append(roles, fmt.Sprintf("%q", r.Value))
			} else {
				roles = append(roles, r.Role)
			}
		}
		desc := "roles: " + strings.Join(roles, ", ")
		if u.Roles == nil {
			desc = "the default role"
		} else if len(u.Roles) == 0 {
			desc = "no Role attribute"
		}
		add("user %s (%s)", name, desc)
	}
	for _, name := range sortedNames(s.Behavior) {
		add("STS behavior %s = %s", name, s.Behavior[name])
	}
	if o := s.OIDC; o != nil {
		desc := "OpenID Connect provider on loopback"
		if o.Provider != nil {
			ids := o.Provider.ClientIDs
			if len(ids) == 0 {
				ids = []string{scenarios.DefaultClientID}
			}
			desc += ", registered in IAM with client IDs " + strings.Join(ids, ", ")
		}
		add("%s", desc)
	}
	for _, name := range sortedNames(s.WebIdentity) {
		add("web identity behavior %s = %s", name, s.WebIdentity[name])
	}
	for _, name := range sortedNames(s.IdentityPools) {
		p := s.IdentityPools[name]
		add("identity pool %s (unauthenticated identities allowed: %v, authenticated role %q, unauthenticated role %q)",
			name, p.AllowUnauthenticated, p.AuthenticatedRole, p.UnauthenticatedRole)
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, "\nsetup:")
	for _, l := range lines {
		fmt.Fprintf(w, "  %s\n", l)
	}
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func newScenarioValidateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE|DIR...",
		Short: "Check scenario files: every problem of every file, as file:line:col: field: message",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			scs, err := scenarios.Load(args...)
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return &exitError{code: 1, silent: true, err: errors.New("scenario files have problems")}
			}
			for _, sc := range scs {
				fmt.Fprintf(cmd.OutOrStdout(), "ok  %s (%s, %d steps)\n", sc.File, sc.Name, len(sc.Steps))
			}
			return nil
		},
	}
}

func newScenarioMigrateCommand() *cobra.Command {
	var write bool
	cmd := &cobra.Command{
		Use:   "migrate FILE...",
		Short: "Rewrite version 1 scenario files as version 2 (to stdout, or in place with -w)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, f := range args {
				data, err := os.ReadFile(f)
				if err != nil {
					return err
				}
				out, err := scenarios.Migrate(f, data)
				if err != nil {
					return err
				}
				if !write {
					if _, err := cmd.OutOrStdout().Write(out); err != nil {
						return err
					}
					continue
				}
				if bytes.Equal(out, data) {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: already version %d\n", f, scenarios.Version)
					continue
				}
				if err := os.WriteFile(f, out, 0o644); err != nil { //nolint:gosec // a scenario file is not secret
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: migrated to version %d\n", f, scenarios.Version)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&write, "write", "w", false, "rewrite the files in place")
	return cmd
}

func newScenarioNewCommand() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Write a commented scenario template (to stdout, or to --file)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tmpl := scenarios.Template(args[0])
			if _, err := scenarios.Parse(args[0]+".yaml", tmpl); err != nil {
				return err // a name that is not a valid scenario name
			}
			if file == "" {
				_, err := cmd.OutOrStdout().Write(tmpl)
				return err
			}
			if _, err := os.Stat(file); err == nil {
				return fmt.Errorf("%s exists; not overwriting it", file)
			}
			return os.WriteFile(file, tmpl, 0o644) //nolint:gosec // a scenario file is not secret
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "write the template to this file")
	return cmd
}

type scenarioRunOptions struct {
	files     []string
	all       bool
	label     string
	junit     string
	output    string
	asJSON    bool
	parallel  int
	fixedKeys bool
	verbose   bool
}

// runResults is the JSON report of `scenario run --output json`: the same
// schema for one scenario or many.
type runResults struct {
	Pass      bool                `json:"pass"`
	Scenarios []*scenarios.Report `json:"scenarios"`
	Errors    []string            `json:"errors,omitempty"`
	Elapsed   time.Duration       `json:"elapsed_ns"`
}

func newScenarioRunCommand() *cobra.Command {
	var o scenarioRunOptions
	cmd := &cobra.Command{
		Use:   "run [NAME|FILE|DIR]...",
		Short: "Run scenarios and show each step's expected and actual outcome",
		Long: `Run built-in scenarios by name (see "samlab scenario list"), scenario files,
or directories of them; --all runs the whole library, and --label keeps the
scenarios whose labels match a ginkgo label filter. Each step prints its
expected and actual outcome; a failing login shows the AWS error code, HTTP
status and message, exactly as STS returns it. --junit writes a JUnit report
(one test case per step) for CI. The command exits 1 if any step's outcome
differs from its expectation.`,
		Example: `  samlab scenario run cert-rotation
  samlab scenario run --all --label 'rotation || time' --parallel 4 --junit report.xml
  samlab scenario run ./my-scenarios --output json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			args = append(args, o.files...)
			if len(args) == 0 && !o.all {
				return errors.New("which scenarios? give names, files or directories (see \"samlab scenario list\"), or --all")
			}
			if o.asJSON {
				o.output = "json"
			}
			if o.output != "text" && o.output != "json" {
				return fmt.Errorf("--output %q: use text or json", o.output)
			}
			scs, err := selectScenarios(args, o.all, o.label)
			if err != nil {
				return err
			}
			if len(scs) == 0 {
				return errors.New("no scenario matches")
			}
			return runScenarios(cmd, scs, o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&o.files, "file", "f", nil, "run the scenario in this YAML file (same as giving the file as an argument)")
	f.BoolVar(&o.all, "all", false, "run every built-in scenario")
	f.StringVar(&o.label, "label", "", "run only scenarios whose labels match this ginkgo label filter")
	f.StringVar(&o.junit, "junit", "", "write a JUnit XML report to this file")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	f.BoolVar(&o.asJSON, "json", false, "same as --output json")
	f.IntVarP(&o.parallel, "parallel", "p", 1, "run this many scenarios at once")
	f.BoolVar(&o.fixedKeys, "fixture-keys", false, "use samlab's built-in test keys instead of generating RSA keys (faster; the keys are public)")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "show the internal cause behind each AWS error")
	_ = f.MarkHidden("json")
	return cmd
}

func runScenarios(cmd *cobra.Command, scs []*scenarios.Scenario, o scenarioRunOptions) error {
	start := time.Now()
	reports := make([]*scenarios.Report, len(scs))
	errs := make([]error, len(scs))
	texts := make([]bytes.Buffer, len(scs))
	out := cmd.OutOrStdout()
	var printMu sync.Mutex
	next := 0 // index of the next report to print, in order
	done := make([]bool, len(scs))
	flush := func() {
		for next < len(scs) && done[next] {
			if o.output == "text" {
				_, _ = out.Write(texts[next].Bytes())
			}
			next++
		}
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for range max(o.parallel, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				reports[i], errs[i] = runOne(cmd, scs[i], o, &texts[i])
				printMu.Lock()
				done[i] = true
				flush()
				printMu.Unlock()
			}
		}()
	}
	for i := range scs {
		work <- i
	}
	close(work)
	wg.Wait()

	res := runResults{Pass: true, Scenarios: []*scenarios.Report{}, Elapsed: time.Since(start)}
	passed := 0
	for i, rep := range reports {
		if errs[i] != nil {
			res.Pass = false
			res.Errors = append(res.Errors, errs[i].Error())
		}
		if rep != nil {
			res.Scenarios = append(res.Scenarios, rep)
			res.Pass = res.Pass && rep.Pass
			if rep.Pass && errs[i] == nil {
				passed++
			}
		}
	}
	if o.junit != "" {
		if err := writeJUnit(o.junit, scs, reports, errs, res.Elapsed); err != nil {
			return err
		}
	}
	if o.output == "json" {
		if err := writeJSON(out, res); err != nil {
			return err
		}
	} else if len(scs) > 1 {
		fmt.Fprintf(out, "%d of %d scenarios passed in %s\n", passed, len(scs), res.Elapsed.Round(time.Millisecond))
	}
	if !res.Pass {
		return &exitError{code: 1, silent: o.output == "json" || len(res.Errors) == 0,
			err: fmt.Errorf("%d of %d scenarios failed: %s", len(scs)-passed, len(scs), strings.Join(res.Errors, "; "))}
	}
	return nil
}

func runOne(cmd *cobra.Command, sc *scenarios.Scenario, o scenarioRunOptions, w io.Writer) (*scenarios.Report, error) {
	cfg := scenarios.LabConfig{Keys: certs.GeneratedKeys{}}
	if o.fixedKeys {
		cfg.Keys = certstest.New()
	}
	fmt.Fprintf(w, "scenario %s: %s\n", sc.Name, sc.Title)
	rep, err := scenarios.Run(cmd.Context(), sc, cfg, func(r scenarios.StepResult) { printStep(w, r, o.verbose) })
	if err != nil {
		fmt.Fprintf(w, "ERROR: %v\n\n", err)
		return rep, err
	}
	verdict := "PASS"
	if !rep.Pass {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s: %d steps in %s (lab setup %s)\n\n", verdict, len(rep.Steps),
		rep.Elapsed.Round(time.Microsecond), rep.SetupElapsed.Round(time.Microsecond))
	return rep, nil
}

func printStep(w io.Writer, r scenarios.StepResult, verbose bool) {
	mark := "ok  "
	if !r.Pass {
		mark = "FAIL"
	}
	fmt.Fprintf(w, "%s %d. %s [%s]\n", mark, r.Index, r.Name, r.Action)
	fmt.Fprintf(w, "       expected: %s\n", r.Expected)
	fmt.Fprintf(w, "       actual:   %s\n", r.Actual)
	for _, m := range r.Mismatches {
		if m.Field != "outcome" {
			fmt.Fprintf(w, "       %s: want %s, got %s\n", m.Field, m.Want, m.Got)
		}
	}
	if (verbose || !r.Pass) && r.Actual.Cause != "" {
		fmt.Fprintf(w, "       cause:    %s\n", r.Actual.Cause)
	}
}

// writeJUnit writes one test suite per scenario and one test case per step,
// with ginkgo's JUnit types (the format CI systems read from ginkgo).
func writeJUnit(path string, scs []*scenarios.Scenario, reports []*scenarios.Report, errs []error, total time.Duration) error {
	suites := reporters.JUnitTestSuites{Time: total.Seconds()}
	for i, sc := range scs {
		suite := reporters.JUnitTestSuite{Name: sc.Name + ": " + sc.Title, Package: sc.File,
			Timestamp: time.Now().UTC().Format("2006-01-02T15:04:05")}
		suite.Properties.Properties = []reporters.JUnitProperty{
			{Name: "labels", Value: strings.Join(sc.Labels, ",")},
			{Name: "difficulty", Value: fmt.Sprint(sc.Difficulty)},
		}
		rep := reports[i]
		if errs[i] != nil {
			suite.Errors++
			suite.Tests++
			suite.TestCases = append(suite.TestCases, reporters.JUnitTestCase{Name: "set up the lab", Classname: sc.Name,
				Status: "errored", Error: &reporters.JUnitError{Message: errs[i].Error(), Type: "error", Description: errs[i].Error()}})
		}
		if rep != nil {
			suite.Time = rep.Elapsed.Seconds()
			for _, r := range rep.Steps {
				tc := reporters.JUnitTestCase{Name: fmt.Sprintf("step %d: %s", r.Index, r.Name), Classname: sc.Name,
					Status: "passed", Time: r.Elapsed.Seconds(),
					SystemOut: fmt.Sprintf("%s:%d\nexpected: %s\nactual:   %s\n", sc.File, r.Line, r.Expected, r.Actual)}
				suite.Tests++
				if !r.Pass {
					suite.Failures++
					var b strings.Builder
					printStep(&b, r, true)
					tc.Status = "failed"
					tc.Failure = &reporters.JUnitFailure{Message: fmt.Sprintf("expected %s, got %s", r.Expected, r.Actual),
						Type: "failed", Description: fmt.Sprintf("%s:%d\n%s", sc.File, r.Line, b.String())}
				}
				suite.TestCases = append(suite.TestCases, tc)
			}
		}
		suites.Tests += suite.Tests
		suites.Failures += suite.Failures
		suites.Errors += suite.Errors
		suites.TestSuites = append(suites.TestSuites, suite)
	}
	data, err := xml.MarshalIndent(suites, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(data, '\n')...), 0o644) //nolint:gosec // a test report is not secret
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
