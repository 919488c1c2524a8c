package scenarios

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/sp/cognito"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/signin"
	"github.com/samlab-dev/samlab/sp/sts"
	"github.com/samlab-dev/samlab/sp/sts/sessiontoken"
)

// Lab defaults: the demo account of DESIGN.md.
const (
	DefaultAccountID    = iam.DefaultAccountID
	DefaultProviderName = "samlab"
	DefaultEntityID     = "https://idp.samlab.test/metadata"
	DefaultRoleName     = "SAMLAdmin"
	ReadOnlyRoleName    = "SAMLReadOnly" // the second role of the demo user bob
	DefaultUser         = "alice"
)

// LabConfig configures a Lab. Zero values take the defaults named above.
type LabConfig struct {
	AccountID    string
	ProviderName string
	EntityID     string
	// Keys supplies the IdP's keys (default certs.GeneratedKeys). Tests and
	// scenario suites pass certstest.New() to skip RSA generation.
	Keys certs.KeySource
	// Start is the lab clock's initial time (default time.Now()). The clock
	// stands still between steps unless WallClock is set.
	Start time.Time
	// WallClock makes the lab clock follow real time (Start is then ignored):
	// what a lab served to real clients needs.
	WallClock bool
	// IDPBaseURL is the absolute URL the IdP is served at (for example
	// http://127.0.0.1:8765/idp); it goes into the IdP's metadata as the SSO
	// location. Optional.
	IDPBaseURL string
	// Behavior configures the mock STS (default sts.DefaultBehavior()).
	Behavior *sts.Behavior
	// WebIdentity configures AssumeRoleWithWebIdentity (default
	// sts.DefaultWebIdentityBehavior()).
	WebIdentity *sts.WebIdentityBehavior
	// OIDCIssuer, when set, is the issuer URL of the lab's OpenID Connect
	// provider (setup.oidc): the lab then listens nowhere for it, and whoever
	// serves the lab serves OIDCHandler at that URL, as a served lab does at
	// its own address + IDPPrefix + "/oidc". Default: a loopback listener of
	// the lab's own.
	OIDCIssuer string
	// OIDCListen is the address of the lab's own listener for its OpenID
	// Connect provider when OIDCIssuer is not set (default 127.0.0.1:0): a
	// lab replayed from its record listens where it did before.
	OIDCListen string
	// InsecureHTTPIssuers lets IAM register http:// OIDC issuers on loopback
	// (iam.Account.SetInsecureHTTPIssuers; AWS requires https://).
	InsecureHTTPIssuers bool
	// CognitoKey signs the Cognito identity pools' OpenID tokens (default: a
	// fresh RSA-2048 key).
	CognitoKey *rsa.PrivateKey
	// Logger receives both sides' logs (default: discard).
	Logger *slog.Logger
	// Rand is the randomness for IDs and credentials (default crypto/rand).
	Rand io.Reader
	// SessionKeys seals the session tokens of the lab's STS; it must be the
	// lab account's (default: a fresh keyring, so credentials last as long as
	// the lab). A keyring from sessiontoken.Open makes credentials survive
	// restarts, and labs sharing one accept each other's credentials.
	SessionKeys *sessiontoken.Keyring
	// SignInWhy adds the "why" panel to the console sign-in's error pages
	// (see signin.Config.Why). Default false: AWS's page alone.
	SignInWhy bool
	// SignInWhyClosed renders that panel closed until the reader opens it
	// (labs, where it holds the answer).
	SignInWhyClosed bool
	// MFA verifies the MFA codes of AssumeRole and GetSessionToken (default:
	// the lab account's IAM users' virtual MFA devices, and the admin
	// user's devices that enable-mfa steps add).
	MFA sts.MFA
	// UserPolicies gives IAM users' identity-based policies to STS (default:
	// the lab account's users, with their groups and boundaries; the admin
	// key has AdministratorAccess).
	UserPolicies sts.UserPolicies
	// Clock, when set, is the clock the lab runs on (Start and WallClock
	// are then ignored): accounts served together share one.
	Clock *Clock
}

