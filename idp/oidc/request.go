package oidc

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// OAuth 2.0 error codes (RFC 6749 §4.1.2.1 and §5.2; OpenID Connect Core
// §3.1.2.6).
const (
	ErrInvalidRequest          = "invalid_request"
	ErrInvalidClient           = "invalid_client"
	ErrInvalidGrant            = "invalid_grant"
	ErrUnauthorizedClient      = "unauthorized_client"
	ErrUnsupportedGrantType    = "unsupported_grant_type"
	ErrUnsupportedResponseType = "unsupported_response_type"
	ErrInvalidScope            = "invalid_scope"
	ErrAccessDenied            = "access_denied"
	ErrServerError             = "server_error"
	ErrLoginRequired           = "login_required"
	ErrRequestNotSupported     = "request_not_supported"
	ErrRequestURINotSupported  = "request_uri_not_supported"
)

// Error is an OAuth 2.0 error as the wire carries it: rendered as the JSON
// body of a token-endpoint response (RFC 6749 §5.2) or as the query of a
// redirect back to the client (§4.1.2.1).
type Error struct {
	// Code is the "error" value.
	Code string `json:"error"`
	// Description is the "error_description": what was wrong, for the
	// client's developer.
	Description string `json:"error_description,omitempty"`
	// Status is the HTTP status of a token-endpoint response.
	Status int `json:"-"`
	// Redirect is false for authorization-request errors that must not be
	// sent to the redirect_uri (a missing or bad client_id or redirect_uri,
	// RFC 6749 §4.1.2.1): they are shown to the user instead.
	Redirect bool `json:"-"`
}

func (e *Error) Error() string { return "oidc: " + e.Code + ": " + e.Description }

func errorf(code string, format string, args ...any) *Error {
	status := http.StatusBadRequest
	if code == ErrInvalidClient {
		status = http.StatusUnauthorized
	}
	return &Error{Code: code, Description: fmt.Sprintf(format, args...), Status: status, Redirect: true}
}

// maxParam bounds every request parameter.
const maxParam = 4096

// single returns the one value of a parameter; repeated or oversized
// parameters are errors (RFC 6749 §3.1: parameters MUST NOT be included more
// than once).
func single(v url.Values, name string) (string, *Error) {
	vals := v[name]
	switch {
	case len(vals) == 0:
		return "", nil
	case len(vals) > 1:
		return "", errorf(ErrInvalidRequest, "parameter %s is repeated", name)
	case len(vals[0]) > maxParam:
		return "", errorf(ErrInvalidRequest, "parameter %s is longer than %d bytes", name, maxParam)
	}
	return vals[0], nil
}

// AuthorizationRequest is a parsed authorization request (RFC 6749 §4.1.1,
// RFC 7636 §4.3, OpenID Connect Core §3.1.2.1).
type AuthorizationRequest struct {
	ClientID            string
	RedirectURI         string
	ResponseType        string
	ResponseMode        string
	Scope               string
	State               string
	Nonce               string
	Prompt              string
	CodeChallenge       string
	CodeChallengeMethod string
}

// Values returns the request as query parameters (empty ones left out).
func (r *AuthorizationRequest) Values() url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{{"client_id", r.ClientID}, {"redirect_uri", r.RedirectURI},
		{"response_type", r.ResponseType}, {"response_mode", r.ResponseMode}, {"scope", r.Scope},
		{"state", r.State}, {"nonce", r.Nonce}, {"prompt", r.Prompt},
		{"code_challenge", r.CodeChallenge}, {"code_challenge_method", r.CodeChallengeMethod}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	return v
}

