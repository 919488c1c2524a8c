package metadata_test

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/metadata"
)

func newCerts(t *testing.T, n int) []*x509.Certificate {
	t.Helper()
	src := certstest.New()
	var out []*x509.Certificate
	for range n {
		kp, err := certs.New(certs.WithKeySource(src))
		if err != nil {
			t.Fatalf("certs.New: %v", err)
		}
		out = append(out, kp.Cert)
	}
	return out
}

func fingerprints(cs []*x509.Certificate) []string {
	var out []string
	for _, c := range cs {
		out = append(out, certs.FingerprintSHA256(c))
	}
	return out
}

func TestBuildParseRoundTrip(t *testing.T) {
	t.Parallel()
	cs := newCerts(t, 3)
	validUntil := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		in   metadata.IDP
	}{
		{"one signing cert", metadata.IDP{EntityID: "https://idp.example/md", SSOURL: "https://idp.example/sso", SigningCerts: cs[:1]}},
		{"rollover: two signing certs", metadata.IDP{EntityID: "urn:idp", SigningCerts: cs[:2]}},
		{"signing and encryption", metadata.IDP{EntityID: "urn:idp", SigningCerts: cs[:1], EncryptionCerts: cs[2:], ValidUntil: validUntil,
			NameIDFormats: []string{"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, err := metadata.Build(tt.in)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			got, err := metadata.Parse(doc)
			if err != nil {
				t.Fatalf("Parse(Build(...)): %v\n%s", err, doc)
			}
			if got.EntityID != tt.in.EntityID {
				t.Errorf("EntityID = %q, want %q", got.EntityID, tt.in.EntityID)
			}
			if diff := cmp.Diff(fingerprints(tt.in.SigningCerts), fingerprints(got.SigningCerts)); diff != "" {
				t.Errorf("signing certs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(fingerprints(tt.in.EncryptionCerts), fingerprints(got.EncryptionCerts)); diff != "" {
				t.Errorf("encryption certs (-want +got):\n%s", diff)
			}
			if tt.in.ValidUntil.IsZero() && strings.Contains(string(doc), "validUntil") {
				t.Errorf("Build wrote validUntil although none was set:\n%s", doc)
			}
			if !got.ValidUntil.Equal(tt.in.ValidUntil) {
				t.Errorf("ValidUntil = %s, want %s", got.ValidUntil, tt.in.ValidUntil)
			}
			if tt.in.SSOURL != "" && (len(got.SSOURLs) != 2 || got.SSOURLs[0] != tt.in.SSOURL) {
				t.Errorf("SSOURLs = %q, want two entries of %q", got.SSOURLs, tt.in.SSOURL)
			}
			// Build of the parsed result is stable.
			again, err := metadata.Build(metadata.IDP{EntityID: got.EntityID, SSOURL: tt.in.SSOURL, SigningCerts: got.SigningCerts,
				EncryptionCerts: got.EncryptionCerts, ValidUntil: got.ValidUntil, NameIDFormats: tt.in.NameIDFormats})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(doc), string(again)); diff != "" {
				t.Errorf("Build(Parse(Build(x))) differs (-first +second):\n%s", diff)
			}
		})
	}
}

// A KeyDescriptor without use= serves for both signing and encryption (SAML
// Metadata §2.4.1.1); real IdPs (ADFS, Keycloak) publish such metadata.
func TestParseKeyDescriptorWithoutUse(t *testing.T) {
	t.Parallel()
	c := newCerts(t, 1)[0]
	doc := `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="urn:keycloak">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
` + certs.Base64(c) + `
    </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`
	got, err := metadata.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(got.SigningCerts) != 1 || len(got.EncryptionCerts) != 1 || !got.SigningCerts[0].Equal(c) {
		t.Errorf("got %d signing, %d encryption certs; want the one cert in both", len(got.SigningCerts), len(got.EncryptionCerts))
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	good, err := metadata.Build(metadata.IDP{EntityID: "urn:idp", SigningCerts: newCerts(t, 1)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		doc      string
		sentinel error  // when set, errors.Is must hold
		mention  string // the error names what was wrong
	}{
		{"not xml", "hello", nil, "well-formed"},
		{"junk before the declaration", "junk" + string(good), nil, "must start with '<'"},
		{"byte order mark", "\xEF\xBB\xBF" + string(good), metadata.ErrBOM, ""},
		{"truncated", string(good[:len(good)/2]), nil, "well-formed"},
		{"doctype", `<!DOCTYPE x [<!ENTITY a "b">]>` + string(good), metadata.ErrDTD, ""},
		{"billion laughs", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>`, metadata.ErrDTD, ""},
		{"sp metadata only", `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="urn:sp"><SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></EntityDescriptor>`, metadata.ErrNoIDPDescriptor, ""},
		{"wrong root", `<foo xmlns="urn:x"/>`, nil, "root element"},
		{"no entityID", `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"><IDPSSODescriptor/></EntityDescriptor>`, nil, "entityID"},
		{"bad certificate", `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="urn:idp"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>QUJD</X509Certificate></X509Data></KeyInfo></KeyDescriptor></IDPSSODescriptor></EntityDescriptor>`,
			nil, "X509Certificate[0]"},
		{"too large", string(good) + strings.Repeat(" ", metadata.MaxSize), metadata.ErrTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := metadata.Parse([]byte(tt.doc))
			if err == nil {
				t.Fatalf("Parse succeeded, want error")
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("Parse = %v, want errors.Is %v", err, tt.sentinel)
			}
			if tt.mention != "" && !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("Parse = %v, want it to mention %q", err, tt.mention)
			}
		})
	}
}

func TestBuildRejects(t *testing.T) {
	t.Parallel()
	if _, err := metadata.Build(metadata.IDP{SigningCerts: newCerts(t, 1)}); err == nil {
		t.Errorf("Build without entityID succeeded")
	}
	if _, err := metadata.Build(metadata.IDP{EntityID: "urn:idp"}); !errors.Is(err, metadata.ErrNoSigningCert) {
		t.Errorf("Build without certs = %v, want ErrNoSigningCert", err)
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	cs := newCerts(t, 3)
	parse := func(entity string, signing ...*x509.Certificate) *metadata.EntityDescriptor {
		doc, err := metadata.Build(metadata.IDP{EntityID: entity, SigningCerts: signing})
		if err != nil {
			t.Fatal(err)
		}
		ed, err := metadata.Parse(doc)
		if err != nil {
			t.Fatal(err)
		}
		return ed
	}
	registered := parse("urn:idp", cs[0])
	rotated := parse("urn:idp", cs[1])
	rollover := parse("urn:idp", cs[0], cs[1])

	if d := metadata.Compare(registered, registered); !d.Equal() {
		t.Errorf("Compare(x, x) = %+v, want equal", d)
	}
	d := metadata.Compare(registered, rotated)
	if d.Equal() || len(d.OnlyInA) != 1 || len(d.OnlyInB) != 1 || len(d.Common) != 0 {
		t.Errorf("Compare(registered, rotated) = %+v, want one cert on each side only", d)
	}
	d = metadata.Compare(registered, rollover)
	if d.Equal() || len(d.Common) != 1 || len(d.OnlyInB) != 1 || len(d.OnlyInA) != 0 {
		t.Errorf("Compare(registered, rollover) = %+v, want one common, one new", d)
	}
	if d := metadata.Compare(registered, parse("urn:other", cs[0])); d.Equal() {
		t.Errorf("Compare with a different entityID reports equal")
	}
}
