package main

import (
	"encoding/base32"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/sp/iam"
)

// cliCall is one aws CLI command and what it answered.
type cliCall struct {
	env            []string
	args           []string
	stdout, stderr string
	failed         bool
}

// runBatch runs independent aws CLI commands at once: each costs a second or
// two of start-up, and they do not depend on each other.
func runBatch(t *testing.T, endpoint string, calls ...*cliCall) {
	t.Helper()
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := append([]string{"--endpoint-url", endpoint, "--output", "json"}, c.args...)
			stdout, stderr, err := runAWS(t, c.env, args...)
			c.stdout, c.stderr, c.failed = stdout, stderr, err != nil
		}()
	}
	wg.Wait()
}

// ok fails the test unless every call succeeded.
func ok(t *testing.T, calls ...*cliCall) {
	t.Helper()
	for _, c := range calls {
		if c.failed {
			t.Fatalf("aws %s failed:\n%s%s", strings.Join(c.args, " "), c.stdout, c.stderr)
		}
	}
}

// refused checks that a call failed with exactly AWS's error line.
func refused(t *testing.T, c *cliCall, op, code, msg string) {
	t.Helper()
	want := "An error occurred (" + code + ") when calling the " + op + " operation: " + msg
	if !c.failed || strings.TrimSpace(c.stderr) != want {
		t.Errorf("aws %s:\n got (failed %v) %s%s\nwant %s", strings.Join(c.args, " "), c.failed, c.stdout, c.stderr, want)
	}
}

// decode reads a call's JSON answer.
func decode(t *testing.T, c *cliCall, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(c.stdout), v); err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(c.args, " "), err, c.stdout)
	}
}

type cliCreds struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

