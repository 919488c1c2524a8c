package scenarios

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Version is the scenario file format version this package writes. Files of
// version 1 still load (see Migrate).
const Version = 2

// Scenario is one scripted story: a lab set up in a known state, then steps
// a person takes, each with the outcome AWS gives. See docs/scenarios.md and
// library/*.yaml.
type Scenario struct {
	// Version is 2 (1 still loads).
	Version int `yaml:"version" json:"version"`
	// Name identifies the scenario (`samlab scenario run NAME`).
	Name string `yaml:"name" json:"name"`
	// Title is a one-line summary.
	Title string `yaml:"title" json:"title"`
	// Description explains the failure for a trainee.
	Description string `yaml:"description" json:"description,omitempty"`
	// Hint points a trainee towards the cause without giving the fix away.
	Hint string `yaml:"hint" json:"hint,omitempty"`
	// Fix is the exact command or IdP setting that repairs the federation.
	Fix string `yaml:"fix" json:"fix,omitempty"`
	// Sources are public reports of the failure.
	Sources []string `yaml:"sources" json:"sources,omitempty"`
	// Difficulty for a trainee: 1 read the error and fix one setting, 2
	// compare two artefacts, 3 several components or a time effect.
	Difficulty int `yaml:"difficulty" json:"difficulty,omitempty"`
	// Labels select scenarios (ginkgo label filters, --label).
	Labels []string `yaml:"labels" json:"labels,omitempty"`
	// Setup is the lab's state before the first step.
	Setup Setup `yaml:"setup" json:"setup"`
	// Steps run in order.
	Steps []Step `yaml:"steps" json:"steps"`
	// Lab, when set, makes the scenario a hands-on lab (samlab lab): a
	// trainee gets the lab in its broken state and fixes it.
	Lab *LabSpec `yaml:"lab" json:"lab,omitempty"`

	// File is where the scenario was loaded from; Line is the line of its
	// name (1 when unknown).
	File string `yaml:"-" json:"file,omitempty"`
	Line int    `yaml:"-" json:"line,omitempty"`
}

// LabSpec makes a scenario a lab: which steps produce the broken state,
// which step's expectation says it is fixed, what the trainee is told, and
// the commands that fix it.
type LabSpec struct {
	// Task is what the trainee is told: the symptom, never the fix.
	Task string `yaml:"task" json:"task"`
	// Broken is how many steps, from the first, are played to reach the
	// broken state (default: the steps before the first step that expects
	// an error).
	Broken int `yaml:"broken" json:"broken,omitempty"`
	// Check lists the numbers (from 1) of the steps whose actions and
	// expectations together say the lab is fixed: logins or console
	// sign-ins (default: the last step).
	Check []int `yaml:"check" json:"check,omitempty"`
	// Solution is the exact fix, as commands; ${endpoint} is the lab's URL,
	// and ${account}, ${provider:NAME}, ${role:NAME} are expanded.
	Solution string `yaml:"solution" json:"solution"`
}

// BrokenSteps returns how many steps produce the lab's broken state.
func (sc *Scenario) BrokenSteps() int {
	if sc.Lab == nil {
		return 0
	}
	if sc.Lab.Broken > 0 {
		return sc.Lab.Broken
	}
	for i, st := range sc.Steps {
		if st.Expect.Code != "" || st.Expect.PageError != "" || st.Expect.PageErrorContains != "" {
			return i
		}
	}
	return 0
}

// CheckSteps returns the numbers (from 1) of the steps whose expectations
// say the lab is fixed.
func (sc *Scenario) CheckSteps() []int {
	if sc.Lab != nil && len(sc.Lab.Check) > 0 {
		return sc.Lab.Check
	}
	return []int{len(sc.Steps)}
}

