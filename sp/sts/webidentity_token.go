package sts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/go-jose/go-jose/v4"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts/webidentity"
)

// BuiltinProvider is an identity provider that STS trusts without an IAM
// OpenID Connect provider, as AWS trusts Amazon Cognito's
// https://cognito-identity.amazonaws.com: its keys are known in-process, any
// aud is accepted (the role's trust policy must check
// "<Name>:aud"), and the trust policy names it as
// {"Federated": "<Name>"}.
type BuiltinProvider struct {
	// Issuer is the iss of its tokens ("https://cognito-identity.amazonaws.com").
	Issuer string
	// Name is the Federated principal, the prefix of the condition keys and
	// the Provider of the result ("cognito-identity.amazonaws.com").
	Name string
	// Keys returns the public keys its tokens are signed with. It must be
	// safe for concurrent use.
	Keys func() []jose.JSONWebKey
}

// builtins holds a WebIdentity's built-in providers by issuer.
type builtins struct {
	mu sync.RWMutex
	m  map[string]BuiltinProvider
}

// TrustBuiltin makes AssumeRoleWithWebIdentity accept tokens from p without
// an IAM OIDC provider. A second call for the same issuer replaces the first.
func (w *WebIdentity) TrustBuiltin(p BuiltinProvider) {
	w.builtin.mu.Lock()
	defer w.builtin.mu.Unlock()
	if w.builtin.m == nil {
		w.builtin.m = map[string]BuiltinProvider{}
	}
	w.builtin.m[p.Issuer] = p
}

func (w *WebIdentity) builtinFor(issuer string) (BuiltinProvider, bool) {
	w.builtin.mu.RLock()
	defer w.builtin.mu.RUnlock()
	p, ok := w.builtin.m[issuer]
	return p, ok
}

// providerForIssuer returns the IAM OIDC provider for iss or, for a built-in
// provider, a stand-in whose client IDs are the token's audiences.
func (w *WebIdentity) providerForIssuer(iss string, aud []string) (*iam.OIDCProvider, bool) {
	if b, ok := w.builtinFor(iss); ok {
		return &iam.OIDCProvider{ARN: b.Name, URL: b.Issuer, ClientIDs: aud}, true
	}
	return w.svc.acct.OIDCProviderForIssuer(iss)
}

// TokenCheck names the check that refused a web identity token.
type TokenCheck int

// The checks of VerifyToken, in the order they run.
const (
	CheckForm        TokenCheck = iota + 1 // not a JWT, or an algorithm STS refuses
	CheckIssuer                            // no iss, or no provider for it
	CheckAudience                          // no aud, or none of the provider's client IDs
	CheckExpired                           // exp passed (or iat older than MaxTokenAge)
	CheckNotYetValid                       // nbf or iat in the future
	CheckKey                               // the issuer's keys could not be had, or none has the kid
	CheckSignature                         // the signature does not verify
	CheckSubject                           // no sub
)

// TokenError is the cause (awsapi.Error.Err) of a refusal by VerifyToken:
// which check failed, with what it compared, for callers that word the
// refusal their own way (Cognito's "Invalid login token. …").
type TokenError struct {
	Check TokenCheck
	// Claim is the missing claim for a "Missing a required claim" refusal.
	Claim string
	// Now and Expiry are the Unix times compared by CheckExpired.
	Now, Expiry int64
	Err         error
}

func (e *TokenError) Error() string {
	return fmt.Sprintf("web identity token check %d: %v", e.Check, e.Err)
}

// Unwrap returns the underlying cause.
func (e *TokenError) Unwrap() error { return e.Err }

// VerifiedToken is a web identity token that passed VerifyToken.
type VerifiedToken struct {
	Token *webidentity.Token
	// Provider is the IAM OIDC provider (or a built-in provider's stand-in)
	// of the token's issuer.
	Provider *iam.OIDCProvider
	// Audience is the aud value that matched one of the client IDs.
	Audience string
}

