package iam

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Role is an IAM role. Values returned by Account are snapshots.
type Role struct {
	ARN                      string
	Name                     string
	Path                     string
	RoleID                   string // starts with AROA
	AssumeRolePolicyDocument string
	Trust                    *Policy `json:"-"`
	MaxSessionDuration       int     // seconds, 3600..43200
	CreateDate               time.Time
	Description              string
	// Tags are sorted by key.
	Tags []awsapi.Tag
	// InlinePolicies are the role's inline policy documents by name.
	InlinePolicies map[string]string `json:",omitempty"`
	// AttachedPolicies are the ARNs of the managed policies attached, in
	// attachment order.
	AttachedPolicies []string `json:",omitempty"`
	// PermissionsBoundary is the ARN of the managed policy that bounds the
	// role's permissions, "" when none.
	PermissionsBoundary string `json:",omitempty"`
}

func (r *Role) clone() *Role {
	c := *r
	c.Tags = slices.Clone(r.Tags)
	c.AttachedPolicies = slices.Clone(r.AttachedPolicies)
	if r.InlinePolicies != nil {
		c.InlinePolicies = maps.Clone(r.InlinePolicies)
	}
	return &c
}

// CreateRoleInput is the input of CreateRole.
type CreateRoleInput struct {
	Name                     string
	Path                     string // default "/"
	AssumeRolePolicyDocument string
	MaxSessionDuration       int // default 3600
	Description              string
	Tags                     []awsapi.Tag
	// PermissionsBoundary is the ARN of a managed policy (optional).
	PermissionsBoundary string
}

// RoleARN returns the ARN of a role with the given path and name.
func (a *Account) RoleARN(path, name string) string {
	if path == "" {
		path = "/"
	}
	return fmt.Sprintf("arn:%s:iam::%s:role%s%s", a.partition, a.id, path, name)
}

// CreateRole creates a role.
func (a *Account) CreateRole(in CreateRoleInput) (*Role, error) {
	if err := checkOne("RoleName", shRoleName, in.Name); err != nil {
		return nil, err
	}
	if in.Path == "" {
		in.Path = "/"
	}
	if err := checkOne("Path", shRolePath, in.Path); err != nil {
		return nil, err
	}
	if err := checkOne("AssumeRolePolicyDocument", shPolicyDoc, in.AssumeRolePolicyDocument); err != nil {
		return nil, err
	}
	if in.MaxSessionDuration == 0 {
		in.MaxSessionDuration = DefaultMaxSession
	}
	if err := checkMaxSession(in.MaxSessionDuration); err != nil {
		return nil, err
	}
	if err := checkDescription(in.Description); err != nil {
		return nil, err
	}
	pol, err := parseTrustPolicy(in.AssumeRolePolicyDocument)
	if err != nil {
		return nil, err
	}
	tags, err := checkTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.roles[in.Name]; ok {
		return nil, awsapi.Errorf(awsapi.CodeEntityAlreadyExists, http.StatusConflict, "Role with name %s already exists.", in.Name)
	}
	if in.PermissionsBoundary != "" {
		if _, err := a.policyLocked(in.PermissionsBoundary, boundaryNotFound); err != nil {
			return nil, err
		}
	}
	r := &Role{ARN: a.RoleARN(in.Path, in.Name), Name: in.Name, Path: in.Path,
		RoleID: "AROA" + a.newUUID()[:17], AssumeRolePolicyDocument: in.AssumeRolePolicyDocument, Trust: pol,
		MaxSessionDuration: in.MaxSessionDuration, CreateDate: a.now().UTC().Truncate(time.Second),
		Description: in.Description, Tags: tags, PermissionsBoundary: in.PermissionsBoundary}
	if err := a.putRole(r); err != nil {
		return nil, err
	}
	return r.clone(), nil
}

// putRole persists r and then installs it. The caller holds a.mu.
func (a *Account) putRole(r *Role) error {
	if a.store != nil {
		if err := a.store.PutRole(r); err != nil {
			return storeFailure(err)
		}
	}
	a.roles[r.Name] = r
	return nil
}

func checkDescription(d string) error { return checkOne("Description", shRoleDesc, d) }

func noSuchRole(name string) *awsapi.Error {
	return &awsapi.Error{Code: awsapi.CodeNoSuchEntity, Status: http.StatusNotFound,
		Message: fmt.Sprintf("The role with name %s cannot be found.", name), Err: ErrNoSuchRole}
}

