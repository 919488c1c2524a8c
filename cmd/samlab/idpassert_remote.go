package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/idp/idpclient"
	"github.com/samlab-dev/samlab/scenarios"
)

// remoteAssertOptions are the flags of samlab idp assert --endpoint: the
// response comes from a running IdP.
type remoteAssertOptions struct {
	endpoint string
	password passwordOptions
	output   string
	samlFile string
	timeout  time.Duration
}

func (r *remoteAssertOptions) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&r.endpoint, "endpoint", "", "get the response from a running IdP: the samlab server's URL (its IdP under "+
		scenarios.IDPPrefix+") or the IdP's own URL")
	r.password.flags(cmd)
	f.StringVar(&r.output, "output", "base64", "with --endpoint: base64, json (response, role and provider ARNs, aws CLI command) or xml")
	f.StringVar(&r.samlFile, "saml-file", "", "with --endpoint: also write the base64 response to this file (the JSON's command reads it)")
	f.DurationVar(&r.timeout, "timeout", 30*time.Second, "with --endpoint: overall time limit")
}

// remoteOnly are flags that mean nothing without --endpoint; localOnly are
// flags that build the response locally, which a running IdP does its own
// way.
var (
	remoteOnly = []string{"password-stdin", "password-file", "output", "saml-file", "timeout"}
	localOnly  = []string{"users", "keys", "fixture-keys", "entity-id", "bits", "sign", "signature-method", "digest",
		"name-id-format", "recipient", "audience", "lifetime", "session-lifetime", "fault", "encrypt-cert", "cipher"}
)

// onlyWithEndpoint refuses the --endpoint flags in a local assert.
func (r *remoteAssertOptions) onlyWithEndpoint(cmd *cobra.Command) error {
	for _, n := range remoteOnly {
		if cmd.Flags().Changed(n) {
			return fmt.Errorf("--%s needs --endpoint (a running IdP to log in to)", n)
		}
	}
	return nil
}

// idpURLFrom turns --endpoint into the IdP's URL: a server's root URL gets
// the IdP's path (as samlab up serves it).
func idpURLFrom(endpoint string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(endpoint, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--endpoint %q is not an http(s) URL", endpoint)
	}
	if u.Path == "" {
		u.Path = scenarios.IDPPrefix
	}
	return u.String(), nil
}

// runRemoteAssert logs in at the running IdP and prints the response its
// GET /assertion endpoint issues.
func runRemoteAssert(cmd *cobra.Command, o assertOptions) error {
	for _, n := range localOnly {
		if cmd.Flags().Changed(n) {
			return fmt.Errorf("--%s builds the response here; with --endpoint the running IdP builds it (with its own key, "+
				"users and faults): drop one of them", n)
		}
	}
	r := o.remote
	if o.asXML {
		r.output = "xml"
	}
	switch r.output {
	case "base64", "json", "xml":
	default:
		return fmt.Errorf("--output %q: want base64, json or xml", r.output)
	}
	idpURL, err := idpURLFrom(r.endpoint)
	if err != nil {
		return err
	}
	password, _, err := r.password.read(cmd, bufio.NewReader(cmd.InOrStdin()), true)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), r.timeout)
	defer cancel()
	ic, err := idpclient.New(idpURL, &http.Client{Timeout: r.timeout})
	if err != nil {
		return err
	}
	if err := ic.Login(ctx, o.user, password); err != nil {
		return err
	}
	a, err := ic.Assertion(ctx, o.role)
	if err != nil {
		return err
	}
	if r.samlFile != "" {
		if err := writeFileAtomic(r.samlFile, []byte(a.SAMLResponse+"\n")); err != nil {
			return fmt.Errorf("--saml-file: %w", err)
		}
		a.Command = idp.AssumeRoleCommand(a.EndpointURL, a.RoleARN, a.PrincipalARN, r.samlFile)
	}
	if a.Fault != idp.FaultNone {
		fmt.Fprintf(cmd.ErrOrStderr(), "samlab: note: the IdP injects the fault %q into its responses\n", a.Fault)
	}
	w := cmd.OutOrStdout()
	switch r.output {
	case "json":
		return writeJSON(w, a)
	case "xml":
		raw, err := base64.StdEncoding.DecodeString(a.SAMLResponse)
		if err != nil {
			return fmt.Errorf("the IdP's SAMLResponse is not base64: %w", err)
		}
		_, err = fmt.Fprintln(w, string(raw))
		return err
	}
	_, err = fmt.Fprintln(w, a.SAMLResponse)
	return err
}
