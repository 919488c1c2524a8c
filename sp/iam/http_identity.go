package iam

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Handlers of the user, group, access key and MFA operations. Parameters have
// passed the model's constraints (validate_identity.go) before a handler
// runs, and the caller has been authorized (authz.go).

func (a *Account) identityOperations(op func(string, awsapi.HandlerFunc) awsapi.Operation) []awsapi.Operation {
	return []awsapi.Operation{
		op("CreateUser", a.handleCreateUser),
		op("GetUser", a.handleGetUser),
		op("UpdateUser", a.handleUpdateUser),
		op("DeleteUser", a.handleDeleteUser),
		op("ListUsers", a.handleListUsers),
		op("TagUser", a.handleTagUser),
		op("UntagUser", a.handleUntagUser),
		op("ListUserTags", a.handleListUserTags),
		op("CreateGroup", a.handleCreateGroup),
		op("GetGroup", a.handleGetGroup),
		op("DeleteGroup", a.handleDeleteGroup),
		op("ListGroups", a.handleListGroups),
		op("ListGroupsForUser", a.handleListGroupsForUser),
		op("AddUserToGroup", a.handleAddUserToGroup),
		op("RemoveUserFromGroup", a.handleRemoveUserFromGroup),
		op("CreateAccessKey", a.handleCreateAccessKey),
		op("ListAccessKeys", a.handleListAccessKeys),
		op("UpdateAccessKey", a.handleUpdateAccessKey),
		op("DeleteAccessKey", a.handleDeleteAccessKey),
		op("GetAccessKeyLastUsed", a.handleGetAccessKeyLastUsed),
		op("PutUserPolicy", a.handlePutUserPolicy),
		op("GetUserPolicy", a.handleGetUserPolicy),
		op("DeleteUserPolicy", a.handleDeleteUserPolicy),
		op("ListUserPolicies", a.handleListUserPolicies),
		op("AttachUserPolicy", a.handleAttachUserPolicy),
		op("DetachUserPolicy", a.handleDetachUserPolicy),
		op("ListAttachedUserPolicies", a.handleListAttachedUserPolicies),
		op("PutGroupPolicy", a.handlePutGroupPolicy),
		op("GetGroupPolicy", a.handleGetGroupPolicy),
		op("DeleteGroupPolicy", a.handleDeleteGroupPolicy),
		op("ListGroupPolicies", a.handleListGroupPolicies),
		op("AttachGroupPolicy", a.handleAttachGroupPolicy),
		op("DetachGroupPolicy", a.handleDetachGroupPolicy),
		op("ListAttachedGroupPolicies", a.handleListAttachedGroupPolicies),
		op("PutUserPermissionsBoundary", a.handlePutUserPermissionsBoundary),
		op("DeleteUserPermissionsBoundary", a.handleDeleteUserPermissionsBoundary),
		op("CreateVirtualMFADevice", a.handleCreateVirtualMFADevice),
		op("EnableMFADevice", a.handleEnableMFADevice),
		op("DeactivateMFADevice", a.handleDeactivateMFADevice),
		op("ListMFADevices", a.handleListMFADevices),
		op("ListVirtualMFADevices", a.handleListVirtualMFADevices),
		op("DeleteVirtualMFADevice", a.handleDeleteVirtualMFADevice),
		op("SimulatePrincipalPolicy", a.handleSimulatePrincipalPolicy),
		op("SimulateCustomPolicy", a.handleSimulateCustomPolicy),
	}
}

// userXML is IAM's User shape.
type userXML struct {
	Path                string       `xml:"Path"`
	UserName            string       `xml:"UserName"`
	UserID              string       `xml:"UserId"`
	ARN                 string       `xml:"Arn"`
	CreateDate          string       `xml:"CreateDate"`
	PermissionsBoundary *boundaryXML `xml:"PermissionsBoundary,omitempty"`
	Tags                *tagList     `xml:"Tags,omitempty"`
}

