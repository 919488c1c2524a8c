package idp

import (
	"bytes"
	"crypto/subtle"
	_ "embed" // the demo users file
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/samlab-dev/samlab/awssaml"
)

// UsersFileVersion is the only users-file version this package reads.
const UsersFileVersion = 1

// AWS limits on attribute values (IAM UG "Configure SAML assertions for the
// authentication response" and "Passing session tags in AWS STS").
const (
	minSessionDuration = 900
	maxSessionDuration = 43200
	maxSessionTags     = 50
	maxTagKeyLen       = 128
	maxTagValueLen     = 256
)

// ErrBadCredentials is returned by Directory.Authenticate for an unknown user,
// a user without a password or a wrong password; callers cannot tell which.
var ErrBadCredentials = errors.New("invalid username or password")

//go:embed demo-users.yaml
var demoUsersYAML []byte

var (
	yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
)

// UsersFileError is one problem in a users file, at a line. Load returns
// every problem it finds, joined with errors.Join.
type UsersFileError struct {
	File string // the name given to LoadUsers
	Line int    // 1-based; 0 when unknown
	Msg  string
}

func (e *UsersFileError) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
}

// usersFile is the users-file schema; see docs/users.md.
type usersFile struct {
	Version int                   `yaml:"version"`
	Users   map[string]userEntry  `yaml:"users"`
	Groups  map[string]groupEntry `yaml:"groups"`
}

type mappingEntry struct {
	Roles             []Role            `yaml:"roles"`
	SessionDuration   int               `yaml:"session_duration"`
	PrincipalTags     map[string]string `yaml:"principal_tags"`
	TransitiveTagKeys []string          `yaml:"transitive_tag_keys"`
}

type userEntry struct {
	PasswordHash    string              `yaml:"password_hash"`
	Email           string              `yaml:"email"`
	Groups          []string            `yaml:"groups"`
	Attributes      map[string][]string `yaml:"attributes"`
	SourceIdentity  string              `yaml:"source_identity"`
	RoleSessionName string              `yaml:"role_session_name"`
	mappingEntry    `yaml:",inline"`
}

type groupEntry struct {
	mappingEntry `yaml:",inline"`
}

// account is a user as the directory stores it: the resolved identity plus
// the password hash, which never leaves the directory.
type account struct {
	user User
	hash string
}

// Directory is a set of users with their AWS role mappings, loaded from a
// users file. It is immutable and safe for concurrent use.
type Directory struct {
	accounts map[string]account
}

// LoadUsers parses a users file. name is used only in error messages, which
// read "name:line: what is wrong". Decoding is strict: unknown fields,
// duplicate keys and wrong types are errors, and so is every value AWS would
// reject (role ARNs, RoleSessionName, SessionDuration, tags, SourceIdentity).
// All problems are returned at once, each a *UsersFileError.
func LoadUsers(name string, data []byte) (*Directory, error) {
	var f usersFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, yamlErrors(name, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlErrors(name, err)
	}
	v := &usersValidator{file: name, root: &root}
	d := v.resolve(&f)
	if len(v.errs) > 0 {
		sort.SliceStable(v.errs, func(i, j int) bool { return v.errs[i].(*UsersFileError).Line < v.errs[j].(*UsersFileError).Line })
		return nil, errors.Join(v.errs...)
	}
	return d, nil
}

// DemoUsers returns the built-in demo directory (users alice and bob, password
// "samlab", mapped to roles of account 123456789012 through the provider
// arn:aws:iam::123456789012:saml-provider/samlab).
func DemoUsers() *Directory {
	d, err := LoadUsers("demo-users.yaml", demoUsersYAML)
	if err != nil {
		panic("idp: built-in demo users: " + err.Error()) // a build defect, caught by tests
	}
	return d
}

// DemoUsersYAML returns the text of the built-in demo users file.
func DemoUsersYAML() []byte { return slices.Clone(demoUsersYAML) }

