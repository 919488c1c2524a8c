package idp

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/crewjam/saml"
)

// SessionCookie is the name of the IdP's login-session cookie.
const SessionCookie = "samlab_session"

// maxFormSize bounds POSTed forms (an HTTP-POST AuthnRequest fits easily).
const maxFormSize = 1 << 20

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	s.mux.ServeHTTP(w, r)
}

// routes lists every endpoint of the IdP.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metadata", s.handleMetadata)
	mux.HandleFunc("GET /{$}", s.handleHome)
	mux.HandleFunc("GET /login", s.handleLoginForm)
	mux.HandleFunc("POST /login", s.handleLogin)
	mux.HandleFunc("GET /logout", s.handleLogoutConfirm)
	mux.HandleFunc("POST /logout", s.handleLogout)
	mux.HandleFunc("GET /sso/aws", s.handleAWSInitiated)
	mux.HandleFunc("GET /assertion", s.handleAssertion)
	mux.HandleFunc("GET /sso/init", s.handleSPInitiatedByIDP)
	mux.HandleFunc("GET /sso", s.handleSSORedirect)
	mux.HandleFunc("POST /sso", s.handleSSOPost)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, http.StatusNotFound, "There is no page at "+r.URL.Path+".", nil)
	})
	return mux
}

// session is a logged-in user.
type session struct {
	user    string
	expires time.Time
}

// sessionStore keeps login sessions in memory, keyed by a random token.
type sessionStore struct {
	mu sync.Mutex // guards m
	m  map[string]session
}

func (s *Server) newSession(w http.ResponseWriter, r *http.Request, user string) error {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return fmt.Errorf("session token: %w", err)
	}
	tok := hex.EncodeToString(b)
	now := s.now()
	exp := now.Add(s.cfg.SessionLifetime)
	s.sessions.mu.Lock()
	for k, v := range s.sessions.m { // drop expired sessions
		if now.After(v.expires) {
			delete(s.sessions.m, k)
		}
	}
	s.sessions.m[tok] = session{user: user, expires: exp}
	s.sessions.mu.Unlock()
	// Scoped to the IdP's path, Secure over https only (see secure),
	// HttpOnly, and SameSite=Lax: sent on top-level GETs, so HTTP-Redirect
	// AuthnRequests from other sites find the session, while a cross-site
	// HTTP-POST AuthnRequest leads through the login form.
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: tok, Path: s.cookiePath(r), Expires: exp,
		Secure: s.secure(r), HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return nil
}

// currentUser returns the logged-in user of the request, if any.
func (s *Server) currentUser(r *http.Request) (User, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return User{}, false
	}
	s.sessions.mu.Lock()
	sess, ok := s.sessions.m[c.Value]
	if ok && s.now().After(sess.expires) {
		delete(s.sessions.m, c.Value)
		ok = false
	}
	s.sessions.mu.Unlock()
	if !ok {
		return User{}, false
	}
	return s.Users().User(sess.user)
}

// SessionUser returns the user logged in on the request, if any: the
// login session other protocols served beside the IdP (its OpenID Connect
// provider) share.
func (s *Server) SessionUser(r *http.Request) (User, bool) { return s.currentUser(r) }

