package xmlsec

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/certs/certstest"
)

// encSpec is how an IdP encrypts an assertion: the key transport (with the
// OAEP digest it names, if any), the content cipher and where the
// EncryptedKey goes.
type encSpec struct {
	transport  string
	oaepDigest string // DigestMethod Algorithm under the key's EncryptionMethod; "" for none
	oaepHash   crypto.Hash
	content    string
	keyBytes   int
	keyBeside  bool // EncryptedKey as a sibling of EncryptedData, not inside its KeyInfo
}

// sealContent encrypts plain under cek with the content cipher, as XML
// Encryption lays out the CipherValue: IV or nonce first; CBC with the
// padding of XML Encryption §5.2.1 (the last byte counts the pad bytes).
func sealContent(t *testing.T, alg string, cek, plain []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(cek)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(alg, "-gcm") {
		aead, err := cipher.NewGCM(block)
		if err != nil {
			t.Fatal(err)
		}
		nonce := make([]byte, aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			t.Fatal(err)
		}
		return aead.Seal(nonce, nonce, plain, nil)
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	padded := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(pad)}, pad)...)
	return cbcRaw(t, cek, padded)
}

// cbcRaw encrypts padded (a whole number of blocks, padding left to the
// caller) with AES-CBC under a random IV, IV first.
func cbcRaw(t *testing.T, cek, padded []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(cek)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, aes.BlockSize+len(padded))
	if _, err := rand.Read(out[:aes.BlockSize]); err != nil {
		t.Fatal(err)
	}
	cipher.NewCBCEncrypter(block, out[:aes.BlockSize]).CryptBlocks(out[aes.BlockSize:], padded)
	return out
}

// encryptedAssertion builds a saml:EncryptedAssertion of plain for pub as
// spec says.
func encryptedAssertion(t *testing.T, pub *rsa.PublicKey, plain []byte, s encSpec) *etree.Element {
	t.Helper()
	cek := make([]byte, s.keyBytes)
	if _, err := rand.Read(cek); err != nil {
		t.Fatal(err)
	}
	var wrapped []byte
	var err error
	switch s.transport {
	case encRSA15:
		//lint:ignore SA1019 the test plays an IdP that still uses rsa-1_5.
		wrapped, err = rsa.EncryptPKCS1v15(rand.Reader, pub, cek)
	default:
		wrapped, err = rsa.EncryptOAEPWithOptions(rand.Reader, pub, cek, &rsa.OAEPOptions{Hash: s.oaepHash, MGFHash: crypto.SHA1})
	}
	if err != nil {
		t.Fatal(err)
	}
	return encryptedElement(t, s, wrapped, sealContent(t, s.content, cek, plain))
}

// encryptedElement lays out an EncryptedAssertion with the given wrapped key
// and content ciphertext.
func encryptedElement(t *testing.T, s encSpec, wrapped, ct []byte) *etree.Element {
	t.Helper()
	digest := ""
	if s.oaepDigest != "" {
		digest = fmt.Sprintf(`<ds:DigestMethod Algorithm="%s"/>`, s.oaepDigest)
	}
	key := fmt.Sprintf(`<xenc:EncryptedKey xmlns:xenc="%s" xmlns:ds="%s"><xenc:EncryptionMethod Algorithm="%s">%s</xenc:EncryptionMethod>
<xenc:CipherData><xenc:CipherValue>%s</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>`,
		NSXMLEnc, NSDSig, s.transport, digest, base64.StdEncoding.EncodeToString(wrapped))
	inside, beside := `<ds:KeyInfo xmlns:ds="`+NSDSig+`">`+key+`</ds:KeyInfo>`, ""
	if s.keyBeside {
		inside, beside = "", key
	}
	// The CipherValue is wrapped at 64 columns, as IdPs write base64.
	b64 := base64.StdEncoding.EncodeToString(ct)
	var lines []string
	for len(b64) > 64 {
		lines = append(lines, b64[:64])
		b64 = b64[64:]
	}
	lines = append(lines, b64)
	doc := etree.NewDocument()
	err := doc.ReadFromString(fmt.Sprintf(`<saml:EncryptedAssertion xmlns:saml="%s" xmlns:xenc="%s">
<xenc:EncryptedData Type="%sElement"><xenc:EncryptionMethod Algorithm="%s"/>%s
<xenc:CipherData><xenc:CipherValue>
%s
</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>%s</saml:EncryptedAssertion>`,
		NSAssertion, NSXMLEnc, NSXMLEnc, s.content, inside, strings.Join(lines, "\n"), beside))
	if err != nil {
		t.Fatal(err)
	}
	return doc.Root()
}

