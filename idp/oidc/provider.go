package oidc

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/idp"
)

// MountPath is where the provider is served relative to the SAML IdP's root
// (the directory of its /login page): the browser is sent to "../login" to
// log in and comes back to MountPath + "/authorize".
const MountPath = "oidc"

// Defaults.
const (
	DefaultIDTokenLifetime     = time.Hour
	DefaultAccessTokenLifetime = time.Hour
	DefaultCodeLifetime        = time.Minute
)

// Sessions is the login the provider shares with the SAML IdP:
// *idp.Server implements it.
type Sessions interface {
	// SessionUser returns the user logged in on the request, if any.
	SessionUser(r *http.Request) (idp.User, bool)
}

// Client is a registered relying party.
type Client struct {
	// ID is the client_id and the aud of its ID tokens.
	ID string `yaml:"id"`
	// RedirectURIs are the exact redirect_uri values the client may use. For
	// http URIs on a loopback IP literal (127.0.0.1, [::1]) the port is not
	// compared, as native apps choose it at run time (RFC 8252 §7.3).
	RedirectURIs []string `yaml:"redirect_uris"`
	// Secret, when set, makes the client confidential: the token endpoint
	// then requires it (client_secret_basic or client_secret_post). Public
	// clients (no secret) must use PKCE.
	Secret string `yaml:"secret"`
}

// Config configures a Provider. The zero value of every optional field
// picks the default stated on it.
type Config struct {
	// Issuer is the iss of every token and the URL under which discovery is
	// served (Issuer + "/.well-known/openid-configuration"): an http(s) URL
	// without query, fragment or trailing slash. Required.
	Issuer string `yaml:"issuer"`
	// Algorithm signs ID and access tokens (default RS256; see Algorithms).
	Algorithm string `yaml:"algorithm"`
	// KeyBits is the RSA key size for generated RSA keys (default 2048).
	KeyBits int `yaml:"key_bits"`
	// Clients are the registered relying parties of the authorization-code
	// flow.
	Clients []Client `yaml:"clients"`
	// IDTokenLifetime is how long ID tokens are valid (default 1 hour).
	IDTokenLifetime time.Duration `yaml:"id_token_lifetime"`
	// AccessTokenLifetime is how long access tokens are valid (default 1 hour).
	AccessTokenLifetime time.Duration `yaml:"access_token_lifetime"`
	// CodeLifetime is how long an authorization code can be redeemed
	// (default 1 minute; RFC 6749 §4.1.2 recommends at most 10).
	CodeLifetime time.Duration `yaml:"code_lifetime"`

	// Users are the accounts tokens are issued for: the SAML IdP's
	// directory. Required.
	Users *idp.Directory `yaml:"-"`
	// Sessions is the SAML IdP's login, used by the authorization endpoint
	// (default: none, and browsers cannot log in; the password grant still
	// works).
	Sessions Sessions `yaml:"-"`
	// Keyring is the initial set of keys; when nil a key for Algorithm is
	// made.
	Keyring *Keyring `yaml:"-"`
	// Keys supplies RSA keys for the initial key and rotations (default
	// certs.GeneratedKeys).
	Keys certs.KeySource `yaml:"-"`
	// Now is the clock (default time.Now).
	Now func() time.Time `yaml:"-"`
	// Rand supplies codes, token IDs and non-RSA keys (default crypto/rand).
	Rand io.Reader `yaml:"-"`
	// Logger receives operational logs (default: discard).
	Logger *slog.Logger `yaml:"-"`
}

// Validate reports every problem in c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Issuer == "" {
		errs = append(errs, errors.New("issuer is required"))
	} else if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(c.Issuer, "/") {
		errs = append(errs, fmt.Errorf("issuer %q is not an http(s) URL without query, fragment and trailing slash", c.Issuer))
	}
	alg, err := ParseAlgorithm(c.Algorithm)
	if err != nil {
		errs = append(errs, fmt.Errorf("algorithm: %w", err))
	}
	if c.KeyBits != 0 && c.KeyBits < certs.MinBits {
		errs = append(errs, fmt.Errorf("key_bits %d is below %d", c.KeyBits, certs.MinBits))
	}
	if c.Users == nil {
		errs = append(errs, errors.New("users are required"))
	}
	if c.Keyring != nil {
		if c.Keyring.Current == nil {
			errs = append(errs, errors.New("keyring has no current key"))
		} else if err == nil && c.Algorithm != "" && c.Keyring.Current.Algorithm != alg {
			errs = append(errs, fmt.Errorf("algorithm %s differs from the keyring's current key (%s)", alg, c.Keyring.Current.Algorithm))
		}
	}
	seen := map[string]bool{}
	for i, cl := range c.Clients {
		if cl.ID == "" {
			errs = append(errs, fmt.Errorf("client %d: id is required", i+1))
		}
		if seen[cl.ID] {
			errs = append(errs, fmt.Errorf("client %q is registered twice", cl.ID))
		}
		seen[cl.ID] = true
		for _, ru := range cl.RedirectURIs {
			if u, err := url.Parse(ru); err != nil || !u.IsAbs() || u.Fragment != "" {
				errs = append(errs, fmt.Errorf("client %q: redirect_uri %q is not an absolute URI without fragment", cl.ID, ru))
			}
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"id_token_lifetime", c.IDTokenLifetime}, {"access_token_lifetime", c.AccessTokenLifetime}, {"code_lifetime", c.CodeLifetime}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s %v is negative", d.name, d.v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("oidc: config: %w", err)
	}
	return nil
}

