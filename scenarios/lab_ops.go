package scenarios

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/beevik/etree"
	"golang.org/x/net/html"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts"
)

// labState is what the Lab's scenario operations keep between steps. The
// operations (CreateSAMLProvider, SetEntityID, Login, ...) are steps of one
// story: call them from one goroutine at a time. SetEntityID, SetSigning and
// ConfigureIDP replace Lab.IDP with a new IdP (keeping its keys); an HTTP
// handler built earlier with Lab.Handler keeps serving the old one.
type labState struct {
	mu        sync.Mutex
	cfg       LabConfig
	idpCfg    idp.Config
	snapshots map[string][]byte
	keys      map[string]*certs.KeyPair
	idpSetup  IDPSetup
	rawRoles  map[string][]string // user → Role values sent verbatim
	last      *sts.Credentials    // of the last successful login
	aws       http.Handler        // the lab's IAM and STS endpoint, made on first use
	admin     AdminKey            // its admin key
	fed       *fedState           // federation steps (federation_steps.go)
	web       *webState           // the web identity side, made on first use
	accounts  []*namedAccount     // setup.accounts (steps_accounts.go)
}

func newLabState(cfg LabConfig, idpCfg idp.Config) *labState {
	return &labState{cfg: cfg, idpCfg: idpCfg, snapshots: map[string][]byte{}, keys: map[string]*certs.KeyPair{},
		rawRoles: map[string][]string{}}
}

// demoUsers returns the IdP's demo directory with its ARNs moved into the
// lab's account and provider name.
func demoUsers(account, provider string) (*idp.Directory, error) {
	doc := string(idp.DemoUsersYAML())
	doc = strings.ReplaceAll(doc, "arn:aws:iam::"+DefaultAccountID+":", "arn:aws:iam::"+account+":")
	doc = strings.ReplaceAll(doc, ":saml-provider/"+DefaultProviderName+"\n", ":saml-provider/"+provider+"\n")
	return idp.LoadUsers("demo-users.yaml", []byte(doc))
}

// NewLabFor builds a lab for a scenario's setup: the setup's account, entityID
// and Behavior switches go into cfg, then Apply sets up the rest.
func NewLabFor(ctx context.Context, cfg LabConfig, s Setup) (*Lab, error) {
	if s.Account != "" {
		cfg.AccountID = s.Account
	}
	if s.IDP.EntityID != "" {
		cfg.EntityID = s.IDP.EntityID
	}
	if len(s.Behavior) > 0 {
		b := sts.DefaultBehavior()
		if cfg.Behavior != nil {
			b = *cfg.Behavior
		}
		if err := applyBehavior(&b, s.Behavior); err != nil {
			return nil, err
		}
		cfg.Behavior = &b
	}
	if len(s.WebIdentity) > 0 {
		b := sts.DefaultWebIdentityBehavior()
		if cfg.WebIdentity != nil {
			b = *cfg.WebIdentity
		}
		if err := applySwitches(&b, "WebIdentityBehavior", s.WebIdentity); err != nil {
			return nil, err
		}
		cfg.WebIdentity = &b
	}
	lab, err := NewLab(cfg)
	if err != nil {
		return nil, err
	}
	if err := lab.Apply(ctx, s); err != nil {
		_ = lab.Close()
		return nil, err
	}
	return lab, nil
}

