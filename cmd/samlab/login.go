package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/idp/idpclient"
)

type loginOptions struct {
	idpURL       string
	endpointURL  string
	region       string
	username     string
	password     passwordOptions
	role         string
	duration     int32
	format       string
	timeout      time.Duration
	writeProfile string
	configFile   string
}

func newLoginCommand() *cobra.Command {
	o := loginOptions{}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in to the IdP and get AWS credentials with AssumeRoleWithSAML (like saml2aws)",
		Long: `Log in to a samlab IdP over HTTP with a username and password (through its
login form, as a browser does), take the SAMLResponse from its IdP-initiated
SSO form for AWS, choose a role (--role, the only one, or a prompt), and call
STS AssumeRoleWithSAML at --endpoint-url (an unsigned call: no AWS credentials
are needed). Print the temporary credentials as shell exports (env), JSON, or
the aws CLI credential_process format.

The password comes from --password-file (a file only its owner may read), or
standard input with --password-stdin, else from $SAMLAB_PASSWORD, else from a
prompt (not echoed on a terminal). --format credential-process never prompts.

--write-profile NAME logs in once to check the settings, then adds or updates
"[profile NAME]" in the aws CLI config file (--config, else $AWS_CONFIG_FILE,
else ~/.aws/config) with a credential_process that runs this login again, the
region and endpoint_url; other profiles and comments are kept. The profile
needs a password it can read without a terminal: --password-file (recommended;
the profile names the file) or $SAMLAB_PASSWORD (then set in the aws CLI's
environment too). See docs/idp.md.`,
		Example: `  samlab login --idp-url http://127.0.0.1:8765/idp --endpoint-url http://127.0.0.1:8765 --username alice
  eval "$(SAMLAB_PASSWORD=samlab samlab login --idp-url http://127.0.0.1:8765/idp --endpoint-url http://127.0.0.1:8765 --username alice)"

  # an aws CLI profile
  (umask 077; echo samlab > ~/.samlab-password)
  samlab login --username alice --password-file ~/.samlab-password --write-profile samlab
  aws --profile samlab --endpoint-url http://127.0.0.1:8765 sts get-caller-identity`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLogin(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.idpURL, "idp-url", "http://"+DefaultListen+"/idp", "the IdP's base URL")
	f.StringVar(&o.endpointURL, "endpoint-url", "http://"+DefaultListen, "STS endpoint")
	f.StringVar(&o.region, "region", "us-east-1", "AWS region for the STS client")
	f.StringVar(&o.username, "username", "", "user name (prompted when empty)")
	o.password.flags(cmd)
	f.StringVar(&o.role, "role", "", "role ARN to assume (default: the only role, or a prompt)")
	f.Int32Var(&o.duration, "duration-seconds", 0, "DurationSeconds for AssumeRoleWithSAML (default: STS's 3600)")
	f.StringVar(&o.format, "format", "env", "output: env, json or credential-process")
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "overall time limit")
	f.StringVar(&o.writeProfile, "write-profile", "", "instead of printing credentials, write an aws CLI profile of this name whose credential_process runs this login")
	f.StringVar(&o.configFile, "config", "", "the aws CLI config file for --write-profile (default $AWS_CONFIG_FILE, else ~/.aws/config)")
	return cmd
}

