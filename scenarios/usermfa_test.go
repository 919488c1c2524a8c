package scenarios_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/samlab-dev/samlab/sp/iam"
)

// TestLabDefaultsToAccountUsers: a lab built without MFA or UserPolicies
// checks an IAM user's AssumeRole against the user's group policy and the
// user's enabled virtual MFA device, refuses it on an explicit deny (but
// never GetCallerIdentity or GetSessionToken), and still takes the admin user's lab
// MFA devices of enable-mfa steps.
func TestLabDefaultsToAccountUsers(t *testing.T) {
	t.Parallel()
	l := newRegisteredLab(t, labConfig())
	a, now := l.lab.Account, l.lab.Clock.Now
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := a.CreateUser(iam.CreateUserInput{Name: "David"})
	must(err)
	_, err = a.CreateGroup("Developers", "/")
	must(err)
	must(a.AddUserToGroup("Developers", "David"))
	role, err := a.CreateRole(iam.CreateRoleInput{Name: "UpdateApp", AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
		`"Principal":{"AWS":"arn:aws:iam::` + a.ID() + `:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`})
	must(err)
	d, _, err := a.CreateVirtualMFADevice("/", "David", nil)
	must(err)
	must(a.EnableMFADevice("David", d.SerialNumber, iam.TOTP(d.Seed, now().Add(-2*iam.TOTPStep)), iam.TOTP(d.Seed, now().Add(-iam.TOTPStep))))
	k, err := a.CreateAccessKey("David")
	must(err)
	david := l.stsClient(credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, ""))
	assume := func() error {
		_, err := david.AssumeRole(t.Context(), &stssdk.AssumeRoleInput{RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("David"),
			SerialNumber: aws.String(d.SerialNumber), TokenCode: aws.String(iam.TOTP(d.Seed, now()))})
		return err
	}
	var ae smithy.APIError
	if err := assume(); !errors.As(err, &ae) || ae.ErrorMessage() != "User: arn:aws:iam::"+a.ID()+":user/David is not authorized to perform: "+
		"sts:AssumeRole on resource: "+role.ARN+" because no identity-based policy allows the sts:AssumeRole action" {
		t.Errorf("AssumeRole before the group may = %v", err)
	}
	must(a.PutGroupPolicy("Developers", "assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+role.ARN+`"}]}`))
	l.lab.Clock.Advance(iam.TOTPStep) // the refused call used the current code
	if err := assume(); err != nil {
		t.Errorf("AssumeRole with the group's policy and the device's code: %v", err)
	}
	if err := assume(); !errors.As(err, &ae) || ae.ErrorMessage() != "MultiFactorAuthentication failed with invalid MFA one time pass code." {
		t.Errorf("AssumeRole with the same code again = %v", err)
	}
	// An explicit deny of everything refuses the switch; GetCallerIdentity
	// and GetSessionToken are never refused by a policy (STS API reference).
	must(a.PutUserPolicy("David", "deny-all", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`))
	l.lab.Clock.Advance(iam.TOTPStep)
	if err := assume(); !errors.As(err, &ae) || ae.ErrorMessage() != "User: arn:aws:iam::"+a.ID()+":user/David is not authorized to perform: "+
		"sts:AssumeRole on resource: "+role.ARN+" with an explicit deny in an identity-based policy" {
		t.Errorf("AssumeRole denied by the user's policy = %v", err)
	}
	if _, err := david.GetCallerIdentity(t.Context(), &stssdk.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity with a deny-all policy: %v", err)
	}
	if _, err := david.GetSessionToken(t.Context(), &stssdk.GetSessionTokenInput{}); err != nil {
		t.Errorf("GetSessionToken with a deny-all policy: %v", err)
	}
	if err := l.lab.EnableMFA("admin-phone"); err != nil {
		t.Errorf("enable-mfa for the admin user: %v", err)
	}
}