// Apply sets up the IdP, users, roles and providers of s (its account and
// Behavior are fixed when the lab is built: see NewLabFor).
func (l *Lab) Apply(ctx context.Context, s Setup) error {
	// Further accounts first: the lab's own policies may name them.
	if err := l.applyAccounts(s.Accounts); err != nil {
		return err
	}
	if err := l.ConfigureIDP(s.IDP); err != nil {
		return err
	}
	if err := l.startWebIdentity(ctx, s); err != nil {
		return err
	}
	for _, name := range sortedKeys(s.Roles) {
		r := s.Roles[name]
		in := RoleInput{Name: name, MaxSessionDuration: r.MaxSessionDuration, Path: r.Path, Tags: r.Tags}
		if r.Trust != nil {
			in.Trust = r.Trust.JSON
		}
		if _, err := l.Account.RoleByName(name); err == nil {
			if err := l.replaceRole(name); err != nil {
				return err
			}
		}
		if err := l.CreateRole(in); err != nil {
			return fmt.Errorf("setup: role %s: %w", name, err)
		}
	}
	for _, name := range sortedKeys(s.Users) {
		if err := l.SetUser(name, s.Users[name]); err != nil {
			return fmt.Errorf("setup: user %s: %w", name, err)
		}
	}
	for _, name := range sortedKeys(s.Providers) {
		p := s.Providers[name]
		if err := l.CreateSAMLProvider(ProviderInput{Name: name, EncryptionMode: p.EncryptionMode, AddPrivateKey: p.PrivateKey}); err != nil {
			return fmt.Errorf("setup: provider %s: %w", name, err)
		}
	}
	return l.applyWebIdentity(s)
}

// Expand replaces ${account}, ${partition}, ${provider:NAME},
// ${role:NAME}, ${oidc_provider} (the IAM OIDC provider ARN of the lab's
// issuer), ${oidc_host} (the issuer without its scheme: the prefix of its
// condition keys) and ${pool:NAME} (an identity pool's ID) in text with the
// lab's values.
func (l *Lab) Expand(text string) string {
	return varRE.ReplaceAllStringFunc(text, func(m string) string {
		sub := varRE.FindStringSubmatch(m)
		switch sub[1] {
		case "account":
			if sub[2] != "" {
				return l.accountID(sub[2])
			}
			return l.Account.ID()
		case "partition":
			return l.Account.Partition()
		case "provider":
			return l.providerARN(sub[2])
		case "role":
			return l.roleARN(sub[2])
		case "oidc_provider":
			return l.OIDCProviderARN()
		case "oidc_host":
			return l.OIDCHost()
		case "pool":
			return l.IdentityPoolID(sub[2])
		}
		return m
	})
}

// roleARN returns the ARN of the role called name: with its path when it
// exists, else as if its path were "/".
func (l *Lab) roleARN(name string) string {
	if r, err := l.Account.RoleByName(name); err == nil {
		return r.ARN
	}
	return l.Account.RoleARN("/", name)
}

// Key returns the lab key pair called name, making it on first use (from
// LabConfig.Keys). Lab keys encrypt assertions and are uploaded to IAM as
// providers' private keys.
func (l *Lab) Key(name string) (*certs.KeyPair, error) {
	l.state.mu.Lock()
	defer l.state.mu.Unlock()
	if kp, ok := l.state.keys[name]; ok {
		return kp, nil
	}
	keys := l.state.cfg.Keys
	if keys == nil {
		keys = certs.GeneratedKeys{}
	}
	opts := []certs.Option{certs.WithKeySource(keys), certs.WithSubject("samlab " + name), certs.WithNow(l.Clock.Now)}
	if l.state.cfg.Rand != nil {
		opts = append(opts, certs.WithRand(l.state.cfg.Rand))
	}
	kp, err := certs.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("lab key %s: %w", name, err)
	}
	l.state.keys[name] = kp
	return kp, nil
}

// SaveMetadata keeps a copy of the IdP's current metadata under name, as a
// person saves metadata.xml before a change. edit "utf8-bom" prepends a
// UTF-8 byte order mark, as Windows editors save it.
func (l *Lab) SaveMetadata(name, edit string) error {
	md, err := l.IDP.Metadata()
	if err != nil {
		return err
	}
	switch edit {
	case "":
	case "utf8-bom":
		md = append([]byte("\xEF\xBB\xBF"), md...)
	default:
		return fmt.Errorf("unknown metadata edit %q", edit)
	}
	l.state.mu.Lock()
	l.state.snapshots[name] = md
	l.state.mu.Unlock()
	return nil
}

