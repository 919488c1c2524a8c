package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"time"
)

// DefaultLeafValidity is the validity period of a certificate issued by a CA
// when the template gives none. It stays under the 398 days that browsers and
// TLS clients accept for server certificates.
const DefaultLeafValidity = 397 * 24 * time.Hour

// CA is a local certificate authority: an RSA key and a self-signed CA
// certificate that issues TLS server certificates, for serving HTTPS on
// loopback to clients told to trust it (shaped like smallstep's minica).
// It is safe for concurrent use.
type CA struct {
	Key  *rsa.PrivateKey
	Cert *x509.Certificate

	now  func() time.Time
	rand io.Reader
}

// NewCA makes a CA. The options are those of New: by default an RSA-2048
// key from crypto/rand, the subject CN "samlab local CA", and a certificate
// valid from one hour ago for DefaultValidity.
func NewCA(opts ...Option) (*CA, error) {
	o := newOptions("samlab local CA", opts)
	if err := o.checkValidity(); err != nil {
		return nil, fmt.Errorf("new ca: %w", err)
	}
	key, err := o.privateKey()
	if err != nil {
		return nil, fmt.Errorf("new ca: %w", err)
	}
	serial, err := newSerial(o.rand)
	if err != nil {
		return nil, fmt.Errorf("new ca: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: o.subject},
		NotBefore:             o.notBefore,
		NotAfter:              o.notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true, // issues leaves only
		SubjectKeyId:          keyID(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(o.rand, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("new ca: self-sign: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("new ca: %w", err)
	}
	return &CA{Key: key, Cert: cert, now: o.now, rand: o.rand}, nil
}

// LoadCA reads a CA saved with CertPEM and KeyPEM. It checks that the
// certificate is a CA certificate and that the key is its key.
func LoadCA(certPEM, keyPEM []byte) (*CA, error) {
	certs, err := ParseCertsPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("load ca: certificate: %w", err)
	}
	key, err := ParseKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("load ca: key: %w", err)
	}
	cert := certs[0]
	if !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, fmt.Errorf("load ca: certificate %q is not a CA certificate", cert.Subject.CommonName)
	}
	if pub, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		return nil, fmt.Errorf("load ca: the key does not belong to certificate %q", cert.Subject.CommonName)
	}
	return &CA{Key: key, Cert: cert, now: time.Now, rand: rand.Reader}, nil
}

// CertPEM returns the CA certificate in PEM: the file clients are told to
// trust (SSL_CERT_FILE, AWS_CA_BUNDLE).
func (ca *CA) CertPEM() []byte { return EncodeCertPEM(ca.Cert) }

// KeyPEM returns the CA's private key in PEM.
func (ca *CA) KeyPEM() ([]byte, error) { return EncodeKeyPEM(ca.Key) }

// Issue signs a certificate for tmpl.PublicKey, working on a copy of tmpl.
// Missing fields get defaults: a random serial, a validity from one hour ago
// for DefaultLeafValidity (cut to the CA's own NotAfter), the subject key ID,
// digital-signature key usage (plus key encipherment for RSA keys), and the
// server-auth extended key usage. The result is never a CA certificate.
func (ca *CA) Issue(tmpl *x509.Certificate) (*x509.Certificate, error) {
	if tmpl == nil {
		return nil, errors.New("issue: nil template")
	}
	t := *tmpl
	if t.PublicKey == nil {
		return nil, errors.New("issue: the template has no PublicKey")
	}
	if t.SerialNumber == nil {
		serial, err := newSerial(ca.rand)
		if err != nil {
			return nil, fmt.Errorf("issue: %w", err)
		}
		t.SerialNumber = serial
	}
	if t.NotBefore.IsZero() {
		t.NotBefore = ca.now().UTC().Truncate(time.Second).Add(-time.Hour)
	}
	if t.NotAfter.IsZero() {
		t.NotAfter = t.NotBefore.Add(DefaultLeafValidity)
		if t.NotAfter.After(ca.Cert.NotAfter) {
			t.NotAfter = ca.Cert.NotAfter
		}
	}
	if t.SubjectKeyId == nil {
		t.SubjectKeyId = keyID(t.PublicKey)
	}
	if t.KeyUsage == 0 {
		t.KeyUsage = x509.KeyUsageDigitalSignature
		if _, ok := t.PublicKey.(*rsa.PublicKey); ok {
			t.KeyUsage |= x509.KeyUsageKeyEncipherment
		}
	}
	if len(t.ExtKeyUsage) == 0 {
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	t.IsCA, t.BasicConstraintsValid = false, true
	der, err := x509.CreateCertificate(ca.rand, &t, ca.Cert, t.PublicKey, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("issue %q: %w", t.Subject.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

// IssueTLS makes a fresh ECDSA P-256 key and a server certificate for hosts
// (DNS names or IP addresses), ready for tls.Config.Certificates or
// GetCertificate. The chain holds the leaf only: clients trust the CA
// itself.
func (ca *CA) IssueTLS(hosts ...string) (*tls.Certificate, error) {
	if len(hosts) == 0 {
		return nil, errors.New("issue tls: no host names")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), ca.rand)
	if err != nil {
		return nil, fmt.Errorf("issue tls: key: %w", err)
	}
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: hosts[0]}, PublicKey: key.Public()}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	cert, err := ca.Issue(tmpl)
	if err != nil {
		return nil, fmt.Errorf("issue tls: %w", err)
	}
	return &tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}, nil
}

func newSerial(r io.Reader) (*big.Int, error) {
	serial, err := rand.Int(r, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("serial: %w", err)
	}
	return serial, nil
}

// keyID is a subject key identifier: the SHA-256 of the public key's PKIX
// DER, truncated to 160 bits (in the spirit of RFC 7093 §2).
func keyID(pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(der)
	return sum[:20]
}
