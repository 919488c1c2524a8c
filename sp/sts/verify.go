package sts

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Namespaces (SAML Core §1.2, XML Signature §4, Exclusive XML
// Canonicalization §3, Namespaces in XML §3).
const (
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
	nsExcC14N   = "http://www.w3.org/2001/10/xml-exc-c14n#"
	nsXML       = "http://www.w3.org/XML/1998/namespace"
	nsXMLNS     = "http://www.w3.org/2000/xmlns/"
)

// Digest algorithm identifiers (XML Signature §6.2, RFC 6931 §2.1).
const (
	digestSHA1   = "http://www.w3.org/2000/09/xmldsig#sha1"
	digestSHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
	digestSHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	digestSHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
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
	// not one of the provider's registered signing certificates.
	ErrUnregisteredKeyInfo = errors.New("signature's KeyInfo certificate is not registered for the provider")
)

// Errors of XML parsing. They become InvalidIdentityToken with the "Invalid
// SAML Response" message at the API.
var (
	ErrDTD          = errors.New("document contains a DTD or entity declaration")
	ErrProcInst     = errors.New("document contains a processing instruction")
	ErrXMLLimit     = errors.New("document exceeds the parser's limits")
	ErrMalformedXML = errors.New("document is not well-formed namespaced XML")
)

// childrenNS returns el's child elements with the given namespace URI and
// local name. Namespaces are resolved, never matched by prefix.
func childrenNS(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if isNS(c, ns, local) {
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

func isNS(el *etree.Element, ns, local string) bool {
	return el != nil && el.Tag == local && el.NamespaceURI() == ns
}

// plainAttr returns the value of el's attribute key that has no namespace
// prefix, as SAML and XML Signature attributes are.
func plainAttr(el *etree.Element, key string) (string, bool) {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// verifiedAssertion returns the Assertion covered by a signature that one of
// the registered certificates verifies. The returned element is goxmldsig's
// re-parse of the signed bytes: nothing outside the signature's reach is ever
// read from the document after this point. A signed Response (covering its one
// Assertion) or a signed Assertion is accepted (Behavior.AcceptResponseSignature
// governs the former); when both are signed, both must verify.
//
// Before any cryptography, the document must have the shape SAML gives it, so
// that no signature wrapping (XSW) can make the verified element and the one
// read differ: unique IDs; exactly one Assertion in the whole document, a
// direct child of the Response; no ds:Signature except right after the
// Issuer of the Response or of that Assertion; and each Signature with
// exactly one Reference, to "#"+ID of its own parent, with allowed transforms
// and algorithms only.
func verifiedAssertion(doc *etree.Document, registered []*x509.Certificate, now time.Time, b Behavior) (*etree.Element, error) {
	root := doc.Root()
	if !isNS(root, nsProtocol, "Response") {
		return nil, ErrNotResponse
	}
	if err := checkUniqueIDs(root); err != nil {
		return nil, err
	}
	if len(childrenNS(root, nsAssertion, "EncryptedAssertion")) > 0 {
		return nil, ErrEncryptedAssertion
	}
	assertions := childrenNS(root, nsAssertion, "Assertion")
	if len(assertions) != 1 {
		return nil, fmt.Errorf("%w: found %d", ErrAssertionCount, len(assertions))
	}
	respSig, assertionSig := ownSignature(root), ownSignature(assertions[0])
	if err := checkStructure(root, assertions[0], respSig, assertionSig); err != nil {
		return nil, err
	}

	switch {
	case respSig != nil:
		if assertionSig == nil && !b.AcceptResponseSignature {
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
		if ownSignature(as[0]) == nil {
			return as[0], nil
		}
		a, err := verifyElement(as[0], registered, now, b)
		if err != nil {
			return nil, fmt.Errorf("assertion signature: %w", err)
		}
		return a, nil
	case assertionSig != nil:
		a, err := verifyElement(assertions[0], registered, now, b)
		if err != nil {
			return nil, fmt.Errorf("assertion signature: %w", err)
		}
		return a, nil
	default:
		return nil, ErrNoSignature
	}
}

// verifiedEncryptedResponse verifies the Response signature of a response
// that carries its assertion encrypted: one EncryptedAssertion child, no
// plaintext Assertion anywhere, and the Response's own signature, which covers
// the ciphertext. It runs before decryption and returns the verified Response
// (goxmldsig's parse of the signed bytes) to decrypt from; the Assertion
// decrypted from it is then covered by this signature. The same structural
// checks apply as to plaintext responses.
func verifiedEncryptedResponse(doc *etree.Document, registered []*x509.Certificate, now time.Time, b Behavior) (*etree.Element, error) {
	root := doc.Root()
	if !isNS(root, nsProtocol, "Response") {
		return nil, ErrNotResponse
	}
	if err := checkUniqueIDs(root); err != nil {
		return nil, err
	}
	encs := childrenNS(root, nsAssertion, "EncryptedAssertion")
	if len(encs) != 1 {
		return nil, fmt.Errorf("%w: found %d EncryptedAssertion elements", ErrAssertionCount, len(encs))
	}
	respSig := ownSignature(root)
	if respSig == nil {
		return nil, ErrNoSignature
	}
	if err := checkStructure(root, encs[0], respSig, nil); err != nil {
		return nil, err
	}
	return verifyElement(root, registered, now, b)
}

// assertionOfVerifiedResponse returns the one Assertion of a Response whose
// signature has been verified and whose EncryptedAssertion has been
// decrypted in place. An Assertion that carries its own signature must verify
// too; without one, the Response signature over the ciphertext covers it.
func assertionOfVerifiedResponse(resp *etree.Element, registered []*x509.Certificate, now time.Time, b Behavior) (*etree.Element, error) {
	as := childrenNS(resp, nsAssertion, "Assertion")
	if len(as) != 1 {
		return nil, fmt.Errorf("decrypted response: %w: found %d", ErrAssertionCount, len(as))
	}
	aSig := ownSignature(as[0])
	if err := checkStructure(resp, as[0], aSig, nil); err != nil {
		return nil, err
	}
	if aSig == nil {
		if !b.AcceptResponseSignature {
			return nil, fmt.Errorf("%w: only the Response is signed", ErrNoSignature)
		}
		return as[0], nil
	}
	a, err := verifyElement(as[0], registered, now, b)
	if err != nil {
		return nil, fmt.Errorf("assertion signature: %w", err)
	}
	return a, nil
}

// ownSignature returns el's enveloped signature: the ds:Signature child in the
// place the SAML schema gives it, right after the Issuer (which an Assertion
// must have first; a Response may omit it, and then the Signature comes
// first). It returns nil when there is none.
func ownSignature(el *etree.Element) *etree.Element {
	kids := el.ChildElements()
	i := 0
	switch {
	case len(kids) > 0 && isNS(kids[0], nsAssertion, "Issuer"):
		i = 1
	case isNS(el, nsAssertion, "Assertion"):
		return nil
	}
	if i < len(kids) && isNS(kids[i], nsDSig, "Signature") {
		return kids[i]
	}
	return nil
}

// checkStructure rejects a document that holds, anywhere, a samlp:Response
// other than the root, a saml:Assertion other than the root's one Assertion
// child, or a ds:Signature other than the two allowed ones (either may be
// nil). Copies of the signed element hidden in Extensions, Advice, Object or
// a wrapper, and genuine signatures moved next to forged content, are how XSW
// attacks fool validators that verify one element and read another.
func checkStructure(root, assertion, allowedSig1, allowedSig2 *etree.Element) error {
	var err error
	walk(root, func(el *etree.Element) bool {
		switch {
		case el != root && isNS(el, nsProtocol, "Response"):
			err = fmt.Errorf("%w: nested Response at %s", ErrNotResponse, el.GetPath())
		case el != assertion && (isNS(el, nsAssertion, "Assertion") || isNS(el, nsAssertion, "EncryptedAssertion")):
			err = fmt.Errorf("%w: another %s at %s", ErrAssertionCount, el.Tag, el.GetPath())
		case el != allowedSig1 && el != allowedSig2 && isNS(el, nsDSig, "Signature"):
			err = fmt.Errorf("%w: unexpected Signature at %s", ErrSignaturePlacement, el.GetPath())
		}
		return err == nil
	})
	return err
}

// checkUniqueIDs rejects a document in which two attributes named ID (in any
// case, any namespace: SAML's ID, XML Signature's Id, wsu:Id) share a value.
func checkUniqueIDs(root *etree.Element) error {
	seen := map[string]bool{}
	var err error
	walk(root, func(el *etree.Element) bool {
		for _, a := range el.Attr {
			if a.Space == "xmlns" || !strings.EqualFold(a.Key, "id") {
				continue
			}
			if seen[a.Value] {
				err = fmt.Errorf("%w: %q", ErrDuplicateID, a.Value)
				return false
			}
			seen[a.Value] = true
		}
		return true
	})
	return err
}

// walk calls f for el and its descendants in document order until f returns
// false. The parser bounds the depth, so recursion is safe.
func walk(el *etree.Element, f func(*etree.Element) bool) bool {
	if !f(el) {
		return false
	}
	for _, c := range el.ChildElements() {
		if !walk(c, f) {
			return false
		}
	}
	return true
}

// verifyElement verifies el's enveloped signature and returns the verified
// element: goxmldsig's parse of the canonical bytes the digest covers.
//
// goxmldsig's Validate alone is not enough for SAML: it looks for the
// signature anywhere under el, accepts Reference URI="" and compares only
// URI[1:] with the ID, takes the first of several References, and accepts
// inclusive c14n, a missing c14n transform and comments. checkSignature closes
// those gaps first. KeyInfo is not covered by the signature: a certificate in
// it only selects which registered certificate to try, and one that is not
// registered is refused; without one, each registered certificate is tried in
// turn.
func verifyElement(el *etree.Element, registered []*x509.Certificate, now time.Time, b Behavior) (*etree.Element, error) {
	sig := ownSignature(el)
	if sig == nil {
		return nil, ErrNoSignature
	}
	id, err := signedID(el)
	if err != nil {
		return nil, err
	}
	if err := checkSignature(sig, id, b); err != nil {
		return nil, err
	}
	candidates, err := candidateCerts(sig, registered)
	if err != nil {
		return nil, err
	}
	detached := detach(el)
	if ki := childNS(ownSignature(detached), nsDSig, "KeyInfo"); ki != nil {
		ki.Parent().RemoveChild(ki)
	}
	var errs []error
	for _, cert := range candidates {
		vctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
		at := now
		if !b.EnforceCertExpiry {
			// Expiry is not enforced: check at a moment inside the window.
			at = cert.NotBefore
		}
		vctx.Clock = dsig.NewFakeClockAt(at)
		verified, err := vctx.Validate(detached)
		if err != nil {
			errs = append(errs, fmt.Errorf("registered cert %q: %w", cert.Subject.CommonName, err))
			continue
		}
		// The verified element must be el itself: same name, same ID.
		if verified.Tag != el.Tag || verified.NamespaceURI() != el.NamespaceURI() {
			return nil, fmt.Errorf("%w: verified %s, want %s", ErrReference, verified.Tag, el.Tag)
		}
		if vid, err := signedID(verified); err != nil || vid != id {
			return nil, fmt.Errorf("%w: verified element has ID %q, want %q", ErrReference, vid, id)
		}
		return verified, nil
	}
	return nil, fmt.Errorf("%w: %w", ErrSignature, errors.Join(errs...))
}

// signedID returns el's ID attribute, which must be present, non-empty,
// unprefixed and unique on the element (goxmldsig matches any prefix).
func signedID(el *etree.Element) (string, error) {
	var ids []etree.Attr
	for _, a := range el.Attr {
		if a.Key == "ID" {
			ids = append(ids, a)
		}
	}
	if len(ids) != 1 || ids[0].Space != "" || ids[0].Value == "" {
		return "", fmt.Errorf("%w: %s must carry exactly one non-empty, unprefixed ID attribute", ErrReference, el.Tag)
	}
	return ids[0].Value, nil
}

// checkSignature checks the Signature's structure and algorithms against what
// SAML signatures use (SAML Core §5.4): SignedInfo, SignatureValue and an
// optional KeyInfo, nothing else (no Object to hide content in); exactly one
// Reference whose URI is "#"+id; the enveloped-signature transform plus
// exclusive canonicalization (with or without comments), nothing else.
//
// Unverified against AWS, and chosen here for safety: inclusive c14n (which
// SAML Core §5.4.3 discourages and no mainstream IdP uses for AWS) and a
// Signature placed anywhere but after the Issuer (schema-invalid) are refused
// as "Response signature invalid".
func checkSignature(sig *etree.Element, id string, b Behavior) error {
	kids := sig.ChildElements()
	if len(kids) < 2 || len(kids) > 3 || !isNS(kids[0], nsDSig, "SignedInfo") || !isNS(kids[1], nsDSig, "SignatureValue") ||
		(len(kids) == 3 && !isNS(kids[2], nsDSig, "KeyInfo")) {
		return fmt.Errorf("%w: Signature must hold SignedInfo, SignatureValue and at most a KeyInfo", ErrSignatureShape)
	}
	si := kids[0].ChildElements()
	if len(si) != 3 || !isNS(si[0], nsDSig, "CanonicalizationMethod") || !isNS(si[1], nsDSig, "SignatureMethod") ||
		!isNS(si[2], nsDSig, "Reference") {
		return fmt.Errorf("%w: SignedInfo must hold CanonicalizationMethod, SignatureMethod and exactly one Reference", ErrSignatureShape)
	}
	c14n, _ := plainAttr(si[0], "Algorithm")
	if !isExcC14N(c14n) || len(si[0].ChildElements()) != 0 {
		return fmt.Errorf("%w: CanonicalizationMethod %q", ErrAlgorithm, c14n)
	}
	method, _ := plainAttr(si[1], "Algorithm")
	if err := checkSignatureMethod(method, b); err != nil {
		return err
	}
	ref := si[2]
	if uri, ok := plainAttr(ref, "URI"); !ok || uri != "#"+id {
		return fmt.Errorf("%w: Reference URI %q, want %q", ErrReference, uri, "#"+id)
	}
	rk := ref.ChildElements()
	if len(rk) != 3 || !isNS(rk[0], nsDSig, "Transforms") || !isNS(rk[1], nsDSig, "DigestMethod") ||
		!isNS(rk[2], nsDSig, "DigestValue") {
		return fmt.Errorf("%w: Reference must hold Transforms, DigestMethod and DigestValue", ErrSignatureShape)
	}
	if err := checkTransforms(rk[0]); err != nil {
		return err
	}
	digest, _ := plainAttr(rk[1], "Algorithm")
	return checkDigestMethod(digest, b)
}

func isExcC14N(alg string) bool {
	switch dsig.AlgorithmID(alg) {
	case dsig.CanonicalXML10ExclusiveAlgorithmId, dsig.CanonicalXML10ExclusiveWithCommentsAlgorithmId:
		return true
	}
	return false
}

// checkTransforms allows exactly the enveloped-signature transform and one
// exclusive canonicalization (whose only allowed child is
// ec:InclusiveNamespaces), in either order. Comments kept by the
// WithComments variant are harmless: readers concatenate text and skip
// comments, which is what the signed bytes mean.
func checkTransforms(transforms *etree.Element) error {
	enveloped, c14n := 0, 0
	for _, t := range transforms.ChildElements() {
		alg, _ := plainAttr(t, "Algorithm")
		switch {
		case !isNS(t, nsDSig, "Transform"):
			return fmt.Errorf("%w: unexpected %s in Transforms", ErrSignatureShape, t.Tag)
		case alg == string(dsig.EnvelopedSignatureAltorithmId):
			enveloped++
			if len(t.ChildElements()) != 0 {
				return fmt.Errorf("%w: enveloped-signature transform has children", ErrSignatureShape)
			}
		case isExcC14N(alg):
			c14n++
			for _, c := range t.ChildElements() {
				if !isNS(c, nsExcC14N, "InclusiveNamespaces") {
					return fmt.Errorf("%w: unexpected %s in exclusive c14n transform", ErrSignatureShape, c.Tag)
				}
			}
		default:
			return fmt.Errorf("%w: transform %q", ErrAlgorithm, alg)
		}
	}
	if enveloped != 1 || c14n != 1 {
		return fmt.Errorf("%w: want one enveloped-signature and one exclusive c14n transform, got %d and %d",
			ErrAlgorithm, enveloped, c14n)
	}
	return nil
}

func checkSignatureMethod(alg string, b Behavior) error {
	switch alg {
	case dsig.RSASHA256SignatureMethod, dsig.RSASHA384SignatureMethod, dsig.RSASHA512SignatureMethod,
		dsig.ECDSASHA256SignatureMethod, dsig.ECDSASHA384SignatureMethod, dsig.ECDSASHA512SignatureMethod:
		return nil
	case dsig.RSASHA1SignatureMethod, dsig.ECDSASHA1SignatureMethod:
		if !b.AllowSHA1 {
			return ErrSHA1
		}
		return nil
	}
	return fmt.Errorf("%w: SignatureMethod %q", ErrAlgorithm, alg)
}

func checkDigestMethod(alg string, b Behavior) error {
	switch alg {
	case digestSHA256, digestSHA384, digestSHA512:
		return nil
	case digestSHA1:
		if !b.AllowSHA1 {
			return ErrSHA1
		}
		return nil
	}
	return fmt.Errorf("%w: DigestMethod %q", ErrAlgorithm, alg)
}

// candidateCerts returns the registered certificates to try for sig: the one
// its KeyInfo names, or all of them when KeyInfo carries no certificate.
func candidateCerts(sig *etree.Element, registered []*x509.Certificate) ([]*x509.Certificate, error) {
	ki := childNS(sig, nsDSig, "KeyInfo")
	if ki == nil {
		return registered, nil
	}
	var data *etree.Element
	for _, xd := range childrenNS(ki, nsDSig, "X509Data") {
		if data = childNS(xd, nsDSig, "X509Certificate"); data != nil {
			break
		}
	}
	if data == nil {
		return registered, nil
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(data.Text()), ""))
	if err != nil {
		return nil, fmt.Errorf("%w: X509Certificate is not base64: %w", ErrUnregisteredKeyInfo, err)
	}
	for _, c := range registered {
		if bytes.Equal(c.Raw, der) {
			return []*x509.Certificate{c}, nil
		}
	}
	return nil, ErrUnregisteredKeyInfo
}

// detach returns a deep copy of el that declares every namespace in scope at
// el, so that it can be canonicalized and verified on its own. Unlike
// etreeutils.NSDetatch it has no 1,000-element traversal limit: the parser's
// limits already bound the work.
func detach(el *etree.Element) *etree.Element {
	c := el.Copy()
	declared := map[string]bool{}
	for p := el; p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			prefix, ok := nsDecl(a)
			if !ok || declared[prefix] {
				continue
			}
			declared[prefix] = true
			if p != el {
				c.Attr = append(c.Attr, a)
			}
		}
	}
	return c
}

// nsDecl reports whether a declares a namespace, and for which prefix ("" for
// the default namespace).
func nsDecl(a etree.Attr) (string, bool) {
	switch {
	case a.Space == "xmlns":
		return a.Key, true
	case a.Space == "" && a.Key == "xmlns":
		return "", true
	}
	return "", false
}

// Limits of parseXML. A SAMLAssertion decodes to at most 75,000 bytes (AWS's
// 100,000-character limit applies to its base64 form); real responses are a
// few kilobytes with a few hundred elements, less than 15 levels deep and a
// handful of namespaces. The limits bound the work of every later step
// (canonicalization copies the namespace scope at each element).
const (
	maxXMLBytes          = 100_000
	maxDepth             = 64
	maxElements          = 5_000
	maxAttrsPerElement   = 64
	maxNamespacesInScope = 64
)

// parseXML parses untrusted bytes into a tree safe to verify: well-formed,
// namespace-well-formed XML (Namespaces in XML §3, §5) in UTF-8 with no DTD,
// entity declaration or processing instruction (SAML Core §1.3.4 forbids
// DTDs; the XML declaration is allowed), no duplicate attributes, and within
// the limits above. Anything else is refused rather than repaired, so that
// every later reader sees the same document.
//
// No round-trip validator (xml-roundtrip-validator) runs: identity is read
// only from the re-parse of the bytes the digest covers, which are the IdP's
// own canonical bytes, so a document that would not survive a round trip
// through encoding/xml cannot change what is read; the name and namespace
// checks here refuse the shapes such validators look for.
func parseXML(raw []byte) (*etree.Document, error) {
	if len(raw) > maxXMLBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrXMLLimit, len(raw), maxXMLBytes)
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	if err := checkMarkup(raw); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{
		CharsetReader:          utf8Only,
		PreserveDuplicateAttrs: true, // so that checkTree sees and refuses them
		MaxDepth:               maxDepth,
	}
	if err := doc.ReadFromBytes(raw); err != nil {
		if errors.Is(err, etree.ErrMaxDepth) {
			return nil, fmt.Errorf("%w: deeper than %d elements", ErrXMLLimit, maxDepth)
		}
		return nil, fmt.Errorf("%w: %w", ErrMalformedXML, err)
	}
	if err := checkTree(doc); err != nil {
		return nil, err
	}
	if !bytes.Contains(raw, []byte(nsProtocol)) {
		return nil, ErrNotResponse
	}
	return doc, nil
}

// checkMarkup refuses, before any parsing, markup declarations ("<!" other
// than a comment or CDATA section: DOCTYPE, ENTITY, ELEMENT, ATTLIST, in any
// case or spacing) and processing instructions other than an XML declaration
// at the very start. It may refuse such text inside comments too; no SAML
// response carries it.
func checkMarkup(raw []byte) error {
	for i := 0; ; {
		j := bytes.IndexByte(raw[i:], '<')
		if j < 0 {
			return nil
		}
		i += j
		rest := raw[i+1:]
		switch {
		case bytes.HasPrefix(rest, []byte("!--")), bytes.HasPrefix(rest, []byte("![CDATA[")):
		case bytes.HasPrefix(rest, []byte("!")):
			return ErrDTD
		case bytes.HasPrefix(rest, []byte("?")):
			if i != 0 || !isXMLDecl(rest[1:]) {
				return ErrProcInst
			}
		}
		i++
	}
}

// isXMLDecl reports whether b (after "<?") starts an XML declaration.
func isXMLDecl(b []byte) bool {
	return len(b) > 3 && string(b[:3]) == "xml" && (b[3] == ' ' || b[3] == '\t' || b[3] == '\r' || b[3] == '\n')
}

// utf8Only is the parser's CharsetReader: encoding/xml calls it for any
// declared encoding but UTF-8, and etree's default would read the bytes as
// UTF-8 regardless, which another parser would not.
func utf8Only(charset string, input io.Reader) (io.Reader, error) {
	if strings.EqualFold(charset, "utf-8") {
		return input, nil
	}
	return nil, fmt.Errorf("%w: encoding %q, want UTF-8", ErrMalformedXML, charset)
}

// checkTree checks the parsed document: one root element, and the rules of
// parseXML for every node.
func checkTree(doc *etree.Document) error {
	roots := 0
	for i, tok := range doc.Child {
		switch t := tok.(type) {
		case *etree.Element:
			roots++
			if roots > 1 {
				return fmt.Errorf("%w: more than one root element", ErrMalformedXML)
			}
			tc := treeCheck{}
			if err := tc.element(t, nsScope{"xml": nsXML}, 1); err != nil {
				return err
			}
		case *etree.ProcInst:
			if i != 0 || t.Target != "xml" {
				return ErrProcInst
			}
		case *etree.Directive:
			return ErrDTD
		case *etree.CharData:
			if strings.TrimSpace(t.Data) != "" {
				return fmt.Errorf("%w: text outside the root element", ErrMalformedXML)
			}
		}
	}
	if roots == 0 {
		return fmt.Errorf("%w: no root element", ErrMalformedXML)
	}
	return nil
}

// nsScope maps the prefixes in scope to their namespace names ("" is the
// default namespace).
type nsScope map[string]string

type treeCheck struct{ elements int }

func (tc *treeCheck) element(el *etree.Element, scope nsScope, depth int) error {
	tc.elements++
	switch {
	case tc.elements > maxElements:
		return fmt.Errorf("%w: more than %d elements", ErrXMLLimit, maxElements)
	case depth > maxDepth:
		return fmt.Errorf("%w: deeper than %d elements", ErrXMLLimit, maxDepth)
	case len(el.Attr) > maxAttrsPerElement:
		return fmt.Errorf("%w: element %s has more than %d attributes", ErrXMLLimit, el.Tag, maxAttrsPerElement)
	}
	scope, err := declare(el, scope)
	if err != nil {
		return err
	}
	if !validName(el.Tag) || el.Space == "xmlns" || (el.Space != "" && scope[el.Space] == "") {
		return fmt.Errorf("%w: element name %q", ErrMalformedXML, el.FullTag())
	}
	seen := make(map[string]bool, len(el.Attr))
	for _, a := range el.Attr {
		if !validName(a.Key) {
			return fmt.Errorf("%w: attribute name %q on %s", ErrMalformedXML, a.FullKey(), el.Tag)
		}
		name := a.Space + ":" + a.Key // raw name: xmlns:p and xmlns count here
		if _, isDecl := nsDecl(a); !isDecl && a.Space != "" {
			ns := scope[a.Space]
			if ns == "" {
				return fmt.Errorf("%w: undeclared prefix in attribute %q", ErrMalformedXML, a.FullKey())
			}
			name = "{" + ns + "}" + a.Key
		}
		if seen[name] {
			return fmt.Errorf("%w: duplicate attribute %q on %s", ErrMalformedXML, a.FullKey(), el.Tag)
		}
		seen[name] = true
	}
	for _, tok := range el.Child {
		switch t := tok.(type) {
		case *etree.Element:
			if err := tc.element(t, scope, depth+1); err != nil {
				return err
			}
		case *etree.ProcInst:
			return ErrProcInst
		case *etree.Directive:
			return ErrDTD
		}
	}
	return nil
}

// declare returns the scope inside el: the enclosing scope plus el's
// namespace declarations, which must follow Namespaces in XML §3: xml bound
// only to its name, xmlns never declared, neither name bound to another
// prefix, no empty prefixed declaration.
func declare(el *etree.Element, outer nsScope) (nsScope, error) {
	scope, copied := outer, false
	for _, a := range el.Attr {
		prefix, ok := nsDecl(a)
		if !ok {
			continue
		}
		bad := prefix == "xmlns" || a.Value == nsXMLNS ||
			(prefix == "xml") != (a.Value == nsXML) ||
			(prefix != "" && a.Value == "")
		if bad {
			return nil, fmt.Errorf("%w: namespace declaration %s=%q", ErrMalformedXML, a.FullKey(), a.Value)
		}
		if !copied {
			scope, copied = maps.Clone(outer), true
		}
		scope[prefix] = a.Value
	}
	if len(scope) > maxNamespacesInScope {
		return nil, fmt.Errorf("%w: more than %d namespaces in scope", ErrXMLLimit, maxNamespacesInScope)
	}
	return scope, nil
}

// validName reports whether a local name as etree splits it is usable: not
// empty and free of further colons (Namespaces in XML §3, NCName).
func validName(local string) bool {
	return local != "" && !strings.Contains(local, ":")
}