// Setup is the state of the lab before the first step. Everything is
// optional: the default lab has the account 123456789012 (or
// LabConfig.AccountID), the roles SAMLAdmin and SAMLReadOnly trusting the
// provider "samlab", the users alice and bob, and no IAM provider yet.
type Setup struct {
	// Account is the AWS account ID (default LabConfig.AccountID).
	Account string `yaml:"account" json:"account,omitempty"`
	// IDP configures the identity provider.
	IDP IDPSetup `yaml:"idp" json:"idp"`
	// Users are added to (or replace) the lab's users, by name.
	Users map[string]UserSetup `yaml:"users" json:"users,omitempty"`
	// Providers are IAM SAML providers created before the first step, by
	// name, from the IdP's metadata at that time.
	Providers map[string]ProviderSetup `yaml:"providers" json:"providers,omitempty"`
	// Roles are created (or replace the default roles), by name.
	Roles map[string]RoleSetup `yaml:"roles" json:"roles,omitempty"`
	// Behavior switches the mock STS's choices by name (snake_case of
	// sts.Behavior's fields: clock_skew: 30s, single_use: true, ...).
	Behavior map[string]string `yaml:"behavior" json:"behavior,omitempty"`
	// OIDC is the lab's OpenID Connect provider, served on loopback; web
	// identity steps need it (see OIDCSetup).
	OIDC *OIDCSetup `yaml:"oidc" json:"oidc,omitempty"`
	// WebIdentity switches AssumeRoleWithWebIdentity's choices by name
	// (snake_case of sts.WebIdentityBehavior's fields: jwks_cache_ttl: 1h,
	// refetch_on_unknown_key: false, ...).
	WebIdentity map[string]string `yaml:"web_identity" json:"web_identity,omitempty"`
	// IdentityPools are Cognito identity pools created before the first
	// step, by name, with the lab's IAM OIDC provider as their login.
	IdentityPools map[string]IdentityPoolSetup `yaml:"identity_pools" json:"identity_pools,omitempty"`
	// Accounts are further accounts served on the lab's endpoint beside the
	// lab's own, by the name steps give as `account` (see AccountSetup).
	Accounts map[string]AccountSetup `yaml:"accounts" json:"accounts,omitempty"`
}

// IDPSetup configures the lab's identity provider.
type IDPSetup struct {
	// EntityID is the IdP's entityID (default https://idp.samlab.test/metadata).
	EntityID string `yaml:"entity_id" json:"entity_id,omitempty"`
	// Signing chooses what is signed and how.
	Signing SigningSetup `yaml:"signing" json:"signing"`
	// KeyBits is the RSA key size (default 2048).
	KeyBits int `yaml:"key_bits" json:"key_bits,omitempty"`
	// CertValidity is how long its certificates are valid (default 1 year).
	CertValidity time.Duration `yaml:"cert_validity" json:"cert_validity,omitempty"`
	// NameIDFormat is persistent (default), transient, email or unspecified.
	NameIDFormat string `yaml:"name_id_format" json:"name_id_format,omitempty"`
	// AssertionLifetime is how long an assertion is valid (default 5m).
	AssertionLifetime time.Duration `yaml:"assertion_lifetime" json:"assertion_lifetime,omitempty"`
	// SessionLifetime, when set, sends SessionNotOnOrAfter = now + it.
	SessionLifetime time.Duration `yaml:"session_lifetime" json:"session_lifetime,omitempty"`
	// Encryption, when set, encrypts assertions for a lab key.
	Encryption *EncryptionSetup `yaml:"encryption" json:"encryption,omitempty"`
}

// SigningSetup chooses what the IdP signs and with which algorithms.
type SigningSetup struct {
	// Target is assertion (default), response, both or none.
	Target string `yaml:"target" json:"target,omitempty"`
	// Algorithm is rsa-sha256 (default) or rsa-sha1.
	Algorithm string `yaml:"algorithm" json:"algorithm,omitempty"`
	// Digest is sha256 (default) or sha1.
	Digest string `yaml:"digest" json:"digest,omitempty"`
}

// EncryptionSetup encrypts assertions for the certificate of a lab key.
type EncryptionSetup struct {
	// Key names the lab key whose certificate encrypts (default "encryption").
	Key string `yaml:"key" json:"key,omitempty"`
	// Cipher is aes128-gcm (default), aes256-gcm, aes128-cbc or aes256-cbc.
	Cipher string `yaml:"cipher" json:"cipher,omitempty"`
}

