package oidc

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/samlab-dev/samlab/idp"
)

// maxFormSize bounds POSTed forms.
const maxFormSize = 64 << 10

// ServeHTTP implements http.Handler.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.mux.ServeHTTP(w, r) }

// routes lists every endpoint, relative to the issuer URL.
func (p *Provider) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.handleDiscovery)
	mux.HandleFunc("GET /jwks", p.handleJWKS)
	mux.HandleFunc("GET /authorize", p.handleAuthorize)
	mux.HandleFunc("POST /authorize", p.handleAuthorize)
	mux.HandleFunc("POST /token", p.handleToken)
	mux.HandleFunc("GET /userinfo", p.handleUserInfo)
	mux.HandleFunc("POST /userinfo", p.handleUserInfo)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, &Error{Code: "not_found", Description: "there is no endpoint at " + r.URL.Path})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (p *Provider) handleDiscovery(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, p.Discovery())
}

// handleJWKS serves the published keys. max-age is short so that relying
// parties that honour it see a rollover within a minute.
func (p *Provider) handleJWKS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "public, max-age=60")
	writeJSON(w, http.StatusOK, p.JWKS())
}

// authCode is an issued authorization code.
type authCode struct {
	clientID, redirectURI, user string
	nonce, challenge, scope     string
	authTime, expires           time.Time
	used                        bool
}

// codeStore keeps authorization codes in memory, keyed by the code.
type codeStore struct {
	mu sync.Mutex // guards m
	m  map[string]*authCode
}

// renderPage shows an error to the user (not to the client): the
// authorization errors that must not be redirected.
func (p *Provider) renderPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p.logger.InfoContext(r.Context(), "oidc authorization refused", "path", r.URL.Path, "reason", msg)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("samlab OpenID Connect provider: " + msg + "\n"))
}

// redirectTo sends the browser to the client's redirect_uri with params
// added to its query.
func redirectTo(w http.ResponseWriter, redirectURI string, params url.Values) {
	u, _ := url.Parse(redirectURI) // checked by ParseAuthorizationRequest
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Location", u.String())
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusSeeOther)
}

func (p *Provider) redirectError(w http.ResponseWriter, r *http.Request, req *AuthorizationRequest, e *Error) {
	p.logger.InfoContext(r.Context(), "oidc authorization error", "client_id", req.ClientID, "error", e.Code, "reason", e.Description)
	v := url.Values{"error": {e.Code}, "error_description": {e.Description}, "iss": {p.cfg.Issuer}}
	if req.State != "" {
		v.Set("state", req.State)
	}
	redirectTo(w, req.RedirectURI, v)
}

// redirectAllowed reports whether uri is one of the client's redirect URIs:
// an exact match, or for http loopback IP literals a match in all but the
// port (RFC 8252 §7.3).
func (c Client) redirectAllowed(uri string) bool {
	if slices.Contains(c.RedirectURIs, uri) {
		return true
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" || !isLoopbackIP(u.Hostname()) {
		return false
	}
	for _, reg := range c.RedirectURIs {
		ru, err := url.Parse(reg)
		if err == nil && ru.Scheme == "http" && ru.Hostname() == u.Hostname() &&
			ru.EscapedPath() == u.EscapedPath() && ru.RawQuery == u.RawQuery && u.User == nil {
			return true
		}
	}
	return false
}

func isLoopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// handleAuthorize is the authorization endpoint (RFC 6749 §4.1.1 with
// PKCE): it sends a browser without a session to the IdP's login page and
// back, then redirects to the client with a one-time code.
func (p *Provider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
		if err := r.ParseForm(); err != nil {
			p.renderPage(w, r, http.StatusBadRequest, "the authorization form could not be read")
			return
		}
		q = r.PostForm
	}
	req, err := ParseAuthorizationRequest(q)
	var oe *Error
	if errors.As(err, &oe) && !oe.Redirect {
		p.renderPage(w, r, http.StatusBadRequest, oe.Description)
		return
	}
	client, ok := p.clients[req.ClientID]
	if !ok {
		p.renderPage(w, r, http.StatusBadRequest, "unknown client_id "+strconv.Quote(req.ClientID))
		return
	}
	if !client.redirectAllowed(req.RedirectURI) {
		p.renderPage(w, r, http.StatusBadRequest, "redirect_uri "+strconv.Quote(req.RedirectURI)+" is not registered for client "+strconv.Quote(req.ClientID))
		return
	}
	if oe != nil {
		p.redirectError(w, r, req, oe)
		return
	}
	var u idp.User
	loggedIn := false
	if p.cfg.Sessions != nil {
		u, loggedIn = p.cfg.Sessions.SessionUser(r)
	}
	prompts := strings.Fields(req.Prompt)
	if loggedIn && slices.Contains(prompts, "login") {
		loggedIn = false
	}
	if !loggedIn {
		switch {
		case slices.Contains(prompts, "none"):
			p.redirectError(w, r, req, errorf(ErrLoginRequired, "nobody is logged in"))
		case p.cfg.Sessions == nil:
			p.redirectError(w, r, req, errorf(ErrLoginRequired, "this provider has no login page; use the password grant"))
		default:
			// Back through the IdP's login page, which returns to a path
			// relative to its own root; prompt=login is dropped so the
			// fresh login is not asked for again.
			back := *req
			back.Prompt = strings.Join(slices.DeleteFunc(prompts, func(s string) bool { return s == "login" }), " ")
			ret := MountPath + "/authorize?" + back.Values().Encode()
			w.Header().Set("Location", "../login?return="+url.QueryEscape(ret))
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusSeeOther)
		}
		return
	}
	if _, known := p.cfg.Users.User(u.Name); !known {
		p.redirectError(w, r, req, errorf(ErrAccessDenied, "user %q is not in the provider's directory", u.Name))
		return
	}
	code, err := p.randomString(32)
	if err != nil {
		p.redirectError(w, r, req, errorf(ErrServerError, "no code could be made"))
		return
	}
	now := p.now()
	p.codes.mu.Lock()
	for k, c := range p.codes.m { // drop expired codes
		if now.After(c.expires) {
			delete(p.codes.m, k)
		}
	}
	p.codes.m[code] = &authCode{clientID: req.ClientID, redirectURI: req.RedirectURI, user: u.Name, nonce: req.Nonce,
		challenge: req.CodeChallenge, scope: req.Scope, authTime: now, expires: now.Add(p.cfg.CodeLifetime)}
	p.codes.mu.Unlock()
	p.logger.InfoContext(r.Context(), "oidc code issued", "client_id", req.ClientID, "user", u.Name)
	v := url.Values{"code": {code}, "iss": {p.cfg.Issuer}}
	if req.State != "" {
		v.Set("state", req.State)
	}
	redirectTo(w, req.RedirectURI, v)
}

// TokenResponse is the token endpoint's success body (RFC 6749 §5.1,
// OpenID Connect Core §3.1.3.3).
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	IDToken     string `json:"id_token"`
	Scope       string `json:"scope,omitempty"`
}

// writeTokenJSON writes a token-endpoint body, never to be cached (RFC 6749
// §5.1).
func writeTokenJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, status, v)
}

func (p *Provider) tokenError(w http.ResponseWriter, r *http.Request, req *TokenRequest, e *Error) {
	attrs := []any{"error", e.Code, "reason", e.Description}
	if req != nil {
		attrs = append(attrs, "client_id", req.ClientID, "grant_type", req.GrantType)
	}
	p.logger.InfoContext(r.Context(), "oidc token refused", attrs...)
	if e.Status == http.StatusUnauthorized && req != nil && req.BasicAuth {
		w.Header().Set("WWW-Authenticate", `Basic realm="samlab"`)
	}
	writeTokenJSON(w, e.Status, e)
}

// handleToken is the token endpoint: the authorization_code grant (with
// PKCE) for browsers and the password grant for scripts.
func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		p.tokenError(w, r, nil, errorf(ErrInvalidRequest, "the body must be application/x-www-form-urlencoded"))
		return
	}
	if err := r.ParseForm(); err != nil {
		p.tokenError(w, r, nil, errorf(ErrInvalidRequest, "the form could not be read"))
		return
	}
	if len(r.URL.Query()) > 0 {
		p.tokenError(w, r, nil, errorf(ErrInvalidRequest, "parameters belong in the body, not the query"))
		return
	}
	req, err := ParseTokenRequest(r.PostForm, r.Header.Get("Authorization"))
	if err != nil {
		var oe *Error
		errors.As(err, &oe)
		p.tokenError(w, r, nil, oe)
		return
	}
	if e := p.authenticateClient(req); e != nil {
		p.tokenError(w, r, req, e)
		return
	}
	var resp *TokenResponse
	var e *Error
	switch req.GrantType {
	case grantAuthorizationCode:
		resp, e = p.redeemCode(req)
	case grantPassword:
		resp, e = p.passwordGrant(req)
	}
	if e != nil {
		p.tokenError(w, r, req, e)
		return
	}
	p.logger.InfoContext(r.Context(), "oidc tokens issued", "client_id", req.ClientID, "grant_type", req.GrantType)
	writeTokenJSON(w, http.StatusOK, resp)
}

