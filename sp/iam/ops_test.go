package iam_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/sp/iam"
)

const permissions = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`

func (s *iamServer) sdk() *iamsdk.Client {
	return iamsdk.NewFromConfig(s.sdkConfig(), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(s.srv.URL) })
}

// apiErr returns the code of an SDK error and, for an HTTP response error,
// its status.
func apiErr(err error) (code string, status int) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

func wantAPIError(t *testing.T, what string, err error, code string, status int, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: error = %v, want %s", what, err, code)
		return
	}
	gotCode, gotStatus := apiErr(err)
	if gotCode != code || gotStatus != status || ae.ErrorMessage() != msg {
		t.Errorf("%s: got %s %d %q, want %s %d %q", what, gotCode, gotStatus, ae.ErrorMessage(), code, status, msg)
	}
}

// TestSDKRolePolicies drives the role-policy operations with the AWS SDK for
// Go v2: inline policies, AWS and customer managed policies, the boundary,
// role tags and descriptions, and the errors and limits of each.
func TestSDKRolePolicies(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newIAMServer(t, nil)
	c := s.sdk()
	if _, err := c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("Dev"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatalf("CreateRole: %v", err)
	}

	// Inline policies.
	if _, err := c.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("Dev"), PolicyName: aws.String("s3"),
		PolicyDocument: aws.String(permissions)}); err != nil {
		t.Fatalf("PutRolePolicy: %v", err)
	}
	got, err := c.GetRolePolicy(ctx, &iamsdk.GetRolePolicyInput{RoleName: aws.String("Dev"), PolicyName: aws.String("s3")})
	if err != nil {
		t.Fatalf("GetRolePolicy: %v", err)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(got.PolicyDocument)); doc != permissions || aws.ToString(got.RoleName) != "Dev" {
		t.Errorf("GetRolePolicy = %s %q, want Dev and the URL-encoded document", aws.ToString(got.RoleName), aws.ToString(got.PolicyDocument))
	}
	names, err := c.ListRolePolicies(ctx, &iamsdk.ListRolePoliciesInput{RoleName: aws.String("Dev")})
	if err != nil || !slices.Equal(names.PolicyNames, []string{"s3"}) || names.IsTruncated {
		t.Errorf("ListRolePolicies = %v, %v; want [s3]", names, err)
	}
	_, err = c.GetRolePolicy(ctx, &iamsdk.GetRolePolicyInput{RoleName: aws.String("Dev"), PolicyName: aws.String("nope")})
	wantAPIError(t, "GetRolePolicy(unknown)", err, "NoSuchEntity", 404, "The role policy with name nope cannot be found.")
	_, err = c.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("Dev"), PolicyName: aws.String("bad"), PolicyDocument: aws.String(trust)})
	wantAPIError(t, "PutRolePolicy(principal)", err, "MalformedPolicyDocument", 400, "Policy document should not specify a principal.")
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["` + strings.Repeat("s3:GetObject", 900) + `"],"Resource":"*"}]}`
	_, err = c.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("Dev"), PolicyName: aws.String("big"), PolicyDocument: aws.String(big)})
	wantAPIError(t, "PutRolePolicy(over 10240)", err, "LimitExceeded", 409, "Maximum policy size of 10240 bytes exceeded for role Dev")
	bigTrust := strings.Replace(trust, `"Action":"sts:AssumeRoleWithSAML"`, `"Action":["sts:AssumeRoleWithSAML"`+strings.Repeat(`,"sts:TagSession"`, 120)+`]`, 1)
	_, err = c.UpdateAssumeRolePolicy(ctx, &iamsdk.UpdateAssumeRolePolicyInput{RoleName: aws.String("Dev"), PolicyDocument: aws.String(bigTrust)})
	wantAPIError(t, "UpdateAssumeRolePolicy(over 2048)", err, "LimitExceeded", 409, "Cannot exceed quota for ACLSizePerRole: 2048")
	_, err = c.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("Dev")})
	wantAPIError(t, "DeleteRole(inline policy)", err, "DeleteConflict", 409, "Cannot delete entity, must delete policies first.")

	// AWS managed policies are there, read-only, to attach.
	ro := "arn:aws:iam::aws:policy/ReadOnlyAccess"
	pol, err := c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String(ro)})
	if err != nil || aws.ToString(pol.Policy.PolicyName) != "ReadOnlyAccess" || !pol.Policy.IsAttachable {
		t.Fatalf("GetPolicy(ReadOnlyAccess) = %v, %v", pol, err)
	}
	ver, err := c.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess"), VersionId: aws.String("v1")})
	if err != nil {
		t.Fatalf("GetPolicyVersion: %v", err)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(ver.PolicyVersion.Document)); !strings.Contains(doc, `"Action":"*"`) || !ver.PolicyVersion.IsDefaultVersion {
		t.Errorf("AdministratorAccess v1 = %q, want Allow * on *", doc)
	}
	_, err = c.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: aws.String(ro), VersionId: aws.String("v1")})
	wantAPIError(t, "GetPolicyVersion(old version)", err, "NoSuchEntity", 404,
		"Policy arn:aws:iam::aws:policy/ReadOnlyAccess version v1 does not exist or is not attachable.")
	if _, err := c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("Dev"), PolicyArn: aws.String(ro)}); err != nil {
		t.Fatalf("AttachRolePolicy: %v", err)
	}
	_, err = c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("Dev"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAcces")})
	wantAPIError(t, "AttachRolePolicy(typo)", err, "NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/ReadOnlyAcces does not exist or is not attachable.")
	_, err = c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("Dev"), PolicyArn: aws.String("ReadOnlyAccess-not-an-ARN")})
	wantAPIError(t, "AttachRolePolicy(not an ARN)", err, "InvalidInput", 400, "ARN ReadOnlyAccess-not-an-ARN is not valid.")

	// Customer managed policies.
	created, err := c.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("s3-list"), Path: aws.String("/lab/"),
		PolicyDocument: aws.String(permissions), Description: aws.String("List buckets"),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}})
	if err != nil {
		t.Fatalf("CreatePolicy: %v", err)
	}
	mine := aws.ToString(created.Policy.Arn)
	if mine != "arn:aws:iam::123456789012:policy/lab/s3-list" || aws.ToString(created.Policy.DefaultVersionId) != "v1" ||
		!strings.HasPrefix(aws.ToString(created.Policy.PolicyId), "ANPA") {
		t.Errorf("CreatePolicy = %s %s %s", mine, aws.ToString(created.Policy.DefaultVersionId), aws.ToString(created.Policy.PolicyId))
	}
	_, err = c.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("s3-list"), PolicyDocument: aws.String(permissions)})
	wantAPIError(t, "CreatePolicy(duplicate)", err, "EntityAlreadyExists", 409, "A policy called s3-list already exists. Duplicate names are not allowed.")
	_, err = c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::123456789012:policy/nope")})
	wantAPIError(t, "GetPolicy(unknown)", err, "NoSuchEntity", 404, "Policy arn:aws:iam::123456789012:policy/nope was not found.")
	if _, err := c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("Dev"), PolicyArn: aws.String(mine)}); err != nil {
		t.Fatalf("AttachRolePolicy(customer): %v", err)
	}
	att, err := c.ListAttachedRolePolicies(ctx, &iamsdk.ListAttachedRolePoliciesInput{RoleName: aws.String("Dev")})
	if err != nil || len(att.AttachedPolicies) != 2 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != ro ||
		aws.ToString(att.AttachedPolicies[1].PolicyName) != "s3-list" {
		t.Errorf("ListAttachedRolePolicies = %+v, %v", att, err)
	}
	pol, err = c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String(mine)})
	if err != nil || aws.ToInt32(pol.Policy.AttachmentCount) != 1 || aws.ToString(pol.Policy.Description) != "List buckets" || len(pol.Policy.Tags) != 1 {
		t.Errorf("GetPolicy(customer) = %+v, %v; want attachment count 1, the description and the tag", pol, err)
	}
	local, err := c.ListPolicies(ctx, &iamsdk.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})
	if err != nil || len(local.Policies) != 1 || aws.ToString(local.Policies[0].Arn) != mine {
		t.Errorf("ListPolicies(Local) = %+v, %v", local, err)
	}
	attached, err := c.ListPolicies(ctx, &iamsdk.ListPoliciesInput{OnlyAttached: true})
	if err != nil || len(attached.Policies) != 2 {
		t.Errorf("ListPolicies(OnlyAttached) = %d policies, %v; want 2", len(attached.Policies), err)
	}
	for i := range 8 {
		if _, err := c.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("p%d", i)), PolicyDocument: aws.String(permissions)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("Dev"),
			PolicyArn: aws.String(fmt.Sprintf("arn:aws:iam::123456789012:policy/p%d", i))}); err != nil {
			t.Fatalf("attach policy %d: %v", i+3, err)
		}
	}
	_, err = c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("Dev"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	wantAPIError(t, "AttachRolePolicy(11th)", err, "LimitExceeded", 409, "Cannot exceed quota for PoliciesPerRole: 10")
	_, err = c.DetachRolePolicy(ctx, &iamsdk.DetachRolePolicyInput{RoleName: aws.String("Dev"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	wantAPIError(t, "DetachRolePolicy(not attached)", err, "NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/AdministratorAccess was not found.")
	if _, err := c.DetachRolePolicy(ctx, &iamsdk.DetachRolePolicyInput{RoleName: aws.String("Dev"), PolicyArn: aws.String(ro)}); err != nil {
		t.Errorf("DetachRolePolicy: %v", err)
	}

	// Boundary, tags, description.
	if _, err := c.PutRolePermissionsBoundary(ctx, &iamsdk.PutRolePermissionsBoundaryInput{RoleName: aws.String("Dev"), PermissionsBoundary: aws.String(mine)}); err != nil {
		t.Fatalf("PutRolePermissionsBoundary: %v", err)
	}
	_, err = c.PutRolePermissionsBoundary(ctx, &iamsdk.PutRolePermissionsBoundaryInput{RoleName: aws.String("Dev"),
		PermissionsBoundary: aws.String("arn:aws:iam::123456789012:policy/none")})
	wantAPIError(t, "PutRolePermissionsBoundary(unknown)", err, "NoSuchEntity", 404, "Scope ARN: arn:aws:iam::123456789012:policy/none does not exist or is not attachable.")
	if _, err := c.TagRole(ctx, &iamsdk.TagRoleInput{RoleName: aws.String("Dev"), Tags: []iamtypes.Tag{
		{Key: aws.String("b"), Value: aws.String("2")}, {Key: aws.String("a"), Value: aws.String("1")}}}); err != nil {
		t.Fatalf("TagRole: %v", err)
	}
	if _, err := c.UntagRole(ctx, &iamsdk.UntagRoleInput{RoleName: aws.String("Dev"), TagKeys: []string{"b"}}); err != nil {
		t.Fatalf("UntagRole: %v", err)
	}
	tags, err := c.ListRoleTags(ctx, &iamsdk.ListRoleTagsInput{RoleName: aws.String("Dev")})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "a" {
		t.Errorf("ListRoleTags = %+v, %v; want [a]", tags, err)
	}
	upd, err := c.UpdateRoleDescription(ctx, &iamsdk.UpdateRoleDescriptionInput{RoleName: aws.String("Dev"), Description: aws.String("Developers")})
	if err != nil || aws.ToString(upd.Role.Description) != "Developers" {
		t.Errorf("UpdateRoleDescription = %v, %v", upd, err)
	}
	role, err := c.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("Dev")})
	if err != nil || role.Role.PermissionsBoundary == nil || aws.ToString(role.Role.PermissionsBoundary.PermissionsBoundaryArn) != mine ||
		role.Role.PermissionsBoundary.PermissionsBoundaryType != iamtypes.PermissionsBoundaryAttachmentTypePolicy || len(role.Role.Tags) != 1 {
		t.Errorf("GetRole = %+v, %v; want the boundary and one tag", role, err)
	}
	pol, _ = c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String(mine)})
	if aws.ToInt32(pol.Policy.PermissionsBoundaryUsageCount) != 1 {
		t.Errorf("PermissionsBoundaryUsageCount = %d, want 1", aws.ToInt32(pol.Policy.PermissionsBoundaryUsageCount))
	}
	if _, err := c.DeleteRolePermissionsBoundary(ctx, &iamsdk.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("Dev")}); err != nil {
		t.Fatalf("DeleteRolePermissionsBoundary: %v", err)
	}
	role, _ = c.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("Dev")})
	if role.Role.PermissionsBoundary != nil {
		t.Errorf("boundary after DeleteRolePermissionsBoundary = %+v", role.Role.PermissionsBoundary)
	}
	if _, err := c.DeleteRolePolicy(ctx, &iamsdk.DeleteRolePolicyInput{RoleName: aws.String("Dev"), PolicyName: aws.String("s3")}); err != nil {
		t.Fatalf("DeleteRolePolicy: %v", err)
	}
	_, err = c.DeleteRolePolicy(ctx, &iamsdk.DeleteRolePolicyInput{RoleName: aws.String("Dev"), PolicyName: aws.String("s3")})
	wantAPIError(t, "DeleteRolePolicy(again)", err, "NoSuchEntity", 404, "The role policy with name s3 cannot be found.")
	_, err = c.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("Dev")})
	wantAPIError(t, "DeleteRole(attached)", err, "DeleteConflict", 409, "Cannot delete entity, must detach all policies first.")
	_, err = c.TagRole(ctx, &iamsdk.TagRoleInput{RoleName: aws.String("Nobody"), Tags: []iamtypes.Tag{{Key: aws.String("a"), Value: aws.String("1")}}})
	wantAPIError(t, "TagRole(unknown role)", err, "NoSuchEntity", 404, "The role with name Nobody cannot be found.")
}

