package scenarios_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/awsapi"
)

// prod is the second account of the two-account lab: the IAM User Guide
// tutorial's Production account; the lab's own account is Development.
const prod = "111122223333"

// twoAccounts is a lab serving its own account and prod on one endpoint.
type twoAccounts struct {
	*awsLab
	prodAdmin scenarios.AdminKey
	prodLab   *scenarios.Lab
}

func newTwoAccounts(t *testing.T) *twoAccounts {
	t.Helper()
	cfg := labConfig()
	cfg.AccountID = prod
	peer, err := scenarios.NewLab(cfg)
	if err != nil {
		t.Fatalf("NewLab %s: %v", prod, err)
	}
	key, err := scenarios.NewAdminKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	l := newAWSLab(t, func(c *scenarios.ServerConfig) {
		c.Accounts = []scenarios.Account{{Lab: peer, Admin: key}}
	})
	return &twoAccounts{awsLab: l, prodAdmin: key, prodLab: peer}
}

func (l *twoAccounts) prodCreds() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(l.prodAdmin.AccessKeyID, l.prodAdmin.SecretAccessKey, "")
}

func static(c aws.Credentials) aws.CredentialsProvider {
	return credentials.StaticCredentialsProvider{Value: c}
}

// userKey creates an IAM user with a group policy in the account of admin
// and returns the user's access key.
func userKey(t *testing.T, iamc *iamsdk.Client, name, groupPolicy string) aws.Credentials {
	t.Helper()
	ctx := t.Context()
	if _, err := iamc.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("CreateUser %s: %v", name, err)
	}
	if groupPolicy != "" {
		group := name + "-group"
		if _, err := iamc.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String(group)}); err != nil {
			t.Fatalf("CreateGroup: %v", err)
		}
		if _, err := iamc.PutGroupPolicy(ctx, &iamsdk.PutGroupPolicyInput{GroupName: aws.String(group),
			PolicyName: aws.String("p"), PolicyDocument: aws.String(groupPolicy)}); err != nil {
			t.Fatalf("PutGroupPolicy: %v", err)
		}
		if _, err := iamc.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String(group), UserName: aws.String(name)}); err != nil {
			t.Fatalf("AddUserToGroup: %v", err)
		}
	}
	out, err := iamc.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateAccessKey: %v", err)
	}
	return aws.Credentials{AccessKeyID: aws.ToString(out.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(out.AccessKey.SecretAccessKey)}
}

func allowAssume(roleARN string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + roleARN + `"}]}`
}

// TestSDKAccountsIsolated: two accounts on one endpoint each answer with
// their own identity, users and roles; a key of one account is unknown to
// the other's state, and every event names the account that served it.
func TestSDKAccountsIsolated(t *testing.T) {
	t.Parallel()
	l := newTwoAccounts(t)
	ctx := t.Context()
	for _, tt := range []struct {
		creds aws.CredentialsProvider
		want  string
	}{
		{l.adminCreds(), "arn:aws:iam::" + acct + ":user/" + scenarios.AdminUserName},
		{l.prodCreds(), "arn:aws:iam::" + prod + ":user/" + scenarios.AdminUserName},
	} {
		out, err := l.stsClient(tt.creds).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
		if err != nil || aws.ToString(out.Arn) != tt.want || aws.ToString(out.Account) != tt.want[13:25] {
			t.Errorf("GetCallerIdentity = %v, %v; want %s", out, err, tt.want)
		}
	}
	dev := l.iamClient(l.adminCreds())
	if _, err := dev.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("David")}); err != nil {
		t.Fatalf("CreateUser in %s: %v", acct, err)
	}
	prodIAM := l.iamClient(l.prodCreds())
	_, err := prodIAM.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("David")})
	wantAPIError(t, "GetUser of the other account's user", err, "NoSuchEntity", 404, "The user with name David cannot be found.")
	users, err := prodIAM.ListUsers(ctx, &iamsdk.ListUsersInput{})
	if err != nil || len(users.Users) != 0 {
		t.Errorf("ListUsers in %s = %v, %v; want none", prod, users, err)
	}
	// The same name in both accounts is two users.
	out, err := prodIAM.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("David")})
	if err != nil || aws.ToString(out.User.Arn) != "arn:aws:iam::"+prod+":user/David" {
		t.Fatalf("CreateUser David in %s = %v, %v", prod, out, err)
	}
	roles, err := prodIAM.ListRoles(ctx, &iamsdk.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles.Roles {
		if got := aws.ToString(r.Arn); got[13:25] != prod {
			t.Errorf("ListRoles in %s lists %s", prod, got)
		}
	}
	// A user's key belongs to its account.
	key := userKey(t, prodIAM, "Maria", "")
	who, err := l.stsClient(static(key)).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:iam::"+prod+":user/Maria" {
		t.Errorf("GetCallerIdentity of Maria's key = %v, %v", who, err)
	}
	info, err := l.stsClient(l.adminCreds()).GetAccessKeyInfo(ctx, &stssdk.GetAccessKeyInfoInput{AccessKeyId: aws.String(key.AccessKeyID)})
	if err != nil || aws.ToString(info.Account) != prod {
		t.Errorf("GetAccessKeyInfo of Maria's key = %v, %v; want %s", info, err, prod)
	}
	byAccount := map[string]int{}
	for _, e := range l.events.Events() {
		if e.UserIdentity.AccountID != "" && e.RecipientAccountID != e.UserIdentity.AccountID {
			t.Errorf("event %s by %s has recipientAccountId %q", e.EventName, e.UserIdentity.ARN, e.RecipientAccountID)
		}
		byAccount[e.RecipientAccountID]++
	}
	if byAccount[acct] == 0 || byAccount[prod] == 0 {
		t.Errorf("events per recipient account = %v, want both accounts", byAccount)
	}
}

