package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/samlab-dev/samlab/scenarios"
)

// envAdminToken is the token of the admin key in AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY (the key a running lab printed): what the lab's own
// endpoints accept.
func envAdminToken() (string, error) {
	k := scenarios.AdminKey{AccessKeyID: os.Getenv("AWS_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY")}
	if k.AccessKeyID == "" || k.SecretAccessKey == "" {
		return "", errors.New("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to the lab's admin key (samlab up and samlab lab start print it)")
	}
	return k.Token(), nil
}

// idpAdminCall reads (change nil) or changes the IdP of the running lab at
// endpoint.
func idpAdminCall(cmd *cobra.Command, endpoint string, change *scenarios.IDPChange) (*scenarios.IDPState, error) {
	token, err := envAdminToken()
	if err != nil {
		return nil, badInput(err)
	}
	url := strings.TrimSuffix(endpoint, "/") + scenarios.IDPAdminPath
	method, body := http.MethodGet, io.Reader(nil)
	if change != nil {
		raw, err := json.Marshal(change)
		if err != nil {
			return nil, err
		}
		method, body = http.MethodPost, bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(cmd.Context(), method, url, body)
	if err != nil {
		return nil, badInput(fmt.Errorf("--endpoint: %w", err))
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := labClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the lab does not answer at %s (is samlab up or samlab lab start running?): %w", endpoint, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			return nil, badInput(fmt.Errorf("%s %s: %s", method, url, e.Error))
		}
		return nil, fmt.Errorf("%s %s: HTTP %d (is this a samlab lab?)", method, url, resp.StatusCode)
	}
	var st scenarios.IDPState
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("%s %s: %w (is this a samlab lab?)", method, url, err)
	}
	return &st, nil
}

func printIDPState(w io.Writer, st *scenarios.IDPState, output string) error {
	if output == "json" {
		return writeJSON(w, st)
	}
	if st.Change != "" {
		fmt.Fprintf(w, "%s.\n\n", st.Change)
	}
	fmt.Fprintf(w, "IdP %s", st.EntityID)
	if st.Fault != "" {
		fmt.Fprintf(w, ", injecting the fault %s", st.Fault)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLOT\tPUBLISHED\tSHA-1 FINGERPRINT\tNOT AFTER")
	for _, k := range st.Keys {
		pub := "no"
		if k.Published {
			pub = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.Slot, pub, k.FingerprintSHA1, k.NotAfter.Format(time.RFC3339))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := printOIDCKeys(w, st.OIDCKeys); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tROLESESSIONNAME\tROLE VALUES")
	for _, u := range st.Users {
		roles := strings.Join(u.Roles, " | ")
		if roles == "" {
			roles = "(no Role attribute)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, u.RoleSessionName, roles)
	}
	return tw.Flush()
}

// remoteIDPFlags are the flags of the commands that change a running lab's
// IdP.
type remoteIDPFlags struct {
	endpoint string
	output   string
}

func (o *remoteIDPFlags) flags(cmd *cobra.Command, required bool) {
	help := "the running lab's URL (samlab up or samlab lab start); authenticated with the admin key in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
	cmd.Flags().StringVar(&o.endpoint, "endpoint", "", help)
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "text or json")
	if required {
		_ = cmd.MarkFlagRequired("endpoint")
	}
}

func newIDPStatusCommand() *cobra.Command {
	var o remoteIDPFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a running lab's IdP: its keys, its users' Role values, its fault",
		Example: `  export AWS_ACCESS_KEY_ID=AKIA... AWS_SECRET_ACCESS_KEY=...   # the lab's admin key
  samlab idp status --endpoint http://127.0.0.1:8765`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := idpAdminCall(cmd, o.endpoint, nil)
			if err != nil {
				return err
			}
			return printIDPState(cmd.OutOrStdout(), st, o.output)
		},
	}
	o.flags(cmd, true)
	return cmd
}

// runRemoteRotate rotates the signing key of a running lab's IdP, with the
// same policy as a key directory's (idp.Keyring.Change).
func runRemoteRotate(cmd *cobra.Command, o rotateOptions) error {
	if o.notBefore != "" || cmd.Flags().Changed("valid-for") || cmd.Flags().Changed("bits") || cmd.Flags().Changed("entity-id") {
		return badInput(errors.New("with --endpoint the lab's IdP makes its own keys: --bits, --entity-id, --valid-for and --not-before/--not-after are for --keys"))
	}
	switch {
	case o.revert && !o.oidc:
		return badInput(errors.New("--revert is for the OpenID Connect keys: give --oidc too"))
	case o.kid != "" && !o.revert:
		return badInput(errors.New("--kid names the retired key --revert signs with again: give --revert too"))
	}
	st, err := idpAdminCall(cmd, o.remote.endpoint, &scenarios.IDPChange{Op: scenarios.IDPOpRotate, Rollover: o.rollover,
		OIDC: o.oidc, Revert: o.revert, KeyID: o.kid})
	if err != nil {
		return err
	}
	return printIDPState(cmd.OutOrStdout(), st, o.remote.output)
}

