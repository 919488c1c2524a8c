package xmlsec

import (
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
)

// Config configures a Verifier.
type Config struct {
	// Certs are the signing certificates registered for the issuer (IAM's
	// copy of its metadata). A signature verifies only with one of them.
	Certs []*x509.Certificate
	// DecryptionKeys decrypt EncryptedAssertions (the SAML provider's
	// private keys). Without any, an encrypted assertion is refused with
	// ErrEncryptedAssertion.
	DecryptionKeys []*rsa.PrivateKey
	// EntityID, when set, is the Issuer the response must name: the
	// Response's Issuer (or, without one, its Assertion's) before any
	// signature check, and the verified Assertion's Issuer after it.
	EntityID string
	// AcceptResponseSignature accepts a response whose signed Response
	// covers an unsigned Assertion. When false, the Assertion itself must be
	// signed.
	AcceptResponseSignature bool
	// AllowSHA1 accepts SHA-1 signature and digest methods.
	AllowSHA1 bool
	// InclusiveC14N accepts inclusive C14N 1.0 (REC-xml-c14n-20010315, with
	// or without comments) as SignedInfo's CanonicalizationMethod and as the
	// Reference's canonicalization transform, besides exclusive c14n. XML
	// Signature requires implementations to support it; SAML only
	// recommends exclusive c14n. When false, only exclusive c14n is
	// accepted.
	InclusiveC14N bool
	// EnforceCertExpiry refuses a registered certificate outside its validity
	// window at Now. When false, expiry is not checked.
	EnforceCertExpiry bool
	// Now is the clock for EnforceCertExpiry (default time.Now).
	Now func() time.Time
	// OnVerify, when set, is called once per public-key signature
	// verification (for metrics and for tests that count them).
	OnVerify func()
}

// Verifier verifies SAML messages against one Config. It is safe for
// concurrent use.
type Verifier struct {
	cfg Config
}

// NewVerifier returns a Verifier for cfg. Building one is cheap: callers
// may build one per request.
func NewVerifier(cfg Config) *Verifier {
	return &Verifier{cfg: cfg}
}

// canonicalBufs recycles the buffers canonical forms are written into (a
// response's is a few kilobytes), so that verifying does not allocate one per
// signature. It holds no state between uses.
var canonicalBufs = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

func (v *Verifier) now() time.Time {
	if v.cfg.Now != nil {
		return v.cfg.Now()
	}
	return time.Now()
}

// Verified is what Verify returns.
type Verified struct {
	// Assertion is the saml:Assertion the verified signature covers, without
	// its Signature. Read identity only from it.
	Assertion *etree.Element
	// Encrypted reports that the Assertion arrived as an EncryptedAssertion.
	Encrypted bool
	// Status holds the Value of the Response's StatusCode and of each
	// StatusCode nested in it, outermost first (nil when the Response has no
	// Status). It is covered by a signature only when the Response is signed.
	Status []string
}

// StatusSuccess is the top-level StatusCode of a successful Response (SAML
// Core §3.2.2.2).
const StatusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success"

// statusCodes reads the StatusCode values of root's Status, outermost first.
func statusCodes(root *etree.Element) []string {
	var out []string
	for c := Child(Child(root, NSProtocol, "Status"), NSProtocol, "StatusCode"); c != nil; c = Child(c, NSProtocol, "StatusCode") {
		v, _ := Attr(c, "Value")
		out = append(out, strings.TrimSpace(v))
	}
	return out
}

