package iam_test

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

const (
	rootKeyID   = "AKIAROOTEXAMPLEROOT1"
	roleKeyID   = "ASIAROLESESSIONEXAM1"
	otherSecret = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
)

// authzServer is an IAM server with, besides the administrator, the root
// user's key and a key of a session of role Dev (as STS would hand the router).
func authzServer(t *testing.T) *iamServer {
	t.Helper()
	a := iam.NewAccount(iam.Config{})
	return newIAMServerWith(t, a, map[string]awsapi.Credential{
		rootKeyID: {AccessKeyID: rootKeyID, SecretAccessKey: otherSecret,
			Caller: awsapi.Caller{Type: "Root", ARN: "arn:aws:iam::123456789012:root", AccountID: "123456789012"}},
		roleKeyID: {AccessKeyID: roleKeyID, SecretAccessKey: otherSecret,
			Caller: awsapi.Caller{Type: "AssumedRole", ARN: "arn:aws:sts::123456789012:assumed-role/Dev/alice", AccountID: "123456789012"}},
	})
}

func policyDoc(statements string) *string {
	return aws.String(`{"Version":"2012-10-17","Statement":[` + statements + `]}`)
}

func denied(action, resource, why string) string {
	return "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: " + action + " on resource: " + resource + " " + why
}