func newIDPSetUserCommand() *cobra.Command {
	var (
		o      remoteIDPFlags
		user   string
		with   scenarios.UserSetup
		roles  []string
		values []string
		noRole bool
		tags   []string
	)
	cmd := &cobra.Command{
		Use:   "set-user",
		Short: "Replace a user's attributes at a running lab's IdP (the Role values, RoleSessionName, ...)",
		Long: `Replace the user's definition at the running lab's IdP, as an administrator
does in the IdP's AWS application: the Role values (--role NAME pairs the
role with the lab's SAML provider; --role-value sends a value as it is),
RoleSessionName, SessionDuration, SourceIdentity and session tags. Attributes
not given are not sent. A lab keeps the change across restarts.`,
		Example: `  samlab idp set-user --endpoint http://127.0.0.1:8765 --user rosa --role SAMLAdmin
  samlab idp set-user --endpoint http://127.0.0.1:8765 --user rosa \
    --role-value 'arn:aws:iam::123456789012:role/SAMLAdmin,arn:aws:iam::123456789012:saml-provider/samlab' \
    --role-session-name rosa@example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, r := range roles {
				with.Roles = append(with.Roles, scenarios.RoleRef{Role: r})
			}
			for _, v := range values {
				with.Roles = append(with.Roles, scenarios.RoleRef{Value: v})
			}
			switch {
			case noRole && with.Roles != nil:
				return badInput(errors.New("--no-role sends no Role attribute: give it without --role and --role-value"))
			case noRole:
				with.Roles = []scenarios.RoleRef{}
			case with.Roles == nil:
				return badInput(errors.New("say which roles the user gets: --role NAME, --role-value VALUE, or --no-role"))
			}
			for _, t := range tags {
				k, v, ok := strings.Cut(t, "=")
				if !ok || k == "" {
					return badInput(fmt.Errorf("--tag %q: want KEY=VALUE", t))
				}
				if with.PrincipalTags == nil {
					with.PrincipalTags = map[string]string{}
				}
				with.PrincipalTags[k] = v
			}
			st, err := idpAdminCall(cmd, o.endpoint, &scenarios.IDPChange{Op: scenarios.IDPOpSetUser, User: user, With: &with})
			if err != nil {
				return err
			}
			return printIDPState(cmd.OutOrStdout(), st, o.output)
		},
	}
	o.flags(cmd, true)
	f := cmd.Flags()
	f.StringVar(&user, "user", "", "the user's name (required)")
	f.StringArrayVar(&roles, "role", nil, "a role's name, paired with the lab's SAML provider (repeatable)")
	f.StringArrayVar(&values, "role-value", nil, "a Role attribute value sent as it is (repeatable)")
	f.BoolVar(&noRole, "no-role", false, "send no Role attribute")
	f.StringVar(&with.RoleSessionName, "role-session-name", "", "the RoleSessionName value (default: the user's name)")
	f.IntVar(&with.SessionDuration, "session-duration", 0, "the SessionDuration attribute, in seconds (default: not sent)")
	f.StringVar(&with.SourceIdentity, "source-identity", "", "the SourceIdentity attribute (default: not sent)")
	f.StringVar(&with.Email, "email", "", "the emailAddress NameID (default USER@example.com)")
	f.StringArrayVar(&tags, "tag", nil, "a session tag KEY=VALUE, sent as PrincipalTag:KEY (repeatable)")
	_ = cmd.MarkFlagRequired("user")
	return cmd
}

func newIDPSetFaultCommand() *cobra.Command {
	var o remoteIDPFlags
	cmd := &cobra.Command{
		Use:   "set-fault FAULT|none",
		Short: "Make a running lab's IdP inject a fault into every response it issues over HTTP, or stop",
		Long: `Make the running lab's IdP inject the fault (see "samlab idp faults") into
every response it issues for AWS over HTTP (the browser's sign-in, GET
/idp/assertion, samlab login and samlab idp assert --endpoint); "none" turns
it off.`,
		Example: `  samlab idp set-fault --endpoint http://127.0.0.1:8765 missing-role-session-name
  samlab idp set-fault --endpoint http://127.0.0.1:8765 none`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fault := args[0]
			if fault == "none" {
				fault = ""
			}
			st, err := idpAdminCall(cmd, o.endpoint, &scenarios.IDPChange{Op: scenarios.IDPOpSetFault, Fault: fault})
			if err != nil {
				return err
			}
			return printIDPState(cmd.OutOrStdout(), st, o.output)
		},
	}
	o.flags(cmd, true)
	return cmd
}
