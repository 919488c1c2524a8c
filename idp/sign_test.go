package idp

import (
	"fmt"
	"testing"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
)

const (
	assertionXPath = "//*[local-name()='Assertion']/*[local-name()='Signature']"
	responseXPath  = "/*[local-name()='Response']/*[local-name()='Signature']"
)

// xmlsecVerify checks one signature of the document with xmlsec1 against the
// certificate file only.
func xmlsecVerify(t *testing.T, doc []byte, certFile, xpath string) error {
	t.Helper()
	xmlsec := requireTool(t, "xmlsec1")
	f := writeTemp(t, "response.xml", doc)
	out, err := run(t, xmlsec, "--verify",
		"--pubkey-cert-pem", certFile,
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
		"--node-xpath", xpath, f)
	if err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	return nil
}

// TestSigningInteropXMLSec proves every signing option's output verifies
// with xmlsec1 against the certificate in the exported metadata.
func TestSigningInteropXMLSec(t *testing.T) {
	t.Parallel()
	type tc struct {
		name                 string
		bits                 int
		assertion, response  bool
		sigMethod, digMethod string
	}
	var cases []tc
	for _, bits := range []int{2048, 3072, 4096} {
		for _, which := range []struct {
			name string
			a, r bool
		}{{"assertion", true, false}, {"response", false, true}, {"both", true, true}} {
			for _, sm := range []string{SignatureRSASHA256, SignatureRSASHA1} {
				for _, dm := range []string{DigestSHA256, DigestSHA1} {
					cases = append(cases, tc{
						name: fmt.Sprintf("rsa%d/%s/sig-%s/digest-%s", bits, which.name, hashName(sm), hashName(dm)),
						bits: bits, assertion: which.a, response: which.r, sigMethod: sm, digMethod: dm,
					})
				}
			}
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			kp, err := certs.New(certs.WithKeySource(certstest.New()), certs.WithBits(c.bits), certs.WithSubject(testEntityID))
			if err != nil {
				t.Fatal(err)
			}
			s := newTestServer(t, func(cfg *Config) { cfg.Key = kp })
			signing := Sign(c.assertion, c.response)
			signing.SignatureMethod, signing.DigestMethod = c.sigMethod, c.digMethod
			resp, err := s.AWSResponse(demoUser(t, "alice"), ResponseOptions{Signing: &signing})
			if err != nil {
				t.Fatalf("AWSResponse: %v", err)
			}
			certFile := exportedCertPEM(t, s)
			if c.assertion {
				if err := xmlsecVerify(t, resp.XML, certFile, assertionXPath); err != nil {
					t.Errorf("assertion signature: %v", err)
				}
			}
			if c.response {
				if err := xmlsecVerify(t, resp.XML, certFile, responseXPath); err != nil {
					t.Errorf("response signature: %v", err)
				}
			}
		})
	}
}

// TestSigningInteropXMLSecRejects makes sure the xmlsec1 check can fail: a
// tampered response, a foreign key and a stale key must not verify against
// the published certificate.
func TestSigningInteropXMLSecRejects(t *testing.T) {
	t.Parallel()
	for _, f := range []Fault{FaultTamper, FaultForeignKey, FaultStaleKey} {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			s := newTestServer(t, nil)
			if _, err := s.Rotate(); err != nil {
				t.Fatal(err)
			}
			resp, err := s.FaultyResponse(demoUser(t, "alice"), ResponseOptions{}, f)
			if err != nil {
				t.Fatalf("FaultyResponse(%s): %v", f, err)
			}
			if err := xmlsecVerify(t, resp.XML, exportedCertPEM(t, s), assertionXPath); err == nil {
				t.Errorf("xmlsec1 verified a response with fault %s", f)
			}
		})
	}
}

func hashName(uri string) string {
	switch uri {
	case SignatureRSASHA256, DigestSHA256:
		return "sha256"
	case SignatureRSASHA1, DigestSHA1:
		return "sha1"
	}
	return uri
}