func decryptionKeys(t *testing.T) (right, wrong *rsa.PrivateKey) {
	t.Helper()
	keys := certstest.New()
	right, err := keys.Key(2048)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err = keys.Key(2048)
	if err != nil {
		t.Fatal(err)
	}
	return right, wrong
}

// TestDecryptAlgorithms decrypts every key transport and content cipher the
// package documents, each in both places an EncryptedKey may be, with the
// right key alone and after a wrong one, and refuses a wrong key alone.
func TestDecryptAlgorithms(t *testing.T) {
	t.Parallel()
	right, wrong := decryptionKeys(t)
	const xencSHA256, xencSHA512 = "http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2001/04/xmlenc#sha512"
	specs := []encSpec{
		{transport: encRSAOAEP, oaepHash: crypto.SHA1, content: encAES128CBC, keyBytes: 16},
		{transport: encRSAOAEP, oaepHash: crypto.SHA1, oaepDigest: NSDSig + "sha1", content: encAES192CBC, keyBytes: 24},
		{transport: encRSAOAEP11, oaepHash: crypto.SHA256, oaepDigest: xencSHA256, content: encAES256CBC, keyBytes: 32},
		{transport: encRSAOAEP11, oaepHash: crypto.SHA512, oaepDigest: xencSHA512, content: encAES128GCM, keyBytes: 16, keyBeside: true},
		{transport: encRSAOAEP, oaepHash: crypto.SHA256, oaepDigest: xencSHA256, content: encAES192GCM, keyBytes: 24, keyBeside: true},
		{transport: encRSAOAEP, oaepHash: crypto.SHA1, content: encAES256GCM, keyBytes: 32},
		{transport: encRSA15, content: encAES128CBC, keyBytes: 16, keyBeside: true},
		{transport: encRSA15, content: encAES192CBC, keyBytes: 24},
		{transport: encRSA15, content: encAES256CBC, keyBytes: 32},
		{transport: encRSA15, content: encAES192GCM, keyBytes: 24},
		{transport: encRSA15, content: encAES256GCM, keyBytes: 32, keyBeside: true},
	}
	// Plaintexts of 16 to 19 bytes: 16 takes a whole block of CBC padding
	// (TestDecryptRefusesMalformed has the one-byte padding).
	plains := []string{"<saml:Assertion>", "<saml:Assertion/>", "<saml:Assertion />", "<saml:Assertion  />"}
	for _, s := range specs {
		name := fmt.Sprintf("%s digest %q %s beside %v", s.transport[strings.LastIndex(s.transport, "#")+1:],
			s.oaepDigest, s.content[strings.LastIndex(s.content, "#")+1:], s.keyBeside)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, plain := range plains {
				enc := encryptedAssertion(t, &right.PublicKey, []byte(plain), s)
				for _, keys := range [][]*rsa.PrivateKey{{right}, {wrong, right}} {
					got, err := decryptElement(enc, keys)
					if err != nil || string(got) != plain {
						t.Errorf("decrypt %q with %d key(s) = %q, %v; want the plaintext", plain, len(keys), got, err)
					}
				}
				if s.transport == encRSA15 && strings.HasSuffix(s.content, "-cbc") {
					continue // a wrong key's noise may carry a valid padding byte: TestFirstPlaintext
				}
				if got, err := decryptElement(enc, []*rsa.PrivateKey{wrong}); err == nil {
					t.Errorf("decrypt %q with an unrelated key = %q, want an error", plain, got)
				}
			}
		})
	}
	t.Run("OAEP with SHA-256 read as SHA-1", func(t *testing.T) {
		t.Parallel()
		// The DigestMethod is what makes this decrypt: without it the
		// default SHA-1 cannot unwrap a SHA-256 OAEP key.
		s := encSpec{transport: encRSAOAEP, oaepHash: crypto.SHA256, content: encAES128GCM, keyBytes: 16}
		enc := encryptedAssertion(t, &right.PublicKey, []byte("<saml:Assertion/>"), s)
		_, err := decryptElement(enc, []*rsa.PrivateKey{right})
		if err == nil || !strings.Contains(err.Error(), "no private key unwraps the content key") {
			t.Errorf("decrypt = %v, want no private key unwraps the content key", err)
		}
	})
}

