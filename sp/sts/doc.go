// Package sts is the STS half of the mock AWS: AssumeRoleWithSAML validates a
// SAML response against the metadata registered in IAM (never against anything
// the response carries about itself) with AWS's checks, codes, statuses and
// messages, and issues temporary credentials that GetCallerIdentity and SigV4
// verification accept until they expire. STS stores no sessions: the session
// token carries the session, sealed under the account's keyring (package
// sessiontoken), and Session reads it back.
//
// Federation serves the operations an identity calls with its own
// credentials (AssumeRole, GetSessionToken, GetFederationToken,
// GetAccessKeyInfo, DecodeAuthorizationMessage), authorized with sp/policy;
// MFA and IAM users' policies come through the MFA and UserPolicies
// interfaces, which IAM implements.
//
// Where AWS's behaviour is not documented, the choice made is a field of
// Behavior, whose doc comments say what was chosen and why; DefaultBehavior is
// the one place to correct them.
//
// Comments cite AWS's behaviour by section and row of docs/aws-behavior.md
// ("§4 row 5", or "row 5" for the AssumeRoleWithSAML checks of its §4).
package sts
