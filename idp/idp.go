package idp

import (
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/samlab-dev/samlab/awssaml"
	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/metadata"
)

// AWS endpoints and attribute names (IAM UG "Configure SAML assertions for the
// authentication response").
const (
	AWSSignInURL           = "https://signin.aws.amazon.com/saml"
	AWSAudience            = AWSSignInURL
	AWSEntityID            = "urn:amazon:webservices"
	AttrRole               = awssaml.AttrRole
	AttrRoleSessionName    = awssaml.AttrRoleSessionName
	AttrSessionDuration    = awssaml.AttrSessionDuration
	AttrSourceIdentity     = awssaml.AttrSourceIdentity
	AttrTransitiveTagKeys  = awssaml.AttrTransitiveTagKeys
	AttrPrincipalTagPrefix = awssaml.AttrPrincipalTagPrefix
	AttrNameFormatURI      = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
	AttrNameFormatBasic    = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
	// AttrUID and AttrMail are the eduPerson/LDAP OIDs of uid and mail, sent
	// to generic SPs.
	AttrUID                 = "urn:oid:0.9.2342.19200300100.1.1"
	AttrMail                = "urn:oid:0.9.2342.19200300100.1.3"
	NameIDFormatPersistent  = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	NameIDFormatTransient   = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
	NameIDFormatEmail       = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	NameIDFormatUnspecified = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
	nameIDFormatEntity      = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
	nsAssertion             = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsProtocol              = "urn:oasis:names:tc:SAML:2.0:protocol"

	defaultAssertionLifetime = 5 * time.Minute
	defaultSessionLifetime   = 8 * time.Hour
)

// NameIDFormats lists the NameID formats the IdP can issue.
func NameIDFormats() []string {
	return []string{NameIDFormatPersistent, NameIDFormatTransient, NameIDFormatEmail, NameIDFormatUnspecified}
}

// Config configures an IdP. The zero value of every optional field picks the
// default stated on it.
type Config struct {
	// EntityID is the IdP's entityID and the Issuer of its responses. Required.
	EntityID string `yaml:"entity_id"`
	// BaseURL is where the IdP's HTTP endpoints are served, without a
	// trailing slash; the SSO URL in metadata is BaseURL + "/sso". Optional,
	// but SP-initiated SSO checks AuthnRequest Destination only when set.
	BaseURL string `yaml:"base_url"`
	// AWSSignInURL is where IdP-initiated SSO to AWS posts the response
	// (default AWSSignInURL). Point it at a local sign-in endpoint to use the
	// mock console; a relative reference such as "../saml" is taken
	// relative to the IdP's root (where /metadata is), for an IdP mounted
	// beside the console. The assertion's Recipient stays AWSSignInURL, the value AWS
	// checks, unless ResponseOptions.Recipient says otherwise.
	AWSSignInURL string `yaml:"aws_signin_url"`
	// KeyBits is the RSA key size for generated keys (default 2048; 3072 and
	// 4096 work as well).
	KeyBits int `yaml:"key_bits"`
	// KeyValidity is the validity period of generated certificates (default
	// certs.DefaultValidity).
	KeyValidity time.Duration `yaml:"key_validity"`
	// Signing is the default signing configuration for responses.
	Signing SigningOptions `yaml:"signing"`
	// SessionLifetime is how long a login session lasts (default 8 hours).
	SessionLifetime time.Duration `yaml:"session_lifetime"`
	// Fault is injected into every response the IdP issues over HTTP for AWS
	// (IdP-initiated SSO, GET /assertion), so a served lab can start broken
	// (default FaultNone; see Server.SetFault).
	Fault Fault `yaml:"fault"`

	// Users are the accounts that can log in (default: none; DemoUsers is
	// the built-in demo directory).
	Users *Directory `yaml:"-"`
	// ServiceProviders are SP metadata documents registered at start, for
	// SP-initiated SSO. More can be added with RegisterSP.
	ServiceProviders [][]byte `yaml:"-"`
	// Keyring is the initial set of keys; when nil, Key (or a generated key)
	// becomes the only key.
	Keyring *Keyring `yaml:"-"`
	// Key is the initial signing key pair when Keyring is nil; generated from
	// Keys when nil too.
	Key *certs.KeyPair `yaml:"-"`
	// Keys supplies keys for the initial key and rotations (default:
	// certs.GeneratedKeys, fresh keys from crypto/rand).
	Keys certs.KeySource `yaml:"-"`
	// Now is the clock (default time.Now).
	Now func() time.Time `yaml:"-"`
	// Rand supplies IDs, session tokens and certificate serials (default
	// crypto/rand).
	Rand io.Reader `yaml:"-"`
	// Logger receives operational logs (default: discard).
	Logger *slog.Logger `yaml:"-"`
}

