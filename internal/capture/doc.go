// Package capture reads what an on-call engineer holds after a failed SAML
// sign-in to AWS, in whatever form it comes: the SAMLResponse as base64, as
// XML, as the URL-encoded form body copied from the browser's developer tools
// (SAMLResponse=...), as the IdP's auto-post HTML page or a saml2aws debug
// log that contains it, or inside a browser HAR file; the metadata registered
// in IAM as XML, as `aws iam get-saml-provider` JSON or as the raw IAM API
// XML; a role's trust policy as `aws iam get-role` JSON; private keys as PEM.
//
// Every reader is bounded and every error is one line that names the input
// and says what was expected. The package judges nothing: it only finds the
// documents, which sp/sts explains and package metadata parses.
package capture
