package scenarios_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/sts"
)

// BenchmarkAssumeRoleWithSAML measures the whole AssumeRoleWithSAML pipeline
// (decode, parse, signature, every check of docs/aws-behavior.md §4, trust policy,
// credential issuance) on one validly signed response, beside the raw cost
// of one RSA-2048 PKCS#1 v1.5 SHA-256 verification with the IdP's own key in
// the same run. The "rsa-verifies/op" metric of the first is the ratio of
// the two: how many bare signature checks one AssumeRoleWithSAML costs.
func BenchmarkAssumeRoleWithSAML(b *testing.B) {
	cfg := labConfig()
	cfg.Start = rowStart
	l, err := scenarios.NewLab(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := l.RegisterProvider(); err != nil {
		b.Fatal(err)
	}
	resp, err := l.IDP.AWSResponse(l.Users[scenarios.DefaultUser], idp.ResponseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	in := sts.AssumeRoleWithSAMLInput{RoleARN: l.RoleARN, PrincipalARN: l.ProviderARN,
		SAMLAssertion: resp.Base64(), RequestID: rowRequestID}

	key := l.IDP.SigningKey().Key
	digest := sha256.Sum256([]byte("SignedInfo"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	verify := func(b *testing.B) {
		for b.Loop() {
			if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
				b.Fatal(err)
			}
		}
	}

	b.Run("assume-role-with-saml", func(b *testing.B) {
		// Each iteration also times one bare verification, off the
		// benchmark clock, so both see the same machine load and the ratio
		// stays meaningful on a busy machine.
		b.ReportAllocs()
		var rsaTime time.Duration
		for b.Loop() {
			if _, err := l.STS.AssumeRoleWithSAML(b.Context(), in); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			start := time.Now()
			if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
				b.Fatal(err)
			}
			rsaTime += time.Since(start)
			b.StartTimer()
		}
		if rsaTime > 0 {
			b.ReportMetric(float64(b.Elapsed())/float64(rsaTime), "rsa-verifies/op")
		}
	})
	b.Run("rsa2048-verify", verify)
}
