package signin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/samlab-dev/samlab/awssaml"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts"
	"github.com/samlab-dev/samlab/sp/sts/sessiontoken"
)

// AWS's sign-in page wording (docs/aws-behavior.md §9).
const (
	msgInvalidResponse = "Your request included an invalid SAML response. To logout, click here."
	// stsErrorFormat renders an STS failure; the follow-up "Please try again."
	// and "Proxy: null" match current AWS output.
	stsErrorFormat = "%s (Service: AWSSecurityTokenService; Status Code: %d; Error Code: %s; Request ID: %s; Proxy: null). Please try again."
)

// Limits.
const (
	maxFormBytes          = 512 << 10
	defaultConsoleSession = time.Hour
	signinTokenLifetime   = 15 * time.Minute
	cookieName            = "samlab-console"
)

// Config configures a Server.
type Config struct {
	// STS validates responses and issues the session's credentials. Required.
	STS *sts.Service
	// AccountAliases maps account IDs to the alias shown in the role chooser
	// ("Account: alias (id)"); accounts without one show "Account: id".
	AccountAliases map[string]string
	// SecureCookies marks the console cookie Secure (set it when served over
	// HTTPS). Default false, since labs run on plain loopback HTTP.
	SecureCookies bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand supplies session IDs (default crypto/rand).
	Rand io.Reader
	// Logger receives one line per sign-in (default: discard).
	Logger *slog.Logger
	// Account is the IAM account STS serves (optional). With it the role
	// chooser shows the account's alias, and the why panel reads the
	// registered metadata and the role's trust policy.
	Account *iam.Account
	// Why adds a "why" panel to sign-in error pages: the cause behind AWS's
	// words (which certificate signed and which IAM holds, issuer, audience,
	// times) and the fix, from the same code as `samlab explain`. Default
	// false: the page is AWS's alone, as a faithful mock shows it.
	Why bool
	// WhyClosed renders the why panel closed, so a reader opens it when they
	// want the cause and the fix (labs: the trainee asks for the answer).
	WhyClosed bool
	// IDPMetadata returns the IdP's current metadata (optional); the why
	// panel then tells a key rotation from a foreign signer.
	IDPMetadata func() ([]byte, error)
	// IDPMetadataURL is where the IdP publishes its metadata (optional);
	// the why panel names it in the fix.
	IDPMetadataURL string
}

// Session is a console session.
type Session struct {
	ID          string
	ARN         string // assumed-role or federated-user ARN
	Account     string
	RoleARN     string // "" for a federated user
	SessionName string // the role session's name, or the federated user's
	// FederatedBy is, for a federated user (GetFederationToken), the IAM
	// user who asked for its credentials.
	FederatedBy string
	Expires     time.Time
	Issuer      string // federation broker, for sessions opened via /federation
	// SAML describes a session opened by a SAML sign-in; nil for sessions
	// opened via /federation.
	SAML *SAMLDetails
}

// Federated reports whether the console session is a federated user's.
func (s *Session) Federated() bool { return s.FederatedBy != "" }

// Server is the sign-in endpoint. It implements http.Handler and is safe for
// concurrent use.
type Server struct {
	cfg    Config
	now    func() time.Time
	rand   io.Reader
	logger *slog.Logger
	mux    *http.ServeMux

	mu       sync.Mutex
	sessions map[string]*Session
	tokens   map[string]signinToken
	events   awsapi.EventSink
}

type signinToken struct {
	session  *sts.Session
	duration time.Duration
	expires  time.Time
}

