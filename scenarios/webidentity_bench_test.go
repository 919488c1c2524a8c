package scenarios_test

import (
	"testing"
	"time"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/idp/oidc"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/sts"
)

// BenchmarkAssumeRoleWithWebIdentity measures the whole
// AssumeRoleWithWebIdentity pipeline (parse, provider lookup, claims, RS256
// signature with the cached JWKS, trust policy through sp/policy, session
// tags, credential issuance) on one token from samlab's OIDC provider, beside
// AssumeRoleWithSAML on the same lab in the same run: each iteration also
// times one AssumeRoleWithSAML off the benchmark clock, so both see the same
// machine load. "saml-calls/op" is the ratio of the two.
func BenchmarkAssumeRoleWithWebIdentity(b *testing.B) {
	l := newWILab(b, nil)
	if err := l.lab.RegisterProvider(); err != nil {
		b.Fatal(err)
	}
	resp, err := l.lab.IDP.AWSResponse(l.lab.Users[scenarios.DefaultUser], idp.ResponseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	saml := sts.AssumeRoleWithSAMLInput{RoleARN: l.lab.RoleARN, PrincipalARN: l.lab.ProviderARN, SAMLAssertion: resp.Base64()}
	wi := sts.AssumeRoleWithWebIdentityInput{RoleARN: l.roleARN, RoleSessionName: "bench",
		WebIdentityToken: l.token(b, "alice", oidc.TokenOptions{})}
	// The first call fetches the JWKS; the loop measures the cached path.
	if _, err := l.lab.WebIdentity.AssumeRoleWithWebIdentity(b.Context(), wi); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var samlTime time.Duration
	for b.Loop() {
		if _, err := l.lab.WebIdentity.AssumeRoleWithWebIdentity(b.Context(), wi); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		start := time.Now()
		if _, err := l.lab.STS.AssumeRoleWithSAML(b.Context(), saml); err != nil {
			b.Fatal(err)
		}
		samlTime += time.Since(start)
		b.StartTimer()
	}
	if samlTime > 0 {
		b.ReportMetric(float64(b.Elapsed())/float64(samlTime), "saml-calls/op")
	}
}
