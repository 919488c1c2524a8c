package scenarios

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/sp/sts"
)

func reflectValue(p any) reflect.Value { return reflect.ValueOf(p).Elem() }

// Actions a step may take.
const (
	ActionSaveMetadata      = "save-metadata"       // keep a copy of the IdP's current metadata under a name
	ActionCreateProvider    = "create-provider"     // aws iam create-saml-provider
	ActionUpdateProvider    = "update-provider"     // aws iam update-saml-provider
	ActionDeleteProvider    = "delete-provider"     // aws iam delete-saml-provider
	ActionCreateRole        = "create-role"         // aws iam create-role
	ActionUpdateRole        = "update-role"         // aws iam update-role --max-session-duration
	ActionUpdateTrust       = "update-trust"        // aws iam update-assume-role-policy
	ActionDeleteRole        = "delete-role"         // aws iam delete-role
	ActionRotateKey         = "rotate-key"          // the IdP switches to a new signing key
	ActionStageRollover     = "stage-rollover"      // the IdP publishes its next key beside the current one
	ActionSetEntityID       = "set-entity-id"       // the IdP's entityID changes
	ActionSetSigning        = "set-signing"         // the IdP's signing options change
	ActionSetUser           = "set-user"            // a user's attributes change at the IdP
	ActionLogin             = "login"               // IdP response → AssumeRoleWithSAML (CLI tools)
	ActionConsoleSignIn     = "console-sign-in"     // IdP response → the console's /saml endpoint
	ActionGetCallerIdentity = "get-caller-identity" // sts get-caller-identity with the last credentials
	ActionAdvanceClock      = "advance-clock"       // move both sides' clock forward

	// ActionRegisterProvider is version 1's name of create-provider.
	ActionRegisterProvider = "register-provider"
)

type actionSpec struct {
	doc      string
	fields   []string // allowed keys besides name, action and expect
	required []string
}

