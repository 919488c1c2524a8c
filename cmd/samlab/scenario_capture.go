package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/samlab-dev/samlab/scenarios"
)

func newScenarioFromCaptureCommand() *cobra.Command {
	var o explainOptions
	var name, output, dir string
	cmd := &cobra.Command{
		Use:   "from-capture --response CAPTURE (--metadata REGISTERED | --endpoint URL | --state DIR)",
		Short: "Turn a captured SAMLResponse into a scenario file that reproduces its failure in a lab",
		Long: `Explain a captured response as "samlab explain" does (same inputs), then write a
scenario file that reproduces the same AWS outcome in a lab, ready to add to a
suite and to run with "samlab scenario run --file FILE": the metadata
registered in IAM, the fault that produced the failure, the login that fails
with the captured error code, status and message, and the fix.

With a HAR holding several responses, give --dir: one file per response.
Failure classes the scenario format cannot express yet (a trust-policy
condition, MaxSessionDuration, encryption) are reported, with their fix.`,
		Example: `  samlab scenario from-capture --response sign-in.har --metadata registered.xml -o captured.yaml
  samlab scenario run --file captured.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := collectExplanations(cmd, o)
			if err != nil {
				return err
			}
			if len(out.Reports) > 1 && dir == "" {
				return badInput(fmt.Errorf("%s holds %d responses: give --dir DIR for one scenario file each", o.responseFile, len(out.Reports)))
			}
			var errs []error
			for i, rep := range out.Reports {
				info := scenarios.CaptureInfo{Name: name, Source: rep.Source}
				if len(out.Reports) > 1 && name != "" {
					info.Name = fmt.Sprintf("%s-%d", name, i+1)
				}
				yml, err := scenarios.FromCapture(rep.Explanation, info)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", rep.Source, err))
					continue
				}
				switch {
				case dir != "":
					if err := os.MkdirAll(dir, 0o755); err != nil {
						return err
					}
					file := filepath.Join(dir, fmt.Sprintf("%02d-%s.yaml", i+1, rep.Diagnosis))
					if rep.Diagnosis == "" {
						file = filepath.Join(dir, fmt.Sprintf("%02d-accepted.yaml", i+1))
					}
					if err := os.WriteFile(file, yml, 0o644); err != nil {
						return err
					}
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", rep.Source, file)
				case output != "" && output != "-":
					if err := os.WriteFile(output, yml, 0o644); err != nil {
						return err
					}
				default:
					if _, err := cmd.OutOrStdout().Write(yml); err != nil {
						return err
					}
				}
			}
			if err := errors.Join(errs...); err != nil {
				return &exitError{code: 1, err: err}
			}
			return nil
		},
	}
	o.inputFlags(cmd)
	cmd.Flags().StringVar(&name, "name", "", `scenario name (default "captured-" + the diagnosis)`)
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the scenario to this file (default: standard output)")
	cmd.Flags().StringVar(&dir, "dir", "", "write one scenario file per response into this directory")
	return cmd
}
