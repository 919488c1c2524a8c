package iam

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
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
	Trust                    *Policy
	MaxSessionDuration       int // seconds, 3600..43200
	CreateDate               time.Time
}

// CreateRoleInput is the input of CreateRole.
type CreateRoleInput struct {
	Name                     string
	Path                     string // default "/"
	AssumeRolePolicyDocument string
	MaxSessionDuration       int // default 3600
}

var roleNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

// RoleARN returns the ARN of a role with the given path and name.
func (a *Account) RoleARN(path, name string) string {
	if path == "" {
		path = "/"
	}
	return fmt.Sprintf("arn:%s:iam::%s:role%s%s", a.partition, a.id, path, name)
}

// CreateRole creates a role.
func (a *Account) CreateRole(in CreateRoleInput) (*Role, error) {
	if !roleNameRE.MatchString(in.Name) {
		return nil, awsapi.Errorf(awsapi.CodeValidation, http.StatusBadRequest,
			"1 validation error detected: Value '%s' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", in.Name)
	}
	if in.Path == "" {
		in.Path = "/"
	}
	if !strings.HasPrefix(in.Path, "/") || !strings.HasSuffix(in.Path, "/") {
		return nil, awsapi.Errorf(awsapi.CodeValidation, http.StatusBadRequest,
			"The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	if in.MaxSessionDuration == 0 {
		in.MaxSessionDuration = DefaultMaxSession
	}
	if err := checkMaxSession(in.MaxSessionDuration); err != nil {
		return nil, err
	}
	pol, err := ParsePolicy(in.AssumeRolePolicyDocument)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.roles[in.Name]; ok {
		return nil, awsapi.Errorf(awsapi.CodeEntityAlreadyExists, http.StatusConflict, "Role with name %s already exists.", in.Name)
	}
	r := &Role{ARN: a.RoleARN(in.Path, in.Name), Name: in.Name, Path: in.Path,
		RoleID: "AROA" + a.newUUID()[:17], AssumeRolePolicyDocument: in.AssumeRolePolicyDocument, Trust: pol,
		MaxSessionDuration: in.MaxSessionDuration, CreateDate: a.now().UTC().Truncate(time.Second)}
	a.roles[in.Name] = r
	c := *r
	return &c, nil
}

func checkMaxSession(n int) error {
	if n < 3600 || n > 43200 {
		return awsapi.Errorf(awsapi.CodeValidation, http.StatusBadRequest,
			"1 validation error detected: Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200", n)
	}
	return nil
}

// RoleByName returns the role called name.
func (a *Account) RoleByName(name string) (*Role, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	r, ok := a.roles[name]
	if !ok {
		return nil, &awsapi.Error{Code: awsapi.CodeNoSuchEntity, Status: http.StatusNotFound,
			Message: fmt.Sprintf("The role with name %s cannot be found.", name), Err: ErrNoSuchRole}
	}
	c := *r
	return &c, nil
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
		c := *r
		out = append(out, &c)
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
