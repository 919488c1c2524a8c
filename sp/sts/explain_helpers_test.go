package sts

import (
	"fmt"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/samlab-dev/samlab/certs"
)

// testResponse is a minimal Response with one Assertion; %s goes inside the
// Assertion, after its Subject.
const testResponse = `<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" IssueInstant="2026-01-01T12:00:00Z">
  <saml:Issuer>https://idp.example.com/metadata</saml:Issuer>
  <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
  <saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" Version="2.0" IssueInstant="2026-01-01T12:00:00Z">
    <saml:Issuer>https://idp.example.com/metadata</saml:Issuer>
    <saml:Subject><saml:NameID>alice</saml:NameID></saml:Subject>%s
  </saml:Assertion>
</samlp:Response>`

// signedResponse returns testResponse with extra inside the Assertion, the
// Assertion signed by kp with goxmldsig (enveloped, exclusive c14n, after the
// Issuer), as a SAML IdP signs.
func signedResponse(tb testing.TB, kp *certs.KeyPair, extra string) []byte {
	tb.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(fmt.Sprintf(testResponse, extra)); err != nil {
		tb.Fatalf("parse template: %v", err)
	}
	a := doc.Root().SelectElement("Assertion")
	ctx, err := dsig.NewSigningContext(kp.Key, [][]byte{kp.Cert.Raw})
	if err != nil {
		tb.Fatalf("signing context: %v", err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	sig, err := ctx.ConstructSignature(a, true)
	if err != nil {
		tb.Fatalf("sign: %v", err)
	}
	a.InsertChildAt(a.SelectElement("Issuer").Index()+1, sig)
	out, err := doc.WriteToBytes()
	if err != nil {
		tb.Fatalf("serialize: %v", err)
	}
	return out
}
