package iam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Limits of role policies (IAM quotas, docs/aws-behavior.md §8.1).
const (
	// MaxAttachedPolicies is how many managed policies a role may have
	// attached (default quota).
	MaxAttachedPolicies = 10
	// MaxInlinePolicySize bounds the total size of a role's inline policies,
	// whitespace not counted.
	MaxInlinePolicySize = 10240
	// MaxManagedPolicySize bounds a managed policy document, whitespace not
	// counted.
	MaxManagedPolicySize = 6144
	// MaxCustomerPolicies is the customer managed policies per account quota.
	MaxCustomerPolicies = 1500
)

// codeDeleteConflict is IAM's DeleteConflict error (409).
const codeDeleteConflict awsapi.Code = "DeleteConflict"

// ManagedPolicy is an IAM managed policy: a customer managed one created with
// CreatePolicy, or one of the AWS managed policies every account can attach,
// which are read-only. Document and DefaultVersionID are the default
// version's, the one policy evaluation reads (policyversion.go).
type ManagedPolicy struct {
	ARN              string
	Name             string
	Path             string
	PolicyID         string
	Description      string
	DefaultVersionID string
	Document         string
	CreateDate       time.Time
	UpdateDate       time.Time
	Tags             []awsapi.Tag
	// Versions are the policy's versions, oldest first, the default one
	// included. Empty when the default is the only version ever kept (AWS
	// managed policies, and policies stored before versions were).
	Versions []PolicyVersion `json:",omitempty"`
	// LastVersion is the number of the newest version created: version IDs
	// are never reused.
	LastVersion int `json:",omitempty"`
}

// AWSManaged reports whether p is an AWS managed policy.
func (p *ManagedPolicy) AWSManaged() bool { return strings.Contains(p.ARN, ":iam::aws:policy/") }

func (p *ManagedPolicy) clone() *ManagedPolicy {
	c := *p
	c.Tags = slices.Clone(p.Tags)
	c.Versions = slices.Clone(p.Versions)
	return &c
}

// awsManaged are the AWS managed policies SAML-federated roles are most often
// given. AdministratorAccess and IAMReadOnlyAccess carry AWS's documents
// verbatim; the others are abridged (AWS's run to thousands of actions and
// change weekly) and say so in their first statement's Sid. Policy IDs, version
// IDs and dates are as AWS showed them when written down (unverified since).
var awsManaged = func() map[string]*ManagedPolicy {
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	list := []*ManagedPolicy{
		{Name: "AdministratorAccess", Path: "/", PolicyID: "ANPAIWMBCKSKIEE64ZLYK", DefaultVersionID: "v1",
			Description: "Provides full access to AWS services and resources.",
			Document:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
			CreateDate:  day("2015-02-06"), UpdateDate: day("2015-02-06")},
		{Name: "PowerUserAccess", Path: "/", PolicyID: "ANPAJYRXTHIB4FOVS3ZXS", DefaultVersionID: "v5",
			Description: "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
			Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},` +
				`{"Effect":"Allow","Action":["iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeOrganization","account:ListRegions","account:GetAccountInformation"],"Resource":"*"}]}`,
			CreateDate: day("2015-02-06"), UpdateDate: day("2023-07-06")},
		{Name: "ReadOnlyAccess", Path: "/", PolicyID: "ANPAILL3HVNFSB6DCOWYQ", DefaultVersionID: "v120",
			Description: "Provides read-only access to AWS services and resources.",
			Document: `{"Version":"2012-10-17","Statement":[{"Sid":"AbridgedBySamlab","Effect":"Allow","Action":["ec2:Describe*","iam:Get*","iam:List*",` +
				`"s3:Get*","s3:List*","sts:GetCallerIdentity","cloudwatch:Describe*","cloudwatch:Get*","cloudwatch:List*","logs:Describe*","logs:Get*"],"Resource":"*"}]}`,
			CreateDate: day("2015-02-06"), UpdateDate: day("2024-11-01")},
		{Name: "ViewOnlyAccess", Path: "/job-function/", PolicyID: "ANPAID22R6XPJATWOFDK6", DefaultVersionID: "v20",
			Description: "This policy grants permissions to view resources and basic metadata across all AWS services.",
			Document: `{"Version":"2012-10-17","Statement":[{"Sid":"AbridgedBySamlab","Effect":"Allow","Action":["ec2:Describe*","iam:List*",` +
				`"s3:ListAllMyBuckets","s3:ListBucket","cloudwatch:List*","logs:Describe*"],"Resource":"*"}]}`,
			CreateDate: day("2016-11-10"), UpdateDate: day("2024-08-01")},
		{Name: "IAMReadOnlyAccess", Path: "/", PolicyID: "ANPAJKSO7NDY4T57MWDSQ", DefaultVersionID: "v4",
			Description: "Provides read only access to IAM via the AWS Management Console.",
			Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails",` +
				`"iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`,
			CreateDate: day("2015-02-06"), UpdateDate: day("2018-01-25")},
	}
	m := map[string]*ManagedPolicy{}
	for _, p := range list {
		p.ARN = "arn:aws:iam::aws:policy" + p.Path + p.Name
		m[p.ARN] = p
	}
	return m
}()

