package scenarios

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/idp/oidc"
	"github.com/samlab-dev/samlab/sp/cognito"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts"
)

// webState is the web identity part of a lab: the OpenID Connect provider
// served on loopback, the tokens steps kept, and the identity pools by name.
type webState struct {
	mu       sync.Mutex
	provider *oidc.Provider
	server   *http.Server
	issuer   string
	tokens   map[string]string
	pools    map[string]string // scenario name → pool ID
	blocked  bool              // the issuer answers 503
	cert     *tls.Certificate  // the https issuer's certificate
	certs    int               // certificates made so far
	dir      string            // where token files are (SetDir; default tempDir)
	tempDir  string            // a directory of the lab's own, removed by Close
}

func (l *Lab) web() *webState {
	l.state.mu.Lock()
	defer l.state.mu.Unlock()
	if l.state.web == nil {
		l.state.web = &webState{tokens: map[string]string{}, pools: map[string]string{}}
	}
	return l.state.web
}

// ErrNoOIDC is returned by the web identity operations of a lab whose
// OpenID Connect provider was not started (StartOIDC).
var ErrNoOIDC = errors.New("lab: the OpenID Connect provider is not started (setup.oidc)")

// StartOIDC starts the lab's OpenID Connect provider (idp/oidc, for the
// lab's users) on a loopback address over http, where STS fetches its JWKS,
// and lets IAM register http:// issuers on loopback (samlab's deviation:
// AWS requires https://). Calling it again returns the running provider.
// Close stops it.
func (l *Lab) StartOIDC(s OIDCSetup) (*oidc.Provider, error) {
	w := l.web()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.provider != nil {
		return w.provider, nil
	}
	if l.state.cfg.OIDCIssuer != "" {
		return l.startServedOIDCLocked(w, s)
	}
	addr := l.state.cfg.OIDCListen
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("lab: oidc listener: %w", err)
	}
	issuer := "http://" + ln.Addr().String()
	if s.TLS {
		if err := l.newOIDCCertLocked(w); err != nil {
			_ = ln.Close()
			return nil, err
		}
		ln = tls.NewListener(ln, &tls.Config{MinVersion: tls.VersionTLS12,
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
				w.mu.Lock()
				defer w.mu.Unlock()
				return w.cert, nil
			}})
		issuer = "https://" + strings.TrimPrefix(issuer, "http://")
	}
	p, err := oidc.New(oidc.Config{Issuer: issuer, Algorithm: s.Algorithm, IDTokenLifetime: s.TokenLifetime,
		Users: l.IDP.Users(), Keys: l.state.cfg.Keys, Now: l.Clock.Now, Rand: l.state.cfg.Rand,
		Logger: l.state.cfg.Logger.With("component", "oidc")})
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("lab: oidc: %w", err)
	}
	// The server's own errors (a client refusing the certificate, as STS
	// does on a thumbprint mismatch) go to the lab's log, not to stderr.
	srv := &http.Server{Handler: w.gate(p), ReadHeaderTimeout: 5 * time.Second,
		ErrorLog: slog.NewLogLogger(l.state.cfg.Logger.Handler(), slog.LevelDebug)}
	go func() { _ = srv.Serve(ln) }()
	if !s.TLS {
		l.Account.SetInsecureHTTPIssuers(true)
	}
	w.provider, w.server, w.issuer = p, srv, issuer
	return p, nil
}

// newOIDCCertLocked makes a fresh certificate chain for the https issuer: a
// new CA (from the lab's key source) and a server certificate it issues for
// 127.0.0.1, sent with the CA, so that IAM's thumbprint (of the top of the
// chain) names the CA and the chain verifies for the issuer's host. The
// caller holds w.mu.
func (l *Lab) newOIDCCertLocked(w *webState) error {
	w.certs++
	keys := l.state.cfg.Keys
	if keys == nil {
		keys = certs.GeneratedKeys{}
	}
	opts := []certs.Option{certs.WithKeySource(keys), certs.WithSubject(fmt.Sprintf("samlab OIDC issuer CA %d", w.certs)), certs.WithNow(l.Clock.Now)}
	if l.state.cfg.Rand != nil {
		opts = append(opts, certs.WithRand(l.state.cfg.Rand))
	}
	ca, err := certs.NewCA(opts...)
	if err != nil {
		return err
	}
	tc, err := ca.IssueTLS("127.0.0.1")
	if err != nil {
		return err
	}
	tc.Certificate = append(tc.Certificate, ca.Cert.Raw)
	w.cert = tc
	return nil
}

