//go:debug x509negativeserial=1

package iam_test

import (
	"crypto/x509"
	"net/http"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/metadata"
)

// TestProviderWithNegativeSerial registers IdP metadata whose signing
// certificate has a negative serial number, as .NET IdPs' certificates can.
// AWS registers such IdPs; Go's crypto/x509 refuses the certificate unless
// GODEBUG x509negativeserial=1, which the directive above sets for this test
// binary and cmd/samlab sets for the samlab program.
func TestProviderWithNegativeSerial(t *testing.T) {
	t.Parallel()
	key, err := certstest.New().Key(2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := certstest.NegativeSerialCertDER(key, "ADFS Signing - adfs.example.com", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse the negative-serial certificate: %v", err)
	}
	if cert.SerialNumber.Sign() >= 0 {
		t.Fatalf("serial = %v, want a negative one", cert.SerialNumber)
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Fatalf("the certificate's own signature does not verify: %v", err)
	}
	md, err := metadata.Build(metadata.IDP{EntityID: "http://adfs.example.com/adfs/services/trust", SSOURL: "https://adfs.example.com/adfs/ls/",
		SigningCerts: []*x509.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	s := newIAMServer(t, nil)
	r := s.call(t, "CreateSAMLProvider", kv("Name", "adfs", "SAMLMetadataDocument", string(md)))
	if r.status != http.StatusOK {
		t.Fatalf("CreateSAMLProvider = %d %s %q, want the provider registered", r.status, r.code, r.message)
	}
	p, err := s.account.SAMLProvider(s.account.ProviderARN("adfs"))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Metadata.SigningCerts; len(got) != 1 || got[0].SerialNumber.Cmp(cert.SerialNumber) != 0 {
		t.Errorf("registered signing certificates = %v, want the negative-serial one", got)
	}
}
