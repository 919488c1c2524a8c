package xmlsec

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
)

// encryptedResponse returns testResponse with its Assertion (signed by
// assertionKey first, unless nil) encrypted for pub, and the Response signed
// by responseKey over the ciphertext (unless nil). edit, when set, changes
// the plaintext Assertion before anything is signed.
func encryptedResponse(t *testing.T, pub *rsa.PublicKey, assertionKey, responseKey *certs.KeyPair, edit func(a *etree.Element)) []byte {
	t.Helper()
	doc := unsignedDoc(t, "")
	root := doc.Root()
	a := root.SelectElement("Assertion")
	if edit != nil {
		edit(a)
	}
	if assertionKey != nil {
		signEl(t, a, assertionKey, crypto.SHA256)
	}
	plain, err := etree.NewDocumentWithRoot(a.Copy()).WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	enc := rsa15Element(t, pub, plain)
	root.InsertChildAt(a.Index(), enc)
	root.RemoveChild(a)
	if responseKey != nil {
		signEl(t, root, responseKey, crypto.SHA256)
	}
	return docBytes(t, doc)
}

// TestVerifierEncryptedAssertions pins both ways an encrypted assertion is
// trusted: under a signed Response, whose signature (over the ciphertext)
// is checked before decrypting, or signed itself inside the ciphertext.
func TestVerifierEncryptedAssertions(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	keys := certstest.New()
	dec, err := keys.Key(2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := keys.Key(2048)
	if err != nil {
		t.Fatal(err)
	}
	foreign := foreignKey(t, time.Time{}, time.Time{})
	pub := &dec.PublicKey
	verify := func(t *testing.T, raw []byte, cfg Config) (*Verified, error) {
		t.Helper()
		doc, err := parseXML(raw)
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		cfg.Certs = []*x509.Certificate{kp.Cert}
		return NewVerifier(cfg).Verify(doc)
	}
	withKeys := func(k ...*rsa.PrivateKey) Config { c := testConfig(); c.DecryptionKeys = k; return c }
	strict := withKeys(dec)
	strict.AcceptResponseSignature = false
	wrongIssuer := func(a *etree.Element) { a.SelectElement("Issuer").SetText("https://other.example/metadata") }
	hideAssertion := func(a *etree.Element) {
		a.CreateElement("saml:Advice").CreateElement("saml:Assertion").CreateAttr("ID", "_hidden")
	}
	straySignature := func(a *etree.Element) {
		a.CreateElement("saml:Advice").CreateElement("ds:Signature").CreateAttr("xmlns:ds", NSDSig)
	}
	entity := withKeys(dec)
	entity.EntityID = testIssuer

	tests := []struct {
		name string
		raw  []byte
		cfg  Config
		want error // nil accepts
	}{
		{"Response signed over the ciphertext", encryptedResponse(t, pub, nil, kp, nil), withKeys(dec), nil},
		{"Response and Assertion signed", encryptedResponse(t, pub, kp, kp, nil), withKeys(dec), nil},
		{"only the Assertion, inside, signed", encryptedResponse(t, pub, kp, nil, nil), withKeys(dec), nil},
		{"the right key second", encryptedResponse(t, pub, kp, kp, nil), withKeys(other, dec), nil},
		{"only the Response signed, not accepted", encryptedResponse(t, pub, nil, kp, nil), strict, ErrNoSignature},
		{"nothing signed", encryptedResponse(t, pub, nil, nil, nil), withKeys(dec), ErrNoSignature},
		{"no decryption key, Response signed", encryptedResponse(t, pub, kp, kp, nil), testConfig(), ErrEncryptedAssertion},
		{"no decryption key, Response unsigned", encryptedResponse(t, pub, kp, nil, nil), testConfig(), ErrEncryptedAssertion},
		{"the wrong key, Response signed", encryptedResponse(t, pub, kp, kp, nil), withKeys(other), ErrDecrypt},
		{"the wrong key, Response unsigned", encryptedResponse(t, pub, kp, nil, nil), withKeys(other), ErrDecrypt},
		{"Response signed by an unregistered key", encryptedResponse(t, pub, kp, foreign, nil), withKeys(dec), ErrUnregisteredKeyInfo},
		{"inner Assertion signed by an unregistered key", encryptedResponse(t, pub, foreign, kp, nil), withKeys(dec), ErrUnregisteredKeyInfo},
		{"inner Assertion signed by an unregistered key, Response unsigned", encryptedResponse(t, pub, foreign, nil, nil), withKeys(dec), ErrUnregisteredKeyInfo},
		{"Response signed, an Assertion hidden inside the ciphertext", encryptedResponse(t, pub, nil, kp, hideAssertion), withKeys(dec), ErrAssertionCount},
		{"Response unsigned, an Assertion hidden inside the ciphertext", encryptedResponse(t, pub, kp, nil, hideAssertion), withKeys(dec), ErrAssertionCount},
		{"Response signed, a stray Signature inside the ciphertext", encryptedResponse(t, pub, nil, kp, straySignature), withKeys(dec), ErrSignaturePlacement},
		{"Response signed, inner Issuer another entity", encryptedResponse(t, pub, nil, kp, wrongIssuer), entity, &IssuerError{}},
		{"Response unsigned, inner Issuer another entity", encryptedResponse(t, pub, kp, nil, wrongIssuer), entity, &IssuerError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := verify(t, tt.raw, tt.cfg)
			switch want := tt.want.(type) {
			case nil:
				if err != nil {
					t.Fatalf("verification = %v, want success", err)
				}
				if !v.Encrypted || v.Assertion.SelectAttrValue("ID", "") != "_a1" ||
					Text(Child(Child(v.Assertion, NSAssertion, "Subject"), NSAssertion, "NameID")) != "alice" {
					t.Errorf("verified %v (encrypted %v), want the decrypted Assertion _a1 of alice", v.Assertion, v.Encrypted)
				}
				if len(v.Status) != 1 || v.Status[0] != StatusSuccess {
					t.Errorf("Status = %q", v.Status)
				}
			case *IssuerError:
				var ie *IssuerError
				if !errors.As(err, &ie) || !ie.Signed {
					t.Errorf("verification = %v, want a signed IssuerError", err)
				}
			default:
				if !errors.Is(err, want) {
					t.Errorf("verification = %v, want %v", err, want)
				}
			}
		})
	}

	t.Run("ciphertext swapped after the Response was signed", func(t *testing.T) {
		t.Parallel()
		signed := string(encryptedResponse(t, pub, nil, kp, nil))
		forged := string(encryptedResponse(t, pub, nil, nil, func(a *etree.Element) {
			a.FindElement("./Subject/NameID").SetText("admin")
		}))
		cv := func(s string) string { // the content's CipherValue (the last one)
			i := strings.LastIndex(s, "<xenc:CipherValue>")
			j := strings.Index(s[i:], "</xenc:CipherValue>")
			return s[i : i+j]
		}
		raw := strings.Replace(signed, cv(signed), cv(forged), 1)
		// The forged content keeps the signed key: it is the signed
		// document's EncryptedKey that decrypts, so only the Response
		// signature stands between it and the reader.
		keyCV := func(s string) string {
			i := strings.Index(s, "<xenc:CipherValue>")
			j := strings.Index(s[i:], "</xenc:CipherValue>")
			return s[i : i+j]
		}
		raw = strings.Replace(raw, keyCV(raw), keyCV(forged), 1)
		_, err := verify(t, []byte(raw), withKeys(dec))
		if !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), "over the encrypted assertion") {
			t.Errorf("verification = %v, want %v over the encrypted assertion", err, ErrSignature)
		}
	})
	t.Run("Response signed, naming another entity", func(t *testing.T) {
		t.Parallel()
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(encryptedResponse(t, pub, kp, nil, nil)); err != nil {
			t.Fatal(err)
		}
		doc.Root().SelectElement("Issuer").SetText("https://other.example/metadata")
		signEl(t, doc.Root(), kp, crypto.SHA256)
		_, err := verify(t, docBytes(t, doc), entity)
		var ie *IssuerError
		if !errors.As(err, &ie) || ie.Signed || ie.Got != "https://other.example/metadata" {
			t.Errorf("verification = %v, want an unsigned IssuerError naming the Response's Issuer", err)
		}
	})
	t.Run("two EncryptedAssertions under a signed Response", func(t *testing.T) {
		t.Parallel()
		doc, err := parseXML(encryptedResponse(t, pub, nil, kp, nil))
		if err != nil {
			t.Fatal(err)
		}
		root := doc.Root()
		enc := root.SelectElement("EncryptedAssertion")
		root.InsertChildAt(enc.Index()+1, enc.Copy())
		_, err = NewVerifier(withKeys(dec)).Verify(doc)
		if !errors.Is(err, ErrAssertionCount) {
			t.Errorf("verification = %v, want %v", err, ErrAssertionCount)
		}
	})
	t.Run("a plaintext Assertion beside the signed EncryptedAssertion", func(t *testing.T) {
		t.Parallel()
		doc, err := parseXML(encryptedResponse(t, pub, nil, kp, nil))
		if err != nil {
			t.Fatal(err)
		}
		extra, err := parseXML(signedResponse(t, kp, ""))
		if err != nil {
			t.Fatal(err)
		}
		a := extra.Root().SelectElement("Assertion")
		a.CreateAttr("ID", "_a2")
		doc.Root().AddChild(a)
		cfg := withKeys(dec)
		cfg.Certs = []*x509.Certificate{kp.Cert}
		_, err = NewVerifier(cfg).Verify(doc)
		if !errors.Is(err, ErrAssertionCount) {
			t.Errorf("verification = %v, want %v", err, ErrAssertionCount)
		}
	})
}
