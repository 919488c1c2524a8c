package xmlsec

import (
	"errors"
	"fmt"
)

// Errors of signature verification. A caller such as STS maps them to
// "Response signature invalid"; the wrapped detail is for logs and for
// `samlab explain`.
var (
	ErrNotResponse        = errors.New("root element is not a samlp:Response")
	ErrAssertionCount     = errors.New("response must contain exactly one Assertion")
	ErrEncryptedAssertion = errors.New("response carries an EncryptedAssertion")
	ErrNoSignature        = errors.New("neither the Response nor the Assertion is signed")
	ErrSignature          = errors.New("no registered certificate verifies the signature")
	ErrSHA1               = errors.New("signature uses SHA-1, which this provider rejects")
	// ErrSignaturePlacement: a ds:Signature sits anywhere but right after the
	// Issuer of the Response or of its Assertion (SAML Core §3.2.2, §2.3.3).
	ErrSignaturePlacement = errors.New("signature is not where the SAML schema puts it")
	// ErrSignatureShape: the Signature's structure is not the one SAML uses
	// (XML Signature §4; SAML Core §5.4): one Reference to the signed
	// element's ID, the enveloped-signature transform, exclusive c14n.
	ErrSignatureShape = errors.New("signature structure is not allowed")
	// ErrAlgorithm: a canonicalization, transform, signature or digest
	// algorithm outside the allowed set.
	ErrAlgorithm = errors.New("signature uses an algorithm that is not allowed")
	// ErrReference: the Reference does not point at the element that carries
	// the signature.
	ErrReference = errors.New("signature reference does not point at the signed element")
	// ErrDuplicateID: two elements share an ID, which makes "#ID" ambiguous.
	ErrDuplicateID = errors.New("document has duplicate ID attributes")
	// ErrUnregisteredKeyInfo: the certificate in the signature's KeyInfo is
	// not one of the registered signing certificates.
	ErrUnregisteredKeyInfo = errors.New("signature's KeyInfo certificate is not registered for the provider")
	// ErrDecrypt is wrapped when an EncryptedAssertion cannot be decrypted
	// with any of the decryption keys.
	ErrDecrypt = errors.New("cannot decrypt EncryptedAssertion")
)

// Errors of XML parsing. A caller such as STS maps them to "Invalid SAML
// Response".
var (
	ErrDTD          = errors.New("document contains a DTD or entity declaration")
	ErrProcInst     = errors.New("document contains a processing instruction")
	ErrXMLLimit     = errors.New("document exceeds the parser's limits")
	ErrMalformedXML = errors.New("document is not well-formed namespaced XML")
)

// IssuerError reports an Issuer that is not the expected entity. Signed says
// whether it was read from the verified Assertion (true) or, before any
// signature check, from the response as sent (false).
type IssuerError struct {
	Got, Want string
	Signed    bool
}

func (e *IssuerError) Error() string {
	if e.Signed {
		return fmt.Sprintf("signed assertion issuer %q is not the provider's entityID %q", e.Got, e.Want)
	}
	return fmt.Sprintf("issuer %q is not the provider's entityID %q", e.Got, e.Want)
}

// CertError reports why one registered certificate did not verify a
// signature.
type CertError struct {
	// Subject is the certificate's subject common name.
	Subject string
	Err     error
}

func (e *CertError) Error() string { return fmt.Sprintf("registered cert %q: %v", e.Subject, e.Err) }

func (e *CertError) Unwrap() error { return e.Err }