// TestSDKAccountAlias sets, lists, replaces and deletes the alias, and reads
// it through Account.AccountAlias.
func TestSDKAccountAlias(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newIAMServer(t, nil)
	c := s.sdk()
	list, err := c.ListAccountAliases(ctx, &iamsdk.ListAccountAliasesInput{})
	if err != nil || len(list.AccountAliases) != 0 {
		t.Fatalf("ListAccountAliases(none) = %v, %v", list, err)
	}
	for _, alias := range []string{"samlab-demo", "samlab-lab"} {
		if _, err := c.CreateAccountAlias(ctx, &iamsdk.CreateAccountAliasInput{AccountAlias: aws.String(alias)}); err != nil {
			t.Fatalf("CreateAccountAlias(%s): %v", alias, err)
		}
	}
	list, err = c.ListAccountAliases(ctx, &iamsdk.ListAccountAliasesInput{})
	if err != nil || !slices.Equal(list.AccountAliases, []string{"samlab-lab"}) {
		t.Errorf("ListAccountAliases = %v, %v; want the second alias only", list, err)
	}
	if got := s.account.AccountAlias(); got != "samlab-lab" {
		t.Errorf("Account.AccountAlias = %q", got)
	}
	_, err = c.DeleteAccountAlias(ctx, &iamsdk.DeleteAccountAliasInput{AccountAlias: aws.String("samlab-demo")})
	wantAPIError(t, "DeleteAccountAlias(old)", err, "NoSuchEntity", 404, "The account alias samlab-demo cannot be found.")
	if _, err := c.DeleteAccountAlias(ctx, &iamsdk.DeleteAccountAliasInput{AccountAlias: aws.String("samlab-lab")}); err != nil {
		t.Fatalf("DeleteAccountAlias: %v", err)
	}
	if got := s.account.AccountAlias(); got != "" {
		t.Errorf("Account.AccountAlias after delete = %q", got)
	}
}