// Validate reports every problem in cfg at once.
func (c Config) Validate() error {
	var errs []error
	if c.EntityID == "" {
		errs = append(errs, errors.New("entity_id is required"))
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("base_url %q is not an http(s) URL", c.BaseURL))
		}
	}
	if c.AWSSignInURL != "" {
		u, err := url.Parse(c.AWSSignInURL)
		absolute := err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
		relative := err == nil && u.Scheme == "" && u.Host == "" && u.Path != ""
		if !absolute && !relative {
			errs = append(errs, fmt.Errorf("aws_signin_url %q is neither an http(s) URL nor a relative path", c.AWSSignInURL))
		}
	}
	if _, err := ParseFault(string(c.Fault)); err != nil {
		errs = append(errs, fmt.Errorf("fault: %w", err))
	}
	if c.KeyBits != 0 && c.KeyBits < certs.MinBits {
		errs = append(errs, fmt.Errorf("key_bits %d is below %d", c.KeyBits, certs.MinBits))
	}
	if err := c.Signing.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Keyring != nil && c.Keyring.Current == nil {
		errs = append(errs, errors.New("keyring has no current key"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("idp: config: %w", err)
	}
	return nil
}

// Server is an IdP: an http.Handler for login, SSO and metadata, and the
// builder of signed responses. It is safe for concurrent use.
type Server struct {
	cfg    Config
	now    func() time.Time
	rand   io.Reader
	keys   certs.KeySource
	logger *slog.Logger
	awsACS string
	mux    *http.ServeMux

	mu    sync.RWMutex // guards ring, sps, fault and users
	ring  *Keyring
	sps   map[string]*ServiceProvider
	fault Fault
	users *Directory // starts as cfg.Users

	sessions sessionStore
}

// New returns an IdP for cfg. It returns the problems of cfg (Validate), and
// errors making the initial key or parsing ServiceProviders.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	s := &Server{cfg: cfg, now: cfg.Now, rand: cfg.Rand, keys: cfg.Keys, logger: cfg.Logger,
		awsACS: cfg.AWSSignInURL, sps: map[string]*ServiceProvider{}, fault: cfg.Fault, users: cfg.Users}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.keys == nil {
		s.keys = certs.GeneratedKeys{}
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.awsACS == "" {
		s.awsACS = AWSSignInURL
	}
	if s.cfg.SessionLifetime == 0 {
		s.cfg.SessionLifetime = defaultSessionLifetime
	}
	s.cfg.Signing = s.cfg.Signing.withDefaults()
	s.sessions = sessionStore{m: map[string]session{}}
	switch {
	case cfg.Keyring != nil:
		s.ring = cfg.Keyring.clone()
	case cfg.Key != nil:
		s.ring = &Keyring{Current: cfg.Key}
	default:
		kp, err := s.NewKeyPair()
		if err != nil {
			return nil, fmt.Errorf("idp: initial key: %w", err)
		}
		s.ring = &Keyring{Current: kp}
	}
	for i, md := range cfg.ServiceProviders {
		if _, err := s.RegisterSP(md); err != nil {
			return nil, fmt.Errorf("idp: service provider %d: %w", i+1, err)
		}
	}
	s.mux = s.routes()
	return s, nil
}

// EntityID returns the IdP's entityID.
func (s *Server) EntityID() string { return s.cfg.EntityID }

// Users returns the IdP's user directory (nil when it has none).
func (s *Server) Users() *Directory {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.users
}

// SetUser replaces (or adds) a user of the IdP's directory, as an IdP
// administrator changes a user's attributes: logins from now on get u. The
// user keeps their password; a new user gets passwordOf's (see
// Directory.WithUser). Sessions of u already open see the change.
func (s *Server) SetUser(u User, passwordOf string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users = s.users.WithUser(u, passwordOf)
}