var actions = map[string]actionSpec{
	ActionSaveMetadata:      {"save a copy of the IdP's current metadata under `snapshot`", []string{"snapshot", "edit"}, []string{"snapshot"}},
	ActionCreateProvider:    {"create an IAM SAML provider from the IdP's current metadata (or a snapshot)", []string{"provider", "snapshot", "encryption_mode", "add_private_key"}, nil},
	ActionUpdateProvider:    {"update an IAM SAML provider with the IdP's current metadata (or a snapshot), encryption mode or keys", []string{"provider", "snapshot", "metadata", "encryption_mode", "add_private_key", "remove_private_key"}, nil},
	ActionDeleteProvider:    {"delete an IAM SAML provider", []string{"provider"}, nil},
	ActionCreateRole:        {"create an IAM role", []string{"role", "trust", "max_session_duration", "path", "tags"}, []string{"role"}},
	ActionUpdateRole:        {"change a role's maximum session duration", []string{"role", "max_session_duration"}, []string{"role", "max_session_duration"}},
	ActionUpdateTrust:       {"replace a role's trust policy", []string{"role", "trust"}, []string{"role", "trust"}},
	ActionDeleteRole:        {"delete an IAM role", []string{"role"}, []string{"role"}},
	ActionRotateKey:         {"the IdP replaces its signing key (IAM is not told)", nil, nil},
	ActionStageRollover:     {"the IdP publishes its next signing key beside the current one", nil, nil},
	ActionSetEntityID:       {"the IdP's entityID changes", []string{"entity_id"}, []string{"entity_id"}},
	ActionSetSigning:        {"the IdP's signing options change", []string{"signing"}, []string{"signing"}},
	ActionSetUser:           {"a user's attributes change at the IdP (the user is replaced by `with`)", []string{"user", "with"}, []string{"user", "with"}},
	ActionLogin:             {"the IdP issues a response and AssumeRoleWithSAML redeems it", []string{"user", "role", "role_arn", "provider", "principal_arn", "fault", "redeem_after", "duration_seconds", "policy", "policy_arns", "recipient", "audience", "assertion", "empty"}, nil},
	ActionConsoleSignIn:     {"the IdP posts a response to the console sign-in endpoint", []string{"user", "fault", "choose", "recipient", "audience", "redeem_after"}, nil},
	ActionGetCallerIdentity: {"sts get-caller-identity with the credentials of the last login", nil, nil},
	ActionAdvanceClock:      {"move the lab clock forward by `duration`", []string{"duration"}, []string{"duration"}},

	ActionCreateOIDCProvider:   {"register the lab's OpenID Connect issuer in IAM with `client_ids` (default sts.amazonaws.com) and `thumbprints` (default: read from an https issuer)", []string{"client_ids", "thumbprints"}, nil},
	ActionRotateOIDCTLSCert:    {"the OpenID Connect issuer's host presents a new TLS certificate (setup.oidc.tls)", nil, nil},
	ActionUpdateOIDCThumbprint: {"replace the IAM OIDC provider's thumbprints with `thumbprints` (default: the issuer's current certificate's)", []string{"thumbprints"}, nil},
	ActionDeleteOIDCProvider:   {"delete the lab's IAM OIDC provider", nil, nil},
	ActionAddClientID:          {"add `client_id` to the IAM OIDC provider", []string{"client_id"}, []string{"client_id"}},
	ActionRemoveClientID:       {"remove `client_id` from the IAM OIDC provider", []string{"client_id"}, []string{"client_id"}},
	ActionRotateOIDCKey:        {"the OpenID Connect provider signs with a new key (the staged one, if any)", nil, nil},
	ActionStageOIDCRollover:    {"the OpenID Connect provider publishes its next key in its JWKS", nil, nil},
	ActionRevertOIDCKey:        {"the OpenID Connect provider signs with its previous key again and keeps the current one in its JWKS as the next key", nil, nil},
	ActionWebIdentityLogin:     {"the OpenID Connect provider issues an ID token and AssumeRoleWithWebIdentity redeems it", []string{"user", "role", "role_arn", "audience", "token_fault", "redeem_after", "duration_seconds", "save_token", "token", "token_file"}, nil},
	ActionWriteTokenFile:       {"the OpenID Connect provider issues an ID token and the app's `token_file` (in the lab's directory) is replaced by it", []string{"user", "audience", "token_fault", "token_file"}, []string{"token_file"}},
	ActionUpdateIdentityPool:   {"change whether an identity pool allows unauthenticated identities", []string{"pool", "allow_unauthenticated"}, []string{"pool", "allow_unauthenticated"}},
	ActionSetIdentityPoolRoles: {"set an identity pool's authenticated and unauthenticated roles and its role mapping", []string{"pool", "authenticated_role", "unauthenticated_role", "role_mapping"}, []string{"pool"}},
	ActionBlockOIDCIssuer:      {"the OpenID Connect issuer's discovery and JWKS stop answering (HTTP 503), as behind a firewall", nil, nil},
	ActionUnblockOIDCIssuer:    {"the OpenID Connect issuer answers again", nil, nil},
	ActionCognitoLogin:         {"GetId then GetCredentialsForIdentity on a pool, with `user`'s ID token or as a guest, and `custom_role` as CustomRoleArn", []string{"pool", "user", "audience", "token_fault", "custom_role"}, []string{"pool"}},
}

// Actions lists the step actions with a one-line description each.
func Actions() map[string]string {
	out := make(map[string]string, len(actions))
	for k, v := range actions {
		out[k] = v.doc
	}
	return out
}