// PolicyARN returns the ARN of the customer managed policy with the given
// path and name.
func (a *Account) PolicyARN(path, name string) string {
	if path == "" {
		path = "/"
	}
	return fmt.Sprintf("arn:%s:iam::%s:policy%s%s", a.partition, a.id, path, name)
}

// policyARNRE is the form of a managed policy ARN: AWS's or this account's.
var policyARNRE = regexp.MustCompile(`^arn:[a-z-]+:iam::(aws|\d{12}):policy(/|/.*/)[\w+=,.@-]+$`)

// policyLocked finds a managed policy by ARN. The caller holds a.mu. An ARN
// not of a policy's form is InvalidInput; an unknown one is NoSuchEntity with
// the message notFound returns.
func (a *Account) policyLocked(arn string, notFound func(arn string) string) (*ManagedPolicy, error) {
	if !policyARNRE.MatchString(arn) {
		return nil, awsapi.Errorf(awsapi.CodeInvalidInput, http.StatusBadRequest, "ARN %s is not valid.", arn)
	}
	if p, ok := awsManaged[arn]; ok && a.partition == "aws" {
		return p, nil
	}
	if p, ok := a.policies[arn]; ok {
		return p, nil
	}
	return nil, awsapi.Errorf(awsapi.CodeNoSuchEntity, http.StatusNotFound, "%s", notFound(arn))
}

func policyNotFound(arn string) string { return fmt.Sprintf("Policy %s was not found.", arn) }
func policyNotAttachable(arn string) string {
	return fmt.Sprintf("Policy %s does not exist or is not attachable.", arn)
}

// boundaryNotFound is the message for an unknown permissions boundary
// (wording as reported by users; code unverified).
func boundaryNotFound(arn string) string {
	return fmt.Sprintf("Scope ARN: %s does not exist or is not attachable.", arn)
}

// policySize is a policy's size as IAM counts it for its quotas: characters,
// whitespace not counted.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// ParsePermissionsPolicy checks an identity-based (permissions) policy
// document as IAM does on PutRolePolicy and CreatePolicy: JSON with a
// Statement whose entries have an Effect, an Action or NotAction, a Resource
// or NotResource, and no Principal. Errors are MalformedPolicyDocument (400).
func ParsePermissionsPolicy(doc string) error {
	malformed := func(format string, args ...any) error {
		return awsapi.Errorf(awsapi.CodeMalformedPolicy, http.StatusBadRequest, format, args...)
	}
	var raw struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return malformed("Syntax errors in policy.")
	}
	type stmt struct {
		Effect      string          `json:"Effect"`
		Principal   json.RawMessage `json:"Principal"`
		Action      json.RawMessage `json:"Action"`
		NotAction   json.RawMessage `json:"NotAction"`
		Resource    json.RawMessage `json:"Resource"`
		NotResource json.RawMessage `json:"NotResource"`
	}
	var stmts []stmt
	st := bytes.TrimSpace(raw.Statement)
	switch {
	case len(st) == 0:
		return malformed("Missing required field Statement")
	case st[0] == '[':
		if err := json.Unmarshal(st, &stmts); err != nil {
			return malformed("Syntax errors in policy.")
		}
	default:
		var one stmt
		if err := json.Unmarshal(st, &one); err != nil {
			return malformed("Syntax errors in policy.")
		}
		stmts = []stmt{one}
	}
	for i, s := range stmts {
		switch {
		case s.Principal != nil:
			return malformed("Policy document should not specify a principal.")
		case s.Effect != "Allow" && s.Effect != "Deny":
			return malformed("Invalid effect: %s (statement %d)", s.Effect, i+1)
		case s.Action == nil && s.NotAction == nil:
			return malformed("Missing required field Action")
		case s.Resource == nil && s.NotResource == nil:
			return malformed("Missing required field Resource")
		}
	}
	return nil
}

// roleLocked returns the role called name. The caller holds a.mu.
func (a *Account) roleLocked(name string) (*Role, error) {
	r, ok := a.roles[name]
	if !ok {
		return nil, noSuchRole(name)
	}
	return r, nil
}

