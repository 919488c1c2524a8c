package iam_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// awsCLI is Debian's aws CLI v2, named explicitly: a pip aws CLI v1 may come
// first on PATH.
const awsCLI = "/usr/bin/aws"

// cli runs the aws CLI against s with the test key and nothing from the
// user's environment.
func (s *iamServer) cli(t *testing.T) func(args ...string) (map[string]any, string, bool) {
	t.Helper()
	return s.cliAs(t, testKeyID, testSecret)
}

// cliAs is cli with the given access key.
func (s *iamServer) cliAs(t *testing.T, keyID, secret string) func(args ...string) (map[string]any, string, bool) {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	if testing.Short() && !ci {
		t.Skip("the aws CLI takes a second per call; skipped with -short outside CI")
	}
	if _, err := os.Stat(awsCLI); err != nil {
		if ci {
			t.Fatalf("%s is required in CI: %v", awsCLI, err)
		}
		t.Skipf("%s not installed: %v", awsCLI, err)
	}
	home := t.TempDir()
	return func(args ...string) (map[string]any, string, bool) {
		t.Helper()
		full := append([]string{"--endpoint-url", s.srv.URL, "--region", "us-east-1", "--output", "json"}, args...)
		cmd := exec.CommandContext(t.Context(), awsCLI, full...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true",
			"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
			"AWS_ACCESS_KEY_ID=" + keyID, "AWS_SECRET_ACCESS_KEY=" + secret}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if _, exit := err.(*exec.ExitError); err != nil && !exit {
			t.Fatalf("run %s: %v", awsCLI, err)
		}
		var out map[string]any
		if err == nil && strings.TrimSpace(stdout.String()) != "" {
			if jerr := json.Unmarshal(stdout.Bytes(), &out); jerr != nil {
				t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), jerr, &stdout)
			}
		}
		return out, stderr.String(), err == nil
	}
}

