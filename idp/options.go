package idp

import (
	"fmt"
	"slices"
)

// ParseSigning builds SigningOptions from their names, as the command line
// spells them: what to sign ("assertion", "response", "both" or "none"), the
// signature method ("rsa-sha256" or "rsa-sha1") and the digest ("sha256" or
// "sha1"). Errors name the value that is not one of them.
func ParseSigning(sign, method, digest string) (SigningOptions, error) {
	var so SigningOptions
	switch sign {
	case "assertion":
		so = Sign(true, false)
	case "response":
		so = Sign(false, true)
	case "both":
		so = Sign(true, true)
	case "none":
		so = Sign(false, false)
	default:
		return so, fmt.Errorf("sign %q: want assertion, response, both or none", sign)
	}
	switch method {
	case "rsa-sha256":
		so.SignatureMethod = SignatureRSASHA256
	case "rsa-sha1":
		so.SignatureMethod = SignatureRSASHA1
	default:
		return so, fmt.Errorf("signature method %q: want rsa-sha256 or rsa-sha1", method)
	}
	switch digest {
	case "sha256":
		so.DigestMethod = DigestSHA256
	case "sha1":
		so.DigestMethod = DigestSHA1
	default:
		return so, fmt.Errorf("digest %q: want sha256 or sha1", digest)
	}
	return so, nil
}

// ParseNameIDFormat returns the NameID format a short name stands for
// ("persistent", "transient", "email" or "emailAddress", "unspecified"), or
// the format itself when it is one of NameIDFormats.
func ParseNameIDFormat(s string) (string, error) {
	switch s {
	case "persistent":
		return NameIDFormatPersistent, nil
	case "transient":
		return NameIDFormatTransient, nil
	case "email", "emailAddress":
		return NameIDFormatEmail, nil
	case "unspecified":
		return NameIDFormatUnspecified, nil
	}
	if slices.Contains(NameIDFormats(), s) {
		return s, nil
	}
	return "", fmt.Errorf("name ID format %q: want persistent, transient, email or unspecified", s)
}