// UpdateAssumeRolePolicy replaces a role's trust policy (IAM
// UpdateAssumeRolePolicy). A policy that does not parse is
// MalformedPolicyDocument and leaves the role unchanged.
func (a *Account) UpdateAssumeRolePolicy(name, doc string) error {
	if err := checkOne("PolicyDocument", shPolicyDoc, doc); err != nil {
		return err
	}
	pol, err := parseTrustPolicy(doc)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, ok := a.roles[name]
	if !ok {
		return noSuchRole(name)
	}
	r := cur.clone()
	r.AssumeRolePolicyDocument, r.Trust = doc, pol
	return a.putRole(r)
}

// UpdateRoleInput is the input of UpdateRole; nil fields are unchanged.
type UpdateRoleInput struct {
	Name               string
	Description        *string
	MaxSessionDuration *int
}

// UpdateRole changes a role's description and maximum session duration (IAM
// UpdateRole).
func (a *Account) UpdateRole(in UpdateRoleInput) error {
	if in.MaxSessionDuration != nil {
		if err := checkMaxSession(*in.MaxSessionDuration); err != nil {
			return err
		}
	}
	if in.Description != nil {
		if err := checkDescription(*in.Description); err != nil {
			return err
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, ok := a.roles[in.Name]
	if !ok {
		return noSuchRole(in.Name)
	}
	r := cur.clone()
	if in.MaxSessionDuration != nil {
		r.MaxSessionDuration = *in.MaxSessionDuration
	}
	if in.Description != nil {
		r.Description = *in.Description
	}
	return a.putRole(r)
}

// DeleteRole deletes a role. Sessions already issued for it keep working
// until they expire, as on AWS. A role with inline or attached policies
// cannot be deleted (DeleteConflict).
func (a *Account) DeleteRole(name string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	r, ok := a.roles[name]
	if !ok {
		return noSuchRole(name)
	}
	if len(r.AttachedPolicies) > 0 {
		return awsapi.Errorf(codeDeleteConflict, http.StatusConflict, "Cannot delete entity, must detach all policies first.")
	}
	if len(r.InlinePolicies) > 0 {
		return awsapi.Errorf(codeDeleteConflict, http.StatusConflict, "Cannot delete entity, must delete policies first.")
	}
	if a.store != nil {
		if err := a.store.DeleteRole(name); err != nil {
			return storeFailure(err)
		}
	}
	delete(a.roles, name)
	return nil
}

func checkMaxSession(n int) error {
	return checkOne("MaxSessionDuration", shMaxSession, strconv.Itoa(n))
}

// RoleByName returns the role called name.
func (a *Account) RoleByName(name string) (*Role, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	r, ok := a.roles[name]
	if !ok {
		return nil, noSuchRole(name)
	}
	return r.clone(), nil
}

// RoleByARN returns the role whose ARN is arn (path included).
func (a *Account) RoleByARN(arn string) (*Role, error) {
	i := strings.LastIndex(arn, "/")
	if i < 0 {
		return nil, &awsapi.Error{Code: awsapi.CodeNoSuchEntity, Status: http.StatusNotFound,
			Message: fmt.Sprintf("The role %s cannot be found.", arn), Err: ErrNoSuchRole}
	}
	r, err := a.RoleByName(arn[i+1:])
	if err != nil || r.ARN != arn {
		return nil, &awsapi.Error{Code: awsapi.CodeNoSuchEntity, Status: http.StatusNotFound,
			Message: fmt.Sprintf("The role %s cannot be found.", arn), Err: ErrNoSuchRole}
	}
	return r, nil
}

// Roles lists the roles sorted by name.
func (a *Account) Roles() []*Role {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]*Role, 0, len(a.roles))
	for _, r := range a.roles {
		out = append(out, r.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// SAMLTrustPolicy returns the trust policy document that lets the SAML provider
// providerARN assume a role with AssumeRoleWithSAML, with the condition on
// SAML:aud that AWS's console wizard writes.
func SAMLTrustPolicy(providerARN string) string {
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Federated": providerARN},
			"Action":    []string{"sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"},
			"Condition": map[string]any{"StringEquals": map[string]any{"SAML:aud": "https://signin.aws.amazon.com/saml"}},
		}},
	}
	b, _ := json.Marshal(doc) // a map of strings always marshals
	return string(b)
}

// MaxTrustPolicySize is the default quota on a role trust policy's size,
// white space not counted (IAM quotas, docs/aws-behavior.md §8.1).
const MaxTrustPolicySize = 2048

// parseTrustPolicy parses a role's trust policy and checks its size quota.
func parseTrustPolicy(doc string) (*Policy, error) {
	pol, err := ParsePolicy(doc)
	if err != nil {
		return nil, err
	}
	if policySize(doc) > MaxTrustPolicySize {
		return nil, awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict, "Cannot exceed quota for ACLSizePerRole: %d", MaxTrustPolicySize)
	}
	return pol, nil
}
