package scenarios_test

import (
	"context"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/sts"
)

// FuzzParse feeds scenario files to scenarios.Parse. Property: no panic, and
// exactly one of the scenario and the error is nil. Seeds: the built-in
// library; regressions live in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("library", "*.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no library scenarios to seed from (%v)", err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("version: 1\nname: x\nsteps:\n  - action: login\n    expect: {code: InvalidIdentityToken, message: Response signature invalid}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := scenarios.Parse("fuzz.yaml", data)
		if (sc == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want exactly one of them nil", sc, err)
		}
	})
}

// lockedRand is a deterministic, concurrency-safe randomness source.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.ChaCha8
}

func (l *lockedRand) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

// fuzzLab is a lab on a fixed clock with seeded randomness, so the responses
// its IdP signs are the same on every run; the clock never moves, so they
// never expire.
type fuzzLab struct {
	lab *scenarios.Lab
	// seeds are responses in every signing mode plus known attack shapes;
	// valid are those AssumeRoleWithSAML accepts.
	seeds, valid [][]byte
	// genuine holds the identities the valid seeds log in as.
	genuine map[fuzzIdentity]bool
}

type fuzzIdentity struct{ subject, arn string }

func newFuzzLab(f *testing.F) *fuzzLab {
	f.Helper()
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	lab, err := scenarios.NewLab(scenarios.LabConfig{Keys: certstest.New(), Start: start,
		Rand: &lockedRand{r: rand.NewChaCha8([32]byte{'s', 'a', 'm', 'l', 'a', 'b'})}})
	if err != nil {
		f.Fatal(err)
	}
	if err := lab.RegisterProvider(); err != nil {
		f.Fatal(err)
	}
	fl := &fuzzLab{lab: lab, genuine: map[fuzzIdentity]bool{}}

	yes, no := true, false
	alice := lab.Users[scenarios.DefaultUser]
	dotted := idp.User{Name: "alice.b", Roles: alice.Roles}
	seeds := []struct {
		user  idp.User
		opts  idp.ResponseOptions
		edit  func(doc *etree.Document)
		valid bool
	}{
		{user: alice, valid: true},
		{user: alice, opts: idp.ResponseOptions{Signing: &idp.SigningOptions{SignAssertion: &no, SignResponse: &yes}}, valid: true},
		{user: alice, opts: idp.ResponseOptions{Signing: &idp.SigningOptions{SignAssertion: &yes, SignResponse: &yes}}, valid: true},
		{user: alice, opts: idp.ResponseOptions{Signing: &idp.SigningOptions{SignAssertion: &yes,
			SignatureMethod: idp.SignatureRSASHA1, DigestMethod: idp.DigestSHA1}}, valid: true},
		{user: alice, opts: idp.ResponseOptions{NameIDFormat: idp.NameIDFormatEmail}, valid: true},
		{user: dotted, valid: true, edit: func(doc *etree.Document) {
			for _, n := range all(doc.Root(), "NameID") {
				n.Child = nil
				n.CreateText("alice")
				n.CreateComment("")
				n.CreateText(".b")
			}
		}},
		{user: alice, edit: func(doc *etree.Document) { // XSW3
			a := all(doc.Root(), "Assertion")[0]
			evil := withoutSignature(a.Copy())
			fuzzEvilize(evil)
			doc.Root().InsertChildAt(a.Index(), evil)
		}},
		{user: alice, opts: idp.ResponseOptions{Signing: &idp.SigningOptions{SignAssertion: &no, SignResponse: &no}}},
	}
	for i, s := range seeds {
		doc, _, err := lab.IDP.ResponseDocument(s.user, s.opts)
		if err != nil {
			f.Fatalf("seed %d: %v", i, err)
		}
		if s.edit != nil {
			s.edit(doc)
		}
		xml, err := doc.WriteToBytes()
		if err != nil {
			f.Fatalf("seed %d: %v", i, err)
		}
		out, err := fl.redeem(f.Context(), xml)
		if s.valid != (err == nil) {
			f.Fatalf("seed %d: AssumeRoleWithSAML error %v, want valid=%v", i, err, s.valid)
		}
		fl.seeds = append(fl.seeds, xml)
		if err == nil {
			fl.valid = append(fl.valid, xml)
			fl.genuine[fuzzIdentity{out.Subject, out.AssumedRoleUser.ARN}] = true
		}
	}
	return fl
}

func (fl *fuzzLab) redeem(ctx context.Context, xml []byte) (*sts.AssumeRoleWithSAMLOutput, error) {
	return fl.lab.STS.AssumeRoleWithSAML(ctx, sts.AssumeRoleWithSAMLInput{RoleARN: fl.lab.RoleARN,
		PrincipalARN: fl.lab.ProviderARN, SAMLAssertion: base64.StdEncoding.EncodeToString(xml)})
}