func yamlErrors(name string, err error) error {
	var te *yaml.TypeError
	var msgs []string
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var errs []error
	for _, m := range msgs {
		fe := &UsersFileError{File: name, Msg: strings.TrimPrefix(m, "yaml: ")}
		if sm := yamlLineRE.FindStringSubmatch(m); sm != nil {
			fe.Line, _ = strconv.Atoi(sm[1])
			fe.Msg = sm[2]
		}
		errs = append(errs, fe)
	}
	return errors.Join(errs...)
}

type usersValidator struct {
	file string
	root *yaml.Node
	errs []error
}

// line finds the line of the value at path (mapping keys and sequence
// indexes as strings) in the document, or of the deepest node found.
func (v *usersValidator) line(path ...string) int {
	n := v.root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					line = n.Content[i].Line
					next = n.Content[i+1]
					break
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(p); err == nil && i < len(n.Content) {
				next = n.Content[i]
			}
		}
		if next == nil {
			return line
		}
		n = next
		if n.Kind != yaml.MappingNode {
			line = n.Line
		}
	}
	return line
}

func (v *usersValidator) errorf(path []string, format string, args ...any) {
	v.errs = append(v.errs, &UsersFileError{File: v.file, Line: v.line(path...), Msg: fmt.Sprintf(format, args...)})
}

func at(base []string, more ...string) []string { return append(slices.Clone(base), more...) }

func (v *usersValidator) resolve(f *usersFile) *Directory {
	if f.Version != UsersFileVersion {
		v.errorf([]string{"version"}, "version is %d, want %d", f.Version, UsersFileVersion)
	}
	for _, g := range sortedNames(f.Groups) {
		v.checkMapping([]string{"groups", g}, f.Groups[g].mappingEntry)
	}
	d := &Directory{accounts: map[string]account{}}
	for _, name := range sortedNames(f.Users) {
		e := f.Users[name]
		p := []string{"users", name}
		if !awssaml.ValidSessionName(name) && e.RoleSessionName == "" {
			v.errorf(p, "user name %q is not a valid RoleSessionName ([a-zA-Z_0-9+=,.@-]{2,64}); set role_session_name", name)
		}
		if e.RoleSessionName != "" && !awssaml.ValidSessionName(e.RoleSessionName) {
			v.errorf(at(p, "role_session_name"), "role_session_name %q must match [a-zA-Z_0-9+=,.@-]{2,64}", e.RoleSessionName)
		}
		if e.PasswordHash != "" {
			if err := checkHash(e.PasswordHash); err != nil {
				v.errorf(at(p, "password_hash"), "password_hash: %v", err)
			}
		}
		if e.Email != "" && (!strings.Contains(e.Email, "@") || strings.ContainsAny(e.Email, " \t<>")) {
			v.errorf(at(p, "email"), "email %q is not an email address", e.Email)
		}
		if e.SourceIdentity != "" && !awssaml.ValidSourceIdentity(e.SourceIdentity) {
			v.errorf(at(p, "source_identity"), `source_identity %q must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"`, e.SourceIdentity)
		}
		for k := range e.Attributes {
			if strings.TrimSpace(k) == "" {
				v.errorf(at(p, "attributes"), "attribute with an empty name")
			}
		}
		v.checkMapping(p, e.mappingEntry)

		u := User{Name: name, Email: e.Email, Groups: slices.Clone(e.Groups), Attributes: e.Attributes,
			SourceIdentity: e.SourceIdentity, RoleSessionName: e.RoleSessionName,
			SessionDuration: e.SessionDuration, PrincipalTags: map[string]string{}}
		u.Roles = append(u.Roles, e.Roles...)
		groupDuration := 0
		for i, gname := range e.Groups {
			g, ok := f.Groups[gname]
			if !ok {
				v.errorf(at(p, "groups", strconv.Itoa(i)), "user %q is in group %q, which is not defined under groups", name, gname)
				continue
			}
			for _, r := range g.Roles {
				if !slices.Contains(u.Roles, r) {
					u.Roles = append(u.Roles, r)
				}
			}
			groupDuration = max(groupDuration, g.SessionDuration)
			for k, val := range g.PrincipalTags {
				u.PrincipalTags[k] = val
			}
			for _, k := range g.TransitiveTagKeys {
				if !slices.Contains(u.TransitiveTagKeys, k) {
					u.TransitiveTagKeys = append(u.TransitiveTagKeys, k)
				}
			}
		}
		if u.SessionDuration == 0 {
			u.SessionDuration = groupDuration
		}
		for k, val := range e.PrincipalTags {
			u.PrincipalTags[k] = val
		}
		for _, k := range e.TransitiveTagKeys {
			if !slices.Contains(u.TransitiveTagKeys, k) {
				u.TransitiveTagKeys = append(u.TransitiveTagKeys, k)
			}
		}
		if len(u.PrincipalTags) > maxSessionTags {
			v.errorf(p, "user %q has %d principal tags with its groups; AWS allows %d", name, len(u.PrincipalTags), maxSessionTags)
		}
		for _, k := range u.TransitiveTagKeys {
			if _, ok := u.PrincipalTags[k]; !ok {
				v.errorf(p, "transitive tag key %q of user %q is not one of its principal tags", k, name)
			}
		}
		if len(u.PrincipalTags) == 0 {
			u.PrincipalTags = nil
		}
		d.accounts[name] = account{user: u, hash: e.PasswordHash}
	}
	return d
}