// UserSetup is a user of the IdP and the attributes its assertions carry.
type UserSetup struct {
	// Email is the emailAddress NameID (default NAME@example.com).
	Email string `yaml:"email" json:"email,omitempty"`
	// Roles become Role attribute values. Omitted: the lab's default role;
	// an empty list sends no Role attribute.
	Roles []RoleRef `yaml:"roles" json:"roles,omitempty"`
	// RoleSessionName replaces the user name as RoleSessionName.
	RoleSessionName string `yaml:"role_session_name" json:"role_session_name,omitempty"`
	// SessionDuration is sent as the SessionDuration attribute (seconds).
	SessionDuration int `yaml:"session_duration" json:"session_duration,omitempty"`
	// PrincipalTags become PrincipalTag:KEY attributes.
	PrincipalTags map[string]string `yaml:"principal_tags" json:"principal_tags,omitempty"`
	// TransitiveTagKeys becomes the TransitiveTagKeys attribute.
	TransitiveTagKeys []string `yaml:"transitive_tag_keys" json:"transitive_tag_keys,omitempty"`
	// SourceIdentity becomes the SourceIdentity attribute.
	SourceIdentity string `yaml:"source_identity" json:"source_identity,omitempty"`
	// Attributes are sent as they are (free-form names and values).
	Attributes map[string][]string `yaml:"attributes" json:"attributes,omitempty"`
}

// RoleRef is one Role attribute value: a role name (paired with the lab's
// provider), a mapping {role, provider}, or the raw value sent as is
// ({value: "arn:...,arn:..."}) for deliberately malformed pairs.
type RoleRef struct {
	Role     string `yaml:"role" json:"role,omitempty"`
	Provider string `yaml:"provider" json:"provider,omitempty"`
	// ProviderFirst writes the pair provider-first, as some IdPs do.
	ProviderFirst bool   `yaml:"provider_first" json:"provider_first,omitempty"`
	Value         string `yaml:"value" json:"value,omitempty"`
}

func (r *RoleRef) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode {
		r.Role, _ = d.scalar(n, path, "a role name")
		return
	}
	d.decodeStruct(n, path, reflectValue(r))
	if r.Value != "" && (r.Role != "" || r.Provider != "" || r.ProviderFirst) {
		d.errorf(n, path, "value is sent as is: give value alone, or role and provider")
	}
	if r.Value == "" && r.Role == "" {
		d.errorf(n, path, "a role value needs role or value")
	}
}

// ProviderSetup is an IAM SAML provider created before the first step.
type ProviderSetup struct {
	// Metadata is "current" (default: the IdP's metadata at setup).
	Metadata string `yaml:"metadata" json:"metadata,omitempty"`
	// EncryptionMode is Allowed or Required (default unset).
	EncryptionMode string `yaml:"encryption_mode" json:"encryption_mode,omitempty"`
	// PrivateKey names a lab key whose private key is uploaded.
	PrivateKey string `yaml:"private_key" json:"private_key,omitempty"`
}

// RoleSetup is an IAM role.
type RoleSetup struct {
	// Trust is the trust policy, as YAML or as JSON text (default: trust the
	// provider "samlab" for sts:AssumeRoleWithSAML with SAML:aud).
	Trust *PolicyDoc `yaml:"trust" json:"trust,omitempty"`
	// MaxSessionDuration in seconds (default 3600).
	MaxSessionDuration int `yaml:"max_session_duration" json:"max_session_duration,omitempty"`
	// Path is the role's path (default /).
	Path string `yaml:"path" json:"path,omitempty"`
	// Tags are the role's tags.
	Tags map[string]string `yaml:"tags" json:"tags,omitempty"`
}

// PolicyDoc is a policy written as YAML or as JSON text. ${account},
// ${partition}, ${provider:NAME} and ${role:NAME} are replaced by the lab's
// values when it is used.
type PolicyDoc struct {
	JSON string
}