// Verify checks a samlp:Response (parsed with Parse, which it then owns and
// may change) and returns the one Assertion a registered certificate's
// signature covers, decrypted first when it arrived encrypted.
//
// A signed Response (covering its one Assertion) or a signed Assertion is
// accepted (Config.AcceptResponseSignature governs the former); when both
// are signed, both must verify. An EncryptedAssertion under a signed
// Response is decrypted from the verified Response, after its signature,
// which covers the ciphertext, has been checked; under an unsigned Response,
// the decrypted Assertion must carry its own signature.
//
// Before any cryptography, the document must have the shape SAML gives it,
// so that no signature wrapping (XSW) can make the verified element and the
// one read differ: unique IDs; exactly one Assertion in the whole document,
// a direct child of the Response; no other samlp:Response; no ds:Signature
// except right after the Issuer of the Response or of that Assertion; and
// each Signature with exactly one Reference, to "#"+ID of its own parent,
// with allowed transforms and algorithms only.
//
// Errors wrap the package's sentinels (ErrSignature, ErrDecrypt, …) and
// carry data (*IssuerError, *CertError).
func (v *Verifier) Verify(doc *etree.Document) (*Verified, error) {
	root := doc.Root()
	if !Is(root, NSProtocol, "Response") {
		return nil, ErrNotResponse
	}
	if err := checkUniqueIDs(root); err != nil {
		return nil, err
	}
	encs := Children(root, NSAssertion, "EncryptedAssertion")
	respSig := ownSignature(root)
	if len(encs) > 0 && respSig != nil {
		return v.verifyEncryptedResponse(root, encs, respSig)
	}
	encrypted, err := v.decryptAssertions(root)
	if err != nil {
		return nil, err
	}
	if err := v.checkIssuer(unverifiedIssuer(root), false); err != nil {
		return nil, err
	}
	a, err := v.verifiedAssertion(root)
	if err != nil {
		return nil, err
	}
	if err := v.checkIssuer(Text(Child(a, NSAssertion, "Issuer")), true); err != nil {
		return nil, err
	}
	return &Verified{Assertion: a, Encrypted: encrypted, Status: statusCodes(root)}, nil
}

func (v *Verifier) checkIssuer(got string, signed bool) error {
	if v.cfg.EntityID != "" && got != v.cfg.EntityID {
		return &IssuerError{Got: got, Want: v.cfg.EntityID, Signed: signed}
	}
	return nil
}

// unverifiedIssuer is the Issuer of the Response (or, without one, of its
// first Assertion). It only selects which entity the response claims.
func unverifiedIssuer(root *etree.Element) string {
	if iss := Child(root, NSAssertion, "Issuer"); iss != nil {
		return Text(iss)
	}
	return Text(Child(Child(root, NSAssertion, "Assertion"), NSAssertion, "Issuer"))
}

// UnverifiedIssuer returns the Issuer a Response claims (the Response's, or
// its first Assertion's), unverified: use it only to choose whose
// certificates to verify with.
func UnverifiedIssuer(doc *etree.Document) string {
	if doc.Root() == nil {
		return ""
	}
	return unverifiedIssuer(doc.Root())
}

// verifiedAssertion verifies a plaintext response.
func (v *Verifier) verifiedAssertion(root *etree.Element) (*etree.Element, error) {
	assertions := Children(root, NSAssertion, "Assertion")
	if len(assertions) != 1 {
		return nil, fmt.Errorf("%w: found %d", ErrAssertionCount, len(assertions))
	}
	a := assertions[0]
	respSig, assertionSig := ownSignature(root), ownSignature(a)
	if err := checkStructure(root, a, respSig, assertionSig); err != nil {
		return nil, err
	}
	switch {
	case respSig != nil:
		if assertionSig == nil && !v.cfg.AcceptResponseSignature {
			return nil, fmt.Errorf("%w: only the Response is signed", ErrNoSignature)
		}
		if _, err := v.verifyElement(root); err != nil {
			return nil, fmt.Errorf("response signature: %w", err)
		}
		if assertionSig == nil {
			return a, nil
		}
		if _, err := v.verifyElement(a); err != nil {
			return nil, fmt.Errorf("assertion signature: %w", err)
		}
		return a, nil
	case assertionSig != nil:
		if _, err := v.verifyElement(a); err != nil {
			return nil, fmt.Errorf("assertion signature: %w", err)
		}
		return a, nil
	default:
		return nil, ErrNoSignature
	}
}

