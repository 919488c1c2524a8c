package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/scenarios"
)

func newScenarioCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenario",
		Short: "List and run federation scenarios",
	}
	cmd.AddCommand(newScenarioListCommand(), newScenarioRunCommand())
	cmd.AddCommand(newScenarioFromCaptureCommand())
	return cmd
}

func newScenarioListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the built-in scenarios",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			all, err := scenarios.Library()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				type item struct {
					Name   string   `json:"name"`
					Title  string   `json:"title"`
					Labels []string `json:"labels"`
					Steps  int      `json:"steps"`
				}
				items := []item{}
				for _, sc := range all {
					items = append(items, item{sc.Name, sc.Title, sc.Labels, len(sc.Steps)})
				}
				return writeJSON(out, items)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			for _, sc := range all {
				fmt.Fprintf(tw, "%s\t%s\n", sc.Name, sc.Title)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

type scenarioRunOptions struct {
	file      string
	asJSON    bool
	fixedKeys bool
	verbose   bool
}

func newScenarioRunCommand() *cobra.Command {
	var o scenarioRunOptions
	cmd := &cobra.Command{
		Use:   "run [NAME]",
		Short: "Run a scenario and show each step's expected and actual outcome",
		Long: `Run a built-in scenario by name (see "samlab scenario list"), or a scenario file
with --file. Each step prints its expected and actual outcome; a failing login
shows the AWS error code, HTTP status and message, exactly as STS returns it.
The command exits 1 if any step's outcome differs from its expectation.`,
		Example: `  samlab scenario run cert-rotation
  samlab scenario run --file my-scenario.yaml --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var sc *scenarios.Scenario
			var err error
			switch {
			case o.file != "" && len(args) == 1:
				return errors.New("give a scenario name or --file, not both")
			case o.file != "":
				data, rerr := os.ReadFile(o.file)
				if rerr != nil {
					return rerr
				}
				sc, err = scenarios.Parse(o.file, data)
			case len(args) == 1:
				sc, err = scenarios.Find(args[0])
			default:
				return errors.New("which scenario? give a name (see \"samlab scenario list\") or --file")
			}
			if err != nil {
				return err
			}
			return runScenario(cmd, sc, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "run the scenario in this YAML file")
	f.BoolVar(&o.asJSON, "json", false, "print a JSON report instead of text")
	f.BoolVar(&o.fixedKeys, "fixture-keys", false, "use samlab's built-in test keys instead of generating RSA keys (faster; the keys are public)")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "show the internal cause behind each AWS error")
	return cmd
}

func runScenario(cmd *cobra.Command, sc *scenarios.Scenario, o scenarioRunOptions) error {
	cfg := scenarios.LabConfig{Keys: certs.GeneratedKeys{}}
	if o.fixedKeys {
		cfg.Keys = certstest.New()
	}
	out := cmd.OutOrStdout()
	var observe func(scenarios.StepResult)
	if !o.asJSON {
		fmt.Fprintf(out, "scenario %s: %s\n\n", sc.Name, sc.Title)
		observe = func(r scenarios.StepResult) { printStep(out, r, o.verbose) }
	}
	rep, err := scenarios.Run(cmd.Context(), sc, cfg, observe)
	if err != nil {
		return err
	}
	if o.asJSON {
		if err := writeJSON(out, rep); err != nil {
			return err
		}
	} else {
		verdict := "PASS"
		if !rep.Pass {
			verdict = "FAIL"
		}
		fmt.Fprintf(out, "\n%s: %d steps in %s (lab setup %s)\n", verdict, len(rep.Steps),
			rep.Elapsed.Round(time.Microsecond), rep.SetupElapsed.Round(time.Microsecond))
	}
	if !rep.Pass {
		return &exitError{code: 1, silent: true, err: fmt.Errorf("scenario %s: some steps did not match", sc.Name)}
	}
	return nil
}

func printStep(w io.Writer, r scenarios.StepResult, verbose bool) {
	mark := "ok  "
	if !r.Pass {
		mark = "FAIL"
	}
	fmt.Fprintf(w, "%s %d. %s [%s]\n", mark, r.Index, r.Name, r.Action)
	fmt.Fprintf(w, "       expected: %s\n", r.Expected)
	fmt.Fprintf(w, "       actual:   %s\n", r.Actual)
	if verbose && r.Actual.Cause != "" {
		fmt.Fprintf(w, "       cause:    %s\n", r.Actual.Cause)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
