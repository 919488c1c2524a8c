package xmlsec

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/internal/xmlsec/xmlsectest"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
)

// Each test here pins one check of the verifier: it builds a response that
// only that check refuses (the signatures are genuine), so a verifier that
// skips or loosens the check accepts it and the test fails.

// unsignedDoc returns testResponse with extra inside the Assertion, parsed
// by etree without the hardened checks, for a test to edit and sign.
func unsignedDoc(tb testing.TB, extra string) *etree.Document {
	tb.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(fmt.Sprintf(testResponse, extra)); err != nil {
		tb.Fatalf("parse template: %v", err)
	}
	return doc
}

// signEl signs el in place as an IdP does (xmlsectest.Sign).
var signEl = xmlsectest.Sign

// resignSignedInfo recomputes sig's SignatureValue over its edited
// SignedInfo, canonicalized with c, with kp and the SignedInfo's
// SignatureMethod: the signature an IdP configured that way produces.
func resignSignedInfo(tb testing.TB, sig *etree.Element, kp *certs.KeyPair, c dsig.Canonicalizer) {
	tb.Helper()
	si := sig.SelectElement("SignedInfo")
	nsCtx, err := etreeutils.NSBuildParentContext(si)
	if err != nil {
		tb.Fatalf("namespace context: %v", err)
	}
	det, err := etreeutils.NSDetatch(nsCtx, si)
	if err != nil {
		tb.Fatalf("detach SignedInfo: %v", err)
	}
	canonical, err := c.Canonicalize(det)
	if err != nil {
		tb.Fatalf("canonicalize SignedInfo: %v", err)
	}
	sctx, err := dsig.NewSigningContext(kp.Key, [][]byte{kp.Cert.Raw})
	if err != nil {
		tb.Fatalf("signing context: %v", err)
	}
	if err := sctx.SetSignatureMethod(si.SelectElement("SignatureMethod").SelectAttrValue("Algorithm", "")); err != nil {
		tb.Fatalf("signature method: %v", err)
	}
	raw, err := sctx.SignString(string(canonical))
	if err != nil {
		tb.Fatalf("sign SignedInfo: %v", err)
	}
	sig.SelectElement("SignatureValue").SetText(base64.StdEncoding.EncodeToString(raw))
}

func docBytes(tb testing.TB, doc *etree.Document) []byte {
	tb.Helper()
	out, err := doc.WriteToBytes()
	if err != nil {
		tb.Fatalf("serialize: %v", err)
	}
	return out
}

func verifyRaw(tb testing.TB, raw []byte, kp *certs.KeyPair, now time.Time, b Config) error {
	tb.Helper()
	doc, err := parseXML(raw)
	if err != nil {
		return err
	}
	_, err = verifyDoc(doc, []*x509.Certificate{kp.Cert}, now, b)
	return err
}

// TestVerifierRefusesDuplicateIDsOfAnySpelling pins checkUniqueIDs: an Id or
// wsu:Id that repeats the Assertion's ID makes "#_a1" ambiguous for a
// resolver that looks at those attributes too.
func TestVerifierRefusesDuplicateIDsOfAnySpelling(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	for _, extra := range []string{
		`<saml:Advice><x Id="_a1"/></saml:Advice>`,
		`<saml:Advice><x xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" wsu:Id="_a1"/></saml:Advice>`,
	} {
		t.Run(extra, func(t *testing.T) {
			t.Parallel()
			err := verifyRaw(t, signedResponse(t, kp, extra), kp, time.Now(), testConfig())
			if !errors.Is(err, ErrDuplicateID) {
				t.Errorf("verification = %v, want %v", err, ErrDuplicateID)
			}
		})
	}
}

