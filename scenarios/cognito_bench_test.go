package scenarios_test

import (
	"fmt"
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

// BenchmarkGetCredentialsForIdentityMapped measures the enhanced flow on a
// pool with a 25-rule Rules mapping whose last rule matches (every rule is
// evaluated) and the default principal tags (two session tags), beside the
// same flow on a pool without either: each iteration also times one call on
// the plain pool off the benchmark clock. "plain-calls/op" is the ratio.
func BenchmarkGetCredentialsForIdentityMapped(b *testing.B) {
	l := newWILab(b, nil)
	ctx := b.Context()
	login := strings.TrimPrefix(l.issuer, "http://")
	setup := func(name string, mapped bool) (string, map[string]string) {
		pool, err := l.lab.Cognito.CreatePool(cognito.Pool{Name: name, OIDCProviderARNs: []string{l.provider}})
		if err != nil {
			b.Fatal(err)
		}
		role, err := l.lab.Account.CreateRole(iam.CreateRoleInput{Name: name, AssumeRolePolicyDocument: taggingTrust(pool.ID)})
		if err != nil {
			b.Fatal(err)
		}
		var mappings map[string]cognito.RoleMapping
		if mapped {
			rules := make([]cognito.MappingRule, 0, 25)
			for i := range 24 {
				rules = append(rules, cognito.MappingRule{Claim: "groups", MatchType: cognito.MatchEquals, Value: fmt.Sprintf("group-%d", i), RoleARN: role.ARN})
			}
			rules = append(rules, cognito.MappingRule{Claim: "email", MatchType: cognito.MatchStartsWith, Value: "alice@", RoleARN: role.ARN})
			mappings = map[string]cognito.RoleMapping{login: {Type: cognito.MappingRules, AmbiguousRoleResolution: cognito.ResolveDeny,
				RulesConfiguration: &cognito.RulesConfiguration{Rules: rules}}}
			if _, err := l.lab.Cognito.SetPrincipalTags(pool.ID, login, cognito.PrincipalTagMap{UseDefaults: true}); err != nil {
				b.Fatal(err)
			}
		}
		if err := l.lab.Cognito.SetRoles(pool.ID, map[string]string{cognito.RoleAuthenticated: role.ARN}, mappings); err != nil {
			b.Fatal(err)
		}
		logins := map[string]string{login: l.token(b, "alice", oidc.TokenOptions{})}
		id, err := l.lab.Cognito.GetID(ctx, pool.ID, logins)
		if err != nil {
			b.Fatal(err)
		}
		out, err := l.lab.Cognito.CredentialsForIdentity(ctx, id, logins, "")
		if err != nil {
			b.Fatal(err)
		}
		if mapped && out.Session.Tags["username"] != "alice" {
			b.Fatalf("mapped pool's session tags = %v", out.Session.Tags)
		}
		return id, logins
	}
	mappedID, mappedLogins := setup("Mapped", true)
	plainID, plainLogins := setup("Plain", false)
	b.ReportAllocs()
	var plain time.Duration
	for b.Loop() {
		if _, err := l.lab.Cognito.CredentialsForIdentity(ctx, mappedID, mappedLogins, ""); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		start := time.Now()
		if _, err := l.lab.Cognito.CredentialsForIdentity(ctx, plainID, plainLogins, ""); err != nil {
			b.Fatal(err)
		}
		plain += time.Since(start)
		b.StartTimer()
	}
	if plain > 0 {
		b.ReportMetric(float64(b.Elapsed())/float64(plain), "plain-calls/op")
	}
}
