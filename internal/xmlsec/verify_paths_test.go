package xmlsec

import (
	"crypto"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
)

// These tests pin the verifier's paths one at a time: the Issuer checks,
// which of the Response and the Assertion must be signed, the Signature's
// shape and algorithms, and enveloped verification. Each builds a genuinely
// signed document that only the check under test refuses, and shows the
// same document (or its untouched twin) verifying.

// verifyWith parses raw and verifies it under cfg with kp registered.
func verifyWith(tb testing.TB, raw []byte, kp *certs.KeyPair, cfg Config) (*Verified, error) {
	tb.Helper()
	doc, err := parseXML(raw)
	if err != nil {
		tb.Fatalf("parse: %v", err)
	}
	cfg.Certs = []*x509.Certificate{kp.Cert}
	return NewVerifier(cfg).Verify(doc)
}

// foreignKey returns a key pair whose key is not testKey's.
func foreignKey(tb testing.TB, validFrom, validTo time.Time) *certs.KeyPair {
	tb.Helper()
	keys := certstest.New()
	if _, err := keys.Key(0); err != nil { // testKey's key: skip it
		tb.Fatal(err)
	}
	opts := []certs.Option{certs.WithKeySource(keys), certs.WithSubject("other")}
	if !validFrom.IsZero() {
		opts = append(opts, certs.WithValidity(validFrom, validTo))
	}
	kp, err := certs.New(opts...)
	if err != nil {
		tb.Fatalf("certs.New: %v", err)
	}
	return kp
}

