package sts

import "github.com/samlab-dev/samlab/internal/xmlsec/xmlsectest"

// The shared response template and signer (xmlsectest).
const testResponse = xmlsectest.Response

var signedResponse = xmlsectest.SignedResponse
