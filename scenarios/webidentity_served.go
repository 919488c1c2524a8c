package scenarios

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/samlab-dev/samlab/idp/oidc"
)

// ServedOIDCClient is the relying party of the authorization-code flow that
// a served lab's OpenID Connect provider knows: samlab up's demo client, a
// public client (PKCE, no secret) whose redirect URI is on loopback, where
// any port is accepted (RFC 8252 §7.3).
var ServedOIDCClient = oidc.Client{ID: "samlab-demo", RedirectURIs: []string{"http://127.0.0.1/callback"}}

// startServedOIDCLocked makes the lab's OpenID Connect provider for the
// issuer of LabConfig.OIDCIssuer, served by whoever serves the lab
// (OIDCHandler) rather than on a listener of the lab's own. It shares the
// IdP's login, so the authorization-code flow works in a browser too. The
// caller holds w.mu.
func (l *Lab) startServedOIDCLocked(w *webState, s OIDCSetup) (*oidc.Provider, error) {
	issuer := strings.TrimSuffix(l.state.cfg.OIDCIssuer, "/")
	if s.TLS && !strings.HasPrefix(issuer, "https://") {
		return nil, fmt.Errorf("lab: setup.oidc.tls: the lab serves its issuer at %s, not over https", issuer)
	}
	p, err := oidc.New(oidc.Config{Issuer: issuer, Algorithm: s.Algorithm, IDTokenLifetime: s.TokenLifetime,
		Clients: []oidc.Client{ServedOIDCClient}, Users: l.IDP.Users(), Sessions: l.IDP, Keys: l.state.cfg.Keys, Now: l.Clock.Now, Rand: l.state.cfg.Rand,
		Logger: l.state.cfg.Logger.With("component", "oidc")})
	if err != nil {
		return nil, fmt.Errorf("lab: oidc: %w", err)
	}
	if strings.HasPrefix(issuer, "http://") {
		l.Account.SetInsecureHTTPIssuers(true)
	}
	w.provider, w.issuer = p, issuer
	return p, nil
}

// ErrOIDCNotServed is returned by OIDCHandler for a lab that serves its
// OpenID Connect provider itself (no LabConfig.OIDCIssuer).
var ErrOIDCNotServed = errors.New("lab: the OpenID Connect provider has a listener of its own (LabConfig.OIDCIssuer is not set)")

// OIDCHandler returns the lab's OpenID Connect provider as a handler for
// requests whose paths are relative to the issuer's (discovery at
// /.well-known/openid-configuration, the JWKS, authorize and token), for a
// lab built with LabConfig.OIDCIssuer; block-oidc-issuer steps make it
// answer 503. It returns ErrNoOIDC before StartOIDC (a lab without
// setup.oidc).
func (l *Lab) OIDCHandler() (http.Handler, error) {
	if l.state.cfg.OIDCIssuer == "" {
		return nil, ErrOIDCNotServed
	}
	p, _, err := l.oidcProvider()
	if err != nil {
		return nil, err
	}
	return l.web().gate(p), nil
}