// ParseAuthorizationRequest checks an authorization request's parameters.
// Errors are *Error. Problems with client_id or redirect_uri come first and
// have Redirect false; for any other problem the returned request is
// non-nil with ClientID and RedirectURI set, so the error can be sent back.
// PKCE is required of every client, with the S256 method only.
func ParseAuthorizationRequest(q url.Values) (*AuthorizationRequest, error) {
	var r AuthorizationRequest
	var e *Error
	noRedirect := func(e *Error) (*AuthorizationRequest, error) {
		e.Redirect = false
		return nil, e
	}
	if r.ClientID, e = single(q, "client_id"); e != nil {
		return noRedirect(e)
	}
	if r.ClientID == "" {
		return noRedirect(errorf(ErrInvalidRequest, "client_id is required"))
	}
	if r.RedirectURI, e = single(q, "redirect_uri"); e != nil {
		return noRedirect(e)
	}
	if r.RedirectURI == "" {
		return noRedirect(errorf(ErrInvalidRequest, "redirect_uri is required"))
	}
	if u, err := url.Parse(r.RedirectURI); err != nil || !u.IsAbs() || u.Fragment != "" || u.Opaque != "" {
		return noRedirect(errorf(ErrInvalidRequest, "redirect_uri is not an absolute URI without fragment"))
	}
	fail := func(e *Error) (*AuthorizationRequest, error) { return &r, e }
	for _, p := range []struct {
		name string
		dst  *string
	}{{"response_type", &r.ResponseType}, {"response_mode", &r.ResponseMode}, {"scope", &r.Scope},
		{"state", &r.State}, {"nonce", &r.Nonce}, {"prompt", &r.Prompt},
		{"code_challenge", &r.CodeChallenge}, {"code_challenge_method", &r.CodeChallengeMethod}} {
		if *p.dst, e = single(q, p.name); e != nil {
			return fail(e)
		}
	}
	if q.Has("request") {
		return fail(errorf(ErrRequestNotSupported, "request objects are not supported"))
	}
	if q.Has("request_uri") {
		return fail(errorf(ErrRequestURINotSupported, "request_uri is not supported"))
	}
	switch {
	case r.ResponseType == "":
		return fail(errorf(ErrInvalidRequest, "response_type is required"))
	case r.ResponseType != "code":
		return fail(errorf(ErrUnsupportedResponseType, "response_type %q is not supported; use code", r.ResponseType))
	case r.ResponseMode != "" && r.ResponseMode != "query":
		return fail(errorf(ErrInvalidRequest, "response_mode %q is not supported; use query", r.ResponseMode))
	case !slices.Contains(strings.Fields(r.Scope), "openid"):
		return fail(errorf(ErrInvalidScope, "scope must include openid"))
	}
	prompts := strings.Fields(r.Prompt)
	for _, p := range prompts {
		if !slices.Contains([]string{"none", "login", "consent", "select_account"}, p) {
			return fail(errorf(ErrInvalidRequest, "prompt %q is not none, login, consent or select_account", p))
		}
	}
	if slices.Contains(prompts, "none") && len(prompts) > 1 {
		return fail(errorf(ErrInvalidRequest, "prompt none cannot be combined with other values"))
	}
	switch {
	case r.CodeChallenge == "":
		return fail(errorf(ErrInvalidRequest, "code_challenge is required (PKCE, RFC 7636)"))
	case r.CodeChallengeMethod != "S256":
		return fail(errorf(ErrInvalidRequest, "code_challenge_method must be S256 (plain is not supported)"))
	case !validChallenge(r.CodeChallenge):
		return fail(errorf(ErrInvalidRequest, "code_challenge is not a base64url SHA-256 hash (43 characters)"))
	}
	return &r, nil
}

func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == 32
}

// validVerifier checks the code_verifier syntax (RFC 7636 §4.1): 43 to 128
// characters of [A-Za-z0-9-._~].
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, c := range []byte(v) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// Grant types.
const (
	grantAuthorizationCode = "authorization_code"
	// grantPassword is the resource owner password credentials grant (RFC
	// 6749 §4.3): the token-for-scripts path of "samlab idp token
	// --endpoint". The user's password from the users file is required.
	grantPassword = "password"
)

// TokenRequest is a parsed token request (RFC 6749 §4.1.3 and §4.3).
type TokenRequest struct {
	GrantType    string
	Code         string
	RedirectURI  string
	CodeVerifier string
	ClientID     string
	ClientSecret string
	// BasicAuth is true when the client authenticated with HTTP Basic.
	BasicAuth bool
	Username  string
	Password  string
	Scope     string
	// Fault injects a fault into the ID token of a password grant (see
	// Faults).
	Fault Fault
}

