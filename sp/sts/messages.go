package sts

// AWS's messages for AssumeRoleWithSAML, verbatim where a source quotes them
// (shared/spec/aws-saml.md §4). Messages marked "unverified" were chosen here
// because no AWS output was found; they live in this one block so they can be
// corrected.
const (
	msgSignatureInvalid   = "Response signature invalid"
	msgInvalidBase64      = "Invalid base64 SAMLResponse (Service: AWSOpenIdDiscoveryService; Status Code: 400; Error Code: AuthSamlInvalidSamlResponseException; Request ID: %s; Proxy: null)"
	msgNotAResponse       = "Invalid SAML Response (Service: AWSOpenIdDiscoveryService; Status Code: 400; Error Code: AuthSamlInvalidSamlResponseException; Request ID: %s; Proxy: null)" // unverified
	msgProviderNotFound   = "Specified provider doesn't exist (Service: AWSOpenIdDiscoveryService; Status Code: 400; Error Code: AuthSamlManifestNotFoundException; Request ID: %s; Proxy: null)"
	msgIssuerNotPresent   = "Issuer not present in specified provider (Service: AWSOpenIdDiscoveryService; Status Code: 400; Error Code: AuthSamlInvalidSamlResponseException; Request ID: %s; Proxy: null)" // docs wording; API text unverified
	msgExpired            = "Response has expired"
	msgRedeemWindow       = "Token must be redeemed within 5 minutes of issuance"
	msgNotYetValid        = "Response is not yet valid"                                                       // unverified
	msgAudience           = "Response does not contain the required audience."                                // code unverified
	msgRecipientMissing   = "Responses must contain SubjectConfirmatonData with a Recipient and NotOnOrAfter" // sic, AWS's spelling
	msgRecipientWrong     = "SubjectConfirmationData Recipient is not a valid AWS sign-in endpoint"           // unverified
	msgNotAuthorized      = "Not authorized to perform sts:AssumeRoleWithSAML"
	msgSessionNameMissing = "RoleSessionName is required in AuthnResponse"
	msgSessionNameBad     = "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}"
	msgSourceIdentityBad  = `Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"`
	msgRoleNotInAssertion = "SAML Assertion doesn't contain the requested Role and Metadata in the attributes"
	msgDurationExceedsMax = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
	msgTags               = "Unable to validate tags"
	msgPrincipalARN       = "Principal ARN is invalid"
	msgAlreadyRedeemed    = "Assertion has already been redeemed"                     // strict mode only; unverified
	msgUnsupportedAlg     = "Response signature invalid"                              // SHA-1 rejected under Behavior.AllowSHA1=false
	msgEncryptedAssertion = "Encrypted assertions are not supported by this provider" // unverified
)