func (p *PolicyDoc) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode {
		var v any
		if err := json.Unmarshal([]byte(n.Value), &v); err != nil {
			d.errorf(n, path, "policy text is not JSON: %v", err)
			return
		}
		if _, ok := v.(map[string]any); !ok {
			d.errorf(n, path, "a policy is a JSON object")
			return
		}
		p.JSON = n.Value
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a policy as a mapping or as JSON text, got %s", describeKind(n))
		return
	}
	var v any
	if err := n.Decode(&v); err != nil {
		d.errorf(n, path, "policy cannot be read: %v", err)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		d.errorf(n, path, "policy cannot be written as JSON: %v", err)
		return
	}
	p.JSON = string(b)
}

// MarshalJSON writes the policy as its JSON text.
func (p PolicyDoc) MarshalJSON() ([]byte, error) { return json.Marshal(p.JSON) }

// Step is one action a person (or the IdP, or the clock) takes, and what
// it is expected to produce. Which fields apply depends on the action
// (see Actions).
type Step struct {
	Name   string `yaml:"name" json:"name,omitempty"`
	Action string `yaml:"action" json:"action"`

	// Who and what: login, console-sign-in, set-user, role and provider steps.
	User     string `yaml:"user" json:"user,omitempty"`
	Role     string `yaml:"role" json:"role,omitempty"`
	Provider string `yaml:"provider" json:"provider,omitempty"`
	// RoleARN and PrincipalARN are sent as they are (login only), for
	// deliberately wrong ARNs.
	RoleARN      string `yaml:"role_arn" json:"role_arn,omitempty"`
	PrincipalARN string `yaml:"principal_arn" json:"principal_arn,omitempty"`

	// Login options.
	Fault           string        `yaml:"fault" json:"fault,omitempty"`
	RedeemAfter     time.Duration `yaml:"redeem_after" json:"redeem_after,omitempty"`
	DurationSeconds *int          `yaml:"duration_seconds" json:"duration_seconds,omitempty"`
	Policy          *PolicyDoc    `yaml:"policy" json:"policy,omitempty"`
	PolicyARNs      []string      `yaml:"policy_arns" json:"policy_arns,omitempty"`
	Recipient       string        `yaml:"recipient" json:"recipient,omitempty"`
	Audience        string        `yaml:"audience" json:"audience,omitempty"`
	// Choose is the role name picked on the console's role chooser.
	Choose string `yaml:"choose" json:"choose,omitempty"`

	// Duration is how far advance-clock moves the clock.
	Duration time.Duration `yaml:"duration" json:"duration,omitempty"`

	// Snapshot names a saved copy of the IdP's metadata.
	Snapshot string `yaml:"snapshot" json:"snapshot,omitempty"`
	// Edit changes the copy save-metadata keeps: utf8-bom prepends a byte
	// order mark, as Windows editors do.
	Edit string `yaml:"edit" json:"edit,omitempty"`
	// Metadata is "none" for an update-provider call without a metadata
	// document (default: the IdP's current metadata or the snapshot).
	Metadata string `yaml:"metadata" json:"metadata,omitempty"`
	// Assertion changes what the client sends as SAMLAssertion (login):
	// url-encoded (copied from a browser form without decoding) or empty.
	Assertion string `yaml:"assertion" json:"assertion,omitempty"`
	// Empty lists request parameters the client sends empty (login):
	// role_arn, principal_arn.
	Empty []string `yaml:"empty" json:"empty,omitempty"`
	// Provider settings (create-provider, update-provider).
	EncryptionMode   string `yaml:"encryption_mode" json:"encryption_mode,omitempty"`
	AddPrivateKey    string `yaml:"add_private_key" json:"add_private_key,omitempty"`
	RemovePrivateKey string `yaml:"remove_private_key" json:"remove_private_key,omitempty"`

	// Role settings (create-role, update-role, update-trust).
	Trust              *PolicyDoc        `yaml:"trust" json:"trust,omitempty"`
	MaxSessionDuration int               `yaml:"max_session_duration" json:"max_session_duration,omitempty"`
	Path               string            `yaml:"path" json:"path,omitempty"`
	Tags               map[string]string `yaml:"tags" json:"tags,omitempty"`

	// IdP changes (set-entity-id, set-signing, set-user).
	EntityID string        `yaml:"entity_id" json:"entity_id,omitempty"`
	Signing  *SigningSetup `yaml:"signing" json:"signing,omitempty"`
	With     *UserSetup    `yaml:"with" json:"with,omitempty"`

	// Federation steps (assume-role, enable-mfa, save-credentials,
	// sign-in-url): who calls (admin, last or a saved name), under which name
	// the new credentials are kept, and AssumeRole's and getSigninToken's
	// parameters. serial_number names an MFA device (enable-mfa) or is its
	// ARN; token_code is current, wrong or six digits.
	Caller string `yaml:"caller" json:"caller,omitempty"`
	// Account names an account of setup.accounts the step acts in: its
	// admin or IAM user is the caller of assume-role, and its roles and
	// users are the ones IAM steps change (default: the lab's own account).
	Account string `yaml:"account" json:"account,omitempty"`
	// PolicyName is put-user-policy's inline policy name.
	PolicyName      string `yaml:"policy_name" json:"policy_name,omitempty"`
	SaveAs          string `yaml:"save_as" json:"save_as,omitempty"`
	SessionName     string `yaml:"session_name" json:"session_name,omitempty"`
	ExternalID      string `yaml:"external_id" json:"external_id,omitempty"`
	SerialNumber    string `yaml:"serial_number" json:"serial_number,omitempty"`
	TokenCode       string `yaml:"token_code" json:"token_code,omitempty"`
	SessionDuration int    `yaml:"session_duration" json:"session_duration,omitempty"`
	// Web identity: the IAM OIDC provider's client IDs (create-oidc-provider)
	// or one of them (add-client-id, remove-client-id).
	ClientIDs []string `yaml:"client_ids" json:"client_ids,omitempty"`
	ClientID  string   `yaml:"client_id" json:"client_id,omitempty"`
	// Thumbprints are IAM's thumbprints of the issuer's certificate
	// (create-oidc-provider, update-oidc-thumbprint).
	Thumbprints []string `yaml:"thumbprints" json:"thumbprints,omitempty"`
	// TokenFault injects a defect into the ID token (idp/oidc's faults).
	TokenFault string `yaml:"token_fault" json:"token_fault,omitempty"`
	// SaveToken keeps the step's ID token under a name; Token sends a kept
	// token again instead of a fresh one (web-identity-login).
	SaveToken string `yaml:"save_token" json:"save_token,omitempty"`
	Token     string `yaml:"token" json:"token,omitempty"`
	// TokenFile is a file in the lab's directory that holds the app's ID
	// token: write-token-file writes it, web-identity-login reads it.
	TokenFile string `yaml:"token_file" json:"token_file,omitempty"`
	// Pool names an identity pool of setup.identity_pools.
	Pool string `yaml:"pool" json:"pool,omitempty"`
	// AllowUnauthenticated is update-identity-pool's
	// --[no-]allow-unauthenticated-identities.
	AllowUnauthenticated *bool `yaml:"allow_unauthenticated" json:"allow_unauthenticated,omitempty"`
	// AuthenticatedRole and UnauthenticatedRole are set-identity-pool-roles'.
	AuthenticatedRole   string `yaml:"authenticated_role" json:"authenticated_role,omitempty"`
	UnauthenticatedRole string `yaml:"unauthenticated_role" json:"unauthenticated_role,omitempty"`
	// RoleMapping is set-identity-pool-roles' role mapping for the lab's
	// provider (none: the pool has no role mapping afterwards).
	RoleMapping *RoleMappingSetup `yaml:"role_mapping" json:"role_mapping,omitempty"`
	// CustomRole is cognito-login's CustomRoleArn, a role of setup.roles.
	CustomRole string `yaml:"custom_role" json:"custom_role,omitempty"`

	// Expect is the outcome; default success.
	Expect Expect `yaml:"expect" json:"expect"`

	// Line is the step's line in its file.
	Line int `yaml:"-" json:"line,omitempty"`
	// fields are the keys the file gave (for the per-action check).
	fields []*yaml.Node
}

