// Package xmlsec is samlab's one XML-security layer, shared by both sides of
// the federation: the hardened XML parser with its limits, the structural
// checks that defeat XML signature wrapping (XSW), enveloped XML Signature
// verification against a set of registered certificates, and XML Encryption
// of SAML assertions.
//
// STS (AssumeRoleWithSAML), the console sign-in, `samlab explain` and the
// IdP's AuthnRequest checks all verify through it, so no two of them can
// disagree about what a signature covers. Its shape follows go-oidc's
// verifier: a Verifier built from a Config, one Verify call that returns only
// the element the signature covers, and errors that carry data.
//
// Canonicalization and digesting are done here, on the parsed tree, rather
// than by goxmldsig's Validate: Validate unmarshals the Signature with
// encoding/xml, copies the element several times and re-parses the signed
// bytes, which made verification cost about ten RSA verifications. The
// canonical forms (exclusive c14n, and inclusive C14N 1.0 when
// Config.InclusiveC14N allows it) follow the W3C Recommendations as libxml2
// does (tests verify xmlsec1-signed documents); they are byte for byte
// goxmldsig's wherever goxmldsig follows the Recommendations (differential
// tests and fuzz targets check this), and the element returned is the very
// tree those canonical bytes were written from.
package xmlsec