func (v *usersValidator) checkMapping(p []string, m mappingEntry) {
	for i, r := range m.Roles {
		rp := at(p, "roles", strconv.Itoa(i))
		if !awssaml.ValidRoleARN(r.RoleARN) {
			v.errorf(at(rp, "role_arn"), "role_arn %q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", r.RoleARN)
		}
		if !awssaml.ValidProviderARN(r.ProviderARN) {
			v.errorf(at(rp, "provider_arn"), "provider_arn %q is not an IAM SAML provider ARN (arn:aws:iam::ACCOUNT:saml-provider/NAME)", r.ProviderARN)
		}
	}
	if d := m.SessionDuration; d != 0 && (d < minSessionDuration || d > maxSessionDuration) {
		v.errorf(at(p, "session_duration"), "session_duration %d is outside %d..%d seconds", d, minSessionDuration, maxSessionDuration)
	}
	for k, val := range m.PrincipalTags {
		tp := at(p, "principal_tags", k)
		if k == "" || len(k) > maxTagKeyLen || !awssaml.InTagAlphabet(k) {
			v.errorf(tp, "principal tag key %q must be 1-%d characters of letters, digits, spaces and _.:/=+-@", k, maxTagKeyLen)
		}
		if len(val) > maxTagValueLen || !awssaml.InTagAlphabet(val) {
			v.errorf(tp, "principal tag %q value %q must be at most %d characters of letters, digits, spaces and _.:/=+-@", k, val, maxTagValueLen)
		}
	}
	for i, k := range m.TransitiveTagKeys {
		if k == "" || !awssaml.InTagAlphabet(k) {
			v.errorf(at(p, "transitive_tag_keys", strconv.Itoa(i)), "transitive tag key %q is not a valid tag key", k)
		}
	}
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// User returns the resolved user (own settings merged with its groups').
func (d *Directory) User(name string) (User, bool) {
	if d == nil {
		return User{}, false
	}
	a, ok := d.accounts[name]
	return a.user, ok
}

// WithUser returns a copy of the directory in which u replaces the user of
// the same name, or is added. The user keeps their password; a new user
// gets the password of the user passwordOf (none when there is no such
// user). The directory itself is not changed.
func (d *Directory) WithUser(u User, passwordOf string) *Directory {
	out := &Directory{accounts: map[string]account{}}
	if d != nil {
		for k, v := range d.accounts {
			out.accounts[k] = v
		}
	}
	a, ok := out.accounts[u.Name]
	if !ok {
		a.hash = out.accounts[passwordOf].hash
	}
	a.user = u
	out.accounts[u.Name] = a
	return out
}

// Names returns the user names in order.
func (d *Directory) Names() []string {
	if d == nil {
		return nil
	}
	return sortedNames(d.accounts)
}

// dummyHash is compared against when the user is unknown, so that unknown
// users and wrong passwords take about the same time.
const dummyHash = "$2a$10$haQHefS8Qyhe013RtPcluuCoj7IRR/I74lvAJkI5b.kpCUbIlwDv2"

// Authenticate checks a password against the user's bcrypt or argon2 hash and
// returns the user. It returns ErrBadCredentials for an unknown user, a user
// without a password_hash, or a wrong password.
func (d *Directory) Authenticate(name, password string) (User, error) {
	var a account
	ok := false
	if d != nil {
		a, ok = d.accounts[name]
	}
	if !ok || a.hash == "" {
		_ = verifyPassword(dummyHash, password)
		return User{}, ErrBadCredentials
	}
	if err := verifyPassword(a.hash, password); err != nil {
		return User{}, ErrBadCredentials
	}
	return a.user, nil
}

// HashPassword returns a bcrypt hash of password for a users file.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("idp: hash password: %w", err)
	}
	return string(h), nil
}

