package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/samlab-dev/samlab/idp"
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
	cmd.AddCommand(export)
	return cmd
}