// RotateOIDCTLSCert makes the https issuer present a new certificate (a new
// key and self-signed certificate), as when its host's certificate chain
// changes. IAM's thumbprints are not updated.
func (l *Lab) RotateOIDCTLSCert() error {
	if _, _, err := l.oidcProvider(); err != nil {
		return err
	}
	w := l.web()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cert == nil {
		return errors.New("lab: the OpenID Connect issuer is served over http (setup.oidc.tls)")
	}
	return l.newOIDCCertLocked(w)
}

// OIDCThumbprint returns IAM's thumbprint (lower-case hex SHA-1) of the top
// certificate of the chain the https issuer presents now (its CA); empty for
// an http issuer.
func (l *Lab) OIDCThumbprint() string {
	w := l.web()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cert == nil {
		return ""
	}
	return iam.Thumbprint(w.cert.Certificate[len(w.cert.Certificate)-1])
}

// UpdateOIDCThumbprint runs IAM UpdateOpenIDConnectProviderThumbprint on the
// lab's provider with thumbprints (default: OIDCThumbprint, what an
// administrator computes from the issuer's certificate).
func (l *Lab) UpdateOIDCThumbprint(thumbprints []string) error {
	if _, _, err := l.oidcProvider(); err != nil {
		return err
	}
	if len(thumbprints) == 0 {
		thumbprints = []string{l.OIDCThumbprint()}
	}
	return l.Account.UpdateOIDCProviderThumbprint(l.OIDCProviderARN(), thumbprints)
}

// gate serves h unless the issuer is blocked (SetOIDCBlocked).
func (w *webState) gate(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		blocked := w.blocked
		w.mu.Unlock()
		if blocked {
			http.Error(rw, "the issuer is blocked", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(rw, r)
	})
}

// SetOIDCBlocked makes the OpenID Connect issuer answer every request with
// HTTP 503 (blocked) or serve again, as an issuer behind a firewall that
// AWS cannot reach. Keys STS cached earlier stay usable until they expire.
func (l *Lab) SetOIDCBlocked(blocked bool) error {
	if _, _, err := l.oidcProvider(); err != nil {
		return err
	}
	w := l.web()
	w.mu.Lock()
	w.blocked = blocked
	w.mu.Unlock()
	return nil
}

// Close stops what the lab serves on its own (the OpenID Connect provider).
// A lab without one has nothing to stop.
func (l *Lab) Close() error {
	l.state.mu.Lock()
	w := l.state.web
	l.state.mu.Unlock()
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.removeTempDirLocked()
	if w.server == nil {
		return err
	}
	err = errors.Join(err, w.server.Close())
	w.server = nil
	return err
}

func (l *Lab) oidcProvider() (*oidc.Provider, string, error) {
	w := l.web()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.provider == nil {
		return nil, "", ErrNoOIDC
	}
	return w.provider, w.issuer, nil
}

// OIDCIssuer returns the issuer URL of the lab's OpenID Connect provider
// (empty before StartOIDC).
func (l *Lab) OIDCIssuer() string {
	_, iss, _ := l.oidcProvider()
	return iss
}

// OIDCHost returns the issuer without its scheme: the IAM provider's name
// and the prefix of its trust-policy condition keys.
func (l *Lab) OIDCHost() string {
	iss := l.OIDCIssuer()
	if rest, ok := strings.CutPrefix(iss, "https://"); ok {
		return rest
	}
	return strings.TrimPrefix(iss, "http://")
}

// OIDCProviderARN returns the ARN IAM gives (or would give) the lab's issuer.
func (l *Lab) OIDCProviderARN() string {
	return l.Account.OIDCProviderARN(l.OIDCIssuer())
}