func TestVerifierIssuerChecks(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	const other = "https://other.example/metadata"

	t.Run("matching entityID", func(t *testing.T) {
		cfg := testConfig()
		cfg.EntityID = testIssuer
		v, err := verifyWith(t, signedResponse(t, kp, ""), kp, cfg)
		if err != nil {
			t.Fatalf("verification = %v, want success", err)
		}
		if got := Text(Child(v.Assertion, NSAssertion, "Issuer")); got != testIssuer {
			t.Errorf("verified Issuer = %q, want %q", got, testIssuer)
		}
		if len(v.Status) != 1 || v.Status[0] != StatusSuccess {
			t.Errorf("Status = %q, want [%q]", v.Status, StatusSuccess)
		}
	})
	t.Run("response names another entity", func(t *testing.T) {
		cfg := testConfig()
		cfg.EntityID = other
		_, err := verifyWith(t, signedResponse(t, kp, ""), kp, cfg)
		var ie *IssuerError
		if !errors.As(err, &ie) || ie.Signed || ie.Got != testIssuer || ie.Want != other {
			t.Fatalf("verification = %v, want unsigned IssuerError{Got: %q, Want: %q}", err, testIssuer, other)
		}
		if !strings.Contains(err.Error(), testIssuer) || strings.Contains(err.Error(), "signed assertion") {
			t.Errorf("message %q should name the unsigned issuer %q", err, testIssuer)
		}
	})
	t.Run("signed Assertion names another entity", func(t *testing.T) {
		// The Response's Issuer (unsigned) claims the provider; the signed
		// Assertion's names someone else.
		doc := unsignedDoc(t, "")
		a := doc.Root().SelectElement("Assertion")
		a.SelectElement("Issuer").SetText(other)
		signEl(t, a, kp, crypto.SHA256)
		cfg := testConfig()
		cfg.EntityID = testIssuer
		_, err := verifyWith(t, docBytes(t, doc), kp, cfg)
		var ie *IssuerError
		if !errors.As(err, &ie) || !ie.Signed || ie.Got != other {
			t.Fatalf("verification = %v, want signed IssuerError{Got: %q}", err, other)
		}
		if !strings.Contains(err.Error(), "signed assertion issuer") {
			t.Errorf("message %q should say the signed assertion's issuer is wrong", err)
		}
		cfg.EntityID = ""
		if _, err := verifyWith(t, docBytes(t, doc), kp, cfg); err != nil {
			t.Errorf("without EntityID: verification = %v, want success", err)
		}
	})
	t.Run("response without Issuer: the Assertion's is claimed", func(t *testing.T) {
		doc := unsignedDoc(t, "")
		doc.Root().RemoveChild(doc.Root().SelectElement("Issuer"))
		signEl(t, doc.Root().SelectElement("Assertion"), kp, crypto.SHA256)
		raw := docBytes(t, doc)
		parsed, err := parseXML(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := UnverifiedIssuer(parsed); got != testIssuer {
			t.Errorf("UnverifiedIssuer = %q, want the Assertion's %q", got, testIssuer)
		}
		cfg := testConfig()
		cfg.EntityID = other
		_, err = verifyWith(t, raw, kp, cfg)
		var ie *IssuerError
		if !errors.As(err, &ie) || ie.Signed || ie.Got != testIssuer {
			t.Errorf("verification = %v, want unsigned IssuerError{Got: %q}", err, testIssuer)
		}
	})
	t.Run("UnverifiedIssuer prefers the Response's", func(t *testing.T) {
		raw := strings.Replace(string(signedResponse(t, kp, "")), "<saml:Issuer>"+testIssuer, "<saml:Issuer>"+other, 1)
		doc, err := parseXML([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if got := UnverifiedIssuer(doc); got != other {
			t.Errorf("UnverifiedIssuer = %q, want the Response's %q", got, other)
		}
		if got := UnverifiedIssuer(etree.NewDocument()); got != "" {
			t.Errorf("UnverifiedIssuer(empty) = %q, want \"\"", got)
		}
	})
}

func TestVerifierWhichSignatureCounts(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	responseSigned := func(t *testing.T, key *certs.KeyPair) []byte {
		doc := unsignedDoc(t, "")
		signEl(t, doc.Root(), key, crypto.SHA256)
		return docBytes(t, doc)
	}

	t.Run("only the Response signed, accepted", func(t *testing.T) {
		v, err := verifyWith(t, responseSigned(t, kp), kp, testConfig())
		if err != nil {
			t.Fatalf("verification = %v, want success", err)
		}
		if v.Assertion == nil || v.Assertion.SelectAttrValue("ID", "") != "_a1" || v.Encrypted {
			t.Errorf("verified %v (encrypted %v), want the plaintext Assertion _a1", v.Assertion, v.Encrypted)
		}
	})
	t.Run("only the Response signed, refused", func(t *testing.T) {
		cfg := testConfig()
		cfg.AcceptResponseSignature = false
		_, err := verifyWith(t, responseSigned(t, kp), kp, cfg)
		if !errors.Is(err, ErrNoSignature) || !strings.Contains(err.Error(), "only the Response") {
			t.Errorf("verification = %v, want %v (only the Response is signed)", err, ErrNoSignature)
		}
	})
	t.Run("Response signed by an unregistered key", func(t *testing.T) {
		_, err := verifyWith(t, responseSigned(t, foreignKey(t, time.Time{}, time.Time{})), kp, testConfig())
		if !errors.Is(err, ErrUnregisteredKeyInfo) || !strings.Contains(err.Error(), "response signature") {
			t.Errorf("verification = %v, want a response signature error wrapping %v", err, ErrUnregisteredKeyInfo)
		}
	})
	t.Run("Response signature over altered content", func(t *testing.T) {
		raw := strings.Replace(string(responseSigned(t, kp)), "alice", "admin", 1)
		_, err := verifyWith(t, []byte(raw), kp, testConfig())
		if !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), "digest") {
			t.Errorf("verification = %v, want %v (digest mismatch)", err, ErrSignature)
		}
	})
	t.Run("nothing signed", func(t *testing.T) {
		_, err := verifyWith(t, docBytes(t, unsignedDoc(t, "")), kp, testConfig())
		if !errors.Is(err, ErrNoSignature) {
			t.Errorf("verification = %v, want %v", err, ErrNoSignature)
		}
	})
	t.Run("not a Response", func(t *testing.T) {
		raw := []byte(`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1"/>`)
		_, err := verifyWith(t, raw, kp, testConfig())
		if !errors.Is(err, ErrNotResponse) {
			t.Errorf("verification = %v, want %v", err, ErrNotResponse)
		}
	})
	t.Run("no Assertion", func(t *testing.T) {
		doc := unsignedDoc(t, "")
		doc.Root().RemoveChild(doc.Root().SelectElement("Assertion"))
		signEl(t, doc.Root(), kp, crypto.SHA256)
		_, err := verifyWith(t, docBytes(t, doc), kp, testConfig())
		if !errors.Is(err, ErrAssertionCount) {
			t.Errorf("verification = %v, want %v", err, ErrAssertionCount)
		}
	})
	t.Run("a second Assertion hidden in Advice", func(t *testing.T) {
		extra := `<saml:Advice><saml:Assertion ID="_evil" Version="2.0"><saml:Issuer>` + testIssuer + `</saml:Issuer></saml:Assertion></saml:Advice>`
		_, err := verifyWith(t, signedResponse(t, kp, extra), kp, testConfig())
		if !errors.Is(err, ErrAssertionCount) || !strings.Contains(err.Error(), "another") {
			t.Errorf("verification = %v, want %v (another Assertion)", err, ErrAssertionCount)
		}
	})
	t.Run("a stray Signature in Advice", func(t *testing.T) {
		extra := `<saml:Advice><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></saml:Advice>`
		_, err := verifyWith(t, signedResponse(t, kp, extra), kp, testConfig())
		if !errors.Is(err, ErrSignaturePlacement) {
			t.Errorf("verification = %v, want %v", err, ErrSignaturePlacement)
		}
	})
}

// TestVerifierDigestAlgorithms verifies RSA-SHA384 and RSA-SHA512
// signatures (digest of the same strength): each digest must be computed
// with its own hash.
func TestVerifierDigestAlgorithms(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		t.Run(h.String(), func(t *testing.T) {
			t.Parallel()
			doc := unsignedDoc(t, "")
			signEl(t, doc.Root().SelectElement("Assertion"), kp, h)
			raw := docBytes(t, doc)
			cfg := testConfig()
			cfg.AllowSHA1 = false
			if _, err := verifyWith(t, raw, kp, cfg); err != nil {
				t.Errorf("verification = %v, want success", err)
			}
			tampered := strings.Replace(string(raw), "alice", "alicf", 1)
			if _, err := verifyWith(t, []byte(tampered), kp, cfg); !errors.Is(err, ErrSignature) {
				t.Errorf("altered content: verification = %v, want %v", err, ErrSignature)
			}
		})
	}
}

