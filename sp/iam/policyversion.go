package iam

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// The life of a customer managed policy after CreatePolicy: its versions
// (at most MaxPolicyVersions, one of them the default, the one policy
// evaluation reads), its tags, the entities it is attached to, and its
// deletion (docs/aws-behavior.md §8.3).

// MaxPolicyVersions is how many versions a managed policy may have (IAM
// quota, not adjustable).
const MaxPolicyVersions = 5

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	VersionID  string
	Document   string
	CreateDate time.Time
}

// versionsOf returns p's versions, oldest first.
func versionsOf(p *ManagedPolicy) []PolicyVersion {
	if len(p.Versions) > 0 {
		return slices.Clone(p.Versions)
	}
	return []PolicyVersion{{VersionID: p.DefaultVersionID, Document: p.Document, CreateDate: p.UpdateDate}}
}

// versionNumber is N of a version ID vN, 0 when the ID is not of that form.
func versionNumber(id string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "v"))
	if err != nil || !strings.HasPrefix(id, "v") {
		return 0
	}
	return n
}

// lastVersionOf is the number of the newest version p ever had.
func lastVersionOf(p *ManagedPolicy) int {
	last := p.LastVersion
	for _, v := range versionsOf(p) {
		last = max(last, versionNumber(v.VersionID))
	}
	return last
}

// updateDateOf is a policy's UpdateDate as the IAM API reference defines
// it: the creation date when the policy has one version, else the date of
// its newest version.
func updateDateOf(p *ManagedPolicy, versions []PolicyVersion) time.Time {
	if len(versions) <= 1 {
		return p.CreateDate
	}
	var newest time.Time
	for _, v := range versions {
		if v.CreateDate.After(newest) {
			newest = v.CreateDate
		}
	}
	return newest
}

// errAWSManaged refuses a change to an AWS managed policy. AWS's answer is
// unverified (docs/aws-behavior.md §8.3).
func errAWSManaged(arn string) error {
	return awsapi.Errorf(awsapi.CodeInvalidInput, http.StatusBadRequest,
		"Policy %s is an AWS managed policy and cannot be modified.", arn)
}

func noSuchVersion(arn, versionID string) error {
	return awsapi.Errorf(awsapi.CodeNoSuchEntity, http.StatusNotFound,
		"Policy %s version %s does not exist or is not attachable.", arn, versionID)
}

// customerPolicyLocked finds a customer managed policy to change. The caller
// holds a.mu.
func (a *Account) customerPolicyLocked(arn string) (*ManagedPolicy, error) {
	p, err := a.policyLocked(arn, policyNotFound)
	if err != nil {
		return nil, err
	}
	if p.AWSManaged() {
		return nil, errAWSManaged(arn)
	}
	return p, nil
}

// CreatePolicyVersion adds a version to a customer managed policy and, with
// setAsDefault, makes it the default. A policy with MaxPolicyVersions
// versions is refused: one must be deleted first.
func (a *Account) CreatePolicyVersion(arn, doc string, setAsDefault bool) (PolicyVersion, error) {
	if err := checkOne("PolicyDocument", shPolicyDoc, doc); err != nil {
		return PolicyVersion{}, err
	}
	if err := ParsePermissionsPolicy(doc); err != nil {
		return PolicyVersion{}, err
	}
	if err := checkEvaluable(doc); err != nil {
		return PolicyVersion{}, err
	}
	if policySize(doc) > MaxManagedPolicySize {
		return PolicyVersion{}, awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict,
			"Cannot exceed quota for PolicySize: %d", MaxManagedPolicySize)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, err := a.customerPolicyLocked(arn)
	if err != nil {
		return PolicyVersion{}, err
	}
	versions := versionsOf(cur)
	if len(versions) >= MaxPolicyVersions {
		return PolicyVersion{}, awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict,
			"A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.",
			MaxPolicyVersions)
	}
	p := cur.clone()
	p.LastVersion = lastVersionOf(cur) + 1
	v := PolicyVersion{VersionID: fmt.Sprintf("v%d", p.LastVersion), Document: doc, CreateDate: a.now().UTC().Truncate(time.Second)}
	p.Versions = append(versions, v)
	p.UpdateDate = updateDateOf(p, p.Versions)
	if setAsDefault {
		p.DefaultVersionID, p.Document = v.VersionID, v.Document
	}
	if err := a.putPolicy(p); err != nil {
		return PolicyVersion{}, err
	}
	return v, nil
}

// PolicyVersions returns a managed policy's versions, newest first as IAM
// lists them, and the default version's ID.
func (a *Account) PolicyVersions(arn string) ([]PolicyVersion, string, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	p, err := a.policyLocked(arn, policyNotFound)
	if err != nil {
		return nil, "", err
	}
	vs := versionsOf(p)
	slices.Reverse(vs)
	return vs, p.DefaultVersionID, nil
}

// PolicyVersion returns one version of a managed policy and whether it is
// the default (IAM GetPolicyVersion). Of an AWS managed policy only the
// default version is known.
func (a *Account) PolicyVersion(arn, versionID string) (PolicyVersion, bool, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	p, err := a.policyLocked(arn, policyNotFound)
	if err != nil {
		return PolicyVersion{}, false, err
	}
	for _, v := range versionsOf(p) {
		if v.VersionID == versionID {
			return v, v.VersionID == p.DefaultVersionID, nil
		}
	}
	return PolicyVersion{}, false, noSuchVersion(arn, versionID)
}