// TestDecryptRefusesMalformed pins each refusal of decryptElement with the
// part it names.
func TestDecryptRefusesMalformed(t *testing.T) {
	t.Parallel()
	right, _ := decryptionKeys(t)
	good := encSpec{transport: encRSAOAEP, oaepHash: crypto.SHA1, content: encAES128CBC, keyBytes: 16}
	cek := bytes.Repeat([]byte{7}, 16)
	wrapped, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, &right.PublicKey, cek, nil)
	if err != nil {
		t.Fatal(err)
	}
	withCT := func(content string, ct []byte) *etree.Element {
		s := good
		s.content = content
		return encryptedElement(t, s, wrapped, ct)
	}
	block := func(n int, last byte) []byte { // n blocks whose very last byte is last
		b := bytes.Repeat([]byte("A"), n*aes.BlockSize)
		b[len(b)-1] = last
		return b
	}
	remove := func(path string) func(*etree.Element) {
		return func(enc *etree.Element) {
			el := enc.FindElement(path)
			if el == nil {
				t.Fatalf("no %s", path)
			}
			el.Parent().RemoveChild(el)
		}
	}
	setAlg := func(path, alg string) func(*etree.Element) {
		return func(enc *etree.Element) { enc.FindElement(path).CreateAttr("Algorithm", alg) }
	}
	tests := []struct {
		name string
		enc  *etree.Element
		edit func(*etree.Element)
		want string
	}{
		{"no EncryptedData", encryptedAssertion(t, &right.PublicKey, []byte("<x/>"), good), remove("./EncryptedData"), "no xenc:EncryptedData"},
		{"no EncryptedKey", encryptedAssertion(t, &right.PublicKey, []byte("<x/>"), good), remove(".//EncryptedKey"), "no xenc:EncryptedKey"},
		{"EncryptedKey without CipherData", encryptedAssertion(t, &right.PublicKey, []byte("<x/>"), good), remove(".//EncryptedKey/CipherData"), "EncryptedKey: no CipherData"},
		{"EncryptedKey without CipherValue", encryptedAssertion(t, &right.PublicKey, []byte("<x/>"), good), remove(".//EncryptedKey/CipherData/CipherValue"), "EncryptedKey: no CipherValue"},
		{"EncryptedKey not base64", encryptedAssertion(t, &right.PublicKey, []byte("<x/>"), good),
			func(enc *etree.Element) { enc.FindElement(".//EncryptedKey/CipherData/CipherValue").SetText("!!") }, "EncryptedKey: illegal base64"},
		{"EncryptedKey without EncryptionMethod", encryptedAssertion(t, &right.PublicKey, []byte("<x/>"), good), remove(".//EncryptedKey/EncryptionMethod"), `key transport "" is not supported`},
		{"unknown key transport", encryptedAssertion(t, &right.PublicKey, []byte("<x/>"), good), setAlg(".//EncryptedKey/EncryptionMethod", NSXMLEnc+"kw-aes128"), `key transport "` + NSXMLEnc + `kw-aes128" is not supported`},
		{"rsa-1_5 with an unknown content cipher", encryptedAssertion(t, &right.PublicKey, []byte("<x/>"), encSpec{transport: encRSA15, content: encAES128CBC, keyBytes: 16}),
			setAlg("./EncryptedData/EncryptionMethod", NSXMLEnc+"tripledes-cbc"), "rsa-1_5 key transport needs a known content encryption algorithm"},
		{"rsa-1_5 with no content EncryptionMethod", encryptedAssertion(t, &right.PublicKey, []byte("<x/>"), encSpec{transport: encRSA15, content: encAES128CBC, keyBytes: 16}),
			remove("./EncryptedData/EncryptionMethod"), "rsa-1_5 key transport needs a known content encryption algorithm"},
		{"content without CipherData", encryptedAssertion(t, &right.PublicKey, []byte("<x/>"), good), remove("./EncryptedData/CipherData"), "EncryptedData: no CipherData"},
		{"content without EncryptionMethod", encryptedAssertion(t, &right.PublicKey, []byte("<x/>"), good), remove("./EncryptedData/EncryptionMethod"), "EncryptedData has no EncryptionMethod"},
		{"unknown content cipher", encryptedAssertion(t, &right.PublicKey, []byte("<x/>"), good), setAlg("./EncryptedData/EncryptionMethod", NSXMLEnc+"tripledes-cbc"), `content encryption "` + NSXMLEnc + `tripledes-cbc" is not supported`},
		{"CBC: only the IV", withCT(encAES128CBC, bytes.Repeat([]byte{1}, aes.BlockSize)), nil, "AES-CBC ciphertext has a bad length"},
		{"CBC: not whole blocks", withCT(encAES128CBC, bytes.Repeat([]byte{1}, 2*aes.BlockSize+1)), nil, "AES-CBC ciphertext has a bad length"},
		{"CBC: padding byte 0", withCT(encAES128CBC, cbcRaw(t, cek, block(1, 0))), nil, "AES-CBC padding is invalid"},
		{"CBC: padding byte 17", withCT(encAES128CBC, cbcRaw(t, cek, block(1, 17))), nil, "AES-CBC padding is invalid"},
		{"GCM: shorter than nonce and tag", withCT(encAES128GCM, bytes.Repeat([]byte{1}, 12+16-1)), nil, "AES-GCM ciphertext is too short"},
		{"GCM: altered", withCT(encAES128GCM, func() []byte {
			ct := sealContent(t, encAES128GCM, cek, []byte("<saml:Assertion/>"))
			ct[len(ct)-1] ^= 1
			return ct
		}()), nil, "message authentication failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			enc := tt.enc.Copy()
			if tt.edit != nil {
				tt.edit(enc)
			}
			got, err := decryptElement(enc, []*rsa.PrivateKey{right})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("decrypt = %q, %v; want an error containing %q", got, err, tt.want)
			}
		})
	}

	// The shortest valid ciphertexts: CBC with one block (an empty
	// plaintext is one block of padding) and GCM with no plaintext.
	for _, tt := range []struct {
		content string
		ct      []byte
		want    string
	}{
		{encAES128CBC, cbcRaw(t, cek, bytes.Repeat([]byte{16}, 16)), ""},
		{encAES128CBC, cbcRaw(t, cek, block(1, 1)), strings.Repeat("A", 15)},
		{encAES128CBC, cbcRaw(t, cek, append([]byte("<saml:Assertion/"), bytes.Repeat([]byte{16}, 16)...)), "<saml:Assertion/"},
		{encAES128GCM, sealContent(t, encAES128GCM, cek, nil), ""},
	} {
		got, err := decryptElement(withCT(tt.content, tt.ct), []*rsa.PrivateKey{right})
		if err != nil || string(got) != tt.want {
			t.Errorf("decrypt %d bytes of %s = %q, %v; want %q", len(tt.ct), tt.content, got, err, tt.want)
		}
	}
}

