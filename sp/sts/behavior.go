package sts

import "time"

// Behavior holds every choice made where AWS's behaviour is unverified
// (docs/aws-behavior.md marks each "unverified"; the § and row numbers in
// this package are that document's). The defaults are the most plausible
// behaviour; each field names its section or row there and says why its
// default was chosen. The messages of the rows whose wording is unverified are in
// messages.go. Together the two files are the one place to correct a choice.
//
// Choices that are fixed rather than switchable, each unverified:
//   - Check order (§4): the rows run in the table's order, except that
//     PrincipalArn syntax is checked before RoleArn syntax (row 2: the most
//     recent public reports show "Principal ARN is invalid" when both ARNs were
//     swapped), the provider lookup precedes decoding unless
//     DecodeBeforeProviderLookup (observed both ways), and an
//     EncryptedAssertion is decrypted before the Issuer check so that the
//     Assertion's Issuer can stand in for a Response without one.
//   - Parameters (row 1): an empty string is reported like AWS reports a
//     present-but-empty member (the empty value quoted, then the pattern and
//     the length violations, as seen from the Go SDK; see validateParams),
//     Policy=” included (minimum length 1); a required member missing from
//     a wire request gets AWS's "Value null … Member must not be null" form.
//     Members are reported in the service model's order, pattern before
//     length as observed, lengths in UTF-16 units; the SAMLAssertion value
//     is never echoed ("Value at 'sAMLAssertion'"), as AWS does for
//     sensitive members (a missing one is "Value null" like any other).
//   - Base64 (row 3): SAMLAssertion is standard base64 with padding;
//     surrounding whitespace and line breaks are ignored (CLI tools wrap it);
//     the URL-safe alphabet or missing padding is "Invalid base64".
//   - RoleArn syntax (row 2): a RoleArn that is not an IAM role ARN gets
//     ValidationError "Request ARN is invalid", the message public reports
//     show when role and provider ARNs were swapped.
//   - Role attribute values and RoleSessionName are read byte for byte: a value
//     with surrounding whitespace fails (the IAM guide lists "leading or
//     trailing whitespace" among the causes of an invalid SAML response).
//     Issuer, NameID, Audience and Recipient are trimmed.
//   - Audience (row 11): every AudienceRestriction must name an AWS audience
//     (SAML Core §2.5.1.4); accepted are https://signin.aws.amazon.com/saml,
//     its regional forms https://<region>.signin.aws.amazon.com/saml, the
//     partition's own sign-in host for aws-cn and aws-us-gov, and
//     urn:amazon:webservices. A missing audience gets the same error.
//   - Recipient (row 12): the first bearer SubjectConfirmation is used; its
//     Recipient must be an AWS sign-in SAML endpoint (…/saml, …/static/saml,
//     …/saml/acs/<id>), regional or not.
//   - Trust policies (row 17b, §7): condition key names are matched
//     case-insensitively (the docs spell SAML:aud and saml:aud alike);
//     SAML:aud is the Recipient; the eduPerson, eduOrg, X.500 and AD claims
//     feed the keys the IAM guide maps them to (assertion.go, claimKeys), and
//     a plain operator on a multi-valued key holds if any value does. The
//     context also carries aws:RequestTag/<key>, aws:TagKeys,
//     sts:TransitiveTagKeys and sts:SourceIdentity.
//   - Not checked (§13: unverified, or no evidence AWS checks them):
//     Response/@Destination, InResponseTo, Conditions/OneTimeUse and
//     ProxyRestriction.
//   - StatusCode (see AcceptNonSuccessStatus): checked right after the
//     signature, before every other stage and before the console's role
//     chooser; a failure response without an Assertion is refused as unsigned
//     before that, as before.
//   - SubjectType of a NameID without Format is computed from SAML's default
//     format, urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified.
//   - Never returned: IDPRejectedClaim (when STS uses it for SAML is
//     unverified) and RegionDisabledException (the mock has no regions).
//   - Roles named AWSReservedSSO_… are refused with AccessDenied ("will not
//     work", STS API reference; error unverified).
//   - Session tags (row 19): every tag problem is ValidationError "Unable to
//     validate tags"; TransitiveTagKeys must name session tags; keys may not
//     start with "aws:" (case-insensitive).
//   - Session policy (row 20) must be a JSON object; PackedPolicySize (row 21)
//     is ceil(100 × (compacted policy + policy ARNs + tag keys and values) /
//     2048) and is omitted when no policy, policy ARN or tag was sent.
//   - A SessionNotOnOrAfter that has already passed is "Response has expired".
//   - Encryption (row 7): an EncryptedAssertion is decrypted with the
//     provider's private keys (RSA-OAEP or RSA 1.5 key transport, AES-CBC or
//     AES-GCM content). A Response signature covers the ciphertext and is
//     verified before decryption, on the response as sent; the decrypted
//     Assertion is then covered by it (and must verify too if it carries its
//     own signature). Without a Response signature the decrypted Assertion
//     must be signed itself. "Required" refuses a plaintext assertion (the mode's name is
//     all AWS documents); "Allowed" or unset accepts both. Whether AWS checks
//     the /saml/acs/<IdP-ID> Recipient under encryption is not modelled.
type Behavior struct {
	// ClockSkew is the tolerance applied to Conditions/@NotBefore and to both
	// NotOnOrAfter attributes (rows 8 and 10, unverified). Default 1 minute:
	// a Keycloak assertion valid for 60 s was reported expired on reuse within
	// saml2aws's 5-minute cache (saml2aws#759), which bounds AWS's tolerance
	// below 4 minutes; one minute is the usual SP library default.
	ClockSkew time.Duration
	// RedeemWindow is how long after the Assertion's IssueInstant a response
	// may be redeemed ("Token must be redeemed within 5 minutes of issuance",
	// row 9). Which IssueInstant counts is unverified: the Assertion's is used
	// because it is the one the signature always covers. Default 5 minutes,
	// with no clock skew added: the message states the window exactly.
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
	// DecodeBeforeProviderLookup checks that SAMLAssertion is base64 of a
	// SAML Response (row 3) before looking the provider up (row 4). The
	// order varies between public reports (docs/aws-behavior.md §4, §15.1
	// row 9): two versions of one plugin's live test send the same non-SAML
	// assertion to a missing provider, one expecting "Invalid base64
	// SAMLResponse", the other "Specified provider doesn't exist"; which of
	// the two is AWS's current order is unverified. Default false: the
	// provider first, samlab's order since its first version.
	DecodeBeforeProviderLookup bool
	// InclusiveC14N accepts signatures canonicalized with inclusive C14N 1.0
	// (http://www.w3.org/TR/2001/REC-xml-c14n-20010315, with or without
	// comments) in SignedInfo's CanonicalizationMethod, the Reference's
	// transform, or both (docs/aws-behavior.md §6.2, §15.1 row 19,
	// unverified). Default true: XML Signature makes it mandatory to
	// implement, .NET SignedXml-based IdPs emit it by default, and SAML Core
	// §5.4.3 only says exclusive c14n SHOULD be used; no report shows AWS
	// refusing it. When false, only exclusive c14n is accepted (C14N 1.1 is
	// refused either way). Inclusive c14n signs the namespace declarations
	// in scope from outside the signed element as well, so moving a signed
	// Assertion into another Response, or rebinding a prefix above it,
	// breaks its digest.
	InclusiveC14N bool
	// SingleUse rejects a response whose Assertion ID was already redeemed
	// (§4 "Replay"). Default false: public CLI tools reuse one assertion for
	// several roles and accounts within its validity window, and AWS accepts
	// that.
	SingleUse bool
	// SessionDurationShortens lets the SessionDuration attribute shorten API
	// credentials (§5: the 2023 IAM guide says it "can be used to shorten the
	// duration"; whether current STS does is unverified). It never extends
	// them. Default true, following the guide.
	SessionDurationShortens bool
	// SubjectTypeShortensAll strips every "urn:oasis:names:tc:SAML:*:
	// nameid-format:" prefix from SubjectType, not only SAML 2.0's (§3: a real
	// Okta response shows "unspecified", which may come from the SAML 1.1
	// URI). Default false: the STS API reference says only the 2.0 prefix is
	// removed.
	SubjectTypeShortensAll bool
	// AcceptNonSuccessStatus accepts a Response whose top-level StatusCode is
	// not urn:oasis:names:tc:SAML:2.0:status:Success (or that has no Status)
	// when it carries a validly signed Assertion (docs/aws-behavior.md §6.2,
	// §15.1 row 20, unverified). Default false: SAML Core §3.2.2.2 makes the
	// status the outcome of the request, every SAML SP library refuses such a
	// response, and no source shows AWS accepting one.
	AcceptNonSuccessStatus bool
}

// DefaultBehavior returns the defaults documented on Behavior.
func DefaultBehavior() Behavior {
	return Behavior{
		ClockSkew:               time.Minute,
		RedeemWindow:            5 * time.Minute,
		AcceptResponseSignature: true,
		AllowSHA1:               true,
		InclusiveC14N:           true,
		SessionDurationShortens: true,
	}
}
