package sts

import "github.com/samlab-dev/samlab/sp/awsapi"

// AWS's messages for AssumeRole, GetSessionToken, GetFederationToken,
// GetAccessKeyInfo and DecodeAuthorizationMessage, in one place. Each says
// where it was seen; "unverified" marks wording chosen here because no AWS
// output was found. docs/aws-behavior.md §10 lists the same choices.
const (
	// Seen: "An error occurred (ValidationError) when calling the
	// AssumeRole operation: The requested DurationSeconds exceeds the 1
	// hour session limit for roles assumed by role chaining." (IAM
	// knowledge-center article iam-role-chaining-limit;
	// prowler-cloud/prowler#7721, 99designs/aws-vault#263).
	msgChainedDuration = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."

	// Seen as AccessDenied 403 (fwdcloudsec/granted#151,
	// hashicorp/vault#4108; aws/aws-sdk-net#1704, apache/hadoop#6538
	// "Status Code: 403 … AccessDenied").
	msgGFTWithSession = "Cannot call GetFederationToken with session credentials"
	msgGSTWithSession = "Cannot call GetSessionToken with session credentials"

	// Seen as AccessDenied 403: a wrong or reused code
	// (lonelyplanet/aws-mfa#21, binxio/aws-ssm-copy#22) and a serial number
	// that is not the caller's device (broamski/aws-mfa#25,
	// aws/aws-cli#6325; two spaces after the full stop, as seen).
	msgMFACode   = "MultiFactorAuthentication failed with invalid MFA one time pass code."
	msgMFASerial = "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user."

	// AccessDenied 403 for AssumeRole by the account root user; quoted in
	// many public reports ("Roles may not be assumed by root accounts.").
	msgRootAssumeRole = "Roles may not be assumed by root accounts."

	// Unverified: AccessDenied 403 for STS operations called with a
	// federated user's credentials (they may call only GetCallerIdentity,
	// says the GetFederationToken reference) or GetSessionToken credentials
	// (only AssumeRole and GetCallerIdentity); worded like the two seen
	// messages above.
	msgSessionSTS = "Cannot call %s with session credentials" // unverified

	// Unverified: ValidationError 400 for session tag requests.
	// msgDuplicateTags is remembered from AWS output, not found in a source.
	msgDuplicateTags      = "Duplicate tag keys found. Please note that Tag keys are case insensitive."                  // unverified
	msgTransitiveNotTag   = "The specified transitive tag key must be included in the requested tags."                   // unverified
	msgTransitiveOverride = "One or more of the specified session tags conflict with inherited transitive session tags." // unverified
	msgTooManyTags        = "The number of session tags, including inherited transitive tags, exceeds the limit of 50."  // unverified
	msgTagReservedPrefix  = "Tag keys may not begin with aws:"                                                           // unverified

	// Unverified: ValidationError 400 for a SourceIdentity that begins
	// with "aws:" (the SAML form of row 16 reworded for a parameter) and
	// for one that differs from the source identity the caller's session
	// already carries (the IAM guide: it "cannot be changed").
	msgSourceIdentityPrefix  = `SourceIdentity must not begin with "aws:"`                                      // unverified
	msgSourceIdentityChanged = "SourceIdentity cannot be changed once it is set for a session (role chaining)." // unverified

	// Unverified: DecodeAuthorizationMessage with a message this account
	// did not encode. The code is the service model's.
	msgInvalidAuthorizationMessage = "The encoded authorization message is invalid or was not issued by this account." // unverified
)

// codeInvalidAuthorizationMessage is the service model's error for a bad
// encoded message (400).
const codeInvalidAuthorizationMessage awsapi.Code = "InvalidAuthorizationMessageException"
