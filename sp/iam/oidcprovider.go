package iam

import (
	"context"
	"crypto/sha1" //nolint:gosec // IAM thumbprints are defined as SHA-1 (IAM API reference).
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Limits of IAM OIDC providers (IAM API reference, CreateOpenIDConnectProvider;
// IAM quotas).
const (
	MaxOIDCProviders   = 100
	MaxOIDCClientIDs   = 100
	MaxOIDCThumbprints = 5
	maxOIDCURLLen      = 255
	maxClientIDLen     = 255
	thumbprintLen      = 40
)

// OIDCProvider is an IAM OpenID Connect identity provider. Values returned by
// Account are snapshots: changing them does not change the account.
type OIDCProvider struct {
	ARN string
	// URL is the issuer URL as registered, scheme included
	// ("https://token.example.com/path").
	URL string
	// ClientIDs are the audiences, in the order they were added.
	ClientIDs []string
	// Thumbprints are lower-case hex SHA-1 certificate thumbprints.
	Thumbprints []string
	CreateDate  time.Time
	// Tags are sorted by key.
	Tags []awsapi.Tag
}

// HostPath is the URL without its scheme: the part after "oidc-provider/" in
// the ARN, the prefix of the provider's trust-policy condition keys
// ("host/path:aud") and what GetOpenIDConnectProvider returns as Url.
func (p *OIDCProvider) HostPath() string { return hostPath(p.URL) }

func hostPath(u string) string {
	if rest, ok := strings.CutPrefix(u, "https://"); ok {
		return rest
	}
	return strings.TrimPrefix(u, "http://")
}

func (p *OIDCProvider) clone() *OIDCProvider {
	c := *p
	c.ClientIDs = slices.Clone(p.ClientIDs)
	c.Thumbprints = slices.Clone(p.Thumbprints)
	c.Tags = slices.Clone(p.Tags)
	return &c
}

// oidcProviders is the account's OIDC provider table. It has its own lock so
// that it stays apart from the SAML-provider and role code.
type oidcProviders struct {
	mu       sync.RWMutex
	byARN    map[string]*OIDCProvider
	insecure bool              // accept http:// issuer URLs on loopback
	store    OIDCProviderStore // nil: memory only
}

// SetInsecureHTTPIssuers makes CreateOpenIDConnectProvider accept http://
// issuer URLs whose host is a loopback address (127.0.0.0/8, ::1,
// localhost). AWS accepts only https:// URLs; this switch exists because an
// IdP running on a laptop or in CI usually has no TLS certificate. It is off
// by default and changes nothing else: https:// URLs keep working as on AWS.
func (a *Account) SetInsecureHTTPIssuers(on bool) {
	a.oidc.mu.Lock()
	defer a.oidc.mu.Unlock()
	a.oidc.insecure = on
}

// OIDCProviderARN returns the ARN of the OIDC provider registered for url.
func (a *Account) OIDCProviderARN(url string) string {
	return fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", a.partition, a.id, hostPath(url))
}

// CreateOIDCProviderInput is the input of CreateOIDCProvider (IAM
// CreateOpenIDConnectProvider).
type CreateOIDCProviderInput struct {
	URL         string
	ClientIDs   []string
	Thumbprints []string
	Tags        []awsapi.Tag
}

// Messages of IAM's OIDC-provider operations. Those marked "recorded" were
// returned by AWS in recorded API exchanges (request and response captured
// against a real account); the others are unverified choices, kept here so
// they can be corrected in one place.
const (
	msgInvalidOIDCURL        = "Invalid Open ID Connect Provider URL"                          // recorded (ValidationError, 400)
	msgOIDCProviderExists    = "Provider with url %s already exists."                          // recorded (EntityAlreadyExists, 409)
	msgTooManyThumbprints    = "Thumbprint list must contain fewer than 5 entries."            // recorded (InvalidInput, 400), for 6 entries
	msgNoThumbprint          = "Thumbprint list must contain at least one entry."              // seen for Create before thumbprints became optional; used for an empty Update (unverified)
	msgClientIDQuota         = "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d" // recorded (LimitExceeded, 409)
	msgOIDCProviderQuota     = "Cannot exceed quota for OpenIdConnectProvidersPerAccount: %d"  // recorded (LimitExceeded, 409)
	msgOIDCProviderNotFound  = "OpenIDConnect Provider not found for arn %s"                   // recorded for Get (NoSuchEntity, 404); used for every operation but Delete
	msgOIDCProviderNotFoundD = "OpenId connect Provider %s cannot be found."                   // recorded for Delete (NoSuchEntity, 404)
)

func noSuchOIDCProvider(arn string) *awsapi.Error {
	return awsapi.Errorf(awsapi.CodeNoSuchEntity, http.StatusNotFound, msgOIDCProviderNotFound, arn)
}

// validation collects AWS's "N validation errors detected: …" entries. AWS
// lists the members in alphabetical order and, for OIDC-provider members,
// does not echo their values (recorded).
type validation []string

func (v *validation) add(member, constraint string) {
	*v = append(*v, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Member must %s", member, constraint))
}

// listMembers records one entry for a list whose members break their length
// bounds, in the bracketed form AWS uses for list members (recorded).
func (v *validation) listMembers(member string, vals []string, minLen, maxLen int) {
	for _, s := range vals {
		if n := utf8.RuneCountInString(s); n < minLen || n > maxLen {
			v.add(member, fmt.Sprintf("satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to %d]", maxLen, minLen))
			return
		}
	}
}

func (v *validation) length(member, s string, minLen, maxLen int) {
	n := utf8.RuneCountInString(s)
	if n > maxLen {
		v.add(member, fmt.Sprintf("have length less than or equal to %d", maxLen))
	}
	if n < minLen {
		v.add(member, fmt.Sprintf("have length greater than or equal to %d", minLen))
	}
}

func (v validation) err() error {
	if len(v) == 0 {
		return nil
	}
	sort.Strings(v) // "Value at 'clientIDList'…" < "Value at 'thumbprintList'…" < "Value at 'url'…"
	noun := "error"
	if len(v) > 1 {
		noun = "errors"
	}
	return awsapi.Errorf(awsapi.CodeValidation, http.StatusBadRequest, "%d validation %s detected: %s", len(v), noun, strings.Join(v, "; "))
}

// checkOIDCURL implements IAM's URL rules: https:// (or, with the insecure
// switch, http:// on a loopback host), a host, no query, fragment or user
// information. Paths are allowed; ports too (the API reference says the URL
// "should not" contain one; samlab's issuers always do).
func checkOIDCURL(raw string, insecure bool) error {
	bad := &awsapi.Error{Code: awsapi.CodeValidation, Status: http.StatusBadRequest, Message: msgInvalidOIDCURL}
	u, err := url.Parse(raw)
	if err != nil {
		return bad.WithCause(err)
	}
	if u.Host == "" || u.Hostname() == "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#") {
		return bad.WithCause(fmt.Errorf("url %q needs a host and no query, fragment or user information", raw))
	}
	switch {
	case strings.HasPrefix(raw, "https://"):
		return nil
	case strings.HasPrefix(raw, "http://") && insecure && IsLoopbackHost(u.Hostname()):
		return nil
	case strings.HasPrefix(raw, "http://") && IsLoopbackHost(u.Hostname()):
		return bad.WithCause(fmt.Errorf("url %q is http://; AWS requires https:// (samlab accepts http:// on loopback only with its insecure-http-issuers switch)", raw))
	}
	return bad.WithCause(fmt.Errorf("url %q does not begin with https://", raw))
}

// IsLoopbackHost reports whether host (no port) is "localhost" or a loopback
// IP address.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.IsLoopback()
}

func normalizeThumbprints(tps []string) []string {
	out := make([]string, 0, len(tps))
	for _, t := range tps {
		t = strings.ToLower(t)
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func dedupe(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// CreateOIDCProvider implements IAM CreateOpenIDConnectProvider. Without
// thumbprints, IAM takes the thumbprint of the top certificate the issuer's
// host presents (IAM API reference: "the top intermediate certificate
// authority (CA) thumbprint"); samlab does the same over loopback TLS, and
// registers none for an http:// issuer or a host it cannot reach
// (unverified: what AWS does when it cannot connect).
func (a *Account) CreateOIDCProvider(ctx context.Context, in CreateOIDCProviderInput) (*OIDCProvider, error) {
	var v validation
	v.listMembers("clientIDList", in.ClientIDs, 1, maxClientIDLen)
	v.listMembers("thumbprintList", in.Thumbprints, thumbprintLen, thumbprintLen)
	v.length("url", in.URL, 1, maxOIDCURLLen)
	if err := v.err(); err != nil {
		return nil, err
	}
	a.oidc.mu.RLock()
	insecure := a.oidc.insecure
	a.oidc.mu.RUnlock()
	if err := checkOIDCURL(in.URL, insecure); err != nil {
		return nil, err
	}
	thumbs := normalizeThumbprints(in.Thumbprints)
	if len(thumbs) > MaxOIDCThumbprints {
		return nil, awsapi.Errorf(awsapi.CodeInvalidInput, http.StatusBadRequest, msgTooManyThumbprints)
	}
	ids := dedupe(in.ClientIDs)
	if len(ids) > MaxOIDCClientIDs {
		return nil, awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict, msgClientIDQuota, MaxOIDCClientIDs)
	}
	tags, err := checkTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	if len(thumbs) == 0 && strings.HasPrefix(in.URL, "https://") {
		if tp, err := a.fetchThumbprint(ctx, in.URL); err == nil {
			thumbs = []string{tp}
		}
	}
	arn := a.OIDCProviderARN(in.URL)
	p := &OIDCProvider{ARN: arn, URL: in.URL, ClientIDs: ids, Thumbprints: thumbs,
		CreateDate: a.now().UTC().Truncate(time.Second), Tags: tags}
	a.oidc.mu.Lock()
	defer a.oidc.mu.Unlock()
	if _, ok := a.oidc.byARN[arn]; ok {
		return nil, awsapi.Errorf(awsapi.CodeEntityAlreadyExists, http.StatusConflict, msgOIDCProviderExists, in.URL)
	}
	if len(a.oidc.byARN) >= MaxOIDCProviders {
		return nil, awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict, msgOIDCProviderQuota, MaxOIDCProviders)
	}
	if err := a.putOIDCProvider(p); err != nil {
		return nil, err
	}
	return p.clone(), nil
}

// fetchThumbprint connects to the URL's host (loopback only) and returns the
// SHA-1 thumbprint of the last certificate in the chain it presents.
func (a *Account) fetchThumbprint(ctx context.Context, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if !IsLoopbackHost(u.Hostname()) {
		return "", fmt.Errorf("%s is not a loopback host", u.Hostname())
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	d := &tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true, ServerName: u.Hostname()}} //nolint:gosec // only the presented chain is read, for its thumbprint
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return "", err
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", fmt.Errorf("%s presented no certificate", u.Host)
	}
	return Thumbprint(certs[len(certs)-1].Raw), nil
}

