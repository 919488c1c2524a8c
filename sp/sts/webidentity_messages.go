package sts

import (
	"crypto/x509"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// codeIDPCommunicationError is STS's IDPCommunicationError (service model:
// 400, SDK type IDPCommunicationErrorException).
const codeIDPCommunicationError awsapi.Code = "IDPCommunicationError"

// AWS's messages for AssumeRoleWithWebIdentity. "Seen" marks text quoted
// from real STS output in public reports (the failure catalogue's section X
// names them); everything else is unverified, chosen here because no AWS
// output was found, and kept in this one block so it can be corrected.
const (
	// Seen: X8 (InvalidIdentityToken 400); %s is the token's iss, verbatim.
	msgWINoProvider = "No OpenIDConnect provider found in your account for %s"
	// Seen: X12 for aud (aws-sdk-ruby#2698, and gitlab-org/gitlab#342243
	// for a CI job token without aud). A token with azp but no aud is
	// refused the same way: no AWS document lets azp or client_id stand in
	// for aud at this check (unverified). The same form is used for iss, sub
	// and exp (unverified).
	msgWIMissingClaim = "Missing a required claim: %s"
	// Seen: X7 (InvalidIdentityToken 400).
	msgWIAudience = "Incorrect token audience"
	// Seen: X10 (ExpiredTokenException 400), "date/time%d" without a space
	// (sic). The times are Unix seconds: now, then exp.
	msgWIExpired = "Token expired: current date/time %d must be before the expiration date/time%d"
	// Seen: X10 (ExpiredTokenException 400), with the token's age in
	// seconds; when AWS says it is unverified (WebIdentityBehavior.MaxTokenAge).
	msgWITooOld = "Token too old: %d"
	// Seen: X11 (InvalidIdentityToken 400), two spaces after the comma as
	// seen. Used when the discovery document or JWKS cannot be fetched or
	// read, and when no key has the token's kid even after a fresh fetch
	// (the second use is unverified).
	msgWIRetrieveKey = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"
	// Seen: X9 (InvalidIdentityToken 400).
	msgWIThumbprint = "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint"
	// Seen: X13 (AccessDenied 403).
	msgWINotAuthorized = "Not authorized to perform sts:AssumeRoleWithWebIdentity"

	// Seen (InvalidIdentityToken 400): real STS output quoted in a 2022
	// blog post (kaitoy.xyz, a Kubernetes service-account token sent to AWS
	// by mistake) and in amplify-js#9704. Which defects trigger it is not
	// documented; samlab uses it for every token that is not a compact JWS
	// with JSON header and claims, or whose claims have the wrong types.
	msgWIMalformed = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
	// Unverified (InvalidIdentityToken 400): alg none, HS256 and the other
	// algorithms outside the STS API reference's list.
	msgWIAlgorithm = "The web identity token is signed with an unsupported algorithm; use RS256, RS384, RS512, ES256, ES384 or ES512"
	// Unverified (InvalidIdentityToken 400): the key of the token's kid
	// does not verify its signature.
	msgWISignature = "The web identity token's signature could not be verified"
	// Unverified (InvalidIdentityToken 400): nbf, or iat, later than now
	// plus WebIdentityBehavior.ClockSkew.
	msgWINotYetValid = "The web identity token is not yet valid"
	// Unverified (IDPCommunicationError 400): the issuer did not answer
	// within WebIdentityBehavior.FetchTimeout.
	msgWIIDPTimeout = "The identity provider could not be reached; try again"
	// Unverified (IDPCommunicationError 400): ProviderId names one of the
	// OAuth 2.0 providers (www.amazon.com, graph.facebook.com), which an
	// offline samlab cannot ask.
	msgWIOAuthProvider = "%s could not be reached to validate the access token"
)

// WebIdentityBehavior holds the choices made for AssumeRoleWithWebIdentity
// where AWS's behaviour is not documented. DefaultWebIdentityBehavior is the
// one place to correct them.
type WebIdentityBehavior struct {
	// JWKSCacheTTL is how long an issuer's keys are used before they are
	// fetched again. AWS documents no figure; 1 hour is the default.
	JWKSCacheTTL time.Duration
	// RefetchOnUnknownKey fetches the JWKS again, at once, when a token's
	// kid is not among the cached keys, so that an IdP's key rotation works
	// without waiting for JWKSCacheTTL (default true). Turn it off to
	// reproduce a verifier that keeps stale keys until the TTL.
	RefetchOnUnknownKey bool
	// ClockSkew is how far in the future nbf and iat may be (default 5
	// minutes). exp gets no skew: AWS's message compares the two times
	// exactly.
	ClockSkew time.Duration
	// MaxTokenAge, when set, refuses tokens whose iat is older with
	// ExpiredTokenException "Token too old: <seconds>" (default 0: off; AWS
	// has sent that message for a token about 5 days old, the limit is not
	// known).
	MaxTokenAge time.Duration
	// FetchTimeout bounds each request to the issuer (default 5 seconds).
	FetchTimeout time.Duration
	// TrustedRoots are CAs that make an https issuer trusted without a
	// thumbprint, as AWS's library of trusted root CAs does for public IdPs
	// (default: none, so IAM's thumbprints decide, as they do on AWS for
	// an IdP whose certificate no public CA signed).
	TrustedRoots *x509.CertPool
}

// DefaultWebIdentityBehavior returns the default choices.
func DefaultWebIdentityBehavior() WebIdentityBehavior {
	return WebIdentityBehavior{JWKSCacheTTL: time.Hour, RefetchOnUnknownKey: true, ClockSkew: 5 * time.Minute,
		FetchTimeout: 5 * time.Second}
}
