package cognito

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Role mapping types and resolutions (RoleMapping in the service model).
const (
	MappingToken = "Token"
	MappingRules = "Rules"

	ResolveAuthenticatedRole = "AuthenticatedRole"
	ResolveDeny              = "Deny"
)

// Match types of a mapping rule.
const (
	MatchEquals     = "Equals"
	MatchContains   = "Contains"
	MatchStartsWith = "StartsWith"
	MatchNotEqual   = "NotEqual"
)

// maxRules is the model's limit on the rules of one mapping (1–25).
const maxRules = 25

// RoleMapping chooses the role of an authenticated identity from the claims
// of its login token for one provider (SetIdentityPoolRoles RoleMappings,
// keyed by provider name).
type RoleMapping struct {
	// Type is MappingToken (the token's cognito:roles and
	// cognito:preferred_role claims) or MappingRules.
	Type string `json:"Type"`
	// AmbiguousRoleResolution is what happens when no rule matches (Rules)
	// or the token names no preferred role (Token): ResolveAuthenticatedRole
	// uses the pool's authenticated role, ResolveDeny refuses.
	AmbiguousRoleResolution string `json:"AmbiguousRoleResolution,omitempty"`
	// RulesConfiguration holds the rules of a MappingRules mapping.
	RulesConfiguration *RulesConfiguration `json:"RulesConfiguration,omitempty"`
}

// RulesConfiguration is the rules of a role mapping, evaluated in order.
type RulesConfiguration struct {
	Rules []MappingRule `json:"Rules"`
}

// MappingRule maps tokens whose Claim matches Value (by MatchType) to
// RoleARN.
type MappingRule struct {
	Claim     string `json:"Claim"`
	MatchType string `json:"MatchType"`
	Value     string `json:"Value"`
	RoleARN   string `json:"RoleARN"`
}

// checkRoleMappings validates mappings against the model's constraints and
// the pool's providers: each key must be a provider of the pool.
func checkRoleMappings(p *Pool, mappings map[string]RoleMapping) error {
	configured := p.configuredProviders()
	for _, key := range slices.Sorted(maps.Keys(mappings)) {
		m := mappings[key]
		if !slices.Contains(configured, key) {
			return apiError(CodeInvalidParameter, fmt.Errorf("role mapping key %q is none of the pool's providers %q", key, configured), msgBadMappingKey, key)
		}
		at := "roleMappings." + key + ".member"
		switch m.Type {
		case MappingToken, MappingRules:
		case "":
			return apiError(CodeValidation, nil, "1 validation error detected: Value null at '%s.type' failed to satisfy constraint: Member must not be null", at)
		default:
			return apiError(CodeValidation, nil, "1 validation error detected: Value '%s' at '%s.type' failed to satisfy constraint: Member must satisfy enum value set: [Token, Rules]", m.Type, at)
		}
		switch m.AmbiguousRoleResolution {
		case ResolveAuthenticatedRole, ResolveDeny:
		case "":
			return apiError(CodeInvalidParameter, nil, msgAmbiguousRequired, key)
		default:
			return apiError(CodeValidation, nil, "1 validation error detected: Value '%s' at '%s.ambiguousRoleResolution' failed to satisfy constraint: Member must satisfy enum value set: [AuthenticatedRole, Deny]", m.AmbiguousRoleResolution, at)
		}
		if m.Type == MappingToken {
			continue
		}
		if m.RulesConfiguration == nil {
			return apiError(CodeInvalidParameter, nil, msgRulesRequired, key)
		}
		rules := m.RulesConfiguration.Rules
		if len(rules) < 1 || len(rules) > maxRules {
			return apiError(CodeValidation, nil, "1 validation error detected: Value at '%s.rulesConfiguration.rules' failed to satisfy constraint: Member must have length less than or equal to %d, Member must have length greater than or equal to 1", at, maxRules)
		}
		for i, r := range rules {
			ra := fmt.Sprintf("%s.rulesConfiguration.rules.%d.member", at, i+1)
			if err := constraint(ra+".claim", r.Claim, 1, 64, nil, ""); err != nil {
				return err
			}
			if err := constraint(ra+".value", r.Value, 1, 128, nil, ""); err != nil {
				return err
			}
			if err := constraint(ra+".roleARN", r.RoleARN, 20, 2048, nil, ""); err != nil {
				return err
			}
			switch r.MatchType {
			case MatchEquals, MatchContains, MatchStartsWith, MatchNotEqual:
			default:
				return apiError(CodeValidation, nil, "1 validation error detected: Value '%s' at '%s.matchType' failed to satisfy constraint: Member must satisfy enum value set: [Equals, Contains, StartsWith, NotEqual]", r.MatchType, ra)
			}
			if !strings.HasPrefix(r.RoleARN, "arn:") || !strings.Contains(r.RoleARN, ":role/") {
				return apiError(CodeInvalidParameter, nil, msgBadRuleRole, r.RoleARN)
			}
		}
	}
	return nil
}

