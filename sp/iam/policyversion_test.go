package iam_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/policy"
)

// allowDoc is a permissions policy allowing one action on everything.
func allowDoc(action string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"*"}]}`
}

func versionIDs(vs []types.PolicyVersion) (ids []string, def string) {
	for _, v := range vs {
		ids = append(ids, aws.ToString(v.VersionId))
		if v.IsDefaultVersion {
			def = aws.ToString(v.VersionId)
		}
	}
	return ids, def
}

// TestSDKPolicyVersions drives a customer managed policy's versions with the
// AWS SDK for Go v2: five at most, newest listed first, one default, IDs
// never reused, the default never deleted, and the errors of each.
func TestSDKPolicyVersions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newIAMServer(t, nil)
	c := s.sdk()
	p := must(c.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("dev"), PolicyDocument: aws.String(allowDoc("s3:GetObject"))}))(t, "CreatePolicy")
	arn := p.Policy.Arn

	for i, action := range []string{"s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "s3:GetBucketPolicy"} {
		v := must(c.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowDoc(action)),
			SetAsDefault: i == 1}))(t, "CreatePolicyVersion")
		if want := "v" + string(rune('2'+i)); aws.ToString(v.PolicyVersion.VersionId) != want || v.PolicyVersion.IsDefaultVersion != (i == 1) ||
			v.PolicyVersion.CreateDate == nil || v.PolicyVersion.Document != nil {
			t.Errorf("CreatePolicyVersion #%d = %+v, want %s without a document", i+1, v.PolicyVersion, want)
		}
	}
	_, err := c.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowDoc("s3:*"))})
	wantAPIError(t, "CreatePolicyVersion(sixth)", err, "LimitExceeded", http.StatusConflict,
		"A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")

	list := must(c.ListPolicyVersions(ctx, &iamsdk.ListPolicyVersionsInput{PolicyArn: arn}))(t, "ListPolicyVersions")
	if ids, def := versionIDs(list.Versions); !slices.Equal(ids, []string{"v5", "v4", "v3", "v2", "v1"}) || def != "v3" || list.IsTruncated {
		t.Errorf("ListPolicyVersions = %v (default %s), want v5…v1 with v3 the default", ids, def)
	}
	for _, v := range list.Versions {
		if v.Document != nil {
			t.Errorf("ListPolicyVersions shows the document of %s", aws.ToString(v.VersionId))
		}
	}
	// Paged two at a time.
	var paged []string
	var marker *string
	for range 5 {
		page := must(c.ListPolicyVersions(ctx, &iamsdk.ListPolicyVersionsInput{PolicyArn: arn, MaxItems: aws.Int32(2), Marker: marker}))(t, "ListPolicyVersions page")
		ids, _ := versionIDs(page.Versions)
		paged = append(paged, ids...)
		if !page.IsTruncated {
			break
		}
		marker = page.Marker
	}
	if !slices.Equal(paged, []string{"v5", "v4", "v3", "v2", "v1"}) {
		t.Errorf("paged ListPolicyVersions = %v", paged)
	}

	got := must(c.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v4")}))(t, "GetPolicyVersion(v4)")
	if doc, _ := url.QueryUnescape(aws.ToString(got.PolicyVersion.Document)); doc != allowDoc("s3:DeleteObject") || got.PolicyVersion.IsDefaultVersion {
		t.Errorf("GetPolicyVersion(v4) = %q default=%v", doc, got.PolicyVersion.IsDefaultVersion)
	}
	if pol := must(c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: arn}))(t, "GetPolicy"); aws.ToString(pol.Policy.DefaultVersionId) != "v3" ||
		pol.Policy.UpdateDate.Before(*pol.Policy.CreateDate) {
		t.Errorf("GetPolicy = default %s, created %v, updated %v", aws.ToString(pol.Policy.DefaultVersionId), pol.Policy.CreateDate, pol.Policy.UpdateDate)
	}

	// The default cannot be deleted; another can, and its ID is not reused.
	_, err = c.DeletePolicyVersion(ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v3")})
	wantAPIError(t, "DeletePolicyVersion(default)", err, "DeleteConflict", http.StatusConflict, "Cannot delete the default version of a policy.")
	must(c.DeletePolicyVersion(ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v5")}))(t, "DeletePolicyVersion(v5)")
	_, err = c.DeletePolicyVersion(ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v5")})
	wantAPIError(t, "DeletePolicyVersion(deleted)", err, "NoSuchEntity", http.StatusNotFound,
		"Policy "+aws.ToString(arn)+" version v5 does not exist or is not attachable.")
	v6 := must(c.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowDoc("s3:*"))}))(t, "CreatePolicyVersion(after delete)")
	if aws.ToString(v6.PolicyVersion.VersionId) != "v6" {
		t.Errorf("version after deleting v5 = %s, want v6", aws.ToString(v6.PolicyVersion.VersionId))
	}

	// SetDefaultPolicyVersion moves the default.
	must(c.SetDefaultPolicyVersion(ctx, &iamsdk.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v6")}))(t, "SetDefaultPolicyVersion")
	if pol := must(c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: arn}))(t, "GetPolicy"); aws.ToString(pol.Policy.DefaultVersionId) != "v6" {
		t.Errorf("default after SetDefaultPolicyVersion = %s, want v6", aws.ToString(pol.Policy.DefaultVersionId))
	}
	_, err = c.SetDefaultPolicyVersion(ctx, &iamsdk.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v9")})
	wantAPIError(t, "SetDefaultPolicyVersion(unknown)", err, "NoSuchEntity", http.StatusNotFound,
		"Policy "+aws.ToString(arn)+" version v9 does not exist or is not attachable.")

	// Errors of the document, the policy and AWS managed policies.
	_, err = c.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}`)})
	wantAPIError(t, "CreatePolicyVersion(no Resource)", err, "MalformedPolicyDocument", http.StatusBadRequest, "Missing required field Resource")
	missing := "arn:aws:iam::123456789012:policy/nope"
	_, err = c.ListPolicyVersions(ctx, &iamsdk.ListPolicyVersionsInput{PolicyArn: aws.String(missing)})
	wantAPIError(t, "ListPolicyVersions(unknown)", err, "NoSuchEntity", http.StatusNotFound, "Policy "+missing+" was not found.")
	_, err = c.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: aws.String("not-an-arn-of-a-policy"), PolicyDocument: aws.String(allowDoc("s3:*"))})
	wantAPIError(t, "CreatePolicyVersion(not an ARN)", err, "InvalidInput", http.StatusBadRequest, "ARN not-an-arn-of-a-policy is not valid.")
	ro := "arn:aws:iam::aws:policy/ReadOnlyAccess"
	roMsg := "Policy " + ro + " is an AWS managed policy and cannot be modified."
	_, err = c.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: aws.String(ro), PolicyDocument: aws.String(allowDoc("s3:*"))})
	wantAPIError(t, "CreatePolicyVersion(AWS managed)", err, "InvalidInput", http.StatusBadRequest, roMsg)
	_, err = c.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: aws.String(ro)})
	wantAPIError(t, "DeletePolicy(AWS managed)", err, "InvalidInput", http.StatusBadRequest, roMsg)
	_, err = c.TagPolicy(ctx, &iamsdk.TagPolicyInput{PolicyArn: aws.String(ro), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	wantAPIError(t, "TagPolicy(AWS managed)", err, "InvalidInput", http.StatusBadRequest, roMsg)
	if l := must(c.ListPolicyVersions(ctx, &iamsdk.ListPolicyVersionsInput{PolicyArn: aws.String(ro)}))(t, "ListPolicyVersions(AWS managed)"); len(l.Versions) != 1 ||
		aws.ToString(l.Versions[0].VersionId) != "v120" || !l.Versions[0].IsDefaultVersion {
		t.Errorf("ListPolicyVersions(ReadOnlyAccess) = %v, want its default v120 only", l.Versions)
	}

	// DeletePolicy refuses while versions other than the default exist.
	_, err = c.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: arn})
	wantAPIError(t, "DeletePolicy(versions)", err, "DeleteConflict", http.StatusConflict,
		"This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	for _, id := range []string{"v1", "v2", "v3", "v4"} {
		must(c.DeletePolicyVersion(ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String(id)}))(t, "DeletePolicyVersion "+id)
	}
	must(c.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: arn}))(t, "DeletePolicy")
	_, err = c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: arn})
	wantAPIError(t, "GetPolicy(deleted)", err, "NoSuchEntity", http.StatusNotFound, "Policy "+aws.ToString(arn)+" was not found.")
	_, err = c.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: arn})
	wantAPIError(t, "DeletePolicy(deleted)", err, "NoSuchEntity", http.StatusNotFound, "Policy "+aws.ToString(arn)+" was not found.")

	// Every call was recorded, refused ones included, with the policy named.
	var seen, refused int
	for _, e := range s.events.Events() {
		if e.EventName == "CreatePolicyVersion" && e.RequestParameters["policyArn"] == aws.ToString(arn) {
			seen++
			if e.ErrorCode != "" {
				refused++
			}
		}
	}
	if seen != 7 || refused != 2 {
		t.Errorf("CreatePolicyVersion events for the policy = %d (%d refused), want 7 (2 refused)", seen, refused)
	}
}