// ActionNames lists the step actions, sorted.
func ActionNames() []string {
	out := make([]string, 0, len(actions))
	for k := range actions {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// BehaviorNames lists the STS Behavior switches a scenario may set, by their
// scenario names (snake_case of the sts.Behavior fields).
func BehaviorNames() []string {
	t := reflect.TypeFor[sts.Behavior]()
	var out []string
	for i := range t.NumField() {
		out = append(out, snake(t.Field(i).Name))
	}
	sort.Strings(out)
	return out
}

func snake(s string) string {
	var b strings.Builder
	r := []rune(s)
	for i, c := range r {
		if unicode.IsUpper(c) {
			if i > 0 && (unicode.IsLower(r[i-1]) || (i+1 < len(r) && unicode.IsLower(r[i+1]))) {
				b.WriteByte('_')
			}
			c = unicode.ToLower(c)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// applyBehavior sets the named switches on b. Names and values are checked.
func applyBehavior(b *sts.Behavior, m map[string]string) error {
	v := reflect.ValueOf(b).Elem()
	for _, name := range sortedKeys(m) {
		val := m[name]
		f, ok := behaviorField(v, name)
		if !ok {
			return fmt.Errorf("unknown Behavior switch %q (known: %s)", name, strings.Join(BehaviorNames(), ", "))
		}
		switch {
		case f.Type() == reflect.TypeFor[time.Duration]():
			d, err := time.ParseDuration(val)
			if err != nil || d < 0 {
				return fmt.Errorf("behavior %s wants a duration such as \"30s\", got %q", name, val)
			}
			f.SetInt(int64(d))
		case f.Kind() == reflect.Bool:
			bv, err := strconv.ParseBool(val)
			if err != nil {
				return fmt.Errorf("behavior %s wants true or false, got %q", name, val)
			}
			f.SetBool(bv)
		default:
			return fmt.Errorf("behavior %s cannot be set from a scenario", name)
		}
	}
	return nil
}

func behaviorField(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		if snake(t.Field(i).Name) == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	arnRE     = regexp.MustCompile(`^arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:([0-9]{12}|\$\{account(:[a-z0-9-]+)?\})?:.+$`)
	varRE     = regexp.MustCompile(`\$\{([a-z_]+)(?::([^}]*))?\}`)
	refRE     = regexp.MustCompile(`^\$\{(provider|role):[^}]+\}$`)
)

var (
	metadataEdits  = []string{"utf8-bom"}
	assertionEdits = []string{"url-encoded", "empty"}
	emptyParams    = []string{"role_arn", "principal_arn"}
	signingTargets = []string{"assertion", "response", "both", "none"}
	signingAlgs    = map[string]string{"rsa-sha256": idp.SignatureRSASHA256, "rsa-sha1": idp.SignatureRSASHA1}
	digestAlgs     = map[string]string{"sha256": idp.DigestSHA256, "sha1": idp.DigestSHA1}
	nameIDFormats  = map[string]string{"persistent": idp.NameIDFormatPersistent, "transient": idp.NameIDFormatTransient,
		"email": idp.NameIDFormatEmail, "unspecified": idp.NameIDFormatUnspecified}
)

// names are the lab objects a scenario may refer to.
type names struct {
	users, roles, providers, pools map[string]bool
	accounts                       map[string]bool // setup.accounts
	oidc                           bool            // setup.oidc is given
}

func set(xs ...string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func known(m map[string]bool) string { return strings.Join(sortedKeys(m), ", ") }

// check reports every semantic problem of sc through d.
func (sc *Scenario) check(d *decoder) {
	at := func(path string, format string, args ...any) { d.errorf(d.at(path), path, format, args...) }
	if sc.Version != 1 && sc.Version != Version {
		at("version", "is %d; this samlab reads versions 1 and %d", sc.Version, Version)
	}
	if sc.Name == "" {
		at("name", "is required")
	} else if !regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`).MatchString(sc.Name) {
		at("name", "%q: use lower-case letters, digits and dashes", sc.Name)
	}
	if sc.Difficulty < 0 || sc.Difficulty > 3 {
		at("difficulty", "is %d; use 1 (read the error, fix one setting) to 3 (several components)", sc.Difficulty)
	}
	if len(sc.Steps) == 0 {
		at("steps", "at least one step is required")
	}
	for i, l := range sc.Labels {
		if strings.ContainsAny(l, "&|!,()/ ") || l == "" {
			at(fmt.Sprintf("labels[%d]", i), "label %q may not be empty or contain &|!,()/ or spaces (ginkgo label syntax)", l)
		}
	}

	n := names{users: set(DefaultUser), roles: set(DefaultRoleName, ReadOnlyRoleName), providers: set(DefaultProviderName), pools: set()}
	n.oidc = sc.Setup.OIDC != nil
	n.accounts = set(sortedKeys(sc.Setup.Accounts)...)
	for p := range sc.Setup.IdentityPools {
		n.pools[p] = true
	}
	for _, u := range idp.DemoUsers().Names() {
		n.users[u] = true
	}
	for u := range sc.Setup.Users {
		n.users[u] = true
	}
	for r := range sc.Setup.Roles {
		n.roles[r] = true
	}
	for p := range sc.Setup.Providers {
		n.providers[p] = true
	}
	for _, st := range sc.Steps {
		switch st.Action {
		case ActionCreateRole:
			n.roles[st.Role] = true
		case ActionCreateProvider:
			if st.Provider != "" {
				n.providers[st.Provider] = true
			}
		case ActionSetUser:
			n.users[st.User] = true
		}
	}
	sc.checkSetup(at, n)
	sc.checkLab(at, n)
	sc.checkWebIdentitySetup(at, n)
	sc.checkAccounts(at, n)

	snapshots := map[string]bool{}
	saved, devices := federationNames(sc.Steps)
	tokens := map[string]bool{}
	stepFields := fieldNames(reflect.TypeFor[Step]())
	for i, st := range sc.Steps {
		p := fmt.Sprintf("steps[%d]", i)
		spec, ok := actions[st.Action]
		if !ok {
			for _, k := range st.fields {
				if !slices.Contains(stepFields, k.Value) {
					d.errorf(k, p+"."+k.Value, "unknown field (steps take: %s)", strings.Join(stepFields, ", "))
				}
			}
			if st.Action == "" {
				at(p, "action is required (known: %s)", strings.Join(ActionNames(), ", "))
			} else {
				at(p+".action", "unknown action %q (known: %s)", st.Action, strings.Join(ActionNames(), ", "))
			}
			continue
		}
		given := map[string]bool{}
		fields := st.fields
		if fields == nil { // built in Go: the fields set are the non-zero ones
			fields = setFields(st)
		}
		for _, k := range fields {
			given[k.Value] = true
			if k.Value == "name" || k.Value == "action" || k.Value == "expect" {
				continue
			}
			if !slices.Contains(spec.fields, k.Value) {
				takes := st.Action + " takes no other fields"
				if len(spec.fields) > 0 {
					takes = st.Action + " takes " + strings.Join(spec.fields, ", ")
				}
				what := "does not apply to " + st.Action
				if !slices.Contains(stepFields, k.Value) {
					what = "unknown field"
				}
				d.errorf(k, p+"."+k.Value, "%s (%s)", what, takes)
			}
		}
		for _, r := range spec.required {
			if !given[r] {
				at(p, "%s needs %s", st.Action, r)
			}
		}
		sc.checkStep(d, at, p, st, n, snapshots)
		checkFederationStep(at, p, st, saved[i], devices[i])
		sc.checkWebIdentityStep(at, p, st, n, tokens)
		sc.checkAccountStep(at, p, st, n)
	}
}

func (sc *Scenario) checkSetup(at func(string, string, ...any), n names) {
	s := sc.Setup
	if s.Account != "" && !accountRE.MatchString(s.Account) {
		at("setup.account", "%q is not a 12-digit AWS account ID", s.Account)
	}
	if s.IDP.EntityID != "" && strings.TrimSpace(s.IDP.EntityID) != s.IDP.EntityID {
		at("setup.idp.entity_id", "has surrounding spaces")
	}
	checkSigning(at, "setup.idp.signing", s.IDP.Signing)
	if s.IDP.KeyBits != 0 && s.IDP.KeyBits < certs.MinBits {
		at("setup.idp.key_bits", "is %d; the IdP makes keys of at least %d bits", s.IDP.KeyBits, certs.MinBits)
	}
	if f := s.IDP.NameIDFormat; f != "" && nameIDFormats[f] == "" {
		at("setup.idp.name_id_format", "unknown format %q (known: %s)", f, strings.Join(sortedKeys(nameIDFormats), ", "))
	}
	if e := s.IDP.Encryption; e != nil && e.Cipher != "" && !slices.Contains(idp.Ciphers(), e.Cipher) {
		at("setup.idp.encryption.cipher", "unknown cipher %q (known: %s)", e.Cipher, strings.Join(idp.Ciphers(), ", "))
	}
	for _, name := range sortedKeys(s.Users) {
		checkUser(at, "setup.users."+name, s.Users[name], n)
	}
	for _, name := range sortedKeys(s.Providers) {
		p := s.Providers[name]
		if p.Metadata != "" && p.Metadata != "current" {
			at("setup.providers."+name+".metadata", "is %q; a provider in setup takes the IdP's current metadata (use a save-metadata step for snapshots)", p.Metadata)
		}
	}
	for _, name := range sortedKeys(s.Roles) {
		r := s.Roles[name]
		if r.Trust != nil {
			checkVars(at, "setup.roles."+name+".trust", r.Trust.JSON, n)
		}
	}
	b := sts.DefaultBehavior()
	for _, name := range sortedKeys(s.Behavior) {
		if err := applyBehavior(&b, map[string]string{name: s.Behavior[name]}); err != nil {
			at("setup.behavior."+name, "%v", err)
		}
	}
}

func checkSigning(at func(string, string, ...any), p string, s SigningSetup) {
	if s.Target != "" && !slices.Contains(signingTargets, s.Target) {
		at(p+".target", "unknown target %q (known: %s)", s.Target, strings.Join(signingTargets, ", "))
	}
	if s.Algorithm != "" && signingAlgs[s.Algorithm] == "" {
		at(p+".algorithm", "unknown algorithm %q (known: %s)", s.Algorithm, strings.Join(sortedKeys(signingAlgs), ", "))
	}
	if s.Digest != "" && digestAlgs[s.Digest] == "" {
		at(p+".digest", "unknown digest %q (known: %s)", s.Digest, strings.Join(sortedKeys(digestAlgs), ", "))
	}
}

func checkUser(at func(string, string, ...any), p string, u UserSetup, n names) {
	for i, r := range u.Roles {
		rp := fmt.Sprintf("%s.roles[%d]", p, i)
		if r.Role != "" && !n.roles[r.Role] {
			at(rp, "unknown role %q (known: %s)", r.Role, known(n.roles))
		}
		if r.Provider != "" && !n.providers[r.Provider] {
			at(rp, "unknown provider %q (known: %s)", r.Provider, known(n.providers))
		}
	}
}

// checkVars reports unknown ${...} references in text.
func checkVars(at func(string, string, ...any), p, text string, n names) {
	for _, m := range varRE.FindAllStringSubmatch(text, -1) {
		switch m[1] {
		case "account":
			if m[2] != "" && !n.accounts[m[2]] {
				at(p, "${account:%s}: unknown account (setup.accounts has: %s)", m[2], known(n.accounts))
			}
		case "admin_key_id", "admin_secret_key":
			if !n.accounts[m[2]] {
				at(p, "${%s:%s}: unknown account (setup.accounts has: %s)", m[1], m[2], known(n.accounts))
			}
		case "partition":
		case "provider":
			if !n.providers[m[2]] {
				at(p, "${provider:%s}: unknown provider (known: %s)", m[2], known(n.providers))
			}
		case "role":
			if !n.roles[m[2]] {
				at(p, "${role:%s}: unknown role (known: %s)", m[2], known(n.roles))
			}
		case "oidc_provider", "oidc_host":
			if !n.oidc {
				at(p, "${%s} names the lab's OpenID Connect provider: add setup.oidc", m[1])
			}
		case "pool":
			if !n.pools[m[2]] {
				at(p, "${pool:%s}: unknown identity pool (known: %s)", m[2], known(n.pools))
			}
		default:
			at(p, "unknown variable ${%s} (known: ${account}, ${account:NAME}, ${partition}, ${provider:NAME}, ${role:NAME}, ${oidc_provider}, ${oidc_host}, ${pool:NAME})", m[1])
		}
	}
}

func (sc *Scenario) checkStep(d *decoder, at func(string, string, ...any), p string, st Step, n names, snapshots map[string]bool) {
	if st.User != "" && st.Action != ActionSetUser && st.Account == "" && !n.users[st.User] {
		at(p+".user", "unknown user %q (known: %s)", st.User, known(n.users))
	}
	for _, f := range []struct{ name, v string }{{"role", st.Role}, {"choose", st.Choose}} {
		if f.v != "" && st.Action != ActionCreateRole && !n.roles[f.v] && (st.Account == "" || st.Action == ActionAssumeRole) {
			hint := ""
			if strings.HasPrefix(f.v, "arn:") {
				hint = " (role takes a role name; use role_arn to send an ARN as it is)"
			}
			at(p+"."+f.name, "unknown role %q%s (known: %s)", f.v, hint, known(n.roles))
		}
	}
	if st.Provider != "" && st.Action != ActionCreateProvider && !n.providers[st.Provider] {
		at(p+".provider", "unknown provider %q (known: %s)", st.Provider, known(n.providers))
	}
	for _, f := range []struct{ name, v string }{{"role_arn", st.RoleARN}, {"principal_arn", st.PrincipalARN}} {
		v := strings.TrimSpace(f.v)
		if f.v != "" && !arnRE.MatchString(v) && !refRE.MatchString(v) {
			at(p+"."+f.name, "%q is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE) or ${provider:NAME} / ${role:NAME}", f.v)
		}
		checkVars(at, p+"."+f.name, f.v, n)
	}
	if st.Role != "" && st.RoleARN != "" {
		at(p, "give role or role_arn, not both")
	}
	if st.Provider != "" && st.PrincipalARN != "" {
		at(p, "give provider or principal_arn, not both")
	}
	if st.Fault != "" {
		if _, err := idp.ParseFault(st.Fault); err != nil {
			at(p+".fault", "%v", err)
		}
	}
	if st.Edit != "" && !slices.Contains(metadataEdits, st.Edit) {
		at(p+".edit", "unknown edit %q (known: %s)", st.Edit, strings.Join(metadataEdits, ", "))
	}
	if st.Metadata != "" && st.Metadata != "none" {
		at(p+".metadata", "is %q; the only value is none (no metadata document; omit it to send the current metadata)", st.Metadata)
	}
	if st.Metadata != "" && st.Snapshot != "" {
		at(p, "give snapshot or metadata: none, not both")
	}
	for i, e := range st.Empty {
		if !slices.Contains(emptyParams, e) {
			at(fmt.Sprintf("%s.empty[%d]", p, i), "unknown parameter %q (known: %s)", e, strings.Join(emptyParams, ", "))
		}
		if (e == "role_arn" && (st.Role != "" || st.RoleARN != "")) || (e == "principal_arn" && (st.Provider != "" || st.PrincipalARN != "")) {
			at(fmt.Sprintf("%s.empty[%d]", p, i), "%s is both given and sent empty", e)
		}
	}
	if st.Assertion != "" && !slices.Contains(assertionEdits, st.Assertion) {
		at(p+".assertion", "unknown assertion form %q (known: %s)", st.Assertion, strings.Join(assertionEdits, ", "))
	}
	switch st.Action {
	case ActionSaveMetadata:
		snapshots[st.Snapshot] = true
	case ActionCreateProvider, ActionUpdateProvider:
		if st.Snapshot != "" && !snapshots[st.Snapshot] {
			at(p+".snapshot", "no earlier save-metadata step saved %q", st.Snapshot)
		}
	case ActionAdvanceClock:
		if st.Duration <= 0 && !d.reported(p+".duration") {
			at(p+".duration", "advance-clock needs a positive duration such as \"10m\"")
		}
	case ActionSetSigning:
		if st.Signing != nil {
			checkSigning(at, p+".signing", *st.Signing)
		}
	case ActionSetUser:
		if st.With != nil {
			checkUser(at, p+".with", *st.With, n)
		}
	}
	if st.Trust != nil {
		checkVars(at, p+".trust", st.Trust.JSON, n)
	}
	if st.Policy != nil {
		checkVars(at, p+".policy", st.Policy.JSON, n)
	}
	e := st.Expect
	ep := p + ".expect"
	console := pageAction(st.Action)
	if console && e.Code != "" {
		what := "a console sign-in shows a page"
		if st.Action == ActionSignInURL {
			what = "the federation endpoint answers with a page"
		}
		at(ep, "%s, not an API error: expect page_error or page_error_contains", what)
	}
	if !console && (e.PageError != "" || e.PageErrorContains != "") {
		at(ep, "page_error applies only to console-sign-in and sign-in-url")
	}
	if e.successSet() && !sessionAction(st.Action) {
		at(ep, "session properties (assumed_role_arn, ...) apply only to login, console-sign-in, get-caller-identity, assume-role, sign-in-url, web-identity-login and cognito-login")
	}
	if (e.Subject != "" || e.Provider != "") && st.Action != ActionWebIdentityLogin && st.Action != ActionCognitoLogin {
		at(ep, "subject and provider apply only to web-identity-login and cognito-login")
	}
	if e.Provider != "" {
		checkVars(at, ep+".provider", e.Provider, n)
	}
	if e.AssumedRoleARN != "" {
		if !arnRE.MatchString(e.AssumedRoleARN) || !strings.Contains(e.AssumedRoleARN, ":assumed-role/") {
			at(ep+".assumed_role_arn", "%q is not an assumed-role ARN (arn:aws:sts::${account}:assumed-role/ROLE/SESSION)", e.AssumedRoleARN)
		}
		checkVars(at, ep+".assumed_role_arn", e.AssumedRoleARN, n)
	}
	if strings.HasPrefix(e.Code, "samlab") {
		at(ep+".code", "%q is samlab's own failure, which never satisfies an expectation", e.Code)
	}
}

// setFields returns, as key nodes, the fields of a step built in Go that are
// set (non-zero), so it is checked as a parsed step is.
func setFields(st Step) []*yaml.Node {
	var out []*yaml.Node
	v := reflect.ValueOf(st)
	t := v.Type()
	for i := range t.NumField() {
		name := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if name == "" || name == "-" || name == "expect" || !t.Field(i).IsExported() || v.Field(i).IsZero() {
			continue
		}
		out = append(out, &yaml.Node{Kind: yaml.ScalarNode, Value: name})
	}
	return out
}

// upgradeV1 reads a version 1 scenario as version 2: register-provider is
// create-provider, and a login's role was an ARN.
func upgradeV1(sc *Scenario) {
	for i := range sc.Steps {
		st := &sc.Steps[i]
		if st.Action == ActionRegisterProvider {
			st.Action = ActionCreateProvider
		}
		if st.Role != "" && strings.HasPrefix(st.Role, "arn:") {
			st.RoleARN, st.Role = st.Role, ""
			for _, k := range st.fields {
				if k.Value == "role" {
					k.Value = "role_arn"
				}
			}
		}
	}
}

// checkActions are the actions a lab's check step may play: a sign-in or an
// AssumeRole that either works or fails with AWS's error.
var checkActions = []string{ActionLogin, ActionConsoleSignIn, ActionWebIdentityLogin, ActionCognitoLogin, ActionAssumeRole}

// checkLab checks a lab block: a task and a solution, a broken state that
// ends before the check step, and a check step that plays a login or a
// console sign-in expecting success.
func (sc *Scenario) checkLab(at func(string, string, ...any), n names) {
	lab := sc.Lab
	if lab == nil {
		return
	}
	if strings.TrimSpace(lab.Task) == "" {
		at("lab.task", "is required (what the trainee is told, without the fix)")
	}
	if strings.TrimSpace(lab.Solution) == "" {
		at("lab.solution", "is required (the commands that fix the lab)")
	}
	labVars := strings.NewReplacer("${endpoint}", "", "${lab_dir}", "") // replaced when the lab is served
	checkVars(at, "lab.solution", labVars.Replace(lab.Solution), n)
	checkVars(at, "lab.task", labVars.Replace(lab.Task), n)
	if lab.Broken < 0 || lab.Broken > len(sc.Steps) {
		at("lab.broken", "is %d; the scenario has %d steps", lab.Broken, len(sc.Steps))
	}
	if len(sc.Steps) == 0 {
		return
	}
	last, refusals := 0, 0
	for i, num := range sc.CheckSteps() {
		p := fmt.Sprintf("lab.check[%d]", i)
		if num < 1 || num > len(sc.Steps) {
			at(p, "is %d; the scenario has steps 1 to %d", num, len(sc.Steps))
			continue
		}
		last = max(last, num)
		st := sc.Steps[num-1]
		if !slices.Contains(checkActions, st.Action) {
			at(p, "step %d is %s; a check step must be a %s", num, st.Action, strings.Join(checkActions, ", "))
		}
		if st.Expect.Code != "" || st.Expect.PageError != "" || st.Expect.PageErrorContains != "" {
			// An AssumeRole the fix must refuse (a confused deputy's call)
			// is a fixed outcome, beside a check step that succeeds.
			if st.Action != ActionAssumeRole {
				at(p, "step %d expects an error; a check step expects the fixed outcome", num)
			}
			refusals++
		}
	}
	if refusals > 0 && refusals == len(sc.CheckSteps()) {
		at("lab.check", "every check step expects a refusal; one must expect the fixed outcome's success")
	}
	if last > 0 && sc.BrokenSteps() >= last {
		at("lab.broken", "the broken state (%d steps) must end before the last check step (step %d)", sc.BrokenSteps(), last)
	}
}