// configuredProviders are the names a role mapping or principal tag map may
// be keyed by: the pool's OIDC providers, social providers, and user pool
// providers as "<ProviderName>:<ClientId>".
func (p *Pool) configuredProviders() []string {
	names := p.providerNames()
	names = append(names, slices.Sorted(maps.Keys(p.SupportedLoginProviders))...)
	for _, c := range p.CognitoIdentityProviders {
		names = append(names, c.ProviderName+":"+c.ClientID)
	}
	return names
}

// claimStrings returns the values of a claim as strings: a string is one
// value, a list its elements; numbers and booleans are their JSON text.
func claimStrings(raw json.RawMessage) []string {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}
	}
	var many []any
	if err := json.Unmarshal(raw, &many); err == nil {
		out := make([]string, 0, len(many))
		for _, v := range many {
			if s, ok := v.(string); ok {
				out = append(out, s)
			} else if b, err := json.Marshal(v); err == nil {
				out = append(out, string(b))
			}
		}
		return out
	}
	return []string{strings.TrimSpace(string(raw))}
}

// matches reports whether the rule matches the claim values. A list claim
// (groups) matches when any element does, and NotEqual when no element
// equals the value (samlab's reading; AWS documents rules on string claims).
// A missing claim matches nothing, not even NotEqual (unverified).
func (r MappingRule) matches(vals []string, present bool) bool {
	if !present {
		return false
	}
	if r.MatchType == MatchNotEqual {
		return !slices.Contains(vals, r.Value)
	}
	for _, v := range vals {
		switch r.MatchType {
		case MatchEquals:
			if v == r.Value {
				return true
			}
		case MatchContains:
			if strings.Contains(v, r.Value) {
				return true
			}
		case MatchStartsWith:
			if strings.HasPrefix(v, r.Value) {
				return true
			}
		}
	}
	return false
}

// claimSource gives a login token's claims by name.
type claimSource interface {
	Raw(name string) (json.RawMessage, bool)
}

// roleChoice is the outcome of role mapping for one login: the roles the
// mapping allows (for CustomRoleArn) and the one it picks ("" when
// ambiguous).
type roleChoice struct {
	allowed []string
	picked  string
}

// choose applies m to the claims of a login token.
func (m RoleMapping) choose(claims claimSource) roleChoice {
	var c roleChoice
	if m.Type == MappingToken {
		if raw, ok := claims.Raw("cognito:roles"); ok {
			for _, v := range claimStrings(raw) {
				// A user pool token lists the roles as a JSON list; a
				// comma-separated string is read too.
				for _, r := range strings.Split(v, ",") {
					if r = strings.TrimSpace(r); r != "" {
						c.allowed = append(c.allowed, r)
					}
				}
			}
		}
		if raw, ok := claims.Raw("cognito:preferred_role"); ok {
			if vals := claimStrings(raw); len(vals) == 1 && vals[0] != "" {
				c.picked = vals[0]
				if !slices.Contains(c.allowed, c.picked) {
					c.allowed = append(c.allowed, c.picked)
				}
			}
		}
		return c
	}
	if m.RulesConfiguration == nil {
		return c
	}
	for _, r := range m.RulesConfiguration.Rules {
		raw, ok := claims.Raw(r.Claim)
		var vals []string
		if ok {
			vals = claimStrings(raw)
		}
		if r.matches(vals, ok) {
			if c.picked == "" {
				c.picked = r.RoleARN
			}
			if !slices.Contains(c.allowed, r.RoleARN) {
				c.allowed = append(c.allowed, r.RoleARN)
			}
		}
	}
	return c
}