// TestDecryptAssertions pins what DecryptAssertions does with the
// plaintext: it replaces each EncryptedAssertion in place with the one
// Assertion it holds, after the XML declaration, and refuses anything else.
func TestDecryptAssertions(t *testing.T) {
	t.Parallel()
	right, wrong := decryptionKeys(t)
	spec := encSpec{transport: encRSAOAEP, oaepHash: crypto.SHA1, content: encAES256GCM, keyBytes: 32}
	assertion := func(id string) string {
		return `<saml:Assertion xmlns:saml="` + NSAssertion + `" ID="` + id + `"><saml:Issuer>` + testIssuer + `</saml:Issuer></saml:Assertion>`
	}
	response := func(plains ...string) *etree.Document {
		doc := etree.NewDocument()
		root := doc.CreateElement("samlp:Response")
		root.CreateAttr("xmlns:samlp", NSProtocol)
		root.CreateElement("saml:Issuer").SetText(testIssuer)
		for _, p := range plains {
			root.AddChild(encryptedAssertion(t, &right.PublicKey, []byte(p), spec))
		}
		root.CreateElement("samlp:Extensions")
		return doc
	}

	t.Run("two, in place", func(t *testing.T) {
		t.Parallel()
		doc := response("\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"+assertion("_a1")+"\n", assertion("_a2"))
		found, err := DecryptAssertions(doc, []*rsa.PrivateKey{wrong, right})
		if err != nil || !found {
			t.Fatalf("DecryptAssertions = %v, %v; want true, nil", found, err)
		}
		var got []string
		for _, el := range doc.Root().ChildElements() {
			got = append(got, el.Tag+el.SelectAttrValue("ID", ""))
		}
		if want := "Issuer Assertion_a1 Assertion_a2 Extensions"; strings.Join(got, " ") != want {
			t.Errorf("children = %q, want %q", got, want)
		}
		if a := doc.Root().SelectElement("Assertion"); a.Space != "saml" || Text(a.SelectElement("Issuer")) != testIssuer {
			t.Errorf("decrypted Assertion = %v, want saml:Assertion with its Issuer", a)
		}
	})
	t.Run("none", func(t *testing.T) {
		t.Parallel()
		found, err := DecryptAssertions(response(), []*rsa.PrivateKey{right})
		if found || err != nil {
			t.Errorf("DecryptAssertions = %v, %v; want false, nil", found, err)
		}
	})
	t.Run("an empty document", func(t *testing.T) {
		t.Parallel()
		found, err := DecryptAssertions(etree.NewDocument(), []*rsa.PrivateKey{right})
		if found || !errors.Is(err, ErrNotResponse) {
			t.Errorf("DecryptAssertions = %v, %v; want false, %v", found, err, ErrNotResponse)
		}
	})
	t.Run("no keys", func(t *testing.T) {
		t.Parallel()
		found, err := DecryptAssertions(response(assertion("_a1")), nil)
		if !found || !errors.Is(err, ErrEncryptedAssertion) {
			t.Errorf("DecryptAssertions = %v, %v; want true, %v", found, err, ErrEncryptedAssertion)
		}
	})
	for _, tt := range []struct{ name, plain, want string }{
		{"not XML", "<saml:Assertion", "decrypted content: " + ErrMalformedXML.Error()},
		{"a DTD", `<!DOCTYPE x>` + assertion("_a1"), "decrypted content: " + ErrDTD.Error()},
		{"two Assertions", assertion("_a1") + assertion("_a2"), "decrypted content is not one saml:Assertion"},
		{"another element", `<saml:Issuer xmlns:saml="` + NSAssertion + `"/>`, "decrypted content is not one saml:Assertion"},
		{"an Assertion in another namespace", `<Assertion xmlns="urn:other"/>`, "decrypted content is not one saml:Assertion"},
		{"nothing", "", "decrypted content is not one saml:Assertion"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			found, err := DecryptAssertions(response(tt.plain), []*rsa.PrivateKey{right})
			if !found || !errors.Is(err, ErrDecrypt) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("DecryptAssertions = %v, %v; want true and %v: …%s", found, err, ErrDecrypt, tt.want)
			}
		})
	}
	t.Run("the second of two fails", func(t *testing.T) {
		t.Parallel()
		doc := response(assertion("_a1"), "<x")
		if _, err := DecryptAssertions(doc, []*rsa.PrivateKey{right}); !errors.Is(err, ErrDecrypt) {
			t.Errorf("DecryptAssertions = %v, want %v", err, ErrDecrypt)
		}
	})
}