// userOf renders u; ListUsers leaves out the boundary and tags, as AWS does.
func userOf(u *User, full bool) userXML {
	x := userXML{Path: u.Path, UserName: u.Name, UserID: u.UserID, ARN: u.ARN, CreateDate: awsapi.Timestamp(u.CreateDate)}
	if full {
		x.Tags = tagsOf(u.Tags)
		if u.PermissionsBoundary != "" {
			x.PermissionsBoundary = &boundaryXML{"PermissionsBoundaryPolicy", u.PermissionsBoundary}
		}
	}
	return x
}

type groupXML struct {
	Path       string `xml:"Path"`
	GroupName  string `xml:"GroupName"`
	GroupID    string `xml:"GroupId"`
	ARN        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
}

func groupOf(g *Group) groupXML {
	return groupXML{g.Path, g.Name, g.GroupID, g.ARN, awsapi.Timestamp(g.CreateDate)}
}

func userNameParam(r *awsapi.Request) string {
	name := r.Get("UserName")
	r.Note("userName", name)
	return name
}

func groupNameParam(r *awsapi.Request) string {
	name := r.Get("GroupName")
	r.Note("groupName", name)
	return name
}

// msgNonUserCredentials is IAM's answer when an operation whose UserName
// defaults to the caller is called by a caller who is not an IAM user.
const msgNonUserCredentials = "Must specify userName when calling with non-User credentials"

// selfOrNamed returns the request's UserName, or when it has none the calling
// IAM user's name, as IAM defaults it.
func (a *Account) selfOrNamed(r *awsapi.Request) (string, error) {
	if r.Has("UserName") {
		return userNameParam(r), nil
	}
	name, ok := callerUserName(r.Caller)
	if !ok {
		return "", awsapi.Errorf(awsapi.CodeValidation, http.StatusBadRequest, msgNonUserCredentials)
	}
	r.Note("userName", name)
	return name, nil
}

// callerUserName is the user name of an IAM user caller.
func callerUserName(c awsapi.Caller) (string, bool) {
	if c.Type != "IAMUser" {
		return "", false
	}
	i := strings.LastIndexByte(c.ARN, '/')
	if i < 0 {
		return "", false
	}
	return c.ARN[i+1:], true
}

func (a *Account) handleCreateUser(_ context.Context, r *awsapi.Request) (any, error) {
	tags, err := r.Tags("Tags")
	if err != nil {
		return nil, err
	}
	u, err := a.CreateUser(CreateUserInput{Name: userNameParam(r), Path: r.Get("Path"),
		PermissionsBoundary: r.Get("PermissionsBoundary"), Tags: tags})
	if err != nil {
		return nil, err
	}
	return struct {
		User userXML `xml:"User"`
	}{userOf(u, true)}, nil
}

func (a *Account) handleGetUser(_ context.Context, r *awsapi.Request) (any, error) {
	name, err := a.selfOrNamed(r)
	if err != nil {
		return nil, err
	}
	u, err := a.User(name)
	if err != nil && !r.Has("UserName") && a.isAdmin(r.Caller) {
		// The lab's administrator is not one of the account's stored users;
		// it is described from its credentials.
		u, err = &User{ARN: r.Caller.ARN, Name: name, Path: "/", UserID: r.Caller.PrincipalID}, nil
	}
	if err != nil {
		return nil, err
	}
	return struct {
		User userXML `xml:"User"`
	}{userOf(u, true)}, nil
}

func (a *Account) handleUpdateUser(_ context.Context, r *awsapi.Request) (any, error) {
	newName := r.Get("NewUserName")
	if newName != "" {
		r.Note("newUserName", newName)
	}
	return nil, a.UpdateUser(userNameParam(r), r.Get("NewPath"), newName)
}

func (a *Account) handleDeleteUser(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.DeleteUser(userNameParam(r))
}

// userList renders users as <member> elements.
type userList struct {
	Members []userXML `xml:"member"`
}

