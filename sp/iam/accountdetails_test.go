package iam_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/crypto/bcrypt"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

// TestSDKLoginProfiles drives the login profile operations with the AWS SDK
// for Go v2: AWS's default password policy, PasswordResetRequired, the
// caller as default user, DeleteUser's conflict, and the errors of each.
func TestSDKLoginProfiles(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newIAMServer(t, nil)
	c := s.sdk()
	must(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))(t, "CreateUser")
	must(c.CreateAccountAlias(ctx, &iamsdk.CreateAccountAliasInput{AccountAlias: aws.String("my-lab-2026")}))(t, "CreateAccountAlias")

	violation := "Password does not conform to the account password policy."
	for _, weak := range []string{
		"Sh0rt!",           // 6 characters
		"alllowercase1",    // two kinds of character
		"NOLOWER-OR-DIGIT", // two kinds
		"my-lab-2026",      // the account's name
		"123456789012",     // the account ID
	} {
		_, err := c.CreateLoginProfile(ctx, &iamsdk.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String(weak)})
		wantAPIError(t, "CreateLoginProfile("+weak+")", err, "PasswordPolicyViolation", http.StatusBadRequest, violation)
	}
	_, err := c.CreateLoginProfile(ctx, &iamsdk.CreateLoginProfileInput{UserName: aws.String("alice")})
	wantAPIError(t, "CreateLoginProfile(no password)", err, "ValidationError", http.StatusBadRequest,
		"1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null")
	_, err = c.CreateLoginProfile(ctx, &iamsdk.CreateLoginProfileInput{UserName: aws.String("nobody"), Password: aws.String("Passw0rd!")})
	wantAPIError(t, "CreateLoginProfile(unknown user)", err, "NoSuchEntity", http.StatusNotFound, "The user with name nobody cannot be found.")
	_, err = c.GetLoginProfile(ctx, &iamsdk.GetLoginProfileInput{UserName: aws.String("alice")})
	wantAPIError(t, "GetLoginProfile(none)", err, "NoSuchEntity", http.StatusNotFound, "Login Profile for User alice cannot be found.")

	created := must(c.CreateLoginProfile(ctx, &iamsdk.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("my-lab-2027"),
		PasswordResetRequired: true}))(t, "CreateLoginProfile")
	if lp := created.LoginProfile; aws.ToString(lp.UserName) != "alice" || !lp.PasswordResetRequired || lp.CreateDate == nil ||
		time.Since(*lp.CreateDate) > time.Minute {
		t.Errorf("CreateLoginProfile = %+v", lp)
	}
	u, err := s.account.User("alice")
	if err != nil || u.LoginProfile == nil || bcrypt.CompareHashAndPassword(u.LoginProfile.PasswordHash, []byte("my-lab-2027")) != nil ||
		bcrypt.CompareHashAndPassword(u.LoginProfile.PasswordHash, []byte("my-lab-2028")) == nil {
		t.Errorf("stored login profile does not hold the password's hash: %+v, %v", u, err)
	}
	_, err = c.CreateLoginProfile(ctx, &iamsdk.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Passw0rd!")})
	wantAPIError(t, "CreateLoginProfile(again)", err, "EntityAlreadyExists", http.StatusConflict, "Login Profile for user alice already exists.")
	got := must(c.GetLoginProfile(ctx, &iamsdk.GetLoginProfileInput{UserName: aws.String("alice")}))(t, "GetLoginProfile")
	if lp := got.LoginProfile; aws.ToString(lp.UserName) != "alice" || !lp.PasswordResetRequired || !lp.CreateDate.Equal(*created.LoginProfile.CreateDate) {
		t.Errorf("GetLoginProfile = %+v", lp)
	}

	// UpdateLoginProfile: the reset flag alone, then the password alone.
	must(c.UpdateLoginProfile(ctx, &iamsdk.UpdateLoginProfileInput{UserName: aws.String("alice"), PasswordResetRequired: aws.Bool(false)}))(t, "UpdateLoginProfile(reset)")
	if got := must(c.GetLoginProfile(ctx, &iamsdk.GetLoginProfileInput{UserName: aws.String("alice")}))(t, "GetLoginProfile"); got.LoginProfile.PasswordResetRequired {
		t.Errorf("PasswordResetRequired after update = true")
	}
	_, err = c.UpdateLoginProfile(ctx, &iamsdk.UpdateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("weak")})
	wantAPIError(t, "UpdateLoginProfile(weak)", err, "PasswordPolicyViolation", http.StatusBadRequest, violation)
	must(c.UpdateLoginProfile(ctx, &iamsdk.UpdateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("N3w-password")}))(t, "UpdateLoginProfile(password)")
	if u, _ := s.account.User("alice"); bcrypt.CompareHashAndPassword(u.LoginProfile.PasswordHash, []byte("N3w-password")) != nil || u.LoginProfile.PasswordResetRequired {
		t.Errorf("password or reset flag not as updated: %+v", u.LoginProfile)
	}
	_, err = c.UpdateLoginProfile(ctx, &iamsdk.UpdateLoginProfileInput{UserName: aws.String("nobody"), Password: aws.String("N3w-password")})
	wantAPIError(t, "UpdateLoginProfile(unknown user)", err, "NoSuchEntity", http.StatusNotFound, "The user with name nobody cannot be found.")

	// A user with a password cannot be deleted.
	_, err = c.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("alice")})
	wantAPIError(t, "DeleteUser(login profile)", err, "DeleteConflict", http.StatusConflict, "Cannot delete entity, must delete login profile first.")

	// alice manages her own password, and no one else's.
	self := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetLoginProfile","iam:DeleteLoginProfile","iam:CreateLoginProfile"],` +
		`"Resource":"arn:aws:iam::123456789012:user/${aws:username}"}]}`
	must(c.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("self"), PolicyDocument: aws.String(self)}))(t, "PutUserPolicy")
	must(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bob")}))(t, "CreateUser bob")
	k := must(c.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")}))(t, "CreateAccessKey").AccessKey
	alice := s.sdkAs(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey))
	if own := must(alice.GetLoginProfile(ctx, &iamsdk.GetLoginProfileInput{}))(t, "GetLoginProfile(self)"); aws.ToString(own.LoginProfile.UserName) != "alice" {
		t.Errorf("GetLoginProfile without UserName = %s, want alice", aws.ToString(own.LoginProfile.UserName))
	}
	_, err = alice.CreateLoginProfile(ctx, &iamsdk.CreateLoginProfileInput{UserName: aws.String("bob"), Password: aws.String("Passw0rd!")})
	wantAPIError(t, "CreateLoginProfile(bob) by alice", err, "AccessDenied", http.StatusForbidden,
		"User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:CreateLoginProfile on resource: arn:aws:iam::123456789012:user/bob "+
			"because no identity-based policy allows the iam:CreateLoginProfile action")
	must(alice.DeleteLoginProfile(ctx, &iamsdk.DeleteLoginProfileInput{}))(t, "DeleteLoginProfile(self)")
	_, err = c.GetLoginProfile(ctx, &iamsdk.GetLoginProfileInput{UserName: aws.String("alice")})
	wantAPIError(t, "GetLoginProfile(deleted)", err, "NoSuchEntity", http.StatusNotFound, "Login Profile for User alice cannot be found.")
	_, err = c.DeleteLoginProfile(ctx, &iamsdk.DeleteLoginProfileInput{UserName: aws.String("alice")})
	wantAPIError(t, "DeleteLoginProfile(deleted)", err, "NoSuchEntity", http.StatusNotFound, "Login Profile for User alice cannot be found.")
	_, err = c.UpdateLoginProfile(ctx, &iamsdk.UpdateLoginProfileInput{UserName: aws.String("alice"), PasswordResetRequired: aws.Bool(true)})
	wantAPIError(t, "UpdateLoginProfile(deleted)", err, "NoSuchEntity", http.StatusNotFound, "Login Profile for User alice cannot be found.")

	// The admin key is no stored user: its own login profile is unknown.
	_, err = c.GetLoginProfile(ctx, &iamsdk.GetLoginProfileInput{})
	wantAPIError(t, "GetLoginProfile(admin)", err, "NoSuchEntity", http.StatusNotFound, "The user with name admin cannot be found.")
}

