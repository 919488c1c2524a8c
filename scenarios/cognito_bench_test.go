package scenarios_test

import (
	"strings"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/idp/oidc"
	"github.com/samlab-dev/samlab/sp/cognito"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts"
)

// BenchmarkGetCredentialsForIdentity measures Cognito's enhanced flow in
// process (the login token's checks through STS, the identity lookup, an
// RS512 Cognito token signed and then verified by STS, the trust policy,
// credential issuance) beside AssumeRoleWithWebIdentity with the same login
// token on the same lab: each iteration also times one
// AssumeRoleWithWebIdentity off the benchmark clock, so both see the same
// machine load. "wi-calls/op" is the ratio of the two.
func BenchmarkGetCredentialsForIdentity(b *testing.B) {
	l := newWILab(b, nil)
	pool, err := l.lab.Cognito.CreatePool(cognito.Pool{Name: "bench", OIDCProviderARNs: []string{l.provider}})
	if err != nil {
		b.Fatal(err)
	}
	role, err := l.lab.Account.CreateRole(iam.CreateRoleInput{Name: "BenchCognito", AssumeRolePolicyDocument: cognitoTrust(pool.ID, "authenticated")})
	if err != nil {
		b.Fatal(err)
	}
	if err := l.lab.Cognito.SetRoles(pool.ID, map[string]string{cognito.RoleAuthenticated: role.ARN}, nil); err != nil {
		b.Fatal(err)
	}
	token := l.token(b, "alice", oidc.TokenOptions{})
	logins := map[string]string{strings.TrimPrefix(l.issuer, "http://"): token}
	id, err := l.lab.Cognito.GetID(b.Context(), pool.ID, logins)
	if err != nil {
		b.Fatal(err)
	}
	wi := sts.AssumeRoleWithWebIdentityInput{RoleARN: l.roleARN, RoleSessionName: "bench", WebIdentityToken: token}
	if _, err := l.lab.Cognito.CredentialsForIdentity(b.Context(), id, logins, ""); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var wiTime time.Duration
	for b.Loop() {
		if _, err := l.lab.Cognito.CredentialsForIdentity(b.Context(), id, logins, ""); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		start := time.Now()
		if _, err := l.lab.WebIdentity.AssumeRoleWithWebIdentity(b.Context(), wi); err != nil {
			b.Fatal(err)
		}
		wiTime += time.Since(start)
		b.StartTimer()
	}
	if wiTime > 0 {
		b.ReportMetric(float64(b.Elapsed())/float64(wiTime), "wi-calls/op")
	}
}