// verifyEncryptedResponse verifies the Response signature of a response that
// carries its assertion encrypted (one EncryptedAssertion child, no plaintext
// Assertion anywhere), then decrypts the assertion from the verified
// Response. The decrypted Assertion is covered by that signature; one that
// carries its own signature must verify too.
func (v *Verifier) verifyEncryptedResponse(root *etree.Element, encs []*etree.Element, respSig *etree.Element) (*Verified, error) {
	if len(v.cfg.DecryptionKeys) == 0 {
		return nil, ErrEncryptedAssertion
	}
	if len(encs) != 1 {
		return nil, fmt.Errorf("response signature over the encrypted assertion: %w: found %d EncryptedAssertion elements", ErrAssertionCount, len(encs))
	}
	if err := checkStructure(root, encs[0], respSig, nil); err != nil {
		return nil, fmt.Errorf("response signature over the encrypted assertion: %w", err)
	}
	if _, err := v.verifyElement(root); err != nil {
		return nil, fmt.Errorf("response signature over the encrypted assertion: %w", err)
	}
	if _, err := v.decryptAssertions(root); err != nil {
		return nil, err
	}
	as := Children(root, NSAssertion, "Assertion")
	if len(as) != 1 {
		return nil, fmt.Errorf("decrypted response: %w: found %d", ErrAssertionCount, len(as))
	}
	aSig := ownSignature(as[0])
	if err := checkStructure(root, as[0], aSig, nil); err != nil {
		return nil, err
	}
	if err := v.checkIssuer(unverifiedIssuer(root), false); err != nil {
		return nil, err
	}
	if aSig == nil {
		if !v.cfg.AcceptResponseSignature {
			return nil, fmt.Errorf("%w: only the Response is signed", ErrNoSignature)
		}
	} else if _, err := v.verifyElement(as[0]); err != nil {
		return nil, fmt.Errorf("assertion signature: %w", err)
	}
	if err := v.checkIssuer(Text(Child(as[0], NSAssertion, "Issuer")), true); err != nil {
		return nil, err
	}
	return &Verified{Assertion: as[0], Encrypted: true, Status: statusCodes(root)}, nil
}

// VerifyEnveloped verifies the enveloped signature of the document's root
// element (a signed AuthnRequest, LogoutRequest or metadata document): the
// same ID, structure, algorithm and certificate checks as Verify, with no
// ds:Signature anywhere but the root's own, right after its Issuer. It
// returns the root, which is then what the signature covers.
func (v *Verifier) VerifyEnveloped(doc *etree.Document) (*etree.Element, error) {
	root := doc.Root()
	if root == nil {
		return nil, fmt.Errorf("%w: no root element", ErrMalformedXML)
	}
	if err := checkUniqueIDs(root); err != nil {
		return nil, err
	}
	sig := ownSignature(root)
	if sig == nil {
		return nil, ErrNoSignature
	}
	var err error
	walk(root, func(el *etree.Element) bool {
		if el != sig && Is(el, NSDSig, "Signature") {
			err = fmt.Errorf("%w: unexpected Signature at %s", ErrSignaturePlacement, el.GetPath())
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	return v.verifyElement(root)
}

// ownSignature returns el's enveloped signature: the ds:Signature child in the
// place the SAML schema gives it, right after the Issuer (which an Assertion
// must have first; a Response may omit it, and then the Signature comes
// first). It returns nil when there is none.
func ownSignature(el *etree.Element) *etree.Element {
	var first, second *etree.Element
	for _, t := range el.Child {
		if c, ok := t.(*etree.Element); ok {
			if first == nil {
				first = c
				continue
			}
			second = c
			break
		}
	}
	switch {
	case Is(first, NSAssertion, "Issuer"):
		first = second
	case Is(el, NSAssertion, "Assertion"):
		return nil
	}
	if Is(first, NSDSig, "Signature") {
		return first
	}
	return nil
}

// checkStructure rejects a document that holds, anywhere, a samlp:Response
// other than the root, a saml:Assertion or EncryptedAssertion other than the
// given one, or a ds:Signature other than the two allowed ones (either may be
// nil). Copies of the signed element hidden in Extensions, Advice, Object or
// a wrapper, and genuine signatures moved next to forged content, are how XSW
// attacks fool validators that verify one element and read another.
func checkStructure(root, assertion, allowedSig1, allowedSig2 *etree.Element) error {
	var err error
	walk(root, func(el *etree.Element) bool {
		switch {
		case el != root && Is(el, NSProtocol, "Response"):
			err = fmt.Errorf("%w: nested Response at %s", ErrNotResponse, el.GetPath())
		case el != assertion && (Is(el, NSAssertion, "Assertion") || Is(el, NSAssertion, "EncryptedAssertion")):
			err = fmt.Errorf("%w: another %s at %s", ErrAssertionCount, el.Tag, el.GetPath())
		case el != allowedSig1 && el != allowedSig2 && Is(el, NSDSig, "Signature"):
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
