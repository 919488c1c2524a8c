package scenarios_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts"
)

// Each attack starts from a response the real IdP signed for alice, who may
// assume only the lab role, and transforms it the way the attack does. The
// attacker wants the BreakGlass role, which trusts the same provider, under
// the name "admin". A validator that verifies one element and reads another
// would hand out BreakGlass credentials; samlab must answer with AWS's 400
// InvalidIdentityToken instead, and name the defence that fired.

const (
	evilName       = "admin"
	breakGlassRole = "BreakGlass"
)

// attackEnv is one lab with alice's validly signed response and what an
// attacker needs to forge.
type attackEnv struct {
	lab           *scenarios.Lab
	breakGlassARN string
	key           *certs.KeyPair // the IdP's registered signing key
}

// signing selects which elements the IdP signs.
type signing int

const (
	signAssertion signing = iota
	signResponse
	signBoth
	signNeither
)

func (s signing) String() string {
	return [...]string{"assertion-signed", "response-signed", "both-signed", "unsigned"}[s]
}

func (s signing) options() *idp.SigningOptions {
	yes, no := true, false
	switch s {
	case signResponse:
		return &idp.SigningOptions{SignAssertion: &no, SignResponse: &yes}
	case signBoth:
		return &idp.SigningOptions{SignAssertion: &yes, SignResponse: &yes}
	case signNeither:
		return &idp.SigningOptions{SignAssertion: &no, SignResponse: &no}
	}
	return &idp.SigningOptions{SignAssertion: &yes, SignResponse: &no}
}

func newAttackEnv(t *testing.T, b *sts.Behavior) *attackEnv {
	t.Helper()
	lab, err := scenarios.NewLab(scenarios.LabConfig{Keys: certstest.New(), Behavior: b})
	if err != nil {
		t.Fatalf("NewLab: %v", err)
	}
	if err := lab.RegisterProvider(); err != nil {
		t.Fatalf("RegisterProvider: %v", err)
	}
	role, err := lab.Account.CreateRole(iam.CreateRoleInput{Name: breakGlassRole,
		AssumeRolePolicyDocument: iam.SAMLTrustPolicy(lab.ProviderARN)})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	return &attackEnv{lab: lab, breakGlassARN: role.ARN, key: lab.IDP.SigningKey()}
}

// encryptTo registers a private key with the provider (Allowed mode) and
// returns the options with which the IdP encrypts assertions to it. Anyone can
// encrypt to the provider's public key: encryption proves nothing.
func (e *attackEnv) encryptTo(t *testing.T) *idp.EncryptionOptions {
	t.Helper()
	kp, err := certs.New(certs.WithKeySource(certstest.New()), certs.WithBits(3072), certs.WithSubject("sp"))
	if err != nil {
		t.Fatalf("certs.New: %v", err)
	}
	pemKey, err := certs.EncodeKeyPEM(kp.Key)
	if err != nil {
		t.Fatalf("EncodeKeyPEM: %v", err)
	}
	if _, err := e.lab.Account.UpdateProvider(iam.UpdateSAMLProviderInput{ARN: e.lab.ProviderARN,
		AssertionEncryptionMode: iam.EncryptionAllowed, AddPrivateKey: string(pemKey)}); err != nil {
		t.Fatalf("UpdateProvider: %v", err)
	}
	return &idp.EncryptionOptions{Cert: kp.Cert}
}

// signedDoc returns a response the IdP built and signed for u (alice when
// u.Name is empty).
func (e *attackEnv) signedDoc(t *testing.T, s signing, u idp.User, opts idp.ResponseOptions) *etree.Document {
	t.Helper()
	if u.Name == "" {
		u = e.lab.Users[scenarios.DefaultUser]
	}
	if opts.Signing == nil {
		opts.Signing = s.options()
	}
	doc, _, err := e.lab.IDP.ResponseDocument(u, opts)
	if err != nil {
		t.Fatalf("ResponseDocument: %v", err)
	}
	return doc
}

// redeem posts xml to AssumeRoleWithSAML for roleARN.
func (e *attackEnv) redeem(t *testing.T, xml []byte, roleARN string) (*sts.AssumeRoleWithSAMLOutput, error) {
	t.Helper()
	return e.lab.STS.AssumeRoleWithSAML(t.Context(), sts.AssumeRoleWithSAMLInput{
		RoleARN: roleARN, PrincipalARN: e.lab.ProviderARN, SAMLAssertion: base64.StdEncoding.EncodeToString(xml),
	})
}

