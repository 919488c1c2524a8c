package cognito

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/sts"
	"github.com/samlab-dev/samlab/sp/sts/webidentity"
)

// Issuer is the iss of the OpenID tokens Cognito Identity issues, and
// ProviderName the name STS trusts them under: the Federated principal and
// the prefix of the condition keys cognito-identity.amazonaws.com:aud (the
// pool ID), :sub (the identity ID) and :amr.
const (
	Issuer       = "https://cognito-identity.amazonaws.com"
	ProviderName = "cognito-identity.amazonaws.com"
	// poolARNClaim carries the pool's ARN in the tokens AWS issues.
	poolARNClaim = "https://cognito-identity.amazonaws.com/identity-pool-arn"
)

// Role keys of SetIdentityPoolRoles.
const (
	RoleAuthenticated   = "authenticated"
	RoleUnauthenticated = "unauthenticated"
)

// Config configures a Service.
type Config struct {
	// WebIdentity is STS's AssumeRoleWithWebIdentity: it verifies login
	// tokens against the account's IAM OIDC providers and issues the role
	// sessions of GetCredentialsForIdentity. Required.
	WebIdentity *sts.WebIdentity
	// AccountID is the account the pools belong to. Required.
	AccountID string
	// Partition is the ARN partition (default "aws").
	Partition string
	// Region prefixes pool and identity IDs (default "us-east-1").
	Region string
	// Key signs the OpenID tokens (default: a fresh RSA-2048 key, generated
	// on first use, so tokens last as long as the process). STS trusts its public half as the
	// built-in provider cognito-identity.amazonaws.com.
	Key *rsa.PrivateKey
	// Behavior holds the choices where AWS is not documented (default
	// DefaultBehavior()).
	Behavior *Behavior
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand is the randomness of IDs (default crypto/rand).
	Rand io.Reader
	// Logger receives a line per issued set of credentials (default:
	// discard); refusals are logged by the router that serves the service.
	Logger *slog.Logger
}

// Validate reports every problem of cfg at once.
func (c Config) Validate() error {
	var errs []error
	if c.WebIdentity == nil {
		errs = append(errs, errors.New("cognito: WebIdentity is required"))
	}
	if c.AccountID == "" {
		errs = append(errs, errors.New("cognito: AccountID is required"))
	}
	if c.Key != nil && c.Key.N.BitLen() < 2048 {
		errs = append(errs, fmt.Errorf("cognito: Key has %d bits; at least 2048 are needed", c.Key.N.BitLen()))
	}
	return errors.Join(errs...)
}

// CognitoIdentityProvider is a user pool provider of an identity pool. It is
// stored and returned; samlab has no user pools, so its tokens are not
// accepted at login.
type CognitoIdentityProvider struct {
	ProviderName         string `json:"ProviderName,omitempty"`
	ClientID             string `json:"ClientId,omitempty"`
	ServerSideTokenCheck *bool  `json:"ServerSideTokenCheck,omitempty"`
}

// Pool is an identity pool.
type Pool struct {
	ID                   string
	Name                 string
	AllowUnauthenticated bool
	// AllowClassicFlow is nil when the pool was created without it, which
	// AWS treats as allowing the basic flow.
	AllowClassicFlow        *bool
	SupportedLoginProviders map[string]string
	DeveloperProviderName   string
	// OIDCProviderARNs are the IAM OIDC providers whose tokens the pool
	// accepts in Logins, under the key <provider URL without scheme>.
	OIDCProviderARNs         []string
	CognitoIdentityProviders []CognitoIdentityProvider
	SAMLProviderARNs         []string
	Tags                     map[string]string
	Roles                    map[string]string
	// RoleMappings choose the role of authenticated identities per login
	// provider (SetIdentityPoolRoles RoleMappings).
	RoleMappings map[string]RoleMapping
	// PrincipalTags are the attributes for access control per login
	// provider (SetPrincipalTagAttributeMap).
	PrincipalTags map[string]PrincipalTagMap
	created       int
}