// CreateOIDCProvider runs IAM CreateOpenIDConnectProvider for the lab's
// issuer with clientIDs (default [DefaultClientID]) and thumbprints (default
// none: IAM reads an https issuer's chain).
func (l *Lab) CreateOIDCProvider(ctx context.Context, clientIDs, thumbprints []string) error {
	_, iss, err := l.oidcProvider()
	if err != nil {
		return err
	}
	if len(clientIDs) == 0 {
		clientIDs = []string{DefaultClientID}
	}
	_, err = l.Account.CreateOIDCProvider(ctx, iam.CreateOIDCProviderInput{URL: iss, ClientIDs: clientIDs, Thumbprints: thumbprints})
	return err
}

// DeleteOIDCProvider runs IAM DeleteOpenIDConnectProvider for the lab's issuer.
func (l *Lab) DeleteOIDCProvider() error {
	if _, _, err := l.oidcProvider(); err != nil {
		return err
	}
	return l.Account.DeleteOIDCProvider(l.OIDCProviderARN())
}

// AddClientID runs IAM AddClientIDToOpenIDConnectProvider on the lab's
// provider.
func (l *Lab) AddClientID(id string) error {
	if _, _, err := l.oidcProvider(); err != nil {
		return err
	}
	return l.Account.AddClientIDToOIDCProvider(l.OIDCProviderARN(), id)
}

// RemoveClientID runs IAM RemoveClientIDFromOpenIDConnectProvider on the
// lab's provider.
func (l *Lab) RemoveClientID(id string) error {
	if _, _, err := l.oidcProvider(); err != nil {
		return err
	}
	return l.Account.RemoveClientIDFromOIDCProvider(l.OIDCProviderARN(), id)
}

// RotateOIDCKey makes the OpenID Connect provider sign with a new key (the
// staged one, if any); its JWKS then publishes only that key. IAM is not
// told, and does not need to be: STS fetches the JWKS from the issuer.
func (l *Lab) RotateOIDCKey() error {
	p, _, err := l.oidcProvider()
	if err != nil {
		return err
	}
	_, err = p.Rotate()
	return err
}

// StageOIDCRollover makes the OpenID Connect provider publish its next key
// in its JWKS beside the current one, which still signs.
func (l *Lab) StageOIDCRollover() error {
	p, _, err := l.oidcProvider()
	if err != nil {
		return err
	}
	_, err = p.StageRollover()
	return err
}

// WebIdentityToken issues an ID token for the lab user for audience
// (default DefaultClientID), with fault injected.
func (l *Lab) WebIdentityToken(user, audience string, fault oidc.Fault) (string, error) {
	p, _, err := l.oidcProvider()
	if err != nil {
		return "", err
	}
	if user == "" {
		user = DefaultUser
	}
	if audience == "" {
		audience = DefaultClientID
	}
	l.state.mu.Lock()
	u, ok := l.Users[user]
	l.state.mu.Unlock()
	if !ok {
		return "", fmt.Errorf("lab: unknown user %q", user)
	}
	return p.IDToken(u, oidc.TokenOptions{Audience: audience, Fault: fault})
}

// WebIdentityLoginInput is an app that signs a user in with the OpenID
// Connect provider and trades the ID token for AWS credentials.
type WebIdentityLoginInput struct {
	User     string // default DefaultUser
	RoleARN  string // required
	Audience string // the token's aud (default DefaultClientID)
	Fault    oidc.Fault
	// Token, when set, is sent instead of a fresh token (User, Audience and
	// Fault are then unused).
	Token string
	// RedeemAfter is how long the app holds the token before calling STS
	// (the lab clock advances by it).
	RedeemAfter     time.Duration
	DurationSeconds *int
	// SessionName is RoleSessionName (default the user name).
	SessionName string
}

// WebIdentityLogin issues (or reuses) an ID token and redeems it with
// AssumeRoleWithWebIdentity. It returns the token sent with the result; the
// credentials of a success are kept for CallerIdentity.
func (l *Lab) WebIdentityLogin(ctx context.Context, in WebIdentityLoginInput) (*sts.AssumeRoleWithWebIdentityOutput, string, error) {
	tok := in.Token
	if tok == "" {
		var err error
		if tok, err = l.WebIdentityToken(in.User, in.Audience, in.Fault); err != nil {
			return nil, "", err
		}
	}
	if in.RedeemAfter > 0 {
		l.Clock.Advance(in.RedeemAfter)
	}
	name := in.SessionName
	if name == "" {
		name = in.User
	}
	if name == "" {
		name = DefaultUser
	}
	out, err := l.WebIdentity.AssumeRoleWithWebIdentity(ctx, sts.AssumeRoleWithWebIdentityInput{RoleARN: in.RoleARN,
		RoleSessionName: name, WebIdentityToken: tok, DurationSeconds: in.DurationSeconds})
	if err != nil {
		return nil, tok, err
	}
	l.keepCredentials(out.Credentials)
	return out, tok, nil
}