// authenticateClient checks the client of a token request. Registered
// confidential clients must send their secret. The authorization_code grant
// needs a registered client; the password grant also takes any other
// client_id as the audience of a public client, so scripts can mint tokens
// for whatever client ID a relying party (an IAM OIDC provider) expects.
func (p *Provider) authenticateClient(req *TokenRequest) *Error {
	c, ok := p.clients[req.ClientID]
	switch {
	case !ok && req.GrantType == grantAuthorizationCode:
		return errorf(ErrInvalidClient, "unknown client_id %q", req.ClientID)
	case !ok:
		if req.ClientSecret != "" {
			return errorf(ErrInvalidClient, "client %q is not registered and has no secret", req.ClientID)
		}
		return nil
	case c.Secret == "" && req.ClientSecret != "":
		return errorf(ErrInvalidClient, "client %q is public and has no secret", req.ClientID)
	case c.Secret != "" && subtle.ConstantTimeCompare([]byte(c.Secret), []byte(req.ClientSecret)) != 1:
		return errorf(ErrInvalidClient, "client authentication failed for %q", req.ClientID)
	}
	return nil
}

// redeemCode exchanges an authorization code. A code is redeemed at most
// once: the first attempt consumes it whatever its outcome, so a stolen code
// cannot be tried again with other verifiers.
func (p *Provider) redeemCode(req *TokenRequest) (*TokenResponse, *Error) {
	now := p.now()
	p.codes.mu.Lock()
	c, ok := p.codes.m[req.Code]
	var used bool
	if ok {
		used, c.used = c.used, true
	}
	p.codes.mu.Unlock()
	switch {
	case !ok:
		return nil, errorf(ErrInvalidGrant, "the authorization code is invalid or has expired")
	case used:
		return nil, errorf(ErrInvalidGrant, "the authorization code was already used")
	case now.After(c.expires):
		return nil, errorf(ErrInvalidGrant, "the authorization code has expired")
	case c.clientID != req.ClientID:
		return nil, errorf(ErrInvalidGrant, "the authorization code was issued to another client")
	case c.redirectURI != req.RedirectURI:
		return nil, errorf(ErrInvalidGrant, "redirect_uri does not match the authorization request's")
	case subtle.ConstantTimeCompare([]byte(s256(req.CodeVerifier)), []byte(c.challenge)) != 1:
		return nil, errorf(ErrInvalidGrant, "code_verifier does not match the code_challenge")
	}
	u, ok := p.cfg.Users.User(c.user)
	if !ok {
		return nil, errorf(ErrInvalidGrant, "the user of the authorization code no longer exists")
	}
	return p.issue(u, req.ClientID, c.scope, c.nonce, c.authTime, FaultNone)
}

func (p *Provider) passwordGrant(req *TokenRequest) (*TokenResponse, *Error) {
	u, err := p.cfg.Users.Authenticate(req.Username, req.Password)
	if err != nil {
		return nil, errorf(ErrInvalidGrant, "invalid username or password")
	}
	return p.issue(u, req.ClientID, req.Scope, "", time.Time{}, req.Fault)
}

func (p *Provider) issue(u idp.User, clientID, scope, nonce string, authTime time.Time, f Fault) (*TokenResponse, *Error) {
	now := p.now()
	at, err := p.accessToken(u.Name, clientID, scope, now)
	if err != nil {
		p.logger.Warn("oidc access token", "error", err)
		return nil, &Error{Code: ErrServerError, Description: "the access token could not be issued", Status: http.StatusInternalServerError}
	}
	idt, err := p.IDToken(u, TokenOptions{Audience: clientID, Nonce: nonce, AuthTime: authTime, AccessToken: at, Now: now, Fault: f})
	if errors.Is(err, ErrNoPreviousKey) {
		return nil, errorf(ErrInvalidRequest, "fault %s: %v", f, ErrNoPreviousKey)
	}
	if err != nil {
		p.logger.Warn("oidc id token", "error", err)
		return nil, &Error{Code: ErrServerError, Description: "the ID token could not be issued", Status: http.StatusInternalServerError}
	}
	return &TokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: int64(p.cfg.AccessTokenLifetime / time.Second),
		IDToken: idt, Scope: scope}, nil
}

// handleUserInfo returns the claims of the access token's user (OpenID
// Connect Core §5.3); bad tokens get RFC 6750's 401.
func (p *Provider) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	refuse := func(desc string) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+desc+`"`)
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusUnauthorized, &Error{Code: "invalid_token", Description: desc})
	}
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		refuse("a Bearer access token is required")
		return
	}
	c, err := p.verifyAccessToken(strings.TrimSpace(tok))
	if err != nil {
		p.logger.InfoContext(r.Context(), "oidc userinfo refused", "error", err)
		refuse("the access token is invalid or has expired")
		return
	}
	u, ok := p.cfg.Users.User(c.Subject)
	if !ok {
		refuse("the access token's user no longer exists")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, UserClaims(u))
}
