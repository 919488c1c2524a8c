package policy

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkEvaluate measures a full decision against a baseline in the same
// run: "check-1" is one policy of one statement checked alone. Compare the
// others to it as ratios, not absolute times.
func BenchmarkEvaluate(b *testing.B) {
	one, err := Parse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`, KindIdentity)
	if err != nil {
		b.Fatal(err)
	}
	var stmts []string
	for i := range 50 {
		stmts = append(stmts, fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Action":["svc%d:Get*","svc%d:List*"],"Resource":"arn:aws:svc%d:*:111122223333:thing/${aws:username}/*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"t%d"},"IpAddress":{"aws:SourceIp":"10.%d.0.0/16"}}}`, i, i, i, i, i, i))
	}
	stmts = append(stmts, `{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`)
	big, err := Parse(`{"Version":"2012-10-17","Statement":[`+strings.Join(stmts, ",")+`]}`, KindIdentity)
	if err != nil {
		b.Fatal(err)
	}
	bnd, _ := Parse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, KindIdentity)
	res, _ := Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/mallory"},"Action":"s3:*","Resource":"*"},{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}]}`, KindResource)
	req := Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/home/alice/report.csv",
		Context: map[string][]string{"aws:SecureTransport": {"true"}, "aws:SourceIp": {"10.3.4.5"}, "aws:PrincipalTag/team": {"t3"}}}
	b.Run("check-1", func(b *testing.B) {
		for b.Loop() {
			if !one.Check(req).Allowed {
				b.Fatal("denied")
			}
		}
	})
	b.Run("check-51", func(b *testing.B) {
		for b.Loop() {
			if !big.Check(req).Allowed {
				b.Fatal("denied")
			}
		}
	})
	b.Run("evaluate-all-types", func(b *testing.B) {
		in := Input{Request: req, Identity: []*Policy{big, one}, Boundary: bnd, Session: []*Policy{bnd}, Resource: res}
		for b.Loop() {
			if !Evaluate(in).Allowed {
				b.Fatal("denied")
			}
		}
	})
	b.Run("parse-51", func(b *testing.B) {
		doc := `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
		for b.Loop() {
			if _, err := Parse(doc, KindIdentity); err != nil {
				b.Fatal(err)
			}
		}
	})
}
