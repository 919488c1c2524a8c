package iam_test

import (
	"errors"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/policy"
	"github.com/samlab-dev/samlab/sp/sts"
)

// The account is what STS asks about MFA devices and users' policies.
var (
	_ sts.MFA          = (*iam.Account)(nil)
	_ sts.UserPolicies = (*iam.Account)(nil)
)

func TestVerifyTOTP(t *testing.T) {
	t.Parallel()
	clock := time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC)
	a := iam.NewAccount(iam.Config{Now: func() time.Time { return clock }})
	alice, err := a.CreateUser(iam.CreateUserInput{Name: "alice", Path: "/dev/"})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := a.CreateUser(iam.CreateUserInput{Name: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := a.CreateVirtualMFADevice("/", "alice-phone", nil)
	if err != nil {
		t.Fatal(err)
	}
	spare, _, err := a.CreateVirtualMFADevice("/", "spare", nil)
	if err != nil {
		t.Fatal(err)
	}
	now := clock.Add(5 * time.Minute) // STS passes its own time
	if dev, _ := a.VerifyTOTP(alice.ARN, d.SerialNumber, iam.TOTP(d.Seed, now), now); dev {
		t.Error("a device not yet enabled is the user's")
	}
	if err := a.EnableMFADevice("alice", d.SerialNumber, iam.TOTP(d.Seed, clock.Add(-30*time.Second)), iam.TOTP(d.Seed, clock)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what, user, serial, code string
		device, valid            bool
	}{
		{"another user", bob.ARN, d.SerialNumber, iam.TOTP(d.Seed, now), false, false},
		{"the user's ARN without its path", "arn:aws:iam::" + a.ID() + ":user/alice", d.SerialNumber, iam.TOTP(d.Seed, now), false, false},
		{"an unassigned device", alice.ARN, spare.SerialNumber, iam.TOTP(spare.Seed, now), false, false},
		{"an unknown serial", alice.ARN, d.SerialNumber + "x", iam.TOTP(d.Seed, now), false, false},
		{"a code two steps old", alice.ARN, d.SerialNumber, iam.TOTP(d.Seed, now.Add(-time.Minute)), true, false},
		{"a code two steps ahead", alice.ARN, d.SerialNumber, iam.TOTP(d.Seed, now.Add(time.Minute)), true, false},
		{"the previous step's code", alice.ARN, d.SerialNumber, iam.TOTP(d.Seed, now.Add(-30*time.Second)), true, true},
		{"the previous step's code again", alice.ARN, d.SerialNumber, iam.TOTP(d.Seed, now.Add(-30*time.Second)), true, false},
		{"the current code", alice.ARN, d.SerialNumber, iam.TOTP(d.Seed, now), true, true},
		{"the current code again", alice.ARN, d.SerialNumber, iam.TOTP(d.Seed, now), true, false},
		{"a wrong code", alice.ARN, d.SerialNumber, "000000", true, iam.TOTP(d.Seed, now.Add(30*time.Second)) == "000000"},
	} {
		dev, valid := a.VerifyTOTP(c.user, c.serial, c.code, now)
		if dev != c.device || valid != c.valid {
			t.Errorf("%s: device %v valid %v, want %v %v", c.what, dev, valid, c.device, c.valid)
		}
	}
	// A code accepted by STS cannot enable or be replayed after a
	// deactivation either: the device remembers the step.
	if err := a.DeactivateMFADevice("alice", d.SerialNumber); err != nil {
		t.Fatal(err)
	}
	if dev, _ := a.VerifyTOTP(alice.ARN, d.SerialNumber, iam.TOTP(d.Seed, now.Add(30*time.Second)), now); dev {
		t.Error("a deactivated device is still the user's")
	}
}

func TestUserPolicies(t *testing.T) {
	t.Parallel()
	a := iam.NewAccount(iam.Config{})
	u, err := a.CreateUser(iam.CreateUserInput{Name: "dev1"})
	if err != nil {
		t.Fatal(err)
	}
	role := "arn:aws:iam::" + a.ID() + ":role/UpdateApp"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = a.CreateGroup("Developers", "/")
	must(err)
	must(a.AddUserToGroup("Developers", "dev1"))
	must(a.PutGroupPolicy("Developers", "assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+role+`"}]}`))
	must(a.PutUserPolicy("dev1", "no-federation", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:GetFederationToken","Resource":"*"}]}`))
	must(a.AttachUserPolicy("dev1", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"))

	decide := func(action, resource string) policy.Decision {
		t.Helper()
		identity, boundary, err := a.UserPolicies(u.ARN)
		if err != nil {
			t.Fatalf("UserPolicies: %v", err)
		}
		return policy.Evaluate(policy.Input{Request: policy.Request{Principal: policy.Principal{ARN: u.ARN, Account: a.ID()},
			Action: action, Resource: resource}, Identity: identity, Boundary: boundary})
	}
	fedUser := "arn:aws:sts::" + a.ID() + ":federated-user/x"
	for _, c := range []struct {
		action, resource string
		allowed          bool
	}{
		{"sts:AssumeRole", role, true}, // the group's policy
		{"sts:AssumeRole", "arn:aws:iam::" + a.ID() + ":role/Other", false},
		{"iam:ListUsers", "*", true},               // the attached managed policy
		{"sts:GetFederationToken", fedUser, false}, // the user's explicit deny
		{"iam:CreateUser", "arn:aws:iam::" + a.ID() + ":user/x", false},
	} {
		if d := decide(c.action, c.resource); d.Allowed != c.allowed {
			t.Errorf("%s on %s: allowed %v, want %v (%s)", c.action, c.resource, d.Allowed, c.allowed, d)
		}
	}
	if d := decide("sts:GetFederationToken", fedUser); d.Message() != "User: "+u.ARN+" is not authorized to perform: sts:GetFederationToken on resource: "+fedUser+" with an explicit deny in an identity-based policy" {
		t.Errorf("explicit deny message: %s", d.Message())
	}

	// The boundary limits the group's allow.
	must(a.PutUserPermissionsBoundary("dev1", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"))
	if d := decide("sts:AssumeRole", role); d.Allowed {
		t.Errorf("AssumeRole outside the boundary allowed: %s", d)
	}
	if _, b, _ := a.UserPolicies(u.ARN); b == nil {
		t.Error("no boundary returned")
	}
	// Removed from the group, the user loses its policy.
	must(a.DeleteUserPermissionsBoundary("dev1"))
	must(a.RemoveUserFromGroup("Developers", "dev1"))
	if d := decide("sts:AssumeRole", role); d.Allowed {
		t.Errorf("AssumeRole allowed after leaving the group: %s", d)
	}

	// Unknown users have nothing; a named administrator that is not a user
	// has AdministratorAccess, and a stored user of that ARN does not.
	admin := "arn:aws:iam::" + a.ID() + ":user/lab-admin"
	if id, b, err := a.UserPolicies(admin); id != nil || b != nil || err != nil {
		t.Errorf("unknown user: %v %v %v", id, b, err)
	}
	a.SetAdministrators(admin)
	id, _, err := a.UserPolicies(admin)
	if err != nil || len(id) != 1 || id[0].Name != "arn:aws:iam::aws:policy/AdministratorAccess" {
		t.Fatalf("administrator: %v %v", id, err)
	}
	if _, err := a.CreateUser(iam.CreateUserInput{Name: "lab-admin"}); err != nil {
		t.Fatal(err)
	}
	if id, _, err := a.UserPolicies(admin); err != nil || len(id) != 0 {
		t.Errorf("stored user named like the administrator: %v %v", id, err)
	}
}

// A stored policy sp/policy cannot read refuses the user's STS calls rather
// than being skipped, since it could hold a Deny.
func TestUserPoliciesUnreadableFailsClosed(t *testing.T) {
	t.Parallel()
	a := iam.NewAccount(iam.Config{})
	u, err := a.CreateUser(iam.CreateUserInput{Name: "dev1"})
	if err != nil {
		t.Fatal(err)
	}
	mp, err := a.CreatePolicy(iam.CreatePolicyInput{Name: "regex",
		Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringMatchesRegex":{"aws:username":".*"}}}]}`})
	if err != nil {
		t.Fatalf("CreatePolicy: %v (if IAM now refuses such documents, this path is unreachable for managed policies)", err)
	}
	if err := a.AttachUserPolicy("dev1", mp.ARN); err != nil {
		t.Fatal(err)
	}
	id, b, err := a.UserPolicies(u.ARN)
	var ae *awsapi.Error
	if !errors.As(err, &ae) || ae.Code != awsapi.CodeAccessDenied || ae.Status != 403 || id != nil || b != nil {
		t.Errorf("UserPolicies with an unreadable policy = %v %v %v, want AccessDenied", id, b, err)
	}
}
