package oidc

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/samlab-dev/samlab/idp"
)

// TokenOptions adjust one ID token. Zero values take defaults.
type TokenOptions struct {
	// Audience is the aud claim: the client ID. Required.
	Audience string
	// Nonce is echoed as the nonce claim when set.
	Nonce string
	// AuthTime is the auth_time claim (default: the issue time).
	AuthTime time.Time
	// AccessToken, when set, is bound to the ID token by at_hash.
	AccessToken string
	// Lifetime is exp - iat (default Config.IDTokenLifetime).
	Lifetime time.Duration
	// Now is the issue time (default: the provider's clock).
	Now time.Time
	// Fault injects a defect (see Faults).
	Fault Fault
}

// ErrNoAudience is returned by IDToken without an audience.
var ErrNoAudience = errors.New("an audience (client ID) is required")

// IDToken issues a signed ID token for u: the claims of UserClaims plus
// iss, aud, azp, iat, exp, auth_time, jti, and nonce and at_hash when asked
// for, with opts.Fault injected.
func (p *Provider) IDToken(u idp.User, opts TokenOptions) (string, error) {
	if opts.Audience == "" {
		return "", fmt.Errorf("oidc: id token: %w", ErrNoAudience)
	}
	if _, err := ParseFault(string(opts.Fault)); err != nil {
		return "", fmt.Errorf("oidc: id token: %w", err)
	}
	now := opts.Now
	if now.IsZero() {
		now = p.now()
	}
	life := opts.Lifetime
	if life <= 0 {
		life = p.cfg.IDTokenLifetime
	}
	p.mu.RLock()
	ring := p.ring.clone()
	p.mu.RUnlock()
	key := ring.Current
	iss, aud := p.cfg.Issuer, opts.Audience
	claims := UserClaims(u)
	switch opts.Fault {
	case FaultExpired:
		now, life = now.Add(-FaultSkew), faultLifetime
	case FaultNotYetValid:
		now = now.Add(FaultSkew)
		claims["nbf"] = now.Unix()
	case FaultWrongIssuer:
		iss = FaultIssuer
	case FaultWrongAudience:
		aud = FaultAudience
	case FaultStaleKey:
		if len(ring.Previous) == 0 {
			return "", fmt.Errorf("oidc: fault %s: %w", opts.Fault, ErrNoPreviousKey)
		}
		key = ring.Previous[0]
	}
	authTime := opts.AuthTime
	if authTime.IsZero() || opts.Fault == FaultExpired || opts.Fault == FaultNotYetValid {
		authTime = now
	}
	jti, err := p.randomID()
	if err != nil {
		return "", err
	}
	claims["iss"], claims["aud"], claims["azp"] = iss, aud, opts.Audience
	claims["iat"], claims["exp"], claims["auth_time"] = now.Unix(), now.Add(life).Unix(), authTime.Unix()
	claims["jti"] = jti
	if opts.Fault == FaultNoAudience {
		delete(claims, "aud")
	}
	if opts.Nonce != "" {
		claims["nonce"] = opts.Nonce
	}
	if opts.AccessToken != "" {
		claims["at_hash"] = atHash(key.Algorithm, opts.AccessToken)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("oidc: id token claims: %w", err)
	}
	tok, err := p.sign(key, payload, "JWT", opts.Fault)
	if err != nil {
		return "", fmt.Errorf("oidc: id token: %w", err)
	}
	return tok, nil
}

// sign signs payload with key as a compact JWS with header typ, applying
// the signing faults.
func (p *Provider) sign(key *Key, payload []byte, typ string, f Fault) (string, error) {
	jwk := jose.JSONWebKey{Key: key.Signer, KeyID: key.ID}
	switch f {
	case FaultForeignKey:
		foreign, err := p.NewKey()
		if err != nil {
			return "", err
		}
		jwk.Key = foreign.Signer
	case FaultUnknownKID:
		jwk.KeyID = FaultKeyID
	case FaultAlgNone:
		// go-jose cannot produce an unsecured JWS (on purpose), so the token
		// is assembled by hand: header, payload, empty signature.
		return unsecured(map[string]any{"alg": "none", "typ": typ, "kid": key.ID}, payload, nil)
	case FaultHS256PublicKey:
		der, err := x509.MarshalPKIXPublicKey(key.Signer.Public())
		if err != nil {
			return "", err
		}
		secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		// go-jose refuses nothing here, but signing by hand keeps the
		// secret exactly the PEM bytes an attacker would take from the
		// published key.
		return unsecured(map[string]any{"alg": "HS256", "typ": typ, "kid": key.ID}, payload, secret)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: key.Algorithm, Key: jwk},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		return "", err
	}
	if f == FaultTamper {
		return tamper(tok)
	}
	return tok, nil
}