// TestVerifierRefusesNestedResponseAndEncryptedAssertion pins checkStructure:
// a samlp:Response or saml:EncryptedAssertion anywhere below the root (here in
// the Response's Extensions) is refused, even though the signed Assertion is
// genuine.
func TestVerifierRefusesNestedResponseAndEncryptedAssertion(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	tests := []struct {
		name, nested string
		want         error
	}{
		{"nested Response", `<samlp:Response ID="_inner" Version="2.0"/>`, ErrNotResponse},
		{"nested EncryptedAssertion", `<saml:EncryptedAssertion/>`, ErrAssertionCount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw := strings.Replace(string(signedResponse(t, kp, "")), "</saml:Issuer>",
				"</saml:Issuer><samlp:Extensions>"+tt.nested+"</samlp:Extensions>", 1)
			err := verifyRaw(t, []byte(raw), kp, time.Now(), testConfig())
			if !errors.Is(err, tt.want) {
				t.Errorf("verification = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestVerifierSHA1Digest pins checkDigestMethod: an RSA-SHA256 signature over
// a SHA-1 digest is refused when SHA-1 is not allowed, and verifies when it
// is (so the signature itself is sound).
func TestVerifierSHA1Digest(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	doc := unsignedDoc(t, "")
	a := doc.Root().SelectElement("Assertion")
	sig := signEl(t, a, kp, crypto.SHA1) // rsa-sha1 over a sha1 digest
	sig.FindElement("./SignedInfo/SignatureMethod").CreateAttr("Algorithm", dsig.RSASHA256SignatureMethod)
	if got := sig.FindElement("./SignedInfo/Reference/DigestMethod").SelectAttrValue("Algorithm", ""); got != digestSHA1 {
		t.Fatalf("DigestMethod = %q, want %q", got, digestSHA1)
	}
	resignSignedInfo(t, sig, kp, dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(""))
	raw := docBytes(t, doc)

	allow := testConfig()
	allow.AllowSHA1 = true
	if err := verifyRaw(t, raw, kp, time.Now(), allow); err != nil {
		t.Fatalf("with AllowSHA1: verification = %v, want success", err)
	}
	deny := testConfig()
	deny.AllowSHA1 = false
	if err := verifyRaw(t, raw, kp, time.Now(), deny); !errors.Is(err, ErrSHA1) {
		t.Errorf("without AllowSHA1: verification = %v, want %v", err, ErrSHA1)
	}
}

// TestVerifierRefusesInclusiveSignedInfoC14N pins the CanonicalizationMethod
// check: SignedInfo canonicalized with inclusive c14n (and genuinely signed
// that way) is refused although the Reference's transforms are exclusive.
func TestVerifierRefusesInclusiveSignedInfoC14N(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	doc := unsignedDoc(t, "")
	sig := signEl(t, doc.Root().SelectElement("Assertion"), kp, crypto.SHA256)
	sig.FindElement("./SignedInfo/CanonicalizationMethod").CreateAttr("Algorithm", string(dsig.CanonicalXML10RecAlgorithmId))
	resignSignedInfo(t, sig, kp, dsig.MakeC14N10RecCanonicalizer())
	err := verifyRaw(t, docBytes(t, doc), kp, time.Now(), testConfig())
	if !errors.Is(err, ErrAlgorithm) {
		t.Errorf("verification = %v, want %v", err, ErrAlgorithm)
	}
}

// TestVerifierCertExpiry pins Behavior.EnforceCertExpiry both ways: a
// registered certificate outside its validity window verifies when expiry is
// not enforced, and is refused when it is.
func TestVerifierCertExpiry(t *testing.T) {
	t.Parallel()
	kp := testKey(t) // valid 2026-01-01 to 2046-01-01
	raw := signedResponse(t, kp, "")
	for _, now := range []time.Time{
		time.Date(2047, 1, 1, 0, 0, 0, 0, time.UTC), // expired
		time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), // not yet valid
	} {
		lax := testConfig()
		lax.EnforceCertExpiry = false
		if err := verifyRaw(t, raw, kp, now, lax); err != nil {
			t.Errorf("at %s without EnforceCertExpiry: verification = %v, want success", now, err)
		}
		strict := testConfig()
		strict.EnforceCertExpiry = true
		if err := verifyRaw(t, raw, kp, now, strict); !errors.Is(err, ErrSignature) {
			t.Errorf("at %s with EnforceCertExpiry: verification = %v, want %v", now, err, ErrSignature)
		}
	}
	strict := testConfig()
	strict.EnforceCertExpiry = true
	if err := verifyRaw(t, raw, kp, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), strict); err != nil {
		t.Errorf("inside the window with EnforceCertExpiry: verification = %v, want success", err)
	}
}

// TestVerifierRefusesPrefixedIDAfterTheID pins signedID: an Assertion that
// carries a prefixed x:ID beside its ID (signed that way) is refused, since
// resolvers disagree on which of the two "#ID" means.
func TestVerifierRefusesPrefixedIDAfterTheID(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	doc := unsignedDoc(t, "")
	a := doc.Root().SelectElement("Assertion")
	a.CreateAttr("xmlns:x", "urn:x")
	a.CreateAttr("x:ID", "_other")
	signEl(t, a, kp, crypto.SHA256)
	err := verifyRaw(t, docBytes(t, doc), kp, time.Now(), testConfig())
	if !errors.Is(err, ErrReference) {
		t.Errorf("verification = %v, want %v", err, ErrReference)
	}
}

// TestParseXMLNamespacesInScopeLimit pins lim.NamespacesInScope on its own:
// the declarations are spread over two elements, so no element exceeds the
// attribute limit.
func TestParseXMLNamespacesInScopeLimit(t *testing.T) {
	t.Parallel()
	half := lim.NamespacesInScope/2 + 1
	var outer, inner strings.Builder
	for i := range half {
		fmt.Fprintf(&outer, ` xmlns:o%d="urn:o%d"`, i, i)
		fmt.Fprintf(&inner, ` xmlns:i%d="urn:i%d"`, i, i)
	}
	if half > lim.AttrsPerElement {
		t.Fatalf("test needs %d declarations per element, over the attribute limit", half)
	}
	doc := `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"` + outer.String() + `><a` + inner.String() + `/></samlp:Response>`
	if _, err := parseXML([]byte(doc)); !errors.Is(err, ErrXMLLimit) {
		t.Errorf("parseXML = %v, want %v", err, ErrXMLLimit)
	}
	ok := `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"` + outer.String() + `/>`
	if _, err := parseXML([]byte(ok)); err != nil {
		t.Errorf("parseXML with %d namespaces = %v, want success", half+2, err)
	}
}

// TestVerifierBothSignedAssertionByForeignKey pins the Assertion check when
// both are signed: the Response's signature is valid, but the Assertion's is
// by a key the provider never registered, and must be refused.
func TestVerifierBothSignedAssertionByForeignKey(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	keys := certstest.New()
	if _, err := keys.Key(0); err != nil { // testKey's key: skip it
		t.Fatal(err)
	}
	foreign, err := certs.New(certs.WithKeySource(keys), certs.WithSubject("attacker"))
	if err != nil {
		t.Fatalf("certs.New: %v", err)
	}
	tests := []struct {
		name    string
		keyInfo bool
		want    error
	}{
		{"KeyInfo names the foreign certificate", true, ErrUnregisteredKeyInfo},
		{"no KeyInfo", false, ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := unsignedDoc(t, "")
			aSig := signEl(t, doc.Root().SelectElement("Assertion"), foreign, crypto.SHA256)
			if !tt.keyInfo {
				aSig.RemoveChild(aSig.SelectElement("KeyInfo"))
			}
			signEl(t, doc.Root(), kp, crypto.SHA256)
			err := verifyRaw(t, docBytes(t, doc), kp, time.Now(), testConfig())
			if !errors.Is(err, tt.want) {
				t.Errorf("verification = %v, want %v", err, tt.want)
			}
		})
	}
	// The same document with the Assertion signed by the registered key
	// verifies: only the foreign signature is at fault.
	doc := unsignedDoc(t, "")
	signEl(t, doc.Root().SelectElement("Assertion"), kp, crypto.SHA256)
	signEl(t, doc.Root(), kp, crypto.SHA256)
	if err := verifyRaw(t, docBytes(t, doc), kp, time.Now(), testConfig()); err != nil {
		t.Errorf("both signed by the registered key: verification = %v, want success", err)
	}
}
