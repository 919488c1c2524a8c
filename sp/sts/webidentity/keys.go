package webidentity

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // IAM thumbprints are SHA-1 by definition.
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-jose/go-jose/v4"
)

var base64URL = base64.RawURLEncoding

// Errors of key retrieval and verification; callers branch on them with
// errors.Is.
var (
	// ErrFetch: the discovery document or the JWKS could not be retrieved
	// or read (HTTP error, bad JSON, no usable key).
	ErrFetch = errors.New("could not retrieve the verification keys")
	// ErrTimeout: the issuer did not answer in time.
	ErrTimeout = errors.New("identity provider did not answer in time")
	// ErrThumbprint: the issuer's TLS certificate chain matches none of the
	// provider's thumbprints and no trusted root.
	ErrThumbprint = errors.New("TLS certificate does not match a configured thumbprint")
	// ErrNotLoopback: samlab fetches keys from loopback addresses only.
	ErrNotLoopback = errors.New("not a loopback address")
	// ErrUnknownKey: no key in the JWKS has the token's kid (and type).
	ErrUnknownKey = errors.New("no key in the JWKS matches the token")
	// ErrSignature: the signature does not verify with the matching key.
	ErrSignature = errors.New("signature does not verify")
)

// maxDocument bounds a discovery document or JWKS (1 MiB).
const maxDocument = 1 << 20

// KeysConfig configures a Keys cache.
type KeysConfig struct {
	// TTL is how long fetched keys are used without asking the issuer again
	// (default 1 hour).
	TTL time.Duration
	// Timeout bounds each HTTP request (default 5 seconds).
	Timeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// TrustedRoots are CAs whose certificates make an https issuer trusted
	// without a thumbprint, as AWS's "library of trusted root CAs" does
	// (default: none, so every https issuer needs a thumbprint).
	TrustedRoots *x509.CertPool
}

// Keys fetches an issuer's JWKS through its discovery document and caches it
// per issuer. It is safe for concurrent use.
type Keys struct {
	cfg KeysConfig

	mu    sync.Mutex // guards cache
	cache map[string]cached
}

type cached struct {
	set     []jose.JSONWebKey
	fetched time.Time
}

// NewKeys returns an empty cache.
func NewKeys(cfg KeysConfig) *Keys {
	if cfg.TTL <= 0 {
		cfg.TTL = time.Hour
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Keys{cfg: cfg, cache: map[string]cached{}}
}

// Forget drops the cached keys of issuer.
func (k *Keys) Forget(issuer string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.cache, issuer)
}

// Get returns issuer's keys: from the cache when they were fetched less than
// TTL ago and refresh is false, else fetched from
// issuer/.well-known/openid-configuration's jwks_uri. thumbprints are the
// IAM provider's; an https issuer's certificate chain must match one (or a
// trusted root). The second result reports whether the keys were fetched now.
func (k *Keys) Get(ctx context.Context, issuer string, thumbprints []string, refresh bool) ([]jose.JSONWebKey, bool, error) {
	now := k.cfg.Now()
	k.mu.Lock()
	c, ok := k.cache[issuer]
	k.mu.Unlock()
	if ok && !refresh && now.Sub(c.fetched) < k.cfg.TTL {
		return c.set, false, nil
	}
	set, err := k.fetch(ctx, issuer, thumbprints)
	if err != nil {
		return nil, true, err
	}
	k.mu.Lock()
	k.cache[issuer] = cached{set: set, fetched: now}
	k.mu.Unlock()
	return set, true, nil
}

func (k *Keys) fetch(ctx context.Context, issuer string, thumbprints []string) ([]jose.JSONWebKey, error) {
	client := k.client(thumbprints)
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	discURL := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	if err := k.getJSON(ctx, client, discURL, &disc); err != nil {
		return nil, err
	}
	if disc.JWKSURI == "" {
		return nil, fmt.Errorf("%w: %s has no jwks_uri", ErrFetch, discURL)
	}
	u, err := url.Parse(disc.JWKSURI)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%w: jwks_uri %q is not an http(s) URL", ErrFetch, disc.JWKSURI)
	}
	if strings.HasPrefix(issuer, "https://") && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: jwks_uri %q is not https for an https issuer", ErrFetch, disc.JWKSURI)
	}
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := k.getJSON(ctx, client, disc.JWKSURI, &raw); err != nil {
		return nil, err
	}
	var set []jose.JSONWebKey
	for _, r := range raw.Keys {
		var key jose.JSONWebKey
		// Keys that do not parse (unknown kty, private parameters) are
		// skipped, as JWKS consumers do.
		if err := key.UnmarshalJSON(r); err != nil || !key.IsPublic() || (key.Use != "" && key.Use != "sig") {
			continue
		}
		set = append(set, key)
	}
	if len(set) == 0 {
		return nil, fmt.Errorf("%w: %s has no usable public signing key", ErrFetch, disc.JWKSURI)
	}
	return set, nil
}