// evilize rewrites what an attacker wants changed in an Assertion: the
// subject, the session name and the role.
func (e *attackEnv) evilize(assertion *etree.Element) {
	for _, n := range all(assertion, "NameID") {
		n.SetText(evilName)
	}
	for _, a := range all(assertion, "Attribute") {
		switch a.SelectAttrValue("Name", "") {
		case idp.AttrRoleSessionName:
			for _, v := range a.ChildElements() {
				v.SetText(evilName)
			}
		case idp.AttrRole:
			for _, v := range a.ChildElements() {
				v.SetText(e.breakGlassARN + "," + e.lab.ProviderARN)
			}
		}
	}
}

// all returns el and its descendants whose local name is tag, in document
// order.
func all(el *etree.Element, tag string) []*etree.Element {
	var out []*etree.Element
	if el.Tag == tag {
		out = append(out, el)
	}
	for _, c := range el.ChildElements() {
		out = append(out, all(c, tag)...)
	}
	return out
}

func first(t *testing.T, el *etree.Element, tag string) *etree.Element {
	t.Helper()
	found := all(el, tag)
	if len(found) == 0 {
		t.Fatalf("no %s under %s", tag, el.Tag)
	}
	return found[0]
}

func assertionOf(t *testing.T, doc *etree.Document) *etree.Element {
	t.Helper()
	return first(t, doc.Root(), "Assertion")
}

// withoutSignature removes el's first Signature (its own, for a signed
// element) and returns el.
func withoutSignature(el *etree.Element) *etree.Element {
	if sigs := all(el, "Signature"); len(sigs) > 0 {
		sigs[0].Parent().RemoveChild(sigs[0])
	}
	return el
}

// The eight XML Signature Wrapping variants of SAML Raider
// (helpers/XSWHelpers.java), after Somorovsky et al., "On Breaking SAML: Be
// Whoever You Want to Be" (USENIX Security 2012). XSW1-2 wrap a signed
// Response, XSW3-8 a signed Assertion.

func xsw1(e *attackEnv, t *testing.T, doc *etree.Document) {
	resp := doc.Root()
	clone := withoutSignature(resp.Copy())
	e.evilize(first(t, resp, "Assertion"))
	first(t, resp, "Signature").AddChild(clone)
	resp.CreateAttr("ID", "_evil_response_ID")
}

func xsw2(e *attackEnv, t *testing.T, doc *etree.Document) {
	resp := doc.Root()
	clone := withoutSignature(resp.Copy())
	e.evilize(first(t, resp, "Assertion"))
	sig := first(t, resp, "Signature")
	resp.InsertChildAt(sig.Index(), clone)
	resp.CreateAttr("ID", "_evil_response_ID")
}

func xsw3(e *attackEnv, t *testing.T, doc *etree.Document) {
	a := assertionOf(t, doc)
	evil := withoutSignature(a.Copy())
	e.evilize(evil)
	evil.CreateAttr("ID", "_evil_assertion_ID")
	doc.Root().InsertChildAt(a.Index(), evil)
}

func xsw4(e *attackEnv, t *testing.T, doc *etree.Document) {
	a := assertionOf(t, doc)
	evil := withoutSignature(a.Copy())
	e.evilize(evil)
	evil.CreateAttr("ID", "_evil_assertion_ID")
	doc.Root().AddChild(evil)
	doc.Root().RemoveChild(a)
	evil.AddChild(a)
}

func xsw5(e *attackEnv, t *testing.T, doc *etree.Document) {
	evil := assertionOf(t, doc)
	original := withoutSignature(evil.Copy())
	e.evilize(evil)
	doc.Root().AddChild(original)
	evil.CreateAttr("ID", "_evil_assertion_ID")
}

func xsw6(e *attackEnv, t *testing.T, doc *etree.Document) {
	evil := assertionOf(t, doc)
	sig := first(t, evil, "Signature")
	original := withoutSignature(evil.Copy())
	e.evilize(evil)
	sig.AddChild(original)
	evil.CreateAttr("ID", "_evil_assertion_ID")
}

func xsw7(e *attackEnv, t *testing.T, doc *etree.Document) {
	a := assertionOf(t, doc)
	ext := etree.NewElement("Extensions")
	doc.Root().InsertChildAt(a.Index(), ext)
	evil := withoutSignature(a.Copy())
	e.evilize(evil)
	ext.AddChild(evil)
}

func xsw8(e *attackEnv, t *testing.T, doc *etree.Document) {
	evil := assertionOf(t, doc)
	sig := first(t, evil, "Signature")
	original := withoutSignature(evil.Copy())
	e.evilize(evil)
	obj := etree.NewElement("Object")
	sig.AddChild(obj)
	obj.AddChild(original)
}

