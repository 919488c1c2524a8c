package scenarios

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/idp"
)

// IDPAdminPath is where a served lab (samlab up, a lab of samlab lab start)
// takes changes to its IdP: GET for the IdP's keys, users and fault; POST
// an IDPChange as JSON to change them. Both need the lab's admin token.
const IDPAdminPath = "/_samlab/idp"

// IdP changes (IDPChange.Op).
const (
	IDPOpRotate   = "rotate"    // switch keys; with Rollover, stage the next key instead
	IDPOpSetUser  = "set-user"  // replace a user's attributes (as the set-user step does)
	IDPOpSetFault = "set-fault" // inject a fault into every response issued over HTTP ("" turns it off)
)

// IDPChange is a change to a running lab's IdP, as an IdP administrator
// would make it in the IdP's console.
type IDPChange struct {
	Op string `json:"op"`
	// Rollover (rotate) stages a next key beside the current one instead
	// of switching.
	Rollover bool `json:"rollover,omitempty"`
	// OIDC (rotate) changes the OpenID Connect provider's signing keys (its
	// JWKS) instead of the SAML IdP's.
	OIDC bool `json:"oidc,omitempty"`
	// Revert (rotate, with OIDC) signs with the previous key again and keeps
	// the current one published as the next key.
	Revert bool `json:"revert,omitempty"`
	// KeyID (rotate, with Revert) names the retired key to sign with again
	// (default: the most recently retired).
	KeyID string `json:"kid,omitempty"`
	// User and With (set-user) name the user and their new definition.
	User string     `json:"user,omitempty"`
	With *UserSetup `json:"with,omitempty"`
	// Fault (set-fault) is a fault name (samlab idp faults), "" for none.
	Fault string `json:"fault,omitempty"`
}

// IDPKey is one of the IdP's keys as the admin endpoint shows it.
type IDPKey struct {
	Slot            string    `json:"slot"` // current, next, previous-N
	Published       bool      `json:"published"`
	FingerprintSHA1 string    `json:"fingerprint_sha1"`
	NotAfter        time.Time `json:"not_after"`
}

// IDPUser is an IdP user as the admin endpoint shows it: the attribute
// values their responses carry.
type IDPUser struct {
	Name            string            `json:"name"`
	Roles           []string          `json:"roles"` // Role attribute values, as sent
	RoleSessionName string            `json:"role_session_name"`
	SessionDuration int               `json:"session_duration,omitempty"`
	SourceIdentity  string            `json:"source_identity,omitempty"`
	PrincipalTags   map[string]string `json:"principal_tags,omitempty"`
}

// IDPState is the IdP of a running lab: what GET IDPAdminPath answers and
// what a change returns, with Change saying what it did.
type IDPState struct {
	Change   string   `json:"change,omitempty"`
	EntityID string   `json:"entity_id"`
	Keys     []IDPKey `json:"keys"`
	// OIDCKeys are the OpenID Connect provider's signing keys, for a lab
	// that has one.
	OIDCKeys []IDPOIDCKey `json:"oidc_keys,omitempty"`
	Users    []IDPUser    `json:"users"`
	Fault    string       `json:"fault,omitempty"`
}

// userNameRE is what set-user accepts as a user name: it becomes the
// NameID and the default RoleSessionName.
var userNameRE = regexp.MustCompile(`^[A-Za-z0-9_+=,.@-]{1,64}$`)