// Provider is an OpenID Connect provider for the SAML IdP's users: an
// http.Handler for discovery, JWKS, authorization, token and userinfo
// endpoints, and the issuer of signed ID tokens. It is safe for concurrent
// use.
type Provider struct {
	cfg     Config
	alg     jose.SignatureAlgorithm
	now     func() time.Time
	rand    io.Reader
	logger  *slog.Logger
	clients map[string]Client
	mux     *http.ServeMux

	mu   sync.RWMutex // guards ring
	ring *Keyring

	codes codeStore
}

// New returns a provider for cfg. It returns the problems of cfg (Validate)
// and errors making the initial key.
func New(cfg Config) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Provider{cfg: cfg, now: cfg.Now, rand: cfg.Rand, logger: cfg.Logger, clients: map[string]Client{}}
	p.alg, _ = ParseAlgorithm(cfg.Algorithm)
	if p.now == nil {
		p.now = time.Now
	}
	if p.rand == nil {
		p.rand = rand.Reader
	}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	if p.cfg.Keys == nil {
		p.cfg.Keys = certs.GeneratedKeys{}
	}
	if p.cfg.IDTokenLifetime == 0 {
		p.cfg.IDTokenLifetime = DefaultIDTokenLifetime
	}
	if p.cfg.AccessTokenLifetime == 0 {
		p.cfg.AccessTokenLifetime = DefaultAccessTokenLifetime
	}
	if p.cfg.CodeLifetime == 0 {
		p.cfg.CodeLifetime = DefaultCodeLifetime
	}
	for _, c := range cfg.Clients {
		c.RedirectURIs = slices.Clone(c.RedirectURIs)
		p.clients[c.ID] = c
	}
	if cfg.Keyring != nil {
		p.ring = cfg.Keyring.clone()
		p.alg = p.ring.Current.Algorithm
	} else {
		k, err := p.NewKey()
		if err != nil {
			return nil, err
		}
		p.ring = &Keyring{Current: k}
	}
	p.codes = codeStore{m: map[string]*authCode{}}
	p.mux = p.routes()
	return p, nil
}

// Issuer returns the provider's issuer URL.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

// Algorithm returns the algorithm of the current signing key.
func (p *Provider) Algorithm() jose.SignatureAlgorithm {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.ring.Current.Algorithm
}

// NewKey makes a key for the provider's algorithm.
func (p *Provider) NewKey() (*Key, error) {
	return NewKey(p.alg, p.cfg.Keys, p.cfg.KeyBits, p.rand)
}

// Keyring returns a snapshot of the provider's keys.
func (p *Provider) Keyring() *Keyring {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.ring.clone()
}

// JWKS returns the published keys: the current one, and the next one during
// a rollover.
func (p *Provider) JWKS() jose.JSONWebKeySet {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.ring.JWKS()
}

// Rotate replaces the signing key: a staged next key becomes current, else
// a new key is made. The old key is retired and leaves the JWKS, so tokens
// it signed no longer verify, and a relying party that cached only the old
// key must fetch the JWKS again.
func (p *Provider) Rotate() (*Key, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var fresh *Key
	if p.ring.Next == nil {
		var err error
		if fresh, err = p.NewKey(); err != nil {
			return nil, fmt.Errorf("oidc: rotate: %w", err)
		}
	}
	k, err := p.ring.Rotate(fresh)
	if err != nil {
		return nil, err
	}
	p.logger.Info("oidc signing key rotated", "kid", k.ID)
	return k, nil
}

// StageRollover makes the next key and publishes it in the JWKS beside the
// current one, without signing with it yet (the safe rotation). A key
// already staged is returned as is.
func (p *Provider) StageRollover() (*Key, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ring.Next != nil {
		return p.ring.Next, nil
	}
	k, err := p.NewKey()
	if err != nil {
		return nil, fmt.Errorf("oidc: stage rollover: %w", err)
	}
	return p.ring.Stage(k), nil
}

// Discovery is the provider's metadata document (OpenID Connect Discovery
// 1.0 §3).
type Discovery struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserInfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
	AuthorizationResponseISSParameter bool     `json:"authorization_response_iss_parameter_supported"`
}

// Discovery returns the provider's discovery document. It advertises only
// the current key's algorithm, so relying parties that take their accepted
// algorithms from discovery (go-oidc does) refuse others.
func (p *Provider) Discovery() Discovery {
	iss := p.cfg.Issuer
	return Discovery{
		Issuer:                            iss,
		AuthorizationEndpoint:             iss + "/authorize",
		TokenEndpoint:                     iss + "/token",
		UserInfoEndpoint:                  iss + "/userinfo",
		JWKSURI:                           iss + "/jwks",
		ScopesSupported:                   []string{"openid", "email", "profile", "groups"},
		ResponseTypesSupported:            []string{"code"},
		ResponseModesSupported:            []string{"query"},
		GrantTypesSupported:               []string{grantAuthorizationCode, grantPassword},
		SubjectTypesSupported:             []string{"public"},
		IDTokenSigningAlgValuesSupported:  []string{string(p.Algorithm())},
		TokenEndpointAuthMethodsSupported: []string{"none", "client_secret_basic", "client_secret_post"},
		CodeChallengeMethodsSupported:     []string{"S256"},
		ClaimsSupported: []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp",
			"email", "email_verified", "groups", AWSTagsClaim},
		AuthorizationResponseISSParameter: true,
	}
}