// TestAuthorization checks each rule of authorizing IAM calls end to end,
// signed by a user's own access key, with an accepting and a refusing case.
func TestAuthorization(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := authzServer(t)
	admin := s.sdk()
	for _, n := range []string{"alice", "bob"} {
		must(admin.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(n), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String(n + "-team")}}}))(t, "CreateUser")
	}
	must(admin.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("carol"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("alice-team")}}}))(t, "CreateUser carol")
	k := must(admin.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")}))(t, "CreateAccessKey").AccessKey
	alice := s.sdkAs(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey))
	implicit := func(action string) string {
		return "because no identity-based policy allows the " + action + " action"
	}

	t.Run("no policy refuses", func(t *testing.T) {
		_, err := alice.ListUsers(ctx, &iamsdk.ListUsersInput{})
		wantAPIError(t, "ListUsers", err, "AccessDenied", http.StatusForbidden,
			denied("iam:ListUsers", "arn:aws:iam::123456789012:user/", implicit("iam:ListUsers")))
	})

	t.Run("inline user policy", func(t *testing.T) {
		must(admin.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("list"),
			PolicyDocument: policyDoc(`{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}`)}))(t, "PutUserPolicy")
		must(alice.ListUsers(ctx, &iamsdk.ListUsersInput{}))(t, "ListUsers allowed by the inline policy")
		_, err := alice.ListGroups(ctx, &iamsdk.ListGroupsInput{})
		wantAPIError(t, "ListGroups", err, "AccessDenied", http.StatusForbidden,
			denied("iam:ListGroups", "arn:aws:iam::123456789012:group/", implicit("iam:ListGroups")))
	})

	t.Run("group policy applies to members only", func(t *testing.T) {
		must(admin.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("Developers")}))(t, "CreateGroup")
		must(admin.PutGroupPolicy(ctx, &iamsdk.PutGroupPolicyInput{GroupName: aws.String("Developers"), PolicyName: aws.String("groups"),
			PolicyDocument: policyDoc(`{"Effect":"Allow","Action":"iam:ListGroups","Resource":"*"}`)}))(t, "PutGroupPolicy")
		_, err := alice.ListGroups(ctx, &iamsdk.ListGroupsInput{})
		wantAPIError(t, "ListGroups before joining", err, "AccessDenied", http.StatusForbidden,
			denied("iam:ListGroups", "arn:aws:iam::123456789012:group/", implicit("iam:ListGroups")))
		must(admin.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("Developers"), UserName: aws.String("alice")}))(t, "AddUserToGroup")
		must(alice.ListGroups(ctx, &iamsdk.ListGroupsInput{}))(t, "ListGroups as a member")
	})

	t.Run("attached managed policy", func(t *testing.T) {
		_, err := alice.ListRoles(ctx, &iamsdk.ListRolesInput{})
		wantAPIError(t, "ListRoles", err, "AccessDenied", http.StatusForbidden,
			denied("iam:ListRoles", "arn:aws:iam::123456789012:role/", implicit("iam:ListRoles")))
		must(admin.AttachGroupPolicy(ctx, &iamsdk.AttachGroupPolicyInput{GroupName: aws.String("Developers"),
			PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))(t, "AttachGroupPolicy")
		must(alice.ListRoles(ctx, &iamsdk.ListRolesInput{}))(t, "ListRoles with IAMReadOnlyAccess")
		_, err = alice.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("Mine")})
		wantAPIError(t, "CreateGroup with read-only access", err, "AccessDenied", http.StatusForbidden,
			denied("iam:CreateGroup", "arn:aws:iam::123456789012:group/Mine", implicit("iam:CreateGroup")))
	})

	t.Run("explicit deny wins", func(t *testing.T) {
		must(alice.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("bob")}))(t, "GetUser bob before the deny")
		must(admin.PutGroupPolicy(ctx, &iamsdk.PutGroupPolicyInput{GroupName: aws.String("Developers"), PolicyName: aws.String("no-bob"),
			PolicyDocument: policyDoc(`{"Effect":"Deny","Action":"iam:*","Resource":"arn:aws:iam::123456789012:user/bob"}`)}))(t, "PutGroupPolicy deny")
		_, err := alice.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("bob")})
		wantAPIError(t, "GetUser bob", err, "AccessDenied", http.StatusForbidden,
			denied("iam:GetUser", "arn:aws:iam::123456789012:user/bob", "with an explicit deny in an identity-based policy"))
		must(alice.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("carol")}))(t, "GetUser carol, not denied")
	})

	t.Run("resource and policy variable", func(t *testing.T) {
		// IAMReadOnlyAccess (from the group) lists keys; creating them needs this.
		must(admin.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("own-keys"),
			PolicyDocument: policyDoc(`{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::*:user/${aws:username}"}`)}))(t, "PutUserPolicy")
		must(alice.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{}))(t, "CreateAccessKey of her own")
		_, err := alice.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("carol")})
		wantAPIError(t, "CreateAccessKey for carol", err, "AccessDenied", http.StatusForbidden,
			denied("iam:CreateAccessKey", "arn:aws:iam::123456789012:user/carol", implicit("iam:CreateAccessKey")))
	})

	t.Run("principal and resource tags", func(t *testing.T) {
		must(admin.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("abac"),
			PolicyDocument: policyDoc(`{"Effect":"Allow","Action":"iam:TagUser","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}}`)}))(t, "PutUserPolicy")
		must(alice.TagUser(ctx, &iamsdk.TagUserInput{UserName: aws.String("carol"), Tags: []types.Tag{{Key: aws.String("x"), Value: aws.String("y")}}}))(t, "TagUser carol, same team")
		_, err := alice.TagUser(ctx, &iamsdk.TagUserInput{UserName: aws.String("alice"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("bob-team")}}})
		if err != nil {
			t.Fatalf("TagUser herself (same team): %v", err)
		}
		// alice is now in bob's team: carol is no longer hers.
		_, err = alice.TagUser(ctx, &iamsdk.TagUserInput{UserName: aws.String("carol"), Tags: []types.Tag{{Key: aws.String("x"), Value: aws.String("z")}}})
		wantAPIError(t, "TagUser carol, other team", err, "AccessDenied", http.StatusForbidden,
			denied("iam:TagUser", "arn:aws:iam::123456789012:user/carol", implicit("iam:TagUser")))
	})

	t.Run("permissions boundary", func(t *testing.T) {
		must(admin.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))(t, "AttachUserPolicy")
		must(alice.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("before-boundary"), PolicyDocument: aws.String(permissions)}))(t, "CreatePolicy as an administrator")
		must(admin.PutUserPermissionsBoundary(ctx, &iamsdk.PutUserPermissionsBoundaryInput{UserName: aws.String("alice"),
			PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))(t, "PutUserPermissionsBoundary")
		must(alice.ListPolicies(ctx, &iamsdk.ListPoliciesInput{}))(t, "ListPolicies within the boundary")
		_, err := alice.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("after-boundary"), PolicyDocument: aws.String(permissions)})
		wantAPIError(t, "CreatePolicy outside the boundary", err, "AccessDenied", http.StatusForbidden,
			denied("iam:CreatePolicy", "arn:aws:iam::123456789012:policy/after-boundary", "because no permissions boundary allows the iam:CreatePolicy action"))
	})

	t.Run("the administrator and the root user are never refused", func(t *testing.T) {
		must(admin.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("by-admin")}))(t, "CreateUser as the administrator")
		root := s.sdkAs(rootKeyID, otherSecret)
		must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("by-root")}))(t, "CreateUser as root")
		// A user named like the administrator is not the administrator.
		must(admin.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("admin")}))(t, "CreateUser admin")
		k := must(admin.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("admin")}))(t, "CreateAccessKey").AccessKey
		_, err := s.sdkAs(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey)).ListUsers(ctx, &iamsdk.ListUsersInput{})
		wantAPIError(t, "ListUsers as the user admin", err, "AccessDenied", http.StatusForbidden,
			"User: arn:aws:iam::123456789012:user/admin is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::123456789012:user/ because no identity-based policy allows the iam:ListUsers action")
	})
}