func (l *Lab) keepCredentials(c sts.Credentials) {
	l.state.mu.Lock()
	l.state.last = &c
	l.state.mu.Unlock()
}

// CreateIdentityPool runs cognito-identity CreateIdentityPool (and
// SetIdentityPoolRoles) for a pool whose login provider is the lab's IAM
// OIDC provider; name is the scenario's name for it (IdentityPoolID).
func (l *Lab) CreateIdentityPool(name string, s IdentityPoolSetup) error {
	if _, _, err := l.oidcProvider(); err != nil {
		return err
	}
	p, err := l.Cognito.CreatePool(cognito.Pool{Name: name, AllowUnauthenticated: s.AllowUnauthenticated,
		OIDCProviderARNs: []string{l.OIDCProviderARN()}})
	if err != nil {
		return err
	}
	w := l.web()
	w.mu.Lock()
	w.pools[name] = p.ID
	w.mu.Unlock()
	if s.PrincipalTags != nil {
		if _, err := l.Cognito.SetPrincipalTags(p.ID, l.OIDCHost(), cognito.PrincipalTagMap{UseDefaults: s.PrincipalTags.UseDefaults,
			Tags: s.PrincipalTags.Tags}); err != nil {
			return err
		}
	}
	if s.AuthenticatedRole != "" || s.UnauthenticatedRole != "" || s.RoleMapping != nil {
		return l.SetIdentityPoolRoles(name, s.AuthenticatedRole, s.UnauthenticatedRole, s.RoleMapping)
	}
	return nil
}

// IdentityPoolID returns the ID of the pool the scenario calls name (name
// itself when there is none, so Cognito reports it).
func (l *Lab) IdentityPoolID(name string) string {
	w := l.web()
	w.mu.Lock()
	defer w.mu.Unlock()
	if id, ok := w.pools[name]; ok {
		return id
	}
	return name
}

// UpdateIdentityPool runs cognito-identity UpdateIdentityPool with
// AllowUnauthenticatedIdentities changed and the other settings kept.
func (l *Lab) UpdateIdentityPool(name string, allowUnauthenticated bool) error {
	p, err := l.Cognito.DescribePool(l.IdentityPoolID(name))
	if err != nil {
		return err
	}
	p.AllowUnauthenticated = allowUnauthenticated
	_, err = l.Cognito.UpdatePool(*p)
	return err
}

// SetIdentityPoolRoles runs cognito-identity SetIdentityPoolRoles with the
// roles named (an empty name leaves that kind without a role) and mapping
// as the role mapping of the lab's provider (nil: none).
func (l *Lab) SetIdentityPoolRoles(name, authenticated, unauthenticated string, mapping *RoleMappingSetup) error {
	roles := map[string]string{}
	if authenticated != "" {
		roles["authenticated"] = l.roleARN(authenticated)
	}
	if unauthenticated != "" {
		roles["unauthenticated"] = l.roleARN(unauthenticated)
	}
	var mappings map[string]cognito.RoleMapping
	if mapping != nil {
		mappings = map[string]cognito.RoleMapping{l.OIDCHost(): cognitoMapping(mapping, l.roleARN)}
	}
	return l.Cognito.SetRoles(l.IdentityPoolID(name), roles, mappings)
}

// CognitoLoginInput is an app that gets AWS credentials from an identity
// pool (the enhanced flow).
type CognitoLoginInput struct {
	Pool string // the scenario's name for the pool
	// User logs in with the OpenID Connect provider; empty is a guest.
	User     string
	Audience string // the token's aud (default DefaultClientID)
	Fault    oidc.Fault
	// CustomRole names the role sent as CustomRoleArn (none: not sent).
	CustomRole string
}

