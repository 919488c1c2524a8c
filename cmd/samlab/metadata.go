package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/internal/capture"
	"github.com/samlab-dev/samlab/metadata"
)

func newMetadataCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "metadata",
		Short: "The IdP's SAML metadata",
	}
	var o idpOptions
	var output string
	export := &cobra.Command{
		Use:   "export",
		Short: "Print the IdP metadata for a key directory (for aws iam create-saml-provider)",
		Long: `Print the IdP's metadata: its entityID, the signing certificates it publishes
(the current one, and the next one during a rollover) and, with --base-url, its
SSO endpoints.`,
		Example: `  samlab metadata export --keys ./idp-keys -o idp.xml
  aws iam create-saml-provider --name samlab --saml-metadata-document file://idp.xml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := o.config()
			if err != nil {
				return err
			}
			if cfg.Keyring == nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "samlab: note: no --keys directory; the metadata holds a key that exists only for this command")
			}
			s, err := idp.New(cfg)
			if err != nil {
				return err
			}
			md, err := s.Metadata()
			if err != nil {
				return err
			}
			if output != "" && output != "-" {
				return os.WriteFile(output, md, 0o644)
			}
			_, err = cmd.OutOrStdout().Write(md)
			return err
		},
	}
	o.keyFlags(export)
	export.Flags().StringVar(&o.baseURL, "base-url", "", "where the IdP's HTTP endpoints are served (adds SSO endpoints)")
	export.Flags().StringVarP(&output, "output", "o", "", "write to this file instead of standard output")
	cmd.AddCommand(export, newMetadataDiffCommand())
	return cmd
}

func newMetadataDiffCommand() *cobra.Command {
	var output, at string
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "Compare two metadata documents: entityID, certificates, SSO endpoints, NameID formats",
		Long: `Compare two SAML metadata documents, typically the copy registered in IAM (A)
and the IdP's current metadata (B): the entityID, each signing and encryption
certificate (SHA-1 and SHA-256 fingerprints, subject, validity, and whether it
was added, removed or kept), SSO endpoints and NameID formats, and which
responses each side would accept: a response signed by each signing key,
issued under each entityID.

Each input is a file, "-" for stdin, or an http(s) URL on loopback, holding
metadata XML, "aws iam get-saml-provider" JSON, or the IAM API's
GetSAMLProvider XML.

Exit status: 0 when AWS would see no difference (entityID and signing
certificates), 1 when it would, 2 for unusable input.`,
		Example: `  aws iam get-saml-provider --saml-provider-arn ARN > registered.json
  samlab metadata diff registered.json http://127.0.0.1:8765/idp/metadata
  samlab metadata diff registered.xml idp-metadata.xml --output json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			when := time.Now()
			if at != "" && at != "now" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return badInput(fmt.Errorf("--at %q: want now or an RFC 3339 time", at))
				}
				when = t
			}
			var eds [2]*metadata.EntityDescriptor
			for i, name := range args {
				data, err := capture.Open(cmd.Context(), name, cmd.InOrStdin(), 0)
				if err != nil {
					return badInput(err)
				}
				p, err := capture.ProviderMetadata(name, data)
				if err != nil {
					return badInput(err)
				}
				if eds[i], err = metadata.Parse(p.Metadata); err != nil {
					return badInput(fmt.Errorf("%s: not usable SAML metadata: %w", name, err))
				}
			}
			rep := metadata.DiffDocuments(eds[0], eds[1], when)
			w := cmd.OutOrStdout()
			switch output {
			case "json":
				if err := writeJSON(w, rep); err != nil {
					return err
				}
			case "text":
				printMetadataDiff(w, args[0], args[1], rep)
			default:
				return badInput(fmt.Errorf("--output %q: want text or json", output))
			}
			if !rep.Same {
				return &exitError{code: 1, silent: true, err: errors.New("metadata differ")}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	cmd.Flags().StringVar(&at, "at", "now", "when certificate validity is judged (RFC 3339)")
	return cmd
}

func printMetadataDiff(w io.Writer, a, b string, r metadata.DiffReport) {
	fmt.Fprintf(w, "A: %s\nB: %s\n\n", a, b)
	if r.EntityIDChanged {
		fmt.Fprintf(w, "entityID  CHANGED  A %s\n                   B %s\n", r.EntityIDA, r.EntityIDB)
	} else {
		fmt.Fprintf(w, "entityID  same     %s\n", r.EntityIDA)
	}
	fmt.Fprintf(w, "\nCERTIFICATES (validity at %s)\n", r.At.Format(time.RFC3339))
	for _, c := range r.Certificates {
		fmt.Fprintf(w, "  %-8s %-10s %s\n", c.Change, c.Use, c.Subject)
		fmt.Fprintf(w, "           SHA-1   %s\n           SHA-256 %s\n", c.SHA1, c.SHA256)
		fmt.Fprintf(w, "           %s to %s (%s)\n", c.NotBefore.Format("2006-01-02"), c.NotAfter.Format("2006-01-02"), c.Validity)
	}
	fmt.Fprintln(w, "\nSSO ENDPOINTS")
	for _, v := range r.SSOEndpoints {
		fmt.Fprintf(w, "  %-8s %s\n", v.Change, v.Value)
	}
	fmt.Fprintln(w, "\nNAMEID FORMATS")
	for _, v := range r.NameIDFormats {
		fmt.Fprintf(w, "  %-8s %s\n", v.Change, v.Value)
	}
	yes := func(b bool) string {
		if b {
			return "accepted"
		}
		return "REJECTED"
	}
	fmt.Fprintln(w, "\nWHICH RESPONSES EACH SIDE ACCEPTS (Issuer must be the entityID; any registered signing cert verifies)")
	for _, x := range r.Acceptance {
		fmt.Fprintf(w, "  signed by %s (%s), Issuer %s:\n      A %s, B %s\n", x.SignerSHA1, x.Subject, x.Issuer, yes(x.AcceptedA), yes(x.AcceptedB))
	}
	if r.Same {
		fmt.Fprintln(w, "\nAWS sees no difference: same entityID and signing certificates.")
	} else {
		fmt.Fprintf(w, "\nAWS sees a difference. To register B: aws iam update-saml-provider --saml-provider-arn ARN --saml-metadata-document file://%s\n", b)
	}
}