func (l *Lab) metadata(snapshot string) ([]byte, error) {
	if snapshot == "" {
		return l.IDP.Metadata()
	}
	l.state.mu.Lock()
	defer l.state.mu.Unlock()
	md, ok := l.state.snapshots[snapshot]
	if !ok {
		return nil, fmt.Errorf("no metadata snapshot %q was saved", snapshot)
	}
	return md, nil
}

// ProviderInput is an IAM SAML provider change.
type ProviderInput struct {
	// Name is the provider's name (default the lab's provider).
	Name string
	// Snapshot is the saved metadata to upload (default: the IdP's current
	// metadata).
	Snapshot string
	// EncryptionMode is Allowed or Required (default unchanged).
	EncryptionMode string
	// AddPrivateKey and RemovePrivateKey name lab keys (see Key); removal
	// uses the key ID IAM gave the key.
	AddPrivateKey, RemovePrivateKey string
	// KeepMetadata sends no metadata document (updates only the encryption
	// settings, if any).
	KeepMetadata bool
}

// providerName resolves a provider name of a scenario: empty, or
// DefaultProviderName ("samlab"), means the lab's own provider
// (LabConfig.ProviderName), so scenarios run unchanged whatever its name.
func (l *Lab) providerName(name string) string {
	if name == "" || name == DefaultProviderName {
		return l.ProviderName
	}
	return name
}

func (l *Lab) providerARN(name string) string { return l.Account.ProviderARN(l.providerName(name)) }

func (l *Lab) privateKeyPEM(name string) (string, error) {
	if name == "" {
		return "", nil
	}
	kp, err := l.Key(name)
	if err != nil {
		return "", err
	}
	b, err := certs.EncodeKeyPEM(kp.Key)
	return string(b), err
}

// CreateSAMLProvider runs IAM CreateSAMLProvider (aws iam
// create-saml-provider) with the IdP's current metadata or a snapshot.
func (l *Lab) CreateSAMLProvider(in ProviderInput) error {
	md, err := l.metadata(in.Snapshot)
	if err != nil {
		return err
	}
	pem, err := l.privateKeyPEM(in.AddPrivateKey)
	if err != nil {
		return err
	}
	_, err = l.Account.CreateProvider(iam.CreateSAMLProviderInput{Name: l.providerName(in.Name), MetadataDocument: md,
		AssertionEncryptionMode: in.EncryptionMode, AddPrivateKey: pem})
	return err
}

// UpdateSAMLProvider runs IAM UpdateSAMLProvider (aws iam
// update-saml-provider) with the IdP's current metadata or a snapshot, and
// the encryption settings given.
func (l *Lab) UpdateSAMLProvider(in ProviderInput) error {
	var md []byte
	if !in.KeepMetadata {
		var err error
		if md, err = l.metadata(in.Snapshot); err != nil {
			return err
		}
	}
	pem, err := l.privateKeyPEM(in.AddPrivateKey)
	if err != nil {
		return err
	}
	remove := ""
	if in.RemovePrivateKey != "" {
		remove, err = l.privateKeyID(l.providerName(in.Name), in.RemovePrivateKey)
		if err != nil {
			return err
		}
	}
	_, err = l.Account.UpdateProvider(iam.UpdateSAMLProviderInput{ARN: l.providerARN(in.Name),
		MetadataDocument: md, AssertionEncryptionMode: in.EncryptionMode, AddPrivateKey: pem, RemovePrivateKey: remove})
	return err
}

// privateKeyID returns the KeyId IAM gave the lab key called name, or the
// name itself when the provider holds no such key (IAM then reports it).
func (l *Lab) privateKeyID(provider, name string) (string, error) {
	kp, err := l.Key(name)
	if err != nil {
		return "", err
	}
	p, err := l.Account.SAMLProvider(l.providerARN(provider))
	if err != nil {
		return name, nil //nolint:nilerr // IAM reports the missing provider itself.
	}
	want, err := certs.EncodeKeyPEM(kp.Key)
	if err != nil {
		return "", err
	}
	for _, k := range p.PrivateKeys {
		if strings.TrimSpace(k.PEM) == strings.TrimSpace(string(want)) {
			return k.KeyID, nil
		}
	}
	return name, nil
}

