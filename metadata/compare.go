package metadata

import (
	"crypto/x509"

	"github.com/samlab-dev/samlab/certs"
)

// Diff is what separates two metadata documents, typically the copy registered
// in IAM (A) and the IdP's current metadata (B).
type Diff struct {
	EntityIDA, EntityIDB string
	// OnlyInA and OnlyInB list the SHA-256 fingerprints of signing certificates
	// present in one document only.
	OnlyInA, OnlyInB []string
	// Common lists fingerprints of signing certificates present in both.
	Common []string
}

// Equal reports whether both documents name the same entity and signing certs.
func (d Diff) Equal() bool {
	return d.EntityIDA == d.EntityIDB && len(d.OnlyInA) == 0 && len(d.OnlyInB) == 0
}

// Compare returns the difference between two parsed metadata documents.
func Compare(a, b *EntityDescriptor) Diff {
	d := Diff{EntityIDA: a.EntityID, EntityIDB: b.EntityID}
	inB := fingerprints(b.SigningCerts)
	inA := fingerprints(a.SigningCerts)
	for _, c := range a.SigningCerts {
		fp := certs.FingerprintSHA256(c)
		if inB[fp] {
			d.Common = append(d.Common, fp)
		} else {
			d.OnlyInA = append(d.OnlyInA, fp)
		}
	}
	for _, c := range b.SigningCerts {
		if fp := certs.FingerprintSHA256(c); !inA[fp] {
			d.OnlyInB = append(d.OnlyInB, fp)
		}
	}
	return d
}

func fingerprints(cs []*x509.Certificate) map[string]bool {
	m := make(map[string]bool, len(cs))
	for _, c := range cs {
		m[certs.FingerprintSHA256(c)] = true
	}
	return m
}
