package certs_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
)

func TestNewValidityWindows(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name          string
		opts          []certs.Option
		validAtNow    bool
		wantNotBefore time.Time
		wantNotAfter  time.Time
	}{
		{
			name:          "default window around now",
			opts:          []certs.Option{certs.WithNow(func() time.Time { return now })},
			validAtNow:    true,
			wantNotBefore: now.Add(-time.Hour),
			wantNotAfter:  now.Add(certs.DefaultValidity),
		},
		{
			name:          "already expired",
			opts:          []certs.Option{certs.WithValidity(now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0))},
			validAtNow:    false,
			wantNotBefore: now.AddDate(-2, 0, 0),
			wantNotAfter:  now.AddDate(-1, 0, 0),
		},
		{
			name:          "not yet valid",
			opts:          []certs.Option{certs.WithValidity(now.Add(time.Hour), now.Add(2*time.Hour))},
			validAtNow:    false,
			wantNotBefore: now.Add(time.Hour),
			wantNotAfter:  now.Add(2 * time.Hour),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := append([]certs.Option{certs.WithKeySource(certstest.New()), certs.WithSubject("idp.example")}, tt.opts...)
			kp, err := certs.New(opts...)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got := certs.ValidAt(kp.Cert, now); got != tt.validAtNow {
				t.Errorf("ValidAt(now) = %v, want %v", got, tt.validAtNow)
			}
			if !kp.Cert.NotBefore.Equal(tt.wantNotBefore) || !kp.Cert.NotAfter.Equal(tt.wantNotAfter) {
				t.Errorf("window = [%s, %s], want [%s, %s]", kp.Cert.NotBefore, kp.Cert.NotAfter, tt.wantNotBefore, tt.wantNotAfter)
			}
			if kp.Cert.Subject.CommonName != "idp.example" {
				t.Errorf("subject CN = %q, want idp.example", kp.Cert.Subject.CommonName)
			}
			if err := kp.Cert.CheckSignature(kp.Cert.SignatureAlgorithm, kp.Cert.RawTBSCertificate, kp.Cert.Signature); err != nil {
				t.Errorf("certificate is not self-signed by its key: %v", err)
			}
			pub, ok := kp.Cert.PublicKey.(*rsa.PublicKey)
			if !ok || !pub.Equal(&kp.Key.PublicKey) {
				t.Errorf("certificate public key does not match the private key")
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	now := time.Now()
	tests := []struct {
		name string
		opts []certs.Option
	}{
		{"inverted window", []certs.Option{certs.WithValidity(now, now.Add(-time.Hour))}},
		{"tiny key", []certs.Option{certs.WithBits(512)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := certs.New(tt.opts...); err == nil {
				t.Fatalf("New(%s) succeeded, want error", tt.name)
			}
		})
	}
}

func TestGeneratedKeySizes(t *testing.T) {
	t.Parallel()
	for _, bits := range []int{1024, 2048} {
		k, err := certs.GeneratedKeys{}.Key(bits)
		if err != nil {
			t.Fatalf("Key(%d): %v", bits, err)
		}
		if got := k.N.BitLen(); got != bits {
			t.Errorf("Key(%d) has %d bits", bits, got)
		}
	}
}

func TestFixtureKeysAreDistinctAndSized(t *testing.T) {
	t.Parallel()
	src := certstest.New()
	seen := map[string]bool{}
	for i := range certstest.Count(2048) + 1 { // one past the fixtures: generated
		k, err := src.Key(0)
		if err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
		if k.N.BitLen() != 2048 {
			t.Errorf("key %d has %d bits, want 2048", i, k.N.BitLen())
		}
		n := k.N.String()
		if seen[n] {
			t.Fatalf("key %d repeats an earlier key", i)
		}
		seen[n] = true
	}
	for _, bits := range []int{1024, 3072, 4096} {
		k, err := src.Key(bits)
		if err != nil {
			t.Fatalf("Key(%d): %v", bits, err)
		}
		if k.N.BitLen() != bits {
			t.Errorf("Key(%d) has %d bits", bits, k.N.BitLen())
		}
	}
	// Two sources hand out the same sequence: runs are repeatable.
	a, _ := certstest.New().Key(0)
	b, _ := certstest.New().Key(0)
	if !a.Equal(b) {
		t.Errorf("fresh fixture sources start with different keys")
	}
}

func TestPEMRoundTrip(t *testing.T) {
	t.Parallel()
	kp, err := certs.New(certs.WithKeySource(certstest.New()))
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := certs.EncodeKeyPEM(kp.Key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := certs.EncodeCertPEM(kp.Cert)
	bundle := append(append([]byte{}, keyPEM...), certPEM...)

	gotKey, err := certs.ParseKeyPEM(bundle)
	if err != nil {
		t.Fatalf("ParseKeyPEM: %v", err)
	}
	if !gotKey.Equal(kp.Key) {
		t.Errorf("ParseKeyPEM returned a different key")
	}
	gotCerts, err := certs.ParseCertsPEM(bundle)
	if err != nil {
		t.Fatalf("ParseCertsPEM: %v", err)
	}
	if len(gotCerts) != 1 || !gotCerts[0].Equal(kp.Cert) {
		t.Fatalf("ParseCertsPEM = %d certs, want the one written", len(gotCerts))
	}
	got64, err := certs.ParseCertBase64(certs.Base64(kp.Cert))
	if err != nil || !got64.Equal(kp.Cert) {
		t.Errorf("ParseCertBase64(Base64(c)) = %v, %v; want the same cert", got64, err)
	}
	// Line breaks inside ds:X509Certificate are common in real metadata.
	wrapped := strings.Join(chunks(certs.Base64(kp.Cert), 64), "\n  ")
	if _, err := certs.ParseCertBase64(wrapped); err != nil {
		t.Errorf("ParseCertBase64(wrapped) = %v, want success", err)
	}
}

func chunks(s string, n int) []string {
	var out []string
	for len(s) > n {
		out, s = append(out, s[:n]), s[n:]
	}
	return append(out, s)
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	if _, err := certs.ParseCertsPEM([]byte("no pem here")); !errors.Is(err, certs.ErrNoPEM) {
		t.Errorf("ParseCertsPEM(garbage) = %v, want ErrNoPEM", err)
	}
	if _, err := certs.ParseKeyPEM([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")); !errors.Is(err, certs.ErrNoPEM) {
		t.Errorf("ParseKeyPEM(cert only) = %v, want ErrNoPEM", err)
	}
	bad := []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	if _, err := certs.ParseCertsPEM(bad); err == nil || errors.Is(err, certs.ErrNoPEM) {
		t.Errorf("ParseCertsPEM(bad DER) = %v, want a DER parse error", err)
	}
	if _, err := certs.ParseCertBase64("!!!"); err == nil {
		t.Errorf("ParseCertBase64(!!!) succeeded")
	}
}

func TestFingerprints(t *testing.T) {
	t.Parallel()
	kp, err := certs.New(certs.WithKeySource(certstest.New()))
	if err != nil {
		t.Fatal(err)
	}
	sha1fp, sha256fp := certs.FingerprintSHA1(kp.Cert), certs.FingerprintSHA256(kp.Cert)
	if len(sha1fp) != 20*3-1 || len(sha256fp) != 32*3-1 {
		t.Fatalf("fingerprint lengths = %d, %d; want 59, 95", len(sha1fp), len(sha256fp))
	}
	if strings.ToUpper(sha1fp) != sha1fp || strings.Count(sha1fp, ":") != 19 {
		t.Errorf("FingerprintSHA1 = %q, want upper-case colon-separated hex", sha1fp)
	}
	// Different certificates for the same key have different fingerprints.
	other, err := certs.New(certs.WithKey(kp.Key))
	if err != nil {
		t.Fatal(err)
	}
	if certs.FingerprintSHA256(other.Cert) == sha256fp {
		t.Errorf("two certificates share a SHA-256 fingerprint")
	}
	if !bytes.Equal(other.Cert.RawSubjectPublicKeyInfo, kp.Cert.RawSubjectPublicKeyInfo) {
		t.Errorf("WithKey did not reuse the key")
	}
	var _ *x509.Certificate = other.Cert
}
