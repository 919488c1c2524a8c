package idp

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
)

// Block ciphers for EncryptedAssertion (XML Encryption 1.1 §5.2). AWS
// accepts "AES-GCM or AES-CBC" (IAM API, AddPrivateKey). CBC comes from
// crewjam/saml's xmlenc; GCM is implemented here because xmlenc v0.5.1's GCM
// encrypter seals a zero buffer with an all-zero nonce.
const (
	CipherAES128GCM = "aes128-gcm"
	CipherAES256GCM = "aes256-gcm"
	CipherAES128CBC = "aes128-cbc"
	CipherAES256CBC = "aes256-cbc"
)

var blockCiphers = map[string]xmlenc.BlockCipher{
	CipherAES128GCM: gcm{keySize: 16, algorithm: "http://www.w3.org/2009/xmlenc11#aes128-gcm"},
	CipherAES256GCM: gcm{keySize: 32, algorithm: "http://www.w3.org/2009/xmlenc11#aes256-gcm"},
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

// gcm is AES-GCM as XML Encryption 1.1 §5.2.4 defines it: CipherValue is a
// 96-bit IV, then the ciphertext, then the 128-bit tag; no padding.
type gcm struct {
	keySize   int
	algorithm string
}

func (g gcm) KeySize() int      { return g.keySize }
func (g gcm) Algorithm() string { return g.algorithm }

func (g gcm) Encrypt(key any, plaintext []byte, _ []byte) (*etree.Element, error) {
	k, ok := key.([]byte)
	if !ok || len(k) != g.keySize {
		return nil, fmt.Errorf("aes-gcm: want a %d-byte key", g.keySize)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	iv := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := io.ReadFull(rand.Reader, iv); err != nil {
		return nil, err
	}
	id := make([]byte, 16)
	if _, err := io.ReadFull(rand.Reader, id); err != nil {
		return nil, err
	}
	out := aead.Seal(iv, iv, plaintext, nil)
	el := etree.NewElement("xenc:EncryptedData")
	el.CreateAttr("xmlns:xenc", "http://www.w3.org/2001/04/xmlenc#")
	el.CreateAttr("Id", fmt.Sprintf("_%x", id))
	el.CreateElement("xenc:EncryptionMethod").CreateAttr("Algorithm", g.algorithm)
	el.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue").SetText(base64.StdEncoding.EncodeToString(out))
	return el, nil
}

// Decrypt is not used by the IdP; it delegates to xmlenc (AES-128 only).
func (g gcm) Decrypt(key any, el *etree.Element) ([]byte, error) {
	if g.keySize != 16 {
		return nil, errors.New("aes-gcm: decryption is not implemented")
	}
	return xmlenc.AES128GCM.Decrypt(key, el)
}