// TestSDKPolicyEntitiesAndTags drives ListEntitiesForPolicy (filters and
// paging), DeletePolicy's attachment rule, and TagPolicy, UntagPolicy and
// ListPolicyTags.
func TestSDKPolicyEntitiesAndTags(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newIAMServer(t, nil)
	c := s.sdk()
	p := must(c.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("shared"), PolicyDocument: aws.String(allowDoc("s3:GetObject")),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("dev")}}}))(t, "CreatePolicy")
	arn := p.Policy.Arn
	for _, u := range []struct{ name, path string }{{"bob", "/"}, {"alice", "/eng/"}, {"carol", "/eng/"}} {
		must(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(u.name), Path: aws.String(u.path)}))(t, "CreateUser")
	}
	must(c.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: arn}))(t, "AttachUserPolicy bob")
	must(c.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: arn}))(t, "AttachUserPolicy alice")
	must(c.PutUserPermissionsBoundary(ctx, &iamsdk.PutUserPermissionsBoundaryInput{UserName: aws.String("carol"), PermissionsBoundary: arn}))(t, "boundary")
	must(c.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("Developers")}))(t, "CreateGroup")
	must(c.AttachGroupPolicy(ctx, &iamsdk.AttachGroupPolicyInput{GroupName: aws.String("Developers"), PolicyArn: arn}))(t, "AttachGroupPolicy")
	must(c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("Dev"), AssumeRolePolicyDocument: aws.String(trust)}))(t, "CreateRole")
	must(c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("Dev"), PolicyArn: arn}))(t, "AttachRolePolicy")

	names := func(out *iamsdk.ListEntitiesForPolicyOutput) []string {
		var n []string
		for _, g := range out.PolicyGroups {
			n = append(n, "group:"+aws.ToString(g.GroupName))
			if g.GroupId == nil {
				t.Errorf("group %s without GroupId", aws.ToString(g.GroupName))
			}
		}
		for _, u := range out.PolicyUsers {
			n = append(n, "user:"+aws.ToString(u.UserName))
		}
		for _, r := range out.PolicyRoles {
			n = append(n, "role:"+aws.ToString(r.RoleName))
		}
		return n
	}
	for _, tt := range []struct {
		name string
		in   iamsdk.ListEntitiesForPolicyInput
		want []string
	}{
		{"all", iamsdk.ListEntitiesForPolicyInput{}, []string{"group:Developers", "user:alice", "user:bob", "user:carol", "role:Dev"}},
		{"roles", iamsdk.ListEntitiesForPolicyInput{EntityFilter: types.EntityTypeRole}, []string{"role:Dev"}},
		{"users under /eng/", iamsdk.ListEntitiesForPolicyInput{EntityFilter: types.EntityTypeUser, PathPrefix: aws.String("/eng/")},
			[]string{"user:alice", "user:carol"}},
		{"permissions policy", iamsdk.ListEntitiesForPolicyInput{PolicyUsageFilter: types.PolicyUsageTypePermissionsPolicy},
			[]string{"group:Developers", "user:alice", "user:bob", "role:Dev"}},
		{"boundary", iamsdk.ListEntitiesForPolicyInput{PolicyUsageFilter: types.PolicyUsageTypePermissionsBoundary}, []string{"user:carol"}},
		{"AWS managed policies", iamsdk.ListEntitiesForPolicyInput{EntityFilter: types.EntityTypeAWSManagedPolicy}, nil},
	} {
		in := tt.in
		in.PolicyArn = arn
		out := must(c.ListEntitiesForPolicy(ctx, &in))(t, "ListEntitiesForPolicy "+tt.name)
		if got := names(out); !slices.Equal(got, tt.want) {
			t.Errorf("ListEntitiesForPolicy(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
	var all []string
	var marker *string
	for range 10 {
		out := must(c.ListEntitiesForPolicy(ctx, &iamsdk.ListEntitiesForPolicyInput{PolicyArn: arn, MaxItems: aws.Int32(2), Marker: marker}))(t, "paged")
		all = append(all, names(out)...)
		if !out.IsTruncated {
			break
		}
		marker = out.Marker
	}
	if want := []string{"group:Developers", "user:alice", "user:bob", "user:carol", "role:Dev"}; !slices.Equal(all, want) {
		t.Errorf("paged ListEntitiesForPolicy = %v, want %v", all, want)
	}
	_, err := c.ListEntitiesForPolicy(ctx, &iamsdk.ListEntitiesForPolicyInput{PolicyArn: aws.String("arn:aws:iam::123456789012:policy/nope")})
	wantAPIError(t, "ListEntitiesForPolicy(unknown)", err, "NoSuchEntity", http.StatusNotFound, "Policy arn:aws:iam::123456789012:policy/nope was not found.")

	// Attached or bounding, the policy cannot be deleted.
	_, err = c.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: arn})
	wantAPIError(t, "DeletePolicy(attached)", err, "DeleteConflict", http.StatusConflict, "Cannot delete a policy attached to entities.")
	must(c.DetachUserPolicy(ctx, &iamsdk.DetachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: arn}))(t, "detach bob")
	must(c.DetachUserPolicy(ctx, &iamsdk.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: arn}))(t, "detach alice")
	must(c.DetachGroupPolicy(ctx, &iamsdk.DetachGroupPolicyInput{GroupName: aws.String("Developers"), PolicyArn: arn}))(t, "detach group")
	must(c.DetachRolePolicy(ctx, &iamsdk.DetachRolePolicyInput{RoleName: aws.String("Dev"), PolicyArn: arn}))(t, "detach role")
	_, err = c.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: arn})
	wantAPIError(t, "DeletePolicy(boundary)", err, "DeleteConflict", http.StatusConflict, "Cannot delete a policy attached to entities.")
	must(c.DeleteUserPermissionsBoundary(ctx, &iamsdk.DeleteUserPermissionsBoundaryInput{UserName: aws.String("carol")}))(t, "boundary off")

	// Tags.
	tagKeys := func() []string {
		out := must(c.ListPolicyTags(ctx, &iamsdk.ListPolicyTagsInput{PolicyArn: arn}))(t, "ListPolicyTags")
		var k []string
		for _, tag := range out.Tags {
			k = append(k, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
		}
		return k
	}
	must(c.TagPolicy(ctx, &iamsdk.TagPolicyInput{PolicyArn: arn, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ops")},
		{Key: aws.String("cost"), Value: aws.String("42")}}}))(t, "TagPolicy")
	if got := tagKeys(); !slices.Equal(got, []string{"cost=42", "team=ops"}) {
		t.Errorf("tags after TagPolicy = %v", got)
	}
	if pol := must(c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: arn}))(t, "GetPolicy"); len(pol.Policy.Tags) != 2 {
		t.Errorf("GetPolicy tags = %v", pol.Policy.Tags)
	}
	must(c.UntagPolicy(ctx, &iamsdk.UntagPolicyInput{PolicyArn: arn, TagKeys: []string{"team"}}))(t, "UntagPolicy")
	if got := tagKeys(); !slices.Equal(got, []string{"cost=42"}) {
		t.Errorf("tags after UntagPolicy = %v", got)
	}
	many := make([]types.Tag, 50)
	for i := range many {
		many[i] = types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")}
	}
	_, err = c.TagPolicy(ctx, &iamsdk.TagPolicyInput{PolicyArn: arn, Tags: many})
	wantAPIError(t, "TagPolicy(51 tags in all)", err, "LimitExceeded", http.StatusConflict, "The number of tags has reached the maximum limit of 50.")
	_, err = c.ListPolicyTags(ctx, &iamsdk.ListPolicyTagsInput{PolicyArn: aws.String("arn:aws:iam::123456789012:policy/nope")})
	wantAPIError(t, "ListPolicyTags(unknown)", err, "NoSuchEntity", http.StatusNotFound, "Policy arn:aws:iam::123456789012:policy/nope was not found.")

	must(c.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: arn}))(t, "DeletePolicy(detached)")
}

