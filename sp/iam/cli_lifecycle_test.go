package iam_test

import (
	"strings"
	"testing"
)

// TestAWSCLIPolicyLifecycle drives the managed-policy lifecycle, the account
// summary and details, and login profiles with the real aws CLI v2, refusals
// included. All in one test: each CLI call costs about a second here.
func TestAWSCLIPolicyLifecycle(t *testing.T) {
	t.Parallel()
	s := newIAMServer(t, nil)
	aws := s.cli(t)
	run := func(args ...string) map[string]any {
		t.Helper()
		out, errOut, ok := aws(args...)
		if !ok {
			t.Fatalf("aws %s failed:\n%s", strings.Join(args, " "), errOut)
		}
		return out
	}
	refused := func(want string, args ...string) {
		t.Helper()
		if _, errOut, ok := aws(args...); ok || !strings.Contains(errOut, want) {
			t.Errorf("aws %s: ok=%v, stderr %q, want %q", strings.Join(args, " "), ok, errOut, want)
		}
	}
	list := func(m map[string]any, key string) []map[string]any {
		l, _ := m[key].([]any)
		var out []map[string]any
		for _, x := range l {
			if e, ok := x.(map[string]any); ok {
				out = append(out, e)
			}
		}
		return out
	}

	created := run("iam", "create-policy", "--policy-name", "dev", "--policy-document", allowDoc("s3:GetObject"))
	arn, _ := created["Policy"].(map[string]any)["Arn"].(string)
	if arn != "arn:aws:iam::123456789012:policy/dev" {
		t.Fatalf("create-policy = %v", created)
	}
	v := run("iam", "create-policy-version", "--policy-arn", arn, "--policy-document", allowDoc("s3:*"), "--set-as-default")
	if pv, _ := v["PolicyVersion"].(map[string]any); pv["VersionId"] != "v2" || pv["IsDefaultVersion"] != true {
		t.Errorf("create-policy-version = %v", v)
	}
	vs := list(run("iam", "list-policy-versions", "--policy-arn", arn), "Versions")
	if len(vs) != 2 || vs[0]["VersionId"] != "v2" || vs[0]["IsDefaultVersion"] != true || vs[1]["IsDefaultVersion"] != false {
		t.Errorf("list-policy-versions = %v", vs)
	}
	// The CLI decodes the URL-encoded document into JSON.
	got := run("iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v1")
	if doc, _ := got["PolicyVersion"].(map[string]any)["Document"].(map[string]any); doc["Version"] != "2012-10-17" {
		t.Errorf("get-policy-version v1 document = %v", got)
	}
	refused("DeleteConflict", "iam", "delete-policy-version", "--policy-arn", arn, "--version-id", "v2")
	run("iam", "set-default-policy-version", "--policy-arn", arn, "--version-id", "v1")
	run("iam", "delete-policy-version", "--policy-arn", arn, "--version-id", "v2")
	for range 4 {
		run("iam", "create-policy-version", "--policy-arn", arn, "--policy-document", allowDoc("s3:ListBucket"))
	}
	refused("A managed policy can have up to 5 versions", "iam", "create-policy-version", "--policy-arn", arn, "--policy-document", allowDoc("s3:*"))

	run("iam", "create-user", "--user-name", "alice")
	run("iam", "attach-user-policy", "--user-name", "alice", "--policy-arn", arn)
	ents := run("iam", "list-entities-for-policy", "--policy-arn", arn)
	if us := list(ents, "PolicyUsers"); len(us) != 1 || us[0]["UserName"] != "alice" || len(list(ents, "PolicyRoles")) != 0 {
		t.Errorf("list-entities-for-policy = %v", ents)
	}
	refused("Cannot delete a policy attached to entities.", "iam", "delete-policy", "--policy-arn", arn)
	run("iam", "tag-policy", "--policy-arn", arn, "--tags", "Key=team,Value=dev")
	if tags := list(run("iam", "list-policy-tags", "--policy-arn", arn), "Tags"); len(tags) != 1 || tags[0]["Value"] != "dev" {
		t.Errorf("list-policy-tags = %v", tags)
	}
	run("iam", "untag-policy", "--policy-arn", arn, "--tag-keys", "team")

	sum := run("iam", "get-account-summary")
	if m, _ := sum["SummaryMap"].(map[string]any); m["Users"] != float64(1) || m["Policies"] != float64(1) || m["VersionsPerPolicyQuota"] != float64(5) {
		t.Errorf("get-account-summary = %v", sum)
	}
	det := run("iam", "get-account-authorization-details", "--filter", "User", "LocalManagedPolicy")
	users, pols := list(det, "UserDetailList"), list(det, "Policies")
	if len(users) != 1 || users[0]["UserName"] != "alice" || len(pols) != 1 || len(list(det, "RoleDetailList")) != 0 {
		t.Errorf("get-account-authorization-details = %v", det)
	} else if versions, _ := pols[0]["PolicyVersionList"].([]any); len(versions) != 5 {
		t.Errorf("policy versions in details = %d, want 5", len(versions))
	}

	// Login profiles.
	refused("PasswordPolicyViolation", "iam", "create-login-profile", "--user-name", "alice", "--password", "password")
	lp := run("iam", "create-login-profile", "--user-name", "alice", "--password", "Str0ng-pass", "--password-reset-required")
	if p, _ := lp["LoginProfile"].(map[string]any); p["UserName"] != "alice" || p["PasswordResetRequired"] != true {
		t.Errorf("create-login-profile = %v", lp)
	}
	run("iam", "update-login-profile", "--user-name", "alice", "--no-password-reset-required")
	if p, _ := run("iam", "get-login-profile", "--user-name", "alice")["LoginProfile"].(map[string]any); p["PasswordResetRequired"] != false {
		t.Errorf("get-login-profile after update = %v", p)
	}
	run("iam", "detach-user-policy", "--user-name", "alice", "--policy-arn", arn)
	refused("must delete login profile first", "iam", "delete-user", "--user-name", "alice")
	run("iam", "delete-login-profile", "--user-name", "alice")
	refused("Login Profile for User alice cannot be found.", "iam", "get-login-profile", "--user-name", "alice")
	run("iam", "delete-user", "--user-name", "alice")

	refused("This policy has more than one version.", "iam", "delete-policy", "--policy-arn", arn)
	for _, id := range []string{"v3", "v4", "v5", "v6"} {
		run("iam", "delete-policy-version", "--policy-arn", arn, "--version-id", id)
	}
	run("iam", "delete-policy", "--policy-arn", arn)
	refused("NoSuchEntity", "iam", "get-policy", "--policy-arn", arn)
}