func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request) {
	md, err := s.Metadata()
	if err != nil {
		s.renderError(w, r, http.StatusUnprocessableEntity, "The IdP cannot build its metadata.", err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	_, _ = w.Write(md)
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	u, ok := s.currentUser(r)
	if !ok {
		seeOther(w, base(r)+"login")
		return
	}
	tok, err := s.csrfToken(w, r)
	if err != nil {
		s.renderError(w, r, http.StatusUnprocessableEntity, "The IdP could not start a session.", err)
		return
	}
	s.render(w, r, http.StatusOK, homePage, map[string]any{
		"Base": base(r), "User": u, "CSRF": tok, "EntityID": s.cfg.EntityID, "AWSSignInURL": s.awsACS, "SPs": s.ServiceProviders(),
	})
}

// base returns the relative path from the request's page to the IdP's root
// ("./" or "../"), so that links and redirects work wherever the IdP is
// mounted (for example under /idp with http.StripPrefix).
func base(r *http.Request) string {
	depth := strings.Count(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if depth == 0 {
		return "./"
	}
	return strings.Repeat("../", depth)
}

// seeOther redirects to a URL relative to the current page. http.Redirect
// would resolve it against the path the handler sees, which lacks the mount
// prefix; the client resolves it against the URL it asked for.
func seeOther(w http.ResponseWriter, loc string) {
	w.Header().Set("Location", loc)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusSeeOther)
}

// safeReturn accepts only IdP pages, relative to the IdP's root (such as
// "sso/aws?RelayState=…"), as a post-login destination, so the login form is
// no open redirect.
func safeReturn(ret string) string {
	u, err := url.Parse(ret)
	if ret == "" || err != nil || u.Scheme != "" || u.Host != "" || u.User != nil ||
		strings.HasPrefix(ret, "/") || strings.Contains(ret, "\\") || strings.Contains(u.Path, "..") {
		return ""
	}
	return ret
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	s.renderLogin(w, r, http.StatusOK, safeReturn(r.URL.Query().Get("return")), "", "", "")
}

// renderLogin writes the login form. problem, when set, is a failed login's
// message; notice is informational.
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, ret, username, problem, notice string) {
	tok, err := s.csrfToken(w, r)
	if err != nil {
		s.renderError(w, r, http.StatusUnprocessableEntity, "The IdP could not start a session.", err)
		return
	}
	s.render(w, r, status, loginPage, map[string]any{
		"Action": s.absURL(r, "login"), "Return": ret, "Username": username, "Error": problem, "Notice": notice,
		"EntityID": s.cfg.EntityID, "CSRFField": CSRFField, "CSRF": tok,
	})
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "The login form could not be read.", err)
		return
	}
	name, password := r.PostForm.Get("username"), r.PostForm.Get("password")
	ret := safeReturn(r.PostForm.Get("return"))
	if err := checkForm(r); err != nil {
		s.renderError(w, r, http.StatusForbidden, "The login form did not come from this IdP, or has expired: open the sign-in page again.", err)
		return
	}
	u, err := s.Users().Authenticate(name, password)
	if err != nil {
		s.logger.InfoContext(r.Context(), "login failed", "user", name, "error", err)
		s.renderLogin(w, r, http.StatusUnauthorized, ret, name, "Invalid username or password.", "")
		return
	}
	if err := s.newSession(w, r, u.Name); err != nil {
		s.renderError(w, r, http.StatusUnprocessableEntity, "The IdP could not start a session.", err)
		return
	}
	s.logger.InfoContext(r.Context(), "login", "user", u.Name)
	seeOther(w, base(r)+ret)
}

// handleLogoutConfirm answers GET /logout with a page whose button posts the
// logout: a GET (a link or an image on another site) never ends the session.
func (s *Server) handleLogoutConfirm(w http.ResponseWriter, r *http.Request) {
	tok, err := s.csrfToken(w, r)
	if err != nil {
		s.renderError(w, r, http.StatusUnprocessableEntity, "The IdP could not start a session.", err)
		return
	}
	s.render(w, r, http.StatusOK, logoutPage, map[string]any{
		"Base": base(r), "Action": s.absURL(r, "logout"), "CSRFField": CSRFField, "CSRF": tok,
	})
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "The logout form could not be read.", err)
		return
	}
	if err := checkForm(r); err != nil {
		s.renderError(w, r, http.StatusForbidden, "The logout form did not come from this IdP: open the logout page again.", err)
		return
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		s.sessions.mu.Lock()
		delete(s.sessions.m, c.Value)
		s.sessions.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: s.cookiePath(r), MaxAge: -1,
		Secure: s.secure(r), HttpOnly: true, SameSite: http.SameSiteLaxMode})
	s.renderLogin(w, r, http.StatusOK, "", "", "", "You are logged out.")
}

