package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/idp/idpclient"
	"github.com/samlab-dev/samlab/scenarios"
)

const (
	labProvider = "arn:aws:iam::123456789012:saml-provider/samlab"
	labAdmin    = "arn:aws:iam::123456789012:role/SAMLAdmin"
	labReadOnly = "arn:aws:iam::123456789012:role/SAMLReadOnly"
)

// redeem calls AssumeRoleWithSAML at endpoint with the Go SDK (unsigned, as
// the operation allows) and returns the assumed role's ARN.
func redeem(t *testing.T, endpoint, role, b64 string) (string, error) {
	t.Helper()
	c := stssdk.New(stssdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: aws.AnonymousCredentials{}})
	out, err := c.AssumeRoleWithSAML(t.Context(), &stssdk.AssumeRoleWithSAMLInput{RoleArn: aws.String(role),
		PrincipalArn: aws.String(labProvider), SAMLAssertion: aws.String(b64)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.AssumedRoleUser.Arn), nil
}

// TestIDPAssertEndpoint runs `samlab idp assert --endpoint` against a
// running `samlab up`: it logs in through the IdP's form and prints the
// IdP's response as base64, JSON (with --saml-file) or XML; STS accepts it.
func TestIDPAssertEndpoint(t *testing.T) {
	t.Parallel()
	up := startUp(t)
	dir := t.TempDir()

	// Default output: one line of base64, for bob's two roles.
	out, _, err := runIn(t, "samlab\n", "idp", "assert", "--endpoint", up.endpoint, "--user", "bob", "--password-stdin")
	if err != nil {
		t.Fatalf("idp assert --endpoint: %v", err)
	}
	roles, err := idpclient.Roles(out)
	want := []idp.Role{{RoleARN: labAdmin, ProviderARN: labProvider}, {RoleARN: labReadOnly, ProviderARN: labProvider}}
	if err != nil || !slices.Equal(roles, want) || strings.Count(out, "\n") != 1 {
		t.Fatalf("idp assert output: roles %v, %v; want %v on one line:\n%s", roles, err, want, out)
	}
	if arn, err := redeem(t, up.endpoint, labAdmin, strings.TrimSpace(out)); err != nil ||
		arn != "arn:aws:sts::123456789012:assumed-role/SAMLAdmin/bob" {
		t.Errorf("AssumeRoleWithSAML with the printed response = %q, %v", arn, err)
	}

	// JSON, one role, the response also in a file the command names; the
	// IdP's own URL works as the endpoint too.
	file := filepath.Join(dir, "resp.b64")
	out, _, err = runIn(t, "samlab\n", "idp", "assert", "--endpoint", up.endpoint+"/idp/", "--user", "bob", "--password-stdin",
		"--role", labReadOnly, "--output", "json", "--saml-file", file)
	if err != nil {
		t.Fatalf("idp assert --output json: %v", err)
	}
	var a idp.Assertion
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("--output json: %v\n%s", err, out)
	}
	saved, err := os.ReadFile(file)
	if err != nil || strings.TrimSpace(string(saved)) != a.SAMLResponse {
		t.Errorf("--saml-file holds %q (%v), want the JSON's SAMLResponse", saved, err)
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("--saml-file mode = %v, %v; want 0600 (the response is a credential for minutes)", st.Mode(), err)
	}
	wantCmd := "aws sts assume-role-with-saml --endpoint-url " + up.endpoint + " --role-arn " + labReadOnly +
		" --principal-arn " + labProvider + " --saml-assertion file://" + file
	if a.RoleARN != labReadOnly || a.PrincipalARN != labProvider || a.EndpointURL != up.endpoint || a.Command != wantCmd {
		t.Errorf("--output json = %+v\nwant RoleArn %s, PrincipalArn %s, EndpointUrl %s, Command %s", a, labReadOnly, labProvider,
			up.endpoint, wantCmd)
	}
	if roles, err := idpclient.Roles(a.SAMLResponse); err != nil || !slices.Equal(roles, want[1:]) {
		t.Errorf("--role %s: the response carries %v, %v", labReadOnly, roles, err)
	}

	// XML.
	out, _, err = runIn(t, "samlab\n", "idp", "assert", "--endpoint", up.endpoint, "--user", "alice", "--password-stdin", "--xml")
	if err != nil || !strings.HasPrefix(out, "<?xml") || !strings.Contains(out, "<saml:Assertion") {
		t.Errorf("idp assert --endpoint --xml = %v:\n%.200s", err, out)
	}

	// A wrong password gets the IdP's own words.
	_, _, err = runIn(t, "wrong\n", "idp", "assert", "--endpoint", up.endpoint, "--user", "bob", "--password-stdin")
	var le *idpclient.LoginError
	if !errors.As(err, &le) || le.Reason != "Invalid username or password." {
		t.Errorf("wrong password: %v, want the IdP's login error", err)
	}
	// Other refusals name what was wrong.
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--user", "alice", "--password-stdin", "--role", labReadOnly}, `HTTP 400: user "alice" is not mapped to role "` + labReadOnly + `"`},
		{[]string{"--user", "alice", "--password-stdin", "--output", "yaml"}, `--output "yaml": want base64, json or xml`},
		{[]string{"--user", "alice", "--password-stdin", "--fault", "tamper"}, "--fault builds the response here"},
	} {
		_, _, err := runIn(t, "samlab\n", append([]string{"idp", "assert", "--endpoint", up.endpoint}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("idp assert %v = %v, want %q", tt.args, err, tt.want)
		}
	}
	if _, _, err := runIn(t, "", "up", "--fixture-keys", "--listen", "127.0.0.1:0", "--idp-fault", "melt"); err == nil || !strings.Contains(err.Error(), `--idp-fault: unknown fault "melt"`) {
		t.Errorf("up --idp-fault melt = %v", err)
	}
	if _, _, err := runIn(t, "", "idp", "assert", "--endpoint", "ftp://x", "--user", "alice"); err == nil ||
		!strings.Contains(err.Error(), `--endpoint "ftp://x" is not an http(s) URL`) {
		t.Errorf("--endpoint ftp://x = %v", err)
	}
}