func runLogin(cmd *cobra.Command, o loginOptions) error {
	switch o.format {
	case "env", "json", "credential-process":
	default:
		return fmt.Errorf("--format %q: want env, json or credential-process", o.format)
	}
	if o.configFile != "" && o.writeProfile == "" {
		return errors.New("--config names the file for --write-profile; give --write-profile NAME too")
	}
	if o.writeProfile != "" && cmd.Flags().Changed("format") {
		return errors.New("--write-profile prints no credentials (the profile's credential_process does): drop --format")
	}
	// credential_process and a written profile run without a terminal: they
	// must never wait for a prompt.
	unattended := o.format == "credential-process" || o.writeProfile != ""
	ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
	defer cancel()
	in := bufio.NewReader(cmd.InOrStdin())
	prompt := cmd.ErrOrStderr()
	if o.username == "" {
		if unattended {
			return errors.New("--username is required with --format credential-process and with --write-profile")
		}
		fmt.Fprint(prompt, "Username: ")
		u, err := in.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		o.username = strings.TrimSpace(u)
	}
	var profile *profileTarget
	if o.writeProfile != "" {
		var err error
		if profile, err = newProfileTarget(o.writeProfile, o.configFile); err != nil {
			return err
		}
	}
	password, source, err := o.password.read(cmd, in, !unattended)
	if err != nil {
		return err
	}
	if profile != nil && source != passwordFromFile && source != passwordFromEnv {
		return errors.New("--write-profile: the profile's credential_process runs without a terminal, so it needs the password " +
			"from --password-file FILE (recommended: a file only you can read) or from $" + PasswordEnv)
	}

	client := &http.Client{Timeout: o.timeout}
	ic, err := idpclient.New(o.idpURL, client)
	if err != nil {
		return fmt.Errorf("--idp-url: %w", err)
	}
	if err := ic.Login(ctx, o.username, password); err != nil {
		return err
	}
	samlResponse, err := ic.AWSResponse(ctx)
	if err != nil {
		return err
	}
	roles, err := idpclient.Roles(samlResponse)
	if err != nil {
		return err
	}
	role, err := chooseRole(roles, o.role, in, prompt, !unattended)
	if err != nil {
		return err
	}
	stsClient := sts.New(sts.Options{Region: o.region, BaseEndpoint: aws.String(o.endpointURL), HTTPClient: client})
	input := &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(role.RoleARN), PrincipalArn: aws.String(role.ProviderARN),
		SAMLAssertion: aws.String(samlResponse)}
	if o.duration != 0 {
		input.DurationSeconds = aws.Int32(o.duration)
	}
	out, err := stsClient.AssumeRoleWithSAML(ctx, input)
	if err != nil {
		return fmt.Errorf("AssumeRoleWithSAML: %w", err)
	}
	if profile != nil {
		// The profile logs in the same way, with the role chosen now.
		o.role = role.RoleARN
		return profile.write(cmd, o, source)
	}
	return printCredentials(cmd.OutOrStdout(), o.format, out)
}

func chooseRole(roles []idp.Role, want string, in *bufio.Reader, prompt io.Writer, ask bool) (idp.Role, error) {
	if want != "" {
		for _, r := range roles {
			if r.RoleARN == want {
				return r, nil
			}
		}
		return idp.Role{}, fmt.Errorf("role %q is not in the SAMLResponse (roles: %s)", want, roleList(roles))
	}
	if len(roles) == 1 {
		return roles[0], nil
	}
	if !ask {
		return idp.Role{}, fmt.Errorf("the user has %d roles: choose one with --role (roles: %s)", len(roles), roleList(roles))
	}
	fmt.Fprintln(prompt, "Choose a role:")
	for i, r := range roles {
		fmt.Fprintf(prompt, "  [%d] %s\n", i+1, r.RoleARN)
	}
	fmt.Fprint(prompt, "Role number: ")
	line, err := in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return idp.Role{}, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || n < 1 || n > len(roles) {
		return idp.Role{}, fmt.Errorf("no role chosen (answer 1-%d, or pass --role; roles: %s)", len(roles), roleList(roles))
	}
	return roles[n-1], nil
}

func printCredentials(w io.Writer, format string, out *sts.AssumeRoleWithSAMLOutput) error {
	c := out.Credentials
	if c == nil {
		return errors.New("AssumeRoleWithSAML returned no credentials")
	}
	exp := ""
	if c.Expiration != nil {
		exp = c.Expiration.UTC().Format(time.RFC3339)
	}
	arn := ""
	if out.AssumedRoleUser != nil {
		arn = aws.ToString(out.AssumedRoleUser.Arn)
	}
	switch format {
	case "credential-process":
		// aws CLI "Sourcing credentials with an external process".
		return writeJSON(w, struct {
			Version         int
			AccessKeyID     string `json:"AccessKeyId"`
			SecretAccessKey string
			SessionToken    string
			Expiration      string `json:",omitempty"`
		}{1, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken), exp})
	case "json":
		return writeJSON(w, struct {
			AccessKeyID     string `json:"AccessKeyId"`
			SecretAccessKey string
			SessionToken    string
			Expiration      string
			AssumedRoleARN  string `json:"AssumedRoleArn"`
		}{aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken), exp, arn})
	}
	_, err := fmt.Fprintf(w, "export AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\nexport AWS_SESSION_TOKEN=%s\n"+
		"export AWS_CREDENTIAL_EXPIRATION=%s\n# %s\n",
		shellQuote(aws.ToString(c.AccessKeyId)), shellQuote(aws.ToString(c.SecretAccessKey)),
		shellQuote(aws.ToString(c.SessionToken)), shellQuote(exp), arn)
	return err
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
