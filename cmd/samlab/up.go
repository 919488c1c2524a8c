package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/cognito"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts/sessiontoken"
)

// DefaultListen is where `samlab up` and `samlab sp serve` listen.
const DefaultListen = "127.0.0.1:8765"

// State-store keys: the persisted admin access key, and the changes made
// at the IdP admin endpoint.
const (
	adminKeyMeta = "admin-access-key"
	idpAdminMeta = "idp-admin-changes"
)

type serveOptions struct {
	listen      string
	state       string
	events      string
	fixtureKeys bool
	verbose     bool
	awsOnly     bool
	https       bool
	httpOIDC    bool // IAM accepts http:// OIDC issuers on loopback
	alias       string
	why         bool
	idpFault    string
	accounts    string // accounts.go
}

func (o *serveOptions) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", DefaultListen, "address to listen on")
	f.StringVar(&o.state, "state", "", "keep SAML providers, roles, the admin key, the session-token keys and Cognito identity pools in this directory, so issued credentials survive restarts (crash-safe; default: memory only)")
	f.StringVar(&o.events, "events", "", "append a CloudTrail-like JSON line per AWS call to this file (read it with \"samlab events\")")
	f.BoolVar(&o.fixtureKeys, "fixture-keys", false, "use samlab's built-in test keys for the IdP (faster start; the keys are public)")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log every failed AWS call with its internal cause")
	f.BoolVar(&o.https, "https", false, "also answer HTTPS for sts.amazonaws.com, sts.REGION.amazonaws.com, iam.amazonaws.com and signin.aws.amazon.com, "+
		"as a loopback-only HTTPS_PROXY that tunnels to nothing but itself, with a local CA (kept in --state); "+
		"and serve the OIDC issuer at https:// on the next port of --listen")
	f.BoolVar(&o.httpOIDC, "insecure-http-issuers", false, "let IAM register http:// OIDC providers on loopback, such as this server's /idp/oidc (AWS requires https://)")
	f.StringVar(&o.alias, "account-alias", "", "give the account this alias (aws iam list-account-aliases; the console's role chooser shows \"Account: alias (id)\")")
	f.StringVar(&o.accounts, "accounts", "", "serve several isolated accounts on the one endpoint, each with its own admin key: a count (2 adds 111122223333 to "+scenarios.DefaultAccountID+") or account IDs separated by commas, the first being the lab's own (default: one account, "+scenarios.DefaultAccountID+")")
}

func newUpCommand() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run an IdP and a mock AWS (IAM, STS, console sign-in) on loopback",
		Long: `Start a demo lab in one process: an IdP with the user alice, and a mock AWS
account 123456789012 with the SAML provider "samlab" (already registered with
the IdP's metadata) and the role SAMLAdmin. The AWS APIs answer at the root
URL, so the aws CLI and AWS SDKs work with an endpoint override; a browser
at the same URL gets the lab's index (IdP, IAM state, event log). A failed
console sign-in shows AWS's error and a "why" panel with the cause and the
fix (--why=false for AWS's page alone). The command prints the admin access
key for IAM calls; it runs until interrupted.`,
		Example: `  samlab up
  samlab up --listen 127.0.0.1:9000 --state ./lab --events ./lab/events.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, o) },
	}
	o.flags(cmd)
	cmd.Flags().BoolVar(&o.why, "why", true, "add a \"why\" panel to console sign-in error pages: the cause behind AWS's words and the fix (as samlab explain reports them); --why=false shows AWS's page alone")
	cmd.Flags().StringVar(&o.idpFault, "idp-fault", "", "make the IdP inject this fault (see \"samlab idp faults\") into every response it issues for AWS, so the lab starts broken")
	return cmd
}

func newSPCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sp",
		Short: "The mock AWS side of SAML federation",
	}
	var o serveOptions
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Serve only the mock AWS (IAM and STS over the AWS Query protocol)",
		Long: `Serve the mock AWS account alone: IAM SAML providers and roles, STS
AssumeRoleWithSAML and GetCallerIdentity, at the root URL. No provider is
registered at start: create one with "aws iam create-saml-provider" from your
own IdP's metadata.`,
		Example: `  samlab sp serve --state ./aws`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.awsOnly = true
			return runServe(cmd, o)
		},
	}
	o.flags(serve)
	cmd.AddCommand(serve, newRotateSessionKeyCommand())
	return cmd
}