// usersPage is the page of users (in name order) that pg asks for and the
// Marker of the next page.
func usersPage(pg page, users []*User) (userList, string, error) {
	users, next, err := paginate(pg, users, func(u *User) string { return u.Name })
	if err != nil {
		return userList{}, "", err
	}
	var list userList
	for _, u := range users {
		list.Members = append(list.Members, userOf(u, false))
	}
	return list, next, nil
}

func (a *Account) handleListUsers(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	list, next, err := usersPage(pg, a.Users(r.Get("PathPrefix")))
	if err != nil {
		return nil, err
	}
	return struct {
		Users any `xml:"Users"`
		paged
	}{list, pagedOf(next)}, nil
}

func (a *Account) handleTagUser(_ context.Context, r *awsapi.Request) (any, error) {
	tags, err := r.Tags("Tags")
	if err != nil {
		return nil, err
	}
	return nil, a.TagUser(userNameParam(r), tags)
}

func (a *Account) handleUntagUser(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.UntagUser(userNameParam(r), r.List("TagKeys", ""))
}

func (a *Account) handleListUserTags(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	u, err := a.User(userNameParam(r))
	if err != nil {
		return nil, err
	}
	return tagsResult(pg, u.Tags)
}

func (a *Account) handleCreateGroup(_ context.Context, r *awsapi.Request) (any, error) {
	g, err := a.CreateGroup(groupNameParam(r), r.Get("Path"))
	if err != nil {
		return nil, err
	}
	return struct {
		Group groupXML `xml:"Group"`
	}{groupOf(g)}, nil
}

func (a *Account) handleGetGroup(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	g, members, err := a.Group(groupNameParam(r))
	if err != nil {
		return nil, err
	}
	list, next, err := usersPage(pg, members)
	if err != nil {
		return nil, err
	}
	return struct {
		Group groupXML `xml:"Group"`
		Users any      `xml:"Users"`
		paged
	}{groupOf(g), list, pagedOf(next)}, nil
}

func (a *Account) handleDeleteGroup(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.DeleteGroup(groupNameParam(r))
}

// groupsResult renders a page of groups.
func groupsResult(pg page, groups []*Group) (any, error) {
	groups, next, err := paginate(pg, groups, func(g *Group) string { return g.Name })
	if err != nil {
		return nil, err
	}
	var list struct {
		Members []groupXML `xml:"member"`
	}
	for _, g := range groups {
		list.Members = append(list.Members, groupOf(g))
	}
	return struct {
		Groups any `xml:"Groups"`
		paged
	}{list, pagedOf(next)}, nil
}

func (a *Account) handleListGroups(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	return groupsResult(pg, a.Groups(r.Get("PathPrefix")))
}

func (a *Account) handleListGroupsForUser(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	groups, err := a.GroupsForUser(userNameParam(r))
	if err != nil {
		return nil, err
	}
	return groupsResult(pg, groups)
}

func (a *Account) handleAddUserToGroup(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.AddUserToGroup(groupNameParam(r), userNameParam(r))
}

func (a *Account) handleRemoveUserFromGroup(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.RemoveUserFromGroup(groupNameParam(r), userNameParam(r))
}