// check redeems xml and fails t unless it is rejected with a 4xx AWS error or
// accepted as an identity the IdP really signed.
func (fl *fuzzLab) check(t *testing.T, xml []byte) {
	t.Helper()
	out, err := fl.redeem(t.Context(), xml)
	if err != nil {
		var apiErr *awsapi.Error
		if !errors.As(err, &apiErr) || apiErr.Status < 400 || apiErr.Status > 499 || apiErr.Message == "" {
			t.Fatalf("AssumeRoleWithSAML error %v: want an *awsapi.Error with a 4xx status and a message", err)
		}
		return
	}
	if got := (fuzzIdentity{out.Subject, out.AssumedRoleUser.ARN}); !fl.genuine[got] {
		t.Fatalf("AssumeRoleWithSAML accepted an identity the IdP never signed: %+v\n%s", got, xml)
	}
}

// fuzzEvilize sets the NameID and RoleSessionName under el to "admin".
func fuzzEvilize(el *etree.Element) {
	for _, n := range all(el, "NameID") {
		n.SetText(evilName)
	}
	for _, a := range all(el, "Attribute") {
		if a.SelectAttrValue("Name", "") == idp.AttrRoleSessionName {
			for _, v := range a.ChildElements() {
				v.SetText(evilName)
			}
		}
	}
}

// FuzzAssumeRoleWithSAML feeds SAML responses (raw XML; the target encodes
// base64) to AssumeRoleWithSAML of a lab whose provider is registered.
// Properties: no panic or hang; every rejection is an *awsapi.Error with a 4xx
// status; and an accepted response yields one of the identities the IdP
// really signed (subject and assumed-role ARN), so no mutation that keeps a
// signature valid can change who is logged in. Seeds: responses the lab's
// IdP signs at start in every signing mode, plus known attack shapes;
// regressions live in testdata/fuzz/FuzzAssumeRoleWithSAML.
func FuzzAssumeRoleWithSAML(f *testing.F) {
	fl := newFuzzLab(f)
	for _, xml := range fl.seeds {
		f.Add(xml)
	}
	f.Fuzz(fl.check)
}

// FuzzSignatureWrapping explores signature wrapping structurally, where byte
// mutations rarely reach: it applies a sequence of tree operations (copy,
// move or remove an element, copy or change an ID, rewrite the subject under
// an element) to a validly signed response and redeems the result, with the
// properties of FuzzAssumeRoleWithSAML. ops holds three bytes per operation:
// the operation and two element indexes in document order.
func FuzzSignatureWrapping(f *testing.F) {
	fl := newFuzzLab(f)
	for i := range fl.valid {
		f.Add(uint8(i), []byte{})
		f.Add(uint8(i), []byte{opEvilize, 0, 0})
		f.Add(uint8(i), []byte{opCopyBefore, 9, 9, opEvilize, 9, 9})
		f.Add(uint8(i), []byte{opCopyInto, 9, 0, opEvilize, 9, 9, opSetID, 9, 40})
		f.Add(uint8(i), []byte{opMoveInto, 12, 3, opCopyBefore, 3, 3, opEvilize, 3, 3})
	}
	f.Fuzz(func(t *testing.T, seed uint8, ops []byte) {
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(fl.valid[int(seed)%len(fl.valid)]); err != nil {
			t.Fatal(err)
		}
		for i := 0; i+3 <= len(ops) && i < 3*8; i += 3 {
			applyTreeOp(doc, ops[i], ops[i+1], ops[i+2])
		}
		xml, err := doc.WriteToBytes()
		if err != nil {
			return
		}
		fl.check(t, xml)
	})
}

// Tree operations of FuzzSignatureWrapping.
const (
	opCopyInto   = iota // append a copy of a to b
	opCopyBefore        // insert a copy of a before b
	opMoveInto          // move a under b
	opMoveBefore        // move a before b
	opRemove            // remove a
	opSetID             // give b a's ID
	opEvilize           // rewrite the subject under a
	opCount
)

func applyTreeOp(doc *etree.Document, op, x, y byte) {
	var els []*etree.Element
	walkAll(doc.Root(), &els)
	a, b := els[int(x)%len(els)], els[int(y)%len(els)]
	root := doc.Root()
	switch op % opCount {
	case opCopyInto:
		b.AddChild(a.Copy())
	case opCopyBefore:
		if b != root {
			b.Parent().InsertChildAt(b.Index(), a.Copy())
		}
	case opMoveInto:
		if a != root && !within(b, a) {
			a.Parent().RemoveChild(a)
			b.AddChild(a)
		}
	case opMoveBefore:
		if a != root && b != root && !within(b, a) {
			a.Parent().RemoveChild(a)
			b.Parent().InsertChildAt(b.Index(), a)
		}
	case opRemove:
		if a != root {
			a.Parent().RemoveChild(a)
		}
	case opSetID:
		if id := a.SelectAttr("ID"); id != nil {
			b.CreateAttr("ID", id.Value)
		}
	case opEvilize:
		fuzzEvilize(a)
	}
}

func walkAll(el *etree.Element, out *[]*etree.Element) {
	*out = append(*out, el)
	for _, c := range el.ChildElements() {
		walkAll(c, out)
	}
}

// within reports whether el is anc or one of its descendants.
func within(el, anc *etree.Element) bool {
	for p := el; p != nil; p = p.Parent() {
		if p == anc {
			return true
		}
	}
	return false
}