// DeleteSAMLProvider runs IAM DeleteSAMLProvider.
func (l *Lab) DeleteSAMLProvider(name string) error {
	return l.Account.DeleteSAMLProvider(l.providerARN(name))
}

// RoleInput is an IAM role to create.
type RoleInput struct {
	Name string
	// Trust is the trust policy JSON (${...} variables are expanded; default:
	// trust the lab's provider for sts:AssumeRoleWithSAML).
	Trust              string
	MaxSessionDuration int // default 3600
	Path               string
	Tags               map[string]string
}

// CreateRole runs IAM CreateRole.
func (l *Lab) CreateRole(in RoleInput) error {
	trust := iam.SAMLTrustPolicy(l.ProviderARN)
	if in.Trust != "" {
		trust = l.Expand(in.Trust)
	}
	var tags []awsapi.Tag
	for _, k := range sortedKeys(in.Tags) {
		tags = append(tags, awsapi.Tag{Key: k, Value: in.Tags[k]})
	}
	r, err := l.Account.CreateRole(iam.CreateRoleInput{Name: in.Name, Path: in.Path, AssumeRolePolicyDocument: trust,
		MaxSessionDuration: in.MaxSessionDuration, Tags: tags})
	if err != nil {
		return err
	}
	if in.Name == DefaultRoleName {
		l.RoleARN = r.ARN
	}
	return nil
}

// UpdateRoleMaxSession runs IAM UpdateRole --max-session-duration.
func (l *Lab) UpdateRoleMaxSession(name string, seconds int) error {
	return l.Account.UpdateRole(iam.UpdateRoleInput{Name: name, MaxSessionDuration: &seconds})
}

// UpdateTrust runs IAM UpdateAssumeRolePolicy (${...} variables are
// expanded).
func (l *Lab) UpdateTrust(name, policy string) error {
	return l.Account.UpdateAssumeRolePolicy(name, l.Expand(policy))
}

// replaceRole deletes the lab's role name, with its inline and attached
// policies, so that a scenario's setup can define it afresh.
func (l *Lab) replaceRole(name string) error {
	attached, err := l.Account.AttachedRolePolicies(name)
	if err != nil {
		return err
	}
	for _, p := range attached {
		if err := l.Account.DetachRolePolicy(name, p.ARN); err != nil {
			return err
		}
	}
	inline, err := l.Account.RolePolicyNames(name)
	if err != nil {
		return err
	}
	for _, p := range inline {
		if err := l.Account.DeleteRolePolicy(name, p); err != nil {
			return err
		}
	}
	return l.DeleteRole(name)
}

// DeleteRole runs IAM DeleteRole.
func (l *Lab) DeleteRole(name string) error { return l.Account.DeleteRole(name) }

// RotateKey makes the IdP sign with a new key (IAM is not told).
func (l *Lab) RotateKey() error {
	_, err := l.IDP.Rotate()
	return err
}

// StageRollover makes the IdP publish its next key beside the current one.
func (l *Lab) StageRollover() error {
	_, err := l.IDP.StageRollover()
	return err
}

// rebuildIDP replaces the IdP with one made from its configuration changed
// by edit. With keep, the new IdP keeps the old one's keys.
func (l *Lab) rebuildIDP(edit func(*idp.Config), keep bool) error {
	cfg := l.state.idpCfg
	edit(&cfg)
	cfg.Keyring = nil
	if keep {
		cfg.Keyring = l.IDP.Keyring()
	}
	srv, err := idp.New(cfg)
	if err != nil {
		return err
	}
	l.state.idpCfg, l.IDP = cfg, srv
	return nil
}

// SetEntityID changes the IdP's entityID (its keys stay).
func (l *Lab) SetEntityID(id string) error {
	return l.rebuildIDP(func(c *idp.Config) { c.EntityID = id }, true)
}

