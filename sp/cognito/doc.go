// Package cognito mocks Amazon Cognito Identity's identity pools, the app
// side of web identity federation: an app trades an OpenID Connect ID token
// (or nothing, for a guest) for an identity ID and then for temporary AWS
// credentials.
//
// It serves AWS's JSON 1.1 protocol through an awsapi.Router (X-Amz-Target
// AWSCognitoIdentityService.<Operation>): pool management
// (Create/Describe/List/DeleteIdentityPool, Set/GetIdentityPoolRoles with
// role mappings, Set/GetPrincipalTagAttributeMap,
// GetOpenIdTokenForDeveloperIdentity, SigV4) and the anonymous GetId,
// GetOpenIdToken and GetCredentialsForIdentity.
//
// GetCredentialsForIdentity picks the role of an authenticated identity
// from the pool's role mapping for its login (rules on the token's claims,
// or its cognito:roles and cognito:preferred_role), CustomRoleArn and
// AmbiguousRoleResolution (rolemap.go), and puts the principal tags of the
// pool's attribute map (tags.go) into the Cognito token, where STS reads
// them as session tags. Developer authenticated identities log in with the
// token of GetOpenIdTokenForDeveloperIdentity (developer.go).
//
// Tokens in a Logins map are checked by STS's web identity checks
// (sts.WebIdentity.VerifyToken) against the account's IAM OIDC providers
// that the pool lists. The service signs its own OpenID tokens (issuer
// https://cognito-identity.amazonaws.com, aud the pool ID, sub the identity
// ID, amr authenticated/unauthenticated) with a key whose public half STS
// trusts as the built-in provider cognito-identity.amazonaws.com, and
// GetCredentialsForIdentity assumes the pool's role with such a token
// through sts.WebIdentity.AssumeRoleWithWebIdentity, so the role's trust
// policy is evaluated exactly as for the basic flow.
//
// AWS's messages and the undocumented choices are in messages.go.
package cognito