// New returns a sign-in endpoint for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.STS == nil {
		return nil, errors.New("signin: config: STS is required")
	}
	s := &Server{cfg: cfg, now: cfg.Now, rand: cfg.Rand, logger: cfg.Logger,
		sessions: map[string]*Session{}, tokens: map[string]signinToken{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /saml", s.handleSAML)
	s.mux.HandleFunc("GET /console", s.handleConsole)
	s.mux.HandleFunc("POST /logout", s.handleLogout)
	s.mux.HandleFunc("GET /logout", s.handleLogoutConfirm)
	s.mux.HandleFunc("GET /federation", s.handleFederation)
	s.mux.HandleFunc("POST /federation", s.handleFederation)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	s.mux.ServeHTTP(w, r)
}

// handleSAML is the ACS: SAMLResponse (+ RelayState, + roleIndex on the
// chooser's follow-up POST).
func (s *Server) handleSAML(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, http.StatusBadRequest, "The sign-in request could not be read: "+err.Error())
		return
	}
	samlResponse := r.PostForm.Get("SAMLResponse")
	relayState := r.PostForm.Get("RelayState")
	if samlResponse == "" {
		s.signInFailed(w, r, errInvalidResponse("no SAMLResponse in the form"), "", nil)
		return
	}
	// One call verifies the response once and, with one role (or the one
	// picked on the chooser), runs the rest of AssumeRoleWithSAML on it.
	idx := r.PostForm.Get("roleIndex")
	res, err := s.cfg.STS.SignIn(r.Context(), sts.SignInInput{SAMLResponse: samlResponse, RoleARN: idx})
	switch {
	case errors.Is(err, sts.ErrRoleNotOffered):
		s.signInFailed(w, r, errInvalidResponse("roleIndex "+idx+" is not a role the response grants"), samlResponse, nil)
		return
	case err != nil:
		var pair *sts.RolePair
		if res != nil {
			pair = res.Chosen
		}
		s.signInFailed(w, r, err, samlResponse, pair)
		return
	case res.Assumed == nil:
		notice := ""
		if chooserSubmitted(r.PostForm) {
			notice = msgChooseRole
		}
		s.renderChooser(w, res.Roles, samlResponse, relayState, notice)
		return
	}
	out, chosen := res.Assumed, res.Chosen
	reqID := s.requestID()
	sess, err := s.openSession(out.Session, out.Credentials.Expiration, "", s.samlDetails(reqID, out, samlResponse, chosen))
	if err != nil {
		s.renderError(w, http.StatusInternalServerError, "The console session could not be created.")
		return
	}
	s.recordSignIn(r, reqID, sess, chosen, nil)
	s.logger.InfoContext(r.Context(), "console sign-in", "request_id", reqID, "assumed_role_arn", sess.ARN)
	s.setCookie(w, sess)
	http.Redirect(w, r, safeDestination(relayState), http.StatusFound)
}

// openSession records a console session for an STS session. The console
// session lasts until the credentials expire: the AssumeRoleWithSAML call
// already applied SessionNotOnOrAfter and a shorter SessionDuration. (AWS lets
// SessionDuration lengthen console sessions up to 12 h; here they end with
// the credentials.)
func (s *Server) openSession(ss *sts.Session, expires time.Time, issuer string, details *SAMLDetails) (*Session, error) {
	id, err := s.randomID()
	if err != nil {
		return nil, err
	}
	sess := &Session{ID: id, ARN: ss.ARN, Account: ss.Account, RoleARN: ss.RoleARN, SessionName: ss.SessionName,
		Expires: expires, Issuer: issuer, SAML: details}
	if ss.Kind == sessiontoken.KindFederatedUser {
		sess.FederatedBy = ss.UserARN
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, v := range s.sessions {
		if now.After(v.Expires) {
			delete(s.sessions, k)
		}
	}
	s.sessions[id] = sess
	return sess, nil
}

func (s *Server) setCookie(w http.ResponseWriter, sess *Session) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: sess.ID, Path: "/", HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode, Expires: sess.Expires})
}

// Session returns the console session named by the request's cookie.
func (s *Server) Session(r *http.Request) (*Session, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[c.Value]
	if !ok || !s.now().Before(sess.Expires) {
		return nil, false
	}
	cp := *sess
	return &cp, true
}

