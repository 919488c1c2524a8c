package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/signin"
	"github.com/samlab-dev/samlab/sp/sts"
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
	// Logger receives both sides' logs (default: discard).
	Logger *slog.Logger
	// Rand is the randomness for IDs and credentials (default crypto/rand).
	Rand io.Reader
}

// Clock is the clock shared by both sides of a lab. A frozen clock stands
// still until advanced, which makes scenario runs exact; a wall clock follows
// real time plus the total advance, which a served lab needs (clients sign
// requests with their own clocks, and sessions must expire).
type Clock struct {
	mu     sync.Mutex
	t      time.Time     // frozen: the time
	offset time.Duration // wall: how far ahead of real time
	wall   bool
}

// NewFrozenClock returns a clock that stands at t until advanced.
func NewFrozenClock(t time.Time) *Clock { return &Clock{t: t.UTC()} }

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
	// SignIn is the console sign-in endpoint (an http.Handler).
	SignIn *signin.Server

	ProviderName string
	ProviderARN  string
	RoleARN      string
	Users        map[string]idp.User
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
	// IdP-initiated SSO to AWS posts to the lab's own console sign-in, served
	// at AWS's path /saml on the lab's address: absolute when the IdP knows its
	// URL, else relative to the IdP's mount point under IDPPrefix.
	signInURL := ".." + SignInPath
	if cfg.IDPBaseURL != "" {
		signInURL = strings.TrimSuffix(strings.TrimSuffix(cfg.IDPBaseURL, "/"), IDPPrefix) + SignInPath
	}
	server, err := idp.New(idp.Config{EntityID: cfg.EntityID, BaseURL: cfg.IDPBaseURL, Users: idp.DemoUsers(),
		AWSSignInURL: signInURL, Keys: cfg.Keys, Now: clock.Now, Rand: cfg.Rand,
		Logger: cfg.Logger.With("component", "idp")})
	if err != nil {
		return nil, err
	}
	acct := iam.NewAccount(iam.Config{ID: cfg.AccountID, Now: clock.Now, Rand: cfg.Rand})
	svc, err := sts.New(sts.Config{Account: acct, Behavior: cfg.Behavior, Now: clock.Now, Rand: cfg.Rand,
		Logger: cfg.Logger.With("component", "sts")})
	if err != nil {
		return nil, err
	}
	console, err := signin.New(signin.Config{STS: svc, Now: clock.Now, Rand: cfg.Rand,
		Logger: cfg.Logger.With("component", "signin")})
	if err != nil {
		return nil, err
	}
	l := &Lab{Clock: clock, IDP: server, Account: acct, STS: svc, SignIn: console, ProviderName: cfg.ProviderName,
		ProviderARN: acct.ProviderARN(cfg.ProviderName)}
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
	demo := idp.DemoUsers()
	for _, name := range demo.Names() {
		if u, ok := demo.User(name); ok && l.Users[name].Name == "" {
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

// LoginInput selects who logs in and how.
type LoginInput struct {
	User    string    // default DefaultUser
	RoleARN string    // default the lab role
	Fault   idp.Fault // default none
	// RedeemAfter is how long the client holds the response before calling
	// AssumeRoleWithSAML (the lab clock advances by it), as CLI tools that
	// cache an assertion do.
	RedeemAfter time.Duration
}

// Login makes the IdP issue a response for the user and redeems it with
// AssumeRoleWithSAML, as a CLI tool such as saml2aws does.
func (l *Lab) Login(ctx context.Context, in LoginInput) (*sts.AssumeRoleWithSAMLOutput, error) {
	if in.User == "" {
		in.User = DefaultUser
	}
	if in.RoleARN == "" {
		in.RoleARN = l.RoleARN
	}
	u, ok := l.Users[in.User]
	if !ok {
		return nil, fmt.Errorf("lab: unknown user %q", in.User)
	}
	resp, err := l.IDP.FaultyResponse(u, idp.ResponseOptions{}, in.Fault)
	if err != nil {
		return nil, err
	}
	if in.RedeemAfter > 0 {
		l.Clock.Advance(in.RedeemAfter)
	}
	return l.STS.AssumeRoleWithSAML(ctx, sts.AssumeRoleWithSAMLInput{
		RoleARN: in.RoleARN, PrincipalARN: l.ProviderARN, SAMLAssertion: resp.Base64(),
	})
}
