package iam_test

import (
	"encoding/base32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/sp/iam"
)

// TestAWSCLIIdentities drives every user, group, access key, MFA and
// simulation operation with the real aws CLI v2, and uses a key it created
// to sign the CLI's calls as that user, allowed and refused by the user's
// policies. All in one test: each CLI call costs about a second here.
func TestAWSCLIIdentities(t *testing.T) {
	t.Parallel()
	s := newIAMServer(t, nil)
	admin := s.cli(t)
	run := func(aws func(...string) (map[string]any, string, bool), args ...string) map[string]any {
		t.Helper()
		out, errOut, ok := aws(args...)
		if !ok {
			t.Fatalf("aws %s failed:\n%s", strings.Join(args, " "), errOut)
		}
		return out
	}
	refused := func(aws func(...string) (map[string]any, string, bool), want string, args ...string) {
		t.Helper()
		if _, errOut, ok := aws(args...); ok || !strings.Contains(errOut, want) {
			t.Errorf("aws %s: ok=%v, stderr %q, want %q", strings.Join(args, " "), ok, errOut, want)
		}
	}
	str := func(m map[string]any, path ...string) string {
		var v any = m
		for _, p := range path {
			switch x := v.(type) {
			case map[string]any:
				v = x[p]
			case []any:
				if len(x) == 0 {
					return ""
				}
				v = x[0].(map[string]any)[p]
			}
		}
		s, _ := v.(string)
		return s
	}
	count := func(m map[string]any, key string) int {
		l, _ := m[key].([]any)
		return len(l)
	}
	dir := t.TempDir()

	// The administrator sets up alice in Developers.
	u := run(admin, "iam", "create-user", "--user-name", "alice", "--path", "/eng/", "--tags", "Key=team,Value=dev")
	if str(u, "User", "Arn") != "arn:aws:iam::123456789012:user/eng/alice" {
		t.Errorf("create-user = %v", u)
	}
	run(admin, "iam", "create-group", "--group-name", "Developers")
	run(admin, "iam", "add-user-to-group", "--group-name", "Developers", "--user-name", "alice")
	if g := run(admin, "iam", "get-group", "--group-name", "Developers"); str(g, "Users", "UserName") != "alice" {
		t.Errorf("get-group = %v", g)
	}
	if g := run(admin, "iam", "list-groups-for-user", "--user-name", "alice"); str(g, "Groups", "GroupName") != "Developers" {
		t.Errorf("list-groups-for-user = %v", g)
	}
	run(admin, "iam", "attach-group-policy", "--group-name", "Developers", "--policy-arn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	if l := run(admin, "iam", "list-attached-group-policies", "--group-name", "Developers"); str(l, "AttachedPolicies", "PolicyName") != "IAMReadOnlyAccess" {
		t.Errorf("list-attached-group-policies = %v", l)
	}
	run(admin, "iam", "put-group-policy", "--group-name", "Developers", "--policy-name", "s3", "--policy-document", permissions)
	if l := run(admin, "iam", "list-group-policies", "--group-name", "Developers"); count(l, "PolicyNames") != 1 {
		t.Errorf("list-group-policies = %v", l)
	}
	run(admin, "iam", "get-group-policy", "--group-name", "Developers", "--policy-name", "s3")
	self := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":["iam:*AccessKey*","iam:EnableMFADevice","iam:ResyncMFADevice"],"Resource":"arn:aws:iam::*:user/eng/${aws:username}"},` +
		`{"Effect":"Allow","Action":"iam:CreateVirtualMFADevice","Resource":"arn:aws:iam::*:mfa/${aws:username}"}]}`
	run(admin, "iam", "put-user-policy", "--user-name", "alice", "--policy-name", "self-service", "--policy-document", self)
	if p := run(admin, "iam", "get-user-policy", "--user-name", "alice", "--policy-name", "self-service"); p["PolicyDocument"] == nil {
		t.Errorf("get-user-policy = %v", p)
	}
	if l := run(admin, "iam", "list-user-policies", "--user-name", "alice"); count(l, "PolicyNames") != 1 {
		t.Errorf("list-user-policies = %v", l)
	}
	run(admin, "iam", "attach-user-policy", "--user-name", "alice", "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	if l := run(admin, "iam", "list-attached-user-policies", "--user-name", "alice"); str(l, "AttachedPolicies", "PolicyName") != "ReadOnlyAccess" {
		t.Errorf("list-attached-user-policies = %v", l)
	}
	run(admin, "iam", "detach-user-policy", "--user-name", "alice", "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	k := run(admin, "iam", "create-access-key", "--user-name", "alice")
	keyID, secret := str(k, "AccessKey", "AccessKeyId"), str(k, "AccessKey", "SecretAccessKey")
	if !strings.HasPrefix(keyID, "AKIA") || len(secret) != 40 || str(k, "AccessKey", "Status") != "Active" {
		t.Fatalf("create-access-key = %v", k)
	}
	if l := run(admin, "iam", "list-access-keys", "--user-name", "alice"); str(l, "AccessKeyMetadata", "AccessKeyId") != keyID {
		t.Errorf("list-access-keys = %v", l)
	}

	// alice signs with her new key: her policies decide.
	alice := s.cliAs(t, keyID, secret)
	if me := run(alice, "iam", "get-user"); str(me, "User", "UserName") != "alice" {
		t.Errorf("get-user as alice = %v", me)
	}
	run(alice, "iam", "list-users")
	refused(alice, "An error occurred (AccessDenied) when calling the CreateUser operation: User: arn:aws:iam::123456789012:user/eng/alice "+
		"is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::123456789012:user/mallory because no identity-based policy allows the iam:CreateUser action",
		"iam", "create-user", "--user-name", "mallory")
	seedFile := filepath.Join(dir, "seed.txt")
	d := run(alice, "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "alice", "--outfile", seedFile, "--bootstrap-method", "Base32StringSeed")
	serial := str(d, "VirtualMFADevice", "SerialNumber")
	raw, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || serial != "arn:aws:iam::123456789012:mfa/alice" {
		t.Fatalf("create-virtual-mfa-device: serial %s, seed %q: %v", serial, raw, err)
	}
	qrFile := filepath.Join(dir, "qr.png")
	run(admin, "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "spare", "--outfile", qrFile, "--bootstrap-method", "QRCodePNG")
	if png, err := os.ReadFile(qrFile); err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
		t.Errorf("QR code file: %v", err)
	}
	now := time.Now()
	refused(alice, "An error occurred (InvalidAuthenticationCode) when calling the EnableMFADevice operation: Authentication code for device is not valid.",
		"iam", "enable-mfa-device", "--user-name", "alice", "--serial-number", serial,
		"--authentication-code1", iam.TOTP(seed, now), "--authentication-code2", iam.TOTP(seed, now.Add(-30*time.Second)))
	run(alice, "iam", "enable-mfa-device", "--user-name", "alice", "--serial-number", serial,
		"--authentication-code1", iam.TOTP(seed, now.Add(-30*time.Second)), "--authentication-code2", iam.TOTP(seed, now))
	if l := run(alice, "iam", "list-mfa-devices"); str(l, "MFADevices", "SerialNumber") != serial {
		t.Errorf("list-mfa-devices = %v", l)
	}
	if l := run(admin, "iam", "list-virtual-mfa-devices", "--assignment-status", "Unassigned"); str(l, "VirtualMFADevices", "SerialNumber") != "arn:aws:iam::123456789012:mfa/spare" {
		t.Errorf("list-virtual-mfa-devices Unassigned = %v", l)
	}
	if lu := run(admin, "iam", "get-access-key-last-used", "--access-key-id", keyID); str(lu, "AccessKeyLastUsed", "ServiceName") != "iam" || str(lu, "UserName") != "alice" {
		t.Errorf("get-access-key-last-used = %v", lu)
	}

	// What may alice do to s3:PutObject on a bucket?
	sim := run(admin, "iam", "simulate-principal-policy", "--policy-source-arn", "arn:aws:iam::123456789012:user/eng/alice",
		"--action-names", "s3:ListAllMyBuckets", "s3:PutObject", "--resource-arns", "arn:aws:s3:::reports/q1.csv")
	results, _ := sim["EvaluationResults"].([]any)
	if len(results) != 2 || results[0].(map[string]any)["EvalDecision"] != "allowed" || results[1].(map[string]any)["EvalDecision"] != "implicitDeny" {
		t.Errorf("simulate-principal-policy = %v", sim)
	}
	// The policy goes inline, as in the CLI's own example: with file:// the
	// CLI v2 sends a list member per character of the file.
	mfaPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*",` +
		`"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	custom := run(admin, "iam", "simulate-custom-policy", "--policy-input-list", mfaPolicy, "--action-names", "s3:PutObject",
		"--context-entries", "ContextKeyName=aws:MultiFactorAuthPresent,ContextKeyValues=true,ContextKeyType=boolean")
	if str(custom, "EvaluationResults", "EvalDecision") != "allowed" {
		t.Errorf("simulate-custom-policy with MFA = %v", custom)
	}
	custom = run(admin, "iam", "simulate-custom-policy", "--policy-input-list", mfaPolicy, "--action-names", "s3:PutObject")
	if r, _ := custom["EvaluationResults"].([]any); len(r) != 1 || r[0].(map[string]any)["EvalDecision"] != "implicitDeny" ||
		len(r[0].(map[string]any)["MissingContextValues"].([]any)) != 1 {
		t.Errorf("simulate-custom-policy without MFA = %v", custom)
	}

	// Tags, boundary, rename.
	run(admin, "iam", "tag-user", "--user-name", "alice", "--tags", "Key=cost,Value=42")
	run(admin, "iam", "untag-user", "--user-name", "alice", "--tag-keys", "team")
	if l := run(admin, "iam", "list-user-tags", "--user-name", "alice"); str(l, "Tags", "Key") != "cost" || count(l, "Tags") != 1 {
		t.Errorf("list-user-tags = %v", l)
	}
	run(admin, "iam", "put-user-permissions-boundary", "--user-name", "alice", "--permissions-boundary", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	if g := run(admin, "iam", "get-user", "--user-name", "alice"); str(g, "User", "PermissionsBoundary", "PermissionsBoundaryArn") != "arn:aws:iam::aws:policy/ReadOnlyAccess" {
		t.Errorf("get-user boundary = %v", g)
	}
	refused(alice, "because no permissions boundary allows the iam:CreateAccessKey action", "iam", "create-access-key")
	run(admin, "iam", "delete-user-permissions-boundary", "--user-name", "alice")

	// Disable the key, then tear everything down.
	run(admin, "iam", "update-access-key", "--user-name", "alice", "--access-key-id", keyID, "--status", "Inactive")
	refused(alice, "(InvalidClientTokenId) when calling the GetUser operation: The security token included in the request is invalid.", "iam", "get-user")
	refused(admin, "(DeleteConflict) when calling the DeleteUser operation: Cannot delete entity, must delete access keys first.", "iam", "delete-user", "--user-name", "alice")
	run(admin, "iam", "delete-access-key", "--user-name", "alice", "--access-key-id", keyID)
	run(admin, "iam", "deactivate-mfa-device", "--user-name", "alice", "--serial-number", serial)
	run(admin, "iam", "delete-virtual-mfa-device", "--serial-number", serial)
	run(admin, "iam", "remove-user-from-group", "--group-name", "Developers", "--user-name", "alice")
	run(admin, "iam", "delete-user-policy", "--user-name", "alice", "--policy-name", "self-service")
	run(admin, "iam", "update-user", "--user-name", "alice", "--new-user-name", "alice2")
	run(admin, "iam", "delete-user", "--user-name", "alice2")
	run(admin, "iam", "detach-group-policy", "--group-name", "Developers", "--policy-arn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	run(admin, "iam", "delete-group-policy", "--group-name", "Developers", "--policy-name", "s3")
	run(admin, "iam", "delete-group", "--group-name", "Developers")
	if l := run(admin, "iam", "list-users"); count(l, "Users") != 0 {
		t.Errorf("list-users after teardown = %v", l)
	}
	if l := run(admin, "iam", "list-groups"); count(l, "Groups") != 0 {
		t.Errorf("list-groups after teardown = %v", l)
	}
}
