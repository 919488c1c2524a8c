package awsapi

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
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

// accountMask selects the account ID in the first six bytes of a decoded
// access key ID (after its four-letter prefix).
const accountMask = 0x7fffffffff80

// NewAccessKeyIDFor returns a random access key ID like NewAccessKeyID's
// whose bits carry accountID (12 digits) where AWS's key IDs carry their
// account, so AccountOfAccessKeyID (and STS GetAccessKeyInfo) read it back.
// The layout is the one described publicly for AWS key IDs: the 16
// characters after the prefix are base32 of 10 bytes, and bits 7..46 of the
// first 6 bytes (big-endian) are the account number.
func NewAccessKeyIDFor(r io.Reader, prefix, accountID string) (string, error) {
	acct, err := strconv.ParseUint(accountID, 10, 64)
	if err != nil || len(accountID) != 12 || len(prefix) != 4 {
		return "", fmt.Errorf("access key id: account %q or prefix %q is malformed", accountID, prefix)
	}
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, 10)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("access key id: %w", err)
	}
	var head [8]byte
	copy(head[2:], b[:6])
	z := binary.BigEndian.Uint64(head[:])&^accountMask | acct<<7&accountMask
	binary.BigEndian.PutUint64(head[:], z)
	copy(b[:6], head[2:])
	return prefix + base32.StdEncoding.EncodeToString(b), nil
}

// AccountOfAccessKeyID returns the account number an access key ID carries
// (see NewAccessKeyIDFor), as AWS's GetAccessKeyInfo reads it; false when the
// ID is not four characters and 16 of base32, or when its bits hold a number
// of more than 12 digits (40 bits can), which is no account.
func AccountOfAccessKeyID(id string) (string, bool) {
	if len(id) != 20 {
		return "", false
	}
	b, err := base32.StdEncoding.DecodeString(id[4:])
	if err != nil || len(b) != 10 {
		return "", false
	}
	var head [8]byte
	copy(head[2:], b[:6])
	z := binary.BigEndian.Uint64(head[:]) & accountMask >> 7
	if z >= 1_000_000_000_000 {
		return "", false
	}
	return fmt.Sprintf("%012d", z), true
}