func signingOptions(s SigningSetup) idp.SigningOptions {
	var o idp.SigningOptions
	switch s.Target {
	case "response":
		o = idp.Sign(false, true)
	case "both":
		o = idp.Sign(true, true)
	case "none":
		o = idp.Sign(false, false)
	case "assertion":
		o = idp.Sign(true, false)
	}
	o.SignatureMethod = signingAlgs[s.Algorithm]
	o.DigestMethod = digestAlgs[s.Digest]
	return o
}

// SetSigning changes what the IdP signs and how (its keys stay).
func (l *Lab) SetSigning(s SigningSetup) error {
	return l.rebuildIDP(func(c *idp.Config) { c.Signing = signingOptions(s) }, true)
}

// ConfigureIDP applies an IdP setup: entityID, signing, key size and
// certificate validity (a new key when either is set), NameID format,
// lifetimes and encryption.
func (l *Lab) ConfigureIDP(s IDPSetup) error {
	newKey := s.KeyBits != 0 || s.CertValidity != 0
	if s.EntityID != "" || newKey || s.Signing != (SigningSetup{}) {
		err := l.rebuildIDP(func(c *idp.Config) {
			if s.EntityID != "" {
				c.EntityID = s.EntityID
			}
			c.KeyBits, c.KeyValidity = s.KeyBits, s.CertValidity
			c.Signing = signingOptions(s.Signing)
		}, !newKey)
		if err != nil {
			return err
		}
	}
	if s.NameIDFormat != "" && nameIDFormats[s.NameIDFormat] == "" {
		return fmt.Errorf("unknown NameID format %q", s.NameIDFormat)
	}
	if s.Encryption != nil {
		if _, err := l.Key(encryptionKey(s.Encryption)); err != nil {
			return err
		}
	}
	l.state.mu.Lock()
	l.state.idpSetup = s
	l.state.mu.Unlock()
	return nil
}

func encryptionKey(e *EncryptionSetup) string {
	if e.Key == "" {
		return "encryption"
	}
	return e.Key
}

// SetUser replaces (or adds) the IdP user called name.
func (l *Lab) SetUser(name string, s UserSetup) error {
	u := idp.User{Name: name, Email: s.Email, RoleSessionName: s.RoleSessionName, SessionDuration: s.SessionDuration,
		PrincipalTags: s.PrincipalTags, TransitiveTagKeys: s.TransitiveTagKeys, SourceIdentity: s.SourceIdentity,
		Attributes: s.Attributes}
	if u.Email == "" {
		u.Email = name + "@example.com"
	}
	var raw []string
	if s.Roles == nil {
		u.Roles = []idp.Role{{RoleARN: l.RoleARN, ProviderARN: l.ProviderARN}}
	}
	for _, r := range s.Roles {
		switch {
		case r.Value != "":
			v := l.Expand(r.Value)
			raw = append(raw, v)
			u.Roles = append(u.Roles, idp.Role{RoleARN: v})
		default:
			pair := idp.Role{RoleARN: l.roleARN(r.Role), ProviderARN: l.providerARN(r.Provider)}
			if r.ProviderFirst {
				pair.RoleARN, pair.ProviderARN = pair.ProviderARN, pair.RoleARN
			}
			u.Roles = append(u.Roles, pair)
			raw = append(raw, pair.Value())
		}
	}
	l.state.mu.Lock()
	defer l.state.mu.Unlock()
	if slices.ContainsFunc(s.Roles, func(r RoleRef) bool { return r.Value != "" }) {
		l.state.rawRoles[name] = raw
	} else {
		delete(l.state.rawRoles, name)
	}
	l.Users[name] = u
	// The IdP's own directory too, so that logins over HTTP (a browser,
	// samlab login) get the same user; a new user gets alice's password.
	l.IDP.SetUser(u, DefaultUser)
	l.state.idpCfg.Users = l.IDP.Users()
	return nil
}

// ResponseInput selects the user and the defects of an IdP response.
type ResponseInput struct {
	User      string    // default DefaultUser
	Fault     idp.Fault // default none
	Recipient string    // default AWS's sign-in URL
	Audience  string    // default AWS's audience
}