// TestAuthorizationOfRoleSessions: a role session is allowed what its role's
// policies allow.
func TestAuthorizationOfRoleSessions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := authzServer(t)
	admin := s.sdk()
	session := s.sdkAs(roleKeyID, otherSecret)
	const who = "User: arn:aws:sts::123456789012:assumed-role/Dev/alice is not authorized to perform: "

	// Role Dev does not exist yet: nothing is allowed.
	_, err := session.ListRoles(ctx, &iamsdk.ListRolesInput{})
	wantAPIError(t, "ListRoles without the role", err, "AccessDenied", http.StatusForbidden,
		who+"iam:ListRoles on resource: arn:aws:iam::123456789012:role/ because no identity-based policy allows the iam:ListRoles action")
	must(admin.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("Dev"), AssumeRolePolicyDocument: aws.String(trust)}))(t, "CreateRole")
	must(admin.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("Dev"), PolicyName: aws.String("roles"),
		PolicyDocument: policyDoc(`{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}`)}))(t, "PutRolePolicy")
	must(session.ListRoles(ctx, &iamsdk.ListRolesInput{}))(t, "ListRoles allowed by the role's policy")
	_, err = session.ListUsers(ctx, &iamsdk.ListUsersInput{})
	wantAPIError(t, "ListUsers", err, "AccessDenied", http.StatusForbidden,
		who+"iam:ListUsers on resource: arn:aws:iam::123456789012:user/ because no identity-based policy allows the iam:ListUsers action")

	// A session has no user to default to.
	must(admin.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("Dev"), PolicyName: aws.String("all"),
		PolicyDocument: policyDoc(`{"Effect":"Allow","Action":"iam:*","Resource":"*"}`)}))(t, "PutRolePolicy")
	_, err = session.ListAccessKeys(ctx, &iamsdk.ListAccessKeysInput{})
	wantAPIError(t, "ListAccessKeys without a user name", err, "ValidationError", http.StatusBadRequest,
		"Must specify userName when calling with non-User credentials")

	// The role's boundary bounds its sessions.
	must(admin.PutRolePermissionsBoundary(ctx, &iamsdk.PutRolePermissionsBoundaryInput{RoleName: aws.String("Dev"),
		PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))(t, "PutRolePermissionsBoundary")
	must(session.ListUsers(ctx, &iamsdk.ListUsersInput{}))(t, "ListUsers within the boundary")
	_, err = session.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("x")})
	wantAPIError(t, "CreateUser outside the boundary", err, "AccessDenied", http.StatusForbidden,
		who+"iam:CreateUser on resource: arn:aws:iam::123456789012:user/x because no permissions boundary allows the iam:CreateUser action")
}

// TestUnreadablePolicyFailsClosed: a stored policy the engine cannot read (a
// Deny with an unknown condition operator, which older checks let into a
// role) refuses the role's sessions rather than being skipped; users' and
// groups' policies are checked by the engine when they are stored.
func TestUnreadablePolicyFailsClosed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := authzServer(t)
	admin := s.sdk()
	session := s.sdkAs(roleKeyID, otherSecret)
	must(admin.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("Dev"), AssumeRolePolicyDocument: aws.String(trust)}))(t, "CreateRole")
	must(admin.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("Dev"), PolicyName: aws.String("all"),
		PolicyDocument: policyDoc(`{"Effect":"Allow","Action":"iam:*","Resource":"*"}`)}))(t, "PutRolePolicy")
	must(session.ListUsers(ctx, &iamsdk.ListUsersInput{}))(t, "ListUsers before the unreadable deny")
	regexDeny := policyDoc(`{"Effect":"Deny","Action":"iam:*","Resource":"*","Condition":{"StringMatchesRegex":{"aws:username":".*"}}}`)
	must(admin.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("Dev"), PolicyName: aws.String("regex"), PolicyDocument: regexDeny}))(t, "PutRolePolicy")
	_, err := session.ListUsers(ctx, &iamsdk.ListUsersInput{})
	wantAPIError(t, "ListUsers with an unreadable deny", err, "AccessDenied", http.StatusForbidden,
		"User: arn:aws:sts::123456789012:assumed-role/Dev/alice is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::123456789012:user/ because no identity-based policy allows the iam:ListUsers action")

	must(admin.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bob")}))(t, "CreateUser")
	_, err = admin.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("regex"), PolicyDocument: regexDeny})
	wantAPIError(t, "PutUserPolicy with an unknown operator", err, "MalformedPolicyDocument", http.StatusBadRequest, "Invalid Condition type : StringMatchesRegex")
}