// SetDefaultPolicyVersion makes a version the policy's default: from then on
// it is the document evaluated for every user, group and role the policy is
// attached to or bounds.
func (a *Account) SetDefaultPolicyVersion(arn, versionID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, err := a.customerPolicyLocked(arn)
	if err != nil {
		return err
	}
	versions := versionsOf(cur)
	i := slices.IndexFunc(versions, func(v PolicyVersion) bool { return v.VersionID == versionID })
	if i < 0 {
		return noSuchVersion(arn, versionID)
	}
	p := cur.clone()
	p.Versions = versions
	p.DefaultVersionID, p.Document = versions[i].VersionID, versions[i].Document
	return a.putPolicy(p)
}

// DeletePolicyVersion deletes a version that is not the default.
func (a *Account) DeletePolicyVersion(arn, versionID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, err := a.customerPolicyLocked(arn)
	if err != nil {
		return err
	}
	if versionID == cur.DefaultVersionID {
		return deleteConflict("Cannot delete the default version of a policy.")
	}
	versions := versionsOf(cur)
	i := slices.IndexFunc(versions, func(v PolicyVersion) bool { return v.VersionID == versionID })
	if i < 0 {
		return noSuchVersion(arn, versionID)
	}
	p := cur.clone()
	p.LastVersion = lastVersionOf(cur)
	p.Versions = slices.Delete(versions, i, i+1)
	p.UpdateDate = updateDateOf(p, p.Versions)
	return a.putPolicy(p)
}

// usageLocked counts the users, groups and roles a policy is attached to and
// the users and roles it bounds. The caller holds a.mu.
func (a *Account) usageLocked(arn string) (attached, boundaries int) {
	for _, r := range a.roles {
		if slices.Contains(r.AttachedPolicies, arn) {
			attached++
		}
		if r.PermissionsBoundary == arn {
			boundaries++
		}
	}
	users, bounded := a.identityPolicyUsage(arn)
	return attached + users, boundaries + bounded
}

// DeletePolicy deletes a customer managed policy. As on AWS, it must be
// attached to nothing, bound nothing, and have no version but the default.
func (a *Account) DeletePolicy(arn string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, err := a.customerPolicyLocked(arn)
	if err != nil {
		return err
	}
	if attached, bounds := a.usageLocked(arn); attached+bounds > 0 {
		return deleteConflict("Cannot delete a policy attached to entities.")
	}
	if len(versionsOf(p)) > 1 {
		return deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. " +
			"The default version is deleted with the policy.")
	}
	if ps, ok := a.store.(ExtraStore); ok {
		if err := ps.DeletePolicy(arn); err != nil {
			return storeFailure(err)
		}
	}
	delete(a.policies, arn)
	return nil
}

// TagPolicy adds tags to a customer managed policy, replacing the values of
// existing keys.
func (a *Account) TagPolicy(arn string, tags []awsapi.Tag) error {
	return a.updatePolicy(arn, func(p *ManagedPolicy) error {
		merged, err := checkTags(p.Tags, tags)
		if err != nil {
			return err
		}
		p.Tags = merged
		return nil
	})
}

// UntagPolicy removes the tags with the given keys from a customer managed
// policy.
func (a *Account) UntagPolicy(arn string, keys []string) error {
	return a.updatePolicy(arn, func(p *ManagedPolicy) error {
		p.Tags = slices.DeleteFunc(p.Tags, func(t awsapi.Tag) bool { return slices.Contains(keys, t.Key) })
		return nil
	})
}

func (a *Account) updatePolicy(arn string, change func(p *ManagedPolicy) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, err := a.customerPolicyLocked(arn)
	if err != nil {
		return err
	}
	p := cur.clone()
	if err := change(p); err != nil {
		return err
	}
	return a.putPolicy(p)
}

// PolicyEntity is a user, group or role a managed policy is attached to or
// bounds (IAM ListEntitiesForPolicy).
type PolicyEntity struct {
	Kind string // "Group", "User" or "Role"
	Name string
	ID   string
	Path string
}

// EntitiesForPolicyInput selects the entities of ListEntitiesForPolicy.
type EntitiesForPolicyInput struct {
	PolicyARN string
	// EntityFilter is "User", "Group", "Role" or "" for all three;
	// LocalManagedPolicy and AWSManagedPolicy name no entity and select none.
	EntityFilter string
	PathPrefix   string
	// Usage is "PermissionsPolicy" (attached), "PermissionsBoundary" or ""
	// for both.
	Usage string
}

// EntitiesForPolicy lists the groups, users and roles a managed policy is
// attached to or bounds, in that order, each sorted by name.
func (a *Account) EntitiesForPolicy(in EntitiesForPolicyInput) ([]PolicyEntity, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if _, err := a.policyLocked(in.PolicyARN, policyNotFound); err != nil {
		return nil, err
	}
	uses := func(p Policies, boundary string) bool {
		return (in.Usage != "PermissionsBoundary" && slices.Contains(p.AttachedPolicies, in.PolicyARN)) ||
			(in.Usage != "PermissionsPolicy" && boundary == in.PolicyARN)
	}
	var out []PolicyEntity
	add := func(kind, name, id, path string, used bool) {
		if used && (in.EntityFilter == "" || in.EntityFilter == kind) && strings.HasPrefix(path, in.PathPrefix) {
			out = append(out, PolicyEntity{kind, name, id, path})
		}
	}
	for _, g := range a.ids.groups {
		add("Group", g.Name, g.GroupID, g.Path, uses(g.Policies, ""))
	}
	for _, u := range a.ids.users {
		add("User", u.Name, u.UserID, u.Path, uses(u.Policies, u.PermissionsBoundary))
	}
	for _, r := range a.roles {
		add("Role", r.Name, r.RoleID, r.Path, uses(Policies{AttachedPolicies: r.AttachedPolicies}, r.PermissionsBoundary))
	}
	order := map[string]int{"Group": 0, "User": 1, "Role": 2}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return order[out[i].Kind] < order[out[j].Kind]
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}