// updateRole applies change to a copy of the role called name and persists
// it. change may return an error to leave the role as it was.
func (a *Account) updateRole(name string, change func(r *Role) error) (*Role, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, err := a.roleLocked(name)
	if err != nil {
		return nil, err
	}
	r := cur.clone()
	if err := change(r); err != nil {
		return nil, err
	}
	if err := a.putRole(r); err != nil {
		return nil, err
	}
	return r.clone(), nil
}

// PutRolePolicy adds or replaces an inline policy of a role (IAM
// PutRolePolicy).
func (a *Account) PutRolePolicy(roleName, policyName, doc string) error {
	if err := checkOne("PolicyName", shPolicyName, policyName); err != nil {
		return err
	}
	if err := checkOne("PolicyDocument", shPolicyDoc, doc); err != nil {
		return err
	}
	if err := ParsePermissionsPolicy(doc); err != nil {
		return err
	}
	_, err := a.updateRole(roleName, func(r *Role) error {
		return roleTarget.put(&r.InlinePolicies, roleName, policyName, doc)
	})
	return err
}

// RolePolicy returns an inline policy document of a role (IAM GetRolePolicy).
func (a *Account) RolePolicy(roleName, policyName string) (string, error) {
	r, err := a.RoleByName(roleName)
	if err != nil {
		return "", err
	}
	return roleTarget.get(r.InlinePolicies, policyName)
}

// DeleteRolePolicy removes an inline policy from a role.
func (a *Account) DeleteRolePolicy(roleName, policyName string) error {
	_, err := a.updateRole(roleName, func(r *Role) error { return roleTarget.remove(r.InlinePolicies, policyName) })
	return err
}

// RolePolicyNames lists a role's inline policy names, sorted.
func (a *Account) RolePolicyNames(roleName string) ([]string, error) {
	r, err := a.RoleByName(roleName)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(r.InlinePolicies))
	for n := range r.InlinePolicies {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// AttachRolePolicy attaches a managed policy to a role. Attaching one that
// is already attached does nothing, as on AWS.
func (a *Account) AttachRolePolicy(roleName, policyARN string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, err := a.roleLocked(roleName)
	if err != nil {
		return err
	}
	r := cur.clone()
	if err := a.attachLocked(roleTarget, &r.AttachedPolicies, policyARN); err != nil {
		return err
	}
	if len(r.AttachedPolicies) == len(cur.AttachedPolicies) {
		return nil // already attached: nothing to store
	}
	return a.putRole(r)
}

// DetachRolePolicy detaches a managed policy from a role.
func (a *Account) DetachRolePolicy(roleName, policyARN string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, err := a.roleLocked(roleName)
	if err != nil {
		return err
	}
	r := cur.clone()
	if err := detach(&r.AttachedPolicies, policyARN); err != nil {
		return err
	}
	return a.putRole(r)
}

// AttachedRolePolicies returns the managed policies attached to a role, in
// the order they were attached.
func (a *Account) AttachedRolePolicies(roleName string) ([]*ManagedPolicy, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	r, err := a.roleLocked(roleName)
	if err != nil {
		return nil, err
	}
	return a.attachedOf(r.AttachedPolicies), nil
}

// PutRolePermissionsBoundary sets the managed policy that bounds a role.
func (a *Account) PutRolePermissionsBoundary(roleName, policyARN string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, err := a.roleLocked(roleName)
	if err != nil {
		return err
	}
	if _, err := a.policyLocked(policyARN, boundaryNotFound); err != nil {
		return err
	}
	r := cur.clone()
	r.PermissionsBoundary = policyARN
	return a.putRole(r)
}

// DeleteRolePermissionsBoundary removes a role's permissions boundary. A
// role without one is left as it is.
func (a *Account) DeleteRolePermissionsBoundary(roleName string) error {
	_, err := a.updateRole(roleName, func(r *Role) error {
		r.PermissionsBoundary = ""
		return nil
	})
	return err
}

// TagRole adds tags to a role, replacing values of existing keys.
func (a *Account) TagRole(roleName string, tags []awsapi.Tag) error {
	_, err := a.updateRole(roleName, func(r *Role) error {
		merged, err := checkTags(r.Tags, tags)
		if err != nil {
			return err
		}
		r.Tags = merged
		return nil
	})
	return err
}

// UntagRole removes the tags with the given keys from a role.
func (a *Account) UntagRole(roleName string, keys []string) error {
	_, err := a.updateRole(roleName, func(r *Role) error {
		r.Tags = slices.DeleteFunc(r.Tags, func(t awsapi.Tag) bool { return slices.Contains(keys, t.Key) })
		return nil
	})
	return err
}

// UpdateRoleDescription sets a role's description and returns the role.
func (a *Account) UpdateRoleDescription(roleName, description string) (*Role, error) {
	if err := checkDescription(description); err != nil {
		return nil, err
	}
	return a.updateRole(roleName, func(r *Role) error {
		r.Description = description
		return nil
	})
}

// CreatePolicyInput is the input of CreatePolicy.
type CreatePolicyInput struct {
	Name        string
	Path        string // default "/"
	Document    string
	Description string
	Tags        []awsapi.Tag
}

// CreatePolicy creates a customer managed policy (version v1).
func (a *Account) CreatePolicy(in CreatePolicyInput) (*ManagedPolicy, error) {
	if in.Path == "" {
		in.Path = "/"
	}
	for _, c := range []struct {
		param, v string
		s        *shape
	}{{"PolicyName", in.Name, shPolicyName}, {"Path", in.Path, shPolicyPath}, {"PolicyDocument", in.Document, shPolicyDoc},
		{"Description", in.Description, shPolicyDesc}} {
		if err := checkOne(c.param, c.s, c.v); err != nil {
			return nil, err
		}
	}
	if err := ParsePermissionsPolicy(in.Document); err != nil {
		return nil, err
	}
	if policySize(in.Document) > MaxManagedPolicySize {
		return nil, awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict, "Cannot exceed quota for PolicySize: %d", MaxManagedPolicySize)
	}
	tags, err := checkTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range a.policies {
		if p.Name == in.Name {
			return nil, awsapi.Errorf(awsapi.CodeEntityAlreadyExists, http.StatusConflict,
				"A policy called %s already exists. Duplicate names are not allowed.", in.Name)
		}
	}
	if len(a.policies) >= MaxCustomerPolicies {
		return nil, awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict, "Cannot exceed quota for PoliciesPerAccount: %d", MaxCustomerPolicies)
	}
	now := a.now().UTC().Truncate(time.Second)
	p := &ManagedPolicy{ARN: a.PolicyARN(in.Path, in.Name), Name: in.Name, Path: in.Path, PolicyID: "ANPA" + a.newUUID()[:17],
		Description: in.Description, DefaultVersionID: "v1", Document: in.Document, CreateDate: now, UpdateDate: now, Tags: tags}
	if err := a.putPolicy(p); err != nil {
		return nil, err
	}
	return p.clone(), nil
}