// VerifyToken runs the token checks of AssumeRoleWithWebIdentity (rows 2–7:
// form, issuer, audience, times, signature, subject) without assuming a
// role. Errors are the *awsapi.Error AssumeRoleWithWebIdentity would return;
// their Err is a *TokenError.
func (w *WebIdentity) VerifyToken(ctx context.Context, raw string) (*VerifiedToken, error) {
	now := w.svc.now().UTC()
	fail := func(check TokenCheck, e *awsapi.Error) error {
		c := *e
		c.Err = &TokenError{Check: check, Err: e.Err}
		return &c
	}
	// 2. Form.
	tok, err := webidentity.Parse(strings.TrimSpace(raw))
	switch {
	case errors.Is(err, webidentity.ErrAlgorithm):
		return nil, fail(CheckForm, invalidToken(msgWIAlgorithm, err))
	case err != nil:
		return nil, fail(CheckForm, invalidToken(msgWIMalformed, err))
	}
	c := tok.Claims
	missing := func(check TokenCheck, claim string) error {
		return &awsapi.Error{Code: awsapi.CodeInvalidIdentityToken, Status: 400, Message: fmt.Sprintf(msgWIMissingClaim, claim),
			Err: &TokenError{Check: check, Claim: claim, Err: fmt.Errorf("token has no %s claim", claim)}}
	}
	// 3. Issuer and provider.
	if c.Issuer == "" {
		return nil, missing(CheckIssuer, "iss")
	}
	prov, ok := w.providerForIssuer(c.Issuer, c.Audience)
	if !ok {
		return nil, fail(CheckIssuer, invalidToken(fmt.Sprintf(msgWINoProvider, c.Issuer), fmt.Errorf("no IAM OIDC provider has the URL %q", c.Issuer)))
	}
	// 4. Audience.
	if len(c.Audience) == 0 {
		return nil, missing(CheckAudience, "aud")
	}
	audience := ""
	for _, a := range c.Audience {
		if slices.Contains(prov.ClientIDs, a) {
			audience = a
			break
		}
	}
	if audience == "" {
		return nil, fail(CheckAudience, invalidToken(msgWIAudience, fmt.Errorf("aud %q names none of the client IDs %q of %s", []string(c.Audience), prov.ClientIDs, prov.ARN)))
	}
	// 5. Times.
	if c.Expiry == nil {
		return nil, missing(CheckExpired, "exp")
	}
	if err := w.checkTimes(c, now); err != nil {
		var e *awsapi.Error
		if !errors.As(err, &e) {
			return nil, err
		}
		if e.Code == awsapi.CodeExpiredTokenException {
			c := *e
			c.Err = &TokenError{Check: CheckExpired, Now: now.Unix(), Expiry: int64(*tok.Claims.Expiry), Err: e.Err}
			return nil, &c
		}
		return nil, fail(CheckNotYetValid, e)
	}
	// 6. Signature.
	if err := w.verifySignature(ctx, tok, prov); err != nil {
		var e *awsapi.Error
		if !errors.As(err, &e) {
			return nil, err
		}
		if e.Message == msgWISignature {
			return nil, fail(CheckSignature, e)
		}
		return nil, fail(CheckKey, e)
	}
	// 7. Subject.
	if c.Subject == "" {
		return nil, missing(CheckSubject, "sub")
	}
	return &VerifiedToken{Token: tok, Provider: prov, Audience: audience}, nil
}

// verifyBuiltin checks a built-in provider's token against its keys.
func verifyBuiltin(tok *webidentity.Token, b BuiltinProvider) error {
	err := tok.Verify(b.Keys())
	switch {
	case errors.Is(err, webidentity.ErrUnknownKey):
		return invalidToken(msgWIRetrieveKey, err)
	case err != nil:
		return invalidToken(msgWISignature, err)
	}
	return nil
}
