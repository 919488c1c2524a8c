package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/samlab-dev/samlab/sp/sts"
)

type explainOptions struct {
	metadataFile string
	responseFile string
	role         string
	provider     string
	at           string
	asJSON       bool
}

func newExplainCommand() *cobra.Command {
	var o explainOptions
	cmd := &cobra.Command{
		Use:   "explain --metadata FILE --response FILE",
		Short: "Explain why AWS would accept or reject a captured SAMLResponse",
		Long: `Replay AssumeRoleWithSAML for a captured SAMLResponse against the metadata
registered in IAM, and say why it is accepted or rejected: the AWS error code
and message STS returns, the internal cause, and independent findings
(which certificate signed it and whether IAM has that certificate, issuer,
validity window, audience, recipient, roles).

The response may be base64 (the SAMLResponse form value, as captured from the
browser) or XML. The metadata is the registered document, e.g.:
  aws iam get-saml-provider --saml-provider-arn ARN --query SAMLMetadataDocument --output text > registered.xml

Exit status: 0 accepted, 1 rejected, 2 unusable input.`,
		Example: `  samlab explain --metadata registered.xml --response captured.b64
  samlab explain --metadata registered.xml --response - --at issue-instant --json < captured.b64`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runExplain(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.metadataFile, "metadata", "", "registered metadata document (required)")
	f.StringVar(&o.responseFile, "response", "", `captured SAMLResponse, base64 or XML ("-" for stdin; required)`)
	f.StringVar(&o.role, "role", "", "role ARN to assume (default: the response's first Role value)")
	f.StringVar(&o.provider, "provider", "", "SAML provider ARN (default: the response's first Role value)")
	f.StringVar(&o.at, "at", "now", `when to judge the response: "now", "issue-instant" (when it was issued), or an RFC 3339 time`)
	f.BoolVar(&o.asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("metadata")
	_ = cmd.MarkFlagRequired("response")
	return cmd
}

func runExplain(cmd *cobra.Command, o explainOptions) error {
	md, err := os.ReadFile(o.metadataFile)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	var resp []byte
	if o.responseFile == "-" {
		resp, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), 4<<20))
	} else {
		resp, err = os.ReadFile(o.responseFile)
	}
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	in := sts.ExplainInput{Metadata: md, SAMLResponse: string(resp), RoleARN: o.role, ProviderARN: o.provider}
	switch o.at {
	case "", "now":
	case "issue-instant":
		t, err := sts.IssueInstant(string(resp))
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("--at issue-instant: %w", err)}
		}
		in.At = t.Add(time.Second)
	default:
		t, err := time.Parse(time.RFC3339, o.at)
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("--at %q: want now, issue-instant or an RFC 3339 time such as 2026-01-02T15:04:05Z", o.at)}
		}
		in.At = t
	}
	ex, err := sts.Explain(cmd.Context(), in)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	out := cmd.OutOrStdout()
	if o.asJSON {
		if err := writeJSON(out, ex); err != nil {
			return err
		}
	} else {
		if ex.Accepted {
			fmt.Fprintf(out, "ACCEPTED: AssumeRoleWithSAML succeeds as %s\n", ex.AssumedRoleARN)
		} else {
			fmt.Fprintf(out, "REJECTED: %s (HTTP %d): %s\n", ex.Code, ex.Status, ex.Message)
			if ex.Cause != "" {
				fmt.Fprintf(out, "  cause: %s\n", ex.Cause)
			}
		}
		fmt.Fprintf(out, "  role %s via %s, judged at %s\n\n", ex.RoleARN, ex.ProviderARN, ex.At)
		for _, f := range ex.Findings {
			mark := "ok  "
			if !f.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(out, "%s %-18s %s\n", mark, f.Check, f.Detail)
		}
	}
	if !ex.Accepted {
		return &exitError{code: 1, silent: true, err: errors.New("response rejected")}
	}
	return nil
}
