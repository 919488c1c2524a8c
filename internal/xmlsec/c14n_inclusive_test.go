package xmlsec

import (
	"crypto"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/samlab-dev/samlab/certs"
)

// goxmldsigQuirk reports whether goxmldsig's inclusive canonicalization of
// el departs from Canonical XML 1.0 on it, so the two cannot be compared:
// el redeclares a prefix (or the default namespace) or an xml: attribute an
// ancestor declares (goxmldsig lets the ancestor's value win), or an element
// of the subtree has namespaced attributes under two prefixes (goxmldsig
// orders them by prefix and local name, not by namespace name).
func goxmldsigQuirk(el *etree.Element) bool {
	inherited := map[string]bool{}
	for p := el.Parent(); p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			if _, ok := nsDecl(a); ok || a.Space == "xml" {
				inherited[a.Space+":"+a.Key] = true
			}
		}
	}
	for _, a := range el.Attr {
		if inherited[a.Space+":"+a.Key] {
			return true
		}
	}
	return attrOrderQuirk(el)
}

// attrOrderQuirk reports whether an element of el's subtree has namespaced
// attributes under two prefixes, which goxmldsig orders by prefix and local
// name, not by namespace name as Canonical XML does.
func attrOrderQuirk(el *etree.Element) bool {
	quirk := false
	walk(el, func(e *etree.Element) bool {
		prefix := ""
		for _, a := range e.Attr {
			if _, ok := nsDecl(a); ok || a.Space == "" {
				continue
			}
			if prefix != "" && prefix != a.Space {
				quirk = true
			}
			prefix = a.Space
		}
		return !quirk
	})
	return quirk
}

// checkInclusiveC14N compares canonicalizeInclusive with goxmldsig's
// inclusive canonicalizer (which reads the namespaces and xml: attributes
// in scope from the element's ancestors) on every element of raw that Parse
// accepts and where goxmldsig follows the Recommendation.
func checkInclusiveC14N(t *testing.T, raw []byte, comments bool) {
	t.Helper()
	doc, err := Parse(raw, lim)
	if err != nil {
		return
	}
	c := dsig.MakeC14N10RecCanonicalizer()
	if comments {
		c = dsig.MakeC14N10WithCommentsCanonicalizer()
	}
	walk(doc.Root(), func(el *etree.Element) bool {
		if goxmldsigQuirk(el) {
			return true
		}
		want, err := c.Canonicalize(el)
		if err != nil {
			return true
		}
		if got := canonicalizeInclusive(nil, el, comments, nil); string(got) != string(want) {
			t.Fatalf("canonicalizeInclusive(%s, comments=%v) of\n%q\n= %q\ngoxmldsig: %q", el.GetPath(), comments, raw, got, want)
		}
		return true
	})
}

// inclusiveSeeds are documents that exercise what inclusive c14n adds:
// namespaces declared above the element and unused in it, xml: attributes
// of ancestors, redundant and undone declarations below it.
var inclusiveSeeds = []string{
	`<r xmlns="urn:d" xmlns:a="urn:a" xmlns:u="urn:unused" xml:lang="en"><a:c a:x="1" y="2"><d xmlns:a="urn:a" xmlns:b="urn:b"><!-- c -->t</d></a:c></r>`,
	`<p:r xmlns:p="urn:p" xml:space="preserve"><p:s xml:lang="de"><p:t>x &amp; y</p:t></p:s></p:r>`,
	`<r xmlns="urn:d"><s xmlns=""><t/></s><u xmlns="urn:e"/></r>`,
	`<r xmlns:z="urn:z" xmlns:a="urn:a"><s><t z:k="1" b="2" a="3">v</t></s></r>`,
}

func TestCanonicalizeInclusiveMatchesGoxmldsig(t *testing.T) {
	t.Parallel()
	for i, raw := range fastReadSeeds(t) {
		checkInclusiveC14N(t, raw, i%2 == 0)
	}
	for _, s := range inclusiveSeeds {
		checkInclusiveC14N(t, []byte(s), false)
		checkInclusiveC14N(t, []byte(s), true)
	}
}