func runServe(cmd *cobra.Command, o serveOptions) (err error) {
	ctx := cmd.Context()
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	// Listen first: the IdP's metadata names its own URL.
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	base := "http://" + ln.Addr().String()
	accountIDs, err := parseAccounts(o.accounts)
	if err != nil {
		return err
	}
	cfg := scenarios.LabConfig{AccountID: accountIDs[0], Keys: certs.GeneratedKeys{}, Logger: logger, WallClock: true, InsecureHTTPIssuers: o.httpOIDC, SignInWhy: o.why}
	if !o.awsOnly {
		cfg.IDPBaseURL = base + scenarios.IDPPrefix
	}
	if o.fixtureKeys {
		cfg.Keys = certstest.New()
	}
	var store *iam.BoltStore
	var cstore *cognito.BoltStore
	if o.state != "" {
		if store, err = openState(o.state); err != nil {
			return err
		}
		defer func() { err = errors.Join(err, store.Close()) }()
		if cstore, cfg.CognitoKey, err = openCognitoState(o.state); err != nil {
			return err
		}
		defer func() { err = errors.Join(err, cstore.Close()) }()
		// The session-token keys live in the state too, so temporary
		// credentials outlive the process.
		if cfg.SessionKeys, err = sessiontoken.Open(store, accountIDs[0], nil, time.Now()); err != nil {
			return err
		}
	}
	lab, err := scenarios.NewLab(cfg)
	if err != nil {
		return err
	}
	if store != nil {
		// Changes made at the IdP admin endpoint (samlab idp ... --endpoint)
		// in an earlier run: the IdP's keys and users as they were left.
		if _, err := lab.RestoreIDP(store, idpAdminMeta); err != nil {
			return err
		}
	}
	if o.idpFault != "" {
		if err := lab.IDP.SetFault(idp.Fault(o.idpFault)); err != nil {
			return fmt.Errorf("--idp-fault: %w", err)
		}
	}
	var admin scenarios.AdminKey
	if store != nil {
		if err := lab.Account.AttachStore(store); err != nil {
			return err
		}
		if err := lab.Cognito.Attach(cstore); err != nil {
			return err
		}
		if admin, err = persistentAdminKey(store, accountIDs[0]); err != nil {
			return err
		}
	} else if admin, err = scenarios.NewAdminKeyFor(nil, accountIDs[0]); err != nil {
		return err
	}
	if o.alias != "" {
		if err := lab.Account.CreateAccountAlias(o.alias); err != nil {
			return fmt.Errorf("--account-alias: %w", err)
		}
	}
	var warning string
	if !o.awsOnly {
		if warning, err = lab.EnsureProvider(); err != nil {
			return err
		}
	}
	var events awsapi.EventSink
	if o.events != "" {
		f, err := os.OpenFile(o.events, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, f.Close()) }()
		events = awsapi.NewJSONLines(f)
	}
	scfg := scenarios.ServerConfig{Admin: admin, Events: events, Logger: logger}
	var closeAccounts func() error
	if scfg.Accounts, closeAccounts, err = openAccounts(o, cfg, accountIDs[1:]); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, closeAccounts()) }()
	if o.events != "" {
		scfg.EventLog = func() ([]awsapi.Event, error) { return readEventFile(o.events) }
	}
	var h http.Handler
	if o.awsOnly {
		h, err = lab.AWSHandler(scfg)
	} else if h, err = lab.Handler(scfg); err == nil {
		acfg := scenarios.IDPAdminConfig{Lab: func() *scenarios.Lab { return lab }, Authorize: scenarios.BearerAuth(admin.Token())}
		if store != nil {
			var mu sync.Mutex // one change at a time, so none is lost from the record
			acfg.Apply = func(c scenarios.IDPChange) (string, error) {
				mu.Lock()
				defer mu.Unlock()
				return lab.ApplyAndRecordIDPChange(store, idpAdminMeta, c)
			}
		}
		h = scenarios.WithIDPAdmin(h, acfg)
	}
	if err != nil {
		return err
	}
	var hm *httpsMode
	var issuerLn net.Listener // the https OIDC issuer's, with --https
	issuer := base + oidcPrefix
	if o.https {
		if hm, err = newHTTPSMode(o.state, logger); err != nil {
			return err
		}
		defer func() {
			closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			err = errors.Join(err, hm.close(closeCtx))
		}()
		if !o.awsOnly {
			addr, err := issuerAddr(o.listen)
			if err != nil {
				return err
			}
			if issuerLn, err = hm.listenIssuer(addr); err != nil {
				return err
			}
			defer issuerLn.Close()
			issuer = "https://" + issuerLn.Addr().String() + oidcPrefix
		}
	}
	if !o.awsOnly {
		ocfg, err := oidcProviderConfig(oidcServeOptions{}, issuer, lab.IDP, "", cfg.Keys, lab.Clock.Now, logger)
		if err != nil {
			return err
		}
		if h, _, err = withOIDC(h, oidcPrefix, ocfg); err != nil {
			return err
		}
	}
	if issuerLn != nil {
		// The https listener serves the whole lab, like the http one.
		issuerCtx, stop := context.WithCancel(ctx)
		issuerDone := make(chan error, 1)
		go func(h http.Handler) { issuerDone <- serveUntilDone(issuerCtx, issuerLn, h, logger) }(h)
		defer func() { stop(); err = errors.Join(err, <-issuerDone) }()
	}
	if hm != nil {
		h = hm.wrap(h)
	}
	printBanner(cmd.OutOrStdout(), lab, admin, base, issuer, o, warning)
	printAccounts(cmd.OutOrStdout(), scfg.Accounts)
	if hm != nil {
		hm.printEnv(cmd.OutOrStdout(), base, !o.awsOnly)
		if issuerLn != nil {
			hm.printIssuer(cmd.OutOrStdout(), issuer)
		}
	}
	fmt.Fprintln(cmd.OutOrStdout(), "\nPress Ctrl-C to stop.")
	return serveUntilDone(ctx, ln, h, logger)
}

