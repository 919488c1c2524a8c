package certs_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
)

func newTestCA(t *testing.T, opts ...certs.Option) *certs.CA {
	t.Helper()
	ca, err := certs.NewCA(append([]certs.Option{certs.WithKeySource(certstest.New())}, opts...)...)
	if err != nil {
		t.Fatalf("NewCA: %v", err)
	}
	return ca
}

func verifyFor(ca *certs.CA, leaf *x509.Certificate, name string, at time.Time) error {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	_, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: name, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return err
}

// TestCAIssueTLS: a leaf verifies against the CA for exactly its names.
func TestCAIssueTLS(t *testing.T) {
	t.Parallel()
	src := certstest.New() // distinct keys for the two CAs
	ca := newTestCA(t, certs.WithKeySource(src))
	if !ca.Cert.IsCA || ca.Cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Fatalf("CA certificate: IsCA=%v KeyUsage=%v", ca.Cert.IsCA, ca.Cert.KeyUsage)
	}
	tc, err := ca.IssueTLS("sts.amazonaws.com", "sts.eu-west-1.amazonaws.com", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	leaf := tc.Leaf
	if leaf.IsCA {
		t.Error("leaf is a CA certificate")
	}
	now := time.Now()
	for _, name := range []string{"sts.amazonaws.com", "sts.eu-west-1.amazonaws.com", "127.0.0.1"} {
		if err := verifyFor(ca, leaf, name, now); err != nil {
			t.Errorf("verify for %s: %v", name, err)
		}
	}
	for _, name := range []string{"signin.aws.amazon.com", "sts.us-east-1.amazonaws.com", "evil.example", "127.0.0.2"} {
		if err := verifyFor(ca, leaf, name, now); err == nil {
			t.Errorf("leaf verified for %s, a name it does not carry", name)
		}
	}
	// Another CA's leaf does not verify against this one.
	other, err := newTestCA(t, certs.WithKeySource(src)).IssueTLS("sts.amazonaws.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyFor(ca, other.Leaf, "sts.amazonaws.com", now); err == nil {
		t.Error("a leaf of another CA verified")
	}
	// A leaf cannot act as a CA.
	sub := &x509.Certificate{SerialNumber: leaf.SerialNumber, Subject: pkix.Name{CommonName: "x"},
		NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter, DNSNames: []string{"x.example"}}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificate(rand.Reader, sub, leaf, key.Public(), tc.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	grandchild, _ := x509.ParseCertificate(der)
	pool, inter := x509.NewCertPool(), x509.NewCertPool()
	pool.AddCert(ca.Cert)
	inter.AddCert(leaf)
	if _, err := grandchild.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, DNSName: "x.example"}); err == nil {
		t.Error("a certificate signed by a leaf verified")
	}
}

// TestCATLSHandshake serves TLS with an issued certificate and connects with
// a client that trusts only the CA.
func TestCATLSHandshake(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	tc, err := ca.IssueTLS("signin.aws.amazon.com")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{*tc}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM())
	for _, tt := range []struct {
		name   string
		roots  *x509.CertPool
		wantOK bool
	}{
		{"signin.aws.amazon.com", pool, true},
		{"sts.amazonaws.com", pool, false},
		{"signin.aws.amazon.com", x509.NewCertPool(), false},
	} {
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{ServerName: tt.name, RootCAs: tt.roots})
		if c != nil {
			c.Close()
		}
		if (err == nil) != tt.wantOK {
			t.Errorf("handshake as %s: %v, want ok=%v", tt.name, err, tt.wantOK)
		}
	}
}

// TestCAIssueDefaults: Issue works on a copy, fills in the defaults and
// never outlives the CA.
func TestCAIssueDefaults(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	ca := newTestCA(t, certs.WithNow(func() time.Time { return now }),
		certs.WithValidity(now.Add(-time.Hour), now.Add(30*24*time.Hour)))
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, PublicKey: key.Public()}
	leaf, err := ca.Issue(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.SerialNumber != nil || tmpl.NotAfter != (time.Time{}) || tmpl.ExtKeyUsage != nil {
		t.Errorf("Issue changed its template: %+v", tmpl)
	}
	if !leaf.NotBefore.Equal(now.Add(-time.Hour)) || !leaf.NotAfter.Equal(ca.Cert.NotAfter) {
		t.Errorf("leaf validity %s – %s, want %s – the CA's end %s", leaf.NotBefore, leaf.NotAfter, now.Add(-time.Hour), ca.Cert.NotAfter)
	}
	if len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth || leaf.SubjectKeyId == nil ||
		!bytes.Equal(leaf.AuthorityKeyId, ca.Cert.SubjectKeyId) {
		t.Errorf("leaf ExtKeyUsage %v SubjectKeyId %x AuthorityKeyId %x", leaf.ExtKeyUsage, leaf.SubjectKeyId, leaf.AuthorityKeyId)
	}
	if err := verifyFor(ca, leaf, "localhost", now); err != nil {
		t.Error(err)
	}
	if err := verifyFor(ca, leaf, "localhost", now.Add(31*24*time.Hour)); err == nil {
		t.Error("leaf verified after the CA expired")
	}
	for _, bad := range []*x509.Certificate{nil, {Subject: pkix.Name{CommonName: "no key"}}} {
		if _, err := ca.Issue(bad); err == nil {
			t.Errorf("Issue(%v) succeeded", bad)
		}
	}
	if _, err := ca.IssueTLS(); err == nil {
		t.Error("IssueTLS() with no names succeeded")
	}
}

// TestLoadCA: a CA saved as PEM loads back and issues leaves that verify
// against the saved certificate; mismatched or non-CA input is refused.
func TestLoadCA(t *testing.T) {
	t.Parallel()
	src := certstest.New()
	ca := newTestCA(t, certs.WithKeySource(src))
	keyPEM, err := ca.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := certs.LoadCA(ca.CertPEM(), keyPEM)
	if err != nil {
		t.Fatalf("LoadCA: %v", err)
	}
	tc, err := loaded.IssueTLS("sts.amazonaws.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyFor(ca, tc.Leaf, "sts.amazonaws.com", time.Now()); err != nil {
		t.Errorf("leaf of the loaded CA: %v", err)
	}
	otherKey, err := newTestCA(t, certs.WithKeySource(src)).KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	selfSigned, err := certs.New(certs.WithKeySource(src))
	if err != nil {
		t.Fatal(err)
	}
	selfKey, _ := certs.EncodeKeyPEM(selfSigned.Key)
	for name, in := range map[string][2][]byte{
		"another CA's key": {ca.CertPEM(), otherKey},
		"not a CA":         {certs.EncodeCertPEM(selfSigned.Cert), selfKey},
		"no certificate":   {nil, keyPEM},
		"no key":           {ca.CertPEM(), nil},
	} {
		if _, err := certs.LoadCA(in[0], in[1]); err == nil {
			t.Errorf("LoadCA with %s succeeded", name)
		}
	}
}