// Clock is the clock shared by both sides of a lab. A frozen clock stands
// still until advanced, which makes scenario runs exact; a wall clock follows
// real time plus the total advance, which a served lab needs (clients sign
// requests with their own clocks, and sessions must expire).
type Clock struct {
	mu     sync.Mutex
	t      time.Time     // frozen: the time
	start  time.Time     // frozen: where it started
	offset time.Duration // wall: how far ahead of real time
	wall   bool
}

// NewFrozenClock returns a clock that stands at t until advanced.
func NewFrozenClock(t time.Time) *Clock { return &Clock{t: t.UTC(), start: t.UTC()} }

// FollowWallClock makes a frozen clock follow real time from now on, ahead
// of it by as much as it was advanced while frozen: a lab replayed on a
// frozen clock (so that it is the same on every replay) is then served.
func (c *Clock) FollowWallClock() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.wall {
		c.offset, c.wall = c.t.Sub(c.start), true
	}
}

// NewWallClock returns a clock that follows real time.
func NewWallClock() *Clock { return &Clock{wall: true} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wall {
		return time.Now().UTC().Add(c.offset)
	}
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wall {
		c.offset += d
		return
	}
	c.t = c.t.Add(d)
}

// Lab is an IdP and a mock AWS account in one process, on a shared clock.
// The IAM provider is not registered until RegisterProvider is called.
type Lab struct {
	Clock   *Clock
	IDP     *idp.Server
	Account *iam.Account
	STS     *sts.Service
	// WebIdentity is STS's AssumeRoleWithWebIdentity, with its JWKS cache.
	WebIdentity *sts.WebIdentity
	// Cognito is the account's Cognito identity pools (JSON protocol).
	Cognito *cognito.Service
	// Federation is STS's AssumeRole, GetSessionToken, GetFederationToken,
	// GetAccessKeyInfo and DecodeAuthorizationMessage.
	Federation *sts.Federation
	// SignIn is the console sign-in endpoint (an http.Handler).
	SignIn *signin.Server

	ProviderName string
	ProviderARN  string
	RoleARN      string
	Users        map[string]idp.User

	state *labState // what the scenario steps need beyond the fields above
}