// TestSDKAccountSummary counts what the account holds.
func TestSDKAccountSummary(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newIAMServer(t, nil)
	c := s.sdk()
	before := must(c.GetAccountSummary(ctx, &iamsdk.GetAccountSummaryInput{}))(t, "GetAccountSummary").SummaryMap
	for _, n := range []string{"a", "b", "c"} {
		must(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(n)}))(t, "CreateUser")
	}
	must(c.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("G")}))(t, "CreateGroup")
	must(c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("R"), AssumeRolePolicyDocument: aws.String(trust)}))(t, "CreateRole")
	p := must(c.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(allowDoc("s3:*"))}))(t, "CreatePolicy")
	must(c.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("a"), PolicyArn: p.Policy.Arn}))(t, "attach")
	must(c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("R"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t, "attach")
	must(c.CreateVirtualMFADevice(ctx, &iamsdk.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("spare")}))(t, "CreateVirtualMFADevice")
	must(c.CreateSAMLProvider(ctx, &iamsdk.CreateSAMLProviderInput{Name: aws.String("idp"), SAMLMetadataDocument: aws.String(string(testMetadata(t, certstest.New(), "https://idp.example", 1)))}))(t, "CreateSAMLProvider")

	m := must(c.GetAccountSummary(ctx, &iamsdk.GetAccountSummaryInput{}))(t, "GetAccountSummary").SummaryMap
	want := map[string]int32{"Users": 3, "Groups": 1, "Roles": before["Roles"] + 1, "Policies": 1, "PolicyVersionsInUse": 2,
		"MFADevices": 1, "MFADevicesInUse": 0, "Providers": before["Providers"] + 1,
		"UsersQuota": 5000, "GroupsQuota": 300, "PoliciesQuota": 1500, "PolicySizeQuota": 6144, "VersionsPerPolicyQuota": 5,
		"AccessKeysPerUserQuota": 2, "GroupsPerUserQuota": 10, "AttachedPoliciesPerRoleQuota": 10, "UserPolicySizeQuota": 2048,
		"GroupPolicySizeQuota": 5120, "RolePolicySizeQuota": 10240, "AssumeRolePolicySizeQuota": 2048, "AccountMFAEnabled": 0}
	for k, v := range want {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("SummaryMap[%s] = %d (present %v), want %d", k, got, ok, v)
		}
	}
	if len(m) != 34 {
		t.Errorf("SummaryMap has %d keys, want the model's 34", len(m))
	}
}

