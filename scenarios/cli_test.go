package scenarios_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/scenarios"
)

// awsCLI is Debian's aws CLI v2. It is named explicitly: an aws CLI v1 from
// pip may come first on PATH.
const awsCLI = "/usr/bin/aws"

// awsCLIRunner runs the real aws CLI against a lab, with nothing from the
// user's environment or ~/.aws leaking in.
type awsCLIRunner struct {
	t        *testing.T
	endpoint string
	home     string
}

func newAWSCLI(t *testing.T, endpoint string) *awsCLIRunner {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	if testing.Short() && !ci {
		t.Skip("the aws CLI takes seconds per call; skipped with -short outside CI")
	}
	if _, err := os.Stat(awsCLI); err != nil {
		if ci {
			t.Fatalf("%s is required in CI: %v", awsCLI, err)
		}
		t.Skipf("%s not installed: %v", awsCLI, err)
	}
	return &awsCLIRunner{t: t, endpoint: endpoint, home: t.TempDir()}
}

// run runs aws with the given credentials and arguments and returns its
// stdout, stderr and whether it succeeded.
func (c *awsCLIRunner) run(creds [3]string, args ...string) (string, string, bool) {
	c.t.Helper()
	full := append([]string{"--endpoint-url", c.endpoint, "--region", "us-east-1", "--output", "json"}, args...)
	cmd := exec.CommandContext(c.t.Context(), awsCLI, full...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + c.home, "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(c.home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(c.home, "credentials"),
		"AWS_ACCESS_KEY_ID=" + creds[0], "AWS_SECRET_ACCESS_KEY=" + creds[1]}
	if creds[2] != "" {
		cmd.Env = append(cmd.Env, "AWS_SESSION_TOKEN="+creds[2])
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			c.t.Fatalf("run %s: %v", awsCLI, err)
		}
	}
	return stdout.String(), stderr.String(), err == nil
}

func (c *awsCLIRunner) mustJSON(creds [3]string, v any, args ...string) {
	c.t.Helper()
	out, errOut, ok := c.run(creds, args...)
	if !ok {
		c.t.Fatalf("aws %s failed:\n%s", strings.Join(args, " "), errOut)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			c.t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestAWSCLIStory is the federation story through the real aws CLI v2:
// create-saml-provider from a file, assume-role-with-saml, the rotation
// failure, update-saml-provider, and get-caller-identity with the issued
// credentials.
func TestAWSCLIStory(t *testing.T) {
	t.Parallel()
	l := newAWSLab(t, nil)
	cli := newAWSCLI(t, l.srv.URL)
	admin := [3]string{l.admin.AccessKeyID, l.admin.SecretAccessKey, ""}
	dir := t.TempDir()
	writeFile := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return "file://" + p
	}

	var created struct{ SAMLProviderArn string }
	cli.mustJSON(admin, &created, "iam", "create-saml-provider", "--name", scenarios.DefaultProviderName,
		"--saml-metadata-document", writeFile("metadata.xml", l.metadata(t)))
	if created.SAMLProviderArn != l.lab.ProviderARN {
		t.Fatalf("create-saml-provider ARN = %q, want %q", created.SAMLProviderArn, l.lab.ProviderARN)
	}
	var got struct{ SAMLMetadataDocument, CreateDate, ValidUntil string }
	cli.mustJSON(admin, &got, "iam", "get-saml-provider", "--saml-provider-arn", l.lab.ProviderARN)
	if got.SAMLMetadataDocument != l.metadata(t) || got.CreateDate == "" {
		t.Errorf("get-saml-provider = %+v, want the uploaded metadata", got)
	}

	assume := func() (string, string, bool) {
		return cli.run([3]string{}, "sts", "assume-role-with-saml", "--role-arn", l.lab.RoleARN,
			"--principal-arn", l.lab.ProviderARN,
			"--saml-assertion", writeFile("assertion.b64", l.samlResponse(t, l.lab.Users[scenarios.DefaultUser])))
	}
	if _, errOut, ok := assume(); !ok {
		t.Fatalf("assume-role-with-saml failed:\n%s", errOut)
	}
	if _, err := l.lab.IDP.Rotate(); err != nil {
		t.Fatal(err)
	}
	_, errOut, ok := assume()
	if ok || !strings.Contains(errOut, "(InvalidIdentityToken)") || !strings.Contains(errOut, "Response signature invalid") {
		t.Fatalf("assume-role-with-saml after rotation: ok=%v stderr %q, want InvalidIdentityToken: Response signature invalid", ok, errOut)
	}
	cli.mustJSON(admin, nil, "iam", "update-saml-provider", "--saml-provider-arn", l.lab.ProviderARN,
		"--saml-metadata-document", writeFile("metadata2.xml", l.metadata(t)))
	out, errOut, ok := assume()
	if !ok {
		t.Fatalf("assume-role-with-saml after update-saml-provider failed:\n%s", errOut)
	}
	var res struct {
		Credentials     struct{ AccessKeyId, SecretAccessKey, SessionToken string }
		AssumedRoleUser struct{ Arn string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("assume-role-with-saml output: %v\n%s", err, out)
	}
	var who struct{ Arn, Account, UserId string }
	cli.mustJSON([3]string{res.Credentials.AccessKeyId, res.Credentials.SecretAccessKey, res.Credentials.SessionToken},
		&who, "sts", "get-caller-identity")
	if who.Arn != res.AssumedRoleUser.Arn || who.Account != scenarios.DefaultAccountID ||
		!strings.HasSuffix(who.Arn, ":assumed-role/"+scenarios.DefaultRoleName+"/"+scenarios.DefaultUser) {
		t.Errorf("get-caller-identity = %+v, want the assumed role %s", who, res.AssumedRoleUser.Arn)
	}
	if _, errOut, ok := cli.run([3]string{l.admin.AccessKeyID, "wrong", ""}, "sts", "get-caller-identity"); ok ||
		!strings.Contains(errOut, "(SignatureDoesNotMatch)") {
		t.Errorf("get-caller-identity with a wrong secret: ok=%v stderr %q, want SignatureDoesNotMatch", ok, errOut)
	}
}
