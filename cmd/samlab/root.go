package main

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// the module version from the build info is shown.
var version = ""

// NewRootCommand builds the samlab command tree.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "samlab",
		Short: "A SAML IdP and a faithful local mock of AWS's SAML federation",
		Long: `samlab is a SAML 2.0 identity provider plus a local stand-in for AWS's side of
SAML federation (IAM SAML providers and roles, STS AssumeRoleWithSAML), and a
scenario harness that reproduces real federation failures offline, such as
"InvalidIdentityToken: Response signature invalid" after an IdP certificate
rotation.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newVersionCommand(), newScenarioCommand(), newBenchCommand(), newExplainCommand())
	root.AddCommand(newUpCommand(), newSPCommand(), newEventsCommand())
	root.AddCommand(newIDPCommand(), newMetadataCommand(), newLoginCommand(), newLabCommand())
	return root
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print samlab's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "samlab", buildVersion())
			return err
		},
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// exitError carries an exit code; its message has already been printed when
// silent is set.
type exitError struct {
	code   int
	silent bool
	err    error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func isSilent(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.silent
}
