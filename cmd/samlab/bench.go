package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/samlab-dev/samlab/scenarios"
)

func newBenchCommand() *cobra.Command {
	var (
		cfg    scenarios.BenchConfig
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure signing, validation and scenario speed as ratios to raw RSA",
		Long: `Measure samlab's hot paths — building and signing an AWS SAMLResponse,
validating one in AssumeRoleWithSAML, running the cert-rotation scenario —
against a baseline measured in the same run: one RSA-2048 PKCS#1 v1.5
signature plus its verification with the same key. Baseline and subject
alternate in rounds and the median ratio is reported, so a noisy machine
affects both alike. Ratios are comparable across machines; ops/s are not.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := scenarios.Bench(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "subject\tops/s\tbaseline ops/s\tcost in baselines\tKiB/op\t")
			for _, r := range res {
				fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.2f\t%.1f\t\n", r.Name, r.OpsPerSec, r.BaselineOpsPerSec, r.Ratio, r.AllocBytesPerOp/1024)
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Rounds, "rounds", 7, "alternating baseline/subject rounds per subject")
	f.DurationVar(&cfg.RoundTime, "round-time", 200*time.Millisecond, "duration of each half round")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
