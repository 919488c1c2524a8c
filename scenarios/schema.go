package scenarios

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/idp/oidc"
	"github.com/samlab-dev/samlab/sp/cognito"
)

// descriptions document schema properties, by Go type and YAML key, for
// editors that show them while completing.
var descriptions = map[string]string{
	"Scenario.version":     "File format version: 2 (1 still loads; samlab scenario migrate rewrites it).",
	"Scenario.name":        "Identifies the scenario: lower-case letters, digits and dashes.",
	"Scenario.title":       "One line that names the failure.",
	"Scenario.description": "What the trainee sees and why it happens.",
	"Scenario.hint":        "Where to look first, without giving the fix away.",
	"Scenario.fix":         "The exact aws command or IdP setting that repairs the federation.",
	"Scenario.sources":     "Links to public reports of the failure.",
	"Scenario.difficulty":  "1 read the error and fix one setting, 2 compare two artefacts, 3 several components or a time effect.",
	"Scenario.labels":      "Labels for ginkgo label filters and samlab scenario run --label.",
	"Scenario.setup":       "The lab before the first step; every part is optional.",
	"Scenario.steps":       "The steps, in order.",
	"Setup.account":        "The 12-digit AWS account ID.",
	"Setup.users":          "IdP users by name (added, or replacing alice and bob).",
	"Setup.providers":      "IAM SAML providers created from the IdP's metadata before the first step.",
	"Setup.roles":          "IAM roles by name (added, or replacing SAMLAdmin and SAMLReadOnly).",
	"Setup.behavior":       "Mock STS switches by name (see samlab's sp/sts Behavior).",
	"Setup.oidc":           "The lab's OpenID Connect provider (served on loopback); web identity steps need it.",
	"Setup.web_identity":   "AssumeRoleWithWebIdentity switches by name (see samlab's sp/sts WebIdentityBehavior).",
	"Setup.identity_pools": "Cognito identity pools by name; their login is the lab's IAM OIDC provider.",
	"Step.token_fault":     "A defect the OpenID Connect provider injects into the ID token.",
	"Step.save_token":      "Keep this step's ID token under a name (web-identity-login).",
	"Step.token":           "Send the ID token an earlier step kept instead of a fresh one.",
	"Step.token_file":      "A file in the lab's directory holding the app's ID token: write-token-file writes it, web-identity-login sends it.",
	"Step.pool":            "An identity pool of setup.identity_pools.",
	"Step.custom_role":     "cognito-login: the role sent as CustomRoleArn (a role of setup.roles).",
	"Step.role_mapping":    "set-identity-pool-roles: the pool's role mapping for the lab's provider (none removes it).",
	"Step.audience":        "login: the SAML Audience; web-identity-login, cognito-login: the ID token's aud (default sts.amazonaws.com).",
	"Step.action":          "What happens in this step.",
	"Step.user":            "An IdP user (alice, bob, or one from setup.users).",
	"Step.role":            "A role name of the lab's account.",
	"Step.provider":        "A SAML provider name (default samlab).",
	"Step.role_arn":        "RoleArn sent as it is (login), for deliberately wrong ARNs; ${account} is replaced.",
	"Step.principal_arn":   "PrincipalArn sent as it is (login); ${account} is replaced.",
	"Step.fault":           "A defect the IdP injects into its response.",
	"Step.redeem_after":    "How long the client holds the response before redeeming it.",
	"Step.snapshot":        "A name for saved metadata (save-metadata) or the saved metadata to upload.",
	"Step.choose":          "The role picked on the console's role chooser.",
	"Step.with":            "The user's new definition (set-user).",
	"Step.expect":          "`success`, or a mapping: an AWS error (code, status, message) or session properties.",
	"RoleRef.value":        "The Role attribute value sent verbatim (for malformed pairs).",
	"PolicyDoc":            "A policy as YAML or as JSON text; ${account}, ${partition}, ${provider:NAME}, ${role:NAME} are replaced.",
}

// Schema returns the JSON Schema (draft 2020-12) of scenario files, built
// from the types Parse reads, so the two cannot drift apart.
func Schema() ([]byte, error) {
	s := schemaOf(reflect.TypeFor[Scenario](), "")
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = SchemaURL
	s["title"] = "samlab scenario"
	s["required"] = []string{"version", "name", "steps"}
	props := s["properties"].(map[string]any)
	props["version"] = map[string]any{"enum": []int{1, Version}, "description": descriptions["Scenario.version"]}
	props["difficulty"].(map[string]any)["minimum"] = 1
	props["difficulty"].(map[string]any)["maximum"] = 3
	props["name"].(map[string]any)["pattern"] = "^[a-z0-9][a-z0-9-]*$"
	return json.MarshalIndent(s, "", "  ")
}

