package idp

import (
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// CSRFField is the hidden login-form field that carries the anti-forgery
// token. Clients that play the browser (samlab login, saml2aws) pass it back
// like any other hidden field.
const CSRFField = "csrf_token"

// csrfCookie holds the same token as CSRFField (the double-submit pattern,
// OWASP CSRF Prevention Cheat Sheet): another site can make a browser post
// the form but cannot read the cookie to fill in the field.
const csrfCookie = "samlab_csrf"

// ErrForgedRequest is returned by checkForm for a state-changing request that
// came from another site or lacks the login form's token.
var ErrForgedRequest = errors.New("request did not come from the IdP's own form")

// crossOrigin refuses state-changing requests that browsers mark as coming
// from another origin (Sec-Fetch-Site, or an Origin header that does not
// match Host). The standard library's check is used rather than our own
// header parsing; requests without either header (non-browser clients) pass
// it and meet the token check instead.
var crossOrigin = http.NewCrossOriginProtection()

// setSecurityHeaders marks a response as not to be framed (clickjacking) nor
// content-sniffed. Every IdP response carries them.
func setSecurityHeaders(h http.Header) {
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
}

// checkForm accepts a POSTed form only when it comes from the IdP's own
// pages: same origin, and CSRFField equal to the csrf cookie. The form must
// already be parsed.
func checkForm(r *http.Request) error {
	if err := crossOrigin.Check(r); err != nil {
		return fmt.Errorf("%w: %v", ErrForgedRequest, err)
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || !validToken(c.Value) {
		return fmt.Errorf("%w: no %s cookie", ErrForgedRequest, csrfCookie)
	}
	got := r.PostForm.Get(CSRFField)
	if subtle.ConstantTimeCompare([]byte(got), []byte(c.Value)) != 1 {
		return fmt.Errorf("%w: %s field does not match the cookie", ErrForgedRequest, CSRFField)
	}
	return nil
}

// csrfToken returns the browser's anti-forgery token, issuing one (and its
// cookie) when the request has none.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) (string, error) {
	if c, err := r.Cookie(csrfCookie); err == nil && validToken(c.Value) {
		return c.Value, nil
	}
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("csrf token: %w", err)
	}
	tok := hex.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: s.cookiePath(r),
		Secure: s.secure(r), HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return tok, nil
}

func validToken(v string) bool {
	if len(v) != 64 {
		return false
	}
	_, err := hex.DecodeString(v)
	return err == nil
}

// secure reports whether the IdP is reached over HTTPS, directly or as
// BaseURL says. Cookies are Secure only then: a client's cookie jar drops a
// Secure cookie set over plain http (saml2aws's does), which breaks logins
// against a loopback lab.
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.cfg.BaseURL, "https://")
}

// mountPath returns the path under which the IdP is served ("/idp" when a
// lab mounts it with http.StripPrefix, "" at the root): the request's
// original path minus the path the IdP's router sees. Without the original
// path (a handler called directly), BaseURL's path is the answer.
func (s *Server) mountPath(r *http.Request) string {
	if r.RequestURI != "" && r.RequestURI != "*" {
		if u, err := url.ParseRequestURI(r.RequestURI); err == nil && strings.HasSuffix(u.Path, r.URL.Path) {
			return strings.TrimSuffix(u.Path[:len(u.Path)-len(r.URL.Path)], "/")
		}
	}
	if u, err := url.Parse(s.cfg.BaseURL); err == nil {
		return strings.TrimSuffix(u.Path, "/")
	}
	return ""
}

// cookiePath scopes the IdP's cookies to the IdP's own pages ("/idp/"), so
// other applications served on the same host never see them.
func (s *Server) cookiePath(r *http.Request) string { return s.mountPath(r) + "/" }

// absURL returns the absolute URL of an IdP page (rel is relative to the
// IdP's root), on the scheme and host the client used. Clients that scrape
// the login form (saml2aws) post to its action verbatim, so it must be
// absolute.
func (s *Server) absURL(r *http.Request, rel string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" { // a handler called directly
		if u, err := url.Parse(s.cfg.BaseURL); err == nil && u.Host != "" {
			scheme, host = u.Scheme, u.Host
		}
	}
	return scheme + "://" + host + s.mountPath(r) + "/" + rel
}