// Thumbprint is IAM's thumbprint of a DER certificate: lower-case hex SHA-1.
func Thumbprint(der []byte) string {
	sum := sha1.Sum(der) //nolint:gosec // IAM's definition
	return hex.EncodeToString(sum[:])
}

// putOIDCProvider persists p and then installs it. The caller holds a.oidc.mu.
func (a *Account) putOIDCProvider(p *OIDCProvider) error {
	if s := a.oidc.store; s != nil {
		if err := s.PutOIDCProvider(p); err != nil {
			return storeFailure(err)
		}
	}
	if a.oidc.byARN == nil {
		a.oidc.byARN = map[string]*OIDCProvider{}
	}
	a.oidc.byARN[p.ARN] = p
	return nil
}

// OIDCProvider returns the provider with the given ARN.
func (a *Account) OIDCProvider(arn string) (*OIDCProvider, error) {
	a.oidc.mu.RLock()
	defer a.oidc.mu.RUnlock()
	p, ok := a.oidc.byARN[arn]
	if !ok {
		return nil, noSuchOIDCProvider(arn)
	}
	return p.clone(), nil
}

// OIDCProviderForIssuer returns the provider whose URL, without its scheme,
// is the issuer's: how STS picks the provider for a token's iss claim. The
// comparison is exact (IAM: "The URL is case-sensitive"); an issuer with a
// trailing slash does not match a provider registered without one
// (unverified).
func (a *Account) OIDCProviderForIssuer(iss string) (*OIDCProvider, bool) {
	if !strings.HasPrefix(iss, "https://") && !strings.HasPrefix(iss, "http://") {
		return nil, false
	}
	a.oidc.mu.RLock()
	defer a.oidc.mu.RUnlock()
	p, ok := a.oidc.byARN[a.OIDCProviderARN(iss)]
	if !ok || p.URL != iss && hostPath(p.URL) != hostPath(iss) {
		return nil, false
	}
	// An http:// issuer matches only a provider registered with http://.
	if strings.HasPrefix(iss, "http://") != strings.HasPrefix(p.URL, "http://") {
		return nil, false
	}
	return p.clone(), true
}