// resign recomputes the SignatureValue of sig over its (edited) SignedInfo
// with the IdP's registered key: the signature an IdP would have produced for
// that SignedInfo. It models a signature whose shape is odd but genuine.
func resign(t *testing.T, sig *etree.Element, key *certs.KeyPair) {
	t.Helper()
	si := first(t, sig, "SignedInfo")
	ctx, err := etreeutils.NSBuildParentContext(si)
	if err != nil {
		t.Fatalf("namespace context: %v", err)
	}
	det, err := etreeutils.NSDetatch(ctx, si)
	if err != nil {
		t.Fatalf("detach SignedInfo: %v", err)
	}
	canonical, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(det)
	if err != nil {
		t.Fatalf("canonicalize SignedInfo: %v", err)
	}
	sctx, err := dsig.NewSigningContext(key.Key, [][]byte{key.Cert.Raw})
	if err != nil {
		t.Fatalf("signing context: %v", err)
	}
	if err := sctx.SetSignatureMethod(first(t, si, "SignatureMethod").SelectAttrValue("Algorithm", "")); err != nil {
		t.Fatalf("signature method: %v", err)
	}
	raw, err := sctx.SignString(string(canonical))
	if err != nil {
		t.Fatalf("sign SignedInfo: %v", err)
	}
	first(t, sig, "SignatureValue").SetText(base64.StdEncoding.EncodeToString(raw))
}

// signWith signs el (enveloped, right after its Issuer) with key and the given
// canonicalizer, as goxmldsig would for an IdP configured that way.
func signWith(t *testing.T, el *etree.Element, key *certs.KeyPair, c dsig.Canonicalizer) {
	t.Helper()
	ctx, err := dsig.NewSigningContext(key.Key, [][]byte{key.Cert.Raw})
	if err != nil {
		t.Fatalf("signing context: %v", err)
	}
	ctx.Canonicalizer = c
	sig, err := ctx.ConstructSignature(el, true)
	if err != nil {
		t.Fatalf("sign %s: %v", el.Tag, err)
	}
	el.InsertChildAt(first(t, el, "Issuer").Index()+1, sig)
}

// foreignKey returns a key pair no metadata publishes. Fixture keys come in a
// fixed order, so it uses a size the lab's IdP does not.
func foreignKey() (*certs.KeyPair, error) {
	return certs.New(certs.WithKeySource(certstest.New()), certs.WithBits(3072), certs.WithSubject("mallory"))
}

// splitText replaces el's text with before + <!----> + after, where before is
// the text up to and including cut. Exclusive c14n drops comments, so the
// signature still verifies; a reader that stops at the first text node sees
// only before.
func splitText(t *testing.T, el *etree.Element, cut string) {
	t.Helper()
	text := el.Text()
	i := strings.Index(text, cut)
	if i < 0 {
		t.Fatalf("%q not in %q", cut, text)
	}
	before, after := text[:i+len(cut)], text[i+len(cut):]
	el.Child = nil
	el.CreateText(before)
	el.CreateComment("")
	el.CreateText(after)
}

func attributeValue(t *testing.T, doc *etree.Document, name string) *etree.Element {
	t.Helper()
	for _, a := range all(doc.Root(), "Attribute") {
		if a.SelectAttrValue("Name", "") == name {
			return first(t, a, "AttributeValue")
		}
	}
	t.Fatalf("no attribute %s", name)
	return nil
}

func serialize(t *testing.T, doc *etree.Document) []byte {
	t.Helper()
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return out
}

// attackCase is one row of TestAttacksAreRejected.
type attackCase struct {
	name    string
	signing signing
	user    func(e *attackEnv) idp.User // default alice
	// attack transforms the signed document; it returns the bytes to post
	// (nil: serialize doc).
	attack func(e *attackEnv, t *testing.T, doc *etree.Document) []byte
	// role is the role requested (default BreakGlass, the attacker's goal).
	role     func(e *attackEnv) string
	behavior func(b *sts.Behavior)
	// cause is the validator error the rejection must wrap (nil: any).
	cause error
}

func wrap(f func(e *attackEnv, t *testing.T, doc *etree.Document)) func(*attackEnv, *testing.T, *etree.Document) []byte {
	return func(e *attackEnv, t *testing.T, doc *etree.Document) []byte {
		f(e, t, doc)
		return nil
	}
}