// Expect is a step's expected outcome: success (optionally with properties
// of the issued session), an AWS error, or a console page's error text.
type Expect struct {
	// Error is true when an AWS error or a console error page is expected.
	Error bool `json:"error"`
	// Code, Status, Message (exact) and MessageContains describe the error.
	Code            string `yaml:"code" json:"code,omitempty"`
	Status          int    `yaml:"status" json:"status,omitempty"`
	Message         string `yaml:"message" json:"message,omitempty"`
	MessageContains string `yaml:"message_contains" json:"message_contains,omitempty"`
	// PageError and PageErrorContains match a console error page's text.
	PageError         string `yaml:"page_error" json:"page_error,omitempty"`
	PageErrorContains string `yaml:"page_error_contains" json:"page_error_contains,omitempty"`

	// Success properties (login, console-sign-in, get-caller-identity).
	AssumedRoleARN  string            `yaml:"assumed_role_arn" json:"assumed_role_arn,omitempty"`
	SourceIdentity  string            `yaml:"source_identity" json:"source_identity,omitempty"`
	SessionTags     map[string]string `yaml:"session_tags" json:"session_tags,omitempty"`
	DurationSeconds int               `yaml:"duration_seconds" json:"duration_seconds,omitempty"`
	SubjectType     string            `yaml:"subject_type" json:"subject_type,omitempty"`
	Audience        string            `yaml:"audience" json:"audience,omitempty"`
	// Subject and Provider are AssumeRoleWithWebIdentity's
	// SubjectFromWebIdentityToken and Provider (web-identity-login,
	// cognito-login); Provider may be ${oidc_provider}.
	Subject  string `yaml:"subject" json:"subject,omitempty"`
	Provider string `yaml:"provider" json:"provider,omitempty"`
}