// TestSDKAccountAuthorizationDetails lists the account's users, groups,
// roles and policies with their policies and versions, filtered and paged.
func TestSDKAccountAuthorizationDetails(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a := iam.NewAccount(iam.Config{})
	s := newIAMServer(t, a)
	c := s.sdk()
	must(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/eng/"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("dev")}}}))(t, "CreateUser")
	must(c.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("Developers")}))(t, "CreateGroup")
	must(c.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("Developers"), UserName: aws.String("alice")}))(t, "AddUserToGroup")
	must(c.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("own"), PolicyDocument: aws.String(allowDoc("s3:GetObject"))}))(t, "PutUserPolicy")
	must(c.PutGroupPolicy(ctx, &iamsdk.PutGroupPolicyInput{GroupName: aws.String("Developers"), PolicyName: aws.String("g"), PolicyDocument: aws.String(allowDoc("s3:ListBucket"))}))(t, "PutGroupPolicy")
	p := must(c.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("dev"), PolicyDocument: aws.String(allowDoc("s3:PutObject"))}))(t, "CreatePolicy")
	must(c.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: p.Policy.Arn, PolicyDocument: aws.String(allowDoc("s3:*")), SetAsDefault: true}))(t, "CreatePolicyVersion")
	must(c.AttachGroupPolicy(ctx, &iamsdk.AttachGroupPolicyInput{GroupName: aws.String("Developers"), PolicyArn: p.Policy.Arn}))(t, "AttachGroupPolicy")
	must(c.PutUserPermissionsBoundary(ctx, &iamsdk.PutUserPermissionsBoundaryInput{UserName: aws.String("alice"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/PowerUserAccess")}))(t, "boundary")
	must(c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("Dev"), AssumeRolePolicyDocument: aws.String(trust)}))(t, "CreateRole")
	must(c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("Dev"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t, "AttachRolePolicy")
	must(c.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("Dev"), PolicyName: aws.String("r"), PolicyDocument: aws.String(allowDoc("s3:GetObject"))}))(t, "PutRolePolicy")

	d := must(c.GetAccountAuthorizationDetails(ctx, &iamsdk.GetAccountAuthorizationDetailsInput{}))(t, "GetAccountAuthorizationDetails")
	if d.IsTruncated || len(d.UserDetailList) != 1 || len(d.GroupDetailList) != 1 || len(d.RoleDetailList) != len(a.Roles()) {
		t.Fatalf("details: %d users, %d groups, %d roles, truncated %v", len(d.UserDetailList), len(d.GroupDetailList), len(d.RoleDetailList), d.IsTruncated)
	}
	u := d.UserDetailList[0]
	if aws.ToString(u.UserName) != "alice" || aws.ToString(u.Path) != "/eng/" || !slices.Equal(u.GroupList, []string{"Developers"}) ||
		len(u.UserPolicyList) != 1 || aws.ToString(u.UserPolicyList[0].PolicyName) != "own" || len(u.Tags) != 1 ||
		u.PermissionsBoundary == nil || aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn) != "arn:aws:iam::aws:policy/PowerUserAccess" {
		t.Errorf("UserDetail = %+v", u)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(u.UserPolicyList[0].PolicyDocument)); doc != allowDoc("s3:GetObject") {
		t.Errorf("user inline policy document = %q", doc)
	}
	g := d.GroupDetailList[0]
	if aws.ToString(g.GroupName) != "Developers" || len(g.GroupPolicyList) != 1 || len(g.AttachedManagedPolicies) != 1 ||
		aws.ToString(g.AttachedManagedPolicies[0].PolicyArn) != aws.ToString(p.Policy.Arn) {
		t.Errorf("GroupDetail = %+v", g)
	}
	var dev *types.RoleDetail
	for i := range d.RoleDetailList {
		if aws.ToString(d.RoleDetailList[i].RoleName) == "Dev" {
			dev = &d.RoleDetailList[i]
		}
	}
	if dev == nil || len(dev.RolePolicyList) != 1 || len(dev.AttachedManagedPolicies) != 1 || dev.AssumeRolePolicyDocument == nil {
		t.Errorf("RoleDetail of Dev = %+v", dev)
	}
	// The customer policy with both versions, and the AWS managed policies
	// in use (ReadOnlyAccess attached, PowerUserAccess as a boundary).
	var names []string
	for _, mp := range d.Policies {
		names = append(names, aws.ToString(mp.PolicyName))
		if aws.ToString(mp.PolicyName) != "dev" {
			continue
		}
		var vs []string
		for _, v := range mp.PolicyVersionList {
			doc, _ := url.QueryUnescape(aws.ToString(v.Document))
			vs = append(vs, aws.ToString(v.VersionId)+":"+doc)
			if v.IsDefaultVersion != (aws.ToString(v.VersionId) == "v2") {
				t.Errorf("version %s IsDefaultVersion = %v", aws.ToString(v.VersionId), v.IsDefaultVersion)
			}
		}
		if !slices.Equal(vs, []string{"v1:" + allowDoc("s3:PutObject"), "v2:" + allowDoc("s3:*")}) || aws.ToString(mp.DefaultVersionId) != "v2" || aws.ToInt32(mp.AttachmentCount) != 1 {
			t.Errorf("ManagedPolicyDetail dev = %v, default %s, attachments %d", vs, aws.ToString(mp.DefaultVersionId), aws.ToInt32(mp.AttachmentCount))
		}
	}
	if !slices.Equal(names, []string{"PowerUserAccess", "ReadOnlyAccess", "dev"}) {
		t.Errorf("Policies = %v, want PowerUserAccess, ReadOnlyAccess, dev", names)
	}

	// Filter.
	f := must(c.GetAccountAuthorizationDetails(ctx, &iamsdk.GetAccountAuthorizationDetailsInput{
		Filter: []types.EntityType{types.EntityTypeGroup, types.EntityTypeLocalManagedPolicy}}))(t, "filtered")
	if len(f.UserDetailList) != 0 || len(f.RoleDetailList) != 0 || len(f.GroupDetailList) != 1 || len(f.Policies) != 1 {
		t.Errorf("Filter Group,LocalManagedPolicy: %d users, %d groups, %d roles, %d policies", len(f.UserDetailList), len(f.GroupDetailList), len(f.RoleDetailList), len(f.Policies))
	}

	// Paged one item at a time, everything comes back once.
	total := len(d.UserDetailList) + len(d.GroupDetailList) + len(d.RoleDetailList) + len(d.Policies)
	seen := 0
	var marker *string
	for range total + 1 {
		page := must(c.GetAccountAuthorizationDetails(ctx, &iamsdk.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(1), Marker: marker}))(t, "paged")
		n := len(page.UserDetailList) + len(page.GroupDetailList) + len(page.RoleDetailList) + len(page.Policies)
		if n != 1 {
			t.Fatalf("page of MaxItems 1 has %d items", n)
		}
		seen++
		if !page.IsTruncated {
			break
		}
		marker = page.Marker
	}
	if seen != total {
		t.Errorf("paging saw %d items, want %d", seen, total)
	}
}