// Validate reports what is wrong with the change, naming the field.
func (c IDPChange) Validate() error {
	switch c.Op {
	case IDPOpRotate:
		if c.User != "" || c.With != nil || c.Fault != "" {
			return errors.New("rotate takes only rollover, oidc, revert and kid")
		}
		if err := c.validateOIDCRotate(); err != nil {
			return err
		}
	case IDPOpSetUser:
		if !userNameRE.MatchString(c.User) {
			return fmt.Errorf("user %q: a user name is 1 to 64 of A-Z a-z 0-9 _+=,.@-", c.User)
		}
		if c.With == nil {
			return errors.New("set-user needs the user's definition (with)")
		}
		for i, r := range c.With.Roles {
			switch {
			case r.Value != "" && (r.Role != "" || r.Provider != "" || r.ProviderFirst):
				return fmt.Errorf("with.roles[%d]: value is sent as is: give value alone, or role and provider", i)
			case r.Value == "" && r.Role == "":
				return fmt.Errorf("with.roles[%d]: give a role name (or a raw value)", i)
			case strings.HasPrefix(r.Role, "arn:") || strings.HasPrefix(r.Provider, "arn:"):
				return fmt.Errorf("with.roles[%d]: role and provider are names (%q); a raw \"role-arn,provider-arn\" pair goes in value", i, r.Role)
			}
		}
	case IDPOpSetFault:
		if _, err := idp.ParseFault(c.Fault); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown op %q (ops: %s, %s, %s)", c.Op, IDPOpRotate, IDPOpSetUser, IDPOpSetFault)
	}
	return nil
}

// ApplyIDPChange makes the change to the lab's IdP and says what it did.
func (l *Lab) ApplyIDPChange(c IDPChange) (string, error) {
	if err := c.Validate(); err != nil {
		return "", err
	}
	switch c.Op {
	case IDPOpRotate:
		if c.OIDC {
			return l.rotateOIDC(c)
		}
		change, err := l.IDP.ChangeKeys(c.Rollover)
		if err != nil {
			return "", err
		}
		return change.String(), nil
	case IDPOpSetUser:
		l.state.mu.Lock()
		_, known := l.Users[c.User]
		l.state.mu.Unlock()
		if err := l.SetUser(c.User, *c.With); err != nil {
			return "", err
		}
		if known {
			return "replaced user " + c.User, nil
		}
		return "added user " + c.User, nil
	default: // IDPOpSetFault
		if err := l.IDP.SetFault(idp.Fault(c.Fault)); err != nil {
			return "", err
		}
		if c.Fault == "" {
			return "the IdP injects no fault", nil
		}
		return "the IdP injects " + c.Fault + " into every response it issues over HTTP", nil
	}
}

// IDPState returns the lab's IdP as the admin endpoint shows it.
func (l *Lab) IDPState() IDPState {
	ring := l.IDP.Keyring()
	st := IDPState{EntityID: l.IDP.EntityID(), Fault: string(l.IDP.Fault()), Users: []IDPUser{}}
	key := func(slot string, published bool, kp *certs.KeyPair) {
		st.Keys = append(st.Keys, IDPKey{Slot: slot, Published: published, FingerprintSHA1: certs.FingerprintSHA1(kp.Cert),
			NotAfter: kp.Cert.NotAfter.UTC()})
	}
	key("current", true, ring.Current)
	if ring.Next != nil {
		key("next", true, ring.Next)
	}
	for i, kp := range ring.Previous {
		key(fmt.Sprintf("previous-%d", i+1), false, kp)
	}
	st.OIDCKeys = l.oidcKeys()
	l.state.mu.Lock()
	defer l.state.mu.Unlock()
	for name, u := range l.Users {
		iu := IDPUser{Name: name, RoleSessionName: u.RoleSessionName, SessionDuration: u.SessionDuration,
			SourceIdentity: u.SourceIdentity, PrincipalTags: u.PrincipalTags, Roles: []string{}}
		if iu.RoleSessionName == "" {
			iu.RoleSessionName = name
		}
		if raw, ok := l.state.rawRoles[name]; ok {
			iu.Roles = append(iu.Roles, raw...)
		} else {
			for _, r := range u.Roles {
				iu.Roles = append(iu.Roles, r.Value())
			}
		}
		st.Users = append(st.Users, iu)
	}
	sort.Slice(st.Users, func(i, j int) bool { return st.Users[i].Name < st.Users[j].Name })
	return st
}

// Token is the admin key's token for the lab's own endpoints (IDPAdminPath,
// a lab's status and check): an HMAC of the key ID under the secret, so
// the secret itself never travels. Send it as "Authorization: Bearer TOKEN".
func (k AdminKey) Token() string {
	m := hmac.New(sha256.New, []byte(k.SecretAccessKey))
	m.Write([]byte("samlab lab admin token\n" + k.AccessKeyID))
	return hex.EncodeToString(m.Sum(nil))
}

