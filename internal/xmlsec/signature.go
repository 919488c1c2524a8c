package xmlsec

import (
	"bytes"
	"crypto/sha1" //nolint:gosec // SHA-1 signatures are allowed only when Config.AllowSHA1 says so.
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Digest algorithm identifiers (XML Signature §6.2, RFC 6931 §2.1).
const (
	digestSHA1   = "http://www.w3.org/2000/09/xmldsig#sha1"
	digestSHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
	digestSHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	digestSHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
)

// signatureAlgorithms maps SignatureMethod URIs to x509's algorithms
// (as goxmldsig does).
var signatureAlgorithms = map[string]x509.SignatureAlgorithm{
	dsig.RSASHA1SignatureMethod:     x509.SHA1WithRSA,
	dsig.RSASHA256SignatureMethod:   x509.SHA256WithRSA,
	dsig.RSASHA384SignatureMethod:   x509.SHA384WithRSA,
	dsig.RSASHA512SignatureMethod:   x509.SHA512WithRSA,
	dsig.ECDSASHA1SignatureMethod:   x509.ECDSAWithSHA1,
	dsig.ECDSASHA256SignatureMethod: x509.ECDSAWithSHA256,
	dsig.ECDSASHA384SignatureMethod: x509.ECDSAWithSHA384,
	dsig.ECDSASHA512SignatureMethod: x509.ECDSAWithSHA512,
}

func newDigest(alg string) hash.Hash {
	switch alg {
	case digestSHA1:
		return sha1.New() //nolint:gosec // allowed only under AllowSHA1, checked before
	case digestSHA256:
		return sha256.New()
	case digestSHA384:
		return sha512.New384()
	case digestSHA512:
		return sha512.New()
	}
	return nil
}

// signedInfo is what checkSignature reads from a Signature whose shape it
// accepted.
type signedInfo struct {
	el            *etree.Element // ds:SignedInfo
	c14nComments  bool
	c14nInclusive bool // SignedInfo's CanonicalizationMethod is inclusive C14N 1.0
	method        string
	prefixList    string // of the Reference's exclusive c14n transform
	refInclusive  bool   // the Reference's c14n transform is inclusive C14N 1.0
	digestAlg     string
	digest        []byte
	value         []byte // SignatureValue
}

// checkSignature checks the Signature's structure and algorithms against what
// SAML signatures use (SAML Core §5.4): SignedInfo, SignatureValue and an
// optional KeyInfo, nothing else (no Object to hide content in); exactly one
// Reference whose URI is "#"+id; the enveloped-signature transform plus
// exclusive canonicalization (with or without comments), nothing else, or,
// under Config.InclusiveC14N, inclusive C14N 1.0 (with or without
// comments) in SignedInfo's CanonicalizationMethod, in the Reference's
// transform, or both. C14N 1.1 is refused.
//
// Unverified against AWS, and chosen here for safety: a Signature placed
// anywhere but after the Issuer (schema-invalid) is refused.
func (v *Verifier) checkSignature(sig *etree.Element, id string) (*signedInfo, error) {
	kids := sig.ChildElements()
	if len(kids) < 2 || len(kids) > 3 || !Is(kids[0], NSDSig, "SignedInfo") || !Is(kids[1], NSDSig, "SignatureValue") ||
		(len(kids) == 3 && !Is(kids[2], NSDSig, "KeyInfo")) {
		return nil, fmt.Errorf("%w: Signature must hold SignedInfo, SignatureValue and at most a KeyInfo", ErrSignatureShape)
	}
	si := kids[0].ChildElements()
	if len(si) != 3 || !Is(si[0], NSDSig, "CanonicalizationMethod") || !Is(si[1], NSDSig, "SignatureMethod") ||
		!Is(si[2], NSDSig, "Reference") {
		return nil, fmt.Errorf("%w: SignedInfo must hold CanonicalizationMethod, SignatureMethod and exactly one Reference", ErrSignatureShape)
	}
	out := &signedInfo{el: kids[0]}
	c14n, _ := Attr(si[0], "Algorithm")
	out.c14nInclusive = v.cfg.InclusiveC14N && isIncC14N(c14n)
	if !(isExcC14N(c14n) || out.c14nInclusive) || len(si[0].ChildElements()) != 0 {
		return nil, fmt.Errorf("%w: CanonicalizationMethod %q", ErrAlgorithm, c14n)
	}
	out.c14nComments = c14n == string(dsig.CanonicalXML10ExclusiveWithCommentsAlgorithmId) ||
		c14n == string(dsig.CanonicalXML10WithCommentsAlgorithmId)
	out.method, _ = Attr(si[1], "Algorithm")
	if err := v.checkSignatureMethod(out.method); err != nil {
		return nil, err
	}
	ref := si[2]
	if uri, ok := Attr(ref, "URI"); !ok || uri != "#"+id {
		return nil, fmt.Errorf("%w: Reference URI %q, want %q", ErrReference, uri, "#"+id)
	}
	rk := ref.ChildElements()
	if len(rk) != 3 || !Is(rk[0], NSDSig, "Transforms") || !Is(rk[1], NSDSig, "DigestMethod") ||
		!Is(rk[2], NSDSig, "DigestValue") {
		return nil, fmt.Errorf("%w: Reference must hold Transforms, DigestMethod and DigestValue", ErrSignatureShape)
	}
	if err := checkTransforms(rk[0], out, v.cfg.InclusiveC14N); err != nil {
		return nil, err
	}
	out.digestAlg, _ = Attr(rk[1], "Algorithm")
	if err := v.checkDigestMethod(out.digestAlg); err != nil {
		return nil, err
	}
	var err error
	if out.digest, err = decodeBase64(RawText(rk[2])); err != nil {
		return nil, fmt.Errorf("%w: DigestValue is not base64", ErrSignatureShape)
	}
	if out.value, err = decodeBase64(RawText(kids[1])); err != nil {
		return nil, fmt.Errorf("%w: SignatureValue is not base64", ErrSignatureShape)
	}
	return out, nil
}

func decodeBase64(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
}

func isExcC14N(alg string) bool {
	switch dsig.AlgorithmID(alg) {
	case dsig.CanonicalXML10ExclusiveAlgorithmId, dsig.CanonicalXML10ExclusiveWithCommentsAlgorithmId:
		return true
	}
	return false
}

// isIncC14N reports whether alg is inclusive C14N 1.0, with or without
// comments (XML Signature §6.5.1, where it is REQUIRED to implement).
func isIncC14N(alg string) bool {
	switch dsig.AlgorithmID(alg) {
	case dsig.CanonicalXML10RecAlgorithmId, dsig.CanonicalXML10WithCommentsAlgorithmId:
		return true
	}
	return false
}

// checkTransforms allows exactly the enveloped-signature transform and one
// exclusive canonicalization (whose only allowed child is
// ec:InclusiveNamespaces), in either order, or, when inclusive is set, one
// inclusive C14N 1.0 transform (no children) in its place. The WithComments
// variants digest no comments either: a same-document Reference ("#id")
// selects its element without comments (XML Signature §4.4.3.3), so only
// the algorithm's name differs. Unsigned comments are harmless: readers
// concatenate text and skip comments.
func checkTransforms(transforms *etree.Element, out *signedInfo, inclusive bool) error {
	enveloped, c14n := 0, 0
	for _, t := range transforms.ChildElements() {
		alg, _ := Attr(t, "Algorithm")
		switch {
		case !Is(t, NSDSig, "Transform"):
			return fmt.Errorf("%w: unexpected %s in Transforms", ErrSignatureShape, t.Tag)
		case alg == string(dsig.EnvelopedSignatureAltorithmId):
			enveloped++
			if len(t.ChildElements()) != 0 {
				return fmt.Errorf("%w: enveloped-signature transform has children", ErrSignatureShape)
			}
		case isExcC14N(alg):
			c14n++
			for _, c := range t.ChildElements() {
				if !Is(c, nsExcC14N, "InclusiveNamespaces") {
					return fmt.Errorf("%w: unexpected %s in exclusive c14n transform", ErrSignatureShape, c.Tag)
				}
				out.prefixList, _ = Attr(c, "PrefixList")
			}
		case inclusive && isIncC14N(alg):
			c14n++
			out.refInclusive = true
			if len(t.ChildElements()) != 0 {
				return fmt.Errorf("%w: inclusive c14n transform has children", ErrSignatureShape)
			}
		default:
			return fmt.Errorf("%w: transform %q", ErrAlgorithm, alg)
		}
	}
	if enveloped != 1 || c14n != 1 {
		return fmt.Errorf("%w: want one enveloped-signature and one c14n transform, got %d and %d",
			ErrAlgorithm, enveloped, c14n)
	}
	return nil
}

func (v *Verifier) checkSignatureMethod(alg string) error {
	switch alg {
	case dsig.RSASHA256SignatureMethod, dsig.RSASHA384SignatureMethod, dsig.RSASHA512SignatureMethod,
		dsig.ECDSASHA256SignatureMethod, dsig.ECDSASHA384SignatureMethod, dsig.ECDSASHA512SignatureMethod:
		return nil
	case dsig.RSASHA1SignatureMethod, dsig.ECDSASHA1SignatureMethod:
		if !v.cfg.AllowSHA1 {
			return ErrSHA1
		}
		return nil
	}
	return fmt.Errorf("%w: SignatureMethod %q", ErrAlgorithm, alg)
}

func (v *Verifier) checkDigestMethod(alg string) error {
	switch alg {
	case digestSHA256, digestSHA384, digestSHA512:
		return nil
	case digestSHA1:
		if !v.cfg.AllowSHA1 {
			return ErrSHA1
		}
		return nil
	}
	return fmt.Errorf("%w: DigestMethod %q", ErrAlgorithm, alg)
}

// candidateCerts returns the registered certificates to try for sig: the one
// its KeyInfo names, or all of them when KeyInfo carries no certificate.
// KeyInfo is not covered by the signature: it only selects.
func (v *Verifier) candidateCerts(sig *etree.Element) ([]*x509.Certificate, error) {
	ki := Child(sig, NSDSig, "KeyInfo")
	if ki == nil {
		return v.cfg.Certs, nil
	}
	var data *etree.Element
	for _, xd := range Children(ki, NSDSig, "X509Data") {
		if data = Child(xd, NSDSig, "X509Certificate"); data != nil {
			break
		}
	}
	if data == nil {
		return v.cfg.Certs, nil
	}
	der, err := decodeBase64(data.Text())
	if err != nil {
		return nil, fmt.Errorf("%w: X509Certificate is not base64: %w", ErrUnregisteredKeyInfo, err)
	}
	for _, c := range v.cfg.Certs {
		if bytes.Equal(c.Raw, der) {
			return []*x509.Certificate{c}, nil
		}
	}
	return nil, ErrUnregisteredKeyInfo
}

// verifyElement verifies el's enveloped signature and returns el, which is
// then exactly what the signature covers: the Signature is removed from it,
// and the digest was computed over the canonical form of the remaining tree.
//
// The checks before any cryptography close the gaps of a plain XML
// Signature validator (goxmldsig's Validate, for one, looks for the
// signature anywhere under el, accepts Reference URI="" and compares only
// URI[1:] with the ID, and takes the first of several References): the
// signature must be el's own, with one Reference to
// el's unique ID and allowed algorithms only. Without a KeyInfo certificate,
// each registered certificate is tried in turn.
func (v *Verifier) verifyElement(el *etree.Element) (*etree.Element, error) {
	sig := ownSignature(el)
	if sig == nil {
		return nil, ErrNoSignature
	}
	id, err := signedID(el)
	if err != nil {
		return nil, err
	}
	info, err := v.checkSignature(sig, id)
	if err != nil {
		return nil, err
	}
	candidates, err := v.candidateCerts(sig)
	if err != nil {
		return nil, err
	}
	algo := signatureAlgorithms[info.method]

	// The digest: the element without its Signature (enveloped-signature
	// transform), canonicalized as the Reference's transform says.
	buf := canonicalBufs.Get().(*[]byte)
	defer canonicalBufs.Put(buf)
	if info.refInclusive {
		*buf = canonicalizeInclusive(*buf, el, false, sig)
	} else {
		*buf = canonicalize(*buf, el, info.prefixList, false, sig)
	}
	h := newDigest(info.digestAlg)
	h.Write(*buf)
	digestOK := bytes.Equal(h.Sum(nil), info.digest)
	// SignedInfo is canonicalized in its own context, with an empty prefix
	// list, as goxmldsig does; inclusively, with every namespace in scope
	// where it sits.
	sbuf := canonicalBufs.Get().(*[]byte)
	defer canonicalBufs.Put(sbuf)
	if info.c14nInclusive {
		*sbuf = canonicalizeInclusive(*sbuf, info.el, info.c14nComments, nil)
	} else {
		*sbuf = canonicalize(*sbuf, info.el, "", info.c14nComments, nil)
	}
	signed := *sbuf

	var errs []error
	for _, cert := range candidates {
		if v.cfg.EnforceCertExpiry {
			if now := v.now(); now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
				errs = append(errs, &CertError{Subject: cert.Subject.CommonName,
					Err: fmt.Errorf("not valid at %s (valid %s to %s)", now.Format(time.RFC3339),
						cert.NotBefore.Format(time.RFC3339), cert.NotAfter.Format(time.RFC3339))})
				continue
			}
		}
		if v.cfg.OnVerify != nil {
			v.cfg.OnVerify()
		}
		if err := cert.CheckSignature(algo, signed, info.value); err != nil {
			errs = append(errs, &CertError{Subject: cert.Subject.CommonName, Err: err})
			continue
		}
		if !digestOK {
			// The SignedInfo is genuine, the content is not what it names.
			return nil, fmt.Errorf("%w: %w", ErrSignature, &CertError{Subject: cert.Subject.CommonName,
				Err: errors.New("signature verifies but the digest of the signed element does not match")})
		}
		el.RemoveChild(sig)
		return el, nil
	}
	return nil, fmt.Errorf("%w: %w", ErrSignature, errors.Join(errs...))
}

// signedID returns el's ID attribute, which must be present, non-empty,
// unprefixed and unique on the element (a resolver that matches any prefix
// could pick another).
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
