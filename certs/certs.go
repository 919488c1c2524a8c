package certs

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SHA-1 fingerprints are what IdP consoles and AWS show.
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"
)

// DefaultBits is the RSA key size used when none is given.
const DefaultBits = 2048

// MinBits is the smallest RSA key size accepted. Real IdPs still ship 1024-bit
// keys, so scenarios may use them.
const MinBits = 1024

// DefaultValidity is the validity period of a certificate when none is given.
const DefaultValidity = 10 * 365 * 24 * time.Hour

// KeySource hands out RSA private keys. Each call returns a key that the
// source has not returned before (so a rotation really changes the key).
type KeySource interface {
	Key(bits int) (*rsa.PrivateKey, error)
}

// GeneratedKeys is a KeySource that generates a fresh key on every call.
// The zero value reads crypto/rand.
type GeneratedKeys struct {
	// Rand is the entropy source; crypto/rand.Reader when nil.
	Rand io.Reader
}

// Key generates a new RSA key of the given size (DefaultBits when bits is 0).
func (g GeneratedKeys) Key(bits int) (*rsa.PrivateKey, error) {
	if bits == 0 {
		bits = DefaultBits
	}
	if bits < MinBits {
		return nil, fmt.Errorf("rsa key size %d is below the minimum of %d", bits, MinBits)
	}
	r := g.Rand
	if r == nil {
		r = rand.Reader
	}
	k, err := rsa.GenerateKey(r, bits)
	if err != nil {
		return nil, fmt.Errorf("generate rsa-%d key: %w", bits, err)
	}
	return k, nil
}

// KeyPair is a private key and the certificate for its public half.
type KeyPair struct {
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
}

type options struct {
	bits      int
	subject   string
	notBefore time.Time
	notAfter  time.Time
	now       func() time.Time
	keys      KeySource
	key       *rsa.PrivateKey
	rand      io.Reader
}

// Option changes how New makes a key pair.
type Option func(*options)

// WithBits sets the RSA key size (default DefaultBits).
func WithBits(bits int) Option { return func(o *options) { o.bits = bits } }

// WithSubject sets the certificate's subject common name (default "samlab").
func WithSubject(cn string) Option { return func(o *options) { o.subject = cn } }

// WithValidity sets the certificate's validity window. The window may lie
// wholly in the past, to make an already-expired certificate.
func WithValidity(notBefore, notAfter time.Time) Option {
	return func(o *options) { o.notBefore, o.notAfter = notBefore, notAfter }
}

// WithNow sets the clock used for the default validity window (time.Now).
func WithNow(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithKeySource takes the private key from src instead of generating one.
func WithKeySource(src KeySource) Option { return func(o *options) { o.keys = src } }

// WithKey uses an existing private key; only a new certificate is made.
func WithKey(k *rsa.PrivateKey) Option { return func(o *options) { o.key = k } }

// WithRand sets the entropy source for serial numbers and certificate
// signatures (default crypto/rand).
func WithRand(r io.Reader) Option { return func(o *options) { o.rand = r } }

// newOptions applies opts over the defaults shared by New and NewCA: an
// RSA key of DefaultBits generated from crypto/rand, the given subject CN, and
// a validity window from one hour ago for DefaultValidity when none is set.
func newOptions(subject string, opts []Option) options {
	o := options{bits: DefaultBits, subject: subject, now: time.Now, rand: rand.Reader}
	for _, opt := range opts {
		opt(&o)
	}
	if o.keys == nil {
		o.keys = GeneratedKeys{Rand: o.rand}
	}
	if o.notBefore.IsZero() && o.notAfter.IsZero() {
		now := o.now().UTC().Truncate(time.Second)
		o.notBefore, o.notAfter = now.Add(-time.Hour), now.Add(DefaultValidity)
	}
	return o
}

// checkValidity reports a validity window that ends before it starts.
func (o *options) checkValidity() error {
	if !o.notAfter.After(o.notBefore) {
		return fmt.Errorf("validity: notAfter %s is not after notBefore %s",
			o.notAfter.Format(time.RFC3339), o.notBefore.Format(time.RFC3339))
	}
	return nil
}

// privateKey is the key given with WithKey, or else one from the key source.
func (o *options) privateKey() (*rsa.PrivateKey, error) {
	if o.key != nil {
		return o.key, nil
	}
	return o.keys.Key(o.bits)
}

// New makes an RSA key and a self-signed certificate for it. By default the key
// is RSA-2048 from crypto/rand, the subject CN is "samlab", and the certificate
// is valid from one hour ago for DefaultValidity.
func New(opts ...Option) (*KeyPair, error) {
	o := newOptions("samlab", opts)
	if err := o.checkValidity(); err != nil {
		return nil, fmt.Errorf("certificate %w", err)
	}
	key, err := o.privateKey()
	if err != nil {
		return nil, err
	}
	cert, err := SelfSign(key, o.subject, o.notBefore, o.notAfter, o.rand)
	if err != nil {
		return nil, err
	}
	return &KeyPair{Key: key, Cert: cert}, nil
}

// SelfSign issues a self-signed certificate for key with the given subject
// common name and validity window, as IdPs do for their signing keys.
func SelfSign(key *rsa.PrivateKey, cn string, notBefore, notAfter time.Time, r io.Reader) (*x509.Certificate, error) {
	if key == nil {
		return nil, errors.New("self-sign: nil key")
	}
	if r == nil {
		r = rand.Reader
	}
	serial, err := rand.Int(r, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("self-sign: serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(r, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("self-sign %q: %w", cn, err)
	}
	return x509.ParseCertificate(der)
}

// FingerprintSHA1 returns the certificate's SHA-1 fingerprint as colon-separated
// upper-case hex, the form IdP consoles and AWS show.
func FingerprintSHA1(c *x509.Certificate) string {
	sum := sha1.Sum(c.Raw) //nolint:gosec // fingerprint, not a security decision
	return colonHex(sum[:])
}

// FingerprintSHA256 returns the certificate's SHA-256 fingerprint as
// colon-separated upper-case hex.
func FingerprintSHA256(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return colonHex(sum[:])
}

func colonHex(b []byte) string {
	h := strings.ToUpper(hex.EncodeToString(b))
	var sb strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(h[i : i+2])
	}
	return sb.String()
}

// ValidAt reports whether t lies inside the certificate's validity window.
func ValidAt(c *x509.Certificate, t time.Time) bool {
	return !t.Before(c.NotBefore) && !t.After(c.NotAfter)
}