func (p *Pool) clone() *Pool {
	c := *p
	c.SupportedLoginProviders = maps.Clone(p.SupportedLoginProviders)
	c.OIDCProviderARNs = slices.Clone(p.OIDCProviderARNs)
	c.CognitoIdentityProviders = slices.Clone(p.CognitoIdentityProviders)
	c.SAMLProviderARNs = slices.Clone(p.SAMLProviderARNs)
	c.Tags = maps.Clone(p.Tags)
	c.Roles = maps.Clone(p.Roles)
	if p.RoleMappings != nil {
		c.RoleMappings = make(map[string]RoleMapping, len(p.RoleMappings))
		for k, m := range p.RoleMappings {
			if m.RulesConfiguration != nil {
				rc := RulesConfiguration{Rules: slices.Clone(m.RulesConfiguration.Rules)}
				m.RulesConfiguration = &rc
			}
			c.RoleMappings[k] = m
		}
	}
	if p.PrincipalTags != nil {
		c.PrincipalTags = make(map[string]PrincipalTagMap, len(p.PrincipalTags))
		for k, m := range p.PrincipalTags {
			m.Tags = maps.Clone(m.Tags)
			c.PrincipalTags[k] = m
		}
	}
	if p.AllowClassicFlow != nil {
		v := *p.AllowClassicFlow
		c.AllowClassicFlow = &v
	}
	return &c
}

// providerNames returns the Logins keys the pool accepts: each IAM OIDC
// provider's URL without scheme, the part of its ARN after "oidc-provider/".
func (p *Pool) providerNames() []string {
	var names []string
	for _, arn := range p.OIDCProviderARNs {
		if _, rest, ok := strings.Cut(arn, ":oidc-provider/"); ok {
			names = append(names, rest)
		}
	}
	return names
}

// Identity is an identity of a pool: unauthenticated while it has no
// logins.
type Identity struct {
	ID     string
	PoolID string
	// Logins maps a provider name (a Logins key) to the token's sub.
	Logins   map[string]string
	Created  time.Time
	Modified time.Time
}

// Service is Amazon Cognito Identity's identity pools for one account: pool
// management, GetId, GetOpenIdToken and GetCredentialsForIdentity. It is
// safe for concurrent use.
type Service struct {
	wi        *sts.WebIdentity
	account   string
	partition string
	region    string
	behavior  Behavior
	now       func() time.Time
	rand      io.Reader
	logger    *slog.Logger
	keys      *keyring

	mu         sync.Mutex
	pools      map[string]*Pool
	identities map[string]*Identity
	seq        int
	store      Store
}

// New returns a Service and makes cfg.WebIdentity trust its tokens as the
// built-in provider cognito-identity.amazonaws.com.
func New(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Service{wi: cfg.WebIdentity, account: cfg.AccountID, partition: cfg.Partition, region: cfg.Region,
		behavior: DefaultBehavior(), now: cfg.Now, rand: cfg.Rand, logger: cfg.Logger,
		pools: map[string]*Pool{}, identities: map[string]*Identity{}}
	if cfg.Behavior != nil {
		s.behavior = *cfg.Behavior
	}
	if s.partition == "" {
		s.partition = "aws"
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	s.keys = newKeyring(cfg.Key, func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) }, s.region+"1")
	s.wi.TrustBuiltin(sts.BuiltinProvider{Issuer: Issuer, Name: ProviderName, Keys: s.keys.public})
	return s, nil
}

func (s *Service) newID() string { return s.region + ":" + awsapi.NewRequestID(s.rand) }

// PoolARN returns the ARN of the pool id.
func (s *Service) PoolARN(id string) string {
	return fmt.Sprintf("arn:%s:cognito-identity:%s:%s:identitypool/%s", s.partition, s.region, s.account, id)
}

func apiError(code awsapi.Code, cause error, format string, args ...any) *awsapi.Error {
	status := http.StatusBadRequest
	if code == CodeInternalError {
		status = http.StatusInternalServerError
	}
	return &awsapi.Error{Code: code, Status: status, Message: fmt.Sprintf(format, args...), Err: cause}
}

// Model constraints (service model cognito-identity-2014-06-30).
var (
	poolIDRE   = regexp.MustCompile(`^[\w-]+:[0-9a-f-]+$`)
	poolNameRE = regexp.MustCompile(`^[\w\s+=,.@-]+$`)
)

