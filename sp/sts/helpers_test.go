package sts

import (
	"crypto"
	mathrand "math/rand/v2"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
)

const testIssuer = "https://idp.example.com/metadata"

// testKey returns a fixture key pair with a certificate valid from 2026 to
// 2046. Key, serial and validity are fixed, so signed documents stay valid
// from run to run.
func testKey(tb testing.TB) *certs.KeyPair {
	tb.Helper()
	kp, err := certs.New(certs.WithKeySource(certstest.New()),
		certs.WithValidity(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2046, 1, 1, 0, 0, 0, 0, time.UTC)),
		certs.WithRand(mathrand.NewChaCha8([32]byte{'s', 't', 's'})))
	if err != nil {
		tb.Fatalf("certs.New: %v", err)
	}
	return kp
}

// signEl signs el in place (enveloped, exclusive c14n, right after its
// Issuer) with kp, hashing with h, as an IdP does.
func signEl(tb testing.TB, el *etree.Element, kp *certs.KeyPair, h crypto.Hash) *etree.Element {
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

func docBytes(tb testing.TB, doc *etree.Document) []byte {
	tb.Helper()
	out, err := doc.WriteToBytes()
	if err != nil {
		tb.Fatalf("serialize: %v", err)
	}
	return out
}
