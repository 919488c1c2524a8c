package xmlsec

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/internal/xmlsec/xmlsectest"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// The shared response template, fixture key and signers (xmlsectest).
const (
	testIssuer   = xmlsectest.Issuer
	testResponse = xmlsectest.Response
)

var (
	testKey        = xmlsectest.Key
	signedResponse = xmlsectest.SignedResponse
)

func TestVerifiedAssertionReadsTheSignedElement(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	doc, err := parseXML(signedResponse(t, kp, ""))
	if err != nil {
		t.Fatalf("parseXML: %v", err)
	}
	a, err := verifyDoc(doc, []*x509.Certificate{kp.Cert}, time.Now(), testConfig())
	if err != nil {
		t.Fatalf("verifiedAssertion: %v", err)
	}
	if got := Text(Child(Child(a, NSAssertion, "Subject"), NSAssertion, "NameID")); got != "alice" {
		t.Errorf("verified NameID = %q, want alice", got)
	}
	if Child(a, NSDSig, "Signature") != nil {
		t.Error("verified element still carries its Signature; want the digested bytes")
	}
}

// TestVerifiedAssertionInheritsNamespaces checks detach: an Assertion that
// uses the saml prefix declared only on the Response, and was signed in that
// context (as IdPs that declare namespaces once at the top do), verifies.
func TestVerifiedAssertionInheritsNamespaces(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	doc := etree.NewDocument()
	tmpl := strings.Replace(fmt.Sprintf(testResponse, ""), `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"`, `<saml:Assertion`, 1)
	if err := doc.ReadFromString(tmpl); err != nil {
		t.Fatalf("parse template: %v", err)
	}
	a := doc.Root().SelectElement("Assertion")
	if a.SelectAttr("xmlns:saml") != nil {
		t.Fatal("template still declares saml on the Assertion")
	}
	ctx, err := etreeutils.NSBuildParentContext(a)
	if err != nil {
		t.Fatalf("namespace context: %v", err)
	}
	detached, err := etreeutils.NSDetatch(ctx, a)
	if err != nil {
		t.Fatalf("detach: %v", err)
	}
	sctx, err := dsig.NewSigningContext(kp.Key, [][]byte{kp.Cert.Raw})
	if err != nil {
		t.Fatalf("signing context: %v", err)
	}
	sctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	sig, err := sctx.ConstructSignature(detached, true)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	a.InsertChildAt(a.SelectElement("Issuer").Index()+1, sig)
	raw, err := doc.WriteToBytes()
	if err != nil {
		t.Fatalf("serialize: %v", err)
	}
	parsed, err := parseXML(raw)
	if err != nil {
		t.Fatalf("parseXML: %v", err)
	}
	if _, err := verifyDoc(parsed, []*x509.Certificate{kp.Cert}, time.Now(), testConfig()); err != nil {
		t.Fatalf("verifiedAssertion: %v", err)
	}
}

