package capture

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// ErrNoKey is wrapped when an input holds no usable private key.
var ErrNoKey = errors.New("no RSA private key")

// PrivateKeys returns each RSA private key of a PEM input (PKCS #1 "RSA
// PRIVATE KEY" or PKCS #8 "PRIVATE KEY" blocks) re-encoded as a PEM block of
// its own, in order. Certificates in the same file are skipped; encrypted
// keys and non-RSA keys are errors naming the block, since IAM decrypts
// assertions with RSA keys only.
func PrivateKeys(name string, data []byte) ([]string, error) {
	var out []string
	rest := data
	for n := 1; ; n++ {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if !strings.Contains(b.Type, "PRIVATE KEY") {
			continue
		}
		if b.Type == "ENCRYPTED PRIVATE KEY" || b.Headers["Proc-Type"] != "" {
			return nil, fmt.Errorf("%s: PEM block %d is an encrypted key; decrypt it first (openssl pkey -in KEY -out plain.pem) (%w)", name, n, ErrNoKey)
		}
		var key any
		var err error
		switch b.Type {
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		default:
			key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: PEM block %d (%s) does not parse: %v (%w)", name, n, b.Type, err, ErrNoKey)
		}
		if _, ok := key.(*rsa.PrivateKey); !ok {
			return nil, fmt.Errorf("%s: PEM block %d is a %T key; assertions are decrypted with RSA keys (%w)", name, n, key, ErrNoKey)
		}
		out = append(out, string(pem.EncodeToMemory(b)))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no PEM \"PRIVATE KEY\" block, expected the SAML provider's decryption key in PEM (%w)", name, ErrNoKey)
	}
	return out, nil
}
