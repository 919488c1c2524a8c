// Package idp is a small SAML 2.0 identity provider. It keeps users and their
// AWS role mappings, builds assertions carrying AWS's attributes (Role,
// RoleSessionName, SessionDuration, PrincipalTag:*, TransitiveTagKeys,
// SourceIdentity), signs them (RSA-SHA256 and exclusive c14n by default),
// publishes its metadata and rotates its signing keys.
//
// idp never talks to the AWS side directly: it meets package sp only through
// the SAML documents it produces (metadata and responses), as a real IdP does.
// crewjam/saml's schema types carry the XML; the clock and randomness are
// injected, so crewjam's global TimeNow and RandReader are never used.
package idp
