package xmlsec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/certs/certstest"
)

// rsa15Element builds a saml:EncryptedAssertion whose AES-128-GCM content
// key is wrapped for pub with RSA PKCS #1 v1.5, as older IdPs send it.
func rsa15Element(t *testing.T, pub *rsa.PublicKey, plain []byte) *etree.Element {
	t.Helper()
	cek := make([]byte, 16)
	if _, err := rand.Read(cek); err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 the test plays an IdP that still uses rsa-1_5.
	wrapped, err := rsa.EncryptPKCS1v15(rand.Reader, pub, cek)
	if err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		t.Fatal(err)
	}
	ct := aead.Seal(nonce, nonce, plain, nil)
	doc := etree.NewDocument()
	err = doc.ReadFromString(fmt.Sprintf(`<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">
<xenc:EncryptedData xmlns:xenc="%[1]s" Type="%[1]sElement">
<xenc:EncryptionMethod Algorithm="%[2]s"/>
<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey>
<xenc:EncryptionMethod Algorithm="%[3]s"/>
<xenc:CipherData><xenc:CipherValue>%[4]s</xenc:CipherValue></xenc:CipherData>
</xenc:EncryptedKey></ds:KeyInfo>
<xenc:CipherData><xenc:CipherValue>%[5]s</xenc:CipherValue></xenc:CipherData>
</xenc:EncryptedData></saml:EncryptedAssertion>`, NSXMLEnc, encAES128GCM, encRSA15,
		base64.StdEncoding.EncodeToString(wrapped), base64.StdEncoding.EncodeToString(ct)))
	if err != nil {
		t.Fatal(err)
	}
	return doc.Root()
}

func TestDecryptRSA15KeyTransport(t *testing.T) {
	t.Parallel()
	keys := certstest.New()
	right, err := keys.Key(2048)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := keys.Key(2048)
	if err != nil {
		t.Fatal(err)
	}
	const plain = "<saml:Assertion/>"
	enc := rsa15Element(t, &right.PublicKey, []byte(plain))

	// The registered key is found whichever order the keys come in: a wrong
	// key yields a random content key, not an error, and is passed over.
	for _, order := range [][]*rsa.PrivateKey{{right}, {wrong, right}, {right, wrong}} {
		got, err := decryptElement(enc, order)
		if err != nil {
			t.Fatalf("decrypt with %d keys: %v", len(order), err)
		}
		if string(got) != plain {
			t.Errorf("decrypt = %q, want %q", got, plain)
		}
	}
	if got, err := decryptElement(enc, []*rsa.PrivateKey{wrong}); err == nil {
		t.Errorf("decrypt with an unrelated key = %q, want an error", got)
	}
}
