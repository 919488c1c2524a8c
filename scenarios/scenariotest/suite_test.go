package scenariotest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/scenarios/scenariotest"
)

// fixtureEnv, when set, makes this test binary register the deliberately
// failing fixture scenario (the tests below re-run the binary with it).
const fixtureEnv = "SCENARIOTEST_FAILING_FIXTURE"

func TestSuite(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "scenariotest")
}

var labConfig = scenarios.LabConfig{Keys: certstest.New()}

// goScenario is a scenario written in Go rather than YAML.
var goScenario = &scenarios.Scenario{Version: scenarios.Version, Name: "go-built", Title: "a scenario built in Go",
	Labels: []string{"go"},
	Steps: []scenarios.Step{
		{Action: scenarios.ActionCreateProvider},
		{Action: scenarios.ActionSetEntityID, EntityID: "https://idp.example.net/new"},
		{Action: scenarios.ActionLogin, Expect: scenarios.Expect{Error: true, Code: "InvalidIdentityToken", Status: 400,
			MessageContains: "Issuer not present in specified provider"}},
	}}

var _ = Describe("The library, the user's files and Go scenarios", func() {
	scenariotest.Describe(labConfig, scenariotest.Library(), scenariotest.Paths("testdata/scenarios"),
		scenariotest.Scenarios(goScenario))
	if os.Getenv(fixtureEnv) != "" {
		scenariotest.Describe(labConfig, scenariotest.Paths("testdata/failing"))
	}
})

// Every step spec points at its step's line in a YAML file (Go scenarios
// have no file).
var _ = ReportAfterEach(func(r SpecReport) {
	if strings.Contains(r.LeafNodeText, "step ") && !strings.Contains(r.FullText(), "go-built") {
		Expect(r.LeafNodeLocation.FileName).To(HaveSuffix(".yaml"), "spec %q", r.FullText())
		Expect(r.LeafNodeLocation.LineNumber).To(BeNumerically(">", 1), "spec %q", r.FullText())
	}
})

// rerun runs this test binary's suite again with extra ginkgo flags.
func rerun(t *testing.T, fixture bool, args ...string) (string, bool) {
	t.Helper()
	if os.Getenv(fixtureEnv) != "" {
		t.Skip("inside a re-run")
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], append([]string{"-test.run=^TestSuite$"}, args...)...)
	cmd.Env = os.Environ()
	if fixture {
		cmd.Env = append(cmd.Env, fixtureEnv+"=1")
	}
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// A failing step fails its own spec only, shows the whole story, and points
// at the YAML line; the steps after it still run and pass.
func TestFailingStepShowsTheStory(t *testing.T) {
	out, ok := rerun(t, true, "-ginkgo.label-filter=failing-fixture", "-ginkgo.no-color")
	if ok {
		t.Fatalf("the failing fixture passed:\n%s", out)
	}
	for _, want := range []string{
		"wrong-expectation.yaml:10",                   // the failing step's location
		"-> FAIL 3. login (wrongly expected to work)", // the story, focused on it
		"ok   5. login works again",                   // ...and the steps after it
		"Expected success,", "but got InvalidIdentityToken (400): Response signature invalid.",
		"Ran 5 of", "4 Passed | 1 Failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// Focusing one step runs the steps before it first: the step that needs a
// rotated key and an updated provider passes on its own.
func TestFocusedStepRunsInContext(t *testing.T) {
	out, ok := rerun(t, false, "-ginkgo.focus=cert-rotation.*step 6", "-ginkgo.no-color")
	if !ok || !strings.Contains(out, "Ran 1 of") {
		t.Fatalf("focused step 6 of cert-rotation did not pass alone:\n%s", out)
	}
}

// TestOnlyThisPackageImportsGomega: gomega stays out of every other
// non-test package of the module.
func TestOnlyThisPackageImportsGomega(t *testing.T) {
	t.Parallel()
	out, err := exec.CommandContext(t.Context(), "go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/samlab-dev/samlab/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		if strings.Contains(imports, "github.com/onsi/gomega") && pkg != "github.com/samlab-dev/samlab/scenarios/scenariotest" {
			t.Errorf("%s imports gomega; only scenariotest may", pkg)
		}
	}
}
