package sts

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/samlab-dev/samlab/metadata"
)

// Namespaces (SAML Core §1.2, XML Signature §4).
const (
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
)

// Errors of signature verification. They become InvalidIdentityToken
// "Response signature invalid" at the API; the cause is kept for logs and for
// `samlab explain`.
var (
	ErrNotResponse        = errors.New("root element is not a samlp:Response")
	ErrAssertionCount     = errors.New("response must contain exactly one Assertion")
	ErrEncryptedAssertion = errors.New("response carries an EncryptedAssertion")
	ErrNoSignature        = errors.New("neither the Response nor the Assertion is signed")
	ErrSignature          = errors.New("no registered certificate verifies the signature")
	ErrSHA1               = errors.New("signature uses SHA-1, which this provider rejects")
)

// childrenNS returns el's child elements with the given namespace URI and
// local name. Namespaces are resolved, never matched by prefix.
func childrenNS(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

func childNS(el *etree.Element, ns, local string) *etree.Element {
	if cs := childrenNS(el, ns, local); len(cs) > 0 {
		return cs[0]
	}
	return nil
}

// verifiedAssertion returns the Assertion covered by a signature that one of
// the registered certificates verifies. The returned element is goxmldsig's
// re-parse of the signed bytes: nothing outside the signature's reach is ever
// read from the document after this point. A signed Response (covering its one
// Assertion) or a signed Assertion is accepted (Behavior.AcceptResponseSignature
// governs the former); when both are signed, both must verify.
func verifiedAssertion(doc *etree.Document, registered []*x509.Certificate, now time.Time, b Behavior) (*etree.Element, error) {
	root := doc.Root()
	if root == nil || root.Tag != "Response" || root.NamespaceURI() != nsProtocol {
		return nil, ErrNotResponse
	}
	if len(childrenNS(root, nsAssertion, "EncryptedAssertion")) > 0 {
		return nil, ErrEncryptedAssertion
	}
	assertions := childrenNS(root, nsAssertion, "Assertion")
	if len(assertions) != 1 {
		return nil, fmt.Errorf("%w: found %d", ErrAssertionCount, len(assertions))
	}
	respSigned := childNS(root, nsDSig, "Signature") != nil
	assertionSigned := childNS(assertions[0], nsDSig, "Signature") != nil

	switch {
	case respSigned:
		if !assertionSigned && !b.AcceptResponseSignature {
			return nil, fmt.Errorf("%w: only the Response is signed", ErrNoSignature)
		}
		resp, err := verifyElement(root, registered, now, b)
		if err != nil {
			return nil, fmt.Errorf("response signature: %w", err)
		}
		as := childrenNS(resp, nsAssertion, "Assertion")
		if len(as) != 1 {
			return nil, fmt.Errorf("signed response: %w: found %d", ErrAssertionCount, len(as))
		}
		if childNS(as[0], nsDSig, "Signature") == nil {
			return as[0], nil
		}
		a, err := verifyElement(as[0], registered, now, b)
		if err != nil {
			return nil, fmt.Errorf("assertion signature: %w", err)
		}
		return a, nil
	case assertionSigned:
		a, err := verifyElement(assertions[0], registered, now, b)
		if err != nil {
			return nil, fmt.Errorf("assertion signature: %w", err)
		}
		return a, nil
	default:
		return nil, ErrNoSignature
	}
}

// verifyElement verifies el's enveloped signature with each registered
// certificate in turn (goxmldsig refuses a signature without KeyInfo when given
// several certificates at once) and returns the verified element.
func verifyElement(el *etree.Element, registered []*x509.Certificate, now time.Time, b Behavior) (*etree.Element, error) {
	sig := childNS(el, nsDSig, "Signature")
	if sig == nil {
		return nil, ErrNoSignature
	}
	if !b.AllowSHA1 && usesSHA1(sig) {
		return nil, ErrSHA1
	}
	nsCtx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, fmt.Errorf("namespace context: %w", err)
	}
	detached, err := etreeutils.NSDetatch(nsCtx, el)
	if err != nil {
		return nil, fmt.Errorf("detach element: %w", err)
	}
	var errs []error
	for i, cert := range registered {
		vctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
		at := now
		if !b.EnforceCertExpiry {
			// Expiry is not enforced: check at a moment inside the window.
			at = cert.NotBefore
		}
		vctx.Clock = dsig.NewFakeClockAt(at)
		verified, err := vctx.Validate(detached)
		if err == nil {
			return verified, nil
		}
		errs = append(errs, fmt.Errorf("registered cert %d (%s): %w", i+1, cert.Subject.CommonName, err))
	}
	return nil, fmt.Errorf("%w: %w", ErrSignature, errors.Join(errs...))
}

func usesSHA1(sig *etree.Element) bool {
	for _, e := range sig.FindElements(".//*[@Algorithm]") {
		if strings.HasSuffix(strings.ToLower(e.SelectAttrValue("Algorithm", "")), "sha1") {
			return true
		}
	}
	return false
}

// parseXML parses untrusted bytes: DTDs and entity declarations are refused
// before parsing.
func parseXML(raw []byte) (*etree.Document, error) {
	if err := metadata.CheckNoDTD(raw); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.ReadSettings.Permissive = false
	if err := doc.ReadFromBytes(raw); err != nil {
		return nil, fmt.Errorf("parse SAML response: %w", err)
	}
	if doc.Root() == nil {
		return nil, errors.New("parse SAML response: no root element")
	}
	if !bytes.Contains(raw, []byte(nsProtocol)) {
		return nil, ErrNotResponse
	}
	return doc, nil
}
