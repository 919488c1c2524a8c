package metadata_test

import (
	"bytes"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/metadata"
)

// FuzzParse feeds metadata documents to metadata.Parse. Properties: no panic;
// a document that parses and has a signing certificate survives
// Parse→Build→Parse with its entityID, certificates, first SSO URL, NameID
// formats and validUntil (to the millisecond, Build's precision); and a second
// round trip changes nothing. Seeds: documents Build makes, the same wrapped in
// an EntitiesDescriptor and with KeyDescriptors without use; regressions live
// in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	src := certstest.New()
	var cs []*x509.Certificate
	for range 3 {
		kp, err := certs.New(certs.WithKeySource(src))
		if err != nil {
			f.Fatal(err)
		}
		cs = append(cs, kp.Cert)
	}
	docs := []metadata.IDP{
		{EntityID: "https://idp.example.com/metadata", SigningCerts: cs[:1]},
		{EntityID: "https://idp.example.com/metadata", SSOURL: "https://idp.example.com/sso", SigningCerts: cs[:2],
			EncryptionCerts: cs[2:], NameIDFormats: []string{"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"},
			ValidUntil: time.Date(2030, 1, 2, 3, 4, 5, 6_000_000, time.UTC)},
	}
	for _, m := range docs {
		data, err := metadata.Build(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		body := string(data[bytes.IndexByte(data, '\n')+1:])
		f.Add([]byte(`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` + body + `</EntitiesDescriptor>`))
		f.Add([]byte(strings.ReplaceAll(string(data), ` use="signing"`, "")))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		p1, err := metadata.Parse(data)
		if err != nil || len(p1.SigningCerts) == 0 {
			return
		}
		m1 := toIDP(p1)
		p2 := roundTrip(t, m1)
		m2 := toIDP(p2)
		if diff := cmp.Diff(m1, m2, cmpIDP(time.Millisecond)); diff != "" {
			t.Fatalf("Parse(Build(Parse(data))) differs from Parse(data) (-first +second):\n%s", diff)
		}
		m3 := toIDP(roundTrip(t, m2))
		if diff := cmp.Diff(m2, m3, cmpIDP(0)); diff != "" {
			t.Fatalf("second round trip is not stable (-second +third):\n%s", diff)
		}
	})
}

// roundTrip builds m and parses the result, which must succeed.
func roundTrip(t *testing.T, m metadata.IDP) *metadata.EntityDescriptor {
	t.Helper()
	data, err := metadata.Build(m)
	if err != nil {
		t.Fatalf("Build(%+v): %v", m, err)
	}
	p, err := metadata.Parse(data)
	if err != nil {
		t.Fatalf("Parse(Build(...)): %v\n%s", err, data)
	}
	return p
}

// toIDP is what Build supports of a parsed document.
func toIDP(p *metadata.EntityDescriptor) metadata.IDP {
	m := metadata.IDP{EntityID: p.EntityID, SigningCerts: p.SigningCerts, EncryptionCerts: p.EncryptionCerts,
		ValidUntil: p.ValidUntil}
	if len(p.SSOURLs) > 0 {
		m.SSOURL = p.SSOURLs[0]
	}
	for _, d := range p.Raw.IDPSSODescriptors {
		for _, f := range d.NameIDFormats {
			m.NameIDFormats = append(m.NameIDFormats, string(f))
		}
	}
	return m
}

// cmpIDP compares certificates by their DER bytes and validUntil to within
// precision.
func cmpIDP(precision time.Duration) cmp.Option {
	return cmp.Options{
		cmp.Comparer(func(a, b *x509.Certificate) bool { return bytes.Equal(a.Raw, b.Raw) }),
		cmp.Comparer(func(a, b time.Time) bool {
			if precision == 0 {
				return a.Equal(b)
			}
			return a.Truncate(precision).Equal(b.Truncate(precision))
		}),
	}
}