// OIDCProviders lists the providers, sorted by ARN.
func (a *Account) OIDCProviders() []*OIDCProvider {
	a.oidc.mu.RLock()
	defer a.oidc.mu.RUnlock()
	out := make([]*OIDCProvider, 0, len(a.oidc.byARN))
	for _, p := range a.oidc.byARN {
		out = append(out, p.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}

// DeleteOIDCProvider implements IAM DeleteOpenIDConnectProvider. Deleting a
// provider that does not exist is NoSuchEntity (recorded; the API reference
// calls the operation idempotent). Roles that name it are left alone.
func (a *Account) DeleteOIDCProvider(arn string) error {
	a.oidc.mu.Lock()
	defer a.oidc.mu.Unlock()
	if _, ok := a.oidc.byARN[arn]; !ok {
		return awsapi.Errorf(awsapi.CodeNoSuchEntity, http.StatusNotFound, msgOIDCProviderNotFoundD, arn)
	}
	if s := a.oidc.store; s != nil {
		if err := s.DeleteOIDCProvider(arn); err != nil {
			return storeFailure(err)
		}
	}
	delete(a.oidc.byARN, arn)
	return nil
}

// updateOIDC applies change to a copy of the provider and stores it.
func (a *Account) updateOIDC(arn string, change func(p *OIDCProvider) error) error {
	a.oidc.mu.Lock()
	defer a.oidc.mu.Unlock()
	cur, ok := a.oidc.byARN[arn]
	if !ok {
		return noSuchOIDCProvider(arn)
	}
	p := cur.clone()
	if err := change(p); err != nil {
		return err
	}
	return a.putOIDCProvider(p)
}

// UpdateOIDCProviderThumbprint implements IAM
// UpdateOpenIDConnectProviderThumbprint: the list replaces the old one.
func (a *Account) UpdateOIDCProviderThumbprint(arn string, thumbprints []string) error {
	var v validation
	v.listMembers("thumbprintList", thumbprints, thumbprintLen, thumbprintLen)
	if err := v.err(); err != nil {
		return err
	}
	thumbs := normalizeThumbprints(thumbprints)
	if len(thumbs) > MaxOIDCThumbprints {
		return awsapi.Errorf(awsapi.CodeInvalidInput, http.StatusBadRequest, msgTooManyThumbprints)
	}
	if len(thumbs) == 0 {
		return awsapi.Errorf(awsapi.CodeInvalidInput, http.StatusBadRequest, msgNoThumbprint)
	}
	return a.updateOIDC(arn, func(p *OIDCProvider) error {
		p.Thumbprints = thumbs
		return nil
	})
}

func checkClientID(id string) error {
	var v validation
	v.length("clientID", id, 1, maxClientIDLen)
	return v.err()
}

// AddClientIDToOIDCProvider implements IAM AddClientIDToOpenIDConnectProvider.
// Adding a client ID that is already registered changes nothing.
func (a *Account) AddClientIDToOIDCProvider(arn, clientID string) error {
	if err := checkClientID(clientID); err != nil {
		return err
	}
	return a.updateOIDC(arn, func(p *OIDCProvider) error {
		if slices.Contains(p.ClientIDs, clientID) {
			return nil
		}
		if len(p.ClientIDs) >= MaxOIDCClientIDs {
			return awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict, msgClientIDQuota, MaxOIDCClientIDs)
		}
		p.ClientIDs = append(p.ClientIDs, clientID)
		return nil
	})
}

// RemoveClientIDFromOIDCProvider implements IAM
// RemoveClientIDFromOpenIDConnectProvider. Removing a client ID that is not
// registered changes nothing.
func (a *Account) RemoveClientIDFromOIDCProvider(arn, clientID string) error {
	if err := checkClientID(clientID); err != nil {
		return err
	}
	return a.updateOIDC(arn, func(p *OIDCProvider) error {
		p.ClientIDs = slices.DeleteFunc(p.ClientIDs, func(id string) bool { return id == clientID })
		return nil
	})
}

// TagOIDCProvider adds tags, replacing the values of existing keys.
func (a *Account) TagOIDCProvider(arn string, tags []awsapi.Tag) error {
	return a.updateOIDC(arn, func(p *OIDCProvider) error {
		merged, err := checkTags(p.Tags, tags)
		if err != nil {
			return err
		}
		p.Tags = merged
		return nil
	})
}

// UntagOIDCProvider removes the tags with the given keys.
func (a *Account) UntagOIDCProvider(arn string, keys []string) error {
	return a.updateOIDC(arn, func(p *OIDCProvider) error {
		p.Tags = slices.DeleteFunc(p.Tags, func(t awsapi.Tag) bool { return slices.Contains(keys, t.Key) })
		return nil
	})
}