type expectFields struct {
	Code              string            `yaml:"code"`
	Status            int               `yaml:"status"`
	Message           string            `yaml:"message"`
	MessageContains   string            `yaml:"message_contains"`
	PageError         string            `yaml:"page_error"`
	PageErrorContains string            `yaml:"page_error_contains"`
	AssumedRoleARN    string            `yaml:"assumed_role_arn"`
	SourceIdentity    string            `yaml:"source_identity"`
	SessionTags       map[string]string `yaml:"session_tags"`
	DurationSeconds   int               `yaml:"duration_seconds"`
	SubjectType       string            `yaml:"subject_type"`
	Audience          string            `yaml:"audience"`
	Subject           string            `yaml:"subject"`
	Provider          string            `yaml:"provider"`
}

func (e *Expect) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode {
		if n.Value != "success" {
			d.errorf(n, path, "want `success` or a mapping (code, status, message, ... or assumed_role_arn, ...), got %q", n.Value)
		}
		return
	}
	var f expectFields
	d.decodeStruct(n, path, reflectValue(&f))
	*e = Expect{Code: f.Code, Status: f.Status, Message: f.Message, MessageContains: f.MessageContains,
		PageError: f.PageError, PageErrorContains: f.PageErrorContains, AssumedRoleARN: f.AssumedRoleARN,
		SourceIdentity: f.SourceIdentity, SessionTags: f.SessionTags, DurationSeconds: f.DurationSeconds,
		SubjectType: f.SubjectType, Audience: f.Audience, Subject: f.Subject, Provider: f.Provider}
	e.Error = e.Code != "" || e.PageError != "" || e.PageErrorContains != ""
	if !e.Error && (e.Status != 0 || e.Message != "" || e.MessageContains != "") {
		d.errorf(n, path, "an error expectation needs a code (or page_error for the console)")
	}
	if e.Message != "" && e.MessageContains != "" {
		d.errorf(n, path, "give message or message_contains, not both")
	}
	if e.Error && e.successSet() {
		d.errorf(n, path, "an error expectation cannot also expect properties of a successful session")
	}
}

