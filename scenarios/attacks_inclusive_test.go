package scenarios_test

import (
	"strings"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/sts"
)

// Inclusive C14N 1.0 (accepted by default, sts.Behavior.InclusiveC14N) signs
// more than exclusive c14n: every namespace declaration in scope at the
// signed element, its ancestors' included, and (C14N 1.0) their xml:
// attributes. That changes what an attacker may touch without breaking the
// signature, in both directions:
//   - wrapping: the structural defences run before any cryptography, so the
//     XSW variants must fail the same way whatever the c14n;
//   - grafting: a signed Assertion moved under a Response with other
//     declarations no longer verifies (its digest and SignedInfo's include
//     them);
//   - namespace injection: rebinding a prefix used only inside attribute
//     values (xsi:type="xs:string"), or adding a default namespace above
//     the Assertion, is invisible to exclusive c14n but breaks an inclusive
//     signature;
//   - comments: a same-document Reference drops comments even under the
//     WithComments algorithm, so a comment splitting a value keeps the
//     signature valid and the reader must see the whole signed text.

// signInclusive signs el (enveloped, right after its Issuer) with the IdP's
// key using inclusive C14N 1.0, as a .NET SignedXml IdP does; goxmldsig
// computes the digest and SignedInfo's canonical form where the Signature
// sits, namespaces in scope included.
func signInclusive(t *testing.T, e *attackEnv, el *etree.Element, comments bool) {
	t.Helper()
	c := dsig.MakeC14N10RecCanonicalizer()
	if comments {
		c = dsig.MakeC14N10WithCommentsCanonicalizer()
	}
	signWith(t, el, e.key, c)
}

// withXS declares the xs prefix on the Response and types the Role value
// with it, as IdPs that type attribute values do (the xs binding is then
// used only inside an attribute value).
func withXS(t *testing.T, doc *etree.Document) {
	t.Helper()
	doc.Root().CreateAttr("xmlns:xs", "http://www.w3.org/2001/XMLSchema")
	doc.Root().CreateAttr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
	attributeValue(t, doc, idp.AttrRole).CreateAttr("xsi:type", "xs:string")
}