const (
	poolIDPattern   = `[\w-]+:[0-9a-f-]+`
	poolNamePattern = `[\w\s+=,.@-]+`
)

// constraint returns AWS's ValidationException for one member
// ("1 validation error detected: Value 'x' at 'member' failed to satisfy
// constraint: Member must …"), or nil.
func constraint(member, value string, minLen, maxLen int, re *regexp.Regexp, pattern string) error {
	var why string
	switch {
	case len(value) < minLen:
		why = fmt.Sprintf("Member must have length greater than or equal to %d", minLen)
	case len(value) > maxLen:
		why = fmt.Sprintf("Member must have length less than or equal to %d", maxLen)
	case re != nil && !re.MatchString(value):
		why = "Member must satisfy regular expression pattern: " + pattern
	default:
		return nil
	}
	return apiError(CodeValidation, nil, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, why)
}

func checkPoolID(id string) error {
	return constraint("identityPoolId", id, 1, 55, poolIDRE, poolIDPattern)
}

func checkIdentityID(id string) error {
	return constraint("identityId", id, 1, 55, poolIDRE, poolIDPattern)
}

// CreatePool creates an identity pool from p (ID ignored) and returns it.
func (s *Service) CreatePool(p Pool) (*Pool, error) {
	if err := checkPoolSettings(p); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := p.clone()
	c.ID = s.newID()
	c.Roles, c.RoleMappings, c.PrincipalTags = nil, nil, nil
	s.seq++
	c.created = s.seq
	s.pools[c.ID] = c
	if err := s.savePool(c); err != nil {
		delete(s.pools, c.ID)
		return nil, apiError(CodeInternalError, err, "An internal error occurred.")
	}
	return c.clone(), nil
}

// UpdatePool replaces the settings of the pool p.ID with p's (roles and
// identities are kept), as UpdateIdentityPool does, and returns the pool.
func (s *Service) UpdatePool(p Pool) (*Pool, error) {
	if err := checkPoolID(p.ID); err != nil {
		return nil, err
	}
	if err := checkPoolSettings(p); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.poolLocked(p.ID)
	if err != nil {
		return nil, err
	}
	c := p.clone()
	c.Roles, c.RoleMappings, c.PrincipalTags, c.created = old.Roles, old.RoleMappings, old.PrincipalTags, old.created
	s.pools[c.ID] = c
	if err := s.savePool(c); err != nil {
		s.pools[c.ID] = old
		return nil, apiError(CodeInternalError, err, "An internal error occurred.")
	}
	return c.clone(), nil
}

// checkMaxResults enforces the model's QueryLimit (1–60).
func checkMaxResults(max int) error {
	switch {
	case max < 1:
		return apiError(CodeValidation, nil, "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1", max)
	case max > 60:
		return apiError(CodeValidation, nil, "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60", max)
	}
	return nil
}

func checkPoolSettings(p Pool) error {
	if p.Name == "" {
		return apiError(CodeValidation, nil, "1 validation error detected: Value null at 'identityPoolName' failed to satisfy constraint: Member must not be null")
	}
	if err := constraint("identityPoolName", p.Name, 1, 128, poolNameRE, poolNamePattern); err != nil {
		return err
	}
	for _, arn := range p.OIDCProviderARNs {
		if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":oidc-provider/") {
			return apiError(CodeInvalidParameter, nil, msgBadProviderARN, arn)
		}
	}
	return nil
}

// Identity returns the identity id.
func (s *Service) Identity(id string) (*Identity, error) {
	if err := checkIdentityID(id); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.identities[id]
	if !ok {
		return nil, apiError(CodeResourceNotFound, nil, msgIdentityNotFound, id)
	}
	c := *i
	c.Logins = maps.Clone(i.Logins)
	return &c, nil
}

