package cognito

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// maxTokenDuration is the longest TokenDuration (model: 1–86400 seconds).
const maxTokenDuration = 86400

// DeveloperTokenInput is GetOpenIdTokenForDeveloperIdentity's request.
type DeveloperTokenInput struct {
	PoolID string
	// IdentityID, when set, links the developer user to that identity.
	IdentityID string
	// Logins must hold the pool's DeveloperProviderName with the app's user
	// identifier; other keys are login tokens of the pool's providers.
	Logins map[string]string
	// PrincipalTags become the session's tags in GetCredentialsForIdentity.
	PrincipalTags map[string]string
	// TokenDuration is the token's lifetime in seconds (default
	// Behavior.TokenLifetime).
	TokenDuration *int64
}

// DeveloperToken is GetOpenIdTokenForDeveloperIdentity (developer
// authenticated identities): the app's back end, signed with AWS
// credentials, vouches for one of its own users under the pool's
// DeveloperProviderName. It returns the user's identity ID (created on first
// use) and a Cognito OpenID token the app sends to GetCredentialsForIdentity
// or GetOpenIdToken under the Logins key cognito-identity.amazonaws.com.
func (s *Service) DeveloperToken(ctx context.Context, in DeveloperTokenInput) (identityID, token string, err error) {
	if err := checkPoolID(in.PoolID); err != nil {
		return "", "", err
	}
	if in.IdentityID != "" {
		if err := checkIdentityID(in.IdentityID); err != nil {
			return "", "", err
		}
	}
	lifetime := s.behavior.TokenLifetime
	if d := in.TokenDuration; d != nil {
		if *d < 1 || *d > maxTokenDuration {
			return "", "", apiError(CodeValidation, nil, "1 validation error detected: Value '%d' at 'tokenDuration' failed to satisfy constraint: Member must have value %s", *d,
				map[bool]string{true: "greater than or equal to 1", false: fmt.Sprintf("less than or equal to %d", maxTokenDuration)}[*d < 1])
		}
		lifetime = time.Duration(*d) * time.Second
	}
	if len(in.PrincipalTags) > maxPrincipalTags {
		return "", "", apiError(CodeValidation, nil, "1 validation error detected: Value at 'principalTags' failed to satisfy constraint: Member must have length less than or equal to %d", maxPrincipalTags)
	}
	s.mu.Lock()
	p, err := s.poolLocked(in.PoolID)
	if err == nil {
		p = p.clone()
	}
	s.mu.Unlock()
	if err != nil {
		return "", "", err
	}
	dev := p.DeveloperProviderName
	if dev == "" {
		return "", "", apiError(CodeNotAuthorized, fmt.Errorf("pool %s has no DeveloperProviderName", p.ID), msgNoDeveloperProvider)
	}
	user, ok := in.Logins[dev]
	if !ok {
		return "", "", apiError(CodeInvalidParameter, fmt.Errorf("logins %q lack the developer provider %q", slices.Sorted(maps.Keys(in.Logins)), dev), msgDeveloperLoginMissing, dev)
	}
	if err := constraint("logins", user, 1, 128, nil, ""); err != nil {
		return "", "", err
	}
	others := maps.Clone(in.Logins)
	delete(others, dev)
	verified, err := s.verifyLogins(ctx, p, others)
	if err != nil {
		return "", "", err
	}
	subs := subsOf(verified)
	subs[dev] = user

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.poolLocked(p.ID); err != nil {
		return "", "", err
	}
	owner := s.identityForLoginsLocked(p.ID, map[string]string{dev: user})
	var ident *Identity
	switch {
	case in.IdentityID != "":
		i, ok := s.identities[in.IdentityID]
		if !ok || i.PoolID != p.ID {
			return "", "", apiError(CodeResourceNotFound, nil, msgIdentityNotFound, in.IdentityID)
		}
		if owner != nil && owner.ID != i.ID {
			return "", "", apiError(CodeDeveloperUserAlreadyRegistered, fmt.Errorf("developer user %s:%s belongs to identity %s", dev, user, owner.ID), msgDeveloperUserRegistered)
		}
		ident = i
	case owner != nil:
		ident = owner
	default:
		if o := s.identityForLoginsLocked(p.ID, subsOf(verified)); o != nil && len(verified) > 0 {
			ident = o
		} else {
			now := s.now().UTC()
			ident = &Identity{ID: s.newID(), PoolID: p.ID, Created: now, Modified: now}
			s.identities[ident.ID] = ident
		}
	}
	if err := s.linkLoginsLocked(ident, subs, true); err != nil {
		return "", "", err
	}
	// amr: "authenticated", the developer provider, and
	// "<provider>:<pool ID>:<user identifier>", the pool ID being
	// "<region>:<UUID>" (a decoded AWS token in a public talk shows
	// "<provider>:ap-northeast-1:<pool>:<developer ID>").
	amr := []string{RoleAuthenticated, dev, dev + ":" + p.ID + ":" + user}
	c := *ident
	c.Logins = maps.Clone(ident.Logins)
	r := &resolved{identity: c, pool: p, amr: amr, logins: verified, tags: maps.Clone(in.PrincipalTags)}
	if len(r.tags) == 0 {
		r.tags = principalTags(p, verified)
	}
	tok, err := s.keys.sign(s.claims(r, lifetime))
	if err != nil {
		return "", "", apiError(CodeInternalError, err, "An internal error occurred.")
	}
	return ident.ID, tok, nil
}

// resolveCognitoLogin checks a call whose Logins hold a Cognito OpenID
// token (from GetOpenIdTokenForDeveloperIdentity): the token must verify,
// name the pool as aud and the identity as sub; the session keeps its amr
// and principal tags.
func (s *Service) resolveCognitoLogin(ctx context.Context, ident Identity, p *Pool, logins map[string]string) (*resolved, error) {
	if len(logins) != 1 {
		return nil, apiError(CodeInvalidParameter, fmt.Errorf("logins %q mix a Cognito token with other providers", slices.Sorted(maps.Keys(logins))), msgCognitoLoginAlone)
	}
	v, err := s.wi.VerifyToken(ctx, logins[ProviderName])
	if err != nil {
		return nil, loginError(ProviderName, err)
	}
	c := v.Token.Claims
	if c.Issuer != Issuer {
		return nil, apiError(CodeNotAuthorized, fmt.Errorf("token iss %q is not %s", c.Issuer, Issuer), msgIssuerMismatch)
	}
	if !slices.Contains(c.Audience, p.ID) || c.Subject != ident.ID {
		return nil, apiError(CodeNotAuthorized, fmt.Errorf("the Cognito token is for identity %s of pool %q, not identity %s of pool %s", c.Subject, []string(c.Audience), ident.ID, p.ID), msgLoginsDontMatch)
	}
	if len(c.AMR) == 0 || c.AMR[0] != RoleAuthenticated {
		return nil, apiError(CodeNotAuthorized, errors.New("the Cognito token is not an authenticated identity's"), msgLoginsDontMatch)
	}
	r := &resolved{identity: ident, pool: p, amr: slices.Clone(c.AMR)}
	if c.Tags != nil {
		for k, vals := range c.Tags.PrincipalTags {
			if r.tags == nil {
				r.tags = map[string]string{}
			}
			r.tags[k] = strings.Join(vals, "")
		}
	}
	return r, nil
}