func (s *Server) handleConsole(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.Session(r)
	if !ok {
		s.renderError(w, http.StatusUnauthorized, "You are not signed in, or your session has expired. Sign in through your identity provider.")
		return
	}
	s.render(w, http.StatusOK, consoleTmpl, map[string]any{"S": sess, "Remaining": sess.Expires.Sub(s.now()).Round(time.Second)})
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if err := crossOrigin.Check(r); err != nil {
		s.logger.InfoContext(r.Context(), "sign-out refused", "error", err)
		s.renderError(w, http.StatusForbidden, "The sign-out request came from another site.")
		return
	}
	if c, err := r.Cookie(cookieName); err == nil {
		s.mu.Lock()
		delete(s.sessions, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
	s.render(w, http.StatusOK, messageTmpl, errorPage{Title: "Signed out", Message: "You have been signed out."})
}

// safeDestination returns where to send the browser after sign-in: the
// RelayState (or federation Destination) when it is a local path or an AWS
// console URL, else /console. Anything else is ignored, so neither can be an
// open redirect.
//
// Browsers remove tabs and newlines from a URL before resolving it (WHATWG
// URL Standard, "basic URL parser") and read a backslash as a slash, so
// "/<TAB>/evil.example/" and "/\evil.example/" both lead off-site: a
// destination with a backslash, whitespace or a control character, literal or
// percent-encoded, is refused.
func safeDestination(dest string) string {
	if !plainDestination(dest) {
		return "/console"
	}
	if strings.HasPrefix(dest, "/") && !strings.HasPrefix(dest, "//") {
		return dest
	}
	if u, err := url.Parse(dest); err == nil && u.Scheme == "https" &&
		(u.Host == "console.aws.amazon.com" || strings.HasSuffix(u.Host, ".console.aws.amazon.com")) {
		return dest
	}
	return "/console"
}

// plainDestination reports whether dest, and dest with its percent-escapes
// decoded, hold no backslash, whitespace or control character.
func plainDestination(dest string) bool {
	decoded, err := url.PathUnescape(dest)
	if err != nil {
		return false
	}
	for _, s := range []string{dest, decoded} {
		if strings.ContainsFunc(s, func(r rune) bool { return r == '\\' || unicode.IsSpace(r) || unicode.IsControl(r) }) {
			return false
		}
	}
	return true
}

type accountGroup struct {
	Label string
	Index int // the inner div.saml-account's id, as AWS numbers them
	Roles []roleOption
}

type roleOption struct {
	ARN, Name string
}

func (s *Server) renderChooser(w http.ResponseWriter, roles []sts.RolePair, samlResponse, relayState, notice string) {
	byAccount := map[string][]roleOption{}
	for _, p := range roles {
		acct, name := p.RoleARN, p.RoleARN
		if a, err := awssaml.SplitARN(p.RoleARN); err == nil {
			acct, name = a.Account, a.Name
		}
		byAccount[acct] = append(byAccount[acct], roleOption{ARN: p.RoleARN, Name: name})
	}
	ids := make([]string, 0, len(byAccount))
	for id := range byAccount {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var groups []accountGroup
	for i, id := range ids {
		groups = append(groups, accountGroup{Label: s.accountLabel(id), Index: i, Roles: byAccount[id]})
	}
	s.render(w, http.StatusOK, chooserTmpl, map[string]any{"Accounts": groups, "SAMLResponse": samlResponse,
		"RelayState": relayState, "Notice": notice, "ChooserField": chooserField})
}

func (s *Server) renderError(w http.ResponseWriter, status int, msg string) {
	s.render(w, status, messageTmpl, errorPage{Title: "Sign-in error", Message: msg, Error: true})
}

func (s *Server) render(w http.ResponseWriter, status int, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := t.Execute(w, data); err != nil {
		s.logger.Error("render sign-in page", "error", err)
	}
}

func (s *Server) randomID() (string, error) {
	b := make([]byte, 24)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("signin: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func (s *Server) requestID() string { return awsapi.NewRequestID(s.rand) }

// handleFederation implements the custom identity broker endpoint (IAM UG
// "Enabling custom identity broker access to the AWS console"):
// Action=getSigninToken exchanges temporary credentials for a sign-in token;
// Action=login redeems the token for a console session and redirects to
// Destination.
func (s *Server) handleFederation(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return
	}
	switch r.Form.Get("Action") {
	case "getSigninToken":
		s.getSigninToken(w, r)
	case "login":
		s.federationLogin(w, r)
	default:
		http.Error(w, `Action must be "getSigninToken" or "login"`, http.StatusBadRequest)
	}
}

func (s *Server) getSigninToken(w http.ResponseWriter, r *http.Request) {
	var creds struct {
		SessionID    string `json:"sessionId"`
		SessionKey   string `json:"sessionKey"`
		SessionToken string `json:"sessionToken"`
	}
	if err := json.Unmarshal([]byte(r.Form.Get("Session")), &creds); err != nil {
		http.Error(w, "Session must be the JSON {\"sessionId\",\"sessionKey\",\"sessionToken\"}: "+err.Error(), http.StatusBadRequest)
		return
	}
	ss, err := s.cfg.STS.Session(creds.SessionID, creds.SessionToken)
	if err != nil || subtle.ConstantTimeCompare([]byte(ss.Credentials.SecretAccessKey), []byte(creds.SessionKey)) != 1 {
		http.Error(w, "The credentials in Session are not valid temporary credentials.", http.StatusForbidden)
		return
	}
	now := s.now()
	if ss.Expired(now) {
		http.Error(w, "The credentials in Session have expired.", http.StatusForbidden)
		return
	}
	if ss.Kind == sessiontoken.KindUser {
		// Only AssumeRole* and GetFederationToken credentials sign in (IAM
		// UG, custom identity broker); the answer to GetSessionToken ones is
		// unverified.
		http.Error(w, "The credentials in Session are not valid temporary credentials.", http.StatusForbidden)
		return
	}
	duration, err := sessionDuration(r.Form, ss)
	if err != nil {
		s.logger.InfoContext(r.Context(), "getSigninToken refused", "arn", ss.ARN, "error", err)
		http.Error(w, msgInvalidCredentialsParameter, http.StatusBadRequest)
		return
	}
	token, err := s.randomID()
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	for k, v := range s.tokens {
		if now.After(v.expires) {
			delete(s.tokens, k)
		}
	}
	s.tokens[token] = signinToken{session: ss, duration: duration, expires: now.Add(signinTokenLifetime)}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store") // the token is a credential
	_ = json.NewEncoder(w).Encode(map[string]string{"SigninToken": token})
}

// msgInvalidCredentialsParameter is the federation endpoint's 400 for a
// SessionDuration it does not accept: seen (2016) for GetFederationToken
// credentials with SessionDuration, and reported by AWS's security blog as
// "Invalid credentials parameter" for session-duration problems. Its use for
// a chained role session over one hour and for out-of-range values is
// unverified (a bare "Bad Request" was also reported).
const msgInvalidCredentialsParameter = "Invalid Credentials Parameter. The request sent by the client was syntactically incorrect."

// sessionDuration reads getSigninToken's SessionDuration (IAM UG, "Enable
// custom identity broker access to the AWS console"): 900 to 43,200
// seconds; not allowed with GetFederationToken credentials; at most 3,600
// for credentials from role chaining. Zero when absent.
func sessionDuration(form url.Values, ss *sts.Session) (time.Duration, error) {
	v := form.Get("SessionDuration")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil || n < 900 || n > 43200:
		return 0, fmt.Errorf("SessionDuration %q is not an integer from 900 to 43200", v)
	case ss.Kind == sessiontoken.KindFederatedUser:
		return 0, errors.New("SessionDuration with GetFederationToken credentials")
	case ss.Chained && n > 3600:
		return 0, fmt.Errorf("SessionDuration %d over 3600 with role-chained credentials", n)
	}
	return time.Duration(n) * time.Second, nil
}

func (s *Server) federationLogin(w http.ResponseWriter, r *http.Request) {
	token := r.Form.Get("SigninToken")
	s.mu.Lock()
	t, ok := s.tokens[token]
	delete(s.tokens, token) // a sign-in token is redeemed once
	s.mu.Unlock()
	now := s.now()
	if !ok || now.After(t.expires) {
		s.renderError(w, http.StatusBadRequest, "The sign-in token is invalid or has expired (sign-in URLs are valid for 15 minutes).")
		return
	}
	expires := t.session.Credentials.Expiration // default: the credentials' remaining lifetime
	if t.duration > 0 {
		expires = now.Add(t.duration)
	}
	if expires.Sub(now) <= 0 {
		expires = now.Add(defaultConsoleSession)
	}
	sess, err := s.openSession(t.session, expires, r.Form.Get("Issuer"), nil)
	if err != nil {
		s.renderError(w, http.StatusInternalServerError, "The console session could not be created.")
		return
	}
	s.setCookie(w, sess)
	http.Redirect(w, r, safeDestination(r.Form.Get("Destination")), http.StatusFound)
}