// NewLab builds a lab with one IdP, one account, the role DefaultRoleName
// trusting the provider ARN, and the user DefaultUser mapped to that role.
func NewLab(cfg LabConfig) (*Lab, error) {
	if cfg.AccountID == "" {
		cfg.AccountID = DefaultAccountID
	}
	if cfg.ProviderName == "" {
		cfg.ProviderName = DefaultProviderName
	}
	if cfg.EntityID == "" {
		cfg.EntityID = DefaultEntityID
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Now()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	clock := NewFrozenClock(cfg.Start)
	if cfg.WallClock {
		clock = NewWallClock()
	}
	if cfg.Clock != nil {
		clock = cfg.Clock
	}
	// IdP-initiated SSO to AWS posts to the lab's own console sign-in, served
	// at AWS's path /saml on the lab's address: absolute when the IdP knows its
	// URL, else relative to the IdP's mount point under IDPPrefix.
	signInURL := ".." + SignInPath
	if cfg.IDPBaseURL != "" {
		signInURL = strings.TrimSuffix(strings.TrimSuffix(cfg.IDPBaseURL, "/"), IDPPrefix) + SignInPath
	}
	users, err := demoUsers(cfg.AccountID, cfg.ProviderName)
	if err != nil {
		return nil, err
	}
	idpCfg := idp.Config{EntityID: cfg.EntityID, BaseURL: cfg.IDPBaseURL, Users: users,
		AWSSignInURL: signInURL, Keys: cfg.Keys, Now: clock.Now, Rand: cfg.Rand,
		Logger: cfg.Logger.With("component", "idp")}
	server, err := idp.New(idpCfg)
	if err != nil {
		return nil, err
	}
	acct := iam.NewAccount(iam.Config{ID: cfg.AccountID, Now: clock.Now, Rand: cfg.Rand})
	svc, err := sts.New(sts.Config{Account: acct, Behavior: cfg.Behavior, Now: clock.Now, Rand: cfg.Rand,
		Logger: cfg.Logger.With("component", "sts"), SessionKeys: cfg.SessionKeys})
	if err != nil {
		return nil, err
	}
	mdURL := IDPPrefix + "/metadata" // on the lab server's own host
	if cfg.IDPBaseURL != "" {
		mdURL = strings.TrimSuffix(cfg.IDPBaseURL, "/") + "/metadata"
	}
	console, err := signin.New(signin.Config{STS: svc, Now: clock.Now, Rand: cfg.Rand,
		Logger: cfg.Logger.With("component", "signin"), Account: acct, Why: cfg.SignInWhy, WhyClosed: cfg.SignInWhyClosed,
		IDPMetadata: server.Metadata, IDPMetadataURL: mdURL})
	if err != nil {
		return nil, err
	}
	acct.SetInsecureHTTPIssuers(cfg.InsecureHTTPIssuers)
	if cfg.UserPolicies == nil {
		cfg.UserPolicies = acct
	}
	if cfg.MFA == nil {
		cfg.MFA = newLabMFA() // enable-mfa steps add devices
	}
	mfa := cfg.MFA
	if lm, ok := cfg.MFA.(*labMFA); ok {
		mfa = accountOrLabMFA{acct, lm}
	}
	l := &Lab{Clock: clock, IDP: server, Account: acct, STS: svc, WebIdentity: svc.NewWebIdentity(cfg.WebIdentity), SignIn: console,
		ProviderName: cfg.ProviderName, ProviderARN: acct.ProviderARN(cfg.ProviderName), state: newLabState(cfg, idpCfg),
		Federation: svc.NewFederation(sts.FederationConfig{MFA: mfa, Users: cfg.UserPolicies})}
	if l.Cognito, err = cognito.New(cognito.Config{WebIdentity: l.WebIdentity, AccountID: cfg.AccountID, Partition: acct.Partition(),
		Key: cfg.CognitoKey, Now: clock.Now, Rand: cfg.Rand, Logger: cfg.Logger.With("component", "cognito")}); err != nil {
		return nil, fmt.Errorf("lab: cognito: %w", err)
	}
	role, err := acct.CreateRole(iam.CreateRoleInput{Name: DefaultRoleName, AssumeRolePolicyDocument: iam.SAMLTrustPolicy(l.ProviderARN)})
	if err != nil {
		return nil, fmt.Errorf("lab: create role: %w", err)
	}
	l.RoleARN = role.ARN
	if _, err := acct.CreateRole(iam.CreateRoleInput{Name: ReadOnlyRoleName, AssumeRolePolicyDocument: iam.SAMLTrustPolicy(l.ProviderARN)}); err != nil {
		return nil, fmt.Errorf("lab: create role: %w", err)
	}
	// IAM calls are authorized by the caller's policies: the roles get the
	// permissions their names promise.
	if err := errors.Join(acct.AttachRolePolicy(DefaultRoleName, "arn:aws:iam::aws:policy/AdministratorAccess"),
		acct.AttachRolePolicy(ReadOnlyRoleName, "arn:aws:iam::aws:policy/ReadOnlyAccess")); err != nil {
		return nil, fmt.Errorf("lab: attach role policies: %w", err)
	}
	// The scripted users: alice with just the lab role (scenarios and tests
	// rely on her plain assertion), then the rest of the IdP's demo users
	// (bob has two roles, which brings up the console's role chooser).
	l.Users = map[string]idp.User{
		DefaultUser: {Name: DefaultUser, Email: DefaultUser + "@example.com",
			Roles: []idp.Role{{RoleARN: l.RoleARN, ProviderARN: l.ProviderARN}}},
	}
	for _, name := range users.Names() {
		if u, ok := users.User(name); ok && l.Users[name].Name == "" {
			l.Users[name] = u
		}
	}
	return l, nil
}

// RegisterProvider creates the IAM SAML provider from the IdP's current
// metadata (aws iam create-saml-provider).
func (l *Lab) RegisterProvider() error {
	md, err := l.IDP.Metadata()
	if err != nil {
		return err
	}
	_, err = l.Account.CreateSAMLProvider(l.ProviderName, md)
	return err
}

// UpdateProvider replaces the registered metadata with the IdP's current
// metadata (aws iam update-saml-provider).
func (l *Lab) UpdateProvider() error {
	md, err := l.IDP.Metadata()
	if err != nil {
		return err
	}
	_, err = l.Account.UpdateSAMLProvider(l.ProviderARN, md)
	return err
}

// LoginInput selects who logs in and how the client calls
// AssumeRoleWithSAML.
type LoginInput struct {
	User    string    // default DefaultUser
	RoleARN string    // default the lab role
	Fault   idp.Fault // default none
	// PrincipalARN is the provider ARN sent (default the lab provider).
	PrincipalARN string
	// RedeemAfter is how long the client holds the response before calling
	// AssumeRoleWithSAML (the lab clock advances by it), as CLI tools that
	// cache an assertion do.
	RedeemAfter time.Duration
	// DurationSeconds, Policy and PolicyARNs are AssumeRoleWithSAML's.
	DurationSeconds *int
	Policy          string
	PolicyARNs      []string
	// Recipient and Audience override the response's (default AWS's).
	Recipient, Audience string
	// Assertion changes what is sent as SAMLAssertion: "url-encoded" (the
	// form value copied without URL-decoding it) or "empty".
	Assertion string
	// EmptyRoleARN and EmptyPrincipalARN send those parameters empty, as a
	// tool with a broken configuration does (instead of the defaults).
	EmptyRoleARN, EmptyPrincipalARN bool
}

// Login makes the IdP issue a response for the user and redeems it with
// AssumeRoleWithSAML, as a CLI tool such as saml2aws does. The credentials
// of a successful login are kept for CallerIdentity.
func (l *Lab) Login(ctx context.Context, in LoginInput) (*sts.AssumeRoleWithSAMLOutput, error) {
	if in.RoleARN == "" && !in.EmptyRoleARN {
		in.RoleARN = l.RoleARN
	}
	if in.PrincipalARN == "" && !in.EmptyPrincipalARN {
		in.PrincipalARN = l.ProviderARN
	}
	resp, err := l.Response(ResponseInput{User: in.User, Fault: in.Fault, Recipient: in.Recipient, Audience: in.Audience})
	if err != nil {
		return nil, err
	}
	if in.RedeemAfter > 0 {
		l.Clock.Advance(in.RedeemAfter)
	}
	assertion := resp.Base64()
	switch in.Assertion {
	case "":
	case "url-encoded":
		assertion = url.QueryEscape(assertion)
	case "empty":
		assertion = ""
	default:
		return nil, fmt.Errorf("unknown assertion form %q", in.Assertion)
	}
	out, err := l.STS.AssumeRoleWithSAML(ctx, sts.AssumeRoleWithSAMLInput{
		RoleARN: in.RoleARN, PrincipalARN: in.PrincipalARN, SAMLAssertion: assertion,
		DurationSeconds: in.DurationSeconds, Policy: in.Policy, PolicyARNs: in.PolicyARNs,
	})
	if err == nil {
		l.state.mu.Lock()
		c := out.Credentials
		l.state.last = &c
		l.state.mu.Unlock()
	}
	return out, err
}

// accountOrLabMFA checks a code against the IAM users' virtual MFA devices
// of the account, then against the lab's devices of the admin user (who is
// not one of the account's stored users).
type accountOrLabMFA struct {
	acct *iam.Account
	lab  *labMFA
}

// VerifyTOTP implements sts.MFA.
func (m accountOrLabMFA) VerifyTOTP(userARN, serial, code string, now time.Time) (device, valid bool) {
	if device, valid = m.acct.VerifyTOTP(userARN, serial, code, now); device {
		return device, valid
	}
	return m.lab.VerifyTOTP(userARN, serial, code, now)
}
