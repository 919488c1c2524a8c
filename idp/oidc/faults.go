package oidc

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Fault names a deliberate defect in an issued ID token, for reproducing
// the failures a relying party (or AWS STS) must refuse. Names are
// kebab-case and, where the defect is the same, those of the SAML IdP's
// faults (idp.Fault).
type Fault string

// Faults.
const (
	// FaultNone issues a correct token.
	FaultNone Fault = ""
	// FaultExpired issues the token FaultSkew ago with a 5-minute lifetime.
	FaultExpired Fault = "expired"
	// FaultNotYetValid sets nbf (and iat) FaultSkew into the future.
	FaultNotYetValid Fault = "not-yet-valid"
	// FaultWrongAudience sets aud to FaultAudience instead of the client ID.
	FaultWrongAudience Fault = "wrong-audience"
	// FaultWrongIssuer sets iss to FaultIssuer.
	FaultWrongIssuer Fault = "wrong-issuer"
	// FaultForeignKey signs with a fresh key that the JWKS never published,
	// under the current key's kid: the signature does not verify.
	FaultForeignKey Fault = "foreign-key"
	// FaultStaleKey signs with the most recently retired key, under its own
	// kid, which the JWKS no longer publishes (the provider must have rotated).
	FaultStaleKey Fault = "stale-key"
	// FaultUnknownKID signs with the current key but names FaultKeyID as kid.
	FaultUnknownKID Fault = "unknown-kid"
	// FaultTamper changes the sub claim after signing.
	FaultTamper Fault = "tamper"
	// FaultAlgNone sends an unsecured JWT: header alg "none", no signature
	// (RFC 7519 §6).
	FaultAlgNone Fault = "alg-none"
	// FaultHS256PublicKey signs with HS256, using the PEM of the current
	// public key as the HMAC secret: the algorithm-confusion attack.
	FaultHS256PublicKey Fault = "hs256-public-key"
	// FaultNoAudience leaves out aud; azp still names the client, as in a
	// token whose issuer was never asked for an audience.
	FaultNoAudience Fault = "no-aud"
)

// FaultSkew is the clock offset of the expired and not-yet-valid faults, as
// for SAML responses.
const FaultSkew = 10 * time.Minute

// Values injected by faults.
const (
	FaultIssuer   = "https://wrong-issuer.samlab.test/oidc"
	FaultAudience = "wrong-audience.samlab.test"
	FaultKeyID    = "samlab-unknown-kid"
)

// faultLifetime is the lifetime of an expired token (the SAML IdP's default
// assertion lifetime).
const faultLifetime = 5 * time.Minute

var faults = map[Fault]string{
	FaultExpired:        "issue 10 minutes ago with a 5-minute lifetime (expired)",
	FaultNotYetValid:    "set nbf and iat 10 minutes into the future",
	FaultWrongAudience:  "set aud to " + FaultAudience,
	FaultWrongIssuer:    "set iss to " + FaultIssuer,
	FaultForeignKey:     "sign with a key the JWKS never published, under the current kid",
	FaultStaleKey:       "sign with the previous (retired) key",
	FaultUnknownKID:     "name kid " + FaultKeyID + ", which the JWKS does not list",
	FaultTamper:         "change sub after signing",
	FaultAlgNone:        `send an unsigned token with alg "none"`,
	FaultHS256PublicKey: "sign with HS256 using the public key (PEM) as the secret",
	FaultNoAudience:     "leave out aud (azp still names the client)",
}

// ErrUnknownFault is returned for a fault name the provider does not know.
var ErrUnknownFault = errors.New("unknown fault")

// ErrNoPreviousKey is returned by the stale-key fault when the provider has
// never rotated its key.
var ErrNoPreviousKey = errors.New("no previous signing key: rotate the key first")

// Faults lists the known faults with a one-line description each.
func Faults() map[Fault]string { return maps.Clone(faults) }

// FaultNames returns the known fault names, sorted.
func FaultNames() []string {
	names := make([]string, 0, len(faults))
	for k := range faults {
		names = append(names, string(k))
	}
	slices.Sort(names)
	return names
}

// ParseFault checks a fault name. The empty name is FaultNone.
func ParseFault(s string) (Fault, error) {
	f := Fault(s)
	if _, ok := faults[f]; ok || f == FaultNone {
		return f, nil
	}
	return "", fmt.Errorf("%w %q (known: %s)", ErrUnknownFault, s, strings.Join(FaultNames(), ", "))
}
