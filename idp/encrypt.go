package idp

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"sort"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
)

// Block ciphers for EncryptedAssertion (XML Encryption 1.1 §5.2), the ones
// crewjam/saml's xmlenc implements. AWS accepts "AES-GCM or AES-CBC" (IAM
// API, AddPrivateKey).
const (
	CipherAES128GCM = "aes128-gcm"
	CipherAES128CBC = "aes128-cbc"
	CipherAES256CBC = "aes256-cbc"
)

var blockCiphers = map[string]xmlenc.BlockCipher{
	CipherAES128GCM: xmlenc.AES128GCM,
	CipherAES128CBC: xmlenc.AES128CBC,
	CipherAES256CBC: xmlenc.AES256CBC,
}

// Ciphers lists the supported block cipher names.
func Ciphers() []string {
	out := make([]string, 0, len(blockCiphers))
	for k := range blockCiphers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// EncryptionOptions choose how an Assertion is encrypted. The content key is
// transported with RSA-OAEP (MGF1 with SHA-1, digest SHA-1:
// http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p), the key transport every
// SAML SP implements.
type EncryptionOptions struct {
	// Cert is the SP's encryption certificate (RSA). Required.
	Cert *x509.Certificate
	// Cipher is one of the Cipher* names (default CipherAES128GCM).
	Cipher string
}

// encryptAssertion returns a saml:EncryptedAssertion holding assertion
// encrypted for o.Cert. The content-encryption key comes from crypto/rand
// (through xmlenc's reader, which this package never replaces).
func encryptAssertion(assertion *etree.Element, o EncryptionOptions) (*etree.Element, error) {
	if o.Cert == nil {
		return nil, errors.New("no encryption certificate")
	}
	if _, ok := o.Cert.PublicKey.(*rsa.PublicKey); !ok {
		return nil, fmt.Errorf("encryption certificate has a %T key, want RSA", o.Cert.PublicKey)
	}
	name := o.Cipher
	if name == "" {
		name = CipherAES128GCM
	}
	bc, ok := blockCiphers[name]
	if !ok {
		return nil, fmt.Errorf("unsupported cipher %q (supported: %v)", name, Ciphers())
	}
	doc := etree.NewDocument()
	doc.SetRoot(assertion.Copy())
	plaintext, err := doc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	enc := xmlenc.OAEP()
	enc.BlockCipher = bc
	enc.DigestMethod = &xmlenc.SHA1
	data, err := enc.Encrypt(o.Cert, plaintext, nil)
	if err != nil {
		return nil, err
	}
	data.CreateAttr("Type", "http://www.w3.org/2001/04/xmlenc#Element")
	out := etree.NewElement("saml:EncryptedAssertion")
	out.CreateAttr("xmlns:saml", nsAssertion)
	out.AddChild(data)
	return out, nil
}