func TestParseXMLRejects(t *testing.T) {
	t.Parallel()
	const resp = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r"%s>%s</samlp:Response>`
	tests := []struct {
		name string
		xml  string
		want error
	}{
		{"doctype", `<!DOCTYPE r>` + fmt.Sprintf(resp, "", ""), ErrDTD},
		{"doctype lower case", `<!doctype r>` + fmt.Sprintf(resp, "", ""), ErrDTD},
		{"doctype after space", "<?xml version=\"1.0\"?>\n  <!  DOCTYPE r>" + fmt.Sprintf(resp, "", ""), ErrDTD},
		{"entity in the body", fmt.Sprintf(resp, "", `<!ENTITY a "b">`), ErrDTD},
		{"billion laughs", `<!DOCTYPE l [<!ENTITY l "l"><!ENTITY l2 "&l;&l;">]>` + fmt.Sprintf(resp, "", "&l2;"), ErrDTD},
		{"processing instruction", fmt.Sprintf(resp, "", `<?php echo 1 ?>`), ErrProcInst},
		{"processing instruction before the root", `<?xml-stylesheet href="x"?>` + fmt.Sprintf(resp, "", ""), ErrProcInst},
		{"xml declaration not first", "\n<?xml version=\"1.0\"?>" + fmt.Sprintf(resp, "", ""), ErrProcInst},
		{"non-UTF-8 encoding", `<?xml version="1.0" encoding="ISO-8859-1"?>` + fmt.Sprintf(resp, "", ""), ErrMalformedXML},
		{"duplicate attribute", fmt.Sprintf(resp, ` ID="_s"`, ""), ErrMalformedXML},
		{"duplicate namespaced attribute", fmt.Sprintf(resp, ` xmlns:a="urn:x" xmlns:b="urn:x" a:k="1" b:k="2"`, ""), ErrMalformedXML},
		{"duplicate namespace declaration", fmt.Sprintf(resp, ` xmlns:a="urn:x" xmlns:a="urn:y"`, ""), ErrMalformedXML},
		{"undeclared element prefix", fmt.Sprintf(resp, "", `<x:a/>`), ErrMalformedXML},
		{"undeclared attribute prefix", fmt.Sprintf(resp, ` x:a="1"`, ""), ErrMalformedXML},
		{"xmlns prefix declared", fmt.Sprintf(resp, ` xmlns:xmlns="urn:x"`, ""), ErrMalformedXML},
		{"xml prefix rebound", fmt.Sprintf(resp, ` xmlns:xml="urn:x"`, ""), ErrMalformedXML},
		{"xml namespace bound to another prefix", fmt.Sprintf(resp, ` xmlns:x="http://www.w3.org/XML/1998/namespace"`, ""), ErrMalformedXML},
		{"empty prefixed declaration", fmt.Sprintf(resp, ` xmlns:x=""`, ""), ErrMalformedXML},
		{"two roots", fmt.Sprintf(resp, "", "") + `<a/>`, ErrMalformedXML},
		{"text after the root", fmt.Sprintf(resp, "", "") + `junk`, ErrMalformedXML},
		{"unclosed", `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">`, ErrMalformedXML},
		{"undefined entity", fmt.Sprintf(resp, "", "&x;"), ErrMalformedXML},
		{"too deep", fmt.Sprintf(resp, "", strings.Repeat("<a>", lim.Depth)+strings.Repeat("</a>", lim.Depth)), ErrXMLLimit},
		{"too many elements", fmt.Sprintf(resp, "", strings.Repeat("<a/>", lim.Elements)), ErrXMLLimit},
		{"too many attributes", fmt.Sprintf(resp, manyAttrs("a", lim.AttrsPerElement), ""), ErrXMLLimit},
		{"too many namespaces in scope", fmt.Sprintf(resp, manyAttrs("xmlns:p", lim.NamespacesInScope), ""), ErrXMLLimit},
		{"too large", fmt.Sprintf(resp, "", strings.Repeat(" ", lim.Bytes)), ErrXMLLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseXML([]byte(tt.xml))
			if !errors.Is(err, tt.want) {
				t.Errorf("parseXML(%.80q) = %v, want %v", tt.xml, err, tt.want)
			}
		})
	}
}

func TestParseXMLAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, xml string }{
		{"bare", `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`},
		{"declaration and comments", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- c -->\n<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"><!-- c --></samlp:Response>\n"},
		{"byte order mark", "\xef\xbb\xbf<?xml version=\"1.0\"?><samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"/>"},
		{"CDATA and xml:lang", `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xml:lang="en"><![CDATA[<x>]]></samlp:Response>`},
		{"default namespace undeclared", `<Response xmlns="urn:oasis:names:tc:SAML:2.0:protocol"><a xmlns=""/></Response>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := parseXML([]byte(tt.xml)); err != nil {
				t.Errorf("parseXML(%q) = %v, want success", tt.xml, err)
			}
		})
	}
}

func manyAttrs(name string, n int) string {
	var sb strings.Builder
	for i := range n + 1 {
		fmt.Fprintf(&sb, ` %s%d="urn:x%d"`, name, i, i)
	}
	return sb.String()
}

// TestAdversarialInputsAreBounded replays a genuine signature over the largest
// content the parser admits, built to make canonicalization and namespace
// handling work hardest: the SignedInfo verifies, so goxmldsig canonicalizes
// and digests the attacker's element. Each must be refused quickly.
func TestAdversarialInputsAreBounded(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	var ns strings.Builder
	for i := range lim.NamespacesInScope - 4 {
		fmt.Fprintf(&ns, ` xmlns:p%d="urn:p%d"`, i, i)
	}
	wide := `<saml:Advice` + ns.String() + `>` + strings.Repeat(`<p1:e p2:a=""/>`, lim.Elements-100) + `</saml:Advice>`
	deep := strings.Repeat(`<p0:d xmlns:p0="urn:q">`, lim.Depth-8) + strings.Repeat(`</p0:d>`, lim.Depth-8)
	text := `<saml:Advice>` + strings.Repeat("&amp;&#x41;", 6000) + `</saml:Advice>`
	tests := []struct{ name, extra string }{
		{"many elements under many namespaces", wide},
		{"deep nesting redeclaring a prefix", deep},
		{"long text of references", text},
	}
	genuine := signedResponse(t, kp, "")
	sigStart := strings.Index(string(genuine), "<ds:Signature")
	sigEnd := strings.Index(string(genuine), "</ds:Signature>") + len("</ds:Signature>")
	sig := string(genuine[sigStart:sigEnd])
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The genuine Signature, replayed over different content.
			forged := strings.Replace(fmt.Sprintf(testResponse, tt.extra),
				"</saml:Issuer>\n    <saml:Subject>", "</saml:Issuer>"+sig+"<saml:Subject>", 1)
			if len(forged) > lim.Bytes {
				t.Fatalf("test input is %d bytes, over the %d limit", len(forged), lim.Bytes)
			}
			start := time.Now()
			doc, err := parseXML([]byte(forged))
			if err == nil {
				_, err = verifyDoc(doc, []*x509.Certificate{kp.Cert}, time.Now(), testConfig())
			}
			elapsed := time.Since(start)
			if !errors.Is(err, ErrSignature) {
				t.Errorf("verification = %v, want %v", err, ErrSignature)
			}
			// About 0.1 s on one core, ten times that under -race; a
			// super-linear path would take minutes.
			if elapsed > 10*time.Second {
				t.Errorf("verification took %v", elapsed)
			}
			t.Logf("%d bytes refused in %v", len(forged), elapsed)
		})
	}
}

// FuzzParseXML feeds documents to parseXML and, when they parse, to
// verifiedAssertion with the key that signed the seeds. Properties: no panic;
// and an accepted document's verified Assertion names the subject the seed
// signed. Seeds: signed responses; regressions live in
// testdata/fuzz/FuzzParseXML.
func FuzzParseXML(f *testing.F) {
	kp := testKey(f)
	registered := []*x509.Certificate{kp.Cert}
	f.Add(signedResponse(f, kp, ""))
	f.Add(signedResponse(f, kp, `<saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>alice</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>`))
	f.Add([]byte(fmt.Sprintf(testResponse, "")))
	f.Fuzz(func(t *testing.T, raw []byte) {
		doc, err := parseXML(raw)
		if err != nil {
			return
		}
		a, err := verifyDoc(doc, registered, time.Now(), testConfig())
		if err != nil {
			return
		}
		subj := Child(a, NSAssertion, "Subject")
		if subj == nil || Text(Child(subj, NSAssertion, "NameID")) != "alice" {
			t.Fatalf("verifiedAssertion accepted an assertion the key never signed:\n%s", raw)
		}
	})
}

// lim are the limits the tests parse with.
var lim = ResponseLimits()

func parseXML(raw []byte) (*etree.Document, error) { return Parse(raw, lim) }

// testConfig is the configuration most tests verify with: SHA-1 allowed, a
// signed Response accepted, certificate expiry not enforced.
func testConfig() Config {
	return Config{AcceptResponseSignature: true, AllowSHA1: true}
}

// verifyDoc verifies doc with registered certificates at now under cfg and
// returns the verified Assertion.
func verifyDoc(doc *etree.Document, registered []*x509.Certificate, now time.Time, cfg Config) (*etree.Element, error) {
	cfg.Certs = registered
	cfg.Now = func() time.Time { return now }
	v, err := NewVerifier(cfg).Verify(doc)
	if err != nil {
		return nil, err
	}
	return v.Assertion, nil
}