// TestCanonicalizeInclusiveRecommendation pins the cases where goxmldsig
// departs from Canonical XML 1.0, with the Recommendation's output
// (TestVerifierAcceptsXMLSecSignatures checks the same cases against
// libxml2's canonicalization through xmlsec1).
func TestCanonicalizeInclusiveRecommendation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, path, want string
	}{
		{"own redeclaration wins", `<r xmlns:a="urn:1"><a:s xmlns:a="urn:2"/></r>`, "s",
			`<a:s xmlns:a="urn:2"></a:s>`},
		{"own xml:lang wins, others inherited", `<r xml:lang="en" xml:space="preserve"><s xml:lang="de"/></r>`, "s",
			`<s xml:lang="de" xml:space="preserve"></s>`},
		{"xmlns=\"\" on the apex renders nothing", `<r xmlns="urn:d"><s xmlns=""><t/></s></r>`, "s",
			`<s><t></t></s>`},
		{"attributes by namespace name, then local name", `<r xmlns:z="urn:a" xmlns:a="urn:z"><s a:b="1" z:c="2" d="3"/></r>`, "s",
			`<s xmlns:a="urn:z" xmlns:z="urn:a" d="3" z:c="2" a:b="1"></s>`},
		{"undoing the default below the apex", `<r xmlns="urn:d"><s><t xmlns=""/></s></r>`, "s",
			`<s xmlns="urn:d"><t xmlns=""></t></s>`},
		{"redundant declaration below the apex dropped", `<r xmlns:a="urn:a"><s><a:t xmlns:a="urn:a"/></s></r>`, "s",
			`<s xmlns:a="urn:a"><a:t></a:t></s>`},
	}
	for _, tt := range tests {
		doc, err := Parse([]byte(tt.doc), lim)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		el := doc.Root().SelectElement(tt.path)
		if got := string(canonicalizeInclusive(nil, el, false, nil)); got != tt.want {
			t.Errorf("%s: canonicalizeInclusive = %s, want %s", tt.name, got, tt.want)
		}
	}
}

// FuzzCanonicalizeInclusive is the differential check of the inclusive
// canonicalizer against goxmldsig's, where goxmldsig follows the
// Recommendation.
func FuzzCanonicalizeInclusive(f *testing.F) {
	for _, s := range fastReadSeeds(f) {
		f.Add(s, false)
	}
	for _, s := range inclusiveSeeds {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, raw []byte, comments bool) {
		checkInclusiveC14N(t, raw, comments)
	})
}