// TestVerifierSignatureShape edits one part of a genuine Assertion
// signature, re-signs its SignedInfo, and expects the verifier to refuse the
// result for that part alone.
func TestVerifierSignatureShape(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	exc := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	tests := []struct {
		name   string
		edit   func(sig *etree.Element)
		resign bool
		cfg    func(*Config)
		want   error
	}{
		{"an Object after KeyInfo", func(sig *etree.Element) {
			sig.CreateElement("ds:Object").SetText("hidden")
		}, false, nil, ErrSignatureShape},
		{"no SignatureValue", func(sig *etree.Element) {
			sig.RemoveChild(sig.SelectElement("SignatureValue"))
		}, false, nil, ErrSignatureShape},
		{"a second Reference", func(sig *etree.Element) {
			si := sig.SelectElement("SignedInfo")
			si.AddChild(si.SelectElement("Reference").Copy())
		}, true, nil, ErrSignatureShape},
		{"Reference URI to another ID", func(sig *etree.Element) {
			sig.FindElement("./SignedInfo/Reference").CreateAttr("URI", "#_r1")
		}, true, nil, ErrReference},
		{"Reference without URI", func(sig *etree.Element) {
			sig.FindElement("./SignedInfo/Reference").RemoveAttr("URI")
		}, true, nil, ErrReference},
		{"Reference without DigestValue", func(sig *etree.Element) {
			ref := sig.FindElement("./SignedInfo/Reference")
			ref.RemoveChild(ref.SelectElement("DigestValue"))
		}, true, nil, ErrSignatureShape},
		{"DigestValue not base64", func(sig *etree.Element) {
			sig.FindElement("./SignedInfo/Reference/DigestValue").SetText("not*base64")
		}, true, nil, ErrSignatureShape},
		{"SignatureValue not base64", func(sig *etree.Element) {
			sig.SelectElement("SignatureValue").SetText("not*base64")
		}, false, nil, ErrSignatureShape},
		{"an unknown SignatureMethod", func(sig *etree.Element) {
			sig.FindElement("./SignedInfo/SignatureMethod").CreateAttr("Algorithm", "http://www.w3.org/2000/09/xmldsig#hmac-sha1")
		}, false, nil, ErrAlgorithm},
		{"an unknown DigestMethod", func(sig *etree.Element) {
			sig.FindElement("./SignedInfo/Reference/DigestMethod").CreateAttr("Algorithm", "http://www.w3.org/2001/04/xmldsig-more#md5")
		}, true, nil, ErrAlgorithm},
		{"CanonicalizationMethod with a child", func(sig *etree.Element) {
			sig.FindElement("./SignedInfo/CanonicalizationMethod").CreateElement("ds:Foo")
		}, true, nil, ErrAlgorithm},
		{"an XPath transform added", func(sig *etree.Element) {
			ts := sig.FindElement("./SignedInfo/Reference/Transforms")
			ts.CreateElement("ds:Transform").CreateAttr("Algorithm", "http://www.w3.org/TR/1999/REC-xpath-19991116")
		}, true, nil, ErrAlgorithm},
		{"a foreign element in Transforms", func(sig *etree.Element) {
			sig.FindElement("./SignedInfo/Reference/Transforms").CreateElement("ds:Foo")
		}, true, nil, ErrSignatureShape},
		{"the enveloped transform with a child", func(sig *etree.Element) {
			for _, tr := range sig.FindElements("./SignedInfo/Reference/Transforms/Transform") {
				if tr.SelectAttrValue("Algorithm", "") == string(dsig.EnvelopedSignatureAltorithmId) {
					tr.CreateElement("ds:XPath")
				}
			}
		}, true, nil, ErrSignatureShape},
		{"the c14n transform with a foreign child", func(sig *etree.Element) {
			for _, tr := range sig.FindElements("./SignedInfo/Reference/Transforms/Transform") {
				if isExcC14N(tr.SelectAttrValue("Algorithm", "")) {
					tr.CreateElement("ds:XPath")
				}
			}
		}, true, nil, ErrSignatureShape},
		{"the enveloped transform twice", func(sig *etree.Element) {
			ts := sig.FindElement("./SignedInfo/Reference/Transforms")
			ts.CreateElement("ds:Transform").CreateAttr("Algorithm", string(dsig.EnvelopedSignatureAltorithmId))
		}, true, nil, ErrAlgorithm},
		{"no c14n transform", func(sig *etree.Element) {
			ts := sig.FindElement("./SignedInfo/Reference/Transforms")
			for _, tr := range ts.SelectElements("Transform") {
				if isExcC14N(tr.SelectAttrValue("Algorithm", "")) {
					ts.RemoveChild(tr)
				}
			}
		}, true, nil, ErrAlgorithm},
		{"an inclusive c14n transform with a child", func(sig *etree.Element) {
			for _, tr := range sig.FindElements("./SignedInfo/Reference/Transforms/Transform") {
				if isExcC14N(tr.SelectAttrValue("Algorithm", "")) {
					tr.CreateAttr("Algorithm", string(dsig.CanonicalXML10RecAlgorithmId))
					tr.CreateElement("ds:XPath")
				}
			}
		}, true, func(c *Config) { c.InclusiveC14N = true }, ErrSignatureShape},
		{"an RSA-SHA1 SignatureMethod without AllowSHA1", func(sig *etree.Element) {
			sig.FindElement("./SignedInfo/SignatureMethod").CreateAttr("Algorithm", dsig.RSASHA1SignatureMethod)
		}, true, func(c *Config) { c.AllowSHA1 = false }, ErrSHA1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := unsignedDoc(t, "")
			sig := signEl(t, doc.Root().SelectElement("Assertion"), kp, crypto.SHA256)
			if sig.Space != "ds" {
				t.Fatalf("signature prefix %q, want ds", sig.Space)
			}
			tt.edit(sig)
			if tt.resign {
				resignSignedInfo(t, sig, kp, exc)
			}
			cfg := testConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			_, err := verifyWith(t, docBytes(t, doc), kp, cfg)
			if !errors.Is(err, tt.want) {
				t.Errorf("verification = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestVerifierSHA1SignatureMethod: a genuine RSA-SHA1 signature verifies
// under AllowSHA1 and is refused without it.
func TestVerifierSHA1SignatureMethod(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	doc := unsignedDoc(t, "")
	sig := signEl(t, doc.Root().SelectElement("Assertion"), kp, crypto.SHA256)
	sig.FindElement("./SignedInfo/SignatureMethod").CreateAttr("Algorithm", dsig.RSASHA1SignatureMethod)
	resignSignedInfo(t, sig, kp, dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(""))
	raw := docBytes(t, doc)
	if _, err := verifyWith(t, raw, kp, testConfig()); err != nil {
		t.Fatalf("with AllowSHA1: verification = %v, want success", err)
	}
	cfg := testConfig()
	cfg.AllowSHA1 = false
	if _, err := verifyWith(t, raw, kp, cfg); !errors.Is(err, ErrSHA1) {
		t.Errorf("without AllowSHA1: verification = %v, want %v", err, ErrSHA1)
	}
}

// TestVerifierPrefixListIsUsed signs with an InclusiveNamespaces PrefixList
// that changes the canonical form: the digest only matches when the
// verifier canonicalizes with that list.
func TestVerifierPrefixListIsUsed(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	// xmlns:x is declared on the Response and not used in the Assertion:
	// exclusive c14n leaves it out unless the PrefixList names it.
	doc := unsignedDoc(t, "")
	doc.Root().CreateAttr("xmlns:x", "urn:x")
	a := doc.Root().SelectElement("Assertion")
	ctx, err := dsig.NewSigningContext(kp.Key, [][]byte{kp.Cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("x")
	nsCtx, err := etreeutils.NSBuildParentContext(a)
	if err != nil {
		t.Fatal(err)
	}
	detached, err := etreeutils.NSDetatch(nsCtx, a)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := ctx.ConstructSignature(detached, true)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	// goxmldsig digests with the list but does not write it into the
	// transform: add it, as IdPs that use one do, and sign SignedInfo again.
	for _, tr := range sig.FindElements("./SignedInfo/Reference/Transforms/Transform") {
		if isExcC14N(tr.SelectAttrValue("Algorithm", "")) {
			inc := tr.CreateElement("ec:InclusiveNamespaces")
			inc.CreateAttr("xmlns:ec", nsExcC14N)
			inc.CreateAttr("PrefixList", "x")
		}
	}
	resignSignedInfo(t, sig, kp, dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(""))
	a.InsertChildAt(a.SelectElement("Issuer").Index()+1, sig)
	raw := docBytes(t, doc)
	if _, err := verifyWith(t, raw, kp, testConfig()); err != nil {
		t.Fatalf("verification = %v, want success", err)
	}
	// The PrefixList is part of the signed SignedInfo; the digest covers
	// xmlns:x. Declaring x differently on the Response changes what the
	// Assertion means to a reader, and the digest no longer matches.
	changed := strings.Replace(string(raw), `xmlns:x="urn:x"`, `xmlns:x="urn:y"`, 1)
	if _, err := verifyWith(t, []byte(changed), kp, testConfig()); !errors.Is(err, ErrSignature) {
		t.Errorf("x rebound: verification = %v, want %v", err, ErrSignature)
	}
}

// TestVerifierCertExpiryDefaultClock: without Config.Now, expiry is checked
// against the real clock.
func TestVerifierCertExpiryDefaultClock(t *testing.T) {
	t.Parallel()
	old := foreignKey(t, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	cur := testKey(t)
	for _, tt := range []struct {
		name string
		kp   *certs.KeyPair
		ok   bool
	}{{"expired yesterday", old, false}, {"valid now", cur, true}} {
		raw := signedResponse(t, tt.kp, "")
		cfg := testConfig()
		cfg.EnforceCertExpiry = true
		_, err := verifyWith(t, raw, tt.kp, cfg)
		if tt.ok && err != nil {
			t.Errorf("%s: verification = %v, want success", tt.name, err)
		}
		var ce *CertError
		if !tt.ok && (!errors.Is(err, ErrSignature) || !errors.As(err, &ce) || !strings.Contains(ce.Error(), "not valid at")) {
			t.Errorf("%s: verification = %v, want %v with a CertError (not valid at ...)", tt.name, err, ErrSignature)
		}
	}
}

// TestVerifierOnVerifyCounts: OnVerify is called once per public-key
// verification: once for an Assertion-signed response, twice for one signed
// on both levels.
func TestVerifierOnVerifyCounts(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	both := unsignedDoc(t, "")
	signEl(t, both.Root().SelectElement("Assertion"), kp, crypto.SHA256)
	signEl(t, both.Root(), kp, crypto.SHA256)
	for _, tt := range []struct {
		name string
		raw  []byte
		want int
	}{{"Assertion signed", signedResponse(t, kp, ""), 1}, {"both signed", docBytes(t, both), 2}} {
		n := 0
		cfg := testConfig()
		cfg.OnVerify = func() { n++ }
		if _, err := verifyWith(t, tt.raw, kp, cfg); err != nil {
			t.Fatalf("%s: verification = %v", tt.name, err)
		}
		if n != tt.want {
			t.Errorf("%s: OnVerify called %d times, want %d", tt.name, n, tt.want)
		}
	}
}

func TestVerifyEnveloped(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	const req = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_q1" Version="2.0" IssueInstant="2026-01-01T12:00:00Z"><saml:Issuer>https://sp.example/</saml:Issuer><samlp:Extensions>%s</samlp:Extensions></samlp:AuthnRequest>`
	signed := func(t *testing.T, key *certs.KeyPair, ext string) []byte {
		doc := etree.NewDocument()
		if err := doc.ReadFromString(strings.Replace(req, "%s", ext, 1)); err != nil {
			t.Fatal(err)
		}
		signEl(t, doc.Root(), key, crypto.SHA256)
		return docBytes(t, doc)
	}
	verify := func(t *testing.T, raw []byte) (*etree.Element, error) {
		doc, err := parseXML(raw)
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		return NewVerifier(Config{Certs: []*x509.Certificate{kp.Cert}}).VerifyEnveloped(doc)
	}

	root, err := verify(t, signed(t, kp, ""))
	if err != nil {
		t.Fatalf("signed request: VerifyEnveloped = %v, want success", err)
	}
	if root.Tag != "AuthnRequest" || Child(root, NSDSig, "Signature") != nil {
		t.Errorf("VerifyEnveloped returned %s with signature %v, want the AuthnRequest without it", root.Tag, Child(root, NSDSig, "Signature"))
	}

	tests := []struct {
		name string
		raw  []byte
		want error
	}{
		{"unsigned", []byte(strings.Replace(req, "%s", "", 1)), ErrNoSignature},
		{"tampered", []byte(strings.Replace(string(signed(t, kp, "")), "https://sp.example/", "https://evil.example/", 1)), ErrSignature},
		{"signed by an unregistered key", signed(t, foreignKey(t, time.Time{}, time.Time{}), ""), ErrUnregisteredKeyInfo},
		{"a second Signature inside", signed(t, kp, `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>`), ErrSignaturePlacement},
		{"a duplicate ID inside", signed(t, kp, `<x ID="_q1"/>`), ErrDuplicateID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := verify(t, tt.raw); !errors.Is(err, tt.want) {
				t.Errorf("VerifyEnveloped = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := NewVerifier(Config{}).VerifyEnveloped(etree.NewDocument()); !errors.Is(err, ErrMalformedXML) {
		t.Errorf("empty document: VerifyEnveloped = %v, want %v", err, ErrMalformedXML)
	}
}

// TestVerifierKeyInfoWithoutCertificate: a KeyInfo that names no
// certificate (a KeyName only) selects nothing, and every registered
// certificate is tried.
func TestVerifierKeyInfoWithoutCertificate(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	doc := unsignedDoc(t, "")
	sig := signEl(t, doc.Root().SelectElement("Assertion"), kp, crypto.SHA256)
	ki := sig.SelectElement("KeyInfo")
	for _, c := range ki.ChildElements() {
		ki.RemoveChild(c)
	}
	ki.CreateElement("ds:KeyName").SetText("idp-signing")
	other := foreignKey(t, time.Time{}, time.Time{})
	doc2, err := parseXML(docBytes(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Certs = []*x509.Certificate{other.Cert, kp.Cert}
	if _, err := NewVerifier(cfg).Verify(doc2); err != nil {
		t.Errorf("verification = %v, want success with the second registered certificate", err)
	}
}

// TestVerifierAssertionSignatureBeforeIssuer: an Assertion's Signature must
// follow its Issuer (SAML Core §2.3.3); a genuine one moved first is not the
// Assertion's signature and is refused as misplaced.
func TestVerifierAssertionSignatureBeforeIssuer(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	doc := unsignedDoc(t, "")
	a := doc.Root().SelectElement("Assertion")
	sig := signEl(t, a, kp, crypto.SHA256)
	a.RemoveChild(sig)
	a.InsertChildAt(0, sig)
	_, err := verifyWith(t, docBytes(t, doc), kp, testConfig())
	if !errors.Is(err, ErrSignaturePlacement) {
		t.Errorf("verification = %v, want %v", err, ErrSignaturePlacement)
	}
}

// TestVerifierInclusiveReferenceTransform: the Reference's transform alone
// is inclusive C14N (SignedInfo exclusive, everything genuinely signed). It
// verifies under Config.InclusiveC14N and is refused without it, so the
// transform check does not lean on the SignedInfo one.
func TestVerifierInclusiveReferenceTransform(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	doc, sig := signInclusive(t, dsig.MakeC14N10RecCanonicalizer())
	sig.FindElement("./SignedInfo/CanonicalizationMethod").CreateAttr("Algorithm", string(dsig.CanonicalXML10ExclusiveAlgorithmId))
	resignSignedInfo(t, sig, kp, dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(""))
	raw := docBytes(t, doc)
	incl := testConfig()
	incl.InclusiveC14N = true
	if _, err := verifyWith(t, raw, kp, incl); err != nil {
		t.Fatalf("with InclusiveC14N: verification = %v, want success", err)
	}
	if _, err := verifyWith(t, raw, kp, testConfig()); !errors.Is(err, ErrAlgorithm) {
		t.Errorf("without InclusiveC14N: verification = %v, want %v", err, ErrAlgorithm)
	}
}
