package iam

import (
	"net/url"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/policy"
)

// BenchmarkAuthorize measures authorizing one IAM call of a user with an
// inline policy, a group policy and an AWS managed policy, against the
// baseline of validating the same call's parameters (which every call pays
// too). Compare the ns/op of the two sub-benchmarks.
func BenchmarkAuthorize(b *testing.B) {
	a := NewAccount(Config{})
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	_, err := a.CreateUser(CreateUserInput{Name: "alice", Tags: []awsapi.Tag{{Key: "team", Value: "dev"}}})
	must(err)
	_, err = a.CreateGroup("Developers", "/")
	must(err)
	must(a.AddUserToGroup("Developers", "alice"))
	must(a.PutUserPolicy("alice", "own", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::*:user/${aws:username}"}]}`))
	must(a.PutGroupPolicy("Developers", "deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:Delete*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"ops"}}}]}`))
	must(a.AttachGroupPolicy("Developers", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"))
	k, err := a.CreateAccessKey("alice")
	must(err)
	r := &awsapi.Request{Action: "ListAccessKeys", Params: url.Values{"Action": {"ListAccessKeys"}, "UserName": {"alice"}},
		Time: time.Now(), SourceIP: "127.0.0.1",
		Caller: awsapi.Caller{Type: "IAMUser", ARN: "arn:aws:iam::123456789012:user/alice", AccessKeyID: k.AccessKeyID}}
	if err := a.authorize("ListAccessKeys", r); err != nil {
		b.Fatal(err)
	}
	b.Run("baseline-validate", func(b *testing.B) {
		for b.Loop() {
			if err := validateInput("ListAccessKeys", r.Params); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("authorize", func(b *testing.B) {
		for b.Loop() {
			if err := a.authorize("ListAccessKeys", r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUserPolicies measures what STS pays per call of an IAM user for
// the user's policies (its own, its group's, an AWS managed one; parsed
// documents cached), against the baseline of parsing the same three
// documents, which a lookup without the cache would pay. Compare the ns/op.
func BenchmarkUserPolicies(b *testing.B) {
	a := NewAccount(Config{})
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	u, err := a.CreateUser(CreateUserInput{Name: "alice"})
	must(err)
	_, err = a.CreateGroup("Developers", "/")
	must(err)
	must(a.AddUserToGroup("Developers", "alice"))
	own := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetFederationToken","Resource":"arn:aws:sts::*:federated-user/${aws:username}-*"}]}`
	group := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/UpdateApp"}]}`
	must(a.PutUserPolicy("alice", "own", own))
	must(a.PutGroupPolicy("Developers", "assume", group))
	must(a.AttachGroupPolicy("Developers", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"))
	ro, err := a.Policy("arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	must(err)
	b.Run("baseline-parse", func(b *testing.B) {
		for b.Loop() {
			for _, doc := range []string{own, group, ro.Document} {
				if _, err := policy.Parse(doc, policy.KindIdentity); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("user-policies", func(b *testing.B) {
		for b.Loop() {
			if id, _, err := a.UserPolicies(u.ARN); err != nil || len(id) != 3 {
				b.Fatal(id, err)
			}
		}
	})
}