func (k *Keys) getJSON(ctx context.Context, client *http.Client, u string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, k.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrFetch, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		var ne net.Error
		switch {
		case errors.Is(err, ErrThumbprint):
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return fmt.Errorf("GET %s: %w", u, err)
		case errors.Is(err, ErrNotLoopback):
			return fmt.Errorf("GET %s: %w: %w", u, ErrFetch, ErrNotLoopback)
		case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
			return fmt.Errorf("GET %s: %w", u, ErrTimeout)
		}
		return fmt.Errorf("GET %s: %w: %v", u, ErrFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %w: HTTP %d", u, ErrFetch, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		return fmt.Errorf("GET %s: %w: %v", u, ErrFetch, err)
	}
	if len(body) > maxDocument {
		return fmt.Errorf("GET %s: %w: document over %d bytes", u, ErrFetch, maxDocument)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w: %v", u, ErrFetch, err)
	}
	return nil
}

// client returns an HTTP client that connects to loopback addresses only,
// follows no redirects, and accepts an https server whose chain either
// verifies against TrustedRoots or whose top certificate (the last one the
// server sends) has one of thumbprints. Which certificate of the chain AWS
// hashes is documented as "the top intermediate CA"; matching only the last
// one sent is samlab's reading of it (unverified for chains where the
// server also sends the root). A thumbprint match is not the whole check:
// the IAM User Guide says that with the CA's thumbprint "you trust any
// certificate issued by that CA with the same DNS name as the one
// registered", so the chain must also verify up to that certificate, for
// the issuer's host name. A chain that fails that answers as a thumbprint
// mismatch (AWS's answer there is unverified).
func (k *Keys) client(thumbprints []string) *http.Client {
	dialer := &net.Dialer{Timeout: k.cfg.Timeout, Control: loopbackOnly}
	// The TLS handshake is done here rather than by the Transport, so that
	// the check knows the host asked for: for an IP address the TLS state
	// carries no server name.
	dialTLS := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		raw, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(ctx, k.cfg.Timeout)
		defer cancel()
		c := tls.Client(raw, k.tlsConfig(host, thumbprints))
		if err := c.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, err
		}
		return c, nil
	}
	return &http.Client{
		Transport: &http.Transport{DialContext: dialer.DialContext, DialTLSContext: dialTLS, Proxy: nil,
			ResponseHeaderTimeout: k.cfg.Timeout, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// tlsConfig checks a server's chain for host (a name or an IP address).
func (k *Keys) tlsConfig(host string, thumbprints []string) *tls.Config {
	roots := k.cfg.TrustedRoots
	return &tls.Config{
		ServerName:         host,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, //nolint:gosec // replaced by VerifyConnection below: IAM's thumbprint rule
		VerifyConnection: func(cs tls.ConnectionState) error {
			certs := cs.PeerCertificates
			if len(certs) == 0 {
				return ErrThumbprint
			}
			if roots != nil && verifyChain(certs, roots, host) == nil {
				return nil
			}
			top := certs[len(certs)-1]
			sum := sha1.Sum(top.Raw) //nolint:gosec // IAM's definition
			if !slices.Contains(thumbprints, hex.EncodeToString(sum[:])) {
				return ErrThumbprint
			}
			anchor := x509.NewCertPool()
			anchor.AddCert(top)
			if err := verifyChain(certs, anchor, host); err != nil {
				return fmt.Errorf("%w: the top certificate matches, but the chain does not verify up to it for %q: %v", ErrThumbprint, host, err)
			}
			return nil
		},
	}
}

// verifyChain verifies the server's chain (leaf first) against roots, for
// the host name (or IP address) the client asked for.
func verifyChain(certs []*x509.Certificate, roots *x509.CertPool, name string) error {
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: name})
	return err
}

// loopbackOnly refuses connections to anything but loopback addresses: samlab
// talks to identity providers on this machine only.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return fmt.Errorf("%s: %w", address, ErrNotLoopback)
	}
	return nil
}

// Verify checks the token's signature with the key of its kid (or, without a
// kid, with each key of the algorithm's type). Errors wrap ErrUnknownKey or
// ErrSignature.
func (t *Token) Verify(keys []jose.JSONWebKey) error {
	var candidates []jose.JSONWebKey
	for _, key := range keys {
		if t.KeyID != "" && key.KeyID != t.KeyID {
			continue
		}
		if key.Algorithm != "" && key.Algorithm != t.Algorithm {
			continue
		}
		if !typeFits(key, t.Algorithm) {
			continue
		}
		candidates = append(candidates, key)
	}
	if len(candidates) == 0 {
		return fmt.Errorf("%w: kid %q, alg %s", ErrUnknownKey, t.KeyID, t.Algorithm)
	}
	for _, key := range candidates {
		if _, err := t.jws.Verify(key); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%w: kid %q, alg %s", ErrSignature, t.KeyID, t.Algorithm)
}

// typeFits reports whether key can verify alg: RS* needs an RSA key, ES* an
// EC key (go-jose checks the curve).
func typeFits(key jose.JSONWebKey, alg string) bool {
	switch key.Key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS")
	case *ecdsa.PublicKey:
		return strings.HasPrefix(alg, "ES")
	}
	return false
}
