package scenarios

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/samlab-dev/samlab/idp/oidc"
	"github.com/samlab-dev/samlab/sp/cognito"
	"github.com/samlab-dev/samlab/sp/sts"
)

// Web identity actions: the OpenID Connect half of federation (IAM OIDC
// providers, AssumeRoleWithWebIdentity, Cognito identity pools).
const (
	ActionCreateOIDCProvider   = "create-oidc-provider"    // aws iam create-open-id-connect-provider
	ActionDeleteOIDCProvider   = "delete-oidc-provider"    // aws iam delete-open-id-connect-provider
	ActionAddClientID          = "add-client-id"           // aws iam add-client-id-to-open-id-connect-provider
	ActionRemoveClientID       = "remove-client-id"        // aws iam remove-client-id-from-open-id-connect-provider
	ActionRotateOIDCKey        = "rotate-oidc-key"         // the OIDC provider signs with a new key
	ActionStageOIDCRollover    = "stage-oidc-rollover"     // the OIDC provider publishes its next key in the JWKS
	ActionRevertOIDCKey        = "revert-oidc-key"         // the OIDC provider signs with its previous key again
	ActionWebIdentityLogin     = "web-identity-login"      // ID token → AssumeRoleWithWebIdentity
	ActionUpdateIdentityPool   = "update-identity-pool"    // aws cognito-identity update-identity-pool
	ActionSetIdentityPoolRoles = "set-identity-pool-roles" // aws cognito-identity set-identity-pool-roles
	ActionCognitoLogin         = "cognito-login"           // GetId, then GetCredentialsForIdentity
	ActionRotateOIDCTLSCert    = "rotate-oidc-tls-cert"    // the issuer's host presents a new TLS certificate
	ActionUpdateOIDCThumbprint = "update-oidc-thumbprint"  // aws iam update-open-id-connect-provider-thumbprint
	ActionBlockOIDCIssuer      = "block-oidc-issuer"       // the issuer stops answering AWS (503)
	ActionUnblockOIDCIssuer    = "unblock-oidc-issuer"     // the issuer answers again
	ActionWriteTokenFile       = "write-token-file"        // the app's token file gets a token from the provider
)

// DefaultClientID is the client ID (token audience) web identity steps use
// unless they name another: the one AWS's guides register for
// AssumeRoleWithWebIdentity.
const DefaultClientID = "sts.amazonaws.com"

// webIdentityActions are the actions that need setup.oidc.
var webIdentityActions = []string{ActionCreateOIDCProvider, ActionDeleteOIDCProvider, ActionAddClientID, ActionRemoveClientID,
	ActionRotateOIDCKey, ActionStageOIDCRollover, ActionRevertOIDCKey, ActionWebIdentityLogin, ActionUpdateIdentityPool, ActionSetIdentityPoolRoles,
	ActionCognitoLogin, ActionBlockOIDCIssuer, ActionUnblockOIDCIssuer, ActionRotateOIDCTLSCert, ActionUpdateOIDCThumbprint,
	ActionWriteTokenFile}

// OIDCSetup is the lab's OpenID Connect provider (samlab's idp/oidc for the
// IdP's users), served on a loopback address over http, or over https with
// TLS. IAM accepts an http:// issuer only because the lab then turns on
// samlab's loopback deviation (LabConfig.InsecureHTTPIssuers); AWS requires
// https://.
type OIDCSetup struct {
	// TLS serves the issuer over https with a self-signed lab certificate,
	// so IAM's thumbprints are checked when STS fetches the keys (default
	// false: http).
	TLS bool `yaml:"tls" json:"tls,omitempty"`
	// Algorithm signs ID tokens (default RS256).
	Algorithm string `yaml:"algorithm" json:"algorithm,omitempty"`
	// TokenLifetime is how long ID tokens are valid (default 1h).
	TokenLifetime time.Duration `yaml:"token_lifetime" json:"token_lifetime,omitempty"`
	// Provider, when set, registers the issuer in IAM before the first step
	// (aws iam create-open-id-connect-provider).
	Provider *OIDCProviderSetup `yaml:"provider" json:"provider,omitempty"`
}

