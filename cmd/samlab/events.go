package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

type eventsOptions struct {
	filter awsapi.EventFilter
	asJSON bool
}

func newEventsCommand() *cobra.Command {
	var o eventsOptions
	cmd := &cobra.Command{
		Use:   "events FILE",
		Short: "Show the AWS calls recorded by \"samlab up --events FILE\"",
		Long: `Read the CloudTrail-like event file written by "samlab up --events" or
"samlab sp serve --events" and show one line per call: time, action, caller,
source IP, outcome, and for failures the AWS error code, message and the
internal cause AWS never tells the client. Filters combine with AND.`,
		Example: `  samlab events lab/events.jsonl --failed
  samlab events lab/events.jsonl --action AssumeRoleWithSAML --error-code InvalidIdentityToken --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			events, rerr := awsapi.ReadEvents(f)
			if err := errors.Join(rerr, f.Close()); err != nil {
				return err
			}
			var out []awsapi.Event
			for _, e := range events {
				if o.filter.Match(e) {
					out = append(out, e)
				}
			}
			if o.asJSON {
				if out == nil {
					out = []awsapi.Event{}
				}
				return writeJSON(cmd.OutOrStdout(), out)
			}
			return printEvents(cmd.OutOrStdout(), out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.filter.Action, "action", "", "only this action (e.g. AssumeRoleWithSAML)")
	f.StringVar(&o.filter.ErrorCode, "error-code", "", "only calls that failed with this AWS error code")
	f.StringVar(&o.filter.AccessKeyID, "access-key-id", "", "only calls signed with this access key")
	f.StringVar(&o.filter.Account, "account", "", "only calls served by this account (recipientAccountId; samlab up --accounts serves several)")
	f.BoolVar(&o.filter.FailedOnly, "failed", false, "only failed calls")
	f.BoolVar(&o.asJSON, "json", false, "print the matching events as a JSON array")
	return cmd
}

func printEvents(w io.Writer, events []awsapi.Event) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTION\tCALLER\tSOURCE IP\tOUTCOME")
	for _, e := range events {
		caller := e.UserIdentity.ARN
		switch {
		case caller == "" && e.UserIdentity.UserName != "":
			caller = e.UserIdentity.Type + ":" + e.UserIdentity.UserName
		case caller == "" && e.UserIdentity.AccessKeyID != "":
			caller = e.UserIdentity.AccessKeyID
		case caller == "":
			caller = "anonymous"
		}
		outcome := "ok"
		if e.Failed() {
			outcome = fmt.Sprintf("%s (%d): %s", e.ErrorCode, e.HTTPStatus, e.ErrorMessage)
			if e.Cause != "" {
				outcome += " [cause: " + e.Cause + "]"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.EventTime.UTC().Format(time.RFC3339), e.EventName, caller, e.SourceIPAddress, outcome)
	}
	return tw.Flush()
}