// NewKeyPair makes a key pair the way the IdP makes its own: KeyBits, the
// entityID as subject, KeyValidity from now.
func (s *Server) NewKeyPair() (*certs.KeyPair, error) {
	opts := []certs.Option{certs.WithKeySource(s.keys), certs.WithBits(s.cfg.KeyBits),
		certs.WithSubject(s.cfg.EntityID), certs.WithNow(s.now), certs.WithRand(s.rand)}
	if s.cfg.KeyValidity > 0 {
		now := s.now().UTC().Truncate(time.Second)
		opts = append(opts, certs.WithValidity(now.Add(-time.Hour), now.Add(s.cfg.KeyValidity)))
	}
	return certs.New(opts...)
}

// SigningKey returns the key pair that currently signs responses.
func (s *Server) SigningKey() *certs.KeyPair {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.ring.Current
}

// Keyring returns a snapshot of the IdP's keys.
func (s *Server) Keyring() *Keyring {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.ring.clone()
}

// PreviousKey returns the most recently retired key, or nil when the IdP has
// never rotated.
func (s *Server) PreviousKey() *certs.KeyPair {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.ring.Previous) == 0 {
		return nil
	}
	return s.ring.Previous[0]
}

// Rotate replaces the signing key. If a next key was staged with
// StageRollover it becomes current; otherwise a new key is made. The old key
// is retired and no longer published in metadata, which is what breaks an
// AWS provider whose registered metadata still holds the old certificate.
func (s *Server) Rotate() (*certs.KeyPair, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var fresh *certs.KeyPair
	if s.ring.Next == nil {
		var err error
		if fresh, err = s.NewKeyPair(); err != nil {
			return nil, fmt.Errorf("idp: rotate: %w", err)
		}
	}
	nk, err := s.ring.Rotate(fresh)
	if err != nil {
		return nil, err
	}
	s.logger.Info("signing key rotated", "fingerprint_sha1", certs.FingerprintSHA1(nk.Cert))
	return nk, nil
}

// StageRollover makes the next signing key now and publishes it in metadata
// beside the current one, without signing with it yet. This is the safe
// rotation: update the provider in IAM with the two-key metadata, then Rotate.
// A key already staged is returned as is.
func (s *Server) StageRollover() (*certs.KeyPair, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ring.Next != nil {
		return s.ring.Next, nil
	}
	nk, err := s.NewKeyPair()
	if err != nil {
		return nil, fmt.Errorf("idp: stage rollover: %w", err)
	}
	return s.ring.Stage(nk), nil
}

// StageKey publishes kp as the next key, like StageRollover, unless a next
// key is already staged; it returns the staged key. Use it to stage a key
// made elsewhere, for example one whose certificate has already expired.
func (s *Server) StageKey(kp *certs.KeyPair) *certs.KeyPair {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ring.Stage(kp)
}

// UseKey makes kp the signing key at once and retires the current one (for
// example an already-expired certificate made with certs.WithValidity).
func (s *Server) UseKey(kp *certs.KeyPair) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.ring.Next
	s.ring.Next = nil
	_, _ = s.ring.Rotate(kp)
	s.ring.Next = next
}

// PublishedCerts returns the signing certificates that metadata publishes:
// the current one, then the staged next one if any.
func (s *Server) PublishedCerts() []*x509.Certificate {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.ring.Published()
}

// SSOURL returns the SingleSignOnService location published in metadata.
func (s *Server) SSOURL() string {
	if s.cfg.BaseURL == "" {
		return ""
	}
	return s.cfg.BaseURL + "/sso"
}

// AWSSignInURL returns where IdP-initiated SSO to AWS posts responses.
func (s *Server) AWSSignInURL() string { return s.awsACS }

// Metadata returns the IdP's current metadata document: entityID, the
// published signing certificates (two during a rollover), NameID formats and
// the SSO endpoints when BaseURL is set.
func (s *Server) Metadata() ([]byte, error) {
	return metadata.Build(metadata.IDP{
		EntityID:      s.cfg.EntityID,
		SSOURL:        s.SSOURL(),
		SigningCerts:  s.PublishedCerts(),
		NameIDFormats: NameIDFormats(),
	})
}