// serveUntilDone serves h on ln until ctx is cancelled, then shuts down
// gracefully, giving in-flight requests 5 seconds.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second, // metadata documents may be megabytes
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Still busy after the grace period, or holding connections that
		// never sent a request (browsers open spare ones ahead of time, and
		// Shutdown waits 5 seconds for those too): close them.
		if cerr := srv.Close(); cerr != nil || !errors.Is(err, context.DeadlineExceeded) {
			return errors.Join(err, cerr)
		}
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func newRotateSessionKeyCommand() *cobra.Command {
	var state, account string
	cmd := &cobra.Command{
		Use:   "rotate-session-key",
		Short: "Replace the key that seals session tokens in a state directory",
		Long: `Make a new key current for the session tokens of the account in --state.
Credentials issued afterwards are sealed with it; credentials sealed with the
replaced key keep working until they expire (the replaced key is kept for
36 hours, then dropped). Run it while no server uses the directory (the state
file is locked by the server that opens it); servers sharing a state by
copies of the directory need the rotated copy.`,
		Example: `  samlab sp rotate-session-key --state ./lab`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if state == "" {
				return errors.New("--state is required")
			}
			dir, id, err := accountState(state, account)
			if err != nil {
				return err
			}
			store, err := openState(dir)
			if err != nil {
				return err
			}
			defer func() { err = errors.Join(err, store.Close()) }()
			keys, err := sessiontoken.Open(store, id, nil, time.Now())
			if err != nil {
				return err
			}
			if err := keys.Rotate(time.Now()); err != nil {
				return err
			}
			all := keys.Keys()
			fmt.Fprintf(cmd.OutOrStdout(), "session key %08x is current; %d older key(s) still open the tokens they sealed\n",
				all[len(all)-1].ID, len(all)-1)
			return nil
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "the state directory of samlab up or samlab sp serve (required)")
	cmd.Flags().StringVar(&account, "account", scenarios.DefaultAccountID, "the account whose key to rotate, with samlab up --accounts: the first account's, or another's (kept in accounts/ID of --state)")
	return cmd
}