func xswCases() []attackCase {
	var out []attackCase
	type variant struct {
		name  string
		f     func(*attackEnv, *testing.T, *etree.Document)
		signs []signing
		cause error
	}
	for _, v := range []variant{
		{"XSW1", xsw1, []signing{signResponse, signBoth}, sts.ErrDuplicateID},
		{"XSW2", xsw2, []signing{signResponse, signBoth}, sts.ErrDuplicateID},
		{"XSW3", xsw3, []signing{signAssertion, signBoth}, sts.ErrAssertionCount},
		{"XSW4", xsw4, []signing{signAssertion, signBoth}, nil},
		{"XSW5", xsw5, []signing{signAssertion, signBoth}, sts.ErrAssertionCount},
		{"XSW6", xsw6, []signing{signAssertion, signBoth}, sts.ErrAssertionCount},
		{"XSW7", xsw7, []signing{signAssertion, signBoth}, sts.ErrDuplicateID},
		{"XSW8", xsw8, []signing{signAssertion, signBoth}, sts.ErrDuplicateID},
	} {
		for _, s := range v.signs {
			out = append(out, attackCase{name: v.name + "/" + s.String(), signing: s, attack: wrap(v.f), cause: v.cause})
		}
	}
	return out
}

func TestAttacksAreRejected(t *testing.T) {
	t.Parallel()
	cases := append(xswCases(), []attackCase{
		{
			name: "tampered assertion, no wrapping", signing: signAssertion, cause: sts.ErrSignature,
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) { e.evilize(assertionOf(t, doc)) }),
		},
		{
			name: "tampered response-signed assertion", signing: signResponse, cause: sts.ErrSignature,
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) { e.evilize(assertionOf(t, doc)) }),
		},
		{
			name: "signature stripped", signing: signAssertion, cause: sts.ErrNoSignature,
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				e.evilize(withoutSignature(assertionOf(t, doc)))
			}),
		},
		{
			name: "evil assertion keeps the original ID beside the signed one", signing: signAssertion, cause: sts.ErrDuplicateID,
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				evil := withoutSignature(a.Copy())
				e.evilize(evil)
				doc.Root().InsertChildAt(a.Index(), evil)
			}),
		},
		{
			name: "response reuses the signed assertion's ID", signing: signAssertion, cause: sts.ErrDuplicateID,
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				doc.Root().CreateAttr("ID", assertionOf(t, doc).SelectAttrValue("ID", ""))
			}),
		},
		{
			name: "evil assertion under another prefix for the SAML namespace", signing: signAssertion, cause: sts.ErrAssertionCount,
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				evil := withoutSignature(a.Copy())
				e.evilize(evil)
				evil.Space = "evil"
				evil.CreateAttr("xmlns:evil", "urn:oasis:names:tc:SAML:2.0:assertion")
				evil.CreateAttr("ID", "_evil_assertion_ID")
				doc.Root().InsertChildAt(a.Index(), evil)
			}),
		},
		{
			// Ignored as foreign, so the genuine assertion is read: it does
			// not grant BreakGlass.
			name: "evil assertion in a foreign namespace placed first", signing: signAssertion, cause: nil,
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				evil := withoutSignature(a.Copy())
				e.evilize(evil)
				evil.Space = "evil"
				evil.CreateAttr("xmlns:evil", "urn:evil")
				evil.CreateAttr("ID", "_evil_assertion_ID")
				doc.Root().InsertChildAt(a.Index(), evil)
			}),
		},
		{
			name: "signed assertion wrapped in an unsigned one with the same ID", signing: signAssertion, cause: sts.ErrDuplicateID,
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				evil := withoutSignature(a.Copy())
				e.evilize(evil)
				doc.Root().InsertChildAt(a.Index(), evil)
				doc.Root().RemoveChild(a)
				evil.AddChild(a)
			}),
		},
		{
			// goxmldsig finds a Signature anywhere below the element.
			name: "signature moved into a wrapper inside the assertion", signing: signAssertion, cause: sts.ErrSignaturePlacement,
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				sig := first(t, a, "Signature")
				a.RemoveChild(sig)
				w := a.CreateElement("Wrapper")
				w.AddChild(sig)
			}),
		},
		{
			name: "signature moved to the end of the assertion", signing: signAssertion, cause: sts.ErrSignaturePlacement,
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				sig := first(t, a, "Signature")
				a.RemoveChild(sig)
				a.AddChild(sig)
			}),
		},
		{
			name: "signature moved before the assertion's Issuer", signing: signAssertion, cause: sts.ErrSignaturePlacement,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				sig := first(t, a, "Signature")
				a.RemoveChild(sig)
				a.InsertChildAt(0, sig)
			}),
		},
		{
			name: "assertion signature copied onto the response", signing: signAssertion, cause: sts.ErrReference,
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				sig := first(t, assertionOf(t, doc), "Signature").Copy()
				doc.Root().InsertChildAt(first(t, doc.Root(), "Issuer").Index()+1, sig)
			}),
		},
		{
			name: "foreign key with its own KeyInfo certificate", signing: signAssertion, cause: sts.ErrUnregisteredKeyInfo,
			attack: func(e *attackEnv, t *testing.T, _ *etree.Document) []byte {
				u := e.lab.Users[scenarios.DefaultUser]
				u.Roles = []idp.Role{{RoleARN: e.breakGlassARN, ProviderARN: e.lab.ProviderARN}}
				resp, err := e.lab.IDP.FaultyResponse(u, idp.ResponseOptions{}, idp.FaultForeignKey)
				if err != nil {
					t.Fatalf("FaultyResponse: %v", err)
				}
				return resp.XML
			},
		},
		{
			name: "foreign key signature claiming the registered certificate", signing: signAssertion, cause: sts.ErrSignature,
			attack: func(e *attackEnv, t *testing.T, _ *etree.Document) []byte {
				u := e.lab.Users[scenarios.DefaultUser]
				u.Roles = []idp.Role{{RoleARN: e.breakGlassARN, ProviderARN: e.lab.ProviderARN}}
				foreign, err := foreignKey()
				if err != nil {
					t.Fatalf("certs.New: %v", err)
				}
				doc, _, err := e.lab.IDP.ResponseDocument(u, idp.ResponseOptions{Key: foreign})
				if err != nil {
					t.Fatalf("ResponseDocument: %v", err)
				}
				first(t, doc.Root(), "X509Certificate").SetText(base64.StdEncoding.EncodeToString(e.key.Cert.Raw))
				return serialize(t, doc)
			},
		},
		{
			name: "genuine signature with a foreign KeyInfo certificate", signing: signAssertion, cause: sts.ErrUnregisteredKeyInfo,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				foreign, err := foreignKey()
				if err != nil {
					t.Fatalf("certs.New: %v", err)
				}
				first(t, doc.Root(), "X509Certificate").SetText(base64.StdEncoding.EncodeToString(foreign.Cert.Raw))
			}),
		},
		{
			// goxmldsig treats URI="" as the element passed to it.
			name: `reference URI "" signed by the IdP key`, signing: signAssertion, cause: sts.ErrReference,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				sig := first(t, assertionOf(t, doc), "Signature")
				first(t, sig, "Reference").CreateAttr("URI", "")
				resign(t, sig, e.key)
			}),
		},
		{
			// goxmldsig compares only URI[1:] with the ID.
			name: "reference URI without its #, signed by the IdP key", signing: signAssertion, cause: sts.ErrReference,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				sig := first(t, assertionOf(t, doc), "Signature")
				ref := first(t, sig, "Reference")
				ref.CreateAttr("URI", "x"+ref.SelectAttrValue("URI", "")[1:])
				resign(t, sig, e.key)
			}),
		},
		{
			name: "reference pointing at another element", signing: signResponse, cause: sts.ErrReference,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				sig := first(t, doc.Root(), "Signature")
				first(t, sig, "Reference").CreateAttr("URI", "#"+assertionOf(t, doc).SelectAttrValue("ID", ""))
				resign(t, sig, e.key)
			}),
		},
		{
			name: "second reference in SignedInfo", signing: signAssertion, cause: sts.ErrSignatureShape,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				sig := first(t, assertionOf(t, doc), "Signature")
				ref := first(t, sig, "Reference")
				extra := ref.Copy()
				extra.CreateAttr("URI", "#"+doc.Root().SelectAttrValue("ID", ""))
				ref.Parent().InsertChildAt(ref.Index(), extra)
				resign(t, sig, e.key)
			}),
		},
		{
			name: "XPath transform added", signing: signAssertion, cause: sts.ErrAlgorithm,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				sig := first(t, assertionOf(t, doc), "Signature")
				tr := first(t, sig, "Transforms").CreateElement("Transform")
				tr.Space = "ds"
				tr.CreateAttr("Algorithm", "http://www.w3.org/2002/06/xmldsig-filter2")
				resign(t, sig, e.key)
			}),
		},
		{
			name: "enveloped-signature transform only", signing: signAssertion, cause: sts.ErrAlgorithm,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				sig := first(t, assertionOf(t, doc), "Signature")
				trs := all(sig, "Transform")
				trs[len(trs)-1].Parent().RemoveChild(trs[len(trs)-1])
				resign(t, sig, e.key)
			}),
		},
		{
			name: "inclusive c14n 1.1 signed by the IdP key", signing: signNeither, cause: sts.ErrAlgorithm,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				signWith(t, assertionOf(t, doc), e.key, dsig.MakeC14N11Canonicalizer())
			}),
		},
		{
			name: "unknown signature method", signing: signAssertion, cause: sts.ErrAlgorithm,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				first(t, doc.Root(), "SignatureMethod").CreateAttr("Algorithm", "http://www.w3.org/2000/09/xmldsig#hmac-sha1")
			}),
		},
		{
			name: "SHA-1 when the provider rejects it", signing: signAssertion, cause: sts.ErrSHA1,
			role:     func(e *attackEnv) string { return e.lab.RoleARN },
			behavior: func(b *sts.Behavior) { b.AllowSHA1 = false },
			attack: func(e *attackEnv, t *testing.T, _ *etree.Document) []byte {
				yes := true
				doc := e.signedDoc(t, signAssertion, idp.User{}, idp.ResponseOptions{Signing: &idp.SigningOptions{
					SignAssertion: &yes, SignatureMethod: idp.SignatureRSASHA1, DigestMethod: idp.DigestSHA1}})
				return serialize(t, doc)
			},
		},
		{
			name: "object element inside the signature", signing: signAssertion, cause: sts.ErrSignatureShape,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				o := first(t, assertionOf(t, doc), "Signature").CreateElement("Object")
				o.Space = "ds"
			}),
		},
		{
			// The comment splits the role: a reader that stops at the first
			// text node sees provider,BreakGlass; the signed value names
			// BreakGlassX, which does not exist.
			name: "comment injected into the Role value", signing: signAssertion, cause: nil,
			user: func(e *attackEnv) idp.User {
				return idp.User{Name: "mallory", Roles: []idp.Role{{RoleARN: e.lab.ProviderARN, ProviderARN: e.breakGlassARN + "X"}}}
			},
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				splitText(t, attributeValue(t, doc, idp.AttrRole), ":role/"+breakGlassRole)
			}),
		},
		{
			name: "unsigned evil assertion encrypted to the provider's key", signing: signNeither, cause: sts.ErrNoSignature,
			attack: func(e *attackEnv, t *testing.T, _ *etree.Document) []byte {
				no := false
				doc := e.signedDoc(t, signNeither, idp.User{}, idp.ResponseOptions{Encryption: e.encryptTo(t),
					Signing: &idp.SigningOptions{SignAssertion: &no, SignResponse: &no}, EditAssertion: e.evilize})
				return serialize(t, doc)
			},
		},
		{
			name: "XSW4 inside an EncryptedAssertion", signing: signNeither, cause: sts.ErrAssertionCount,
			attack: func(e *attackEnv, t *testing.T, _ *etree.Document) []byte {
				genuine := assertionOf(t, e.signedDoc(t, signAssertion, idp.User{}, idp.ResponseOptions{})).Copy()
				no := false
				doc := e.signedDoc(t, signNeither, idp.User{}, idp.ResponseOptions{Encryption: e.encryptTo(t),
					Signing: &idp.SigningOptions{SignAssertion: &no, SignResponse: &no},
					EditAssertion: func(a *etree.Element) {
						e.evilize(a)
						a.AddChild(genuine)
					}})
				return serialize(t, doc)
			},
		},
		{
			name: "encrypted and plaintext assertion side by side", signing: signAssertion, cause: sts.ErrAssertionCount,
			attack: func(e *attackEnv, t *testing.T, doc *etree.Document) []byte {
				no := false
				enc := e.signedDoc(t, signNeither, idp.User{}, idp.ResponseOptions{Encryption: e.encryptTo(t),
					Signing: &idp.SigningOptions{SignAssertion: &no, SignResponse: &no}, EditAssertion: e.evilize})
				a := assertionOf(t, doc)
				doc.Root().InsertChildAt(a.Index(), first(t, enc.Root(), "EncryptedAssertion").Copy())
				return serialize(t, doc)
			},
		},
		{
			name: "entity declaration", signing: signAssertion, cause: sts.ErrDTD,
			attack: func(e *attackEnv, t *testing.T, doc *etree.Document) []byte {
				attributeValue(t, doc, idp.AttrRole).SetText("&role;")
				out := strings.Replace(string(serialize(t, doc)), "&amp;role;", "&role;", 1)
				dtd := `<!DOCTYPE samlp:Response [<!ENTITY role "` + e.breakGlassARN + "," + e.lab.ProviderARN + `">]>`
				return []byte(strings.Replace(out, "?>", "?>"+dtd, 1))
			},
		},
		{
			name: "lower-case doctype with spaces", signing: signAssertion, cause: sts.ErrDTD,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: func(e *attackEnv, t *testing.T, doc *etree.Document) []byte {
				return []byte(strings.Replace(string(serialize(t, doc)), "?>", "?>\n<!doctype   x >", 1))
			},
		},
		{
			name: "external entity", signing: signAssertion, cause: sts.ErrDTD,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: func(e *attackEnv, t *testing.T, doc *etree.Document) []byte {
				return []byte(strings.Replace(string(serialize(t, doc)), "?>", `?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>`, 1))
			},
		},
		{
			name: "processing instruction in NameID", signing: signAssertion, cause: sts.ErrProcInst,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				first(t, doc.Root(), "NameID").CreateProcInst("evil", "x")
			}),
		},
		{
			name: "second XML declaration", signing: signAssertion, cause: sts.ErrProcInst,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: func(e *attackEnv, t *testing.T, doc *etree.Document) []byte {
				return append([]byte(`<?xml version="1.0"?>`+"\n"), serialize(t, doc)...)
			},
		},
		{
			name: "UTF-16 declared over UTF-8 bytes", signing: signAssertion, cause: sts.ErrMalformedXML,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: func(e *attackEnv, t *testing.T, doc *etree.Document) []byte {
				return []byte(strings.Replace(string(serialize(t, doc)), `encoding="UTF-8"`, `encoding="UTF-16"`, 1))
			},
		},
		{
			name: "duplicate ID attribute on the assertion", signing: signAssertion, cause: sts.ErrMalformedXML,
			attack: func(e *attackEnv, t *testing.T, doc *etree.Document) []byte {
				id := assertionOf(t, doc).SelectAttrValue("ID", "")
				return []byte(strings.Replace(string(serialize(t, doc)), `ID="`+id+`"`, `ID="`+id+`" ID="_other"`, 1))
			},
		},
		{
			name: "prefixed ID attribute beside the real one", signing: signAssertion, cause: sts.ErrReference,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				a := assertionOf(t, doc)
				a.CreateAttr("xmlns:x", "urn:x")
				a.Attr = append([]etree.Attr{{Space: "x", Key: "ID", Value: "_evil"}}, a.Attr...)
			}),
		},
		{
			name: "undeclared prefix", signing: signAssertion, cause: sts.ErrMalformedXML,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				doc.Root().CreateElement("evil:Extensions")
			}),
		},
		{
			name: "deep nesting in an unsigned element", signing: signAssertion, cause: sts.ErrXMLLimit,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				el := doc.Root().CreateElement("samlp:Extensions")
				for range 200 {
					el = el.CreateElement("x")
				}
			}),
		},
		{
			name: "too many elements", signing: signAssertion, cause: sts.ErrXMLLimit,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				ext := doc.Root().CreateElement("samlp:Extensions")
				for range 6000 {
					ext.CreateElement("x")
				}
			}),
		},
		{
			name: "unsigned response", signing: signNeither, cause: sts.ErrNoSignature,
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) { e.evilize(assertionOf(t, doc)) }),
		},
		{
			name: "response-only signature when the provider wants a signed assertion", signing: signResponse, cause: sts.ErrNoSignature,
			role:     func(e *attackEnv) string { return e.lab.RoleARN },
			behavior: func(b *sts.Behavior) { b.AcceptResponseSignature = false },
		},
		{
			name: "encrypted assertion beside the signed one", signing: signAssertion, cause: sts.ErrEncryptedAssertion,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				doc.Root().CreateElement("saml:EncryptedAssertion")
			}),
		},
		{
			name: "not a response", signing: signAssertion, cause: sts.ErrNotResponse,
			role: func(e *attackEnv) string { return e.lab.RoleARN },
			attack: func(e *attackEnv, t *testing.T, doc *etree.Document) []byte {
				d := etree.NewDocument()
				d.SetRoot(assertionOf(t, doc))
				return append(serialize(t, d), []byte("<!-- "+"urn:oasis:names:tc:SAML:2.0:protocol -->")...)
			},
		},
	}...)
	cases = append(cases, inclusiveAttackCases()...)

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := sts.DefaultBehavior()
			if tc.behavior != nil {
				tc.behavior(&b)
			}
			e := newAttackEnv(t, &b)
			var u idp.User
			if tc.user != nil {
				u = tc.user(e)
			}
			doc := e.signedDoc(t, tc.signing, u, idp.ResponseOptions{})
			var xml []byte
			if tc.attack != nil {
				xml = tc.attack(e, t, doc)
			}
			if xml == nil {
				xml = serialize(t, doc)
			}
			role := e.breakGlassARN
			if tc.role != nil {
				role = tc.role(e)
			}
			start := time.Now()
			out, err := e.redeem(t, xml, role)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("AssumeRoleWithSAML took %v", d)
			}
			if err == nil {
				t.Fatalf("AssumeRoleWithSAML accepted the attack: assumed %s as %q", out.AssumedRoleUser.ARN, out.Subject)
			}
			var apiErr *awsapi.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("AssumeRoleWithSAML error %v is not an *awsapi.Error", err)
			}
			if apiErr.Code != awsapi.CodeInvalidIdentityToken || apiErr.Status != http.StatusBadRequest {
				t.Errorf("AssumeRoleWithSAML = %s %d, want %s %d (%v)", apiErr.Code, apiErr.Status,
					awsapi.CodeInvalidIdentityToken, http.StatusBadRequest, err)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("AssumeRoleWithSAML error %v, want cause %v", err, tc.cause)
			}
		})
	}
}

