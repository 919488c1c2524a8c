package sts

// AWS's messages for AssumeRoleWithSAML, verbatim where a source quotes them
// (docs/aws-behavior.md §4; the row is given for each). Messages marked
// "unverified" were chosen here because no AWS output was found; they live in
// this one block, beside the choices documented on Behavior, so they can be
// corrected. Messages with a %s take the request ID: AWS's discovery back end
// (AWSOpenIdDiscoveryService) embeds a Java-SDK-style suffix in them, rows 3-5
// only (§1.1).
const (
	// Row 1 builds "N validation error(s) detected: …" in validateParams.

	// Row 2.
	msgPrincipalARN = "Principal ARN is invalid"
	msgRoleARN      = "Request ARN is invalid" // seen for a RoleArn that is not a role ARN

	// Row 3. The base64 message is quoted up to "…Exception"; the rest of the
	// suffix follows row 4's observed form. "Not a SAML Response" is
	// unverified: the same exception class is assumed, with a plain wording.
	msgInvalidBase64 = "Invalid base64 SAMLResponse (Service: AWSOpenIdDiscoveryService; Status Code: 400; Error Code: AuthSamlInvalidSamlResponseException; Request ID: %s; Proxy: null)"
	msgNotAResponse  = "Invalid SAML Response (Service: AWSOpenIdDiscoveryService; Status Code: 400; Error Code: AuthSamlInvalidSamlResponseException; Request ID: %s; Proxy: null)" // unverified

	// Row 4.
	msgProviderNotFound = "Specified provider doesn't exist (Service: AWSOpenIdDiscoveryService; Status Code: 400; Error Code: AuthSamlManifestNotFoundException; Request ID: %s; Proxy: null)"

	// Row 5: the IAM guide's wording without its console prefix "Failed to
	// assume role: "; the API text is unverified.
	msgIssuerNotPresent = "Issuer not present in specified provider (Service: AWSOpenIdDiscoveryService; Status Code: 400; Error Code: AuthSamlInvalidSamlResponseException; Request ID: %s; Proxy: null)"

	// Row 6. A response whose signature uses SHA-1 under
	// Behavior.AllowSHA1=false gets the same message.
	msgSignatureInvalid = "Response signature invalid"

	// Row 7 (unverified code and wording; InvalidIdentityToken, 400): an
	// EncryptedAssertion sent to a provider without private keys, one that
	// none of its keys decrypts, and a plaintext assertion sent to a provider
	// whose AssertionEncryptionMode is Required.
	msgEncryptedAssertion = "Encrypted assertions are not supported by this provider" // unverified
	msgDecrypt            = "Failed to decrypt the encrypted assertion"               // unverified
	msgEncryptionRequired = "Assertion must be encrypted for this provider"           // unverified

	// Rows 8 and 9.
	msgExpired      = "Response has expired"
	msgRedeemWindow = "Token must be redeemed within 5 minutes of issuance"

	// Row 10 (unverified code and message): NotBefore in the future beyond
	// Behavior.ClockSkew. InvalidIdentityToken, 400.
	msgNotYetValid = "Response is not yet valid" // unverified

	// Row 11: the IAM guide's heading; code InvalidIdentityToken (400) chosen
	// for it (unverified).
	msgAudience = "Response does not contain the required audience."

	// Row 12: the missing form is AWS's own, misspelling included; the
	// wrong-value wording is unverified (InvalidIdentityToken, 400).
	msgRecipientMissing = "Responses must contain SubjectConfirmatonData with a Recipient and NotOnOrAfter" // sic
	msgRecipientWrong   = "SubjectConfirmationData Recipient is not a valid AWS sign-in endpoint"           // unverified

	// Rows 13 and 17b (AccessDenied, 403).
	msgNotAuthorized = "Not authorized to perform sts:AssumeRoleWithSAML"

	// Rows 14-16.
	msgSessionNameMissing = "RoleSessionName is required in AuthnResponse"
	msgSessionNameBad     = "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}"
	msgSourceIdentityBad  = `Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"`

	// Row 17a.
	msgRoleNotInAssertion = "SAML Assertion doesn't contain the requested Role and Metadata in the attributes"

	// Row 18.
	msgDurationExceedsMax = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."

	// Row 19.
	msgTags = "Unable to validate tags"

	// Row 20 (MalformedPolicyDocument, 400): wording unverified for STS.
	msgMalformedPolicy = "The policy is not in the valid JSON format." // unverified

	// Row 21 (PackedPolicyTooLarge, 400). The tags-only form is quoted from
	// a CloudTrail record; the policy form is the long-standing AssumeRole
	// message; both unverified for AssumeRoleWithSAML.
	msgPackedTags   = "Packed size of session tags consumes %d%% of allotted space."
	msgPackedPolicy = "Packed policy consumes %d%% of allotted space, please use smaller policy."

	// A Response whose StatusCode is not Success (Behavior.AcceptNonSuccessStatus
	// false; InvalidIdentityToken, 400): code and wording unverified. %s is the
	// StatusCode values, outermost first, joined by ", " ("none" without a Status).
	msgStatusNotSuccess = "SAML Response status is not Success: %s" // unverified

	// Behavior.SingleUse (strict mode, not AWS's default): unverified.
	msgAlreadyRedeemed = "Assertion has already been redeemed" // unverified
)