func (e Expect) successSet() bool {
	return e.AssumedRoleARN != "" || e.SourceIdentity != "" || e.SessionTags != nil || e.DurationSeconds != 0 ||
		e.SubjectType != "" || e.Audience != "" || e.Subject != "" || e.Provider != ""
}

// String renders the expectation for people.
func (e Expect) String() string {
	if !e.Error {
		s := "success"
		if e.AssumedRoleARN != "" {
			s += " as " + e.AssumedRoleARN
		}
		return s
	}
	if e.PageError != "" || e.PageErrorContains != "" {
		if e.PageError != "" {
			return "console error page: " + e.PageError
		}
		return "console error page: …" + e.PageErrorContains + "…"
	}
	s := e.Code
	if e.Status != 0 {
		s += fmt.Sprintf(" (%d)", e.Status)
	}
	if e.Message != "" {
		s += ": " + e.Message
	} else if e.MessageContains != "" {
		s += ": …" + e.MessageContains + "…"
	}
	return s
}

// MaxFileSize bounds a scenario file.
const MaxFileSize = 1 << 20

// Parse decodes and checks one scenario file (version 1 or 2). Unknown
// fields, wrong types, unknown actions and dangling references (users,
// roles, providers, snapshots, faults, Behavior names, ARNs) are all
// reported at once, as a *FileError whose problems read
// file:line:col: field path: message.
func Parse(name string, data []byte) (*Scenario, error) {
	fail := func(line int, format string, args ...any) error {
		return &FileError{Problems: []Problem{{File: name, Line: line, Column: 1, Message: fmt.Sprintf(format, args...)}}}
	}
	if len(data) > MaxFileSize {
		return nil, fail(0, "file is %d bytes, limit %d", len(data), MaxFileSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fail(0, "empty scenario file")
		}
		return nil, fail(yamlErrorLine(err), "not YAML: %s", yamlErrorText(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fail(extra.Line, "more than one YAML document")
	}
	if len(root.Content) == 0 {
		return nil, fail(0, "empty scenario file")
	}
	d := newDecoder(name)
	var sc Scenario
	doc := root.Content[0]
	d.decode(doc, "", reflectValue(&sc))
	sc.File, sc.Line = name, 1
	if n := d.pos["name"]; n != nil {
		sc.Line = n.Line
	}
	if steps := d.pos["steps"]; steps != nil && steps.Kind == yaml.SequenceNode {
		for i, n := range steps.Content {
			if i < len(sc.Steps) {
				sc.Steps[i].Line = n.Line
				sc.Steps[i].fields = keys(n)
			}
		}
	}
	if sc.Version == 1 {
		upgradeV1(&sc)
	}
	sc.check(d)
	if len(d.probs) > 0 {
		sort.SliceStable(d.probs, func(i, j int) bool {
			a, b := d.probs[i], d.probs[j]
			return a.Line < b.Line || (a.Line == b.Line && a.Column < b.Column)
		})
		return nil, &FileError{Problems: d.probs}
	}
	return &sc, nil
}

func yamlErrorText(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "yaml: ")
	if i := strings.Index(s, ": "); strings.HasPrefix(s, "line ") && i > 0 {
		s = s[i+2:]
	}
	return s
}

func yamlErrorLine(err error) int {
	var line int
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	if _, e := fmt.Sscanf(s, "line %d:", &line); e == nil {
		return line
	}
	return 0
}

// Validate checks a scenario built in Go (rather than parsed): the same
// reference checks as Parse, reported with field paths.
func (sc *Scenario) Validate() error {
	d := newDecoder(sc.File)
	sc.check(d)
	if len(d.probs) > 0 {
		return &FileError{Problems: d.probs}
	}
	return nil
}

//go:embed library/*.yaml
var library embed.FS

// Library returns the built-in scenarios, sorted by name.
func Library() ([]*Scenario, error) {
	return LoadFS(library, "library")
}

// LibraryFS returns the built-in scenario files (library/*.yaml).
func LibraryFS() fs.FS { return library }

// LibraryPath returns the path on disk of a library file such as
// "library/cert-rotation.yaml" when this package's source is on disk (as
// under go test), so test reports can point at it; otherwise file itself.
func LibraryPath(file string) string {
	_, src, _, ok := runtime.Caller(0)
	if !ok {
		return file
	}
	p := filepath.Join(filepath.Dir(src), filepath.FromSlash(file))
	if _, err := os.Stat(p); err != nil {
		return file
	}
	return p
}

// LoadFS loads every *.yaml file in dir of fsys. Problems of every file are
// returned together.
func LoadFS(fsys fs.FS, dir string) ([]*Scenario, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []*Scenario
	var errs []error
	for _, e := range entries {
		if e.IsDir() || !isScenarioFile(e.Name()) {
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sc, err := Parse(path.Join(dir, e.Name()), data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, sc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, joinFileErrors(errs)
}

func isScenarioFile(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// joinFileErrors merges *FileErrors into one, so every problem prints in
// the same format; other errors are joined after them.
func joinFileErrors(errs []error) error {
	var fe FileError
	var other []error
	for _, err := range errs {
		var e *FileError
		if errors.As(err, &e) {
			fe.Problems = append(fe.Problems, e.Problems...)
		} else {
			other = append(other, err)
		}
	}
	if len(fe.Problems) > 0 {
		other = append([]error{&fe}, other...)
	}
	return errors.Join(other...)
}

// Load resolves each argument to scenarios: a file, a directory (its *.yaml
// files), or the name of a built-in scenario. Duplicate names are an error.
// Problems of every file are reported together.
func Load(args ...string) ([]*Scenario, error) {
	var out []*Scenario
	var errs []error
	var lib []*Scenario
	for _, a := range args {
		st, err := os.Stat(a)
		switch {
		case err == nil && st.IsDir():
			scs, err := LoadFS(os.DirFS(a), ".")
			for _, sc := range scs {
				sc.File = filepath.Join(a, sc.File)
			}
			if err != nil {
				errs = append(errs, prefixFiles(err, a))
			}
			out = append(out, scs...)
		case err == nil:
			data, err := os.ReadFile(a)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			sc, err := Parse(a, data)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, sc)
		default:
			if lib == nil {
				if lib, err = Library(); err != nil {
					return nil, err
				}
			}
			sc, ferr := findIn(lib, a)
			if ferr != nil {
				errs = append(errs, fmt.Errorf("%s is neither a file, a directory nor a built-in scenario: %w", a, ferr))
				continue
			}
			out = append(out, sc)
		}
	}
	seen := map[string]string{}
	for _, sc := range out {
		if f, ok := seen[sc.Name]; ok {
			errs = append(errs, fmt.Errorf("scenario name %q is used by both %s and %s", sc.Name, f, sc.File))
		}
		seen[sc.Name] = sc.File
	}
	return out, joinFileErrors(errs)
}

func prefixFiles(err error, dir string) error {
	var fe *FileError
	if errors.As(err, &fe) {
		for i := range fe.Problems {
			fe.Problems[i].File = filepath.Join(dir, fe.Problems[i].File)
		}
	}
	return err
}

// Find returns the built-in scenario called name.
func Find(name string) (*Scenario, error) {
	all, err := Library()
	if err != nil {
		return nil, err
	}
	return findIn(all, name)
}

func findIn(all []*Scenario, name string) (*Scenario, error) {
	var near []string
	for _, sc := range all {
		if sc.Name == name {
			return sc, nil
		}
		if strings.Contains(sc.Name, name) || strings.Contains(name, sc.Name) || editDistance(sc.Name, name) <= 3 {
			near = append(near, sc.Name)
		}
	}
	if len(near) > 0 {
		return nil, fmt.Errorf("no built-in scenario %q; did you mean %s? (samlab scenario list shows all %d)", name, strings.Join(near, ", "), len(all))
	}
	return nil, fmt.Errorf("no built-in scenario %q (samlab scenario list shows all %d)", name, len(all))
}

// editDistance is the Levenshtein distance of a and b, for suggestions.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
