package xmlsec

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1" // registers SHA-1 for RSA-OAEP key transport
	_ "crypto/sha256"
	_ "crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// XML Encryption algorithm identifiers (XML Encryption 1.1 §5).
const (
	encAES128CBC = NSXMLEnc + "aes128-cbc"
	encAES192CBC = NSXMLEnc + "aes192-cbc"
	encAES256CBC = NSXMLEnc + "aes256-cbc"
	encAES128GCM = "http://www.w3.org/2009/xmlenc11#aes128-gcm"
	encAES192GCM = "http://www.w3.org/2009/xmlenc11#aes192-gcm"
	encAES256GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
	encRSAOAEP   = NSXMLEnc + "rsa-oaep-mgf1p"
	encRSAOAEP11 = "http://www.w3.org/2009/xmlenc11#rsa-oaep"
	encRSA15     = NSXMLEnc + "rsa-1_5"
)

// decryptAssertions replaces each saml:EncryptedAssertion child of the
// Response root with the Assertion it holds, decrypted with the first of keys
// that works, and reports whether there was one. A Response signature covers
// the ciphertext, so callers verify it before the swap (see
// verifyEncryptedResponse); otherwise the decrypted Assertion is verified
// like a plaintext one. Key transport: RSA-OAEP
// (MGF1-SHA1, SHA-1 or the DigestMethod given) and RSA PKCS#1 v1.5; content:
// AES-CBC and AES-GCM (XML Encryption 1.1 §5.2).
func (v *Verifier) decryptAssertions(root *etree.Element) (bool, error) {
	return decryptAssertions(root, v.cfg.DecryptionKeys)
}

// DecryptAssertions replaces each saml:EncryptedAssertion child of doc's
// root with the Assertion it holds, decrypted with the first of keys that
// works, and reports whether there was one. It verifies nothing: it is for
// reading the claims of a captured response (explain), never for accepting
// one.
func DecryptAssertions(doc *etree.Document, keys []*rsa.PrivateKey) (bool, error) {
	if doc.Root() == nil {
		return false, ErrNotResponse
	}
	return decryptAssertions(doc.Root(), keys)
}

func decryptAssertions(root *etree.Element, keys []*rsa.PrivateKey) (bool, error) {
	encs := Children(root, NSAssertion, "EncryptedAssertion")
	if len(encs) == 0 {
		return false, nil
	}
	if len(keys) == 0 {
		return true, ErrEncryptedAssertion
	}
	for _, enc := range encs {
		plain, err := decryptElement(enc, keys)
		if err != nil {
			return true, fmt.Errorf("%w: %w", ErrDecrypt, err)
		}
		// The plaintext goes through the same hardened parser as the
		// response, inside a bare samlp:Response so the parser accepts it.
		plain = bytes.TrimSpace(bytes.TrimPrefix(plain, []byte("\xef\xbb\xbf")))
		if bytes.HasPrefix(plain, []byte("<?xml")) {
			if i := bytes.Index(plain, []byte("?>")); i >= 0 {
				plain = plain[i+2:]
			}
		}
		wrapped := append(append([]byte(`<samlp:Response xmlns:samlp="`+NSProtocol+`">`), plain...), "</samlp:Response>"...)
		adoc, err := Parse(wrapped, ResponseLimits())
		if err != nil {
			return true, fmt.Errorf("%w: decrypted content: %w", ErrDecrypt, err)
		}
		kids := adoc.Root().ChildElements()
		if len(kids) != 1 || !Is(kids[0], NSAssertion, "Assertion") {
			return true, fmt.Errorf("%w: decrypted content is not one saml:Assertion", ErrDecrypt)
		}
		a := kids[0]
		root.InsertChildAt(enc.Index(), a)
		root.RemoveChild(enc)
	}
	return true, nil
}

