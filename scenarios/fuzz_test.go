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

// FuzzAssumeRoleWithSAML feeds SAML responses (raw XML; the target encodes
// base64) to AssumeRoleWithSAML of a lab whose provider is registered.
// Properties: no panic or hang; every rejection is an *awsapi.Error with a 4xx
// status; and an accepted response yields one of the identities the IdP
// really signed (subject and assumed-role ARN), so no mutation that keeps a
// signature valid can change who is logged in. Seeds: responses the lab's
// IdP signs at start in every signing mode, plus known attack shapes;
// regressions live in testdata/fuzz/FuzzAssumeRoleWithSAML.
func FuzzAssumeRoleWithSAML(f *testing.F) {
	// A fixed clock and seeded randomness make the seed responses the same on
	// every run; the clock never moves, so they never expire.
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	lab, err := scenarios.NewLab(scenarios.LabConfig{Keys: certstest.New(), Start: start,
		Rand: &lockedRand{r: rand.NewChaCha8([32]byte{'s', 'a', 'm', 'l', 'a', 'b'})}})
	if err != nil {
		f.Fatal(err)
	}
	if err := lab.RegisterProvider(); err != nil {
		f.Fatal(err)
	}
	redeem := func(ctx context.Context, xml []byte) (*sts.AssumeRoleWithSAMLOutput, error) {
		return lab.STS.AssumeRoleWithSAML(ctx, sts.AssumeRoleWithSAMLInput{
			RoleARN: lab.RoleARN, PrincipalARN: lab.ProviderARN, SAMLAssertion: base64.StdEncoding.EncodeToString(xml)})
	}
	type identity struct{ subject, arn string }
	genuine := map[identity]bool{}

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
			for _, n := range all(evil, "NameID") {
				n.SetText("admin")
			}
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
		out, err := redeem(f.Context(), xml)
		if s.valid != (err == nil) {
			f.Fatalf("seed %d: AssumeRoleWithSAML error %v, want valid=%v", i, err, s.valid)
		}
		if err == nil {
			genuine[identity{out.Subject, out.AssumedRoleUser.ARN}] = true
		}
		f.Add(xml)
	}

	f.Fuzz(func(t *testing.T, xml []byte) {
		out, err := redeem(t.Context(), xml)
		if err != nil {
			var apiErr *awsapi.Error
			if !errors.As(err, &apiErr) || apiErr.Status < 400 || apiErr.Status > 499 || apiErr.Message == "" {
				t.Fatalf("AssumeRoleWithSAML error %v: want an *awsapi.Error with a 4xx status and a message", err)
			}
			return
		}
		if got := (identity{out.Subject, out.AssumedRoleUser.ARN}); !genuine[got] {
			t.Fatalf("AssumeRoleWithSAML accepted an identity the IdP never signed: %+v", got)
		}
	})
}