// CognitoLogin runs GetId and then GetCredentialsForIdentity, with the
// user's ID token in Logins (none for a guest). The credentials of a
// success are kept for CallerIdentity.
func (l *Lab) CognitoLogin(ctx context.Context, in CognitoLoginInput) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	var logins map[string]string
	if in.User != "" {
		tok, err := l.WebIdentityToken(in.User, in.Audience, in.Fault)
		if err != nil {
			return nil, err
		}
		logins = map[string]string{l.OIDCHost(): tok}
	}
	id, err := l.Cognito.GetID(ctx, l.IdentityPoolID(in.Pool), logins)
	if err != nil {
		return nil, err
	}
	custom := ""
	if in.CustomRole != "" {
		custom = l.roleARN(in.CustomRole)
	}
	out, err := l.Cognito.CredentialsForIdentity(ctx, id, logins, custom)
	if err != nil {
		return nil, err
	}
	l.keepCredentials(out.Credentials)
	return out, nil
}

// applySwitches sets the fields of the struct *p named (snake_case) in m
// from their text: durations and booleans. what names the struct in errors.
func applySwitches(p any, what string, m map[string]string) error {
	v := reflect.ValueOf(p).Elem()
	var all []string
	for i := range v.NumField() {
		all = append(all, snake(v.Type().Field(i).Name))
	}
	for _, name := range sortedKeys(m) {
		val := m[name]
		f, ok := behaviorField(v, name)
		if !ok {
			return fmt.Errorf("unknown %s switch %q (known: %s)", what, name, strings.Join(all, ", "))
		}
		switch {
		case f.Type() == reflect.TypeFor[time.Duration]():
			d, err := time.ParseDuration(val)
			if err != nil || d < 0 {
				return fmt.Errorf("%s wants a duration such as \"30s\", got %q", name, val)
			}
			f.SetInt(int64(d))
		case f.Kind() == reflect.Bool:
			b, err := strconv.ParseBool(val)
			if err != nil {
				return fmt.Errorf("%s wants true or false, got %q", name, val)
			}
			f.SetBool(b)
		default:
			return fmt.Errorf("%s cannot be set from a scenario", name)
		}
	}
	return nil
}

// startWebIdentity starts the OpenID Connect provider of s and creates its
// IAM OIDC provider and identity pools before the roles, so that trust
// policies can name ${oidc_provider} and ${pool:NAME} (AWS accepts a trust
// policy naming a provider or pool of any state, and pools are made first to
// learn their IDs).
func (l *Lab) startWebIdentity(ctx context.Context, s Setup) error {
	if s.OIDC == nil {
		return nil
	}
	if _, err := l.StartOIDC(*s.OIDC); err != nil {
		return err
	}
	if s.OIDC.Provider != nil {
		if err := l.CreateOIDCProvider(ctx, s.OIDC.Provider.ClientIDs, s.OIDC.Provider.Thumbprints); err != nil {
			return fmt.Errorf("setup: oidc provider: %w", err)
		}
	}
	for _, name := range sortedKeys(s.IdentityPools) {
		p := s.IdentityPools[name]
		p.AuthenticatedRole, p.UnauthenticatedRole, p.RoleMapping = "", "", nil
		if err := l.CreateIdentityPool(name, p); err != nil {
			return fmt.Errorf("setup: identity pool %s: %w", name, err)
		}
	}
	return nil
}

// applyWebIdentity gives the identity pools of s their roles, once the
// roles exist (their ARNs carry their paths).
func (l *Lab) applyWebIdentity(s Setup) error {
	for _, name := range sortedKeys(s.IdentityPools) {
		p := s.IdentityPools[name]
		if p.AuthenticatedRole == "" && p.UnauthenticatedRole == "" && p.RoleMapping == nil {
			continue
		}
		if err := l.SetIdentityPoolRoles(name, p.AuthenticatedRole, p.UnauthenticatedRole, p.RoleMapping); err != nil {
			return fmt.Errorf("setup: identity pool %s: %w", name, err)
		}
	}
	return nil
}

