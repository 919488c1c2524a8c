package cognito

import (
	"fmt"
	"maps"
	"slices"
)

// tagsClaim is the claim STS reads session tags from.
const tagsClaim = "https://aws.amazon.com/tags"

// maxPrincipalTags is the most tags a session can carry (STS's limit of 50
// session tags).
const maxPrincipalTags = 50

// PrincipalTagMap is a provider's attributes for access control: the
// principal tags a session gets from the claims of the provider's token.
type PrincipalTagMap struct {
	// UseDefaults maps DefaultPrincipalTags instead of Tags.
	UseDefaults bool
	// Tags maps a tag key to the claim whose value it gets.
	Tags map[string]string
}

// DefaultPrincipalTags are the default mappings of an OpenID Connect
// provider ("username and clientID" in the API reference): the tag username
// from sub and client from aud.
func DefaultPrincipalTags() map[string]string {
	return map[string]string{"username": "sub", "client": "aud"}
}

func (m PrincipalTagMap) tags() map[string]string {
	if m.UseDefaults {
		return DefaultPrincipalTags()
	}
	return m.Tags
}

// SetPrincipalTags is SetPrincipalTagAttributeMap: it replaces the
// attributes for access control of provider in the pool and returns them as
// stored.
func (s *Service) SetPrincipalTags(poolID, provider string, m PrincipalTagMap) (PrincipalTagMap, error) {
	if err := checkPoolID(poolID); err != nil {
		return PrincipalTagMap{}, err
	}
	if err := constraint("identityProviderName", provider, 1, 128, nil, ""); err != nil {
		return PrincipalTagMap{}, err
	}
	if len(m.Tags) > maxPrincipalTags {
		return PrincipalTagMap{}, apiError(CodeValidation, nil, "1 validation error detected: Value at 'principalTags' failed to satisfy constraint: Member must have length less than or equal to %d", maxPrincipalTags)
	}
	for _, k := range slices.Sorted(maps.Keys(m.Tags)) {
		if err := constraint("principalTags", k, 1, 128, nil, ""); err != nil {
			return PrincipalTagMap{}, err
		}
		if err := constraint("principalTags", m.Tags[k], 1, 256, nil, ""); err != nil {
			return PrincipalTagMap{}, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.tagProviderPoolLocked(poolID, provider)
	if err != nil {
		return PrincipalTagMap{}, err
	}
	stored := PrincipalTagMap{UseDefaults: m.UseDefaults, Tags: maps.Clone(m.Tags)}
	if stored.UseDefaults {
		stored.Tags = DefaultPrincipalTags()
	}
	old := p.PrincipalTags
	p.PrincipalTags = maps.Clone(old)
	if p.PrincipalTags == nil {
		p.PrincipalTags = map[string]PrincipalTagMap{}
	}
	p.PrincipalTags[provider] = stored
	if err := s.savePool(p); err != nil {
		p.PrincipalTags = old
		return PrincipalTagMap{}, apiError(CodeInternalError, err, "An internal error occurred.")
	}
	return PrincipalTagMap{UseDefaults: stored.UseDefaults, Tags: maps.Clone(stored.Tags)}, nil
}

// PrincipalTags is GetPrincipalTagAttributeMap: the attributes for access
// control of provider in the pool (UseDefaults false and no tags when none
// were set).
func (s *Service) PrincipalTags(poolID, provider string) (PrincipalTagMap, error) {
	if err := checkPoolID(poolID); err != nil {
		return PrincipalTagMap{}, err
	}
	if err := constraint("identityProviderName", provider, 1, 128, nil, ""); err != nil {
		return PrincipalTagMap{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.tagProviderPoolLocked(poolID, provider)
	if err != nil {
		return PrincipalTagMap{}, err
	}
	m := p.PrincipalTags[provider]
	return PrincipalTagMap{UseDefaults: m.UseDefaults, Tags: maps.Clone(m.Tags)}, nil
}

// principalTags are the session tags of a call's logins: for each provider
// with attributes for access control, each tag gets its claim's value (the
// first, for a list claim; claims the token lacks give no tag). Providers
// are read in name order; a later one does not replace an earlier tag.
func principalTags(p *Pool, logins map[string]login) map[string]string {
	var out map[string]string
	for _, name := range slices.Sorted(maps.Keys(logins)) {
		m, ok := p.PrincipalTags[name]
		if !ok || logins[name].claims == nil {
			continue
		}
		tags := m.tags()
		for _, key := range slices.Sorted(maps.Keys(tags)) {
			raw, ok := logins[name].claims.Raw(tags[key])
			if !ok {
				continue
			}
			vals := claimStrings(raw)
			if len(vals) == 0 {
				continue
			}
			if out == nil {
				out = map[string]string{}
			}
			if _, done := out[key]; !done {
				out[key] = vals[0]
			}
		}
	}
	return out
}

// tagProviderPoolLocked returns the pool poolID when provider is one of its
// configured providers, the only ones principal tags may be mapped for.
func (s *Service) tagProviderPoolLocked(poolID, provider string) (*Pool, error) {
	p, err := s.poolLocked(poolID)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(p.configuredProviders(), provider) {
		return nil, apiError(CodeInvalidParameter, fmt.Errorf("%q is none of the pool's providers %q", provider, p.configuredProviders()), msgTagProviderUnknown, provider)
	}
	return p, nil
}
