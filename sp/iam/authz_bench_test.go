package iam

import (
	"net/url"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
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
