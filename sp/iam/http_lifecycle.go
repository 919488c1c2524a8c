package iam

import (
	"context"
	"strings"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Handlers of the managed-policy lifecycle, account summary and login
// profile operations. Parameters have passed the model's constraints
// (validate_lifecycle.go) and the caller has been authorized (authz.go)
// before a handler runs.

func (a *Account) lifecycleOperations(op func(string, awsapi.HandlerFunc) awsapi.Operation) []awsapi.Operation {
	return []awsapi.Operation{
		op("CreatePolicyVersion", a.handleCreatePolicyVersion),
		op("ListPolicyVersions", a.handleListPolicyVersions),
		op("SetDefaultPolicyVersion", a.handleSetDefaultPolicyVersion),
		op("DeletePolicyVersion", a.handleDeletePolicyVersion),
		op("DeletePolicy", a.handleDeletePolicy),
		op("ListEntitiesForPolicy", a.handleListEntitiesForPolicy),
		op("TagPolicy", a.handleTagPolicy),
		op("UntagPolicy", a.handleUntagPolicy),
		op("ListPolicyTags", a.handleListPolicyTags),
		op("GetAccountSummary", a.handleGetAccountSummary),
		op("GetAccountAuthorizationDetails", a.handleGetAccountAuthorizationDetails),
		op("CreateLoginProfile", a.handleCreateLoginProfile),
		op("GetLoginProfile", a.handleGetLoginProfile),
		op("UpdateLoginProfile", a.handleUpdateLoginProfile),
		op("DeleteLoginProfile", a.handleDeleteLoginProfile),
	}
}

// policyVersionXML is IAM's PolicyVersion shape. Only GetPolicyVersion and
// GetAccountAuthorizationDetails show the document.
type policyVersionXML struct {
	Document         string `xml:"Document,omitempty"`
	VersionID        string `xml:"VersionId"`
	IsDefaultVersion bool   `xml:"IsDefaultVersion"`
	CreateDate       string `xml:"CreateDate"`
}

func versionOf(v PolicyVersion, isDefault, withDocument bool) policyVersionXML {
	x := policyVersionXML{VersionID: v.VersionID, IsDefaultVersion: isDefault, CreateDate: awsapi.Timestamp(v.CreateDate)}
	if withDocument {
		x.Document = URLEncodePolicy(v.Document)
	}
	return x
}

func versionIDParam(r *awsapi.Request) string {
	id := r.Get("VersionId")
	r.Note("versionId", id)
	return id
}

func (a *Account) handleCreatePolicyVersion(_ context.Context, r *awsapi.Request) (any, error) {
	setDefault := strings.EqualFold(r.Get("SetAsDefault"), "true")
	v, err := a.CreatePolicyVersion(policyARNParam(r), r.Get("PolicyDocument"), setDefault)
	if err != nil {
		return nil, err
	}
	r.Note("versionId", v.VersionID)
	return struct {
		Version policyVersionXML `xml:"PolicyVersion"`
	}{versionOf(v, setDefault, false)}, nil
}

func (a *Account) handleListPolicyVersions(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	versions, def, err := a.PolicyVersions(policyARNParam(r))
	if err != nil {
		return nil, err
	}
	versions, next, err := paginate(pg, versions, func(v PolicyVersion) string { return v.VersionID })
	if err != nil {
		return nil, err
	}
	var list struct {
		Members []policyVersionXML `xml:"member"`
	}
	for _, v := range versions {
		list.Members = append(list.Members, versionOf(v, v.VersionID == def, false))
	}
	return struct {
		Versions any `xml:"Versions"`
		paged
	}{list, pagedOf(next)}, nil
}

func (a *Account) handleSetDefaultPolicyVersion(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.SetDefaultPolicyVersion(policyARNParam(r), versionIDParam(r))
}

func (a *Account) handleDeletePolicyVersion(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.DeletePolicyVersion(policyARNParam(r), versionIDParam(r))
}

func (a *Account) handleDeletePolicy(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.DeletePolicy(policyARNParam(r))
}

func (a *Account) handleListEntitiesForPolicy(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	entities, err := a.EntitiesForPolicy(EntitiesForPolicyInput{PolicyARN: policyARNParam(r), EntityFilter: r.Get("EntityFilter"),
		PathPrefix: r.Get("PathPrefix"), Usage: r.Get("PolicyUsageFilter")})
	if err != nil {
		return nil, err
	}
	entities, next, err := paginate(pg, entities, func(e PolicyEntity) string { return e.Kind + "\x00" + e.Name })
	if err != nil {
		return nil, err
	}
	type group struct {
		GroupName string `xml:"GroupName"`
		GroupID   string `xml:"GroupId"`
	}
	type user struct {
		UserName string `xml:"UserName"`
		UserID   string `xml:"UserId"`
	}
	type role struct {
		RoleName string `xml:"RoleName"`
		RoleID   string `xml:"RoleId"`
	}
	var out struct {
		Groups struct {
			Members []group `xml:"member"`
		} `xml:"PolicyGroups"`
		Users struct {
			Members []user `xml:"member"`
		} `xml:"PolicyUsers"`
		Roles struct {
			Members []role `xml:"member"`
		} `xml:"PolicyRoles"`
		paged
	}
	for _, e := range entities {
		switch e.Kind {
		case "Group":
			out.Groups.Members = append(out.Groups.Members, group{e.Name, e.ID})
		case "User":
			out.Users.Members = append(out.Users.Members, user{e.Name, e.ID})
		default:
			out.Roles.Members = append(out.Roles.Members, role{e.Name, e.ID})
		}
	}
	out.paged = pagedOf(next)
	return out, nil
}

func (a *Account) handleTagPolicy(_ context.Context, r *awsapi.Request) (any, error) {
	arn := policyARNParam(r)
	tags, err := requiredTags(r)
	if err != nil {
		return nil, err
	}
	return nil, a.TagPolicy(arn, tags)
}

func (a *Account) handleUntagPolicy(_ context.Context, r *awsapi.Request) (any, error) {
	arn := policyARNParam(r)
	keys, err := requiredTagKeys(r)
	if err != nil {
		return nil, err
	}
	return nil, a.UntagPolicy(arn, keys)
}

func (a *Account) handleListPolicyTags(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	p, err := a.Policy(policyARNParam(r))
	if err != nil {
		return nil, err
	}
	return tagsResult(pg, p.Tags)
}

// summaryEntry is one <entry> of IAM's SummaryMap, the Query protocol's
// rendering of a map.
type summaryEntry struct {
	Key   string `xml:"key"`
	Value int    `xml:"value"`
}

// summaryKeys are SummaryMap's keys in the order of the model's enum.
var summaryKeys = []string{"Users", "UsersQuota", "Groups", "GroupsQuota", "ServerCertificates", "ServerCertificatesQuota",
	"UserPolicySizeQuota", "GroupPolicySizeQuota", "GroupsPerUserQuota", "SigningCertificatesPerUserQuota",
	"AccessKeysPerUserQuota", "MFADevices", "MFADevicesInUse", "AccountMFAEnabled", "AccountAccessKeysPresent",
	"AccountPasswordPresent", "AccountSigningCertificatesPresent", "AttachedPoliciesPerGroupQuota",
	"AttachedPoliciesPerRoleQuota", "AttachedPoliciesPerUserQuota", "Policies", "PoliciesQuota", "PolicySizeQuota",
	"PolicyVersionsInUse", "PolicyVersionsInUseQuota", "VersionsPerPolicyQuota", "GlobalEndpointTokenVersion",
	"AssumeRolePolicySizeQuota", "InstanceProfiles", "InstanceProfilesQuota", "Providers", "RolePolicySizeQuota",
	"Roles", "RolesQuota"}

func (a *Account) handleGetAccountSummary(_ context.Context, _ *awsapi.Request) (any, error) {
	m := a.AccountSummary()
	var out struct {
		Entries []summaryEntry `xml:"SummaryMap>entry"`
	}
	for _, k := range summaryKeys {
		out.Entries = append(out.Entries, summaryEntry{k, m[k]})
	}
	return out, nil
}

// policyDetailXML is IAM's PolicyDetail shape: an inline policy.
type policyDetailXML struct {
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func inlineDetails(p Policies) []policyDetailXML {
	var out []policyDetailXML
	for _, n := range p.names() {
		out = append(out, policyDetailXML{n, URLEncodePolicy(p.InlinePolicies[n])})
	}
	return out
}

// detail is one entry of GetAccountAuthorizationDetails before rendering:
// users, groups, roles, then managed policies, each sorted by name, are
// paged as one list.
type detail struct {
	key    string
	user   *User
	group  *Group
	role   *Role
	policy *ManagedPolicy
}

func (a *Account) attachedXML(arns []string) []attachedPolicy {
	var out []attachedPolicy
	a.mu.RLock()
	defer a.mu.RUnlock()
	for _, p := range a.attachedOf(arns) {
		out = append(out, attachedPolicy{p.Name, p.ARN})
	}
	return out
}

func (a *Account) handleGetAccountAuthorizationDetails(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	d := a.AuthorizationDetails(r.List("Filter", ""))
	var items []detail
	for _, u := range d.Users {
		items = append(items, detail{key: "1\x00" + u.Name, user: u})
	}
	for _, g := range d.Groups {
		items = append(items, detail{key: "2\x00" + g.Name, group: g})
	}
	for _, ro := range d.Roles {
		items = append(items, detail{key: "3\x00" + ro.Name, role: ro})
	}
	for _, p := range d.Policies {
		items = append(items, detail{key: "4\x00" + p.Name + "\x00" + p.ARN, policy: p})
	}
	items, next, err := paginate(pg, items, func(it detail) string { return it.key })
	if err != nil {
		return nil, err
	}
	type userDetail struct {
		Path                    string            `xml:"Path"`
		UserName                string            `xml:"UserName"`
		UserID                  string            `xml:"UserId"`
		ARN                     string            `xml:"Arn"`
		CreateDate              string            `xml:"CreateDate"`
		UserPolicyList          []policyDetailXML `xml:"UserPolicyList>member"`
		GroupList               []string          `xml:"GroupList>member"`
		AttachedManagedPolicies []attachedPolicy  `xml:"AttachedManagedPolicies>member"`
		PermissionsBoundary     *boundaryXML      `xml:"PermissionsBoundary,omitempty"`
		Tags                    *tagList          `xml:"Tags,omitempty"`
	}
	type groupDetail struct {
		Path                    string            `xml:"Path"`
		GroupName               string            `xml:"GroupName"`
		GroupID                 string            `xml:"GroupId"`
		ARN                     string            `xml:"Arn"`
		CreateDate              string            `xml:"CreateDate"`
		GroupPolicyList         []policyDetailXML `xml:"GroupPolicyList>member"`
		AttachedManagedPolicies []attachedPolicy  `xml:"AttachedManagedPolicies>member"`
	}
	type roleDetail struct {
		Path                     string            `xml:"Path"`
		RoleName                 string            `xml:"RoleName"`
		RoleID                   string            `xml:"RoleId"`
		ARN                      string            `xml:"Arn"`
		CreateDate               string            `xml:"CreateDate"`
		AssumeRolePolicyDocument string            `xml:"AssumeRolePolicyDocument"`
		InstanceProfileList      struct{}          `xml:"InstanceProfileList"`
		RolePolicyList           []policyDetailXML `xml:"RolePolicyList>member"`
		AttachedManagedPolicies  []attachedPolicy  `xml:"AttachedManagedPolicies>member"`
		PermissionsBoundary      *boundaryXML      `xml:"PermissionsBoundary,omitempty"`
		Tags                     *tagList          `xml:"Tags,omitempty"`
	}
	type policyDetail struct {
		policyXML
		Versions []policyVersionXML `xml:"PolicyVersionList>member"`
	}
	var out struct {
		Users    []userDetail   `xml:"UserDetailList>member"`
		Groups   []groupDetail  `xml:"GroupDetailList>member"`
		Roles    []roleDetail   `xml:"RoleDetailList>member"`
		Policies []policyDetail `xml:"Policies>member"`
		paged
	}
	boundary := func(arn string) *boundaryXML {
		if arn == "" {
			return nil
		}
		return &boundaryXML{"PermissionsBoundaryPolicy", arn}
	}
	for _, it := range items {
		switch {
		case it.user != nil:
			u := it.user
			out.Users = append(out.Users, userDetail{u.Path, u.Name, u.UserID, u.ARN, awsapi.Timestamp(u.CreateDate),
				inlineDetails(u.Policies), u.Groups, a.attachedXML(u.AttachedPolicies), boundary(u.PermissionsBoundary), tagsOf(u.Tags)})
		case it.group != nil:
			g := it.group
			out.Groups = append(out.Groups, groupDetail{g.Path, g.Name, g.GroupID, g.ARN, awsapi.Timestamp(g.CreateDate),
				inlineDetails(g.Policies), a.attachedXML(g.AttachedPolicies)})
		case it.role != nil:
			ro := it.role
			out.Roles = append(out.Roles, roleDetail{Path: ro.Path, RoleName: ro.Name, RoleID: ro.RoleID, ARN: ro.ARN,
				CreateDate: awsapi.Timestamp(ro.CreateDate), AssumeRolePolicyDocument: URLEncodePolicy(ro.AssumeRolePolicyDocument),
				RolePolicyList:          inlineDetails(Policies{InlinePolicies: ro.InlinePolicies}),
				AttachedManagedPolicies: a.attachedXML(ro.AttachedPolicies), PermissionsBoundary: boundary(ro.PermissionsBoundary),
				Tags: tagsOf(ro.Tags)})
		default:
			p := it.policy
			x := policyDetail{policyXML: a.policyOf(p, true)}
			x.Tags = nil // ManagedPolicyDetail has no Tags
			for _, v := range versionsOf(p) {
				x.Versions = append(x.Versions, versionOf(v, v.VersionID == p.DefaultVersionID, true))
			}
			out.Policies = append(out.Policies, x)
		}
	}
	out.paged = pagedOf(next)
	return out, nil
}

// loginProfileXML is IAM's LoginProfile shape.
type loginProfileXML struct {
	UserName              string `xml:"UserName"`
	CreateDate            string `xml:"CreateDate"`
	PasswordResetRequired bool   `xml:"PasswordResetRequired"`
}

type loginProfileResult struct {
	LoginProfile loginProfileXML `xml:"LoginProfile"`
}

func (a *Account) handleCreateLoginProfile(_ context.Context, r *awsapi.Request) (any, error) {
	name, err := a.selfOrNamed(r)
	if err != nil {
		return nil, err
	}
	if !r.Has("Password") {
		// The model lets Password out for AssumeRoot sessions only; what AWS
		// answers an IAM caller without one is unverified.
		return nil, validationError([]string{nullClause("password")})
	}
	reset := strings.EqualFold(r.Get("PasswordResetRequired"), "true")
	lp, err := a.CreateLoginProfile(name, r.Get("Password"), reset)
	if err != nil {
		return nil, err
	}
	return loginProfileResult{loginProfileXML{name, awsapi.Timestamp(lp.CreateDate), lp.PasswordResetRequired}}, nil
}

func (a *Account) handleGetLoginProfile(_ context.Context, r *awsapi.Request) (any, error) {
	name, err := a.selfOrNamed(r)
	if err != nil {
		return nil, err
	}
	lp, err := a.LoginProfileOf(name)
	if err != nil {
		return nil, err
	}
	return loginProfileResult{loginProfileXML{name, awsapi.Timestamp(lp.CreateDate), lp.PasswordResetRequired}}, nil
}

func (a *Account) handleUpdateLoginProfile(_ context.Context, r *awsapi.Request) (any, error) {
	name := userNameParam(r)
	var password *string
	if r.Has("Password") {
		p := r.Get("Password")
		password = &p
	}
	var reset *bool
	if r.Has("PasswordResetRequired") {
		b := strings.EqualFold(r.Get("PasswordResetRequired"), "true")
		reset = &b
	}
	return nil, a.UpdateLoginProfile(name, password, reset)
}

func (a *Account) handleDeleteLoginProfile(_ context.Context, r *awsapi.Request) (any, error) {
	name, err := a.selfOrNamed(r)
	if err != nil {
		return nil, err
	}
	return nil, a.DeleteLoginProfile(name)
}
