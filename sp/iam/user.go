package iam

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Quotas of IAM users and groups (IAM User Guide, "IAM and AWS STS quotas";
// default values).
const (
	MaxUsers             = 5000
	MaxGroups            = 300
	MaxGroupsPerUser     = 10
	MaxAccessKeysPerUser = 2
	// MaxPoliciesPerUser and MaxPoliciesPerGroup are the managed policies
	// attached to one user or group.
	MaxPoliciesPerUser  = 10
	MaxPoliciesPerGroup = 10
	// MaxUserInlinePolicySize and MaxGroupInlinePolicySize bound the total
	// size of a user's or group's inline policies, whitespace not counted.
	MaxUserInlinePolicySize  = 2048
	MaxGroupInlinePolicySize = 5120
	// MaxMFADevicesPerUser is how many MFA devices one user may have enabled.
	MaxMFADevicesPerUser = 8
)

// identities are an account's IAM users, groups and virtual MFA devices. They
// are guarded by Account.mu.
type identities struct {
	users  map[string]*User      // by name
	groups map[string]*Group     // by name
	mfa    map[string]*MFADevice // virtual MFA devices by serial number
	admins []string              // ARNs of callers no policy restricts (authz.go)
}

func newIdentities() identities {
	return identities{users: map[string]*User{}, groups: map[string]*Group{}, mfa: map[string]*MFADevice{}}
}

// Policies are the permissions policies of a user, group or role: inline
// documents by name and attached managed policy ARNs in attachment order.
type Policies struct {
	InlinePolicies   map[string]string `json:",omitempty"`
	AttachedPolicies []string          `json:",omitempty"`
}

func (p Policies) clone() Policies {
	c := Policies{AttachedPolicies: slices.Clone(p.AttachedPolicies)}
	if p.InlinePolicies != nil {
		c.InlinePolicies = make(map[string]string, len(p.InlinePolicies))
		for k, v := range p.InlinePolicies {
			c.InlinePolicies[k] = v
		}
	}
	return c
}

// names returns the inline policy names, sorted.
func (p Policies) names() []string {
	out := make([]string, 0, len(p.InlinePolicies))
	for n := range p.InlinePolicies {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// User is an IAM user. Values returned by Account are snapshots.
type User struct {
	ARN        string
	Name       string
	Path       string
	UserID     string // starts with AIDA
	CreateDate time.Time
	// Tags are sorted by key.
	Tags []awsapi.Tag `json:",omitempty"`
	Policies
	// PermissionsBoundary is the ARN of the managed policy that bounds the
	// user, "" when none.
	PermissionsBoundary string `json:",omitempty"`
	// Groups are the names of the groups the user is in, in joining order.
	Groups []string `json:",omitempty"`
	// AccessKeys are the user's long-term access keys, oldest first.
	AccessKeys []AccessKey `json:",omitempty"`
	// LoginProfile is the user's console password, nil when none
	// (loginprofile.go).
	LoginProfile *LoginProfile `json:",omitempty"`
}

func (u *User) clone() *User {
	c := *u
	c.Tags = slices.Clone(u.Tags)
	c.Policies = u.Policies.clone()
	c.Groups = slices.Clone(u.Groups)
	c.AccessKeys = slices.Clone(u.AccessKeys)
	if u.LoginProfile != nil {
		lp := *u.LoginProfile
		c.LoginProfile = &lp
	}
	return &c
}

// Group is an IAM group. Its members are the users whose Groups name it.
type Group struct {
	ARN        string
	Name       string
	Path       string
	GroupID    string // starts with AGPA
	CreateDate time.Time
	Policies
}

func (g *Group) clone() *Group {
	c := *g
	c.Policies = g.Policies.clone()
	return &c
}

// UserARN returns the ARN of a user with the given path and name.
func (a *Account) UserARN(path, name string) string {
	if path == "" {
		path = "/"
	}
	return fmt.Sprintf("arn:%s:iam::%s:user%s%s", a.partition, a.id, path, name)
}

// GroupARN returns the ARN of a group with the given path and name.
func (a *Account) GroupARN(path, name string) string {
	if path == "" {
		path = "/"
	}
	return fmt.Sprintf("arn:%s:iam::%s:group%s%s", a.partition, a.id, path, name)
}

func noSuchUser(name string) *awsapi.Error {
	return awsapi.Errorf(awsapi.CodeNoSuchEntity, http.StatusNotFound, "The user with name %s cannot be found.", name)
}

func noSuchGroup(name string) *awsapi.Error {
	return awsapi.Errorf(awsapi.CodeNoSuchEntity, http.StatusNotFound, "The group with name %s cannot be found.", name)
}

func deleteConflict(format string, args ...any) *awsapi.Error {
	return awsapi.Errorf(codeDeleteConflict, http.StatusConflict, format, args...)
}

// CreateUserInput is the input of CreateUser.
type CreateUserInput struct {
	Name                string
	Path                string // default "/"
	PermissionsBoundary string
	Tags                []awsapi.Tag
}

// CreateUser creates an IAM user.
func (a *Account) CreateUser(in CreateUserInput) (*User, error) {
	if in.Path == "" {
		in.Path = "/"
	}
	if err := checkOne("UserName", shUserName, in.Name); err != nil {
		return nil, err
	}
	if err := checkOne("Path", shRolePath, in.Path); err != nil {
		return nil, err
	}
	tags, err := checkTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.ids.users[in.Name]; ok {
		return nil, awsapi.Errorf(awsapi.CodeEntityAlreadyExists, http.StatusConflict, "User with name %s already exists.", in.Name)
	}
	if len(a.ids.users) >= MaxUsers {
		return nil, awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict, "Cannot exceed quota for UsersPerAccount: %d", MaxUsers)
	}
	if in.PermissionsBoundary != "" {
		if _, err := a.policyLocked(in.PermissionsBoundary, boundaryNotFound); err != nil {
			return nil, err
		}
	}
	u := &User{ARN: a.UserARN(in.Path, in.Name), Name: in.Name, Path: in.Path, UserID: "AIDA" + a.newUUID()[:17],
		CreateDate: a.now().UTC().Truncate(time.Second), Tags: tags, PermissionsBoundary: in.PermissionsBoundary}
	if err := a.putUser(u); err != nil {
		return nil, err
	}
	return u.clone(), nil
}

// User returns the user called name.
func (a *Account) User(name string) (*User, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	u, ok := a.ids.users[name]
	if !ok {
		return nil, noSuchUser(name)
	}
	return u.clone(), nil
}

// Users lists the users whose path starts with pathPrefix ("" for all),
// sorted by name.
func (a *Account) Users(pathPrefix string) []*User {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var out []*User
	for _, u := range a.ids.users {
		if strings.HasPrefix(u.Path, pathPrefix) {
			out = append(out, u.clone())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// UpdateUser changes a user's path and/or name (IAM UpdateUser); empty
// values leave them as they are.
func (a *Account) UpdateUser(name, newPath, newName string) error {
	if newPath != "" {
		if err := checkOne("NewPath", shRolePath, newPath); err != nil {
			return err
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, ok := a.ids.users[name]
	if !ok {
		return noSuchUser(name)
	}
	u := cur.clone()
	if newPath != "" {
		u.Path = newPath
	}
	if newName != "" && newName != name {
		if _, taken := a.ids.users[newName]; taken {
			return awsapi.Errorf(awsapi.CodeEntityAlreadyExists, http.StatusConflict, "User with name %s already exists.", newName)
		}
		u.Name = newName
	}
	u.ARN = a.UserARN(u.Path, u.Name)
	// The user's MFA devices follow the new name.
	for _, d := range a.ids.mfa {
		if d.UserName == name && u.Name != name {
			nd := d.clone()
			nd.UserName = u.Name
			if err := a.putMFA(nd); err != nil {
				return err
			}
		}
	}
	if err := a.putUser(u); err != nil {
		return err
	}
	if u.Name != name {
		delete(a.ids.users, name)
	}
	return nil
}

// DeleteUser deletes a user. As on AWS, a user that still has access keys,
// a login profile, MFA devices, group memberships or policies cannot be deleted (the order in
// which AWS checks them is unverified).
func (a *Account) DeleteUser(name string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.ids.users[name]
	if !ok {
		return noSuchUser(name)
	}
	switch {
	case len(u.AccessKeys) > 0:
		return deleteConflict("Cannot delete entity, must delete access keys first.")
	case u.LoginProfile != nil:
		return deleteConflict("Cannot delete entity, must delete login profile first.")
	case a.userHasMFALocked(name):
		return deleteConflict("Cannot delete entity, must delete MFA device first.")
	case len(u.Groups) > 0:
		return deleteConflict("Cannot delete entity, must remove users from group first.")
	case len(u.InlinePolicies) > 0:
		return deleteConflict("Cannot delete entity, must delete policies first.")
	case len(u.AttachedPolicies) > 0:
		return deleteConflict("Cannot delete entity, must detach all policies first.")
	}
	if is, ok := a.store.(IdentityStore); ok {
		if err := is.DeleteUser(u.UserID); err != nil {
			return storeFailure(err)
		}
	}
	delete(a.ids.users, name)
	return nil
}

// putUser persists u and then installs it. The caller holds a.mu.
func (a *Account) putUser(u *User) error {
	if is, ok := a.store.(IdentityStore); ok {
		if err := is.PutUser(u); err != nil {
			return storeFailure(err)
		}
	}
	a.ids.users[u.Name] = u
	return nil
}

// updateUser applies change to a copy of the user called name and persists
// it. change may return an error to leave the user as it was.
func (a *Account) updateUser(name string, change func(u *User) error) (*User, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, ok := a.ids.users[name]
	if !ok {
		return nil, noSuchUser(name)
	}
	u := cur.clone()
	if err := change(u); err != nil {
		return nil, err
	}
	if err := a.putUser(u); err != nil {
		return nil, err
	}
	return u.clone(), nil
}

// TagUser adds tags to a user, replacing values of existing keys.
func (a *Account) TagUser(name string, tags []awsapi.Tag) error {
	_, err := a.updateUser(name, func(u *User) error {
		merged, err := checkTags(u.Tags, tags)
		if err != nil {
			return err
		}
		u.Tags = merged
		return nil
	})
	return err
}

// UntagUser removes the tags with the given keys from a user.
func (a *Account) UntagUser(name string, keys []string) error {
	_, err := a.updateUser(name, func(u *User) error {
		u.Tags = slices.DeleteFunc(u.Tags, func(t awsapi.Tag) bool { return slices.Contains(keys, t.Key) })
		return nil
	})
	return err
}

// PutUserPermissionsBoundary sets the managed policy that bounds a user.
func (a *Account) PutUserPermissionsBoundary(name, policyARN string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, ok := a.ids.users[name]
	if !ok {
		return noSuchUser(name)
	}
	if _, err := a.policyLocked(policyARN, boundaryNotFound); err != nil {
		return err
	}
	u := cur.clone()
	u.PermissionsBoundary = policyARN
	return a.putUser(u)
}

// DeleteUserPermissionsBoundary removes a user's permissions boundary.
func (a *Account) DeleteUserPermissionsBoundary(name string) error {
	_, err := a.updateUser(name, func(u *User) error {
		u.PermissionsBoundary = ""
		return nil
	})
	return err
}

// CreateGroup creates a group.
func (a *Account) CreateGroup(name, path string) (*Group, error) {
	if path == "" {
		path = "/"
	}
	if err := checkOne("GroupName", shGroupName, name); err != nil {
		return nil, err
	}
	if err := checkOne("Path", shRolePath, path); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.ids.groups[name]; ok {
		return nil, awsapi.Errorf(awsapi.CodeEntityAlreadyExists, http.StatusConflict, "Group with name %s already exists.", name)
	}
	if len(a.ids.groups) >= MaxGroups {
		return nil, awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict, "Cannot exceed quota for GroupsPerAccount: %d", MaxGroups)
	}
	g := &Group{ARN: a.GroupARN(path, name), Name: name, Path: path, GroupID: "AGPA" + a.newUUID()[:17],
		CreateDate: a.now().UTC().Truncate(time.Second)}
	if err := a.putGroup(g); err != nil {
		return nil, err
	}
	return g.clone(), nil
}

// Group returns the group called name and its members, sorted by name.
func (a *Account) Group(name string) (*Group, []*User, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	g, ok := a.ids.groups[name]
	if !ok {
		return nil, nil, noSuchGroup(name)
	}
	var members []*User
	for _, u := range a.ids.users {
		if slices.Contains(u.Groups, name) {
			members = append(members, u.clone())
		}
	}
	sort.Slice(members, func(i, j int) bool { return members[i].Name < members[j].Name })
	return g.clone(), members, nil
}

// Groups lists the groups whose path starts with pathPrefix, sorted by name.
func (a *Account) Groups(pathPrefix string) []*Group {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var out []*Group
	for _, g := range a.ids.groups {
		if strings.HasPrefix(g.Path, pathPrefix) {
			out = append(out, g.clone())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// GroupsForUser lists the groups a user is in, sorted by name.
func (a *Account) GroupsForUser(name string) ([]*Group, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	u, ok := a.ids.users[name]
	if !ok {
		return nil, noSuchUser(name)
	}
	out := make([]*Group, 0, len(u.Groups))
	for _, gn := range u.Groups {
		if g, ok := a.ids.groups[gn]; ok {
			out = append(out, g.clone())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// DeleteGroup deletes a group that has no members and no policies.
func (a *Account) DeleteGroup(name string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, ok := a.ids.groups[name]
	if !ok {
		return noSuchGroup(name)
	}
	for _, u := range a.ids.users {
		if slices.Contains(u.Groups, name) {
			return deleteConflict("Cannot delete entity, must remove users from group first.")
		}
	}
	switch {
	case len(g.InlinePolicies) > 0:
		return deleteConflict("Cannot delete entity, must delete policies first.")
	case len(g.AttachedPolicies) > 0:
		return deleteConflict("Cannot delete entity, must detach all policies first.")
	}
	if is, ok := a.store.(IdentityStore); ok {
		if err := is.DeleteGroup(g.GroupID); err != nil {
			return storeFailure(err)
		}
	}
	delete(a.ids.groups, name)
	return nil
}

func (a *Account) putGroup(g *Group) error {
	if is, ok := a.store.(IdentityStore); ok {
		if err := is.PutGroup(g); err != nil {
			return storeFailure(err)
		}
	}
	a.ids.groups[g.Name] = g
	return nil
}

func (a *Account) updateGroup(name string, change func(g *Group) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, ok := a.ids.groups[name]
	if !ok {
		return noSuchGroup(name)
	}
	g := cur.clone()
	if err := change(g); err != nil {
		return err
	}
	return a.putGroup(g)
}

// AddUserToGroup makes a user a member of a group. Adding a member again
// does nothing, as on AWS.
func (a *Account) AddUserToGroup(groupName, userName string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.ids.groups[groupName]; !ok {
		return noSuchGroup(groupName)
	}
	cur, ok := a.ids.users[userName]
	if !ok {
		return noSuchUser(userName)
	}
	if slices.Contains(cur.Groups, groupName) {
		return nil
	}
	if len(cur.Groups) >= MaxGroupsPerUser {
		return awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict, "Cannot exceed quota for GroupsPerUser: %d", MaxGroupsPerUser)
	}
	u := cur.clone()
	u.Groups = append(u.Groups, groupName)
	return a.putUser(u)
}

// RemoveUserFromGroup ends a user's membership of a group.
func (a *Account) RemoveUserFromGroup(groupName, userName string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.ids.groups[groupName]; !ok {
		return noSuchGroup(groupName)
	}
	cur, ok := a.ids.users[userName]
	if !ok {
		return noSuchUser(userName)
	}
	i := slices.Index(cur.Groups, groupName)
	if i < 0 {
		// AWS's answer for a user who is not a member is unverified.
		return noSuchUser(userName)
	}
	u := cur.clone()
	u.Groups = slices.Delete(u.Groups, i, i+1)
	return a.putUser(u)
}

// inlineTarget describes a role, user or group for the inline and managed policy
// operations shared by all three.
type inlineTarget struct {
	kind      string // "role", "user" or "group"
	maxInline int
	maxAttach int
	quota     string // quota name in LimitExceeded messages
}

var (
	roleTarget  = inlineTarget{"role", MaxInlinePolicySize, MaxAttachedPolicies, "PoliciesPerRole"}
	userTarget  = inlineTarget{"user", MaxUserInlinePolicySize, MaxPoliciesPerUser, "PoliciesPerUser"}
	groupTarget = inlineTarget{"group", MaxGroupInlinePolicySize, MaxPoliciesPerGroup, "PoliciesPerGroup"}
)

func (t inlineTarget) noSuchPolicy(name string) error {
	return awsapi.Errorf(awsapi.CodeNoSuchEntity, http.StatusNotFound, "The %s policy with name %s cannot be found.", t.kind, name)
}

// put adds or replaces an inline policy of the entity called owner.
func (t inlineTarget) put(inline *map[string]string, owner, policyName, doc string) error {
	total := policySize(doc)
	for n, d := range *inline {
		if n != policyName {
			total += policySize(d)
		}
	}
	if total > t.maxInline {
		return awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict,
			"Maximum policy size of %d bytes exceeded for %s %s", t.maxInline, t.kind, owner)
	}
	if *inline == nil {
		*inline = map[string]string{}
	}
	(*inline)[policyName] = doc
	return nil
}

// get returns the inline policy called policyName.
func (t inlineTarget) get(inline map[string]string, policyName string) (string, error) {
	doc, ok := inline[policyName]
	if !ok {
		return "", t.noSuchPolicy(policyName)
	}
	return doc, nil
}

func (t inlineTarget) remove(inline map[string]string, policyName string) error {
	if _, ok := inline[policyName]; !ok {
		return t.noSuchPolicy(policyName)
	}
	delete(inline, policyName)
	return nil
}

// attach attaches a managed policy; the caller holds a.mu.
func (a *Account) attachLocked(t inlineTarget, attached *[]string, policyARN string) error {
	if _, err := a.policyLocked(policyARN, policyNotAttachable); err != nil {
		return err
	}
	if slices.Contains(*attached, policyARN) {
		return nil
	}
	if len(*attached) >= t.maxAttach {
		return awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict, "Cannot exceed quota for %s: %d", t.quota, t.maxAttach)
	}
	*attached = append(*attached, policyARN)
	return nil
}

// detach removes policyARN from the attached ARNs.
func detach(attached *[]string, policyARN string) error {
	if !policyARNRE.MatchString(policyARN) {
		return awsapi.Errorf(awsapi.CodeInvalidInput, http.StatusBadRequest, "ARN %s is not valid.", policyARN)
	}
	i := slices.Index(*attached, policyARN)
	if i < 0 {
		return awsapi.Errorf(awsapi.CodeNoSuchEntity, http.StatusNotFound, "%s", policyNotFound(policyARN))
	}
	*attached = slices.Delete(*attached, i, i+1)
	return nil
}

func checkInlinePolicy(policyName, doc string) error {
	if err := checkOne("PolicyName", shPolicyName, policyName); err != nil {
		return err
	}
	if err := checkOne("PolicyDocument", shPolicyDoc, doc); err != nil {
		return err
	}
	if err := ParsePermissionsPolicy(doc); err != nil {
		return err
	}
	return checkEvaluable(doc)
}

// PutUserPolicy adds or replaces an inline policy of a user.
func (a *Account) PutUserPolicy(userName, policyName, doc string) error {
	if err := checkInlinePolicy(policyName, doc); err != nil {
		return err
	}
	_, err := a.updateUser(userName, func(u *User) error { return userTarget.put(&u.InlinePolicies, userName, policyName, doc) })
	return err
}

// UserPolicy returns an inline policy document of a user.
func (a *Account) UserPolicy(userName, policyName string) (string, error) {
	u, err := a.User(userName)
	if err != nil {
		return "", err
	}
	return userTarget.get(u.InlinePolicies, policyName)
}

// DeleteUserPolicy removes an inline policy from a user.
func (a *Account) DeleteUserPolicy(userName, policyName string) error {
	_, err := a.updateUser(userName, func(u *User) error { return userTarget.remove(u.InlinePolicies, policyName) })
	return err
}

// AttachUserPolicy attaches a managed policy to a user.
func (a *Account) AttachUserPolicy(userName, policyARN string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, ok := a.ids.users[userName]
	if !ok {
		return noSuchUser(userName)
	}
	u := cur.clone()
	if err := a.attachLocked(userTarget, &u.AttachedPolicies, policyARN); err != nil {
		return err
	}
	return a.putUser(u)
}

// DetachUserPolicy detaches a managed policy from a user.
func (a *Account) DetachUserPolicy(userName, policyARN string) error {
	_, err := a.updateUser(userName, func(u *User) error { return detach(&u.AttachedPolicies, policyARN) })
	return err
}

// PutGroupPolicy adds or replaces an inline policy of a group.
func (a *Account) PutGroupPolicy(groupName, policyName, doc string) error {
	if err := checkInlinePolicy(policyName, doc); err != nil {
		return err
	}
	return a.updateGroup(groupName, func(g *Group) error { return groupTarget.put(&g.InlinePolicies, groupName, policyName, doc) })
}

// GroupPolicy returns an inline policy document of a group.
func (a *Account) GroupPolicy(groupName, policyName string) (string, error) {
	g, _, err := a.Group(groupName)
	if err != nil {
		return "", err
	}
	return groupTarget.get(g.InlinePolicies, policyName)
}

// DeleteGroupPolicy removes an inline policy from a group.
func (a *Account) DeleteGroupPolicy(groupName, policyName string) error {
	return a.updateGroup(groupName, func(g *Group) error { return groupTarget.remove(g.InlinePolicies, policyName) })
}

// AttachGroupPolicy attaches a managed policy to a group.
func (a *Account) AttachGroupPolicy(groupName, policyARN string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, ok := a.ids.groups[groupName]
	if !ok {
		return noSuchGroup(groupName)
	}
	g := cur.clone()
	if err := a.attachLocked(groupTarget, &g.AttachedPolicies, policyARN); err != nil {
		return err
	}
	return a.putGroup(g)
}

// DetachGroupPolicy detaches a managed policy from a group.
func (a *Account) DetachGroupPolicy(groupName, policyARN string) error {
	return a.updateGroup(groupName, func(g *Group) error { return detach(&g.AttachedPolicies, policyARN) })
}

// attachedOf returns the managed policies with the given ARNs that exist.
// The caller holds a.mu.
func (a *Account) attachedOf(arns []string) []*ManagedPolicy {
	out := make([]*ManagedPolicy, 0, len(arns))
	for _, arn := range arns {
		if p, err := a.policyLocked(arn, policyNotFound); err == nil {
			out = append(out, p.clone())
		}
	}
	return out
}

// AttachedUserPolicies returns the managed policies attached to a user.
func (a *Account) AttachedUserPolicies(userName string) ([]*ManagedPolicy, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	u, ok := a.ids.users[userName]
	if !ok {
		return nil, noSuchUser(userName)
	}
	return a.attachedOf(u.AttachedPolicies), nil
}

// AttachedGroupPolicies returns the managed policies attached to a group.
func (a *Account) AttachedGroupPolicies(groupName string) ([]*ManagedPolicy, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	g, ok := a.ids.groups[groupName]
	if !ok {
		return nil, noSuchGroup(groupName)
	}
	return a.attachedOf(g.AttachedPolicies), nil
}

// identityPolicyUsage counts the users and groups a managed policy is
// attached to and the users it bounds. The caller holds a.mu.
func (a *Account) identityPolicyUsage(arn string) (attached, boundaries int) {
	for _, u := range a.ids.users {
		if slices.Contains(u.AttachedPolicies, arn) {
			attached++
		}
		if u.PermissionsBoundary == arn {
			boundaries++
		}
	}
	for _, g := range a.ids.groups {
		if slices.Contains(g.AttachedPolicies, arn) {
			attached++
		}
	}
	return attached, boundaries
}
