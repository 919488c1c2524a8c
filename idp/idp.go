package idp

import (
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/metadata"
)

// AWS endpoints and attribute names (IAM UG "Configure SAML assertions for the
// authentication response").
const (
	AWSSignInURL             = "https://signin.aws.amazon.com/saml"
	AWSAudience              = AWSSignInURL
	AttrRole                 = "https://aws.amazon.com/SAML/Attributes/Role"
	AttrRoleSessionName      = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	AttrSessionDuration      = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	AttrSourceIdentity       = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
	AttrTransitiveTagKeys    = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
	AttrPrincipalTagPrefix   = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
	AttrNameFormatURI        = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
	NameIDFormatPersistent   = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	NameIDFormatTransient    = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
	NameIDFormatEmail        = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	NameIDFormatUnspecified  = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
	defaultAssertionLifetime = 5 * time.Minute
)

// Config configures an IdP. The zero value of every optional field picks the
// default stated on it.
type Config struct {
	// EntityID is the IdP's entityID and the Issuer of its responses. Required.
	EntityID string `yaml:"entity_id"`
	// BaseURL is where the IdP's HTTP endpoints are served; the SSO URL in
	// metadata is BaseURL + "/sso". Optional.
	BaseURL string `yaml:"base_url"`
	// KeyBits is the RSA key size for generated keys (default 2048).
	KeyBits int `yaml:"key_bits"`
	// Signing is the default signing configuration for responses.
	Signing SigningOptions `yaml:"signing"`

	// Key is the initial signing key pair; generated from Keys when nil.
	Key *certs.KeyPair `yaml:"-"`
	// Keys supplies keys for the initial key and rotations (default:
	// certs.GeneratedKeys, fresh keys from crypto/rand).
	Keys certs.KeySource `yaml:"-"`
	// Now is the clock (default time.Now).
	Now func() time.Time `yaml:"-"`
	// Rand supplies IDs and certificate serials (default crypto/rand).
	Rand io.Reader `yaml:"-"`
	// Logger receives operational logs (default: discard).
	Logger *slog.Logger `yaml:"-"`
}

// Server is an IdP. It is safe for concurrent use.
type Server struct {
	cfg    Config
	now    func() time.Time
	rand   io.Reader
	keys   certs.KeySource
	logger *slog.Logger

	mu       sync.RWMutex
	current  *certs.KeyPair
	next     *certs.KeyPair   // published in metadata ahead of a switch (rollover)
	previous []*certs.KeyPair // retired keys, newest first
}

// New returns an IdP for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.EntityID == "" {
		return nil, errors.New("idp: config: entity_id is required")
	}
	s := &Server{cfg: cfg, now: cfg.Now, rand: cfg.Rand, keys: cfg.Keys, logger: cfg.Logger}
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
	s.cfg.Signing = s.cfg.Signing.withDefaults()
	s.current = cfg.Key
	if s.current == nil {
		kp, err := s.newKeyPair()
		if err != nil {
			return nil, fmt.Errorf("idp: initial key: %w", err)
		}
		s.current = kp
	}
	return s, nil
}

// EntityID returns the IdP's entityID.
func (s *Server) EntityID() string { return s.cfg.EntityID }

func (s *Server) newKeyPair() (*certs.KeyPair, error) {
	return certs.New(certs.WithKeySource(s.keys), certs.WithBits(s.cfg.KeyBits),
		certs.WithSubject(s.cfg.EntityID), certs.WithNow(s.now), certs.WithRand(s.rand))
}

// SigningKey returns the key pair that currently signs responses.
func (s *Server) SigningKey() *certs.KeyPair {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.current
}

// Rotate replaces the signing key. If a next key was staged with
// StageRollover it becomes current; otherwise a new key is made. The old key
// is retired and no longer published in metadata, which is what breaks an
// AWS provider whose registered metadata still holds the old certificate.
func (s *Server) Rotate() (*certs.KeyPair, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	nk := s.next
	if nk == nil {
		var err error
		if nk, err = s.newKeyPair(); err != nil {
			return nil, fmt.Errorf("idp: rotate: %w", err)
		}
	}
	s.previous = append([]*certs.KeyPair{s.current}, s.previous...)
	s.current, s.next = nk, nil
	s.logger.Info("signing key rotated", "fingerprint_sha1", certs.FingerprintSHA1(nk.Cert))
	return nk, nil
}

// StageRollover makes the next signing key now and publishes it in metadata
// beside the current one, without signing with it yet. This is the safe
// rotation: update the provider in IAM with the two-key metadata, then Rotate.
func (s *Server) StageRollover() (*certs.KeyPair, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next != nil {
		return s.next, nil
	}
	nk, err := s.newKeyPair()
	if err != nil {
		return nil, fmt.Errorf("idp: stage rollover: %w", err)
	}
	s.next = nk
	return nk, nil
}

// UseKey makes kp the signing key and retires the current one.
func (s *Server) UseKey(kp *certs.KeyPair) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.previous = append([]*certs.KeyPair{s.current}, s.previous...)
	s.current = kp
}

// PublishedCerts returns the signing certificates that metadata publishes:
// the current one, then the staged next one if any.
func (s *Server) PublishedCerts() []*x509.Certificate {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []*x509.Certificate{s.current.Cert}
	if s.next != nil {
		out = append(out, s.next.Cert)
	}
	return out
}

// SSOURL returns the SingleSignOnService location published in metadata.
func (s *Server) SSOURL() string {
	if s.cfg.BaseURL == "" {
		return ""
	}
	return s.cfg.BaseURL + "/sso"
}

// Metadata returns the IdP's current metadata document.
func (s *Server) Metadata() ([]byte, error) {
	return metadata.Build(metadata.IDP{
		EntityID:      s.cfg.EntityID,
		SSOURL:        s.SSOURL(),
		SigningCerts:  s.PublishedCerts(),
		NameIDFormats: []string{NameIDFormatPersistent, NameIDFormatTransient, NameIDFormatEmail, NameIDFormatUnspecified},
	})
}
