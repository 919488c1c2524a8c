package cognito

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// rawClaims is a claimSource over a JSON object.
type rawClaims map[string]json.RawMessage

func (c rawClaims) Raw(name string) (json.RawMessage, bool) {
	v, ok := c[name]
	return v, ok
}

// FuzzRoleMappings feeds SetIdentityPoolRoles' RoleMappings check and the
// role choice arbitrary mappings and token claims. Properties: no panic; a
// refusal is an *awsapi.Error with status 400 and a Cognito or validation
// code; for an accepted mapping, the picked role is one of the allowed
// roles, and a Rules mapping only ever allows roles of its rules. Seeds:
// the f.Add pairs below and testdata/fuzz/FuzzRoleMappings.
func FuzzRoleMappings(f *testing.F) {
	f.Add([]byte(`{"op.example":{"Type":"Rules","AmbiguousRoleResolution":"Deny","RulesConfiguration":{"Rules":[`+
		`{"Claim":"groups","MatchType":"Contains","Value":"read","RoleARN":"arn:aws:iam::123456789012:role/R"},`+
		`{"Claim":"email","MatchType":"NotEqual","Value":"a@b","RoleARN":"arn:aws:iam::123456789012:role/S"}]}}}`),
		[]byte(`{"groups":["admins","readers"],"email":"a@b"}`))
	f.Add([]byte(`{"op.example":{"Type":"Token","AmbiguousRoleResolution":"AuthenticatedRole"}}`),
		[]byte(`{"cognito:roles":"arn:aws:iam::1:role/A, arn:aws:iam::1:role/B","cognito:preferred_role":"arn:aws:iam::1:role/C"}`))
	f.Add([]byte(`{"other":{"Type":"Rules"}}`), []byte(`{}`))
	pool := &Pool{ID: "us-east-1:1", OIDCProviderARNs: []string{"arn:aws:iam::123456789012:oidc-provider/op.example"}}
	codes := []awsapi.Code{CodeInvalidParameter, CodeValidation}
	f.Fuzz(func(t *testing.T, mappingsJSON, claimsJSON []byte) {
		var mappings map[string]RoleMapping
		if json.Unmarshal(mappingsJSON, &mappings) != nil {
			return
		}
		var claims rawClaims
		if json.Unmarshal(claimsJSON, &claims) != nil {
			return
		}
		if err := checkRoleMappings(pool, mappings); err != nil {
			var e *awsapi.Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest || !slices.Contains(codes, e.Code) || e.Message == "" {
				t.Fatalf("checkRoleMappings = %#v", err)
			}
			return
		}
		for _, m := range mappings {
			c := m.choose(claims)
			if c.picked != "" && !slices.Contains(c.allowed, c.picked) {
				t.Fatalf("picked %q is not among the allowed %q", c.picked, c.allowed)
			}
			if m.Type == MappingRules {
				for _, r := range c.allowed {
					if !slices.ContainsFunc(m.RulesConfiguration.Rules, func(x MappingRule) bool { return x.RoleARN == r }) {
						t.Fatalf("Rules mapping allowed %q, which no rule names", r)
					}
				}
			}
		}
	})
}