// TestAWSCLIRolePolicies drives every role-policy, managed-policy, role-tag
// and account-alias operation with the real aws CLI v2.
func TestAWSCLIRolePolicies(t *testing.T) {
	t.Parallel()
	s := newIAMServer(t, nil)
	aws := s.cli(t)
	must := func(args ...string) map[string]any {
		t.Helper()
		out, errOut, ok := aws(args...)
		if !ok {
			t.Fatalf("aws %s failed:\n%s", strings.Join(args, " "), errOut)
		}
		return out
	}
	field := func(m map[string]any, path ...string) any {
		var v any = m
		for _, p := range path {
			mm, _ := v.(map[string]any)
			v = mm[p]
		}
		return v
	}
	must("iam", "create-role", "--role-name", "Dev", "--assume-role-policy-document", trust)
	must("iam", "put-role-policy", "--role-name", "Dev", "--policy-name", "s3", "--policy-document", permissions)
	out := must("iam", "get-role-policy", "--role-name", "Dev", "--policy-name", "s3")
	// The CLI decodes the URL-encoded document into JSON.
	if st, _ := field(out, "PolicyDocument", "Statement").([]any); len(st) != 1 {
		t.Errorf("get-role-policy = %v, want the decoded document", out)
	}
	if out := must("iam", "list-role-policies", "--role-name", "Dev"); len(field(out, "PolicyNames").([]any)) != 1 {
		t.Errorf("list-role-policies = %v", out)
	}
	must("iam", "delete-role-policy", "--role-name", "Dev", "--policy-name", "s3")
	if _, errOut, ok := aws("iam", "get-role-policy", "--role-name", "Dev", "--policy-name", "s3"); ok ||
		!strings.Contains(errOut, "(NoSuchEntity) when calling the GetRolePolicy operation: The role policy with name s3 cannot be found.") {
		t.Errorf("get-role-policy after delete: ok=%v\n%s", ok, errOut)
	}

	pol := must("iam", "create-policy", "--policy-name", "s3-list", "--policy-document", permissions, "--description", "List buckets")
	arn, _ := field(pol, "Policy", "Arn").(string)
	if arn != "arn:aws:iam::123456789012:policy/s3-list" {
		t.Fatalf("create-policy = %v", pol)
	}
	if out := must("iam", "get-policy", "--policy-arn", arn); field(out, "Policy", "Description") != "List buckets" {
		t.Errorf("get-policy = %v", out)
	}
	out = must("iam", "get-policy-version", "--policy-arn", "arn:aws:iam::aws:policy/AdministratorAccess", "--version-id", "v1")
	if field(out, "PolicyVersion", "Document", "Statement") == nil {
		t.Errorf("get-policy-version = %v, want the decoded document", out)
	}
	// --page-size is the server's MaxItems: the CLI follows the Marker of
	// the first page to gather 3 items, then hands out its own NextToken.
	out = must("iam", "list-policies", "--scope", "AWS", "--page-size", "2", "--max-items", "3")
	if len(field(out, "Policies").([]any)) != 3 || field(out, "NextToken") == nil {
		t.Errorf("list-policies --page-size 2 --max-items 3 = %v, want 3 policies and a NextToken", out)
	}
	must("iam", "attach-role-policy", "--role-name", "Dev", "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	must("iam", "attach-role-policy", "--role-name", "Dev", "--policy-arn", arn)
	out = must("iam", "list-attached-role-policies", "--role-name", "Dev")
	if ap := field(out, "AttachedPolicies").([]any); len(ap) != 2 || field(ap[0].(map[string]any), "PolicyName") != "ReadOnlyAccess" {
		t.Errorf("list-attached-role-policies = %v", out)
	}
	must("iam", "detach-role-policy", "--role-name", "Dev", "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	if _, errOut, ok := aws("iam", "delete-role", "--role-name", "Dev"); ok ||
		!strings.Contains(errOut, "(DeleteConflict) when calling the DeleteRole operation: Cannot delete entity, must detach all policies first.") {
		t.Errorf("delete-role with a policy attached: ok=%v\n%s", ok, errOut)
	}

	must("iam", "put-role-permissions-boundary", "--role-name", "Dev", "--permissions-boundary", arn)
	must("iam", "tag-role", "--role-name", "Dev", "--tags", "Key=team,Value=platform", "Key=env,Value=lab")
	must("iam", "untag-role", "--role-name", "Dev", "--tag-keys", "env")
	out = must("iam", "list-role-tags", "--role-name", "Dev")
	if tags := field(out, "Tags").([]any); len(tags) != 1 || field(tags[0].(map[string]any), "Key") != "team" {
		t.Errorf("list-role-tags = %v", out)
	}
	out = must("iam", "update-role-description", "--role-name", "Dev", "--description", "Developers")
	if field(out, "Role", "Description") != "Developers" {
		t.Errorf("update-role-description = %v", out)
	}
	out = must("iam", "get-role", "--role-name", "Dev")
	if field(out, "Role", "PermissionsBoundary", "PermissionsBoundaryArn") != arn {
		t.Errorf("get-role = %v, want the boundary", out)
	}
	must("iam", "delete-role-permissions-boundary", "--role-name", "Dev")

	must("iam", "create-account-alias", "--account-alias", "samlab-demo")
	if out := must("iam", "list-account-aliases"); len(field(out, "AccountAliases").([]any)) != 1 {
		t.Errorf("list-account-aliases = %v", out)
	}
	must("iam", "delete-account-alias", "--account-alias", "samlab-demo")
	if _, errOut, ok := aws("iam", "create-account-alias", "--account-alias", "Samlab--Demo"); ok ||
		!strings.Contains(errOut, "(ValidationError) when calling the CreateAccountAlias operation: 1 validation error detected: "+
			"Value 'Samlab--Demo' at 'accountAlias' failed to satisfy constraint: Member must satisfy regular expression pattern: "+aliasPattern) {
		t.Errorf("create-account-alias with capitals: ok=%v\n%s", ok, errOut)
	}
}
