package idp

import (
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/samlab-dev/samlab/certs"
)

// Signature and digest algorithm identifiers (XML Signature §6, RFC 6931).
const (
	SignatureRSASHA256 = dsig.RSASHA256SignatureMethod
	SignatureRSASHA1   = dsig.RSASHA1SignatureMethod
	DigestSHA256       = "http://www.w3.org/2001/04/xmlenc#sha256"
	DigestSHA1         = "http://www.w3.org/2000/09/xmldsig#sha1"
)

var (
	signatureHashes = map[string]crypto.Hash{SignatureRSASHA256: crypto.SHA256, SignatureRSASHA1: crypto.SHA1}
	digestHashes    = map[string]crypto.Hash{DigestSHA256: crypto.SHA256, DigestSHA1: crypto.SHA1}
)

// SigningOptions choose what is signed and how. Signatures are enveloped,
// use exclusive canonicalization (without comments) and carry the signing
// certificate in KeyInfo.
type SigningOptions struct {
	// SignAssertion signs the Assertion (default true unless SignResponse is
	// set explicitly and SignAssertion is not).
	SignAssertion *bool `yaml:"sign_assertion"`
	// SignResponse signs the Response element (default false).
	SignResponse *bool `yaml:"sign_response"`
	// SignatureMethod is SignatureRSASHA256 (default) or SignatureRSASHA1.
	SignatureMethod string `yaml:"signature_method"`
	// DigestMethod is DigestSHA256 (default) or DigestSHA1, chosen
	// independently of SignatureMethod.
	DigestMethod string `yaml:"digest_method"`
}

// Sign returns SigningOptions that sign the Assertion, the Response or both,
// with the default algorithms.
func Sign(assertion, response bool) SigningOptions {
	return SigningOptions{SignAssertion: &assertion, SignResponse: &response}
}

func (o SigningOptions) withDefaults() SigningOptions {
	t, f := true, false
	if o.SignAssertion == nil && o.SignResponse == nil {
		o.SignAssertion, o.SignResponse = &t, &f
	}
	if o.SignAssertion == nil {
		o.SignAssertion = &f
	}
	if o.SignResponse == nil {
		o.SignResponse = &f
	}
	if o.SignatureMethod == "" {
		o.SignatureMethod = SignatureRSASHA256
	}
	if o.DigestMethod == "" {
		o.DigestMethod = DigestSHA256
	}
	return o
}

// Validate reports unknown algorithms.
func (o SigningOptions) Validate() error {
	var errs []error
	if _, ok := signatureHashes[o.SignatureMethod]; o.SignatureMethod != "" && !ok {
		errs = append(errs, fmt.Errorf("idp: unsupported signature method %q", o.SignatureMethod))
	}
	if _, ok := digestHashes[o.DigestMethod]; o.DigestMethod != "" && !ok {
		errs = append(errs, fmt.Errorf("idp: unsupported digest method %q", o.DigestMethod))
	}
	return errors.Join(errs...)
}

// placeholderSigner lets goxmldsig build the Signature element (digest of
// the referenced element, SignedInfo, KeyInfo) without a private-key
// operation; signElement then signs SignedInfo itself.
type placeholderSigner struct{ pub crypto.PublicKey }

func (p placeholderSigner) Public() crypto.PublicKey { return p.pub }
func (placeholderSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, nil
}

// signElement adds an enveloped XML signature to el, placed right after its
// Issuer child as the SAML schema requires (SAML Core §2.3.3, §3.2.2).
//
// goxmldsig uses one hash for both the Reference digest and the signature,
// so the Signature element is built by goxmldsig with the digest hash, then
// SignatureMethod is set to the wanted algorithm and SignedInfo is
// canonicalized (exclusive c14n, in its final namespace context) and signed
// here with RSA PKCS#1 v1.5. This allows e.g. RSA-SHA256 with a SHA-1 digest,
// which some IdPs emit.
func signElement(el *etree.Element, kp *certs.KeyPair, o SigningOptions) error {
	sigHash, ok := signatureHashes[o.SignatureMethod]
	if !ok {
		return fmt.Errorf("unsupported signature method %q", o.SignatureMethod)
	}
	digestHash, ok := digestHashes[o.DigestMethod]
	if !ok {
		return fmt.Errorf("unsupported digest method %q", o.DigestMethod)
	}
	ctx, err := dsig.NewSigningContext(placeholderSigner{pub: &kp.Key.PublicKey}, [][]byte{kp.Cert.Raw})
	if err != nil {
		return err
	}
	c14n := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	ctx.Canonicalizer = c14n
	ctx.Hash = digestHash
	sig, err := ctx.ConstructSignature(el, true)
	if err != nil {
		return err
	}
	signedInfo := sig.SelectElement(dsig.SignedInfoTag)
	method := signedInfo.SelectElement(dsig.SignatureMethodTag)
	if signedInfo == nil || method == nil {
		return errors.New("signature without SignedInfo/SignatureMethod")
	}
	method.CreateAttr(dsig.AlgorithmAttr, o.SignatureMethod)

	// Canonicalize SignedInfo in the namespace context it will have once
	// the signature is inside el, as goxmldsig does.
	parentCtx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return err
	}
	elCtx, err := parentCtx.SubContext(el)
	if err != nil {
		return err
	}
	sigCtx, err := elCtx.SubContext(sig)
	if err != nil {
		return err
	}
	detached, err := etreeutils.NSDetatch(sigCtx, signedInfo)
	if err != nil {
		return err
	}
	canonical, err := c14n.Canonicalize(detached)
	if err != nil {
		return err
	}
	h := sigHash.New()
	h.Write(canonical)
	// PKCS#1 v1.5 is deterministic: no randomness is read.
	raw, err := rsa.SignPKCS1v15(nil, kp.Key, sigHash, h.Sum(nil))
	if err != nil {
		return err
	}
	sig.SelectElement(dsig.SignatureValueTag).SetText(base64.StdEncoding.EncodeToString(raw))

	pos := 0
	for _, c := range el.ChildElements() {
		if c.Tag == "Issuer" {
			pos = c.Index() + 1
			break
		}
	}
	el.InsertChildAt(pos, sig)
	return nil
}
