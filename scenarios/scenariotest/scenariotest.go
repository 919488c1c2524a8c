// Package scenariotest turns samlab scenarios into ginkgo specs and offers
// gomega matchers for AWS outcomes, for users' own suites. It is the only
// samlab package that imports gomega.
//
// One call registers every scenario of the built-in library and of the
// user's files or directories:
//
//	var _ = scenariotest.Describe(scenarios.LabConfig{Keys: certstest.New()},
//		scenariotest.Library(), scenariotest.Paths("testdata/scenarios"))
//
// Each scenario becomes a container labelled with the file's labels, each
// step a spec located at the step's line in the YAML file. A spec runs the
// whole scenario (once per process, shared by its steps) and checks its own
// step, so a failing step never hides the steps after it, and focusing one
// step still runs every step before it.
package scenariotest

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/scenarios"
)

// Source supplies scenarios to Describe.
type Source struct {
	name    string
	library bool
	load    func() ([]*scenarios.Scenario, error)
}

// Library is the built-in scenario library.
func Library() Source {
	return Source{name: "the built-in library", library: true, load: scenarios.Library}
}

// Paths are scenario files, directories of them, or built-in scenario names
// (as `samlab scenario run` takes them).
func Paths(paths ...string) Source {
	return Source{name: strings.Join(paths, ", "), load: func() ([]*scenarios.Scenario, error) { return scenarios.Load(paths...) }}
}

// Scenarios are scenarios built in Go; they are checked as files are.
func Scenarios(scs ...*scenarios.Scenario) Source {
	return Source{name: "Go scenarios", load: func() ([]*scenarios.Scenario, error) {
		for _, sc := range scs {
			if err := sc.Validate(); err != nil {
				return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
			}
		}
		return scs, nil
	}}
}

// StepTimeout bounds one step spec (the whole scenario runs within it the
// first time).
const StepTimeout = time.Minute

// Describe registers the scenarios of sources as ginkgo specs, each run on a
// lab built from cfg. With cfg.Keys nil or a *certstest.Keys, every scenario
// run gets its own fresh fixture key source (fast, public test keys);
// another key source is shared by all runs. Call it at package level, before RunSpecs (`var _ =
// scenariotest.Describe(...)`). A source that fails to load becomes a failing
// spec that lists every problem, so a broken file cannot pass silently.
func Describe(cfg scenarios.LabConfig, sources ...Source) bool {
	caller := types.NewCodeLocation(1) // where specs of Go scenarios point
	for _, src := range sources {
		scs, err := src.load()
		if err != nil {
			ginkgo.It("loads scenarios from "+src.name, func() {
				ginkgo.Fail("the scenarios could not be loaded:\n" + err.Error())
			})
		}
		for _, sc := range scs {
			describe(cfg, sc, src.library, caller)
		}
	}
	return true
}

// location is the ginkgo decorator that places a node at file:line; a
// scenario built in Go has no file, and points at the Describe call that
// registered it.
func location(file string, line int, library bool, caller types.CodeLocation) []any {
	if file == "" {
		return []any{caller}
	}
	if library {
		file = scenarios.LibraryPath(file)
	} else if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	return []any{types.CodeLocation{FileName: file, LineNumber: line}}
}

// runConfig returns the lab configuration of one scenario run: fixture
// keys are per run (a fixture source hands out each of its keys once, then
// falls back to generating keys, which would make a long suite slow).
func runConfig(cfg scenarios.LabConfig) scenarios.LabConfig {
	if _, fixture := cfg.Keys.(*certstest.Keys); fixture || cfg.Keys == nil {
		cfg.Keys = certstest.New()
	}
	return cfg
}

func describe(cfg scenarios.LabConfig, sc *scenarios.Scenario, library bool, caller types.CodeLocation) {
	var once sync.Once
	var rep *scenarios.Report
	var runErr error
	run := func(ctx ginkgo.SpecContext) {
		once.Do(func() { rep, runErr = scenarios.Run(ctx, sc, runConfig(cfg), nil) })
	}
	container := append([]any{ginkgo.Label(sc.Labels...)}, location(sc.File, sc.Line, library, caller)...)
	ginkgo.Describe(sc.Name+": "+sc.Title, append(container, func() {
		for i, st := range sc.Steps {
			name := st.Name
			if name == "" {
				name = st.Action
			}
			spec := append(location(sc.File, st.Line, library, caller), func(ctx ginkgo.SpecContext) {
				run(ctx)
				if runErr != nil {
					ginkgo.Fail(runErr.Error())
				}
				if i >= len(rep.Steps) {
					ginkgo.Fail(fmt.Sprintf("the run stopped before step %d", i+1))
				}
				res := rep.Steps[i]
				gomega.Expect(res.Actual).To(MatchOutcome(res.Expected), "%s", Story(rep, i))
			}, ginkgo.NodeTimeout(StepTimeout))
			ginkgo.It(fmt.Sprintf("step %d: %s", i+1, name), spec...)
		}
	})...)
}

// Story renders a scenario report step by step, marking step focus (0-based)
// with an arrow: the whole story around a failing step.
func Story(rep *scenarios.Report, focus int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s (%s): %s\n", rep.Scenario, rep.File, rep.Title)
	for i, r := range rep.Steps {
		mark := "  "
		if i == focus {
			mark = "->"
		}
		verdict := "ok  "
		if !r.Pass {
			verdict = "FAIL"
		}
		fmt.Fprintf(&b, "%s %s %d. %s [%s, line %d]\n", mark, verdict, r.Index, r.Name, r.Action, r.Line)
		fmt.Fprintf(&b, "          expected: %s\n          actual:   %s\n", r.Expected, r.Actual)
		if !r.Pass && r.Actual.Cause != "" {
			fmt.Fprintf(&b, "          cause:    %s\n", r.Actual.Cause)
		}
	}
	return b.String()
}