// TestAWSCLIUserFederation drives STS as IAM users of `samlab up` with
// Debian's aws CLI: the administrator creates the IAM User Guide tutorial's
// Developers and Testers groups, their users, a role whose trust policy
// requires MFA, access keys and a virtual MFA device enabled with codes
// computed from the seed the CLI wrote; then David (Developers) switches to
// the role with his MFA code and is refused without it, Theresa (Testers) is
// refused by her group's explicit deny, GetSessionToken takes David's MFA,
// GetFederationToken needs the permission David has and Theresa lacks, and
// the keys' last use shows STS.
func TestAWSCLIUserFederation(t *testing.T) {
	requireAWSCLI(t)
	t.Parallel()
	up := startUp(t)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgFile, []byte("[default]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	envOf := func(keyID, secret, token string) []string {
		e := awsEnv(dir, cfgFile, "AWS_ACCESS_KEY_ID="+keyID, "AWS_SECRET_ACCESS_KEY="+secret)
		if token != "" {
			e = append(e, "AWS_SESSION_TOKEN="+token)
		}
		return e
	}
	admin := envOf(up.keyID, up.secret, "")
	as := func(env []string, args ...string) *cliCall { return &cliCall{env: env, args: args} }
	const acct = "123456789012"
	roleARN := "arn:aws:iam::" + acct + ":role/UpdateApp"
	serial := "arn:aws:iam::" + acct + ":mfa/David"
	seedFile := filepath.Join(dir, "seed.txt")

	// The groups, users, the role and David's MFA device.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},` +
		`"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	setup := []*cliCall{
		as(admin, "iam", "create-group", "--group-name", "Developers"),
		as(admin, "iam", "create-group", "--group-name", "Testers"),
		as(admin, "iam", "create-user", "--user-name", "David"),
		as(admin, "iam", "create-user", "--user-name", "Theresa"),
		as(admin, "iam", "create-role", "--role-name", "UpdateApp", "--assume-role-policy-document", trust),
		as(admin, "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "David", "--outfile", seedFile,
			"--bootstrap-method", "Base32StringSeed"),
	}
	runBatch(t, up.endpoint, setup...)
	ok(t, setup...)
	b32, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimSpace(string(b32)))
	if err != nil {
		t.Fatalf("seed written by the CLI: %v", err)
	}
	step := func(t time.Time) int64 { return t.Unix() / int64(iam.TOTPStep/time.Second) }
	now := step(time.Now())
	code1 := iam.TOTP(seed, time.Unix((now-2)*int64(iam.TOTPStep/time.Second), 0))
	code2 := iam.TOTP(seed, time.Unix((now-1)*int64(iam.TOTPStep/time.Second), 0))
	last := now - 1 // enabling used the codes of the two steps before now
	// codes hands out codes of strictly later time steps, as an
	// authenticator app's user waiting for the next code does: STS accepts
	// a code once, within a step of the current one.
	code := func() string {
		s := max(step(time.Now()), last+1)
		for s > step(time.Now())+1 {
			time.Sleep(time.Until(time.Unix((s-1)*int64(iam.TOTPStep/time.Second), 0)))
		}
		last = s
		return iam.TOTP(seed, time.Unix(s*int64(iam.TOTPStep/time.Second), 0))
	}

	allowAssume := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + roleARN + `"},` +
		`{"Effect":"Allow","Action":"sts:GetFederationToken","Resource":"arn:aws:sts::` + acct + `:federated-user/${aws:username}-*"}]}`
	denyAssume := `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"` + roleARN + `"}}`
	grant := []*cliCall{
		as(admin, "iam", "add-user-to-group", "--group-name", "Developers", "--user-name", "David"),
		as(admin, "iam", "add-user-to-group", "--group-name", "Testers", "--user-name", "Theresa"),
		as(admin, "iam", "put-group-policy", "--group-name", "Developers", "--policy-name", "allow-assume-S3-role-in-production",
			"--policy-document", allowAssume),
		as(admin, "iam", "put-group-policy", "--group-name", "Testers", "--policy-name", "deny-assume-S3-role-in-production",
			"--policy-document", denyAssume),
		as(admin, "iam", "create-access-key", "--user-name", "David"),
		as(admin, "iam", "create-access-key", "--user-name", "Theresa"),
		as(admin, "iam", "enable-mfa-device", "--user-name", "David", "--serial-number", serial,
			"--authentication-code1", code1, "--authentication-code2", code2),
	}
	runBatch(t, up.endpoint, grant...)
	ok(t, grant...)
	var dk, tk struct{ AccessKey cliCreds }
	decode(t, grant[4], &dk)
	decode(t, grant[5], &tk)
	david := envOf(dk.AccessKey.AccessKeyID, dk.AccessKey.SecretAccessKey, "")
	theresa := envOf(tk.AccessKey.AccessKeyID, tk.AccessKey.SecretAccessKey, "")

	// The users' STS calls. The two calls with MFA codes go one after the
	// other (each code is newer than the last); the rest at once.
	davidUser := "arn:aws:iam::" + acct + ":user/David"
	theresaUser := "arn:aws:iam::" + acct + ":user/Theresa"
	noMFA := as(david, "sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "David")
	tester := as(theresa, "sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "Theresa")
	testerFed := as(theresa, "sts", "get-federation-token", "--name", "Theresa-app")
	whoami := as(david, "sts", "get-caller-identity")
	fed := as(david, "sts", "get-federation-token", "--name", "David-app", "--policy",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
	var withMFA, session *cliCall
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		withMFA = as(david, "sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "David",
			"--serial-number", serial, "--token-code", code())
		runBatch(t, up.endpoint, withMFA)
		session = as(david, "sts", "get-session-token", "--duration-seconds", "3600", "--serial-number", serial, "--token-code", code())
		runBatch(t, up.endpoint, session)
	}()
	runBatch(t, up.endpoint, noMFA, tester, testerFed, whoami, fed)
	wg.Wait()

	refused(t, noMFA, "AssumeRole", "AccessDenied", "User: "+davidUser+" is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
	refused(t, tester, "AssumeRole", "AccessDenied", "User: "+theresaUser+" is not authorized to perform: sts:AssumeRole on resource: "+roleARN+
		" with an explicit deny in an identity-based policy")
	refused(t, testerFed, "GetFederationToken", "AccessDenied", "User: "+theresaUser+
		" is not authorized to perform: sts:GetFederationToken on resource: arn:aws:sts::"+acct+
		":federated-user/Theresa-app because no identity-based policy allows the sts:GetFederationToken action")
	ok(t, whoami, withMFA, session, fed)
	var who struct{ Arn string }
	decode(t, whoami, &who)
	if who.Arn != davidUser {
		t.Errorf("David's key is %s", who.Arn)
	}
	var role struct {
		Credentials     cliCreds
		AssumedRoleUser struct{ Arn string }
	}
	decode(t, withMFA, &role)
	if role.AssumedRoleUser.Arn != "arn:aws:sts::"+acct+":assumed-role/UpdateApp/David" {
		t.Errorf("AssumeRole with MFA: %s", withMFA.stdout)
	}
	var st struct{ Credentials cliCreds }
	decode(t, session, &st)
	var ft struct {
		Credentials   cliCreds
		FederatedUser struct{ Arn, FederatedUserId string }
	}
	decode(t, fed, &ft)
	if ft.FederatedUser.Arn != "arn:aws:sts::"+acct+":federated-user/David-app" || ft.FederatedUser.FederatedUserId != acct+":David-app" {
		t.Errorf("GetFederationToken: %s", fed.stdout)
	}

	// The credentials issued work, and STS calls count as the keys' use.
	asRole := as(envOf(role.Credentials.AccessKeyID, role.Credentials.SecretAccessKey, role.Credentials.SessionToken), "sts", "get-caller-identity")
	asSession := as(envOf(st.Credentials.AccessKeyID, st.Credentials.SecretAccessKey, st.Credentials.SessionToken), "sts", "get-caller-identity")
	asFed := as(envOf(ft.Credentials.AccessKeyID, ft.Credentials.SecretAccessKey, ft.Credentials.SessionToken), "sts", "get-caller-identity")
	// The session from GetSessionToken with MFA may switch to the role
	// without another code: it carries the MFA.
	chained := as(envOf(st.Credentials.AccessKeyID, st.Credentials.SecretAccessKey, st.Credentials.SessionToken),
		"sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "David-again")
	used := as(admin, "iam", "get-access-key-last-used", "--access-key-id", tk.AccessKey.AccessKeyID)
	runBatch(t, up.endpoint, asRole, asSession, asFed, chained, used)
	ok(t, asRole, asSession, asFed, chained, used)
	for _, c := range []struct {
		call *cliCall
		arn  string
	}{
		{asRole, "arn:aws:sts::" + acct + ":assumed-role/UpdateApp/David"},
		{asSession, davidUser},
		{asFed, "arn:aws:sts::" + acct + ":federated-user/David-app"},
	} {
		var w struct{ Arn string }
		decode(t, c.call, &w)
		if w.Arn != c.arn {
			t.Errorf("get-caller-identity = %s, want %s", w.Arn, c.arn)
		}
	}
	var lu struct {
		UserName          string
		AccessKeyLastUsed struct{ ServiceName, Region, LastUsedDate string }
	}
	decode(t, used, &lu)
	if lu.UserName != "Theresa" || lu.AccessKeyLastUsed.ServiceName != "sts" || lu.AccessKeyLastUsed.Region != "us-east-1" || lu.AccessKeyLastUsed.LastUsedDate == "" {
		t.Errorf("Theresa's key after her (refused) STS calls: %s", used.stdout)
	}
}