// Response makes the IdP issue a response as the lab's IdP setup says
// (NameID format, lifetimes, encryption, verbatim Role values).
func (l *Lab) Response(in ResponseInput) (*idp.Response, error) {
	if in.User == "" {
		in.User = DefaultUser
	}
	l.state.mu.Lock()
	u, ok := l.Users[in.User]
	raw := l.state.rawRoles[in.User]
	s := l.state.idpSetup
	l.state.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("lab: unknown user %q", in.User)
	}
	opts := idp.ResponseOptions{Recipient: in.Recipient, Audience: in.Audience, NameIDFormat: nameIDFormats[s.NameIDFormat],
		Lifetime: s.AssertionLifetime, SessionLifetime: s.SessionLifetime}
	if s.Encryption != nil {
		kp, err := l.Key(encryptionKey(s.Encryption))
		if err != nil {
			return nil, err
		}
		opts.Encryption = &idp.EncryptionOptions{Cert: kp.Cert, Cipher: s.Encryption.Cipher}
	}
	if raw != nil {
		opts.EditAssertion = func(a *etree.Element) { setRoleValues(a, raw) }
	}
	return l.IDP.FaultyResponse(u, opts, in.Fault)
}

// setRoleValues writes vals, verbatim, as the Role attribute's values.
func setRoleValues(a *etree.Element, vals []string) {
	for _, attr := range a.FindElements("//Attribute") {
		if attr.SelectAttrValue("Name", "") != idp.AttrRole {
			continue
		}
		for i, v := range attr.ChildElements() {
			if i < len(vals) {
				v.SetText(vals[i])
			}
		}
	}
}