// requireLogin returns the logged-in user, or sends the browser to the login
// form, which brings it back to the current URL afterwards.
func (s *Server) requireLogin(w http.ResponseWriter, r *http.Request) (User, bool) {
	u, ok := s.currentUser(r)
	if !ok {
		ret := strings.TrimPrefix(r.URL.RequestURI(), "/")
		seeOther(w, base(r)+"login?return="+url.QueryEscape(ret))
	}
	return u, ok
}

// handleAWSInitiated is IdP-initiated SSO to AWS: a signed response with the
// user's roles, posted to the AWS sign-in endpoint with RelayState (the
// console deep link) when given.
func (s *Server) handleAWSInitiated(w http.ResponseWriter, r *http.Request) {
	u, ok := s.requireLogin(w, r)
	if !ok {
		return
	}
	if len(u.Roles) == 0 {
		s.renderError(w, r, http.StatusForbidden, fmt.Sprintf("User %q is not mapped to any AWS role.", u.Name), nil)
		return
	}
	resp, err := s.FaultyResponse(u, ResponseOptions{}, s.Fault())
	if err != nil {
		s.renderError(w, r, http.StatusUnprocessableEntity, "The IdP could not build a response for AWS.", err)
		return
	}
	s.logger.InfoContext(r.Context(), "sso", "user", u.Name, "sp", AWSEntityID, "response_id", resp.ResponseID)
	action := s.awsACS
	if u, err := url.Parse(action); err == nil && !u.IsAbs() {
		action = base(r) + action
	}
	s.renderPost(w, r, action, resp.Base64(), r.URL.Query().Get("RelayState"))
}

// handleSPInitiatedByIDP is IdP-initiated SSO to a registered SP
// (?sp=entityID).
func (s *Server) handleSPInitiatedByIDP(w http.ResponseWriter, r *http.Request) {
	sp, err := s.ServiceProvider(r.URL.Query().Get("sp"))
	if err != nil {
		s.renderError(w, r, http.StatusNotFound, err.Error(), nil)
		return
	}
	u, ok := s.requireLogin(w, r)
	if !ok {
		return
	}
	resp, err := s.SPResponse(u, sp, ResponseOptions{})
	if err != nil {
		s.renderError(w, r, http.StatusUnprocessableEntity, "The IdP could not build a response for "+sp.EntityID+".", err)
		return
	}
	s.logger.InfoContext(r.Context(), "sso", "user", u.Name, "sp", sp.EntityID, "response_id", resp.ResponseID)
	s.renderPost(w, r, sp.ACSURLs[0], resp.Base64(), r.URL.Query().Get("RelayState"))
}

// handleSSORedirect is SP-initiated SSO over the HTTP-Redirect binding (SAML
// Bindings §3.4).
func (s *Server) handleSSORedirect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	data, err := decodeAuthnRequest(q.Get("SAMLRequest"), true)
	if err != nil {
		s.renderError(w, r, http.StatusBadRequest, err.Error(), nil)
		return
	}
	rs, err := redirectSignatureOf(r.URL.RawQuery)
	if err != nil {
		s.renderError(w, r, http.StatusBadRequest, err.Error(), nil)
		return
	}
	s.sso(w, r, data, q.Get("RelayState"), rs, strings.TrimPrefix(r.URL.RequestURI(), "/"))
}

// handleSSOPost is SP-initiated SSO over the HTTP-POST binding (SAML Bindings
// §3.5).
func (s *Server) handleSSOPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "The SAML form could not be read.", err)
		return
	}
	data, err := decodeAuthnRequest(r.PostForm.Get("SAMLRequest"), false)
	if err != nil {
		s.renderError(w, r, http.StatusBadRequest, err.Error(), nil)
		return
	}
	relay := r.PostForm.Get("RelayState")
	// After login, come back through the Redirect binding with the same
	// request, so nothing needs to be kept server-side.
	ret, err := redirectURL(data, relay)
	if err != nil {
		s.renderError(w, r, http.StatusBadRequest, "The AuthnRequest could not be re-encoded.", err)
		return
	}
	s.sso(w, r, data, relay, nil, ret)
}

