package sts

import (
	"testing"

	"github.com/samlab-dev/samlab/sp/iam"
)

// BenchmarkAssumeRole measures AssumeRole (trust and identity policies parsed
// and evaluated on every call, a session token sealed) against the baseline
// of opening a session token, what every signed call with temporary
// credentials costs. Compare the ratio, not the absolute numbers.
func BenchmarkAssumeRole(b *testing.B) {
	acct := iam.NewAccount(iam.Config{ID: "123456789012"})
	svc, err := New(Config{Account: acct})
	if err != nil {
		b.Fatal(err)
	}
	user := "arn:aws:iam::123456789012:user/bench"
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + user +
		`"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"x-1234"}}}]}`
	role, err := acct.CreateRole(iam.CreateRoleInput{Name: "Bench", AssumeRolePolicyDocument: trust})
	if err != nil {
		b.Fatal(err)
	}
	f := svc.NewFederation(FederationConfig{})
	caller := &Caller{ARN: user, UserID: "AIDABENCH", Account: "123456789012"}
	s := func(v string) *string { return &v }
	in := AssumeRoleInput{RoleARN: s(role.ARN), RoleSessionName: s("bench"), ExternalID: s("x-1234")}
	out, err := f.AssumeRole(b.Context(), caller, in)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("open-session-token", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.Session(out.Credentials.AccessKeyID, out.Credentials.SessionToken); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("assume-role", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.AssumeRole(b.Context(), caller, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	chained := &Caller{ARN: out.AssumedRoleUser.ARN, UserID: out.AssumedRoleUser.AssumedRoleID, Account: "123456789012", Session: out.Session}
	if _, err := acct.CreateRole(iam.CreateRoleInput{Name: "Next", AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + role.ARN + `"},"Action":"sts:AssumeRole"}]}`}); err != nil {
		b.Fatal(err)
	}
	next := AssumeRoleInput{RoleARN: s("arn:aws:iam::123456789012:role/Next"), RoleSessionName: s("hop")}
	b.Run("assume-role-chained", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.AssumeRole(b.Context(), chained, next); err != nil {
				b.Fatal(err)
			}
		}
	})
}
