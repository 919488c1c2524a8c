package scenarios_test

import (
	"strings"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/sp/sts"
)

// cliCreds is the credential triple awsCLIRunner takes.
type cliCreds = [3]string

type cliCredentials struct {
	Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
}

func (c cliCredentials) triple() cliCreds {
	return cliCreds{c.Credentials.AccessKeyId, c.Credentials.SecretAccessKey, c.Credentials.SessionToken}
}

// wantCLIError runs a failing aws command and checks the CLI's error line.
func wantCLIError(t *testing.T, cli *awsCLIRunner, creds cliCreds, want string, args ...string) {
	t.Helper()
	_, errOut, ok := cli.run(creds, args...)
	if ok || !strings.Contains(errOut, want) {
		t.Errorf("aws %s: ok=%v stderr %q, want %q", strings.Join(args, " "), ok, errOut, want)
	}
}

// TestAWSCLIFederation drives every STS operation of role and user
// federation with Debian's aws CLI v2: assume-role (ExternalId, MFA, role
// chaining and its one-hour cap), get-session-token, get-federation-token,
// get-access-key-info, and AWSRevokeOlderSessions written with iam
// put-role-policy.
func TestAWSCLIFederation(t *testing.T) {
	t.Parallel()
	l := newFedLab(t, nil)
	cli := newAWSCLI(t, l.srv.URL)
	admin := cliCreds{l.admin.AccessKeyID, l.admin.SecretAccessKey, ""}
	root := "arn:aws:iam::" + acct + ":root"
	src := l.createRole(t, "Source", trustDoc(adminARN, `["sts:AssumeRole","sts:TagSession"]`, ""), 7200)
	ext := l.createRole(t, "Vendor", trustDoc(root, `"sts:AssumeRole"`, `{"StringEquals":{"sts:ExternalId":"Example-1234"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), 3600)
	next := l.createRole(t, "Next", trustDoc(src, `["sts:AssumeRole","sts:TagSession"]`, ""), 43200)

	var ar struct {
		cliCredentials
		AssumedRoleUser struct{ Arn, AssumedRoleId string }
	}
	cli.mustJSON(admin, &ar, "sts", "assume-role", "--role-arn", src, "--role-session-name", "cli",
		"--duration-seconds", "7200", "--tags", "Key=team,Value=red", "--transitive-tag-keys", "team")
	if ar.AssumedRoleUser.Arn != "arn:aws:sts::"+acct+":assumed-role/Source/cli" || ar.Credentials.SessionToken == "" {
		t.Fatalf("assume-role = %+v", ar)
	}
	wantCLIError(t, cli, admin, "An error occurred (AccessDenied) when calling the AssumeRole operation: User: "+adminARN+
		" is not authorized to perform: sts:AssumeRole on resource: "+ext, "sts", "assume-role", "--role-arn", ext, "--role-session-name", "v1")
	code := totp(l.mfa.secret, l.lab.Clock.Now())
	cli.mustJSON(admin, nil, "sts", "assume-role", "--role-arn", ext, "--role-session-name", "v1", "--external-id", "Example-1234",
		"--serial-number", l.mfa.serial, "--token-code", code)

	chain := ar.triple()
	wantCLIError(t, cli, chain, "An error occurred (ValidationError) when calling the AssumeRole operation: The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
		"sts", "assume-role", "--role-arn", next, "--role-session-name", "hop", "--duration-seconds", "7200")
	wantCLIError(t, cli, chain, "An error occurred (ValidationError) when calling the AssumeRole operation: One or more of the specified session tags conflict with inherited transitive session tags.",
		"sts", "assume-role", "--role-arn", next, "--role-session-name", "hop", "--tags", "Key=Team,Value=blue")
	var hop struct{ AssumedRoleUser struct{ Arn string } }
	cli.mustJSON(chain, &hop, "sts", "assume-role", "--role-arn", next, "--role-session-name", "hop")
	if hop.AssumedRoleUser.Arn != "arn:aws:sts::"+acct+":assumed-role/Next/hop" {
		t.Errorf("chained assume-role = %+v", hop)
	}

	var gst cliCredentials
	cli.mustJSON(admin, &gst, "sts", "get-session-token", "--duration-seconds", "900")
	if exp, err := time.Parse(time.RFC3339, gst.Credentials.Expiration); err != nil || exp.Sub(l.lab.Clock.Now()) > 15*time.Minute {
		t.Errorf("get-session-token Expiration %q, want 15 minutes ahead", gst.Credentials.Expiration)
	}
	wantCLIError(t, cli, gst.triple(), "An error occurred (AccessDenied) when calling the GetSessionToken operation: Cannot call GetSessionToken with session credentials",
		"sts", "get-session-token")
	var gft struct {
		cliCredentials
		FederatedUser struct{ Arn, FederatedUserId string }
	}
	cli.mustJSON(admin, &gft, "sts", "get-federation-token", "--name", "bob",
		"--policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`)
	if gft.FederatedUser.Arn != "arn:aws:sts::"+acct+":federated-user/bob" || gft.FederatedUser.FederatedUserId != acct+":bob" {
		t.Errorf("get-federation-token = %+v", gft.FederatedUser)
	}
	var who struct{ Arn string }
	cli.mustJSON(gft.triple(), &who, "sts", "get-caller-identity")
	if who.Arn != gft.FederatedUser.Arn {
		t.Errorf("get-caller-identity of the federated user = %q", who.Arn)
	}
	wantCLIError(t, cli, chain, "An error occurred (AccessDenied) when calling the GetFederationToken operation: Cannot call GetFederationToken with session credentials",
		"sts", "get-federation-token", "--name", "bob")
	var info struct{ Account string }
	cli.mustJSON(admin, &info, "sts", "get-access-key-info", "--access-key-id", gft.Credentials.AccessKeyId)
	if info.Account != acct {
		t.Errorf("get-access-key-info = %q, want %s", info.Account, acct)
	}

	enc, err := l.lab.Federation.EncodeAuthorizationMessage(&sts.Caller{ARN: adminARN, UserID: "AIDAEXAMPLE", Account: acct},
		"ec2:RunInstances", "*", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	var dec struct{ DecodedMessage string }
	cli.mustJSON(admin, &dec, "sts", "decode-authorization-message", "--encoded-message", enc)
	if !strings.Contains(dec.DecodedMessage, `"action":"ec2:RunInstances"`) {
		t.Errorf("decode-authorization-message = %q", dec.DecodedMessage)
	}

	// The console's "Revoke active sessions": sessions issued before now
	// are refused on their next call.
	l.lab.Clock.Advance(2 * time.Second)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["*"],"Resource":["*"],"Condition":{"DateLessThan":{"aws:TokenIssueTime":"` +
		l.lab.Clock.Now().UTC().Format(time.RFC3339) + `"}}}]}`
	cli.mustJSON(admin, nil, "iam", "put-role-policy", "--role-name", "Source", "--policy-name", "AWSRevokeOlderSessions", "--policy-document", doc)
	wantCLIError(t, cli, chain, "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:sts::"+acct+
		":assumed-role/Source/cli is not authorized to perform: sts:AssumeRole on resource: "+next+" with an explicit deny in an identity-based policy",
		"sts", "assume-role", "--role-arn", next, "--role-session-name", "hop")
}
