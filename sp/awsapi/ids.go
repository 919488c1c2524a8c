package awsapi

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
)

// NewRequestID returns a random version-4 UUID, the form of AWS request IDs.
// r is the entropy source (crypto/rand when nil); if it fails, the nil UUID is
// returned, since a request ID must never fail a request.
func NewRequestID(r io.Reader) string {
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, 16)
	if _, err := io.ReadFull(r, b); err != nil {
		return "00000000-0000-0000-0000-000000000000"
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// NewAccessKeyID returns a 20-character access key ID: prefix ("AKIA" for
// long-term keys, "ASIA" for temporary ones) followed by upper-case letters
// and digits 2-7, as AWS's key IDs look. r is the entropy source (crypto/rand
// when nil).
func NewAccessKeyID(r io.Reader, prefix string) (string, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, 20-len(prefix))
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("access key id: %w", err)
	}
	id := []byte(prefix)
	for _, c := range b {
		id = append(id, alphabet[int(c)%len(alphabet)])
	}
	return string(id), nil
}