// Identities returns up to max identities of the pool, oldest first, after
// the page token next, and the next page's token ("" at the end).
func (s *Service) Identities(poolID string, max int, next string) ([]*Identity, string, error) {
	if err := checkMaxResults(max); err != nil {
		return nil, "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.poolLocked(poolID); err != nil {
		return nil, "", err
	}
	var all []*Identity
	for _, i := range s.identities {
		if i.PoolID == poolID {
			all = append(all, i)
		}
	}
	sort.Slice(all, func(a, b int) bool {
		if !all[a].Created.Equal(all[b].Created) {
			return all[a].Created.Before(all[b].Created)
		}
		return all[a].ID < all[b].ID
	})
	start := 0
	if next != "" {
		start = slices.IndexFunc(all, func(i *Identity) bool { return i.ID == next })
		if start < 0 {
			return nil, "", apiError(CodeInvalidParameter, nil, "Invalid pagination token.")
		}
	}
	end := min(start+max, len(all))
	out := make([]*Identity, 0, end-start)
	for _, i := range all[start:end] {
		c := *i
		c.Logins = maps.Clone(i.Logins)
		out = append(out, &c)
	}
	token := ""
	if end < len(all) {
		token = all[end].ID
	}
	return out, token, nil
}

func (s *Service) poolLocked(id string) (*Pool, error) {
	if err := checkPoolID(id); err != nil {
		return nil, err
	}
	p, ok := s.pools[id]
	if !ok {
		return nil, apiError(CodeResourceNotFound, nil, msgPoolNotFound, id)
	}
	return p, nil
}

// DescribePool returns the pool id.
func (s *Service) DescribePool(id string) (*Pool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.poolLocked(id)
	if err != nil {
		return nil, err
	}
	return p.clone(), nil
}

// ListPools returns up to max pools in creation order after the page token
// next ("" for the first page), and the token of the next page ("" at the
// end).
func (s *Service) ListPools(max int, next string) ([]*Pool, string, error) {
	if err := checkMaxResults(max); err != nil {
		return nil, "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all := make([]*Pool, 0, len(s.pools))
	for _, p := range s.pools {
		all = append(all, p)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].created < all[j].created })
	start := 0
	if next != "" {
		start = -1
		for i, p := range all {
			if p.ID == next {
				start = i
			}
		}
		if start < 0 {
			return nil, "", apiError(CodeInvalidParameter, nil, "Invalid pagination token.")
		}
	}
	end := min(start+max, len(all))
	out := make([]*Pool, 0, end-start)
	for _, p := range all[start:end] {
		out = append(out, p.clone())
	}
	token := ""
	if end < len(all) {
		token = all[end].ID
	}
	return out, token, nil
}

// DeletePool deletes the pool id and its identities.
func (s *Service) DeletePool(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.poolLocked(id); err != nil {
		return err
	}
	delete(s.pools, id)
	var gone []string
	for iid, ident := range s.identities {
		if ident.PoolID == id {
			delete(s.identities, iid)
			gone = append(gone, iid)
		}
	}
	if err := s.deletePool(id, gone); err != nil {
		return apiError(CodeInternalError, err, "An internal error occurred.")
	}
	return nil
}