var durationSchema = map[string]any{"type": "string", "pattern": `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`,
	"description": `A duration such as "90s", "10m" or "1h30m".`}

func schemaOf(t reflect.Type, key string) map[string]any {
	if t == reflect.TypeFor[time.Duration]() {
		return copyMap(durationSchema)
	}
	switch t {
	case reflect.TypeFor[Expect]():
		return map[string]any{"oneOf": []any{
			map[string]any{"const": "success"},
			schemaOf(reflect.TypeFor[expectFields](), ""),
		}}
	case reflect.TypeFor[RoleRef]():
		return map[string]any{"oneOf": []any{map[string]any{"type": "string", "description": "A role name."}, structSchema(t)}}
	case reflect.TypeFor[PolicyDoc]():
		return map[string]any{"type": []string{"object", "string"}, "description": descriptions["PolicyDoc"]}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem(), key)
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Int:
		return map[string]any{"type": "integer"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), "")}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), "")}
	case reflect.Struct:
		return structSchema(t)
	}
	return map[string]any{}
}

func structSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	for i := range t.NumField() {
		name := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		p := schemaOf(t.Field(i).Type, name)
		if d, ok := descriptions[t.Name()+"."+name]; ok {
			p["description"] = d
		}
		props[name] = p
	}
	s := map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	switch t {
	case reflect.TypeFor[Step]():
		s["required"] = []string{"action"}
		props["action"].(map[string]any)["enum"] = append(ActionNames(), ActionRegisterProvider)
		props["fault"].(map[string]any)["enum"] = idp.FaultNames()
		props["edit"].(map[string]any)["enum"] = metadataEdits
		props["metadata"].(map[string]any)["enum"] = []string{"none"}
		props["assertion"].(map[string]any)["enum"] = assertionEdits
		props["empty"].(map[string]any)["items"] = map[string]any{"enum": emptyParams}
		props["token_fault"].(map[string]any)["enum"] = oidc.FaultNames()
	case reflect.TypeFor[Setup]():
		props["account"] = map[string]any{"type": []string{"string", "integer"}, "pattern": "^[0-9]{12}$",
			"description": descriptions["Setup.account"]}
		behavior := map[string]any{}
		for _, n := range BehaviorNames() {
			behavior[n] = map[string]any{"type": []string{"string", "boolean"}}
		}
		props["behavior"] = map[string]any{"type": "object", "additionalProperties": false, "properties": behavior,
			"description": descriptions["Setup.behavior"]}
		webIdentity := map[string]any{}
		for _, n := range WebIdentitySwitchNames() {
			webIdentity[n] = map[string]any{"type": []string{"string", "boolean"}}
		}
		props["web_identity"] = map[string]any{"type": "object", "additionalProperties": false, "properties": webIdentity,
			"description": descriptions["Setup.web_identity"]}
	case reflect.TypeFor[RoleMappingSetup]():
		props["type"].(map[string]any)["enum"] = []string{cognito.MappingRules, cognito.MappingToken}
		props["ambiguous_role_resolution"].(map[string]any)["enum"] = []string{cognito.ResolveAuthenticatedRole, cognito.ResolveDeny}
		s["required"] = []string{"type", "ambiguous_role_resolution"}
	case reflect.TypeFor[MappingRuleSetup]():
		props["match_type"].(map[string]any)["enum"] = []string{cognito.MatchEquals, cognito.MatchContains, cognito.MatchStartsWith, cognito.MatchNotEqual}
		s["required"] = []string{"claim", "match_type", "value", "role"}
	case reflect.TypeFor[OIDCSetup]():
		props["algorithm"].(map[string]any)["enum"] = oidc.Algorithms()
	case reflect.TypeFor[SigningSetup]():
		props["target"].(map[string]any)["enum"] = signingTargets
		props["algorithm"].(map[string]any)["enum"] = sortedKeys(signingAlgs)
		props["digest"].(map[string]any)["enum"] = sortedKeys(digestAlgs)
	case reflect.TypeFor[IDPSetup]():
		props["name_id_format"].(map[string]any)["enum"] = sortedKeys(nameIDFormats)
	case reflect.TypeFor[EncryptionSetup]():
		props["cipher"].(map[string]any)["enum"] = idp.Ciphers()
	}
	return s
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
