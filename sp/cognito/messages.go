package cognito

import (
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Error codes of Amazon Cognito Identity, exactly as they appear in the
// "__type" of a JSON error (service model cognito-identity-2014-06-30; the
// Go SDK's deserializers match them). Every one is sent with HTTP 400 except
// InternalErrorException (500).
const (
	CodeNotAuthorized                    awsapi.Code = "NotAuthorizedException"
	CodeResourceNotFound                 awsapi.Code = "ResourceNotFoundException"
	CodeInvalidParameter                 awsapi.Code = "InvalidParameterException"
	CodeInvalidIdentityPoolConfiguration awsapi.Code = "InvalidIdentityPoolConfigurationException"
	CodeResourceConflict                 awsapi.Code = "ResourceConflictException"
	CodeLimitExceeded                    awsapi.Code = "LimitExceededException"
	CodeInternalError                    awsapi.Code = "InternalErrorException"
	CodeDeveloperUserAlreadyRegistered   awsapi.Code = "DeveloperUserAlreadyRegisteredException"
	// CodeValidation is the model-constraint error of AWS's JSON services
	// (seen: "ValidationException" with "1 validation error detected: Value
	// '…' at 'identityPoolId' failed to satisfy constraint: …"). It is not
	// in Cognito Identity's model, so SDKs return it as a generic API error.
	CodeValidation awsapi.Code = "ValidationException"
)

// AWS's messages. "Seen" marks text quoted from real Cognito Identity output
// in public reports (SDK issue threads); everything else is unverified,
// chosen because no AWS output was found, and kept in this one block so it
// can be corrected.
const (
	// Seen (ResourceNotFoundException); %s is the pool ID.
	msgPoolNotFound = "IdentityPool '%s' not found."
	// Seen (ResourceNotFoundException); %s is the identity ID.
	msgIdentityNotFound = "Identity '%s' not found."
	// Seen (NotAuthorizedException): GetId or GetCredentialsForIdentity
	// without logins on a pool that does not allow unauthenticated identities.
	msgUnauthNotSupported = "Unauthenticated access is not supported for this identity pool."
	// Seen (NotAuthorizedException): an authenticated identity used without
	// its logins.
	msgAccessForbidden = "Access to Identity '%s' is forbidden."
	// Seen (NotAuthorizedException): logins that belong to another identity,
	// or a pool with no providers given logins (the second use is the one
	// seen; the first is unverified).
	msgLoginsDontMatch = "Logins don't match. Please include at least one valid login for this identity or identity pool."
	// Seen (NotAuthorizedException): the token's iss is not the Logins key.
	msgIssuerMismatch = "Invalid login token. Issuer doesn't match providerName"
	// Seen (NotAuthorizedException): the Logins key names no provider of the
	// pool.
	msgNotSupportedProvider = "Token is not from a supported provider of this identity pool."
	// Seen (NotAuthorizedException): "Token expired: <now> >= <exp>".
	msgTokenExpired = "Invalid login token. Token expired: %d >= %d"
	// Seen (NotAuthorizedException) for aud; the same form for the other
	// claims is unverified.
	msgMissingClaim = "Invalid login token. Missing a required claim: %s"
	// Seen (NotAuthorizedException): the signature does not verify.
	msgBadSignature = "Invalid login token. Couldn't verify signed token."
	// Seen (InvalidIdentityPoolConfigurationException): the role's trust
	// policy refuses the pool's token. Also used when the pool has no role
	// for the identity's kind (unverified).
	msgInvalidPoolConfig = "Invalid identity pool configuration. Check assigned IAM roles for this pool."
	// Seen (InvalidParameterException): GetOpenIdToken on a pool whose
	// AllowClassicFlow is false. A pool created without AllowClassicFlow
	// allows it (seen, aws-cli issue 7652).
	msgClassicFlowDisabled = "Basic (classic) flow is not enabled, please use enhanced flow."

	// Unverified (NotAuthorizedException): a token whose aud is not one of
	// the IAM OIDC provider's client IDs.
	msgIncorrectAudience = "Invalid login token. Incorrect token audience."
	// Unverified (NotAuthorizedException): not a JWT, or an algorithm STS
	// refuses.
	msgNotJWT = "Invalid login token. Not a valid OpenId Connect identity token."
	// Unverified (NotAuthorizedException): nbf or iat in the future.
	msgNotYetValid = "Invalid login token. Token is not yet valid."
	// Unverified (NotAuthorizedException): the issuer's keys could not be
	// fetched, or none has the token's kid.
	msgKeyRetrieval = "Invalid login token. Couldn't retrieve verification key from your identity provider."
	// Unverified (NotAuthorizedException): the Logins key names a provider of
	// the pool that IAM no longer has.
	msgNoOIDCProvider = "Invalid login token. No OpenIDConnect provider found in your account for %s"
	// Unverified (ValidationException, in the form AWS's JSON services use
	// for map keys): SetIdentityPoolRoles with a key other than
	// authenticated/unauthenticated (model pattern (un)?authenticated).
	msgBadRoleKey = "1 validation error detected: Value '{%s=%s}' at 'roles' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: (un)?authenticated]"
	// Seen (InvalidParameterException, aws-cdk#22951 and #7670): a
	// RoleMappings key that is none of the pool's providers; %s is the key,
	// in parentheses as quoted.
	msgBadMappingKey = "(%s) is not a valid RoleMapping ProviderName or is not a configured provider."
	// Partly seen (NotAuthorizedException): a role mapping with
	// AmbiguousRoleResolution Deny that picks no role. amplify-js#8644
	// quotes "The ambiguous role mapping rules denied this request"; the
	// provider after "for:" is from reports of the same error and
	// unverified. %s is the provider (the mapping's key).
	msgAmbiguousDenied = "The ambiguous role mapping rules for: %s denied this request."
	// Unverified (InvalidParameterException): a Token or Rules mapping
	// without AmbiguousRoleResolution, which the RoleMapping reference says
	// is then required.
	msgAmbiguousRequired = "AmbiguousRoleResolution must be specified for the role mapping of %s."
	// Unverified (InvalidParameterException): a Rules mapping without
	// RulesConfiguration, which the reference says is then required.
	msgRulesRequired = "RulesConfiguration must be specified for the Rules role mapping of %s."
	// Unverified (InvalidParameterException): a mapping rule's RoleARN that
	// is not a role ARN.
	msgBadRuleRole = "Invalid role ARN '%s' in the role mapping rules."
	// Unverified (NotAuthorizedException): GetCredentialsForIdentity's
	// CustomRoleArn is none of the roles the login's role mapping allows
	// (cognito:roles, or the roles of the matching rules). The Cognito
	// guide says only "deny access".
	msgCustomRoleDenied = "The role %s is not allowed by the role mapping rules of this identity pool."
	// Unverified (InvalidParameterException): SetPrincipalTagAttributeMap
	// or GetPrincipalTagAttributeMap for a provider the pool does not have.
	msgTagProviderUnknown = "(%s) is not a configured provider of this identity pool."
	// Unverified (NotAuthorizedException): GetOpenIdTokenForDeveloperIdentity
	// on a pool without DeveloperProviderName.
	msgNoDeveloperProvider = "Developer authentication is not enabled for this identity pool."
	// Unverified (InvalidParameterException): GetOpenIdTokenForDeveloperIdentity
	// whose Logins lack the pool's DeveloperProviderName; %s is it.
	msgDeveloperLoginMissing = "Logins must contain the developer provider name %s."
	// Documented (the GetOpenIdTokenForDeveloperIdentity reference's
	// description of DeveloperUserAlreadyRegisteredException): the developer
	// user is linked to another identity than IdentityId.
	msgDeveloperUserRegistered = "The provided developer user identifier is already registered with Cognito under a different identity ID."
	// Unverified (NotAuthorizedException): the developer provider name used
	// as a Logins key of GetId or GetCredentialsForIdentity, where the token
	// of GetOpenIdTokenForDeveloperIdentity belongs.
	msgDeveloperLogin = "Developer authenticated identities log in with the token of GetOpenIdTokenForDeveloperIdentity under cognito-identity.amazonaws.com."
	// Unverified (InvalidParameterException): a Cognito token in Logins
	// beside other providers' tokens.
	msgCognitoLoginAlone = "A cognito-identity.amazonaws.com login cannot be combined with other logins."
	// Unverified (NotAuthorizedException): a social provider of
	// SupportedLoginProviders (graph.facebook.com, accounts.google.com, …)
	// used in Logins: samlab cannot ask the provider offline.
	msgSocialProvider = "Invalid login token. samlab cannot validate %s tokens offline; register the provider as an IAM OpenID Connect provider of the pool instead."
	// Unverified (InvalidParameterException): a pool that names an IAM OIDC
	// provider ARN that is not an ARN.
	msgBadProviderARN = "Invalid OpenIdConnectProviderARN '%s'."
	// Unverified (ResourceConflictException): a login already linked to
	// another identity of the pool, given for an unauthenticated identity.
	msgLoginLinked = "Login is already linked to another identity."
	// Unverified (InvalidParameterException): GetCredentialsForIdentity's
	// CustomRoleArn for an identity none of whose logins has a role mapping
	// (AWS may ignore it instead; not documented).
	msgCustomRole = "CustomRoleArn can only be used with a role mapping of the login's provider."
)

// Behavior holds the choices made where AWS's behaviour is not documented or
// documented inconsistently. DefaultBehavior is the one place to correct
// them.
type Behavior struct {
	// TokenLifetime is how long GetOpenIdToken's tokens are valid. The
	// GetOpenIdToken reference says 10 minutes; a decoded AWS token seen in
	// public material has exp - iat = 900 seconds, which is the default (15
	// minutes), matching GetOpenIdTokenForDeveloperIdentity's documented
	// default.
	TokenLifetime time.Duration
	// SessionDuration is the lifetime of GetCredentialsForIdentity's
	// credentials (default 1 hour, the documented value).
	SessionDuration time.Duration
	// RoleSessionName is the session name of GetCredentialsForIdentity's
	// role sessions (default "CognitoIdentityCredentials", as assumed-role
	// ARNs of the enhanced flow show).
	RoleSessionName string
}

// DefaultBehavior returns the default choices.
func DefaultBehavior() Behavior {
	return Behavior{TokenLifetime: 15 * time.Minute, SessionDuration: time.Hour, RoleSessionName: "CognitoIdentityCredentials"}
}
