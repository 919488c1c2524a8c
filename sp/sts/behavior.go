package sts

import "time"

// Behavior holds every choice made where AWS's behaviour is unverified
// (shared/spec/aws-saml.md marks each "unverified"). The defaults are the most
// plausible behaviour; each field names its spec row.
type Behavior struct {
	// ClockSkew is the tolerance applied to NotBefore and NotOnOrAfter (spec §4
	// row 10, unverified). Default 5 minutes, the usual SAML SP default.
	ClockSkew time.Duration
	// RedeemWindow is how long after the Assertion's IssueInstant a response
	// may be redeemed ("Token must be redeemed within 5 minutes of issuance",
	// row 9). Which IssueInstant counts is unverified; the Assertion's is used.
	// Default 5 minutes, plus ClockSkew.
	RedeemWindow time.Duration
	// EnforceCertExpiry rejects signatures by certificates outside their
	// validity window (§6.2, unverified). Default false: AWS is widely reported
	// to keep accepting expired IdP certificates that are still registered.
	EnforceCertExpiry bool
	// AcceptResponseSignature accepts a signed Response whose Assertion is not
	// signed itself (§15 1b, unverified). Default true.
	AcceptResponseSignature bool
	// AllowSHA1 accepts RSA-SHA1 signatures and SHA-1 digests (§6.2,
	// unverified). Default true.
	AllowSHA1 bool
	// SingleUse rejects a response whose Assertion ID was already redeemed
	// (§4 "Replay": AWS allows reuse within the validity window). Default false.
	SingleUse bool
}

// DefaultBehavior returns the defaults documented on Behavior.
func DefaultBehavior() Behavior {
	return Behavior{
		ClockSkew:               5 * time.Minute,
		RedeemWindow:            5 * time.Minute,
		AcceptResponseSignature: true,
		AllowSHA1:               true,
	}
}
