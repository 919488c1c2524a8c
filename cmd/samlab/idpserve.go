package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/idp/oidc"
)

type idpServeOptions struct {
	idpOptions
	listen       string
	sps          []string
	awsSignInURL string
	verbose      bool
	oidc         oidcServeOptions
}

func newIDPServeCommand() *cobra.Command {
	var o idpServeOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the IdP alone over HTTP, for any SAML SP",
		Long: `Serve the IdP: login page, IdP-initiated SSO to AWS (/sso/aws) and to
registered SPs (/sso/init?sp=ENTITYID), SP-initiated SSO over the HTTP-Redirect
and HTTP-POST bindings (/sso), and its metadata (/metadata); and the OpenID
Connect provider for the same users under /oidc (issuer BASE-URL/oidc). Register
SPs with --sp (their metadata files). Runs until interrupted.`,
		Example: `  samlab idp serve --users ./users.yaml --keys ./idp-keys --sp ./grafana-sp.xml
  samlab idp serve --aws-signin-url http://127.0.0.1:8765/saml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runIDPServe(cmd, o) },
	}
	o.userFlags(cmd)
	o.keyFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:8766", "address to listen on")
	f.StringVar(&o.baseURL, "base-url", "", "public base URL of the IdP (default http://LISTEN)")
	f.StringArrayVar(&o.sps, "sp", nil, "SP metadata file to register (repeatable)")
	f.StringVar(&o.awsSignInURL, "aws-signin-url", idp.AWSSignInURL, "where IdP-initiated SSO to AWS posts the response")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log logins, SSO and rejected requests")
	o.oidc.flags(cmd)
	return cmd
}

func runIDPServe(cmd *cobra.Command, o idpServeOptions) error {
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	users, err := o.loadUsers()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	if o.baseURL == "" {
		o.baseURL = "http://" + ln.Addr().String()
	}
	cfg, err := o.config()
	if err != nil {
		return err
	}
	cfg.Users, cfg.AWSSignInURL, cfg.Logger = users, o.awsSignInURL, logger.With("component", "idp")
	for _, f := range o.sps {
		md, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		cfg.ServiceProviders = append(cfg.ServiceProviders, md)
	}
	s, err := idp.New(cfg)
	if err != nil {
		return err
	}
	ocfg, err := oidcProviderConfig(o.oidc, o.baseURL+"/"+oidc.MountPath, s, o.keys, cfg.Keys, nil, logger)
	if err != nil {
		return err
	}
	h, _, err := withOIDC(s, "/"+oidc.MountPath, ocfg)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "IdP\t%s/\n", o.baseURL)
	fmt.Fprintf(tw, "metadata\t%s/metadata\n", o.baseURL)
	fmt.Fprintf(tw, "SSO (SP-initiated)\t%s\n", s.SSOURL())
	fmt.Fprintf(tw, "SSO to AWS\t%s/sso/aws -> %s\n", o.baseURL, s.AWSSignInURL())
	for _, sp := range s.ServiceProviders() {
		fmt.Fprintf(tw, "SP\t%s\n", sp)
	}
	fmt.Fprintf(tw, "OIDC issuer\t%s\n", ocfg.Issuer)
	fmt.Fprintf(tw, "users\t%s\n", strings.Join(users.Names(), ", "))
	if err := tw.Flush(); err != nil {
		return err
	}
	return serveUntilDone(cmd.Context(), ln, h, logger)
}