// OIDCProviderSetup is the IAM OpenID Connect provider for the lab's issuer.
type OIDCProviderSetup struct {
	// ClientIDs are the audiences IAM accepts (default [sts.amazonaws.com]).
	ClientIDs []string `yaml:"client_ids" json:"client_ids,omitempty"`
	// Thumbprints are the SHA-1 thumbprints IAM keeps (default: none given,
	// so IAM reads the https issuer's certificate chain, as AWS does).
	Thumbprints []string `yaml:"thumbprints" json:"thumbprints,omitempty"`
}

// IdentityPoolSetup is a Cognito identity pool whose login provider is the
// lab's IAM OIDC provider.
type IdentityPoolSetup struct {
	// AllowUnauthenticated lets guests (no logins) get identities.
	AllowUnauthenticated bool `yaml:"allow_unauthenticated" json:"allow_unauthenticated,omitempty"`
	// AuthenticatedRole and UnauthenticatedRole name the pool's roles.
	AuthenticatedRole   string `yaml:"authenticated_role" json:"authenticated_role,omitempty"`
	UnauthenticatedRole string `yaml:"unauthenticated_role" json:"unauthenticated_role,omitempty"`
	// RoleMapping chooses signed-in users' roles from their ID token's
	// claims (SetIdentityPoolRoles RoleMappings for the lab's provider).
	RoleMapping *RoleMappingSetup `yaml:"role_mapping" json:"role_mapping,omitempty"`
	// PrincipalTags are the attributes for access control of the lab's
	// provider (SetPrincipalTagAttributeMap): claims that become the
	// session's principal tags.
	PrincipalTags *PrincipalTagsSetup `yaml:"principal_tags" json:"principal_tags,omitempty"`
}

// RoleMappingSetup is an identity pool's role mapping for the lab's OpenID
// Connect provider.
type RoleMappingSetup struct {
	// Type is Rules (match claims) or Token (cognito:roles and
	// cognito:preferred_role claims).
	Type string `yaml:"type" json:"type"`
	// AmbiguousRoleResolution is what happens when no rule matches:
	// AuthenticatedRole (the pool's authenticated role) or Deny.
	AmbiguousRoleResolution string `yaml:"ambiguous_role_resolution" json:"ambiguous_role_resolution"`
	// Rules are evaluated in order; the first match gives the role.
	Rules []MappingRuleSetup `yaml:"rules" json:"rules,omitempty"`
}

// MappingRuleSetup maps users whose Claim matches Value to Role.
type MappingRuleSetup struct {
	Claim string `yaml:"claim" json:"claim"`
	// MatchType is Equals, Contains, StartsWith or NotEqual.
	MatchType string `yaml:"match_type" json:"match_type"`
	Value     string `yaml:"value" json:"value"`
	// Role names a role of setup.roles.
	Role string `yaml:"role" json:"role"`
}

// PrincipalTagsSetup maps tag keys to token claims, or uses the defaults
// (username from sub, client from aud).
type PrincipalTagsSetup struct {
	UseDefaults bool              `yaml:"use_defaults" json:"use_defaults,omitempty"`
	Tags        map[string]string `yaml:"tags" json:"tags,omitempty"`
}

// cognitoMapping turns a scenario's role mapping into Cognito's, with role
// names resolved by roleARN.
func cognitoMapping(m *RoleMappingSetup, roleARN func(string) string) cognito.RoleMapping {
	out := cognito.RoleMapping{Type: m.Type, AmbiguousRoleResolution: m.AmbiguousRoleResolution}
	if len(m.Rules) > 0 {
		out.RulesConfiguration = &cognito.RulesConfiguration{}
		for _, r := range m.Rules {
			out.RulesConfiguration.Rules = append(out.RulesConfiguration.Rules, cognito.MappingRule{Claim: r.Claim,
				MatchType: r.MatchType, Value: r.Value, RoleARN: roleARN(r.Role)})
		}
	}
	return out
}

