package iam_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/samlab-dev/samlab/sp/iam"
)

// sdkAs is an SDK client signing with the given access key.
func (s *iamServer) sdkAs(keyID, secret string) *iamsdk.Client {
	cfg := s.sdkConfig()
	cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}, nil
	})
	return iamsdk.NewFromConfig(cfg, func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(s.srv.URL) })
}

// must takes a call's results and returns a check that fails the test when
// the call failed, and otherwise returns its value:
// must(c.GetUser(ctx, in))(t, "GetUser").
func must[T any](v T, err error) func(t *testing.T, what string) T {
	return func(t *testing.T, what string) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// TestSDKUsersAndGroups drives the user and group operations with the AWS
// SDK for Go v2: paths, tags, renames, membership, paging, and AWS's errors
// and conflicts.
func TestSDKUsersAndGroups(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newIAMServer(t, nil)
	c := s.sdk()

	out := must(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/engineering/"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("dev")}}}))(t, "CreateUser")
	u := out.User
	if aws.ToString(u.Arn) != "arn:aws:iam::123456789012:user/engineering/alice" || aws.ToString(u.Path) != "/engineering/" ||
		!strings.HasPrefix(aws.ToString(u.UserId), "AIDA") || len(aws.ToString(u.UserId)) != 21 || u.CreateDate == nil || len(u.Tags) != 1 {
		t.Errorf("CreateUser = %+v", u)
	}
	_, err := c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")})
	wantAPIError(t, "CreateUser twice", err, "EntityAlreadyExists", http.StatusConflict, "User with name alice already exists.")
	_, err = c.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("nobody")})
	wantAPIError(t, "GetUser unknown", err, "NoSuchEntity", http.StatusNotFound, "The user with name nobody cannot be found.")
	_, err = c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("eve"), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:policy/none")})
	wantAPIError(t, "CreateUser unknown boundary", err, "NoSuchEntity", http.StatusNotFound,
		"Scope ARN: arn:aws:iam::123456789012:policy/none does not exist or is not attachable.")

	for _, n := range []string{"bob", "carol", "dave"} {
		must(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(n)}))(t, "CreateUser "+n)
	}
	// Paging: two users a page, in name order.
	var names []string
	p := iamsdk.NewListUsersPaginator(c, &iamsdk.ListUsersInput{MaxItems: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page := must(p.NextPage(ctx))(t, "ListUsers")
		pages++
		for _, u := range page.Users {
			names = append(names, aws.ToString(u.UserName))
			if u.Tags != nil {
				t.Errorf("ListUsers shows tags of %s; AWS leaves them out", aws.ToString(u.UserName))
			}
		}
	}
	if pages != 2 || !slices.Equal(names, []string{"alice", "bob", "carol", "dave"}) {
		t.Errorf("ListUsers pages = %d, users %v", pages, names)
	}
	if l := must(c.ListUsers(ctx, &iamsdk.ListUsersInput{PathPrefix: aws.String("/engineering")}))(t, "ListUsers prefix"); len(l.Users) != 1 {
		t.Errorf("ListUsers PathPrefix /engineering = %d users, want 1", len(l.Users))
	}

	// Tags.
	must(c.TagUser(ctx, &iamsdk.TagUserInput{UserName: aws.String("alice"),
		Tags: []types.Tag{{Key: aws.String("cost-center"), Value: aws.String("42")}, {Key: aws.String("team"), Value: aws.String("ops")}}}))(t, "TagUser")
	must(c.UntagUser(ctx, &iamsdk.UntagUserInput{UserName: aws.String("alice"), TagKeys: []string{"cost-center"}}))(t, "UntagUser")
	tags := must(c.ListUserTags(ctx, &iamsdk.ListUserTagsInput{UserName: aws.String("alice")}))(t, "ListUserTags")
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "ops" {
		t.Errorf("ListUserTags = %+v, want team=ops", tags.Tags)
	}

	// Groups and membership.
	g := must(c.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("Developers")}))(t, "CreateGroup").Group
	if aws.ToString(g.Arn) != "arn:aws:iam::123456789012:group/Developers" || !strings.HasPrefix(aws.ToString(g.GroupId), "AGPA") {
		t.Errorf("CreateGroup = %+v", g)
	}
	_, err = c.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("Developers")})
	wantAPIError(t, "CreateGroup twice", err, "EntityAlreadyExists", http.StatusConflict, "Group with name Developers already exists.")
	must(c.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("Admins"), Path: aws.String("/ops/")}))(t, "CreateGroup Admins")
	for _, n := range []string{"alice", "bob"} {
		must(c.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("Developers"), UserName: aws.String(n)}))(t, "AddUserToGroup "+n)
	}
	must(c.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("Developers"), UserName: aws.String("alice")}))(t, "AddUserToGroup again")
	must(c.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("Admins"), UserName: aws.String("alice")}))(t, "AddUserToGroup Admins")
	_, err = c.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("Nope"), UserName: aws.String("alice")})
	wantAPIError(t, "AddUserToGroup unknown group", err, "NoSuchEntity", http.StatusNotFound, "The group with name Nope cannot be found.")
	gg := must(c.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("Developers")}))(t, "GetGroup")
	if len(gg.Users) != 2 || aws.ToString(gg.Users[0].UserName) != "alice" || aws.ToString(gg.Group.GroupName) != "Developers" {
		t.Errorf("GetGroup = %+v", gg)
	}
	if gp := must(c.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("Developers"), MaxItems: aws.Int32(1)}))(t, "GetGroup paged"); !gp.IsTruncated || len(gp.Users) != 1 || gp.Marker == nil {
		t.Errorf("GetGroup MaxItems 1 = truncated %v, %d users", gp.IsTruncated, len(gp.Users))
	}
	gfu := must(c.ListGroupsForUser(ctx, &iamsdk.ListGroupsForUserInput{UserName: aws.String("alice")}))(t, "ListGroupsForUser")
	if len(gfu.Groups) != 2 || aws.ToString(gfu.Groups[0].GroupName) != "Admins" {
		t.Errorf("ListGroupsForUser = %+v", gfu.Groups)
	}
	if lg := must(c.ListGroups(ctx, &iamsdk.ListGroupsInput{PathPrefix: aws.String("/ops/")}))(t, "ListGroups"); len(lg.Groups) != 1 {
		t.Errorf("ListGroups /ops/ = %d groups, want 1", len(lg.Groups))
	}
	_, err = c.DeleteGroup(ctx, &iamsdk.DeleteGroupInput{GroupName: aws.String("Admins")})
	wantAPIError(t, "DeleteGroup with members", err, "DeleteConflict", http.StatusConflict, "Cannot delete entity, must remove users from group first.")
	_, err = c.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("alice")})
	wantAPIError(t, "DeleteUser in groups", err, "DeleteConflict", http.StatusConflict, "Cannot delete entity, must remove users from group first.")
	must(c.RemoveUserFromGroup(ctx, &iamsdk.RemoveUserFromGroupInput{GroupName: aws.String("Admins"), UserName: aws.String("alice")}))(t, "RemoveUserFromGroup")
	must(c.DeleteGroup(ctx, &iamsdk.DeleteGroupInput{GroupName: aws.String("Admins")}))(t, "DeleteGroup")

	// Rename: membership follows.
	must(c.UpdateUser(ctx, &iamsdk.UpdateUserInput{UserName: aws.String("bob"), NewUserName: aws.String("robert"), NewPath: aws.String("/ops/")}))(t, "UpdateUser")
	r := must(c.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("robert")}))(t, "GetUser robert").User
	if aws.ToString(r.Arn) != "arn:aws:iam::123456789012:user/ops/robert" {
		t.Errorf("renamed user ARN = %s", aws.ToString(r.Arn))
	}
	if gg := must(c.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("Developers")}))(t, "GetGroup after rename"); aws.ToString(gg.Users[1].UserName) != "robert" {
		t.Errorf("Developers after rename = %v", gg.Users)
	}
	_, err = c.UpdateUser(ctx, &iamsdk.UpdateUserInput{UserName: aws.String("robert"), NewUserName: aws.String("alice")})
	wantAPIError(t, "UpdateUser to a taken name", err, "EntityAlreadyExists", http.StatusConflict, "User with name alice already exists.")

	// Quota: ten groups per user.
	for i := range 10 {
		name := fmt.Sprintf("g%d", i)
		must(c.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String(name)}))(t, "CreateGroup")
		if i < 9 {
			must(c.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String(name), UserName: aws.String("carol")}))(t, "AddUserToGroup")
		}
	}
	must(c.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("Developers"), UserName: aws.String("carol")}))(t, "AddUserToGroup 10th")
	_, err = c.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("g9"), UserName: aws.String("carol")})
	wantAPIError(t, "AddUserToGroup 11th", err, "LimitExceeded", http.StatusConflict, "Cannot exceed quota for GroupsPerUser: 10")

	must(c.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("dave")}))(t, "DeleteUser")
	_, err = c.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("dave")})
	wantAPIError(t, "GetUser deleted", err, "NoSuchEntity", http.StatusNotFound, "The user with name dave cannot be found.")
}