// ParseTokenRequest checks a token request: the form body and the
// Authorization header (empty when absent). Errors are *Error with the
// status the token endpoint answers with.
func ParseTokenRequest(form url.Values, authorization string) (*TokenRequest, error) {
	var r TokenRequest
	var e *Error
	for _, p := range []struct {
		name string
		dst  *string
	}{{"grant_type", &r.GrantType}, {"code", &r.Code}, {"redirect_uri", &r.RedirectURI},
		{"code_verifier", &r.CodeVerifier}, {"client_id", &r.ClientID}, {"client_secret", &r.ClientSecret},
		{"username", &r.Username}, {"password", &r.Password}, {"scope", &r.Scope}} {
		if *p.dst, e = single(form, p.name); e != nil {
			return nil, e
		}
	}
	fault, e := single(form, "fault")
	if e != nil {
		return nil, e
	}
	if authorization != "" {
		id, secret, err := parseBasic(authorization)
		if err != nil {
			return nil, errorf(ErrInvalidClient, "%v", err)
		}
		if r.ClientSecret != "" {
			return nil, errorf(ErrInvalidRequest, "the client authenticated twice (Authorization header and client_secret)")
		}
		if r.ClientID != "" && r.ClientID != id {
			return nil, errorf(ErrInvalidRequest, "client_id %q differs from the Authorization header's", r.ClientID)
		}
		r.ClientID, r.ClientSecret, r.BasicAuth = id, secret, true
	}
	if r.ClientID == "" {
		return nil, errorf(ErrInvalidRequest, "client_id is required")
	}
	switch r.GrantType {
	case "":
		return nil, errorf(ErrInvalidRequest, "grant_type is required")
	case grantAuthorizationCode:
		switch {
		case r.Code == "":
			return nil, errorf(ErrInvalidRequest, "code is required")
		case r.RedirectURI == "":
			return nil, errorf(ErrInvalidRequest, "redirect_uri is required")
		case r.CodeVerifier == "":
			return nil, errorf(ErrInvalidRequest, "code_verifier is required (PKCE, RFC 7636)")
		case !validVerifier(r.CodeVerifier):
			return nil, errorf(ErrInvalidRequest, "code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~")
		case fault != "":
			return nil, errorf(ErrInvalidRequest, "fault is accepted only with grant_type password")
		}
	case grantPassword:
		if r.Username == "" || r.Password == "" {
			return nil, errorf(ErrInvalidRequest, "username and password are required")
		}
		f, err := ParseFault(fault)
		if err != nil {
			return nil, errorf(ErrInvalidRequest, "%v", err)
		}
		r.Fault = f
		if r.Scope == "" {
			r.Scope = "openid"
		}
	default:
		return nil, errorf(ErrUnsupportedGrantType, "grant_type %q is not supported; use authorization_code or password", r.GrantType)
	}
	if r.Scope != "" && !slices.Contains(strings.Fields(r.Scope), "openid") {
		return nil, errorf(ErrInvalidScope, "scope must include openid")
	}
	return &r, nil
}

// parseBasic reads HTTP Basic client credentials, each form-urlencoded
// (RFC 6749 §2.3.1).
func parseBasic(h string) (id, secret string, err error) {
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return "", "", fmt.Errorf("authorization scheme is not Basic")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return "", "", fmt.Errorf("authorization header is not base64")
	}
	u, pw, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", fmt.Errorf("authorization header has no client_id:client_secret")
	}
	if id, err = url.QueryUnescape(u); err != nil {
		return "", "", fmt.Errorf("client_id in the authorization header is not form-urlencoded")
	}
	if secret, err = url.QueryUnescape(pw); err != nil {
		return "", "", fmt.Errorf("client_secret in the authorization header is not form-urlencoded")
	}
	if id == "" {
		return "", "", fmt.Errorf("authorization header has an empty client_id")
	}
	return id, secret, nil
}