// TestStoreKeepsPolicyVersionsAndLoginProfiles reopens a BoltStore and finds
// policy versions, the default, tags and login profiles as they were, and a
// deleted policy still deleted.
func TestStoreKeepsPolicyVersionsAndLoginProfiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openStore(t, dir)
	a, err := iam.OpenAccount(iam.Config{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	mustOK := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	p, err := a.CreatePolicy(iam.CreatePolicyInput{Name: "kept", Document: allowDoc("s3:GetObject")})
	mustOK(err)
	_, err = a.CreatePolicyVersion(p.ARN, allowDoc("s3:PutObject"), false)
	mustOK(err)
	_, err = a.CreatePolicyVersion(p.ARN, allowDoc("s3:*"), true)
	mustOK(err)
	mustOK(a.DeletePolicyVersion(p.ARN, "v2"))
	mustOK(a.TagPolicy(p.ARN, []awsapi.Tag{{Key: "team", Value: "dev"}}))
	gone, err := a.CreatePolicy(iam.CreatePolicyInput{Name: "gone", Document: allowDoc("s3:GetObject")})
	mustOK(err)
	mustOK(a.DeletePolicy(gone.ARN))
	_, err = a.CreateUser(iam.CreateUserInput{Name: "alice"})
	mustOK(err)
	_, err = a.CreateLoginProfile("alice", "Passw0rd!", true)
	mustOK(err)
	mustOK(s.Close())

	s = openStore(t, dir)
	defer s.Close()
	b, err := iam.OpenAccount(iam.Config{Store: s})
	mustOK(err)
	vs, def, err := b.PolicyVersions(p.ARN)
	mustOK(err)
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.VersionID)
	}
	if !slices.Equal(ids, []string{"v3", "v1"}) || def != "v3" {
		t.Errorf("reopened versions = %v (default %s), want v3, v1 with v3 the default", ids, def)
	}
	if got, _ := b.Policy(p.ARN); got.Document != allowDoc("s3:*") || len(got.Tags) != 1 {
		t.Errorf("reopened default document = %s, tags %v", got.Document, got.Tags)
	}
	if v, err := b.CreatePolicyVersion(p.ARN, allowDoc("s3:ListBucket"), false); err != nil || v.VersionID != "v4" {
		t.Errorf("version created after reopening = %v, %v; want v4", v.VersionID, err)
	}
	if _, err := b.Policy(gone.ARN); err == nil {
		t.Errorf("deleted policy %s is back", gone.ARN)
	}
	lp, err := b.LoginProfileOf("alice")
	if err != nil || !lp.PasswordResetRequired || bcrypt.CompareHashAndPassword(lp.PasswordHash, []byte("Passw0rd!")) != nil {
		t.Errorf("reopened login profile = %+v, %v", lp, err)
	}
	if err := b.DeleteUser("alice"); err == nil {
		t.Errorf("DeleteUser with a stored login profile succeeded")
	}
}