func (a *Account) handleCreateAccessKey(_ context.Context, r *awsapi.Request) (any, error) {
	name, err := a.selfOrNamed(r)
	if err != nil {
		return nil, err
	}
	k, err := a.CreateAccessKey(name)
	if err != nil {
		return nil, err
	}
	r.Note("accessKeyId", k.AccessKeyID)
	return struct {
		AccessKey struct {
			UserName        string `xml:"UserName"`
			AccessKeyID     string `xml:"AccessKeyId"`
			Status          string `xml:"Status"`
			SecretAccessKey string `xml:"SecretAccessKey"`
			CreateDate      string `xml:"CreateDate"`
		} `xml:"AccessKey"`
	}{struct {
		UserName        string `xml:"UserName"`
		AccessKeyID     string `xml:"AccessKeyId"`
		Status          string `xml:"Status"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		CreateDate      string `xml:"CreateDate"`
	}{name, k.AccessKeyID, k.Status, k.SecretAccessKey, awsapi.Timestamp(k.CreateDate)}}, nil
}

type accessKeyMetadata struct {
	UserName    string `xml:"UserName"`
	AccessKeyID string `xml:"AccessKeyId"`
	Status      string `xml:"Status"`
	CreateDate  string `xml:"CreateDate"`
}

func (a *Account) handleListAccessKeys(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	name, err := a.selfOrNamed(r)
	if err != nil {
		return nil, err
	}
	keys, err := a.AccessKeys(name)
	if err != nil {
		return nil, err
	}
	keys, next, err := paginate(pg, keys, func(k AccessKey) string { return k.AccessKeyID })
	if err != nil {
		return nil, err
	}
	var list struct {
		Members []accessKeyMetadata `xml:"member"`
	}
	for _, k := range keys {
		list.Members = append(list.Members, accessKeyMetadata{name, k.AccessKeyID, k.Status, awsapi.Timestamp(k.CreateDate)})
	}
	return struct {
		AccessKeyMetadata any `xml:"AccessKeyMetadata"`
		paged
	}{list, pagedOf(next)}, nil
}

func accessKeyParam(r *awsapi.Request) string {
	id := r.Get("AccessKeyId")
	r.Note("accessKeyId", id)
	return id
}

func (a *Account) handleUpdateAccessKey(_ context.Context, r *awsapi.Request) (any, error) {
	name, err := a.selfOrNamed(r)
	if err != nil {
		return nil, err
	}
	r.Note("status", r.Get("Status"))
	return nil, a.UpdateAccessKey(name, accessKeyParam(r), r.Get("Status"))
}

func (a *Account) handleDeleteAccessKey(_ context.Context, r *awsapi.Request) (any, error) {
	name, err := a.selfOrNamed(r)
	if err != nil {
		return nil, err
	}
	return nil, a.DeleteAccessKey(name, accessKeyParam(r))
}

func (a *Account) handleGetAccessKeyLastUsed(_ context.Context, r *awsapi.Request) (any, error) {
	user, k, err := a.AccessKeyLastUsed(accessKeyParam(r))
	if err != nil {
		return nil, err
	}
	// A key never used shows N/A for service and region and no date, as
	// AWS's does.
	type lastUsed struct {
		LastUsedDate string `xml:"LastUsedDate,omitempty"`
		ServiceName  string `xml:"ServiceName"`
		Region       string `xml:"Region"`
	}
	lu := lastUsed{ServiceName: "N/A", Region: "N/A"}
	if !k.LastUsed.IsZero() {
		lu = lastUsed{awsapi.Timestamp(k.LastUsed), k.LastUsedService, k.LastUsedRegion}
	}
	return struct {
		UserName          string   `xml:"UserName"`
		AccessKeyLastUsed lastUsed `xml:"AccessKeyLastUsed"`
	}{user, lu}, nil
}

func (a *Account) handlePutUserPolicy(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.PutUserPolicy(userNameParam(r), policyNameParam(r), r.Get("PolicyDocument"))
}

func (a *Account) handleGetUserPolicy(_ context.Context, r *awsapi.Request) (any, error) {
	user, name := userNameParam(r), policyNameParam(r)
	doc, err := a.UserPolicy(user, name)
	if err != nil {
		return nil, err
	}
	return struct {
		UserName       string `xml:"UserName"`
		PolicyName     string `xml:"PolicyName"`
		PolicyDocument string `xml:"PolicyDocument"`
	}{user, name, URLEncodePolicy(doc)}, nil
}

func (a *Account) handleDeleteUserPolicy(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.DeleteUserPolicy(userNameParam(r), policyNameParam(r))
}

// policyNamesResult renders a page of inline policy names.
func policyNamesResult(pg page, names []string) (any, error) {
	names, next, err := paginate(pg, names, func(s string) string { return s })
	if err != nil {
		return nil, err
	}
	return struct {
		PolicyNames memberList `xml:"PolicyNames"`
		paged
	}{memberList{names}, pagedOf(next)}, nil
}

func (a *Account) handleListUserPolicies(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	u, err := a.User(userNameParam(r))
	if err != nil {
		return nil, err
	}
	return policyNamesResult(pg, u.names())
}

func (a *Account) handleAttachUserPolicy(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.AttachUserPolicy(userNameParam(r), policyARNParam(r))
}

func (a *Account) handleDetachUserPolicy(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.DetachUserPolicy(userNameParam(r), policyARNParam(r))
}

// attachedResult renders a page of attached managed policies whose path
// starts with prefix.
func attachedResult(pg page, policies []*ManagedPolicy, prefix string) (any, error) {
	var list []attachedPolicy
	for _, p := range policies {
		if strings.HasPrefix(p.Path, prefix) {
			list = append(list, attachedPolicy{p.Name, p.ARN})
		}
	}
	list, next, err := paginate(pg, list, func(p attachedPolicy) string { return p.PolicyARN })
	if err != nil {
		return nil, err
	}
	return struct {
		AttachedPolicies struct {
			Members []attachedPolicy `xml:"member"`
		} `xml:"AttachedPolicies"`
		paged
	}{struct {
		Members []attachedPolicy `xml:"member"`
	}{list}, pagedOf(next)}, nil
}

func (a *Account) handleListAttachedUserPolicies(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	ps, err := a.AttachedUserPolicies(userNameParam(r))
	if err != nil {
		return nil, err
	}
	return attachedResult(pg, ps, r.Get("PathPrefix"))
}

func (a *Account) handlePutGroupPolicy(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.PutGroupPolicy(groupNameParam(r), policyNameParam(r), r.Get("PolicyDocument"))
}

func (a *Account) handleGetGroupPolicy(_ context.Context, r *awsapi.Request) (any, error) {
	group, name := groupNameParam(r), policyNameParam(r)
	doc, err := a.GroupPolicy(group, name)
	if err != nil {
		return nil, err
	}
	return struct {
		GroupName      string `xml:"GroupName"`
		PolicyName     string `xml:"PolicyName"`
		PolicyDocument string `xml:"PolicyDocument"`
	}{group, name, URLEncodePolicy(doc)}, nil
}

func (a *Account) handleDeleteGroupPolicy(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.DeleteGroupPolicy(groupNameParam(r), policyNameParam(r))
}

func (a *Account) handleListGroupPolicies(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	g, _, err := a.Group(groupNameParam(r))
	if err != nil {
		return nil, err
	}
	return policyNamesResult(pg, g.names())
}

func (a *Account) handleAttachGroupPolicy(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.AttachGroupPolicy(groupNameParam(r), policyARNParam(r))
}

func (a *Account) handleDetachGroupPolicy(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.DetachGroupPolicy(groupNameParam(r), policyARNParam(r))
}

func (a *Account) handleListAttachedGroupPolicies(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	ps, err := a.AttachedGroupPolicies(groupNameParam(r))
	if err != nil {
		return nil, err
	}
	return attachedResult(pg, ps, r.Get("PathPrefix"))
}

func (a *Account) handlePutUserPermissionsBoundary(_ context.Context, r *awsapi.Request) (any, error) {
	arn := r.Get("PermissionsBoundary")
	r.Note("permissionsBoundary", arn)
	return nil, a.PutUserPermissionsBoundary(userNameParam(r), arn)
}

func (a *Account) handleDeleteUserPermissionsBoundary(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.DeleteUserPermissionsBoundary(userNameParam(r))
}

// virtualMFAXML is IAM's VirtualMFADevice shape. The seed and QR code are
// blobs, base64-encoded on the wire; the seed blob holds the base32 text.
type virtualMFAXML struct {
	SerialNumber     string   `xml:"SerialNumber"`
	Base32StringSeed string   `xml:"Base32StringSeed,omitempty"`
	QRCodePNG        string   `xml:"QRCodePNG,omitempty"`
	User             *userXML `xml:"User,omitempty"`
	EnableDate       string   `xml:"EnableDate,omitempty"`
	Tags             *tagList `xml:"Tags,omitempty"`
}

func (a *Account) handleCreateVirtualMFADevice(_ context.Context, r *awsapi.Request) (any, error) {
	tags, err := r.Tags("Tags")
	if err != nil {
		return nil, err
	}
	name := r.Get("VirtualMFADeviceName")
	r.Note("virtualMFADeviceName", name)
	d, png, err := a.CreateVirtualMFADevice(r.Get("Path"), name, tags)
	if err != nil {
		return nil, err
	}
	return struct {
		Device virtualMFAXML `xml:"VirtualMFADevice"`
	}{virtualMFAXML{SerialNumber: d.SerialNumber, Base32StringSeed: base64.StdEncoding.EncodeToString([]byte(d.Base32Seed())),
		QRCodePNG: base64.StdEncoding.EncodeToString(png), Tags: tagsOf(d.Tags)}}, nil
}

func serialParam(r *awsapi.Request) string {
	s := r.Get("SerialNumber")
	r.Note("serialNumber", s)
	return s
}

func (a *Account) handleEnableMFADevice(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.EnableMFADevice(userNameParam(r), serialParam(r), r.Get("AuthenticationCode1"), r.Get("AuthenticationCode2"))
}

func (a *Account) handleDeactivateMFADevice(_ context.Context, r *awsapi.Request) (any, error) {
	name, err := a.selfOrNamed(r)
	if err != nil {
		return nil, err
	}
	return nil, a.DeactivateMFADevice(name, serialParam(r))
}

func (a *Account) handleListMFADevices(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	name, err := a.selfOrNamed(r)
	if err != nil {
		return nil, err
	}
	devices, err := a.MFADevices(name)
	if err != nil {
		return nil, err
	}
	devices, next, err := paginate(pg, devices, func(d *MFADevice) string { return d.SerialNumber })
	if err != nil {
		return nil, err
	}
	type mfaXML struct {
		UserName     string `xml:"UserName"`
		SerialNumber string `xml:"SerialNumber"`
		EnableDate   string `xml:"EnableDate"`
	}
	var list struct {
		Members []mfaXML `xml:"member"`
	}
	for _, d := range devices {
		list.Members = append(list.Members, mfaXML{d.UserName, d.SerialNumber, awsapi.Timestamp(d.EnableDate)})
	}
	return struct {
		MFADevices any `xml:"MFADevices"`
		paged
	}{list, pagedOf(next)}, nil
}

func (a *Account) handleListVirtualMFADevices(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	devices, next, err := paginate(pg, a.VirtualMFADevices(r.Get("AssignmentStatus")), func(d *MFADevice) string { return d.SerialNumber })
	if err != nil {
		return nil, err
	}
	var list struct {
		Members []virtualMFAXML `xml:"member"`
	}
	for _, d := range devices {
		x := virtualMFAXML{SerialNumber: d.SerialNumber, Tags: tagsOf(d.Tags)}
		if d.UserName != "" {
			if u, err := a.User(d.UserName); err == nil {
				ux := userOf(u, false)
				x.User = &ux
			}
			x.EnableDate = awsapi.Timestamp(d.EnableDate)
		}
		list.Members = append(list.Members, x)
	}
	return struct {
		VirtualMFADevices any `xml:"VirtualMFADevices"`
		paged
	}{list, pagedOf(next)}, nil
}

func (a *Account) handleDeleteVirtualMFADevice(_ context.Context, r *awsapi.Request) (any, error) {
	return nil, a.DeleteVirtualMFADevice(serialParam(r))
}
