package certs_test

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
)

// FuzzLoadCA: any pair of files is read without a panic, and a CA that
// loads issues server certificates that verify against it.
func FuzzLoadCA(f *testing.F) {
	src := certstest.New()
	ca, err := certs.NewCA(certs.WithKeySource(src))
	if err != nil {
		f.Fatal(err)
	}
	keyPEM, err := ca.KeyPEM()
	if err != nil {
		f.Fatal(err)
	}
	leaf, err := certs.New(certs.WithKeySource(src))
	if err != nil {
		f.Fatal(err)
	}
	leafKey, _ := certs.EncodeKeyPEM(leaf.Key)
	f.Add(ca.CertPEM(), keyPEM)
	f.Add(certs.EncodeCertPEM(leaf.Cert), leafKey)
	f.Add(ca.CertPEM(), leafKey)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), keyPEM)
	f.Fuzz(func(t *testing.T, certPEM, keyPEM []byte) {
		loaded, err := certs.LoadCA(certPEM, keyPEM)
		if err != nil {
			return
		}
		tc, err := loaded.IssueTLS("sts.amazonaws.com")
		if err != nil {
			return // a CA certificate whose own constraints forbid the name or key
		}
		pool := x509.NewCertPool()
		pool.AddCert(loaded.Cert)
		at := tc.Leaf.NotBefore.Add(time.Minute)
		c := loaded.Cert
		unconstrained := certs.ValidAt(c, at) && len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 &&
			len(c.PermittedDNSDomains)+len(c.ExcludedDNSDomains) == 0
		if _, err := tc.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "sts.amazonaws.com", CurrentTime: at}); err != nil && unconstrained {
			t.Fatalf("a leaf of the loaded CA does not verify: %v", err)
		}
	})
}
