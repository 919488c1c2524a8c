// Package certs makes and reads the keys and X.509 certificates that sign SAML
// responses and appear in IdP metadata: RSA keys, self-signed certificates with
// chosen validity windows (including already-expired ones, for rotation and
// expiry scenarios), PEM encoding and the SHA-1/SHA-256 fingerprints that IdP
// consoles show.
//
// CA (NewCA, LoadCA, CA.Issue, CA.IssueTLS) is a small local certificate
// authority for serving HTTPS on loopback under real host names, to clients
// told to trust its certificate.
//
// Key generation costs about 100 ms for RSA-2048, so everything that needs many
// keys takes a KeySource: GeneratedKeys for real use, and the fixture keys of
// package certstest for tests and scenarios.
package certs