// CallerIdentity runs sts get-caller-identity with the credentials of the
// last successful login, as the aws CLI does: a SigV4-signed request (signed
// at the lab clock's time) to the lab's AWS endpoint, so the router's
// signature and expiry checks answer it.
func (l *Lab) CallerIdentity(ctx context.Context) (*sts.CallerIdentity, error) {
	l.state.mu.Lock()
	last := l.state.last
	l.state.mu.Unlock()
	if last == nil {
		return nil, errors.New("lab: no credentials yet: get-caller-identity needs an earlier successful login")
	}
	h, err := l.awsHandler()
	if err != nil {
		return nil, err
	}
	body := "Action=GetCallerIdentity&Version=2011-06-15"
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "https://sts.amazonaws.com/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: last.AccessKeyID, SecretAccessKey: last.SecretAccessKey, SessionToken: last.SessionToken}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", l.Clock.Now()); err != nil {
		return nil, fmt.Errorf("lab: sign get-caller-identity: %w", err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string } `xml:"Error"`
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" {
			return nil, fmt.Errorf("lab: get-caller-identity answered %d: %s", rec.Code, rec.Body.String())
		}
		return nil, &awsapi.Error{Code: awsapi.Code(e.Error.Code), Status: rec.Code, Message: e.Error.Message}
	}
	var out struct {
		Result struct {
			ARN     string `xml:"Arn"`
			UserID  string `xml:"UserId"`
			Account string `xml:"Account"`
		} `xml:"GetCallerIdentityResult"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("lab: get-caller-identity response: %w", err)
	}
	return &sts.CallerIdentity{ARN: out.Result.ARN, UserID: out.Result.UserID, Account: out.Result.Account}, nil
}

// awsHandler returns the lab's IAM and STS endpoint, built on first use with
// a fresh admin key.
func (l *Lab) awsHandler() (http.Handler, error) {
	l.state.mu.Lock()
	defer l.state.mu.Unlock()
	if l.state.aws != nil {
		return l.state.aws, nil
	}
	admin, err := NewAdminKey(l.state.cfg.Rand)
	if err != nil {
		return nil, err
	}
	h, err := l.AWSHandler(ServerConfig{Admin: admin, Logger: l.state.cfg.Logger, Accounts: l.servedAccountsLocked()})
	if err != nil {
		return nil, err
	}
	l.state.aws, l.state.admin = h, admin
	return h, nil
}

// ConsoleInput is a browser posting the IdP's response to the console
// sign-in endpoint.
type ConsoleInput struct {
	User  string
	Fault idp.Fault
	// Choose is the role ARN picked on the role chooser (when it appears).
	Choose              string
	Recipient, Audience string
	RedeemAfter         time.Duration
}

// ConsoleResult is what the browser ends up with.
type ConsoleResult struct {
	// Status is the HTTP status of the last page.
	Status int
	// SignedInAs is the console session's assumed-role ARN.
	SignedInAs string
	// PageError is the error page's message.
	PageError string
	// Roles are the role ARNs the chooser offered, when it stopped there.
	Roles []string
	// Credentials of the console session (empty when not signed in).
	expires time.Time
}

// ConsoleSignIn posts the IdP's response to the console's /saml endpoint
// (the lab's sign-in handler, over HTTP), picks Choose on the role chooser
// when it appears, and reports where the browser ends up.
func (l *Lab) ConsoleSignIn(ctx context.Context, in ConsoleInput) (*ConsoleResult, error) {
	resp, err := l.Response(ResponseInput{User: in.User, Fault: in.Fault, Recipient: in.Recipient, Audience: in.Audience})
	if err != nil {
		return nil, err
	}
	if in.RedeemAfter > 0 {
		l.Clock.Advance(in.RedeemAfter)
	}
	form := url.Values{"SAMLResponse": {resp.Base64()}}
	rec, page, err := l.postSignIn(ctx, form)
	if err != nil {
		return nil, err
	}
	if rec.Code == http.StatusOK {
		roles := chooserRoles(page)
		if len(roles) > 0 && in.Choose == "" {
			return &ConsoleResult{Status: rec.Code, Roles: roles}, nil
		}
		if len(roles) > 0 {
			form.Set("roleIndex", in.Choose)
			if rec, page, err = l.postSignIn(ctx, form); err != nil {
				return nil, err
			}
		}
	}
	res := &ConsoleResult{Status: rec.Code}
	if rec.Code == http.StatusFound {
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/console", nil)
		for _, c := range rec.Result().Cookies() {
			req.AddCookie(c)
		}
		sess, ok := l.SignIn.Session(req)
		if !ok {
			return nil, errors.New("lab: the sign-in endpoint redirected without a console session")
		}
		res.SignedInAs, res.expires = sess.ARN, sess.Expires
		return res, nil
	}
	res.PageError = elementText(page, "error_message")
	if res.PageError == "" {
		return nil, fmt.Errorf("lab: the sign-in endpoint answered %d with neither a session nor an error message", rec.Code)
	}
	return res, nil
}

func (l *Lab) postSignIn(ctx context.Context, form url.Values) (*httptest.ResponseRecorder, *html.Node, error) {
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, SignInPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	l.SignIn.ServeHTTP(rec, req)
	page, err := html.Parse(strings.NewReader(rec.Body.String()))
	if err != nil {
		return nil, nil, fmt.Errorf("lab: sign-in page: %w", err)
	}
	return rec, page, nil
}

func attrOf(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func walkHTML(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walkHTML(c, f)
	}
}

// chooserRoles returns the role ARNs of the chooser's radio buttons.
func chooserRoles(page *html.Node) []string {
	var out []string
	walkHTML(page, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" && attrOf(n, "name") == "roleIndex" {
			out = append(out, attrOf(n, "value"))
		}
	})
	return out
}

// elementText returns the text of the element with the given id.
func elementText(page *html.Node, id string) string {
	var b strings.Builder
	walkHTML(page, func(n *html.Node) {
		if n.Type == html.ElementNode && attrOf(n, "id") == id {
			walkHTML(n, func(t *html.Node) {
				if t.Type == html.TextNode {
					b.WriteString(t.Data)
				}
			})
		}
	})
	return strings.Join(strings.Fields(b.String()), " ")
}