// doWebIdentity performs the web identity actions; ok is false for others.
func (l *Lab) doWebIdentity(ctx context.Context, st Step) (out Outcome, ok bool, err error) {
	ok = true
	switch st.Action {
	case ActionCreateOIDCProvider:
		err = l.CreateOIDCProvider(ctx, st.ClientIDs, st.Thumbprints)
	case ActionDeleteOIDCProvider:
		err = l.DeleteOIDCProvider()
	case ActionAddClientID:
		err = l.AddClientID(st.ClientID)
	case ActionRemoveClientID:
		err = l.RemoveClientID(st.ClientID)
	case ActionRotateOIDCKey:
		err = l.RotateOIDCKey()
	case ActionStageOIDCRollover:
		err = l.StageOIDCRollover()
	case ActionRevertOIDCKey:
		err = l.RevertOIDCKey()
	case ActionRotateOIDCTLSCert:
		err = l.RotateOIDCTLSCert()
	case ActionUpdateOIDCThumbprint:
		err = l.UpdateOIDCThumbprint(st.Thumbprints)
	case ActionBlockOIDCIssuer:
		err = l.SetOIDCBlocked(true)
	case ActionUnblockOIDCIssuer:
		err = l.SetOIDCBlocked(false)
	case ActionUpdateIdentityPool:
		if st.AllowUnauthenticated == nil {
			return out, true, errors.New("update-identity-pool needs allow_unauthenticated")
		}
		err = l.UpdateIdentityPool(st.Pool, *st.AllowUnauthenticated)
	case ActionSetIdentityPoolRoles:
		err = l.SetIdentityPoolRoles(st.Pool, st.AuthenticatedRole, st.UnauthenticatedRole, st.RoleMapping)
	case ActionWebIdentityLogin:
		out, err = l.doWebIdentityLogin(ctx, st)
	case ActionWriteTokenFile:
		err = l.writeTokenFileStep(st)
	case ActionCognitoLogin:
		var f oidc.Fault
		if f, err = oidc.ParseFault(st.TokenFault); err != nil {
			break
		}
		var res *sts.AssumeRoleWithWebIdentityOutput
		if res, err = l.CognitoLogin(ctx, CognitoLoginInput{Pool: st.Pool, User: st.User, Audience: st.Audience, Fault: f,
			CustomRole: st.CustomRole}); err == nil {
			out = l.webIdentityOutcome(res)
		}
	default:
		ok = false
	}
	return out, ok, err
}

func (l *Lab) doWebIdentityLogin(ctx context.Context, st Step) (Outcome, error) {
	f, err := oidc.ParseFault(st.TokenFault)
	if err != nil {
		return Outcome{}, err
	}
	in := WebIdentityLoginInput{User: st.User, RoleARN: l.Expand(st.RoleARN), Audience: st.Audience, Fault: f,
		RedeemAfter: st.RedeemAfter, DurationSeconds: st.DurationSeconds}
	if st.Role != "" {
		in.RoleARN = l.roleARN(st.Role)
	}
	w := l.web()
	if st.Token != "" {
		w.mu.Lock()
		tok, ok := w.tokens[st.Token]
		w.mu.Unlock()
		if !ok {
			return Outcome{}, fmt.Errorf("lab: no token was kept as %q", st.Token)
		}
		in.Token = tok
	}
	if st.TokenFile != "" {
		if in.Token, err = l.ReadTokenFile(st.TokenFile); err != nil {
			return Outcome{}, err
		}
	}
	res, tok, err := l.WebIdentityLogin(ctx, in)
	if st.SaveToken != "" && tok != "" {
		w.mu.Lock()
		w.tokens[st.SaveToken] = tok
		w.mu.Unlock()
	}
	if err != nil {
		return Outcome{}, err
	}
	return l.webIdentityOutcome(res), nil
}

func (l *Lab) webIdentityOutcome(res *sts.AssumeRoleWithWebIdentityOutput) Outcome {
	o := Outcome{AssumedRoleARN: res.AssumedRoleUser.ARN, SourceIdentity: res.SourceIdentity, Audience: res.Audience,
		Subject: res.SubjectFromWebIdentityToken, Provider: res.Provider,
		DurationSeconds: int(res.Credentials.Expiration.Sub(l.Clock.Now().Truncate(time.Second)).Seconds())}
	if res.Session != nil {
		o.SessionTags = res.Session.Tags
	}
	return o
}