func openState(dir string) (*iam.BoltStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return iam.OpenBoltStore(dir)
}

// persistentAdminKey returns the admin key kept in the state store, creating
// it on first use, so CLI profiles keep working across restarts.
func persistentAdminKey(store *iam.BoltStore, accountID string) (scenarios.AdminKey, error) {
	var k scenarios.AdminKey
	raw, err := store.Meta(adminKeyMeta)
	if err != nil {
		return k, err
	}
	if raw != nil {
		if err := json.Unmarshal(raw, &k); err != nil {
			return k, fmt.Errorf("stored admin key: %w", err)
		}
		return k, nil
	}
	if k, err = scenarios.NewAdminKeyFor(nil, accountID); err != nil {
		return k, err
	}
	raw, err = json.Marshal(k)
	if err != nil {
		return k, err
	}
	return k, store.SetMeta(adminKeyMeta, raw)
}

func printBanner(w io.Writer, lab *scenarios.Lab, admin scenarios.AdminKey, base, issuer string, o serveOptions, warning string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "AWS (IAM + STS)\t%s/\n", base)
	if !o.awsOnly {
		fmt.Fprintf(tw, "lab pages (browser)\t%s/\n", base)
		fmt.Fprintf(tw, "IdP\t%s%s/\n", base, scenarios.IDPPrefix)
		fmt.Fprintf(tw, "IdP metadata\t%s%s/metadata\n", base, scenarios.IDPPrefix)
		fmt.Fprintf(tw, "OIDC issuer\t%s\n", issuer)
		fmt.Fprintf(tw, "console sign-in (ACS)\t%s%s\n", base, scenarios.SignInPath)
		fmt.Fprintf(tw, "console\t%s/console\n", base)
	}
	if alias := lab.Account.AccountAlias(); alias != "" {
		fmt.Fprintf(tw, "account\t%s (alias %s)\n", lab.Account.ID(), alias)
	} else {
		fmt.Fprintf(tw, "account\t%s\n", lab.Account.ID())
	}
	if !o.awsOnly {
		fmt.Fprintf(tw, "SAML provider\t%s\n", lab.ProviderARN)
		fmt.Fprintf(tw, "role\t%s\n", lab.RoleARN)
		fmt.Fprintf(tw, "user\t%s\n", scenarios.DefaultUser)
	}
	state := "memory (lost on exit)"
	if o.state != "" {
		state = o.state
	}
	fmt.Fprintf(tw, "state\t%s\n", state)
	if o.events != "" {
		fmt.Fprintf(tw, "events\t%s\n", o.events)
	}
	fmt.Fprintf(tw, "admin access key id\t%s\n", admin.AccessKeyID)
	fmt.Fprintf(tw, "admin secret access key\t%s\n", admin.SecretAccessKey)
	_ = tw.Flush()
	fmt.Fprintf(w, `
Try it:
  export AWS_ACCESS_KEY_ID=%s
  export AWS_SECRET_ACCESS_KEY=%s
  export AWS_REGION=us-east-1
  aws --endpoint-url %s sts get-caller-identity
  aws --endpoint-url %s iam list-saml-providers
`, admin.AccessKeyID, admin.SecretAccessKey, base, base)
	if !o.awsOnly {
		fmt.Fprintf(w, `
Log in at the IdP as %s (demo password "samlab") and assume the role with the SAML response:
  eval "$(SAMLAB_PASSWORD=samlab samlab login --idp-url %s%s --endpoint-url %s --username %s)"
  aws --endpoint-url %s sts get-caller-identity
Or take the signed SAMLResponse yourself (in a browser: %s%s/assertion):
  SAMLAB_PASSWORD=samlab samlab idp assert --endpoint %s --user %s --output json
`, scenarios.DefaultUser, base, scenarios.IDPPrefix, base, scenarios.DefaultUser, base,
			base, scenarios.IDPPrefix, base, scenarios.DefaultUser)
	}
	if warning != "" {
		fmt.Fprintf(w, "\nwarning: %s\n", warning)
	}
}

// readEventFile reads the events recorded so far, for the event log page.
func readEventFile(name string) (events []awsapi.Event, err error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	return awsapi.ReadEvents(f)
}
