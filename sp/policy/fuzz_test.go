package policy

import (
	"errors"
	"testing"
)

// FuzzParse feeds documents to Parse as every kind of policy. Properties:
// no panic; a refusal is a *ParseError naming a field, a statement index in
// range and a message; parsing is deterministic; an accepted document
// evaluates without panic, the same way twice, and a refused request always
// has an AccessDenied message. Seeds: the f.Add documents below and
// testdata/fuzz/FuzzParse (policies from AWS's documentation and the edge
// cases the table tests cover).
func FuzzParse(f *testing.F) {
	f.Add(difWizard)
	f.Add(`{"Version":"2012-10-17","Statement":[{"Sid":"Home","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket/home/${aws:username}/*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":"a*"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},"DateLessThanIfExists":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]}`)
	f.Add(`{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","111122223333"]},"NotAction":"s3:Get*","NotResource":"arn:aws:s3:::b/*"}}`)
	f.Add(`{"Statement":{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:x"},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}}`)
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${x, 'it''s'}${*}${?}${$}${","Condition":{"Null":{"k":true},"NumericLessThan":{"n":1.5},"Bool":{"b":"true"},"BinaryEquals":{"x":"AA=="},"ArnLike":{"a":"arn:aws:*:*:*:*"}}}}`)
	f.Add(`{"Statement":[{"Sid":"A","Effect":"Allow"},{"Sid":"A"}]}`)
	kinds := []Kind{KindIdentity, KindResource, KindTrust}
	reqs := []Request{
		{Principal: Principal{ARN: aliceARN}, Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/home/alice/x",
			Context: map[string][]string{"aws:username": {"alice"}, "aws:TagKeys": {"a", "b"}, "aws:SourceIp": {"10.1.1.1"}, "n": {"1"}, "b": {"true"}, "x": {"AA=="}}},
		{Principal: Principal{ARN: devSess, RoleARN: devRole}, Action: "sts:AssumeRole", Resource: devRole},
		{Principal: Principal{Federated: difProvider}, Action: difAssume, Context: map[string][]string{"SAML:aud": {"https://signin.aws.amazon.com/saml"}}},
	}
	denyAll, err := Parse(`{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`, KindIdentity)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		for _, kind := range kinds {
			p, err := Parse(doc, kind)
			p2, err2 := Parse(doc, kind)
			if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
				t.Fatalf("Parse is not deterministic: %v then %v", err, err2)
			}
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("Parse(kind %d) error %T %v, want *ParseError", kind, err, err)
				}
				if pe.Field == "" || pe.Message == "" || pe.Statement < 0 {
					t.Fatalf("ParseError %+v lacks a field or message", pe)
				}
				continue
			}
			if len(p.Statements) != len(p2.Statements) {
				t.Fatalf("Parse gave %d then %d statements", len(p.Statements), len(p2.Statements))
			}
			for _, req := range reqs {
				r1, r2 := p.Check(req), p2.Check(req)
				if r1.Allowed != r2.Allowed || r1.Denied != r2.Denied || (r1.Allowed && r1.Denied) {
					t.Fatalf("Check(%v) = %+v then %+v", req, r1, r2)
				}
				in := Input{Request: req}
				switch kind {
				case KindIdentity:
					in.Identity, in.Boundary, in.Session = []*Policy{p}, p, []*Policy{p}
				default:
					in.Resource = p
				}
				d := Evaluate(in)
				if d.Allowed == (d.Message() != "") || len(d.Trace) == 0 {
					t.Fatalf("Evaluate = %s with message %q and trace %q", d, d.Message(), d.Trace)
				}
				if d.Explicit && (d.Statement == nil || d.Statement.Effect != Deny) {
					t.Fatalf("explicit deny decided by %v", d.Statement)
				}
				// Adding a deny-everything identity policy always refuses.
				in.Identity = append(in.Identity, denyAll)
				if d := Evaluate(in); d.Allowed || !d.Explicit {
					t.Fatalf("with a deny-all policy added: %s", d)
				}
			}
		}
	})
}