// unsecured assembles a compact JWS from header and payload; with a secret
// the signature is HMAC-SHA256, else empty.
func unsecured(header map[string]any, payload, secret []byte) (string, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(payload)
	sig := ""
	if secret != nil {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(in))
		sig = base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	return in + "." + sig, nil
}

// tamper appends "-tampered" to the sub claim of a signed token, keeping
// the header and signature.
func tamper(tok string) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", errors.New("tamper: not a compact JWS")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", fmt.Errorf("tamper: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		return "", fmt.Errorf("tamper: %w", err)
	}
	sub, _ := claims["sub"].(string)
	claims["sub"] = sub + "-tampered"
	raw, err = json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("tamper: %w", err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, "."), nil
}

func (p *Provider) randomID() (string, error) { return p.randomString(16) }

// randomString returns n random bytes, hex-encoded.
func (p *Provider) randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(p.rand, b); err != nil {
		return "", fmt.Errorf("oidc: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// accessClaims are the claims of an access token: a JWT access token (RFC
// 9068) for the userinfo endpoint, whose audience is the provider itself.
type accessClaims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience string `json:"aud"`
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
	IssuedAt int64  `json:"iat"`
	Expiry   int64  `json:"exp"`
	ID       string `json:"jti"`
}

// accessToken issues an access token for the userinfo endpoint.
func (p *Provider) accessToken(user, clientID, scope string, now time.Time) (string, error) {
	jti, err := p.randomID()
	if err != nil {
		return "", err
	}
	c := accessClaims{Issuer: p.cfg.Issuer, Subject: user, Audience: p.cfg.Issuer + "/userinfo", ClientID: clientID,
		Scope: scope, IssuedAt: now.Unix(), Expiry: now.Add(p.cfg.AccessTokenLifetime).Unix(), ID: jti}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	p.mu.RLock()
	key := p.ring.Current
	p.mu.RUnlock()
	return p.sign(key, payload, "at+jwt", FaultNone)
}

// errBadAccessToken is the cause of every refused access token.
var errBadAccessToken = errors.New("invalid access token")

// verifyAccessToken checks an access token the provider issued with one of
// its published keys, and returns its claims.
func (p *Provider) verifyAccessToken(tok string) (*accessClaims, error) {
	p.mu.RLock()
	pub := p.ring.Published()
	p.mu.RUnlock()
	algs := make([]jose.SignatureAlgorithm, 0, len(pub))
	for _, k := range pub {
		algs = append(algs, k.Algorithm)
	}
	jws, err := jose.ParseSignedCompact(tok, algs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("%w: %v", errBadAccessToken, err)
	}
	h := jws.Signatures[0].Protected
	var payload []byte
	for _, k := range pub {
		if k.ID == h.KeyID && k.Algorithm == jose.SignatureAlgorithm(h.Algorithm) {
			payload, err = jws.Verify(k.Signer.Public())
			break
		}
	}
	if payload == nil {
		return nil, fmt.Errorf("%w: signature: %v", errBadAccessToken, err)
	}
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "at+jwt" {
		return nil, fmt.Errorf("%w: typ %q is not at+jwt", errBadAccessToken, typ)
	}
	var c accessClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadAccessToken, err)
	}
	if c.Issuer != p.cfg.Issuer || c.Audience != p.cfg.Issuer+"/userinfo" {
		return nil, fmt.Errorf("%w: issuer or audience", errBadAccessToken)
	}
	if !p.now().Before(time.Unix(c.Expiry, 0)) {
		return nil, fmt.Errorf("%w: expired", errBadAccessToken)
	}
	return &c, nil
}