// TestGenuineResponsesAreAccepted checks the other side of every defence:
// what real IdPs send still works, and values are read as the signed bytes
// mean them.
func TestGenuineResponsesAreAccepted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		signing signing
		user    idp.User
		opts    func(e *attackEnv, t *testing.T) idp.ResponseOptions
		edit    func(e *attackEnv, t *testing.T, doc *etree.Document)
		// wantSubject and wantSession are the NameID and RoleSessionName the
		// result must carry (default alice).
		wantSubject, wantSession string
	}{
		{name: "assertion signed", signing: signAssertion},
		{name: "response signed", signing: signResponse},
		{name: "both signed", signing: signBoth},
		{
			name: "signed assertion, encrypted", signing: signAssertion,
			opts: func(e *attackEnv, t *testing.T) idp.ResponseOptions {
				return idp.ResponseOptions{Encryption: e.encryptTo(t)}
			},
		},
		{
			name: "KeyInfo removed", signing: signAssertion,
			edit: func(e *attackEnv, t *testing.T, doc *etree.Document) {
				ki := first(t, doc.Root(), "KeyInfo")
				ki.Parent().RemoveChild(ki)
			},
		},
		{
			name: "exclusive c14n with comments", signing: signNeither,
			edit: func(e *attackEnv, t *testing.T, doc *etree.Document) {
				signWith(t, assertionOf(t, doc), e.key, dsig.MakeC14N10ExclusiveWithCommentsCanonicalizerWithPrefixList(""))
			},
		},
		{
			name: "comment injected into NameID reads the whole signed value", signing: signAssertion,
			user: idp.User{Name: "alice.evil", Roles: nil},
			edit: func(e *attackEnv, t *testing.T, doc *etree.Document) {
				splitText(t, first(t, doc.Root(), "NameID"), "alice")
				splitText(t, attributeValue(t, doc, idp.AttrRoleSessionName), "alice")
			},
			wantSubject: "alice.evil", wantSession: "alice.evil",
		},
		{
			name: "comment injected into a response-signed NameID", signing: signResponse,
			user: idp.User{Name: "alice.evil"},
			edit: func(e *attackEnv, t *testing.T, doc *etree.Document) {
				splitText(t, first(t, doc.Root(), "NameID"), "alice")
			},
			wantSubject: "alice.evil", wantSession: "alice.evil",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newAttackEnv(t, nil)
			u := tt.user
			if u.Name != "" {
				u.Roles = []idp.Role{{RoleARN: e.lab.RoleARN, ProviderARN: e.lab.ProviderARN}}
			}
			var opts idp.ResponseOptions
			if tt.opts != nil {
				opts = tt.opts(e, t)
			}
			doc := e.signedDoc(t, tt.signing, u, opts)
			if tt.edit != nil {
				tt.edit(e, t, doc)
			}
			out, err := e.redeem(t, serialize(t, doc), e.lab.RoleARN)
			if err != nil {
				t.Fatalf("AssumeRoleWithSAML: %v", err)
			}
			wantSubject, wantSession := tt.wantSubject, tt.wantSession
			if wantSubject == "" {
				wantSubject, wantSession = scenarios.DefaultUser, scenarios.DefaultUser
			}
			if out.Subject != wantSubject {
				t.Errorf("Subject = %q, want %q", out.Subject, wantSubject)
			}
			if !strings.HasSuffix(out.AssumedRoleUser.ARN, "/"+wantSession) {
				t.Errorf("AssumedRoleUser.ARN = %q, want session %q", out.AssumedRoleUser.ARN, wantSession)
			}
		})
	}
}