// SetRoles replaces the pool's roles (keys RoleAuthenticated and
// RoleUnauthenticated, values role ARNs) and role mappings (keyed by login
// provider; nil removes them), as SetIdentityPoolRoles does.
func (s *Service) SetRoles(id string, roles map[string]string, mappings map[string]RoleMapping) error {
	for _, k := range slices.Sorted(maps.Keys(roles)) {
		arn := roles[k]
		if k != RoleAuthenticated && k != RoleUnauthenticated {
			return apiError(CodeValidation, nil, msgBadRoleKey, k, arn)
		}
		if err := constraint("roles", arn, 20, 2048, nil, ""); err != nil {
			return err
		}
		if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":role/") {
			return apiError(CodeInvalidParameter, nil, "Invalid role ARN '%s' for role type '%s'.", arn, k)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.poolLocked(id)
	if err != nil {
		return err
	}
	if err := checkRoleMappings(p, mappings); err != nil {
		return err
	}
	oldRoles, oldMappings := p.Roles, p.RoleMappings
	p.Roles = maps.Clone(roles)
	p.RoleMappings = (&Pool{RoleMappings: mappings}).clone().RoleMappings
	if len(p.RoleMappings) == 0 {
		p.RoleMappings = nil
	}
	if err := s.savePool(p); err != nil {
		p.Roles, p.RoleMappings = oldRoles, oldMappings
		return apiError(CodeInternalError, err, "An internal error occurred.")
	}
	return nil
}

// Roles returns the pool's roles and role mappings.
func (s *Service) Roles(id string) (map[string]string, map[string]RoleMapping, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.poolLocked(id)
	if err != nil {
		return nil, nil, err
	}
	c := p.clone()
	return c.Roles, c.RoleMappings, nil
}

// login is a verified login token.
type login struct {
	sub    string
	claims *webidentity.Claims
}

func subsOf(ls map[string]login) map[string]string {
	out := make(map[string]string, len(ls))
	for name, l := range ls {
		out[name] = l.sub
	}
	return out
}

// verifyLogins checks every token of logins against the pool's providers
// and STS's token checks, and returns them by provider name.
func (s *Service) verifyLogins(ctx context.Context, p *Pool, logins map[string]string) (map[string]login, error) {
	names := p.providerNames()
	keys := slices.Sorted(maps.Keys(logins))
	out := make(map[string]login, len(logins))
	for _, name := range keys {
		raw := logins[name]
		if err := constraint("logins", raw, 1, 50000, nil, ""); err != nil {
			return nil, apiError(CodeValidation, err, "1 validation error detected: Value at 'logins' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 50000, Member must have length greater than or equal to 1]")
		}
		if len(names) == 0 && len(p.SupportedLoginProviders) == 0 && p.DeveloperProviderName == "" && len(p.CognitoIdentityProviders) == 0 {
			return nil, apiError(CodeNotAuthorized, fmt.Errorf("pool %s has no identity providers", p.ID), msgLoginsDontMatch)
		}
		if _, social := p.SupportedLoginProviders[name]; social && !slices.Contains(names, name) {
			return nil, apiError(CodeNotAuthorized, fmt.Errorf("logins key %q is a social provider, which samlab cannot ask offline", name), msgSocialProvider, name)
		}
		if name == p.DeveloperProviderName && name != "" {
			return nil, apiError(CodeNotAuthorized, fmt.Errorf("logins key %q is the developer provider: its users log in through GetOpenIdTokenForDeveloperIdentity", name), msgDeveloperLogin)
		}
		if !slices.Contains(names, name) {
			return nil, apiError(CodeNotAuthorized, fmt.Errorf("logins key %q is none of the pool's OIDC providers %q", name, names), msgNotSupportedProvider)
		}
		tok, err := webidentity.Parse(strings.TrimSpace(raw))
		if err != nil {
			return nil, apiError(CodeNotAuthorized, err, msgNotJWT)
		}
		if iss := tok.Claims.Issuer; hostPath(iss) != name {
			return nil, apiError(CodeNotAuthorized, fmt.Errorf("token iss %q is not the logins key %q", iss, name), msgIssuerMismatch)
		}
		v, err := s.wi.VerifyToken(ctx, raw)
		if err != nil {
			return nil, loginError(name, err)
		}
		out[name] = login{sub: v.Token.Claims.Subject, claims: &v.Token.Claims}
	}
	return out, nil
}

func hostPath(u string) string {
	if rest, ok := strings.CutPrefix(u, "https://"); ok {
		return rest
	}
	return strings.TrimPrefix(u, "http://")
}

// loginError words an STS token refusal as Cognito Identity does.
func loginError(name string, err error) error {
	var te *sts.TokenError
	if !errors.As(err, &te) {
		return apiError(CodeInternalError, err, "An internal error occurred.")
	}
	switch te.Check {
	case sts.CheckForm:
		return apiError(CodeNotAuthorized, err, msgNotJWT)
	case sts.CheckIssuer:
		if te.Claim != "" {
			return apiError(CodeNotAuthorized, err, msgMissingClaim, te.Claim)
		}
		return apiError(CodeNotAuthorized, err, msgNoOIDCProvider, name)
	case sts.CheckAudience:
		if te.Claim != "" {
			return apiError(CodeNotAuthorized, err, msgMissingClaim, te.Claim)
		}
		return apiError(CodeNotAuthorized, err, msgIncorrectAudience)
	case sts.CheckExpired:
		if te.Claim != "" {
			return apiError(CodeNotAuthorized, err, msgMissingClaim, te.Claim)
		}
		return apiError(CodeNotAuthorized, err, msgTokenExpired, te.Now, te.Expiry)
	case sts.CheckNotYetValid:
		return apiError(CodeNotAuthorized, err, msgNotYetValid)
	case sts.CheckKey:
		return apiError(CodeNotAuthorized, err, msgKeyRetrieval)
	case sts.CheckSignature:
		return apiError(CodeNotAuthorized, err, msgBadSignature)
	case sts.CheckSubject:
		return apiError(CodeNotAuthorized, err, msgMissingClaim, "sub")
	}
	return apiError(CodeInternalError, err, "An internal error occurred.")
}

// GetID returns the identity of the logins in the pool, creating it on first
// use; without logins it creates a new unauthenticated identity, if the
// pool allows them.
func (s *Service) GetID(ctx context.Context, poolID string, logins map[string]string) (string, error) {
	s.mu.Lock()
	p, err := s.poolLocked(poolID)
	if err != nil {
		s.mu.Unlock()
		return "", err
	}
	p = p.clone()
	s.mu.Unlock()
	if len(logins) == 0 && !p.AllowUnauthenticated {
		return "", apiError(CodeNotAuthorized, fmt.Errorf("pool %s does not allow unauthenticated identities", poolID), msgUnauthNotSupported)
	}
	verified, err := s.verifyLogins(ctx, p, logins)
	if err != nil {
		return "", err
	}
	subs := subsOf(verified)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.poolLocked(poolID); err != nil {
		return "", err
	}
	if len(subs) > 0 {
		if ident := s.identityForLoginsLocked(poolID, subs); ident != nil {
			return ident.ID, nil
		}
	}
	now := s.now().UTC()
	ident := &Identity{ID: s.newID(), PoolID: poolID, Logins: subs, Created: now, Modified: now}
	s.identities[ident.ID] = ident
	if err := s.saveIdentity(ident); err != nil {
		delete(s.identities, ident.ID)
		return "", apiError(CodeInternalError, err, "An internal error occurred.")
	}
	return ident.ID, nil
}

// identityForLoginsLocked returns the pool's identity linked to any of subs.
func (s *Service) identityForLoginsLocked(poolID string, subs map[string]string) *Identity {
	for _, ident := range s.identities {
		if ident.PoolID != poolID {
			continue
		}
		for name, sub := range subs {
			if ident.Logins[name] == sub {
				return ident
			}
		}
	}
	return nil
}

// resolved is an identity checked against the logins of a call.
type resolved struct {
	identity Identity
	pool     *Pool
	amr      []string
	// logins are the call's verified login tokens by provider name.
	logins map[string]login
	// tags are the principal tags of the session (attributes for access
	// control, or a developer identity's tags).
	tags map[string]string
}

// resolve finds the identity, checks the call's logins against it (linking
// new logins to it) and returns the amr of its token.
func (s *Service) resolve(ctx context.Context, identityID string, logins map[string]string) (*resolved, error) {
	if err := checkIdentityID(identityID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	ident, ok := s.identities[identityID]
	var p *Pool
	if ok {
		p = s.pools[ident.PoolID]
	}
	if !ok || p == nil {
		s.mu.Unlock()
		return nil, apiError(CodeResourceNotFound, nil, msgIdentityNotFound, identityID)
	}
	p = p.clone()
	authenticated := len(ident.Logins) > 0
	snapshot := *ident
	s.mu.Unlock()
	if len(logins) == 0 {
		if authenticated {
			return nil, apiError(CodeNotAuthorized, errors.New("the identity is authenticated and the call has no logins"), msgAccessForbidden, identityID)
		}
		if !p.AllowUnauthenticated {
			return nil, apiError(CodeNotAuthorized, fmt.Errorf("pool %s does not allow unauthenticated identities", p.ID), msgUnauthNotSupported)
		}
		return &resolved{identity: snapshot, pool: p, amr: []string{RoleUnauthenticated}}, nil
	}
	if _, ok := logins[ProviderName]; ok {
		return s.resolveCognitoLogin(ctx, snapshot, p, logins)
	}
	verified, err := s.verifyLogins(ctx, p, logins)
	if err != nil {
		return nil, err
	}
	subs := subsOf(verified)
	s.mu.Lock()
	defer s.mu.Unlock()
	ident, ok = s.identities[identityID]
	if !ok {
		return nil, apiError(CodeResourceNotFound, nil, msgIdentityNotFound, identityID)
	}
	matched := false
	for name, sub := range subs {
		if other := s.identityForLoginsLocked(p.ID, map[string]string{name: sub}); other != nil && other.ID != ident.ID {
			if len(ident.Logins) == 0 {
				return nil, apiError(CodeResourceConflict, fmt.Errorf("login %s:%s belongs to identity %s", name, sub, other.ID), msgLoginLinked)
			}
			return nil, apiError(CodeNotAuthorized, fmt.Errorf("login %s:%s belongs to identity %s", name, sub, other.ID), msgLoginsDontMatch)
		}
		if ident.Logins[name] == sub {
			matched = true
		}
	}
	if len(ident.Logins) > 0 && !matched {
		return nil, apiError(CodeNotAuthorized, fmt.Errorf("none of the logins %v is linked to identity %s", subs, ident.ID), msgLoginsDontMatch)
	}
	if err := s.linkLoginsLocked(ident, subs, false); err != nil {
		return nil, err
	}
	// amr: "authenticated", then each provider and provider:OIDC:sub (the
	// third form is unverified for OIDC providers; AWS writes
	// "<provider>:<region>:<pool>:<id>" for developer identities).
	amr := []string{RoleAuthenticated}
	for _, name := range slices.Sorted(maps.Keys(subs)) {
		amr = append(amr, name, name+":OIDC:"+subs[name])
	}
	c := *ident
	c.Logins = maps.Clone(ident.Logins)
	return &resolved{identity: c, pool: p, amr: amr, logins: verified, tags: principalTags(p, verified)}, nil
}

// OpenIDToken is GetOpenIdToken: a Cognito-issued OpenID token for the
// identity (the basic flow), after checking the logins.
func (s *Service) OpenIDToken(ctx context.Context, identityID string, logins map[string]string) (string, error) {
	r, err := s.resolve(ctx, identityID, logins)
	if err != nil {
		return "", err
	}
	if r.pool.AllowClassicFlow != nil && !*r.pool.AllowClassicFlow {
		return "", apiError(CodeInvalidParameter, fmt.Errorf("pool %s has AllowClassicFlow false", r.pool.ID), msgClassicFlowDisabled)
	}
	return s.keys.sign(s.claims(r, s.behavior.TokenLifetime))
}

// CredentialsForIdentity is GetCredentialsForIdentity (the enhanced flow):
// it checks the logins, picks the role (the pool's role for the identity's
// kind, or the one its role mappings and customRoleARN choose), mints the
// identity's OpenID token with the session's principal tags and assumes the
// role with it, through STS's AssumeRoleWithWebIdentity.
func (s *Service) CredentialsForIdentity(ctx context.Context, identityID string, logins map[string]string, customRoleARN string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	if customRoleARN != "" {
		if err := constraint("customRoleArn", customRoleARN, 20, 2048, nil, ""); err != nil {
			return nil, err
		}
	}
	r, err := s.resolve(ctx, identityID, logins)
	if err != nil {
		return nil, err
	}
	role, err := s.pickRole(r, customRoleARN)
	if err != nil {
		return nil, err
	}
	token, err := s.keys.sign(s.claims(r, s.behavior.TokenLifetime))
	if err != nil {
		return nil, apiError(CodeInternalError, err, "An internal error occurred.")
	}
	dur := int(s.behavior.SessionDuration / time.Second)
	out, err := s.wi.AssumeRoleWithWebIdentity(ctx, sts.AssumeRoleWithWebIdentityInput{RoleARN: role,
		RoleSessionName: s.behavior.RoleSessionName, WebIdentityToken: token, DurationSeconds: &dur})
	if err != nil {
		var e *awsapi.Error
		if errors.As(err, &e) && (e.Code == awsapi.CodeAccessDenied || e.Code == awsapi.CodeValidation) {
			return nil, apiError(CodeInvalidIdentityPoolConfiguration, fmt.Errorf("AssumeRoleWithWebIdentity %s: %w", role, err), msgInvalidPoolConfig)
		}
		return nil, apiError(CodeInternalError, err, "An internal error occurred.")
	}
	s.logger.InfoContext(ctx, "GetCredentialsForIdentity", "identity_id", identityID, "pool_id", r.pool.ID,
		"role_arn", role, "amr", strings.Join(r.amr, ","), "credentials", out.Credentials)
	return out, nil
}

// pickRole returns the role GetCredentialsForIdentity assumes for r. For an
// authenticated identity, the first login provider of the call (in name
// order) that has a role mapping decides: CustomRoleArn must be one of the
// roles the mapping allows; otherwise the mapping's pick, or its
// AmbiguousRoleResolution. Without a mapping the pool's role for the
// identity's kind is used and CustomRoleArn is refused.
func (s *Service) pickRole(r *resolved, customRoleARN string) (string, error) {
	kind := RoleUnauthenticated
	if r.amr[0] == RoleAuthenticated {
		kind = RoleAuthenticated
	}
	var (
		mapping  RoleMapping
		provider string
	)
	if kind == RoleAuthenticated {
		for _, name := range slices.Sorted(maps.Keys(r.logins)) {
			if m, ok := r.pool.RoleMappings[name]; ok {
				mapping, provider = m, name
				break
			}
		}
	}
	if provider == "" {
		if customRoleARN != "" {
			return "", apiError(CodeInvalidParameter, fmt.Errorf("CustomRoleArn %s: no role mapping applies to this %s identity's logins", customRoleARN, kind), msgCustomRole)
		}
		return s.poolRole(r.pool, kind)
	}
	choice := mapping.choose(r.logins[provider].claims)
	switch {
	case customRoleARN != "":
		if !slices.Contains(choice.allowed, customRoleARN) {
			return "", apiError(CodeNotAuthorized, fmt.Errorf("CustomRoleArn %s is none of the roles %q the %s mapping of %s allows", customRoleARN, choice.allowed, mapping.Type, provider), msgCustomRoleDenied, customRoleARN)
		}
		return customRoleARN, nil
	case choice.picked != "":
		return choice.picked, nil
	case mapping.AmbiguousRoleResolution == ResolveAuthenticatedRole:
		return s.poolRole(r.pool, RoleAuthenticated)
	}
	why := "no rule matches the token's claims"
	if mapping.Type == MappingToken {
		why = fmt.Sprintf("the token has no cognito:preferred_role (cognito:roles %q)", choice.allowed)
	}
	return "", apiError(CodeNotAuthorized, fmt.Errorf("%s mapping of %s: %s and AmbiguousRoleResolution is Deny", mapping.Type, provider, why), msgAmbiguousDenied, provider)
}

func (s *Service) poolRole(p *Pool, kind string) (string, error) {
	role := p.Roles[kind]
	if role == "" {
		return "", apiError(CodeInvalidIdentityPoolConfiguration, fmt.Errorf("pool %s has no %s role", p.ID, kind), msgInvalidPoolConfig)
	}
	return role, nil
}

// linkLoginsLocked links the logins subs (provider name to subject) to
// ident and stores it when that changed anything: a provider not linked
// yet is added; one linked to another subject is replaced only with
// replace (a developer provider's user, whose subject is the identity's
// own).
func (s *Service) linkLoginsLocked(ident *Identity, subs map[string]string, replace bool) error {
	changed := false
	for name, sub := range subs {
		old, linked := ident.Logins[name]
		if linked && (old == sub || !replace) {
			continue
		}
		if ident.Logins == nil {
			ident.Logins = map[string]string{}
		}
		ident.Logins[name] = sub
		changed = true
	}
	if !changed {
		return nil
	}
	ident.Modified = s.now().UTC()
	if err := s.saveIdentity(ident); err != nil {
		return apiError(CodeInternalError, err, "An internal error occurred.")
	}
	return nil
}