// argon2Hash is a parsed PHC string "$argon2id$v=19$m=…,t=…,p=…$salt$hash".
type argon2Hash struct {
	variant    string
	m, t       uint32
	p          uint8
	salt, hash []byte
}

func parseArgon2(s string) (*argon2Hash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return nil, errors.New("argon2 hash must look like $argon2id$v=19$m=65536,t=3,p=4$SALT$HASH")
	}
	h := &argon2Hash{variant: parts[1]}
	if h.variant != "argon2id" && h.variant != "argon2i" {
		return nil, fmt.Errorf("unsupported argon2 variant %q (want argon2id or argon2i)", h.variant)
	}
	if parts[2] != "v=19" {
		return nil, fmt.Errorf("unsupported argon2 version %q (want v=19)", parts[2])
	}
	var p uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.m, &h.t, &p); err != nil || h.t == 0 || p == 0 || p > 255 || h.m == 0 {
		return nil, fmt.Errorf("bad argon2 parameters %q", parts[3])
	}
	h.p = uint8(p)
	var err error
	if h.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil {
		return nil, fmt.Errorf("argon2 salt: %w", err)
	}
	if h.hash, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(h.hash) == 0 {
		return nil, errors.New("argon2 hash is not unpadded base64")
	}
	return h, nil
}

func checkHash(s string) error {
	switch {
	case strings.HasPrefix(s, "$argon2"):
		_, err := parseArgon2(s)
		return err
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		if _, err := bcrypt.Cost([]byte(s)); err != nil {
			return fmt.Errorf("bad bcrypt hash: %v", err)
		}
		return nil
	}
	return errors.New("not a bcrypt ($2a$/$2b$/$2y$) or argon2 ($argon2id$) hash; make one with \"samlab idp hash-password\"")
}

func verifyPassword(hash, password string) error {
	if strings.HasPrefix(hash, "$argon2") {
		h, err := parseArgon2(hash)
		if err != nil {
			return err
		}
		var got []byte
		if h.variant == "argon2id" {
			got = argon2.IDKey([]byte(password), h.salt, h.t, h.m, h.p, uint32(len(h.hash)))
		} else {
			got = argon2.Key([]byte(password), h.salt, h.t, h.m, h.p, uint32(len(h.hash)))
		}
		if subtle.ConstantTimeCompare(got, h.hash) != 1 {
			return ErrBadCredentials
		}
		return nil
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
}