// TestSDKUserAndGroupPolicies drives inline and managed policies of users
// and groups and user permissions boundaries.
func TestSDKUserAndGroupPolicies(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newIAMServer(t, nil)
	c := s.sdk()
	must(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))(t, "CreateUser")
	must(c.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("Developers")}))(t, "CreateGroup")

	must(c.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("s3"), PolicyDocument: aws.String(permissions)}))(t, "PutUserPolicy")
	gp := must(c.GetUserPolicy(ctx, &iamsdk.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("s3")}))(t, "GetUserPolicy")
	if doc, _ := url.QueryUnescape(aws.ToString(gp.PolicyDocument)); doc != permissions || aws.ToString(gp.UserName) != "alice" {
		t.Errorf("GetUserPolicy = %s %q", aws.ToString(gp.UserName), doc)
	}
	if l := must(c.ListUserPolicies(ctx, &iamsdk.ListUserPoliciesInput{UserName: aws.String("alice")}))(t, "ListUserPolicies"); !slices.Equal(l.PolicyNames, []string{"s3"}) {
		t.Errorf("ListUserPolicies = %v", l.PolicyNames)
	}
	_, err := c.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("big"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("b", 2000) + `"}]}`)})
	wantAPIError(t, "PutUserPolicy over 2048", err, "LimitExceeded", http.StatusConflict, "Maximum policy size of 2048 bytes exceeded for user alice")
	_, err = c.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Statement":`)})
	wantAPIError(t, "PutUserPolicy malformed", err, "MalformedPolicyDocument", http.StatusBadRequest, "Syntax errors in policy.")
	_, err = c.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("alice")})
	wantAPIError(t, "DeleteUser with a policy", err, "DeleteConflict", http.StatusConflict, "Cannot delete entity, must delete policies first.")
	must(c.DeleteUserPolicy(ctx, &iamsdk.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("s3")}))(t, "DeleteUserPolicy")
	_, err = c.GetUserPolicy(ctx, &iamsdk.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("s3")})
	wantAPIError(t, "GetUserPolicy deleted", err, "NoSuchEntity", http.StatusNotFound, "The user policy with name s3 cannot be found.")

	must(c.PutGroupPolicy(ctx, &iamsdk.PutGroupPolicyInput{GroupName: aws.String("Developers"), PolicyName: aws.String("s3"), PolicyDocument: aws.String(permissions)}))(t, "PutGroupPolicy")
	if g := must(c.GetGroupPolicy(ctx, &iamsdk.GetGroupPolicyInput{GroupName: aws.String("Developers"), PolicyName: aws.String("s3")}))(t, "GetGroupPolicy"); aws.ToString(g.GroupName) != "Developers" {
		t.Errorf("GetGroupPolicy = %+v", g)
	}
	if l := must(c.ListGroupPolicies(ctx, &iamsdk.ListGroupPoliciesInput{GroupName: aws.String("Developers")}))(t, "ListGroupPolicies"); len(l.PolicyNames) != 1 {
		t.Errorf("ListGroupPolicies = %v", l.PolicyNames)
	}
	_, err = c.DeleteGroup(ctx, &iamsdk.DeleteGroupInput{GroupName: aws.String("Developers")})
	wantAPIError(t, "DeleteGroup with a policy", err, "DeleteConflict", http.StatusConflict, "Cannot delete entity, must delete policies first.")
	must(c.DeleteGroupPolicy(ctx, &iamsdk.DeleteGroupPolicyInput{GroupName: aws.String("Developers"), PolicyName: aws.String("s3")}))(t, "DeleteGroupPolicy")
	_, err = c.GetGroupPolicy(ctx, &iamsdk.GetGroupPolicyInput{GroupName: aws.String("Developers"), PolicyName: aws.String("s3")})
	wantAPIError(t, "GetGroupPolicy deleted", err, "NoSuchEntity", http.StatusNotFound, "The group policy with name s3 cannot be found.")

	ro := "arn:aws:iam::aws:policy/ReadOnlyAccess"
	must(c.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(ro)}))(t, "AttachUserPolicy")
	must(c.AttachGroupPolicy(ctx, &iamsdk.AttachGroupPolicyInput{GroupName: aws.String("Developers"), PolicyArn: aws.String(ro)}))(t, "AttachGroupPolicy")
	if l := must(c.ListAttachedUserPolicies(ctx, &iamsdk.ListAttachedUserPoliciesInput{UserName: aws.String("alice")}))(t, "ListAttachedUserPolicies"); len(l.AttachedPolicies) != 1 || aws.ToString(l.AttachedPolicies[0].PolicyName) != "ReadOnlyAccess" {
		t.Errorf("ListAttachedUserPolicies = %+v", l.AttachedPolicies)
	}
	if l := must(c.ListAttachedGroupPolicies(ctx, &iamsdk.ListAttachedGroupPoliciesInput{GroupName: aws.String("Developers")}))(t, "ListAttachedGroupPolicies"); len(l.AttachedPolicies) != 1 {
		t.Errorf("ListAttachedGroupPolicies = %+v", l.AttachedPolicies)
	}
	if p := must(c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String(ro)}))(t, "GetPolicy"); aws.ToInt32(p.Policy.AttachmentCount) != 2 {
		t.Errorf("ReadOnlyAccess AttachmentCount = %d, want 2 (a user and a group)", aws.ToInt32(p.Policy.AttachmentCount))
	}
	_, err = c.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String("arn:aws:iam::aws:policy/Nope")})
	wantAPIError(t, "AttachUserPolicy unknown", err, "NoSuchEntity", http.StatusNotFound, "Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable.")
	_, err = c.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("alice")})
	wantAPIError(t, "DeleteUser with an attached policy", err, "DeleteConflict", http.StatusConflict, "Cannot delete entity, must detach all policies first.")
	must(c.DetachUserPolicy(ctx, &iamsdk.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(ro)}))(t, "DetachUserPolicy")
	must(c.DetachGroupPolicy(ctx, &iamsdk.DetachGroupPolicyInput{GroupName: aws.String("Developers"), PolicyArn: aws.String(ro)}))(t, "DetachGroupPolicy")
	_, err = c.DetachGroupPolicy(ctx, &iamsdk.DetachGroupPolicyInput{GroupName: aws.String("Developers"), PolicyArn: aws.String(ro)})
	wantAPIError(t, "DetachGroupPolicy again", err, "NoSuchEntity", http.StatusNotFound, "Policy "+ro+" was not found.")

	// Ten customer policies fit, the eleventh does not.
	for i := range 11 {
		arn := must(c.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("p%d", i)), PolicyDocument: aws.String(permissions)}))(t, "CreatePolicy").Policy.Arn
		_, err := c.AttachGroupPolicy(ctx, &iamsdk.AttachGroupPolicyInput{GroupName: aws.String("Developers"), PolicyArn: arn})
		if i < 10 && err != nil {
			t.Fatalf("AttachGroupPolicy %d: %v", i, err)
		}
		if i == 10 {
			wantAPIError(t, "AttachGroupPolicy 11th", err, "LimitExceeded", http.StatusConflict, "Cannot exceed quota for PoliciesPerGroup: 10")
		}
	}

	// The boundary shows in GetUser.
	must(c.PutUserPermissionsBoundary(ctx, &iamsdk.PutUserPermissionsBoundaryInput{UserName: aws.String("alice"), PermissionsBoundary: aws.String(ro)}))(t, "PutUserPermissionsBoundary")
	u := must(c.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("alice")}))(t, "GetUser").User
	if u.PermissionsBoundary == nil || aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn) != ro || u.PermissionsBoundary.PermissionsBoundaryType != types.PermissionsBoundaryAttachmentTypePolicy {
		t.Errorf("GetUser boundary = %+v", u.PermissionsBoundary)
	}
	must(c.DeleteUserPermissionsBoundary(ctx, &iamsdk.DeleteUserPermissionsBoundaryInput{UserName: aws.String("alice")}))(t, "DeleteUserPermissionsBoundary")
	if u := must(c.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("alice")}))(t, "GetUser").User; u.PermissionsBoundary != nil {
		t.Errorf("boundary after delete = %+v", u.PermissionsBoundary)
	}
}

