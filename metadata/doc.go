// Package metadata builds, parses and compares SAML 2.0 metadata
// (md:EntityDescriptor). An IdP publishes metadata; AWS IAM keeps a registered
// copy of it in a SAML provider. The two are separate documents, and every
// metadata-mismatch failure lives in the gap between them: Compare shows that
// gap.
//
// Inputs are bytes; the package does no network I/O. Parse rejects DTDs and
// entity declarations outright and bounds the document size.
package metadata