// checkRoleMapping checks a role mapping's enums and role names.
func checkRoleMapping(at func(string, string, ...any), p string, m *RoleMappingSetup, n names) {
	if m == nil {
		return
	}
	if m.Type != cognito.MappingRules && m.Type != cognito.MappingToken {
		at(p+".type", "is %q; want Rules or Token", m.Type)
	}
	if m.AmbiguousRoleResolution != cognito.ResolveAuthenticatedRole && m.AmbiguousRoleResolution != cognito.ResolveDeny {
		at(p+".ambiguous_role_resolution", "is %q; want AuthenticatedRole or Deny", m.AmbiguousRoleResolution)
	}
	if m.Type == cognito.MappingRules && len(m.Rules) == 0 {
		at(p+".rules", "a Rules mapping needs at least one rule")
	}
	for i, r := range m.Rules {
		rp := fmt.Sprintf("%s.rules[%d]", p, i)
		if !slices.Contains([]string{cognito.MatchEquals, cognito.MatchContains, cognito.MatchStartsWith, cognito.MatchNotEqual}, r.MatchType) {
			at(rp+".match_type", "is %q; want Equals, Contains, StartsWith or NotEqual", r.MatchType)
		}
		if r.Claim == "" || r.Value == "" {
			at(rp, "needs claim and value")
		}
		if !n.roles[r.Role] {
			at(rp+".role", "unknown role %q (known: %s)", r.Role, known(n.roles))
		}
	}
}

// checkWebIdentitySetup checks setup.oidc, setup.web_identity and
// setup.identity_pools.
func (sc *Scenario) checkWebIdentitySetup(at func(string, string, ...any), n names) {
	s := sc.Setup
	if o := s.OIDC; o != nil {
		if _, err := oidc.ParseAlgorithm(o.Algorithm); err != nil {
			at("setup.oidc.algorithm", "%v", err)
		}
		if o.TokenLifetime < 0 {
			at("setup.oidc.token_lifetime", "is negative")
		}
		if o.Provider != nil {
			checkClientIDs(at, "setup.oidc.provider.client_ids", o.Provider.ClientIDs)
			checkThumbprints(at, "setup.oidc.provider.thumbprints", o.Provider.Thumbprints)
		}
	}
	b := sts.DefaultWebIdentityBehavior()
	for _, name := range sortedKeys(s.WebIdentity) {
		if err := applySwitches(&b, "WebIdentityBehavior", map[string]string{name: s.WebIdentity[name]}); err != nil {
			at("setup.web_identity."+name, "%v", err)
		}
	}
	if len(s.IdentityPools) > 0 && (s.OIDC == nil || s.OIDC.Provider == nil) {
		at("setup.identity_pools", "identity pools log users in through the lab's IAM OIDC provider: add setup.oidc.provider")
	}
	for _, name := range sortedKeys(s.IdentityPools) {
		p := s.IdentityPools[name]
		for _, r := range []struct{ key, v string }{{"authenticated_role", p.AuthenticatedRole}, {"unauthenticated_role", p.UnauthenticatedRole}} {
			if r.v != "" && !n.roles[r.v] {
				at("setup.identity_pools."+name+"."+r.key, "unknown role %q (known: %s)", r.v, known(n.roles))
			}
		}
		checkRoleMapping(at, "setup.identity_pools."+name+".role_mapping", p.RoleMapping, n)
		if t := p.PrincipalTags; t != nil && t.UseDefaults == (len(t.Tags) > 0) {
			at("setup.identity_pools."+name+".principal_tags", "give either use_defaults: true or tags")
		}
	}
}

// WebIdentitySwitchNames lists the AssumeRoleWithWebIdentity switches a
// scenario may set in setup.web_identity (snake_case of the
// sts.WebIdentityBehavior fields that are durations or booleans).
func WebIdentitySwitchNames() []string {
	t := reflect.TypeFor[sts.WebIdentityBehavior]()
	var out []string
	for i := range t.NumField() {
		if k := t.Field(i).Type; k == reflect.TypeFor[time.Duration]() || k.Kind() == reflect.Bool {
			out = append(out, snake(t.Field(i).Name))
		}
	}
	sort.Strings(out)
	return out
}