// TestSDKAccessKeys creates, uses, disables and deletes a user's access keys:
// a key signs SDK calls as its user, an inactive or deleted key is refused
// as AWS refuses it, and last use is recorded.
func TestSDKAccessKeys(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newIAMServer(t, nil)
	c := s.sdk()
	must(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))(t, "CreateUser")
	// alice may manage her own keys and read herself.
	must(c.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("self"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","iam:*AccessKey*"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`)}))(t, "PutUserPolicy")

	k := must(c.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")}))(t, "CreateAccessKey").AccessKey
	id, secret := aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey)
	if !strings.HasPrefix(id, "AKIA") || len(id) != 20 || len(secret) != 40 || k.Status != types.StatusTypeActive || aws.ToString(k.UserName) != "alice" {
		t.Fatalf("CreateAccessKey = %+v", k)
	}
	lu := must(c.GetAccessKeyLastUsed(ctx, &iamsdk.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)}))(t, "GetAccessKeyLastUsed")
	if aws.ToString(lu.UserName) != "alice" || aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "N/A" || aws.ToString(lu.AccessKeyLastUsed.Region) != "N/A" || lu.AccessKeyLastUsed.LastUsedDate != nil {
		t.Errorf("GetAccessKeyLastUsed before use = %+v", lu.AccessKeyLastUsed)
	}

	alice := s.sdkAs(id, secret)
	// GetUser without a name is the caller.
	me := must(alice.GetUser(ctx, &iamsdk.GetUserInput{}))(t, "GetUser as alice")
	if aws.ToString(me.User.UserName) != "alice" {
		t.Errorf("GetUser as alice = %+v", me.User)
	}
	k2 := must(alice.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{}))(t, "CreateAccessKey as alice").AccessKey
	_, err := c.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")})
	wantAPIError(t, "third key", err, "LimitExceeded", http.StatusConflict, "Cannot exceed quota for AccessKeysPerUser: 2")
	keys := must(alice.ListAccessKeys(ctx, &iamsdk.ListAccessKeysInput{}))(t, "ListAccessKeys as alice").AccessKeyMetadata
	if len(keys) != 2 || aws.ToString(keys[0].AccessKeyId) != id || aws.ToString(keys[1].UserName) != "alice" {
		t.Errorf("ListAccessKeys = %+v", keys)
	}
	lu = must(c.GetAccessKeyLastUsed(ctx, &iamsdk.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)}))(t, "GetAccessKeyLastUsed")
	if aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "iam" || aws.ToString(lu.AccessKeyLastUsed.Region) != "us-east-1" || lu.AccessKeyLastUsed.LastUsedDate == nil {
		t.Errorf("GetAccessKeyLastUsed after use = %+v", lu.AccessKeyLastUsed)
	}

	// Inactive: refused as an unknown key is; active again: accepted.
	must(alice.UpdateAccessKey(ctx, &iamsdk.UpdateAccessKeyInput{AccessKeyId: aws.String(id), Status: types.StatusTypeInactive}))(t, "UpdateAccessKey")
	_, err = alice.GetUser(ctx, &iamsdk.GetUserInput{})
	wantAPIError(t, "inactive key", err, "InvalidClientTokenId", http.StatusForbidden, "The security token included in the request is invalid.")
	must(c.UpdateAccessKey(ctx, &iamsdk.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(id), Status: types.StatusTypeActive}))(t, "UpdateAccessKey Active")
	must(alice.GetUser(ctx, &iamsdk.GetUserInput{}))(t, "GetUser with the key active again")
	_, err = c.UpdateAccessKey(ctx, &iamsdk.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String("AKIAUNKNOWNUNKNOWN12"), Status: types.StatusTypeActive})
	wantAPIError(t, "UpdateAccessKey unknown", err, "NoSuchEntity", http.StatusNotFound, "The Access Key with id AKIAUNKNOWNUNKNOWN12 cannot be found.")

	_, err = c.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("alice")})
	wantAPIError(t, "DeleteUser with keys", err, "DeleteConflict", http.StatusConflict, "Cannot delete entity, must delete access keys first.")
	must(alice.DeleteAccessKey(ctx, &iamsdk.DeleteAccessKeyInput{AccessKeyId: k2.AccessKeyId}))(t, "DeleteAccessKey")
	must(c.DeleteAccessKey(ctx, &iamsdk.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(id)}))(t, "DeleteAccessKey")
	_, err = alice.GetUser(ctx, &iamsdk.GetUserInput{})
	wantAPIError(t, "deleted key", err, "InvalidClientTokenId", http.StatusForbidden, "The security token included in the request is invalid.")
}

// TestKeysOfOtherAccountsAreUnknown: an account's Credential finds only its
// own users' active keys.
func TestKeysOfOtherAccountsAreUnknown(t *testing.T) {
	t.Parallel()
	a := iam.NewAccount(iam.Config{})
	b := iam.NewAccount(iam.Config{ID: "210987654321"})
	if _, err := a.CreateUser(iam.CreateUserInput{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	k, err := a.CreateAccessKey("alice")
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := a.Credential(t.Context(), k.AccessKeyID); !ok || c.Caller.ARN != "arn:aws:iam::123456789012:user/alice" || c.SecretAccessKey != k.SecretAccessKey {
		t.Errorf("Credential in its account = %+v, %v", c.Caller, ok)
	}
	if _, ok := b.Credential(t.Context(), k.AccessKeyID); ok {
		t.Error("another account knows the key")
	}
}