// TestSDKCrossAccountAssumeRole: a user of the development account assumes
// a role of the production account only when both sides allow it: its
// identity-based policy in its account and the role's trust policy, naming
// the account's root, in the other; an ExternalId condition guards the
// confused deputy; the session belongs to the role's account.
func TestSDKCrossAccountAssumeRole(t *testing.T) {
	t.Parallel()
	l := newTwoAccounts(t)
	ctx := t.Context()
	prodIAM, devIAM := l.iamClient(l.prodCreds()), l.iamClient(l.adminCreds())
	mkRole := func(name, trust string) string {
		out, err := prodIAM.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
		if err != nil {
			t.Fatalf("CreateRole %s: %v", name, err)
		}
		return aws.ToString(out.Role.Arn)
	}
	updateApp := mkRole("UpdateApp", trustDoc("arn:aws:iam::"+acct+":root", `"sts:AssumeRole"`, ""))
	other := mkRole("TrustsSomeoneElse", trustDoc("arn:aws:iam::444455556666:root", `"sts:AssumeRole"`, ""))
	deputy := mkRole("Deputy", trustDoc(acct, `"sts:AssumeRole"`, `{"StringEquals":{"sts:ExternalId":"Unique-1234"}}`))
	if _, err := prodIAM.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("UpdateApp"), PolicyName: aws.String("list"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	all := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::*:role/*"}]}`
	david := l.stsClient(static(userKey(t, devIAM, "David", all)))
	nobody := l.stsClient(static(userKey(t, devIAM, "Nobody", "")))
	assume := func(c *stssdk.Client, role string, extID *string) (*stssdk.AssumeRoleOutput, error) {
		return c.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s1"), ExternalId: extID})
	}

	out, err := assume(david, updateApp, nil)
	if err != nil {
		t.Fatalf("cross-account AssumeRole allowed by both sides: %v", err)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::"+prod+":assumed-role/UpdateApp/s1" {
		t.Errorf("AssumedRoleUser = %s", got)
	}
	session := static(credsOf(out.Credentials))
	who, err := l.stsClient(session).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Account) != prod || aws.ToString(who.Arn) != "arn:aws:sts::"+prod+":assumed-role/UpdateApp/s1" {
		t.Errorf("GetCallerIdentity of the session = %v, %v; want the role's account %s", who, err, prod)
	}
	roles, err := l.iamClient(session).ListRoles(ctx, &iamsdk.ListRolesInput{})
	if err != nil || !hasRole(roles.Roles, updateApp) {
		t.Errorf("ListRoles with the session = %v, %v; want the production account's roles", roles, err)
	}
	_, err = l.iamClient(session).ListUsers(ctx, &iamsdk.ListUsersInput{})
	wantAPIError(t, "session's IAM call its role does not allow", err, "AccessDenied", 403,
		"User: arn:aws:sts::"+prod+":assumed-role/UpdateApp/s1 is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::"+prod+
			":user/ because no identity-based policy allows the iam:ListUsers action")

	_, err = assume(nobody, updateApp, nil)
	wantAPIError(t, "no identity-based policy in the caller's account", err, "AccessDenied", 403,
		"User: arn:aws:iam::"+acct+":user/Nobody is not authorized to perform: sts:AssumeRole on resource: "+updateApp+
			" because no identity-based policy allows the sts:AssumeRole action")
	_, err = assume(david, other, nil)
	var ae interface{ ErrorMessage() string }
	if !errors.As(err, &ae) || ae.ErrorMessage() != "User: arn:aws:iam::"+acct+":user/David is not authorized to perform: sts:AssumeRole on resource: "+other {
		t.Errorf("trust policy of another account: %v", err)
	}
	_, err = assume(david, "arn:aws:iam::999999999999:role/UpdateApp", nil)
	if !errors.As(err, &ae) || ae.ErrorMessage() != "User: arn:aws:iam::"+acct+":user/David is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::999999999999:role/UpdateApp" {
		t.Errorf("role of an account not served: %v", err)
	}
	// The confused deputy: only the ExternalId the role expects.
	for _, id := range []*string{nil, aws.String("Guessed-0000")} {
		if _, err := assume(david, deputy, id); !errors.As(err, &ae) {
			t.Errorf("Deputy with ExternalId %v: %v, want AccessDenied", aws.ToString(id), err)
		}
	}
	if _, err := assume(david, deputy, aws.String("Unique-1234")); err != nil {
		t.Errorf("Deputy with its ExternalId: %v", err)
	}
	// Chaining back: the production session assumes a development role that
	// trusts the production account.
	devRole, err := devIAM.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("Back"),
		AssumeRolePolicyDocument: aws.String(trustDoc("arn:aws:sts::"+prod+":assumed-role/UpdateApp/s1", `"sts:AssumeRole"`, ""))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prodIAM.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("UpdateApp"), PolicyName: aws.String("back"),
		PolicyDocument: aws.String(allowAssume(aws.ToString(devRole.Role.Arn)))}); err != nil {
		t.Fatal(err)
	}
	back, err := assume(l.stsClient(session), aws.ToString(devRole.Role.Arn), nil)
	if err != nil || aws.ToString(back.AssumedRoleUser.Arn) != "arn:aws:sts::"+acct+":assumed-role/Back/s1" {
		t.Errorf("chained AssumeRole back into %s = %v, %v", acct, back, err)
	}
	// The first, allowed AssumeRole is recorded in both accounts, as
	// CloudTrail does: the same call (shared event ID, request ID), two
	// event IDs; a refused one in the caller's account only.
	var allowed, refused []awsapi.Event
	for _, e := range l.events.Events() {
		if e.EventName == "AssumeRole" && e.UserIdentity.ARN == "arn:aws:iam::"+acct+":user/David" &&
			e.RequestParameters["roleArn"] == updateApp {
			allowed = append(allowed, e)
		}
		if e.EventName == "AssumeRole" && e.RequestParameters["roleArn"] == other {
			refused = append(refused, e)
		}
	}
	if len(allowed) != 2 || allowed[0].RecipientAccountID != acct || allowed[1].RecipientAccountID != prod ||
		allowed[0].SharedEventID == "" || allowed[0].SharedEventID != allowed[1].SharedEventID ||
		allowed[0].EventID == allowed[1].EventID || allowed[0].RequestID != allowed[1].RequestID {
		t.Errorf("events of David's AssumeRole into %s = %+v, want one per account sharing an event ID", prod, allowed)
	}
	if len(refused) != 1 || refused[0].RecipientAccountID != acct || refused[0].SharedEventID != "" {
		t.Errorf("events of the refused AssumeRole = %+v, want one, in %s", refused, acct)
	}
}

func hasRole(roles []iamtypes.Role, arn string) bool {
	for _, r := range roles {
		if aws.ToString(r.Arn) == arn {
			return true
		}
	}
	return false
}