// TestAssertionPageOnUp reads the IdP's assertion page from `samlab up`
// after a login through the form: the SAMLResponse, the decoded response
// and the command for this server, selectable without JavaScript.
func TestAssertionPageOnUp(t *testing.T) {
	t.Parallel()
	up := startUp(t)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Jar: jar}
	ic, err := idpclient.New(up.endpoint+"/idp", hc)
	if err != nil {
		t.Fatal(err)
	}
	if err := ic.Login(t.Context(), "alice", "samlab"); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, up.endpoint+"/idp/assertion", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" ||
		resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("GET /idp/assertion = %d %v %v:\n%s", resp.StatusCode, resp.Header, err, page)
	}
	m := regexp.MustCompile(`(?s)<textarea id="samlresponse" readonly[^>]*>(.*?)</textarea>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no read-only SAMLResponse text area:\n%s", page)
	}
	b64 := html.UnescapeString(m[1])
	wantCmd := "aws sts assume-role-with-saml --endpoint-url " + up.endpoint + " --role-arn " + labAdmin +
		" --principal-arn " + labProvider + " --saml-assertion file://samlresponse.b64"
	if !regexp.MustCompile(`<pre id="command"[^>]*>` + regexp.QuoteMeta(wantCmd) + `</pre>`).MatchString(page) {
		t.Errorf("assertion page lacks the command %q", wantCmd)
	}
	if arn, err := redeem(t, up.endpoint, labAdmin, b64); err != nil || arn != "arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice" {
		t.Errorf("the page's SAMLResponse at STS = %q, %v", arn, err)
	}
	for _, want := range []string{
		`<pre id="decoded"`, `&lt;saml:Issuer`, `https://aws.amazon.com/SAML/Attributes/RoleSessionName`,
		`data-copy="samlresponse" hidden>Copy</button>`, `data-copy="command" hidden>Copy</button>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("assertion page lacks %q", want)
		}
	}
}

// awsEnv is a clean environment for the aws CLI: its own HOME and config
// file, no credentials, nothing proxied.
func awsEnv(home, configFile string, extra ...string) []string {
	return append([]string{"PATH=/usr/bin:/bin", "HOME=" + home, "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + configFile, "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials")}, extra...)
}

func runAWS(t *testing.T, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), awsCLI, args...)
	cmd.Env = env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run %s: %v", awsCLI, err)
	}
	return o.String(), e.String(), err
}

// TestIDPAssertEndpointWithAWSCLI: the response from `samlab idp assert
// --endpoint` is accepted by the real aws CLI's assume-role-with-saml
// against the same server, run as the printed command; with the IdP
// injecting a fault, the same command gets AWS's error.
func TestIDPAssertEndpointWithAWSCLI(t *testing.T) {
	requireAWSCLI(t)
	t.Parallel()
	for _, tt := range []struct {
		name, fault string
		wantErr     string
	}{
		{"correct", "", ""},
		{"IdP fault tamper", "tamper",
			"An error occurred (InvalidIdentityToken) when calling the AssumeRoleWithSAML operation: Response signature invalid"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := []string{}
			if tt.fault != "" {
				args = append(args, "--idp-fault", tt.fault)
			}
			up := startUp(t, args...)
			dir := t.TempDir()
			out, stderr, err := runIn(t, "samlab\n", "idp", "assert", "--endpoint", up.endpoint, "--user", "alice", "--password-stdin",
				"--output", "json", "--saml-file", filepath.Join(dir, "samlresponse.b64"))
			if err != nil {
				t.Fatalf("idp assert: %v", err)
			}
			var a idp.Assertion
			if err := json.Unmarshal([]byte(out), &a); err != nil {
				t.Fatal(err)
			}
			if string(a.Fault) != tt.fault || (tt.fault != "" && !strings.Contains(stderr, `injects the fault "`+tt.fault+`"`)) {
				t.Errorf("Fault = %q, stderr %q; want %q", a.Fault, stderr, tt.fault)
			}
			// The command as printed, with "aws" the Debian aws CLI.
			bin := filepath.Join(dir, "bin")
			if err := os.Mkdir(bin, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(awsCLI, filepath.Join(bin, "aws")); err != nil {
				t.Fatal(err)
			}
			sh := exec.CommandContext(t.Context(), "/bin/sh", "-c", a.Command+" --output json")
			sh.Env = awsEnv(dir, filepath.Join(dir, "config"))
			sh.Env[0] = "PATH=" + bin + ":/usr/bin:/bin"
			var so, se bytes.Buffer
			sh.Stdout, sh.Stderr = &so, &se
			err = sh.Run()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(se.String(), tt.wantErr) {
					t.Fatalf("%s = %v\n%s%s\nwant %q", a.Command, err, &so, &se, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v\n%s", a.Command, err, &se)
			}
			var res struct{ AssumedRoleUser struct{ Arn string } }
			if err := json.Unmarshal(so.Bytes(), &res); err != nil ||
				res.AssumedRoleUser.Arn != "arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice" {
				t.Errorf("aws sts assume-role-with-saml = %v\n%s", err, &so)
			}
		})
	}
}

// TestLoginWritesProfile: `samlab login --write-profile` adds a profile to an
// aws CLI config file that already holds other settings, keeping them; the
// aws CLI and the Go SDK then get credentials through its
// credential_process, which runs samlab login again (here the test binary,
// acting as samlab).
func TestLoginWritesProfile(t *testing.T) {
	requireAWSCLI(t)
	up := startUp(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "aws", "config")
	const before = "# my aws settings\n[default]\nregion = eu-west-1\n\n[profile lab]\n; keep this comment\noutput = json\nregion = ap-south-1\n\n" +
		"[profile other]\nsso_session = corp\ns3 =\n  max_concurrent_requests = 20\n"
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(before), 0o640); err != nil {
		t.Fatal(err)
	}
	pw := filepath.Join(dir, "password")
	if err := os.WriteFile(pw, []byte("samlab\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	login := []string{"login", "--idp-url", up.endpoint + scenarios.IDPPrefix, "--endpoint-url", up.endpoint, "--username", "bob",
		"--role", labReadOnly, "--password-file", pw, "--write-profile", "lab", "--config", cfg}

	// A password file others may read is refused, and nothing is written.
	if _, _, err := runIn(t, "", login...); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("login with a 0644 password file = %v, want a refusal naming chmod 600", err)
	}
	if err := os.Chmod(pw, 0o600); err != nil {
		t.Fatal(err)
	}
	// Without a password source a profile could use, nothing is written either.
	if _, _, err := runIn(t, "samlab\n", slices.Concat(login[:len(login)-6], []string{"--password-stdin", "--write-profile", "lab", "--config", cfg})...); err == nil ||
		!strings.Contains(err.Error(), "needs the password from --password-file") {
		t.Errorf("--write-profile with --password-stdin = %v", err)
	}
	if got, _ := os.ReadFile(cfg); string(got) != before {
		t.Fatalf("refused logins changed the config file:\n%s", got)
	}

	out, _, err := runIn(t, "", login...)
	if err != nil {
		t.Fatalf("login --write-profile: %v\n%s", err, out)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	wantProcess := exe + " login --idp-url " + up.endpoint + "/idp --endpoint-url " + up.endpoint + " --region us-east-1 --username bob --role " +
		labReadOnly + " --password-file " + pw + " --format credential-process"
	want := "# my aws settings\n[default]\nregion = eu-west-1\n\n[profile lab]\n; keep this comment\noutput = json\nregion = us-east-1\n" +
		"credential_process = " + wantProcess + "\nendpoint_url = " + up.endpoint + "\n\n" +
		"[profile other]\nsso_session = corp\ns3 =\n  max_concurrent_requests = 20\n"
	got, err := os.ReadFile(cfg)
	if err != nil || string(got) != want {
		t.Fatalf("config file after --write-profile (%v):\n%s\nwant:\n%s", err, got, want)
	}
	if st, _ := os.Stat(cfg); st.Mode().Perm() != 0o640 {
		t.Errorf("config file mode %v, want its own 0640 kept", st.Mode().Perm())
	}
	if !strings.Contains(out, "aws --profile lab --endpoint-url "+up.endpoint+" sts get-caller-identity") {
		t.Errorf("login --write-profile does not say how to use it:\n%s", out)
	}

	// The Debian aws CLI (2.9) reads the credential_process and region from
	// the profile; it predates endpoint_url in profiles, so the endpoint is
	// on the command line (without it, it would call AWS itself).
	env := awsEnv(dir, cfg, runAsSamlabEnv+"=1")
	stdout, stderr, err := runAWS(t, env, "--profile", "lab", "--endpoint-url", up.endpoint, "--output", "json", "sts", "get-caller-identity")
	if err != nil {
		t.Fatalf("aws --profile lab sts get-caller-identity: %v\n%s", err, stderr)
	}
	var who struct{ Arn string }
	if err := json.Unmarshal([]byte(stdout), &who); err != nil || who.Arn != "arn:aws:sts::123456789012:assumed-role/SAMLReadOnly/bob" {
		t.Errorf("aws --profile lab sts get-caller-identity = %v\n%s", err, stdout)
	}

	// The Go SDK reads endpoint_url from the profile too: no override. A
	// transport that refuses anything but loopback keeps a mistake from
	// reaching AWS.
	t.Setenv(runAsSamlabEnv, "1")
	loopbackOnly := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.Proxy = nil
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
				return nil, fmt.Errorf("refusing to dial %s: not loopback", addr)
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}
	})
	sdkCfg, err := config.LoadDefaultConfig(t.Context(), config.WithSharedConfigFiles([]string{cfg}),
		config.WithSharedCredentialsFiles([]string{filepath.Join(dir, "credentials")}), config.WithSharedConfigProfile("lab"),
		config.WithHTTPClient(loopbackOnly))
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	if aws.ToString(sdkCfg.BaseEndpoint) != up.endpoint || sdkCfg.Region != "us-east-1" {
		t.Errorf("SDK config from the profile: endpoint %q, region %q", aws.ToString(sdkCfg.BaseEndpoint), sdkCfg.Region)
	}
	res, err := stssdk.NewFromConfig(sdkCfg).GetCallerIdentity(t.Context(), &stssdk.GetCallerIdentityInput{})
	if err != nil || aws.ToString(res.Arn) != "arn:aws:sts::123456789012:assumed-role/SAMLReadOnly/bob" {
		t.Errorf("SDK GetCallerIdentity with the profile = %v, %v", res, err)
	}

	// Run again with another role: the profile is updated in place.
	login[len(login)-7] = labAdmin
	if _, _, err := runIn(t, "", login...); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(cfg)
	if want := strings.ReplaceAll(want, labReadOnly, labAdmin); string(got) != want {
		t.Errorf("config after a second --write-profile:\n%s\nwant:\n%s", got, want)
	}
}

