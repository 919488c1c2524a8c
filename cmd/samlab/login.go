package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/crewjam/saml"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/samlab-dev/samlab/awssaml"
	"github.com/samlab-dev/samlab/idp"
)

// PasswordEnv is the environment variable samlab login reads the password
// from when --password-stdin is not given.
const PasswordEnv = "SAMLAB_PASSWORD"

type loginOptions struct {
	idpURL        string
	endpointURL   string
	region        string
	username      string
	passwordStdin bool
	role          string
	duration      int32
	format        string
	timeout       time.Duration
}

func newLoginCommand() *cobra.Command {
	o := loginOptions{}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in to the IdP and get AWS credentials with AssumeRoleWithSAML (like saml2aws)",
		Long: `Log in to a samlab IdP over HTTP with a username and password, take the
SAMLResponse from its IdP-initiated SSO form for AWS, choose a role (--role, the
only one, or a prompt), and call STS AssumeRoleWithSAML at --endpoint-url (an
unsigned call: no AWS credentials are needed). Print the temporary credentials
as shell exports (env), JSON, or the aws CLI credential_process format.

The password comes from standard input with --password-stdin, else from
$SAMLAB_PASSWORD, else from a prompt (not echoed on a terminal).`,
		Example: `  samlab login --idp-url http://127.0.0.1:8765/idp --endpoint-url http://127.0.0.1:8765 --username alice
  eval "$(SAMLAB_PASSWORD=samlab samlab login --idp-url http://127.0.0.1:8765/idp --endpoint-url http://127.0.0.1:8765 --username alice)"

  # ~/.aws/config
  [profile samlab]
  credential_process = sh -c "SAMLAB_PASSWORD=samlab samlab login --idp-url http://127.0.0.1:8765/idp --endpoint-url http://127.0.0.1:8765 --username alice --format credential-process"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLogin(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.idpURL, "idp-url", "http://"+DefaultListen+"/idp", "the IdP's base URL")
	f.StringVar(&o.endpointURL, "endpoint-url", "http://"+DefaultListen, "STS endpoint")
	f.StringVar(&o.region, "region", "us-east-1", "AWS region for the STS client")
	f.StringVar(&o.username, "username", "", "user name (prompted when empty)")
	f.BoolVar(&o.passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	f.StringVar(&o.role, "role", "", "role ARN to assume (default: the only role, or a prompt)")
	f.Int32Var(&o.duration, "duration-seconds", 0, "DurationSeconds for AssumeRoleWithSAML (default: STS's 3600)")
	f.StringVar(&o.format, "format", "env", "output: env, json or credential-process")
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "overall time limit")
	return cmd
}

func runLogin(cmd *cobra.Command, o loginOptions) error {
	switch o.format {
	case "env", "json", "credential-process":
	default:
		return fmt.Errorf("--format %q: want env, json or credential-process", o.format)
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
	defer cancel()
	in := bufio.NewReader(cmd.InOrStdin())
	prompt := cmd.ErrOrStderr()
	if o.username == "" {
		fmt.Fprint(prompt, "Username: ")
		u, err := in.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		o.username = strings.TrimSpace(u)
	}
	password := os.Getenv(PasswordEnv)
	if o.passwordStdin || password == "" {
		var err error
		if password, err = readPassword(cmd.InOrStdin(), in, prompt, !o.passwordStdin); err != nil {
			return err
		}
	}

	jar, err := cookiejar.New(nil)
	if err != nil {
		return err
	}
	client := &http.Client{Jar: jar, Timeout: o.timeout}
	samlResponse, err := idpLogin(ctx, client, o.idpURL, o.username, password)
	if err != nil {
		return err
	}
	roles, err := responseRoles(samlResponse)
	if err != nil {
		return err
	}
	role, err := chooseRole(roles, o.role, in, prompt)
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
	return printCredentials(cmd.OutOrStdout(), o.format, out)
}

var reasonRE = regexp.MustCompile(`(?s)<p class="error" id="(?:reason|error)">(?:<span id="input-error">)?(.*?)(?:</span>)?</p>`)

// readPassword reads the password: without echo when standard input is a
// terminal and a prompt is wanted, else as the next line of input.
func readPassword(stdin io.Reader, in *bufio.Reader, prompt io.Writer, ask bool) (string, error) {
	if ask {
		fmt.Fprint(prompt, "Password: ")
		if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			p, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(prompt)
			return string(p), err
		}
	}
	p, err := in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(p, "\r\n"), nil
}

// idpLogin opens the IdP's login form for IdP-initiated SSO to AWS, fills it
// in (keeping its hidden fields: the way back and the anti-forgery token) and
// posts it; it returns the base64 SAMLResponse of the resulting form.
func idpLogin(ctx context.Context, c *http.Client, idpURL, user, password string) (string, error) {
	base, err := url.Parse(strings.TrimSuffix(idpURL, "/") + "/")
	if err != nil {
		return "", fmt.Errorf("--idp-url: %w", err)
	}
	loginURL := base.ResolveReference(&url.URL{Path: "login", RawQuery: "return=sso%2Faws"})
	page, err := fetchPage(ctx, c, loginURL.String())
	if err != nil {
		return "", fmt.Errorf("open the IdP login form: %w", err)
	}
	action, form, err := idp.ParseLoginForm(page)
	if err != nil {
		return "", fmt.Errorf("IdP login form at %s: %w", loginURL, err)
	}
	form.Set("username", user)
	form.Set("password", password)
	target, err := loginURL.Parse(action)
	if err != nil {
		return "", fmt.Errorf("IdP login form action %q: %w", action, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("log in to the IdP: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return "", err
	}
	_, fields, err := idp.ParsePostForm(body)
	if err != nil {
		reason := http.StatusText(resp.StatusCode)
		if m := reasonRE.FindSubmatch(body); m != nil {
			reason = htmlUnescape(string(m[1]))
		}
		return "", fmt.Errorf("IdP login at %s failed (HTTP %d): %s", loginURL, resp.StatusCode, reason)
	}
	return fields.Get("SAMLResponse"), nil
}

// fetchPage GETs an HTML page (at most 4 MiB).
func fetchPage(ctx context.Context, c *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 4<<20))
}

func htmlUnescape(s string) string {
	r := strings.NewReplacer("&#34;", `"`, "&#39;", "'", "&quot;", `"`, "&lt;", "<", "&gt;", ">", "&amp;", "&")
	return strings.TrimSpace(r.Replace(s))
}

// responseRoles reads the Role attribute of a SAMLResponse. Values are
// "role-arn,provider-arn" in either order, as AWS accepts.
func responseRoles(b64 string) ([]idp.Role, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("SAMLResponse is not base64: %w", err)
	}
	var r saml.Response
	if err := xml.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("SAMLResponse is not a SAML Response: %w", err)
	}
	if r.Assertion == nil {
		return nil, errors.New("the SAMLResponse carries no plaintext Assertion")
	}
	var roles []idp.Role
	for _, st := range r.Assertion.AttributeStatements {
		for _, a := range st.Attributes {
			if a.Name != idp.AttrRole {
				continue
			}
			for _, v := range a.Values {
				if p, ok := awssaml.ParseRolePair(v.Value); ok {
					roles = append(roles, idp.Role{RoleARN: p.RoleARN, ProviderARN: p.ProviderARN})
				}
			}
		}
	}
	if len(roles) == 0 {
		return nil, errors.New("the SAMLResponse grants no AWS role")
	}
	return roles, nil
}

func chooseRole(roles []idp.Role, want string, in *bufio.Reader, prompt io.Writer) (idp.Role, error) {
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
