package sts

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/internal/xmlsec"
	"github.com/samlab-dev/samlab/sp/iam"
)

// Namespaces STS reads (SAML Core §1.2).
const (
	nsProtocol  = xmlsec.NSProtocol
	nsAssertion = xmlsec.NSAssertion
)

// Errors of signature verification (package xmlsec's). They become
// InvalidIdentityToken "Response signature invalid" at the API; the cause is
// kept for logs and for `samlab explain`.
var (
	ErrNotResponse         = xmlsec.ErrNotResponse
	ErrAssertionCount      = xmlsec.ErrAssertionCount
	ErrEncryptedAssertion  = xmlsec.ErrEncryptedAssertion
	ErrNoSignature         = xmlsec.ErrNoSignature
	ErrSignature           = xmlsec.ErrSignature
	ErrSHA1                = xmlsec.ErrSHA1
	ErrSignaturePlacement  = xmlsec.ErrSignaturePlacement
	ErrSignatureShape      = xmlsec.ErrSignatureShape
	ErrAlgorithm           = xmlsec.ErrAlgorithm
	ErrReference           = xmlsec.ErrReference
	ErrDuplicateID         = xmlsec.ErrDuplicateID
	ErrUnregisteredKeyInfo = xmlsec.ErrUnregisteredKeyInfo
	ErrDecrypt             = xmlsec.ErrDecrypt
)

// Errors of XML parsing (package xmlsec's). They become InvalidIdentityToken
// with the "Invalid SAML Response" message at the API.
var (
	ErrDTD          = xmlsec.ErrDTD
	ErrProcInst     = xmlsec.ErrProcInst
	ErrXMLLimit     = xmlsec.ErrXMLLimit
	ErrMalformedXML = xmlsec.ErrMalformedXML
)

// parseXML parses a decoded SAMLResponse with the hardened parser and its
// limits for protocol messages (see xmlsec.Parse). A document that does not
// even mention the SAML protocol namespace is not a response.
func parseXML(raw []byte) (*etree.Document, error) {
	doc, err := xmlsec.Parse(raw, xmlsec.ResponseLimits())
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(raw, []byte(nsProtocol)) {
		return nil, ErrNotResponse
	}
	return doc, nil
}

// decodeBufs recycles the buffers SAMLResponses are base64-decoded into: the
// parser copies what it keeps, so a buffer is free again once the response is
// parsed.
var decodeBufs = sync.Pool{New: func() any { return new(decodeBuf) }}

type decodeBuf struct{ src, dst []byte }

// decodeResponse implements row 3: SAMLAssertion must be standard base64 of
// a well-formed samlp:Response (surrounding whitespace and line breaks
// ignored, as CLI tools wrap it).
func decodeResponse(b64, requestID string) (*etree.Document, error) {
	buf := decodeBufs.Get().(*decodeBuf)
	defer decodeBufs.Put(buf)
	buf.src = append(buf.src[:0], strings.TrimSpace(b64)...)
	if n := base64.StdEncoding.DecodedLen(len(buf.src)); cap(buf.dst) < n {
		buf.dst = make([]byte, n)
	}
	n, err := base64.StdEncoding.Decode(buf.dst[:cap(buf.dst)], buf.src)
	if err != nil {
		return nil, invalidToken(fmt.Sprintf(msgInvalidBase64, requestID), err)
	}
	doc, err := parseXML(buf.dst[:n])
	if err == nil && !isResponse(doc.Root()) {
		err = ErrNotResponse
	}
	if err != nil {
		return nil, invalidToken(fmt.Sprintf(msgNotAResponse, requestID), err)
	}
	return doc, nil
}

// verifier returns the verifier of responses from provider p at now: its
// registered signing certificates and private keys, its entityID, and the
// Behavior's choices.
func (s *Service) verifier(p *iam.SAMLProvider, now time.Time) *xmlsec.Verifier {
	return newVerifier(p.Metadata.SigningCerts, providerKeys(p), p.Metadata.EntityID, now, s.behavior,
		func() { s.verifications.Add(1) })
}

// newVerifier returns a verifier with certificates, keys and expected
// entityID ("" checks no Issuer) for Behavior b at now.
func newVerifier(certs []*x509.Certificate, keys []*rsa.PrivateKey, entityID string, now time.Time, b Behavior, onVerify func()) *xmlsec.Verifier {
	return xmlsec.NewVerifier(xmlsec.Config{
		Certs:                   certs,
		DecryptionKeys:          keys,
		EntityID:                entityID,
		AcceptResponseSignature: b.AcceptResponseSignature,
		AllowSHA1:               b.AllowSHA1,
		InclusiveC14N:           b.InclusiveC14N,
		EnforceCertExpiry:       b.EnforceCertExpiry,
		Now:                     func() time.Time { return now },
		OnVerify:                onVerify,
	})
}

// providerKeys parses the provider's assertion-decryption keys; keys that do
// not parse (IAM checked them on upload) are skipped.
func providerKeys(p *iam.SAMLProvider) []*rsa.PrivateKey {
	var out []*rsa.PrivateKey
	for _, k := range p.PrivateKeys {
		if key, err := certs.ParseKeyPEM([]byte(k.PEM)); err == nil {
			out = append(out, key)
		}
	}
	return out
}

// verifyError maps a verifier error to AWS's error for it (rows 3-7).
func verifyError(err error, requestID string) error {
	var ie *xmlsec.IssuerError
	switch {
	case errors.As(err, &ie):
		return invalidToken(fmt.Sprintf(msgIssuerNotPresent, requestID), err)
	case errors.Is(err, ErrEncryptedAssertion):
		return invalidToken(msgEncryptedAssertion, err)
	case errors.Is(err, ErrDecrypt):
		return invalidToken(msgDecrypt, err)
	case errors.Is(err, ErrNotResponse):
		return invalidToken(fmt.Sprintf(msgNotAResponse, requestID), err)
	}
	return invalidToken(msgSignatureInvalid, err)
}

// Verifications returns how many public-key signature verifications the
// service has performed since it was created. Each costs about one raw RSA
// verification; a console sign-in or AssumeRoleWithSAML needs one per
// signature the response carries.
func (s *Service) Verifications() int64 { return s.verifications.Load() }
