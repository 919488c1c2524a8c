package metadata_test

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/metadata"
)

func parseBuilt(t *testing.T, m metadata.IDP) *metadata.EntityDescriptor {
	t.Helper()
	doc, err := metadata.Build(m)
	if err != nil {
		t.Fatal(err)
	}
	ed, err := metadata.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	return ed
}

func TestDiffDocuments(t *testing.T) {
	t.Parallel()
	cs := newCerts(t, 4)
	oldSig, newSig, enc, newEnc := cs[0], cs[1], cs[2], cs[3]
	const persistent, email = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	a := parseBuilt(t, metadata.IDP{EntityID: "https://idp.example/md", SSOURL: "https://idp.example/sso",
		SigningCerts: []*x509.Certificate{oldSig}, EncryptionCerts: []*x509.Certificate{enc}, NameIDFormats: []string{persistent}})
	b := parseBuilt(t, metadata.IDP{EntityID: "https://idp.example/md", SSOURL: "https://login.example/sso",
		SigningCerts: []*x509.Certificate{oldSig, newSig}, EncryptionCerts: []*x509.Certificate{newEnc}, NameIDFormats: []string{persistent, email}})
	at := oldSig.NotBefore.Add(time.Hour)
	r := metadata.DiffDocuments(a, b, at)

	type cc struct{ Use, Change, SHA1 string }
	var got []cc
	for _, c := range r.Certificates {
		got = append(got, cc{c.Use, c.Change, c.SHA1})
		if c.SHA256 != certs.FingerprintSHA256(map[string]*x509.Certificate{certs.FingerprintSHA1(oldSig): oldSig, certs.FingerprintSHA1(newSig): newSig,
			certs.FingerprintSHA1(enc): enc, certs.FingerprintSHA1(newEnc): newEnc}[c.SHA1]) || c.Subject == "" || c.Validity != "valid" {
			t.Errorf("certificate %+v: wrong SHA-256, subject or validity", c)
		}
	}
	want := []cc{
		{"signing", metadata.Kept, certs.FingerprintSHA1(oldSig)},
		{"signing", metadata.Added, certs.FingerprintSHA1(newSig)},
		{"encryption", metadata.Removed, certs.FingerprintSHA1(enc)},
		{"encryption", metadata.Added, certs.FingerprintSHA1(newEnc)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("certificates (-want +got):\n%s", diff)
	}
	wantSSO := []metadata.ValueChange{
		{Value: metadata.BindingHTTPRedirect + " https://idp.example/sso", Change: metadata.Removed},
		{Value: metadata.BindingHTTPPost + " https://idp.example/sso", Change: metadata.Removed},
		{Value: metadata.BindingHTTPRedirect + " https://login.example/sso", Change: metadata.Added},
		{Value: metadata.BindingHTTPPost + " https://login.example/sso", Change: metadata.Added},
	}
	if diff := cmp.Diff(wantSSO, r.SSOEndpoints); diff != "" {
		t.Errorf("SSO endpoints (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]metadata.ValueChange{{Value: persistent, Change: metadata.Kept}, {Value: email, Change: metadata.Added}}, r.NameIDFormats); diff != "" {
		t.Errorf("NameID formats (-want +got):\n%s", diff)
	}
	// A response signed by the new key is accepted by B only; by the old
	// key, by both: the rollover is half done, and registering B is safe.
	acc := map[string][2]bool{}
	for _, x := range r.Acceptance {
		acc[x.SignerSHA1] = [2]bool{x.AcceptedA, x.AcceptedB}
	}
	if acc[certs.FingerprintSHA1(oldSig)] != [2]bool{true, true} || acc[certs.FingerprintSHA1(newSig)] != [2]bool{false, true} {
		t.Errorf("acceptance = %v", acc)
	}
	if r.Same || r.EntityIDChanged {
		t.Errorf("Same %v, EntityIDChanged %v; want a difference in signing certificates only", r.Same, r.EntityIDChanged)
	}

	// Same signing certificates and entityID: AWS sees no difference, even
	// though the SSO URL changed.
	c := parseBuilt(t, metadata.IDP{EntityID: "https://idp.example/md", SSOURL: "https://elsewhere.example/sso", SigningCerts: []*x509.Certificate{oldSig}})
	if r := metadata.DiffDocuments(a, c, at); !r.Same {
		t.Errorf("DiffDocuments(same signing certs) = not same: %+v", r)
	}
	// A changed entityID: responses under either issuer are accepted by one
	// side only.
	d := parseBuilt(t, metadata.IDP{EntityID: "https://new.example/md", SigningCerts: []*x509.Certificate{oldSig}})
	r = metadata.DiffDocuments(a, d, oldSig.NotAfter.Add(time.Hour))
	if r.Same || !r.EntityIDChanged || len(r.Acceptance) != 2 || r.Acceptance[0].AcceptedB || r.Acceptance[1].AcceptedA || r.Certificates[0].Validity != "expired" {
		t.Errorf("entityID change: %+v", r)
	}
}