// TestDefaultVersionDecides checks that the authorizer and the simulator
// evaluate a managed policy's default version: an action granted only in v2
// is refused while v1 is the default and allowed once v2 is, for the
// attached policy and for the boundary alike.
func TestDefaultVersionDecides(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newIAMServer(t, nil)
	admin := s.sdk()
	must(admin.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))(t, "CreateUser")
	k := must(admin.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")}))(t, "CreateAccessKey").AccessKey
	alice := s.sdkAs(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey))
	p := must(admin.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("dev"), PolicyDocument: aws.String(allowDoc("iam:GetUser"))}))(t, "CreatePolicy")
	arn := p.Policy.Arn
	must(admin.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: arn}))(t, "AttachUserPolicy")
	v2 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","iam:ListUsers"],"Resource":"*"}]}`
	must(admin.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(v2)}))(t, "CreatePolicyVersion")

	denied := "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::123456789012:user/ " +
		"because no identity-based policy allows the iam:ListUsers action"
	simulate := func() types.PolicyEvaluationDecisionType {
		t.Helper()
		out := must(admin.SimulatePrincipalPolicy(ctx, &iamsdk.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/alice"), ActionNames: []string{"iam:ListUsers"}}))(t, "SimulatePrincipalPolicy")
		return out.EvaluationResults[0].EvalDecision
	}
	must(alice.GetUser(ctx, &iamsdk.GetUserInput{}))(t, "GetUser under v1")
	_, err := alice.ListUsers(ctx, &iamsdk.ListUsersInput{})
	wantAPIError(t, "ListUsers under v1 (v2 created, not default)", err, "AccessDenied", http.StatusForbidden, denied)
	if d := simulate(); d != types.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Errorf("simulated ListUsers under v1 = %s, want implicitDeny", d)
	}

	must(admin.SetDefaultPolicyVersion(ctx, &iamsdk.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v2")}))(t, "SetDefaultPolicyVersion v2")
	must(alice.ListUsers(ctx, &iamsdk.ListUsersInput{}))(t, "ListUsers under v2")
	if d := simulate(); d != types.PolicyEvaluationDecisionTypeAllowed {
		t.Errorf("simulated ListUsers under v2 = %s, want allowed", d)
	}

	// As a boundary, the default version bounds too.
	must(admin.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))(t, "attach IAMReadOnlyAccess")
	must(admin.PutUserPermissionsBoundary(ctx, &iamsdk.PutUserPermissionsBoundaryInput{UserName: aws.String("alice"), PermissionsBoundary: arn}))(t, "boundary")
	must(admin.SetDefaultPolicyVersion(ctx, &iamsdk.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")}))(t, "SetDefaultPolicyVersion v1")
	_, err = alice.ListUsers(ctx, &iamsdk.ListUsersInput{})
	wantAPIError(t, "ListUsers with v1 as the boundary", err, "AccessDenied", http.StatusForbidden,
		"User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::123456789012:user/ "+
			"because no permissions boundary allows the iam:ListUsers action")
	must(admin.SetDefaultPolicyVersion(ctx, &iamsdk.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v2")}))(t, "SetDefaultPolicyVersion v2 again")
	must(alice.ListUsers(ctx, &iamsdk.ListUsersInput{}))(t, "ListUsers with v2 as the boundary")

	// The lifecycle operations are authorized on the policy's ARN.
	_, err = alice.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowDoc("*"))})
	wantAPIError(t, "CreatePolicyVersion by alice", err, "AccessDenied", http.StatusForbidden,
		"User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:CreatePolicyVersion on resource: "+aws.ToString(arn)+
			" because no identity-based policy allows the iam:CreatePolicyVersion action")
	_, err = alice.GetAccountSummary(ctx, &iamsdk.GetAccountSummaryInput{})
	if code, _ := apiErr(err); code != "AccessDenied" {
		t.Errorf("GetAccountSummary by alice (only iam:Get*/List* of IAMReadOnlyAccess, bounded by v2) = %v, want AccessDenied", err)
	}
}

// TestDefaultVersionDecidesSTS checks that the policies STS evaluates for an
// IAM user's calls (UserPolicies) carry the default version: a federation
// token allowed only by v2 is refused under v1 and allowed once v2 is the
// default.
func TestDefaultVersionDecidesSTS(t *testing.T) {
	t.Parallel()
	a := iam.NewAccount(iam.Config{})
	u, err := a.CreateUser(iam.CreateUserInput{Name: "broker"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.CreatePolicy(iam.CreatePolicyInput{Name: "broker", Document: allowDoc("sts:GetCallerIdentity")})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.AttachUserPolicy("broker", p.ARN); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreatePolicyVersion(p.ARN, allowDoc("sts:GetFederationToken"), false); err != nil {
		t.Fatal(err)
	}
	allowed := func() bool {
		t.Helper()
		identity, boundary, err := a.UserPolicies(u.ARN)
		if err != nil {
			t.Fatal(err)
		}
		return policy.Evaluate(policy.Input{Identity: identity, Boundary: boundary, Request: policy.Request{
			Principal: policy.Principal{ARN: u.ARN, Account: a.ID()}, Action: "sts:GetFederationToken",
			Resource: "arn:aws:sts::123456789012:federated-user/carol"}}).Allowed
	}
	if allowed() {
		t.Errorf("GetFederationToken allowed while v1 is the default")
	}
	if err := a.SetDefaultPolicyVersion(p.ARN, "v2"); err != nil {
		t.Fatal(err)
	}
	if !allowed() {
		t.Errorf("GetFederationToken refused once v2 is the default")
	}
}