// TestSDKPaging lists roles, role tags, provider tags, inline policies and
// policies with the SDK's paginators at MaxItems 2, and checks every item
// comes exactly once, in order, with IsTruncated and Marker on every page
// but the last.
func TestSDKPaging(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newIAMServer(t, nil)
	c := s.sdk()
	var wantRoles []string
	for i := range 5 {
		name := fmt.Sprintf("role-%d", i)
		wantRoles = append(wantRoles, name)
		if _, err := s.account.CreateRole(iam.CreateRoleInput{Name: name, AssumeRolePolicyDocument: trust}); err != nil {
			t.Fatal(err)
		}
		if err := s.account.PutRolePolicy("role-0", fmt.Sprintf("inline-%d", i), permissions); err != nil {
			t.Fatal(err)
		}
	}
	var tags []iamtypes.Tag
	for i := range 5 {
		tags = append(tags, iamtypes.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
	}
	if _, err := c.TagRole(ctx, &iamsdk.TagRoleInput{RoleName: aws.String("role-0"), Tags: tags}); err != nil {
		t.Fatal(err)
	}

	pages, truncations := 0, 0
	var gotRoles []string
	p := iamsdk.NewListRolesPaginator(c, &iamsdk.ListRolesInput{MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListRoles page %d: %v", pages+1, err)
		}
		pages++
		if out.IsTruncated {
			truncations++
			if aws.ToString(out.Marker) == "" {
				t.Errorf("ListRoles page %d is truncated without a Marker", pages)
			}
		}
		for _, r := range out.Roles {
			gotRoles = append(gotRoles, aws.ToString(r.RoleName))
		}
	}
	if !slices.Equal(gotRoles, wantRoles) || pages != 3 || truncations != 2 {
		t.Errorf("ListRoles by 2 = %v in %d pages (%d truncated), want %v in 3 (2)", gotRoles, pages, truncations, wantRoles)
	}

	var gotTags []string
	tp := iamsdk.NewListRoleTagsPaginator(c, &iamsdk.ListRoleTagsInput{RoleName: aws.String("role-0"), MaxItems: aws.Int32(2)})
	for tp.HasMorePages() {
		out, err := tp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range out.Tags {
			gotTags = append(gotTags, aws.ToString(tg.Key))
		}
	}
	if !slices.Equal(gotTags, []string{"k0", "k1", "k2", "k3", "k4"}) {
		t.Errorf("ListRoleTags by 2 = %v", gotTags)
	}

	var gotInline []string
	ip := iamsdk.NewListRolePoliciesPaginator(c, &iamsdk.ListRolePoliciesInput{RoleName: aws.String("role-0"), MaxItems: aws.Int32(3)})
	for ip.HasMorePages() {
		out, err := ip.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		gotInline = append(gotInline, out.PolicyNames...)
	}
	if !slices.Equal(gotInline, []string{"inline-0", "inline-1", "inline-2", "inline-3", "inline-4"}) {
		t.Errorf("ListRolePolicies by 3 = %v", gotInline)
	}

	var gotPolicies []string
	pp := iamsdk.NewListPoliciesPaginator(c, &iamsdk.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws, MaxItems: aws.Int32(2)})
	for pp.HasMorePages() {
		out, err := pp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, pol := range out.Policies {
			gotPolicies = append(gotPolicies, aws.ToString(pol.PolicyName))
		}
	}
	if !slices.Contains(gotPolicies, "ReadOnlyAccess") || !slices.Contains(gotPolicies, "AdministratorAccess") || !slices.IsSorted(gotPolicies) ||
		len(slices.Compact(slices.Clone(gotPolicies))) != len(gotPolicies) {
		t.Errorf("ListPolicies(AWS) by 2 = %v, want every AWS managed policy once, by name", gotPolicies)
	}

	md := testMetadata(t, certstest.New(), "https://idp.example", 1)
	prov, err := c.CreateSAMLProvider(ctx, &iamsdk.CreateSAMLProviderInput{Name: aws.String("idp"), SAMLMetadataDocument: aws.String(string(md)), Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	var gotProviderTags []string
	ptp := iamsdk.NewListSAMLProviderTagsPaginator(c, &iamsdk.ListSAMLProviderTagsInput{SAMLProviderArn: prov.SAMLProviderArn, MaxItems: aws.Int32(2)})
	for ptp.HasMorePages() {
		out, err := ptp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range out.Tags {
			gotProviderTags = append(gotProviderTags, aws.ToString(tg.Key))
		}
	}
	if !slices.Equal(gotProviderTags, []string{"k0", "k1", "k2", "k3", "k4"}) {
		t.Errorf("ListSAMLProviderTags by 2 = %v", gotProviderTags)
	}

	// Attached policies page in attachment order.
	var wantAttached []string
	for _, name := range []string{"ReadOnlyAccess", "AdministratorAccess", "PowerUserAccess"} {
		wantAttached = append(wantAttached, name)
		if err := s.account.AttachRolePolicy("role-1", "arn:aws:iam::aws:policy/"+name); err != nil {
			t.Fatal(err)
		}
	}
	var gotAttached []string
	ap := iamsdk.NewListAttachedRolePoliciesPaginator(c, &iamsdk.ListAttachedRolePoliciesInput{RoleName: aws.String("role-1"), MaxItems: aws.Int32(1)})
	for ap.HasMorePages() {
		out, err := ap.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range out.AttachedPolicies {
			gotAttached = append(gotAttached, aws.ToString(p.PolicyName))
		}
	}
	if !slices.Equal(gotAttached, wantAttached) {
		t.Errorf("ListAttachedRolePolicies by 1 = %v, want %v", gotAttached, wantAttached)
	}

	// The raw wire: a last page has IsTruncated false and no Marker.
	body := s.mustCall(t, "ListRoles", kv("MaxItems", "5"))
	if !strings.Contains(body, "<IsTruncated>false</IsTruncated>") || strings.Contains(body, "<Marker>") {
		t.Errorf("ListRoles(MaxItems=5) of 5 roles:\n%s", body)
	}
	if r := s.call(t, "ListRoles", kv("Marker", "%%%")); r.status != http.StatusBadRequest || r.code != "InvalidInput" {
		t.Errorf("ListRoles(foreign Marker) = %d %s %q, want 400 InvalidInput", r.status, r.code, r.message)
	}
}

// TestGetSAMLProviderDefaults: a provider created without encryption
// settings shows AWS's defaults — an ID starting SAMLSP, mode Allowed, empty
// Tags and PrivateKeyList elements.
func TestGetSAMLProviderDefaults(t *testing.T) {
	t.Parallel()
	s := newIAMServer(t, nil)
	md := testMetadata(t, certstest.New(), "https://idp.example", 1)
	s.mustCall(t, "CreateSAMLProvider", kv("Name", "idp", "SAMLMetadataDocument", string(md)))
	body := s.mustCall(t, "GetSAMLProvider", kv("SAMLProviderArn", s.account.ProviderARN("idp")))
	for _, want := range []string{"<SAMLProviderUUID>SAMLSP", "<AssertionEncryptionMode>Allowed</AssertionEncryptionMode>",
		"<Tags></Tags>", "<PrivateKeyList></PrivateKeyList>"} {
		if !strings.Contains(body, want) {
			t.Errorf("GetSAMLProvider lacks %s:\n%s", want, body)
		}
	}
	out, err := s.sdk().GetSAMLProvider(t.Context(), &iamsdk.GetSAMLProviderInput{SAMLProviderArn: aws.String(s.account.ProviderARN("idp"))})
	if err != nil || out.AssertionEncryptionMode != iamtypes.AssertionEncryptionModeTypeAllowed || len(aws.ToString(out.SAMLProviderUUID)) < 22 {
		t.Errorf("SDK GetSAMLProvider = %+v, %v", out, err)
	}
}
