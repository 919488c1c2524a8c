package capture

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrNotRole is wrapped when an input holds no role or trust policy.
var ErrNotRole = errors.New("not a role or trust policy")

const expectedRole = "expected `aws iam get-role` JSON or a trust policy document"

// Role is an IAM role as `aws iam get-role` prints it.
type Role struct {
	Source string `json:"source"`
	ARN    string `json:"arn,omitempty"`
	Name   string `json:"name,omitempty"`
	// MaxSessionDuration is in seconds; 0 when the input does not say.
	MaxSessionDuration int `json:"max_session_duration,omitempty"`
	// TrustPolicy is the AssumeRolePolicyDocument as JSON text.
	TrustPolicy string `json:"-"`
}

type getRoleJSON struct {
	Role *struct {
		Arn                      string          `json:"Arn"`
		RoleName                 string          `json:"RoleName"`
		MaxSessionDuration       int             `json:"MaxSessionDuration"`
		AssumeRolePolicyDocument json.RawMessage `json:"AssumeRolePolicyDocument"`
	} `json:"Role"`
	Statement json.RawMessage `json:"Statement"`
}

// RoleOrPolicy reads `aws iam get-role` JSON (the CLI prints the trust policy
// as an object; the raw API gives it URL-encoded, which is accepted too) or a
// bare trust policy document (the file given to update-assume-role-policy).
func RoleOrPolicy(name string, data []byte) (*Role, error) {
	d := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	var j getRoleJSON
	if len(d) == 0 || d[0] != '{' {
		return nil, fmt.Errorf("%s: not JSON, %s (%w)", name, expectedRole, ErrNotRole)
	}
	if err := json.Unmarshal(d, &j); err != nil {
		return nil, fmt.Errorf("%s: JSON that does not parse (%v), %s (%w)", name, err, expectedRole, ErrNotRole)
	}
	if j.Role == nil {
		if len(j.Statement) == 0 {
			return nil, fmt.Errorf("%s: JSON with neither \"Role\" nor \"Statement\", %s (%w)", name, expectedRole, ErrNotRole)
		}
		return &Role{Source: name, TrustPolicy: string(d)}, nil
	}
	r := &Role{Source: name, ARN: j.Role.Arn, Name: j.Role.RoleName, MaxSessionDuration: j.Role.MaxSessionDuration}
	doc := bytes.TrimSpace(j.Role.AssumeRolePolicyDocument)
	switch {
	case len(doc) == 0 || string(doc) == "null":
		return nil, fmt.Errorf("%s: the role has no AssumeRolePolicyDocument (%w)", name, ErrNotRole)
	case doc[0] == '"':
		var s string
		if err := json.Unmarshal(doc, &s); err != nil {
			return nil, fmt.Errorf("%s: AssumeRolePolicyDocument: %v (%w)", name, err, ErrNotRole)
		}
		if strings.HasPrefix(s, "%") {
			u, err := url.QueryUnescape(s)
			if err != nil {
				return nil, fmt.Errorf("%s: AssumeRolePolicyDocument is not URL-encoded correctly: %v (%w)", name, err, ErrNotRole)
			}
			s = u
		}
		r.TrustPolicy = s
	default:
		r.TrustPolicy = string(doc)
	}
	return r, nil
}
