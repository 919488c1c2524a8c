// Package idp is a SAML 2.0 identity provider with first-class AWS support:
// the left end of the federation flow, whose signed responses the mock AWS
// (package sp) or a real SP consumes.
//
// # Users
//
// A Directory holds users, their groups and their AWS role mappings, loaded
// from a strictly decoded YAML users file (LoadUsers; docs/users.md) with
// bcrypt or argon2 password hashes. DemoUsers is the built-in lab directory.
//
// # Responses
//
// AWSResponse builds a Response whose assertion carries AWS's attributes
// (Role, RoleSessionName, SessionDuration, PrincipalTag:*, TransitiveTagKeys,
// SourceIdentity); SPResponse builds one for any registered SP. Either may
// sign the Assertion, the Response or both, with RSA-SHA256 (default) or
// RSA-SHA1 and a SHA-256 or SHA-1 digest chosen independently, exclusive
// canonicalization and the certificate in KeyInfo; and may encrypt the
// assertion (EncryptedAssertion, AES-GCM or AES-CBC, RSA-OAEP key
// transport). FaultyResponse injects named faults (Faults) for scenarios.
//
// # Keys
//
// A Keyring holds the current signing key, a next key published ahead of a
// switch (StageRollover) and retired previous keys. Metadata publishes the
// current and next certificates. Keyrings round-trip through a directory of
// PEM files (Keyring.Files, LoadKeyring). Signing with a certificate outside
// its validity window is allowed and logged, since AWS's enforcement is
// unverified.
//
// # HTTP
//
// Server is an http.Handler: GET /metadata; GET and POST /login, /logout
// (sessions in memory, cookie Secure, HttpOnly, SameSite=Lax); GET /sso/aws
// (IdP-initiated SSO to AWS, an auto-submitting HTTP-POST form to the AWS
// sign-in URL, configurable); GET /sso/init?sp=ENTITYID (IdP-initiated SSO to
// a registered SP); GET and POST /sso (SP-initiated SSO, HTTP-Redirect and
// HTTP-POST bindings, for SPs registered from their metadata, signed requests
// verified with the SP's certificates). Links and
// redirects are relative, so the handler may be mounted under a path prefix.
// Errors are HTML pages with the reason and a 4xx status.
//
// crewjam/saml's schema types carry the XML and goxmldsig computes digests;
// the clock and randomness are injected, and crewjam's global TimeNow and
// RandReader are never assigned.
package idp
