package iam

import (
	"context"
	"strings"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Handlers of the role-policy, managed-policy, role-tag and account-alias
// operations. Parameters have passed the model's constraints (validate.go)
// before a handler runs.

func (a *Account) handleUpdateRoleDescription(_ context.Context, r *awsapi.Request) (any, error) {
	name, err := roleNameParam(r)
	if err != nil {
		return nil, err
	}
	role, err := a.UpdateRoleDescription(name, r.Get("Description"))
	if err != nil {
		return nil, err
	}
	return roleResult{roleOf(role, true)}, nil
}

func (a *Account) handleTagRole(_ context.Context, r *awsapi.Request) (any, error) {
	name, err := roleNameParam(r)
	if err != nil {
		return nil, err
	}
	tags, err := r.Tags("Tags")
	if err != nil {
		return nil, err
	}
	return nil, a.TagRole(name, tags)
}

func (a *Account) handleUntagRole(_ context.Context, r *awsapi.Request) (any, error) {
	name, err := roleNameParam(r)
	if err != nil {
		return nil, err
	}
	return nil, a.UntagRole(name, r.List("TagKeys", ""))
}

func (a *Account) handleListRoleTags(_ context.Context, r *awsapi.Request) (any, error) {
	name, err := roleNameParam(r)
	if err != nil {
		return nil, err
	}
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	role, err := a.RoleByName(name)
	if err != nil {
		return nil, err
	}
	return tagsResult(pg, role.Tags)
}

func policyNameParam(r *awsapi.Request) string {
	name := r.Get("PolicyName")
	r.Note("policyName", name)
	return name
}

func (a *Account) handlePutRolePolicy(_ context.Context, r *awsapi.Request) (any, error) {
	role, err := roleNameParam(r)
	if err != nil {
		return nil, err
	}
	return nil, a.PutRolePolicy(role, policyNameParam(r), r.Get("PolicyDocument"))
}

func (a *Account) handleGetRolePolicy(_ context.Context, r *awsapi.Request) (any, error) {
	role, err := roleNameParam(r)
	if err != nil {
		return nil, err
	}
	name := policyNameParam(r)
	doc, err := a.RolePolicy(role, name)
	if err != nil {
		return nil, err
	}
	return struct {
		RoleName       string `xml:"RoleName"`
		PolicyName     string `xml:"PolicyName"`
		PolicyDocument string `xml:"PolicyDocument"`
	}{role, name, URLEncodePolicy(doc)}, nil
}

func (a *Account) handleDeleteRolePolicy(_ context.Context, r *awsapi.Request) (any, error) {
	role, err := roleNameParam(r)
	if err != nil {
		return nil, err
	}
	return nil, a.DeleteRolePolicy(role, policyNameParam(r))
}

func (a *Account) handleListRolePolicies(_ context.Context, r *awsapi.Request) (any, error) {
	role, err := roleNameParam(r)
	if err != nil {
		return nil, err
	}
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	names, err := a.RolePolicyNames(role)
	if err != nil {
		return nil, err
	}
	return policyNamesResult(pg, names)
}

// memberList renders strings as <member> elements.
type memberList struct {
	Members []string `xml:"member"`
}

func policyARNParam(r *awsapi.Request) string {
	arn := r.Get("PolicyArn")
	r.Note("policyArn", arn)
	return arn
}

func (a *Account) handleAttachRolePolicy(_ context.Context, r *awsapi.Request) (any, error) {
	role, err := roleNameParam(r)
	if err != nil {
		return nil, err
	}
	return nil, a.AttachRolePolicy(role, policyARNParam(r))
}

func (a *Account) handleDetachRolePolicy(_ context.Context, r *awsapi.Request) (any, error) {
	role, err := roleNameParam(r)
	if err != nil {
		return nil, err
	}
	return nil, a.DetachRolePolicy(role, policyARNParam(r))
}

type attachedPolicy struct {
	PolicyName string `xml:"PolicyName"`
	PolicyARN  string `xml:"PolicyArn"`
}

func (a *Account) handleListAttachedRolePolicies(_ context.Context, r *awsapi.Request) (any, error) {
	role, err := roleNameParam(r)
	if err != nil {
		return nil, err
	}
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	policies, err := a.AttachedRolePolicies(role)
	if err != nil {
		return nil, err
	}
	return attachedResult(pg, policies, r.Get("PathPrefix"))
}

func (a *Account) handlePutRolePermissionsBoundary(_ context.Context, r *awsapi.Request) (any, error) {
	role, err := roleNameParam(r)
	if err != nil {
		return nil, err
	}
	arn := r.Get("PermissionsBoundary")
	r.Note("permissionsBoundary", arn)
	return nil, a.PutRolePermissionsBoundary(role, arn)
}

func (a *Account) handleDeleteRolePermissionsBoundary(_ context.Context, r *awsapi.Request) (any, error) {
	role, err := roleNameParam(r)
	if err != nil {
		return nil, err
	}
	return nil, a.DeleteRolePermissionsBoundary(role)
}

// policyXML is IAM's Policy shape.
type policyXML struct {
	PolicyName                    string   `xml:"PolicyName"`
	PolicyID                      string   `xml:"PolicyId"`
	ARN                           string   `xml:"Arn"`
	Path                          string   `xml:"Path"`
	DefaultVersionID              string   `xml:"DefaultVersionId"`
	AttachmentCount               int      `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int      `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool     `xml:"IsAttachable"`
	Description                   string   `xml:"Description,omitempty"`
	CreateDate                    string   `xml:"CreateDate"`
	UpdateDate                    string   `xml:"UpdateDate"`
	Tags                          *tagList `xml:"Tags,omitempty"`
}

// policyOf renders p; ListPolicies leaves out the description and tags, as
// AWS does.
func (a *Account) policyOf(p *ManagedPolicy, full bool) policyXML {
	attached, bounds := a.PolicyUsage(p.ARN)
	x := policyXML{PolicyName: p.Name, PolicyID: p.PolicyID, ARN: p.ARN, Path: p.Path, DefaultVersionID: p.DefaultVersionID,
		AttachmentCount: attached, PermissionsBoundaryUsageCount: bounds, IsAttachable: true,
		CreateDate: awsapi.Timestamp(p.CreateDate), UpdateDate: awsapi.Timestamp(p.UpdateDate)}
	if full {
		x.Description = p.Description
		x.Tags = tagsOf(p.Tags)
	}
	return x
}

type policyResult struct {
	Policy policyXML `xml:"Policy"`
}

func (a *Account) handleCreatePolicy(_ context.Context, r *awsapi.Request) (any, error) {
	tags, err := r.Tags("Tags")
	if err != nil {
		return nil, err
	}
	p, err := a.CreatePolicy(CreatePolicyInput{Name: policyNameParam(r), Path: r.Get("Path"), Document: r.Get("PolicyDocument"),
		Description: r.Get("Description"), Tags: tags})
	if err != nil {
		return nil, err
	}
	return policyResult{a.policyOf(p, true)}, nil
}

func (a *Account) handleGetPolicy(_ context.Context, r *awsapi.Request) (any, error) {
	p, err := a.Policy(policyARNParam(r))
	if err != nil {
		return nil, err
	}
	return policyResult{a.policyOf(p, true)}, nil
}

func (a *Account) handleGetPolicyVersion(_ context.Context, r *awsapi.Request) (any, error) {
	v, isDefault, err := a.PolicyVersion(policyARNParam(r), r.Get("VersionId"))
	if err != nil {
		return nil, err
	}
	return struct {
		Version policyVersionXML `xml:"PolicyVersion"`
	}{versionOf(v, isDefault, true)}, nil
}

func (a *Account) handleListPolicies(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	prefix, onlyAttached, usage := r.Get("PathPrefix"), strings.EqualFold(r.Get("OnlyAttached"), "true"), r.Get("PolicyUsageFilter")
	var list []policyXML
	for _, p := range a.Policies(r.Get("Scope")) {
		x := a.policyOf(p, false)
		switch {
		case prefix != "" && !strings.HasPrefix(p.Path, prefix):
			continue
		case onlyAttached && x.AttachmentCount+x.PermissionsBoundaryUsageCount == 0:
			continue
		case usage == "PermissionsPolicy" && onlyAttached && x.AttachmentCount == 0:
			continue
		case usage == "PermissionsBoundary" && onlyAttached && x.PermissionsBoundaryUsageCount == 0:
			continue
		}
		list = append(list, x)
	}
	list, next, err := paginate(pg, list, func(p policyXML) string { return p.PolicyName + "\x00" + p.ARN })
	if err != nil {
		return nil, err
	}
	return struct {
		Policies struct {
			Members []policyXML `xml:"member"`
		} `xml:"Policies"`
		IsTruncated bool   `xml:"IsTruncated"`
		Marker      string `xml:"Marker,omitempty"`
	}{struct {
		Members []policyXML `xml:"member"`
	}{list}, next != "", next}, nil
}

func (a *Account) handleCreateAccountAlias(_ context.Context, r *awsapi.Request) (any, error) {
	alias := r.Get("AccountAlias")
	r.Note("accountAlias", alias)
	return nil, a.CreateAccountAlias(alias)
}

func (a *Account) handleDeleteAccountAlias(_ context.Context, r *awsapi.Request) (any, error) {
	alias := r.Get("AccountAlias")
	r.Note("accountAlias", alias)
	return nil, a.DeleteAccountAlias(alias)
}

func (a *Account) handleListAccountAliases(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	var aliases []string
	if al := a.AccountAlias(); al != "" {
		aliases = []string{al}
	}
	aliases, next, err := paginate(pg, aliases, func(s string) string { return s })
	if err != nil {
		return nil, err
	}
	return struct {
		AccountAliases memberList `xml:"AccountAliases"`
		IsTruncated    bool       `xml:"IsTruncated"`
		Marker         string     `xml:"Marker,omitempty"`
	}{memberList{aliases}, next != "", next}, nil
}