// signInclusive signs the Assertion of doc with goxmldsig, canonicalizing
// with c both SignedInfo and the Reference (goxmldsig computes both where
// the Signature will sit, namespaces in scope included); the Response
// declares a namespace only the inclusive form signs.
func signInclusive(t *testing.T, c dsig.Canonicalizer) (*etree.Document, *etree.Element) {
	t.Helper()
	kp := testKey(t)
	doc := unsignedDoc(t, "")
	doc.Root().CreateAttr("xmlns:xs", "http://www.w3.org/2001/XMLSchema")
	a := doc.Root().SelectElement("Assertion")
	ctx, err := dsig.NewSigningContext(kp.Key, [][]byte{kp.Cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = c
	sig, err := ctx.ConstructSignature(a, true)
	if err != nil {
		t.Fatal(err)
	}
	a.InsertChildAt(a.SelectElement("Issuer").Index()+1, sig)
	return doc, sig
}

// TestVerifierInclusiveC14N: inclusive C14N 1.0 signatures verify under
// Config.InclusiveC14N and are refused (ErrAlgorithm) without it; C14N 1.1
// is refused either way; SignedInfo inclusive with an exclusive Reference
// verifies; and the namespace declared above the Assertion is signed: a
// Response that rebinds it no longer verifies.
func TestVerifierInclusiveC14N(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	incl := testConfig()
	incl.InclusiveC14N = true
	for _, c := range []dsig.Canonicalizer{dsig.MakeC14N10RecCanonicalizer(), dsig.MakeC14N10WithCommentsCanonicalizer()} {
		doc, _ := signInclusive(t, c)
		raw := docBytes(t, doc)
		if err := verifyRaw(t, raw, kp, time.Now(), incl); err != nil {
			t.Errorf("%s with InclusiveC14N: %v", c.Algorithm(), err)
		}
		if err := verifyRaw(t, raw, kp, time.Now(), testConfig()); !errors.Is(err, ErrAlgorithm) {
			t.Errorf("%s without InclusiveC14N: %v, want %v", c.Algorithm(), err, ErrAlgorithm)
		}
		rebound := strings.Replace(string(raw), `xmlns:xs="http://www.w3.org/2001/XMLSchema"`, `xmlns:xs="urn:evil"`, 1)
		if err := verifyRaw(t, []byte(rebound), kp, time.Now(), incl); !errors.Is(err, ErrSignature) {
			t.Errorf("%s, xs rebound on the Response: %v, want %v", c.Algorithm(), err, ErrSignature)
		}
	}
	doc, _ := signInclusive(t, dsig.MakeC14N11Canonicalizer())
	if err := verifyRaw(t, docBytes(t, doc), kp, time.Now(), incl); !errors.Is(err, ErrAlgorithm) {
		t.Errorf("C14N 1.1 with InclusiveC14N: %v, want %v", err, ErrAlgorithm)
	}

	// SignedInfo inclusive, Reference exclusive (as in
	// TestVerifierRefusesInclusiveSignedInfoC14N): verifies when allowed.
	doc = unsignedDoc(t, "")
	sig := signEl(t, doc.Root().SelectElement("Assertion"), kp, crypto.SHA256)
	sig.FindElement("./SignedInfo/CanonicalizationMethod").CreateAttr("Algorithm", string(dsig.CanonicalXML10RecAlgorithmId))
	resignSignedInfo(t, sig, kp, dsig.MakeC14N10RecCanonicalizer())
	if err := verifyRaw(t, docBytes(t, doc), kp, time.Now(), incl); err != nil {
		t.Errorf("inclusive SignedInfo, exclusive Reference: %v", err)
	}

	// An inclusive transform carries no InclusiveNamespaces.
	doc, sig = signInclusive(t, dsig.MakeC14N10RecCanonicalizer())
	trs := sig.FindElements("./SignedInfo/Reference/Transforms/Transform")
	inc := trs[len(trs)-1].CreateElement("ec:InclusiveNamespaces")
	inc.CreateAttr("xmlns:ec", "http://www.w3.org/2001/10/xml-exc-c14n#")
	inc.CreateAttr("PrefixList", "xs")
	if err := verifyRaw(t, docBytes(t, doc), kp, time.Now(), incl); !errors.Is(err, ErrSignatureShape) {
		t.Errorf("inclusive transform with InclusiveNamespaces: %v, want %v", err, ErrSignatureShape)
	}
}

// xmlsecSignedDoc is a response whose Assertion sits where inclusive c14n
// differs most from exclusive c14n and where goxmldsig departs from the
// Recommendation: xml: attributes and unused namespaces on the Response, a
// prefix the Assertion redeclares, attributes of two namespaces on one
// element, a default namespace undone below, and a comment.
const xmlsecSignedDoc = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
	`xmlns:z="urn:a" xmlns:a="urn:z" xmlns:x="urn:outer" xml:lang="en" xml:space="preserve" ID="_r1" Version="2.0" IssueInstant="2026-01-01T12:00:00Z">` +
	`<saml:Issuer>` + testIssuer + `</saml:Issuer>` +
	`<saml:Assertion xmlns:x="urn:inner" xml:lang="de" ID="_a1" Version="2.0" IssueInstant="2026-01-01T12:00:00Z">` +
	`<saml:Issuer>` + testIssuer + `</saml:Issuer>` +
	`<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
	`<ds:CanonicalizationMethod Algorithm="%[1]s"/>` +
	`<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>` +
	`<ds:Reference URI="#_a1"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>` +
	`<ds:Transform Algorithm="%[1]s"/></ds:Transforms>` +
	`<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>` +
	`<ds:SignatureValue/></ds:Signature>` +
	`<saml:Subject><saml:NameID x:k="1" a:b="2" z:c="3" d="4">alice<!-- c --></saml:NameID></saml:Subject>` +
	`<saml:AttributeStatement xmlns="urn:d"><e xmlns=""/></saml:AttributeStatement>` +
	`</saml:Assertion></samlp:Response>`

// TestVerifierAcceptsXMLSecSignatures: xmlsec1 (libxml2's canonicalization,
// an implementation independent of goxmldsig) signs the Assertion of
// xmlsecSignedDoc with inclusive C14N 1.0 and with exclusive c14n, each with
// and without comments; the verifier accepts all four, so it canonicalizes
// as libxml2 does where goxmldsig would not, and digests no comments for a
// same-document Reference. The same documents changed after signing are
// refused.
func TestVerifierAcceptsXMLSecSignatures(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("xmlsec1")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("xmlsec1 is required in CI (Debian package xmlsec1): %v", err)
		}
		t.Skipf("xmlsec1 not installed: %v", err)
	}
	kp := testKey(t)
	keyPEM, err := certs.EncodeKeyPEM(kp.Key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	kf, cf := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(kf, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cf, certs.EncodeCertPEM(kp.Cert), 0o600); err != nil {
		t.Fatal(err)
	}
	incl := testConfig()
	incl.InclusiveC14N = true
	for _, alg := range []dsig.AlgorithmID{dsig.CanonicalXML10RecAlgorithmId, dsig.CanonicalXML10WithCommentsAlgorithmId,
		dsig.CanonicalXML10ExclusiveAlgorithmId, dsig.CanonicalXML10ExclusiveWithCommentsAlgorithmId} {
		in := filepath.Join(dir, "in.xml")
		if err := os.WriteFile(in, []byte(fmt.Sprintf(xmlsecSignedDoc, alg)), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.CommandContext(t.Context(), bin, "--sign", "--privkey-pem", kf+","+cf,
			"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", in).Output()
		if err != nil {
			t.Fatalf("xmlsec1 --sign: %v", err)
		}
		if err := verifyRaw(t, out, kp, time.Now(), incl); err != nil {
			t.Errorf("%s, signed by xmlsec1: %v\n%s", alg, err, out)
		}
		tampered := strings.Replace(string(out), `d="4"`, `d="5"`, 1)
		if err := verifyRaw(t, []byte(tampered), kp, time.Now(), incl); !errors.Is(err, ErrSignature) {
			t.Errorf("%s, signed by xmlsec1 then changed: %v, want %v", alg, err, ErrSignature)
		}
	}
}