func redirectURL(data []byte, relay string) (string, error) {
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return "", err
	}
	if _, err := fw.Write(data); err != nil {
		return "", err
	}
	if err := fw.Close(); err != nil {
		return "", err
	}
	q := url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(buf.Bytes())}}
	if relay != "" {
		q.Set("RelayState", relay)
	}
	return "sso?" + q.Encode(), nil
}

func (s *Server) sso(w http.ResponseWriter, r *http.Request, data []byte, relay string, rs *redirectSignature, ret string) {
	req, err := s.parseAuthnRequest(data, relay, rs)
	switch {
	case errors.Is(err, ErrUnknownSP):
		s.renderError(w, r, http.StatusForbidden, err.Error(), nil)
		return
	case err != nil:
		s.renderError(w, r, http.StatusBadRequest, err.Error(), nil)
		return
	}
	// Failures the SP should hear about go back to its ACS as a SAML
	// Status (SAML Core §3.2.2.2), not as an IdP error page.
	if f, bad := unsupportedNameIDPolicy(req); bad {
		s.renderStatus(w, r, req, saml.StatusRequester, saml.StatusInvalidNameIDPolicy,
			fmt.Sprintf("NameID format %s is not supported", f))
		return
	}
	u, ok := s.currentUser(r)
	if ok && req.Request.ForceAuthn != nil && *req.Request.ForceAuthn {
		ok = false
	}
	if !ok {
		if req.Request.IsPassive != nil && *req.Request.IsPassive {
			s.renderStatus(w, r, req, saml.StatusResponder, saml.StatusNoPassive, "nobody is logged in")
			return
		}
		s.renderLogin(w, r, http.StatusOK, ret, "", "", "")
		return
	}
	resp, err := s.SPResponse(u, req.SP, ResponseOptions{
		InResponseTo: req.Request.ID,
		Recipient:    req.ACSURL,
		NameIDFormat: nameIDFormatFor(req),
	})
	if err != nil {
		s.renderError(w, r, http.StatusUnprocessableEntity, "The IdP could not build a response for "+req.SP.EntityID+".", err)
		return
	}
	s.logger.InfoContext(r.Context(), "sso", "user", u.Name, "sp", req.SP.EntityID,
		"in_response_to", req.Request.ID, "response_id", resp.ResponseID)
	s.renderPost(w, r, req.ACSURL, resp.Base64(), relay)
}

// renderStatus posts a status-only Response to the requesting SP's ACS.
func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, req *AuthnRequest, top, second, msg string) {
	resp, err := s.StatusResponse(req, top, second, msg)
	if err != nil {
		s.renderError(w, r, http.StatusUnprocessableEntity, "The IdP could not build a response for "+req.SP.EntityID+".", err)
		return
	}
	s.logger.InfoContext(r.Context(), "sso refused", "sp", req.SP.EntityID, "in_response_to", req.Request.ID,
		"status", second, "reason", msg)
	s.renderPost(w, r, req.ACSURL, resp.Base64(), req.RelayState)
}

// renderPost writes the HTTP-POST binding form (SAML Bindings §3.5.4): an
// HTML form that submits itself to the ACS.
func (s *Server) renderPost(w http.ResponseWriter, r *http.Request, acs, samlResponse, relay string) {
	s.render(w, r, http.StatusOK, postPage, map[string]any{
		"URL": acs, "SAMLResponse": samlResponse, "RelayState": relay,
	})
}

// renderError writes an HTML error page. reason is shown to the user; err,
// when non-nil, is logged and never shown.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, reason string, err error) {
	attrs := []any{"status", status, "path", r.URL.Path, "reason", reason}
	if err != nil {
		attrs = append(attrs, "error", err)
	}
	s.logger.InfoContext(r.Context(), "request rejected", attrs...)
	s.render(w, r, status, errorPage, map[string]any{
		"Base": base(r), "Status": status, "StatusText": http.StatusText(status), "Reason": reason,
	})
}