func decryptElement(enc *etree.Element, keys []*rsa.PrivateKey) ([]byte, error) {
	data := Child(enc, NSXMLEnc, "EncryptedData")
	if data == nil {
		return nil, errors.New("no xenc:EncryptedData")
	}
	var ek *etree.Element
	if ki := Child(data, NSDSig, "KeyInfo"); ki != nil {
		ek = Child(ki, NSXMLEnc, "EncryptedKey")
	}
	if ek == nil {
		ek = Child(enc, NSXMLEnc, "EncryptedKey")
	}
	if ek == nil {
		return nil, errors.New("no xenc:EncryptedKey")
	}
	wrapped, err := cipherValue(ek)
	if err != nil {
		return nil, fmt.Errorf("EncryptedKey: %w", err)
	}
	method := Child(ek, NSXMLEnc, "EncryptionMethod")
	alg := ""
	if method != nil {
		alg = method.SelectAttrValue("Algorithm", "")
	}
	// Each private key gives a candidate content key; the first that
	// decrypts the content wins (with rsa-1_5 a wrong key yields a random
	// candidate rather than an error, see below).
	var ceks [][]byte
	var errs []error
	for _, k := range keys {
		var cek []byte
		switch alg {
		case encRSAOAEP, encRSAOAEP11:
			h := crypto.SHA1
			if dm := Child(method, NSDSig, "DigestMethod"); dm != nil {
				switch dm.SelectAttrValue("Algorithm", "") {
				case "http://www.w3.org/2001/04/xmlenc#sha256":
					h = crypto.SHA256
				case "http://www.w3.org/2001/04/xmlenc#sha512":
					h = crypto.SHA512
				}
			}
			// MGF1 is always SHA-1 here (XML Encryption §5.4.2; the 1.1
			// default); the digest may differ.
			cek, err = k.Decrypt(nil, wrapped, &rsa.OAEPOptions{Hash: h, MGFHash: crypto.SHA1})
		case encRSA15:
			// RSA PKCS #1 v1.5 key transport is still what some IdPs send.
			// DecryptPKCS1v15SessionKey with a random key of the content
			// cipher's size answers a bad padding with that random key
			// instead of an error, so the outcome (a failed content
			// decryption either way) is no padding oracle (Bleichenbacher).
			size := contentKeySize(data)
			if size == 0 {
				return nil, errors.New("rsa-1_5 key transport needs a known content encryption algorithm")
			}
			cek = make([]byte, size)
			if _, err := rand.Read(cek); err != nil {
				return nil, err
			}
			//lint:ignore SA1019 rsa-1_5 is part of XML Encryption and still sent by IdPs; the session-key form above is the oracle-free way to read it.
			err = rsa.DecryptPKCS1v15SessionKey(nil, k, wrapped, cek)
		default:
			return nil, fmt.Errorf("key transport %q is not supported", alg)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ceks = append(ceks, cek)
	}
	if len(ceks) == 0 {
		return nil, fmt.Errorf("no private key unwraps the content key: %w", errors.Join(errs...))
	}
	return firstPlaintext(data, ceks)
}

// firstPlaintext decrypts the content with each candidate key in turn and
// returns the first plaintext that reads as markup (valid UTF-8 starting,
// after a byte order mark and white space, with '<'), else the first
// plaintext at all, else the last error. AES-CBC has no integrity check: the
// random key an rsa-1_5 candidate gets from a wrong private key decrypts to
// noise with a valid padding byte about one time in sixteen, and taking that
// noise would refuse a response the next key decrypts.
func firstPlaintext(data *etree.Element, ceks [][]byte) ([]byte, error) {
	var first []byte
	var lastErr error
	for _, cek := range ceks {
		plain, err := decryptContent(data, cek)
		if err != nil {
			lastErr = err
			continue
		}
		// As decryptAssertions reads it: a byte order mark, then white space.
		trimmed := bytes.TrimSpace(bytes.TrimPrefix(plain, []byte("\xef\xbb\xbf")))
		if utf8.Valid(plain) && bytes.HasPrefix(trimmed, []byte("<")) {
			return plain, nil
		}
		if first == nil {
			first = plain
		}
	}
	if first != nil {
		return first, nil
	}
	return nil, lastErr
}

// decryptContent decrypts the EncryptedData's CipherValue with cek.
func decryptContent(data *etree.Element, cek []byte) ([]byte, error) {
	ct, err := cipherValue(data)
	if err != nil {
		return nil, fmt.Errorf("EncryptedData: %w", err)
	}
	dm := Child(data, NSXMLEnc, "EncryptionMethod")
	if dm == nil {
		return nil, errors.New("EncryptedData has no EncryptionMethod")
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, fmt.Errorf("content key: %w", err)
	}
	switch alg := dm.SelectAttrValue("Algorithm", ""); alg {
	case encAES128CBC, encAES192CBC, encAES256CBC:
		bs := block.BlockSize()
		if len(ct) < 2*bs || len(ct)%bs != 0 {
			return nil, errors.New("AES-CBC ciphertext has a bad length")
		}
		out := make([]byte, len(ct)-bs)
		cipher.NewCBCDecrypter(block, ct[:bs]).CryptBlocks(out, ct[bs:])
		pad := int(out[len(out)-1])
		if pad < 1 || pad > bs {
			return nil, errors.New("AES-CBC padding is invalid")
		}
		return out[:len(out)-pad], nil
	case encAES128GCM, encAES192GCM, encAES256GCM:
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		if len(ct) < aead.NonceSize()+aead.Overhead() {
			return nil, errors.New("AES-GCM ciphertext is too short")
		}
		return aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], nil)
	default:
		return nil, fmt.Errorf("content encryption %q is not supported", alg)
	}
}

// contentKeySize is the key length, in bytes, of the EncryptedData's content
// cipher, or 0 when the algorithm is missing or unknown.
func contentKeySize(data *etree.Element) int {
	dm := Child(data, NSXMLEnc, "EncryptionMethod")
	if dm == nil {
		return 0
	}
	switch dm.SelectAttrValue("Algorithm", "") {
	case encAES128CBC, encAES128GCM:
		return 16
	case encAES192CBC, encAES192GCM:
		return 24
	case encAES256CBC, encAES256GCM:
		return 32
	}
	return 0
}

func cipherValue(el *etree.Element) ([]byte, error) {
	cd := Child(el, NSXMLEnc, "CipherData")
	if cd == nil {
		return nil, errors.New("no CipherData")
	}
	v := Child(cd, NSXMLEnc, "CipherValue")
	if v == nil {
		return nil, errors.New("no CipherValue")
	}
	return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(RawText(v)), ""))
}