// ErrNoToken and ErrBadToken are what BearerAuth refuses a request with.
var (
	ErrNoToken  = errors.New("this endpoint needs the lab's admin token (samlab derives it from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the lab's admin key)")
	ErrBadToken = errors.New("the token is not this lab's: use the admin key the lab printed (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
)

// BearerAuth returns an authorizer that accepts "Authorization: Bearer T"
// for any of the non-empty tokens.
func BearerAuth(tokens ...string) func(*http.Request) error {
	return func(r *http.Request) error {
		h := r.Header.Get("Authorization")
		got, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || got == "" {
			return ErrNoToken
		}
		match := 0
		for _, t := range tokens {
			if t != "" {
				match |= subtle.ConstantTimeCompare([]byte(got), []byte(t))
			}
		}
		if match != 1 {
			return ErrBadToken
		}
		return nil
	}
}

// IDPAdminConfig configures the IdP admin endpoint.
type IDPAdminConfig struct {
	// Lab returns the lab whose IdP is changed. Required.
	Lab func() *Lab
	// Authorize says whether a request may read or change the IdP (nil
	// error: yes). Required.
	Authorize func(*http.Request) error
	// Apply makes a change (default: Lab().ApplyIDPChange); a lab that keeps
	// its changes across restarts records them here.
	Apply func(IDPChange) (string, error)
}

// maxIDPChangeBytes bounds a change's JSON body.
const maxIDPChangeBytes = 64 << 10

// WithIDPAdmin serves the IdP admin endpoint at IDPAdminPath and passes
// every other request to next.
func WithIDPAdmin(next http.Handler, cfg IDPAdminConfig) http.Handler {
	if cfg.Apply == nil {
		cfg.Apply = func(c IDPChange) (string, error) { return cfg.Lab().ApplyIDPChange(c) }
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != IDPAdminPath {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if err := cfg.Authorize(r); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="samlab lab"`)
			writeAdminJSON(w, http.StatusUnauthorized, map[string]string{"error": err.Error()})
			return
		}
		switch r.Method {
		case http.MethodGet:
			writeAdminJSON(w, http.StatusOK, cfg.Lab().IDPState())
		case http.MethodPost:
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxIDPChangeBytes))
			if err != nil {
				writeAdminJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "the change is over 64 KiB"})
				return
			}
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			var c IDPChange
			if err := dec.Decode(&c); err != nil {
				writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": "the change is not an IdP change in JSON: " + err.Error()})
				return
			}
			if err := c.Validate(); err != nil {
				writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return
			}
			msg, err := cfg.Apply(c)
			if errors.Is(err, ErrNoOIDC) || errors.Is(err, errOIDCRevert) {
				writeAdminJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
				return
			}
			if err != nil {
				writeAdminJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
				return
			}
			st := cfg.Lab().IDPState()
			st.Change = msg
			writeAdminJSON(w, http.StatusOK, st)
		default:
			w.Header().Set("Allow", "GET, POST")
			writeAdminJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": r.Method + " " + IDPAdminPath +
				": GET shows the IdP, POST changes it"})
		}
	})
}

func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// EnsureProvider registers the lab's SAML provider when it does not exist
// yet. When a stored provider's metadata is not the IdP's current metadata
// (a served lab's IdP may have a new key at every start), it returns a
// warning saying how to fix it: the lab then starts in the state of a real
// certificate rotation.
func (l *Lab) EnsureProvider() (warning string, err error) {
	p, err := l.Account.SAMLProvider(l.ProviderARN)
	if err != nil {
		return "", l.RegisterProvider()
	}
	md, err := l.IDP.Metadata()
	if err != nil {
		return "", err
	}
	if bytes.Equal(md, p.MetadataDocument) {
		return "", nil
	}
	return "the registered SAML provider holds metadata from an earlier run; the IdP has a new signing key, so\n" +
		"logins fail with \"InvalidIdentityToken: Response signature invalid\" until you update the provider with\n" +
		"the IdP's metadata (GET /idp/metadata) using aws iam update-saml-provider.", nil
}