func inclusiveAttackCases() []attackCase {
	var out []attackCase
	for _, v := range []struct {
		name  string
		f     func(*attackEnv, *testing.T, *etree.Document)
		resp  bool // the Response is signed, not the Assertion
		cause error
	}{
		{"XSW1", xsw1, true, sts.ErrDuplicateID},
		{"XSW2", xsw2, true, sts.ErrDuplicateID},
		{"XSW3", xsw3, false, sts.ErrAssertionCount},
		{"XSW4", xsw4, false, nil},
		{"XSW5", xsw5, false, sts.ErrAssertionCount},
		{"XSW6", xsw6, false, sts.ErrAssertionCount},
		{"XSW7", xsw7, false, sts.ErrDuplicateID},
		{"XSW8", xsw8, false, sts.ErrDuplicateID},
	} {
		out = append(out, attackCase{name: v.name + "/inclusive-c14n", signing: signNeither, cause: v.cause,
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				if v.resp {
					signInclusive(t, e, doc.Root(), false)
				} else {
					signInclusive(t, e, assertionOf(t, doc), false)
				}
				v.f(e, t, doc)
			})})
	}
	lab := func(e *attackEnv) string { return e.lab.RoleARN }
	return append(out, []attackCase{
		{
			name: "inclusive-signed assertion grafted into a Response with another declaration", signing: signNeither,
			cause: sts.ErrSignature, role: lab,
			attack: func(e *attackEnv, t *testing.T, doc *etree.Document) []byte {
				signInclusive(t, e, assertionOf(t, doc), false)
				forged := etree.NewDocument()
				forged.SetRoot(doc.Root().Copy())
				forged.Root().CreateAttr("xmlns:evil", "urn:evil")
				return serialize(t, forged)
			},
		},
		{
			name: "xs rebound above an inclusive-signed assertion", signing: signNeither, cause: sts.ErrSignature, role: lab,
			attack: func(e *attackEnv, t *testing.T, doc *etree.Document) []byte {
				withXS(t, doc)
				signInclusive(t, e, assertionOf(t, doc), false)
				return []byte(strings.Replace(string(serialize(t, doc)), `xmlns:xs="http://www.w3.org/2001/XMLSchema"`, `xmlns:xs="urn:evil"`, 1))
			},
		},
		{
			name: "default namespace injected above an inclusive-signed assertion", signing: signNeither, cause: sts.ErrSignature, role: lab,
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				signInclusive(t, e, assertionOf(t, doc), false)
				doc.Root().CreateAttr("xmlns", "urn:evil")
			}),
		},
		{
			name: "xml:lang added above an inclusive-signed assertion", signing: signNeither, cause: sts.ErrSignature, role: lab,
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				signInclusive(t, e, assertionOf(t, doc), false)
				doc.Root().CreateAttr("xml:lang", "en")
			}),
		},
		{
			name: "exclusive signature relabelled inclusive", signing: signAssertion, cause: sts.ErrSignature, role: lab,
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				trs := all(first(t, assertionOf(t, doc), "Signature"), "Transform")
				trs[len(trs)-1].CreateAttr("Algorithm", string(dsig.CanonicalXML10RecAlgorithmId))
			}),
		},
		{
			name: "inclusive c14n refused when the provider is strict", signing: signNeither, cause: sts.ErrAlgorithm, role: lab,
			behavior: func(b *sts.Behavior) { b.InclusiveC14N = false },
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				signInclusive(t, e, assertionOf(t, doc), false)
			}),
		},
		{
			// As "comment injected into the Role value", under inclusive
			// c14n with comments: the comment is not signed either.
			name: "comment injected into the Role value, inclusive c14n with comments", signing: signNeither, cause: nil,
			user: func(e *attackEnv) idp.User {
				return idp.User{Name: "mallory", Roles: []idp.Role{{RoleARN: e.lab.ProviderARN, ProviderARN: e.breakGlassARN + "X"}}}
			},
			attack: wrap(func(e *attackEnv, t *testing.T, doc *etree.Document) {
				signInclusive(t, e, assertionOf(t, doc), true)
				splitText(t, attributeValue(t, doc, idp.AttrRole), ":role/"+breakGlassRole)
			}),
		},
	}...)
}

// TestInclusiveGenuineResponsesAreAccepted is the other side: inclusive
// signatures by the registered key verify, on the Assertion or the
// Response, with typed values and with a comment splitting a value (read
// whole).
func TestInclusiveGenuineResponsesAreAccepted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		user        string
		edit        func(e *attackEnv, t *testing.T, doc *etree.Document)
		wantSubject string
	}{
		{name: "assertion signed", edit: func(e *attackEnv, t *testing.T, doc *etree.Document) {
			signInclusive(t, e, assertionOf(t, doc), false)
		}},
		{name: "assertion signed, with comments, typed values", edit: func(e *attackEnv, t *testing.T, doc *etree.Document) {
			withXS(t, doc)
			signInclusive(t, e, assertionOf(t, doc), true)
		}},
		{name: "response signed", edit: func(e *attackEnv, t *testing.T, doc *etree.Document) {
			signInclusive(t, e, doc.Root(), false)
		}},
		{name: "comment injected into NameID reads the whole signed value", user: "alice.evil",
			edit: func(e *attackEnv, t *testing.T, doc *etree.Document) {
				signInclusive(t, e, assertionOf(t, doc), true)
				splitText(t, first(t, doc.Root(), "NameID"), "alice")
			}, wantSubject: "alice.evil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newAttackEnv(t, nil)
			var u idp.User
			if tt.user != "" {
				u = idp.User{Name: tt.user, Roles: []idp.Role{{RoleARN: e.lab.RoleARN, ProviderARN: e.lab.ProviderARN}}}
			}
			doc := e.signedDoc(t, signNeither, u, idp.ResponseOptions{})
			tt.edit(e, t, doc)
			out, err := e.redeem(t, serialize(t, doc), e.lab.RoleARN)
			if err != nil {
				t.Fatalf("AssumeRoleWithSAML: %v", err)
			}
			want := tt.wantSubject
			if want == "" {
				want = scenarios.DefaultUser
			}
			if out.Subject != want {
				t.Errorf("Subject = %q, want %q", out.Subject, want)
			}
		})
	}
}