// Policy returns a managed policy (IAM GetPolicy).
func (a *Account) Policy(arn string) (*ManagedPolicy, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	p, err := a.policyLocked(arn, policyNotFound)
	if err != nil {
		return nil, err
	}
	return p.clone(), nil
}

// PolicyUsage counts the roles, users and groups a managed policy is
// attached to and the roles and users it bounds.
func (a *Account) PolicyUsage(arn string) (attached, boundaries int) {
	a.mu.RLock()
	defer a.mu.RUnlock()
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

// Policies lists the managed policies: AWS's, the account's, or both
// (scope "AWS", "Local", "All" or ""), sorted by name then ARN.
func (a *Account) Policies(scope string) []*ManagedPolicy {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var out []*ManagedPolicy
	if scope != "Local" && a.partition == "aws" {
		for _, p := range awsManaged {
			out = append(out, p.clone())
		}
	}
	if scope != "AWS" {
		for _, p := range a.policies {
			out = append(out, p.clone())
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ARN < out[j].ARN
	})
	return out
}

// putPolicy persists p and then installs it. The caller holds a.mu.
func (a *Account) putPolicy(p *ManagedPolicy) error {
	if ps, ok := a.store.(ExtraStore); ok {
		if err := ps.PutPolicy(p); err != nil {
			return storeFailure(err)
		}
	}
	a.policies[p.ARN] = p
	return nil
}

// AccountAlias returns the account's alias, "" when it has none. The console
// shows it on the role chooser ("Account: <alias> (<id>)").
func (a *Account) AccountAlias() string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.alias
}

// CreateAccountAlias sets the account's alias. An account has at most one:
// creating another replaces it.
func (a *Account) CreateAccountAlias(alias string) error {
	if err := checkOne("AccountAlias", shAlias, alias); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.setAlias(alias)
}

// DeleteAccountAlias removes the account's alias, which must be alias.
func (a *Account) DeleteAccountAlias(alias string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.alias == "" || a.alias != alias {
		return awsapi.Errorf(awsapi.CodeNoSuchEntity, http.StatusNotFound, "The account alias %s cannot be found.", alias)
	}
	return a.setAlias("")
}

// setAlias persists and installs the alias. The caller holds a.mu.
func (a *Account) setAlias(alias string) error {
	if ps, ok := a.store.(ExtraStore); ok {
		if err := ps.SetAccountAlias(alias); err != nil {
			return storeFailure(err)
		}
	}
	a.alias = alias
	return nil
}
