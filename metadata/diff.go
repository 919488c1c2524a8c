package metadata

import (
	"crypto/x509"
	"slices"
	"time"

	"github.com/samlab-dev/samlab/certs"
)

// Changes of a DiffReport item between document A and document B.
const (
	Added   = "added"   // only in B
	Removed = "removed" // only in A
	Kept    = "kept"    // in both
)

// CertChange is one certificate of either document.
type CertChange struct {
	// Use is "signing" or "encryption" (a KeyDescriptor without use counts
	// as both and appears twice).
	Use    string `json:"use"`
	Change string `json:"change"`
	SHA1   string `json:"sha1"`
	SHA256 string `json:"sha256"`
	// Subject and Issuer are the certificate's distinguished names.
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// Validity is "valid", "expired" or "not yet valid" at the report's At.
	Validity string `json:"validity"`
}

// ValueChange is one string value (an SSO endpoint, a NameID format).
type ValueChange struct {
	Value  string `json:"value"`
	Change string `json:"change"`
}

// Acceptance says whether a response signed by one signing key, issued
// under one entityID, is accepted against each document (AWS's rule: the
// Issuer must be the registered entityID and the signature must verify with
// some registered signing certificate; certificate validity is not checked).
type Acceptance struct {
	SignerSHA1 string `json:"signer_sha1"`
	Subject    string `json:"subject"`
	Issuer     string `json:"issuer"`
	AcceptedA  bool   `json:"accepted_by_a"`
	AcceptedB  bool   `json:"accepted_by_b"`
}

// DiffReport is everything that separates two metadata documents, typically
// the copy registered in IAM (A) and the IdP's current metadata (B).
type DiffReport struct {
	EntityIDA       string        `json:"entity_id_a"`
	EntityIDB       string        `json:"entity_id_b"`
	EntityIDChanged bool          `json:"entity_id_changed"`
	ValidUntilA     time.Time     `json:"valid_until_a,omitzero"`
	ValidUntilB     time.Time     `json:"valid_until_b,omitzero"`
	At              time.Time     `json:"at"`
	Certificates    []CertChange  `json:"certificates"`
	SSOEndpoints    []ValueChange `json:"sso_endpoints"`
	NameIDFormats   []ValueChange `json:"nameid_formats"`
	// Acceptance covers every signing key of either document, issued under
	// each document's entityID.
	Acceptance []Acceptance `json:"acceptance"`
	// Same is true when nothing AWS reads differs (entityID and signing
	// certificates).
	Same bool `json:"same"`
}

// DiffDocuments compares two parsed documents; at is when certificate
// validity is judged. Certificates keep A's order, then B's additions.
func DiffDocuments(a, b *EntityDescriptor, at time.Time) DiffReport {
	r := DiffReport{EntityIDA: a.EntityID, EntityIDB: b.EntityID, EntityIDChanged: a.EntityID != b.EntityID,
		ValidUntilA: a.ValidUntil, ValidUntilB: b.ValidUntil, At: at.UTC()}
	r.Certificates = append(diffCerts("signing", a.SigningCerts, b.SigningCerts, at), diffCerts("encryption", a.EncryptionCerts, b.EncryptionCerts, at)...)
	r.SSOEndpoints = diffValues(ssoEndpoints(a), ssoEndpoints(b))
	r.NameIDFormats = diffValues(nameIDFormats(a), nameIDFormats(b))
	signing := map[string]*x509.Certificate{}
	var order []string
	for _, c := range append(slices.Clone(a.SigningCerts), b.SigningCerts...) {
		fp := certs.FingerprintSHA1(c)
		if _, ok := signing[fp]; !ok {
			signing[fp] = c
			order = append(order, fp)
		}
	}
	issuers := []string{a.EntityID}
	if r.EntityIDChanged {
		issuers = append(issuers, b.EntityID)
	}
	for _, iss := range issuers {
		for _, fp := range order {
			c := signing[fp]
			r.Acceptance = append(r.Acceptance, Acceptance{SignerSHA1: fp, Subject: c.Subject.String(), Issuer: iss,
				AcceptedA: iss == a.EntityID && hasCert(a.SigningCerts, c),
				AcceptedB: iss == b.EntityID && hasCert(b.SigningCerts, c)})
		}
	}
	r.Same = !r.EntityIDChanged
	for _, c := range r.Certificates {
		if c.Use == "signing" && c.Change != Kept {
			r.Same = false
		}
	}
	return r
}

func hasCert(cs []*x509.Certificate, c *x509.Certificate) bool {
	return slices.ContainsFunc(cs, c.Equal)
}

func diffCerts(use string, a, b []*x509.Certificate, at time.Time) []CertChange {
	var out []CertChange
	add := func(c *x509.Certificate, change string) {
		validity := "valid"
		switch {
		case at.Before(c.NotBefore):
			validity = "not yet valid"
		case at.After(c.NotAfter):
			validity = "expired"
		}
		out = append(out, CertChange{Use: use, Change: change, SHA1: certs.FingerprintSHA1(c), SHA256: certs.FingerprintSHA256(c),
			Subject: c.Subject.String(), Issuer: c.Issuer.String(), NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), Validity: validity})
	}
	for _, c := range a {
		if hasCert(b, c) {
			add(c, Kept)
		} else {
			add(c, Removed)
		}
	}
	for _, c := range b {
		if !hasCert(a, c) {
			add(c, Added)
		}
	}
	return out
}

func diffValues(a, b []string) []ValueChange {
	out := []ValueChange{}
	for _, v := range a {
		if slices.Contains(b, v) {
			out = append(out, ValueChange{v, Kept})
		} else {
			out = append(out, ValueChange{v, Removed})
		}
	}
	for _, v := range b {
		if !slices.Contains(a, v) {
			out = append(out, ValueChange{v, Added})
		}
	}
	return out
}

// ssoEndpoints lists "BINDING LOCATION" for every SingleSignOnService.
func ssoEndpoints(ed *EntityDescriptor) []string {
	var out []string
	if ed.Raw == nil {
		return slices.Clone(ed.SSOURLs)
	}
	for _, d := range ed.Raw.IDPSSODescriptors {
		for _, s := range d.SingleSignOnServices {
			out = append(out, s.Binding+" "+s.Location)
		}
	}
	return out
}

func nameIDFormats(ed *EntityDescriptor) []string {
	var out []string
	if ed.Raw == nil {
		return nil
	}
	for _, d := range ed.Raw.IDPSSODescriptors {
		for _, f := range d.NameIDFormats {
			out = append(out, string(f))
		}
	}
	return out
}