func checkClientIDs(at func(string, string, ...any), p string, ids []string) {
	for i, id := range ids {
		checkClientID(at, fmt.Sprintf("%s[%d]", p, i), id)
	}
}

var thumbprintRE = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)

// checkThumbprints checks thumbprints against IAM's model: 40 hex digits.
func checkThumbprints(at func(string, string, ...any), p string, tps []string) {
	for i, tp := range tps {
		if !thumbprintRE.MatchString(tp) {
			at(fmt.Sprintf("%s[%d]", p, i), "thumbprint %q is not 40 hexadecimal digits (the SHA-1 of a certificate)", tp)
		}
	}
}

// checkClientID checks a client ID against IAM's model (1 to 255
// characters); surrounding spaces are refused too, as they are never meant.
func checkClientID(at func(string, string, ...any), p, id string) {
	if id == "" || len(id) > 255 || strings.TrimSpace(id) != id {
		at(p, "client ID %q: 1 to 255 characters without surrounding spaces", id)
	}
}

// checkWebIdentityStep checks the fields of the web identity actions; tokens
// are the names save_token steps have kept so far.
func (sc *Scenario) checkWebIdentityStep(at func(string, string, ...any), p string, st Step, n names, tokens map[string]bool) {
	if !slices.Contains(webIdentityActions, st.Action) {
		return
	}
	if sc.Setup.OIDC == nil {
		at(p+".action", "%s needs the lab's OpenID Connect provider: add setup.oidc", st.Action)
	}
	if st.TokenFault != "" {
		if _, err := oidc.ParseFault(st.TokenFault); err != nil {
			at(p+".token_fault", "%v", err)
		}
	}
	if st.Pool != "" && !n.pools[st.Pool] {
		at(p+".pool", "unknown identity pool %q (known: %s)", st.Pool, known(n.pools))
	}
	for _, r := range []struct{ key, v string }{{"authenticated_role", st.AuthenticatedRole}, {"unauthenticated_role", st.UnauthenticatedRole}, {"custom_role", st.CustomRole}} {
		if r.v != "" && !n.roles[r.v] {
			at(p+"."+r.key, "unknown role %q (known: %s)", r.v, known(n.roles))
		}
	}
	checkRoleMapping(at, p+".role_mapping", st.RoleMapping, n)
	switch st.Action {
	case ActionCreateOIDCProvider:
		checkClientIDs(at, p+".client_ids", st.ClientIDs)
		checkThumbprints(at, p+".thumbprints", st.Thumbprints)
	case ActionUpdateOIDCThumbprint:
		checkThumbprints(at, p+".thumbprints", st.Thumbprints)
	case ActionRotateOIDCTLSCert:
		if sc.Setup.OIDC != nil && !sc.Setup.OIDC.TLS {
			at(p+".action", "the issuer is served over http: rotate-oidc-tls-cert needs setup.oidc.tls: true")
		}
	case ActionAddClientID, ActionRemoveClientID:
		if st.ClientID != "" { // a missing one is reported as required
			checkClientID(at, p+".client_id", st.ClientID)
		}
	case ActionWebIdentityLogin:
		if st.Role == "" && st.RoleARN == "" {
			at(p, "web-identity-login needs role or role_arn")
		}
		checkTokenFile(at, p, st)
		if st.Token != "" {
			if !tokens[st.Token] {
				at(p+".token", "no earlier web-identity-login kept a token as %q (save_token)", st.Token)
			}
			for _, f := range []struct{ key, v string }{{"user", st.User}, {"audience", st.Audience}, {"token_fault", st.TokenFault}} {
				if f.v != "" {
					at(p+"."+f.key, "the saved token %q is sent as it is: %s does not apply", st.Token, f.key)
				}
			}
		}
		if st.SaveToken != "" {
			tokens[st.SaveToken] = true
		}
	case ActionWriteTokenFile:
		checkTokenFile(at, p, st)
	case ActionCognitoLogin:
		if st.User == "" && (st.Audience != "" || st.TokenFault != "") {
			at(p, "a guest (no user) sends no token: audience and token_fault need a user")
		}
	}
}
