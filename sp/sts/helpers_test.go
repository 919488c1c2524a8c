package sts

import (
	"testing"

	"github.com/samlab-dev/samlab/internal/xmlsec/xmlsectest"

	"github.com/beevik/etree"
)

const testIssuer = xmlsectest.Issuer

// testKey is the fixed fixture key pair (xmlsectest.Key).
var testKey = xmlsectest.Key

// signEl signs el in place as an IdP does (xmlsectest.Sign).
var signEl = xmlsectest.Sign

func docBytes(tb testing.TB, doc *etree.Document) []byte {
	tb.Helper()
	out, err := doc.WriteToBytes()
	if err != nil {
		tb.Fatalf("serialize: %v", err)
	}
	return out
}