// noiseKey finds a content key other than the one data was encrypted with
// that still "decrypts" data's AES-CBC content, to noise that satisfies ok.
func noiseKey(t *testing.T, data *etree.Element, ok func([]byte) bool) []byte {
	t.Helper()
	cek := make([]byte, 16)
	for range 1 << 20 {
		if _, err := rand.Read(cek); err != nil {
			t.Fatal(err)
		}
		if plain, err := decryptContent(data, cek); err == nil && ok(plain) {
			return cek
		}
	}
	t.Fatal("no noise key found")
	return nil
}

// TestFirstPlaintext pins which candidate content key wins: AES-CBC cannot
// tell a wrong key, so the first plaintext that reads as markup wins over
// noise with a valid padding byte, even noise that starts with '<'.
func TestFirstPlaintext(t *testing.T) {
	t.Parallel()
	const plain = "<saml:Assertion/>"
	cek := bytes.Repeat([]byte{9}, 16)
	s := encSpec{transport: encRSAOAEP, content: encAES128CBC}
	data := encryptedElement(t, s, nil, sealContent(t, encAES128CBC, cek, []byte(plain))).SelectElement("EncryptedData")
	noise := noiseKey(t, data, func(p []byte) bool { return !utf8.Valid(p) })
	angled := noiseKey(t, data, func(p []byte) bool { return len(p) > 0 && p[0] == '<' && !utf8.Valid(p) })
	other := noiseKey(t, data, func(p []byte) bool { return !utf8.Valid(p) && !bytes.Equal(p, mustDecrypt(t, data, noise)) })
	short := bytes.Repeat([]byte{9}, 15) // not an AES key

	for _, tt := range []struct {
		name string
		ceks [][]byte
		want []byte
	}{
		{"noise first", [][]byte{noise, cek}, []byte(plain)},
		{"noise starting with < first", [][]byte{angled, cek}, []byte(plain)},
		{"the key first", [][]byte{cek, noise}, []byte(plain)},
		{"a failing key first", [][]byte{short, cek}, []byte(plain)},
		{"only noise: the first noise", [][]byte{noise, other}, mustDecrypt(t, data, noise)},
		{"noise after a failing key", [][]byte{short, noise}, mustDecrypt(t, data, noise)},
	} {
		got, err := firstPlaintext(data, tt.ceks)
		if err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("%s: firstPlaintext = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	if got, err := firstPlaintext(data, [][]byte{cek[:15], short}); err == nil || !strings.Contains(err.Error(), "content key: crypto/aes: invalid key size 15") {
		t.Errorf("firstPlaintext with no usable key = %q, %v; want the last key's error", got, err)
	}
}

func mustDecrypt(t *testing.T, data *etree.Element, cek []byte) []byte {
	t.Helper()
	p, err := decryptContent(data, cek)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
