// Package xmlsectest builds signed SAML documents for the tests of the
// verifier and of the STS pipeline on top of it: one response template, one
// fixed fixture key, and signing as an IdP signs (enveloped, exclusive c14n,
// the Signature right after the Issuer), with goxmldsig.
package xmlsectest

import (
	"crypto"
	"fmt"
	mathrand "math/rand/v2"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
)

// Issuer is the IdP entityID of Response.
const Issuer = "https://idp.example.com/metadata"

// Response is a minimal Response with one Assertion; %s goes inside the
// Assertion, after its Subject.
const Response = `<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" IssueInstant="2026-01-01T12:00:00Z">
  <saml:Issuer>` + Issuer + `</saml:Issuer>
  <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
  <saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" Version="2.0" IssueInstant="2026-01-01T12:00:00Z">
    <saml:Issuer>` + Issuer + `</saml:Issuer>
    <saml:Subject><saml:NameID>alice</saml:NameID></saml:Subject>%s
  </saml:Assertion>
</samlp:Response>`

// Key returns a fixture key pair with a certificate valid from 2026 to 2046.
// Key, serial and validity are fixed, so signed documents (fuzz corpora
// included) stay valid from run to run.
func Key(tb testing.TB) *certs.KeyPair {
	tb.Helper()
	kp, err := certs.New(certs.WithKeySource(certstest.New()),
		certs.WithValidity(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2046, 1, 1, 0, 0, 0, 0, time.UTC)),
		certs.WithRand(mathrand.NewChaCha8([32]byte{'s', 't', 's'})))
	if err != nil {
		tb.Fatalf("certs.New: %v", err)
	}
	return kp
}

// Sign signs el in place (enveloped, exclusive c14n, right after its Issuer)
// with kp, hashing with h, as an IdP does, and returns the Signature.
func Sign(tb testing.TB, el *etree.Element, kp *certs.KeyPair, h crypto.Hash) *etree.Element {
	tb.Helper()
	ctx, err := dsig.NewSigningContext(kp.Key, [][]byte{kp.Cert.Raw})
	if err != nil {
		tb.Fatalf("signing context: %v", err)
	}
	ctx.Hash = h
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	nsCtx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		tb.Fatalf("namespace context: %v", err)
	}
	detached, err := etreeutils.NSDetatch(nsCtx, el)
	if err != nil {
		tb.Fatalf("detach: %v", err)
	}
	sig, err := ctx.ConstructSignature(detached, true)
	if err != nil {
		tb.Fatalf("sign: %v", err)
	}
	at := 0
	if iss := el.SelectElement("Issuer"); iss != nil {
		at = iss.Index() + 1
	}
	el.InsertChildAt(at, sig)
	return sig
}

// SignedResponse returns Response with extra inside the Assertion, the
// Assertion signed by kp with goxmldsig (enveloped, exclusive c14n, after
// the Issuer), as a SAML IdP signs.
func SignedResponse(tb testing.TB, kp *certs.KeyPair, extra string) []byte {
	tb.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(fmt.Sprintf(Response, extra)); err != nil {
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
