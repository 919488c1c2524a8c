package certs

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// ErrNoPEM is returned when input holds no PEM block of the wanted kind.
var ErrNoPEM = errors.New("no PEM block found")

// EncodeCertPEM returns the certificate as a PEM "CERTIFICATE" block.
func EncodeCertPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// EncodeKeyPEM returns the key as a PKCS#8 "PRIVATE KEY" block.
func EncodeKeyPEM(k *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseCertsPEM returns every certificate in data, which may hold several PEM
// blocks. Blocks of other types are skipped. It returns ErrNoPEM when data holds
// no certificate.
func ParseCertsPEM(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for n := 1; ; n++ {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("pem block %d: %w", n, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("certificates: %w", ErrNoPEM)
	}
	return out, nil
}

// ParseKeyPEM reads the first RSA private key in data, in PKCS#1 ("RSA PRIVATE
// KEY") or PKCS#8 ("PRIVATE KEY") form.
func ParseKeyPEM(data []byte) (*rsa.PrivateKey, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("private key: %w", ErrNoPEM)
		}
		switch b.Type {
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse pkcs#1 key: %w", err)
			}
			return k, nil
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse pkcs#8 key: %w", err)
			}
			rk, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("private key is %T, want RSA", k)
			}
			return rk, nil
		}
	}
}

// ParseCertBase64 parses a certificate from base64 DER, the form it takes inside
// ds:X509Certificate; white space is ignored.
func ParseCertBase64(s string) (*x509.Certificate, error) {
	s = strings.Join(strings.Fields(s), "")
	der, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("certificate base64: %w", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certificate der: %w", err)
	}
	return c, nil
}

// Base64 returns the certificate's DER as base64, the form used inside
// ds:X509Certificate.
func Base64(c *x509.Certificate) string {
	return base64.StdEncoding.EncodeToString(c.Raw)
}
