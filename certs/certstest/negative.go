package certstest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"
)

// NegativeSerial is the serial number NegativeSerialCertDER writes: 16 bytes
// whose first has its high bit set, read as a DER INTEGER (two's
// complement), so negative.
var NegativeSerial = []byte{0x9a, 0x4f, 0x13, 0x6e, 0x2b, 0xd1, 0x07, 0xc8, 0x55, 0xe0, 0x31, 0x7c, 0xaa, 0x02, 0x6d, 0xf4}

// NegativeSerialCertDER returns the DER of a self-signed SHA256-RSA
// certificate for key, with subject and issuer CN=cn, valid from notBefore
// for a year, whose serial number is negative. It is shaped like the
// token-signing certificates .NET-based IdPs create: 16 random serial bytes
// written as they are, so about half of them come out negative. Go's
// crypto/x509 parses such a certificate only with GODEBUG
// x509negativeserial=1 and refuses to create one, so the TBSCertificate of an
// ordinary certificate is re-encoded with the serial replaced and signed
// again.
func NegativeSerialCertDER(key *rsa.PrivateKey, cn string, notBefore time.Time) ([]byte, error) {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: notBefore, NotAfter: notBefore.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature,
		SignatureAlgorithm: x509.SHA256WithRSA}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create certificate: %w", err)
	}
	type certificate struct {
		TBS    asn1.RawValue
		SigAlg asn1.RawValue
		Sig    asn1.BitString
	}
	var c certificate
	if _, err := asn1.Unmarshal(der, &c); err != nil {
		return nil, fmt.Errorf("split certificate: %w", err)
	}
	var fields []asn1.RawValue
	for rest := c.TBS.Bytes; len(rest) > 0; {
		var f asn1.RawValue
		if rest, err = asn1.Unmarshal(rest, &f); err != nil {
			return nil, fmt.Errorf("split TBSCertificate: %w", err)
		}
		fields = append(fields, f)
	}
	// fields[0] is the [0] EXPLICIT version, fields[1] the serial.
	fields[1] = asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagInteger, Bytes: NegativeSerial}
	var body []byte
	for _, f := range fields {
		b, err := asn1.Marshal(f)
		if err != nil {
			return nil, err
		}
		body = append(body, b...)
	}
	tbs, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(tbs)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(certificate{asn1.RawValue{FullBytes: tbs}, c.SigAlg, asn1.BitString{Bytes: sig, BitLength: len(sig) * 8}})
}
