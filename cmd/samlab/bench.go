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
		hcfg   scenarios.HTTPBenchConfig
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
affects both alike. Ratios are comparable across machines; ops/s are not.

With --requests, drive the real HTTP endpoint instead: a fresh lab's mock
AWS on loopback, --concurrency clients sending AssumeRoleWithSAML calls with
a pool of distinct, freshly signed responses. It reports requests/s, p50 and
p99 latency, the process's RSS and its CPU time per request, beside the raw
RSA-2048 verification rate measured in the same run.`,
		Example: `  samlab bench
  samlab bench --concurrency 16 --requests 100000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if hcfg.Requests > 0 {
				return runHTTPBench(cmd, hcfg, asJSON)
			}
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
	f.IntVar(&hcfg.Requests, "requests", 0, "drive the HTTP endpoint with this many AssumeRoleWithSAML calls")
	f.IntVar(&hcfg.Concurrency, "concurrency", 16, "clients sending at once (with --requests)")
	f.IntVar(&hcfg.Pool, "pool", 256, "distinct signed responses the clients cycle through (with --requests)")
	return cmd
}

func runHTTPBench(cmd *cobra.Command, cfg scenarios.HTTPBenchConfig, asJSON bool) error {
	res, err := scenarios.HTTPBench(cmd.Context(), cfg)
	if res != nil {
		if asJSON {
			if werr := writeJSON(cmd.OutOrStdout(), res); werr != nil {
				return werr
			}
		} else {
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "AssumeRoleWithSAML over HTTP: %d requests, concurrency %d, %d errors\n", res.Requests, res.Concurrency, res.Errors)
			fmt.Fprintf(w, "  %.0f req/s   p50 %s   p99 %s   RSS %.1f MiB (peak %.1f MiB)\n", res.RequestsPerSec,
				res.P50.Round(10*time.Microsecond), res.P99.Round(10*time.Microsecond),
				float64(res.RSSBytes)/(1<<20), float64(res.PeakRSSBytes)/(1<<20))
			fmt.Fprintf(w, "  raw RSA-2048 verify: %.0f/s on one goroutine, %.0f/s on all cores; one request costs %.2f parallel verifications\n",
				res.VerifiesPerSec, res.ParallelVerifiesPerSec, res.VerifiesPerRequest)
			if res.CPUPerRequest > 0 {
				fmt.Fprintf(w, "  CPU per request (server and clients): %s = %.2f raw verifications\n",
					res.CPUPerRequest.Round(100*time.Nanosecond), res.CPUVerifiesPerRequest)
			}
		}
	}
	return err
}