// TestLoginCredentialProcessNeverPrompts: under --format credential-process
// (which the aws CLI runs without a terminal) a missing password or role is
// an error naming the fix, not a prompt.
func TestLoginCredentialProcessNeverPrompts(t *testing.T) {
	t.Parallel()
	up := startUp(t)
	base := []string{"login", "--idp-url", up.endpoint + "/idp", "--endpoint-url", up.endpoint, "--format", "credential-process"}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--username", "alice"}, "no password: give --password-file FILE or set $SAMLAB_PASSWORD"},
		{[]string{}, "--username is required"},
		{[]string{"--username", "bob", "--password-stdin"}, "the user has 2 roles: choose one with --role"},
		{[]string{"--write-profile", "a b", "--username", "bob"}, "--write-profile prints no credentials"},
	} {
		if _, _, err := runIn(t, "samlab\n", append(base, tt.args...)...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("login %v = %v, want %q", tt.args, err, tt.want)
		}
	}
	if _, _, err := runIn(t, "", "login", "--write-profile", "a b", "--username", "bob"); err == nil ||
		!strings.Contains(err.Error(), `profile name "a b" contains white space`) {
		t.Errorf("--write-profile 'a b' = %v", err)
	}
	// With everything given, it prints the credential_process document.
	out, _, err := runIn(t, "samlab\n", append(base, "--username", "alice", "--password-stdin")...)
	var doc struct {
		Version                                    int
		AccessKeyId, SecretAccessKey, SessionToken string
		Expiration                                 string
	}
	if err != nil || json.Unmarshal([]byte(out), &doc) != nil || doc.Version != 1 || doc.SessionToken == "" || doc.Expiration == "" {
		t.Errorf("credential-process output = %v:\n%s", err, out)
	}
}
