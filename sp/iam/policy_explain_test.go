package iam

import "testing"

func TestPolicyEvaluate(t *testing.T) {
	t.Parallel()
	const provider = "arn:aws:iam::123456789012:saml-provider/p"
	pol, err := ParsePolicy(`{"Version":"2012-10-17","Statement":[
		{"Sid":"Other","Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/other"},"Action":"sts:AssumeRoleWithSAML"},
		{"Sid":"SAML","Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRoleWithSAML",
		 "Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"},"StringLike":{"SAML:sub":"a*"}}},
		{"Sid":"NoTags","Effect":"Deny","Principal":{"Federated":"` + provider + `"},"Action":"sts:TagSession"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Federated: provider, Action: "sts:AssumeRoleWithSAML",
		Context: map[string][]string{"SAML:aud": {"https://eu-west-1.signin.aws.amazon.com/saml"}, "SAML:sub": {"alice"}}}
	ev := pol.Evaluate(req)
	if ev.Allowed || ev.Allowed != pol.Allows(req) || len(ev.Statements) != 3 {
		t.Fatalf("Evaluate = %+v", ev)
	}
	other, saml := ev.Statements[0], ev.Statements[1]
	if other.PrincipalMatches || other.Matches || other.Sid != "Other" {
		t.Errorf("statement Other = %+v, want a principal mismatch", other)
	}
	if !saml.PrincipalMatches || !saml.ActionMatches || saml.Matches || len(saml.Conditions) != 2 {
		t.Fatalf("statement SAML = %+v", saml)
	}
	for _, c := range saml.Conditions {
		switch c.Key {
		case "SAML:aud":
			if c.Holds || len(c.RequestValues) != 1 || c.RequestValues[0] != "https://eu-west-1.signin.aws.amazon.com/saml" {
				t.Errorf("SAML:aud condition = %+v, want failing with the request's value", c)
			}
		case "SAML:sub":
			if !c.Holds {
				t.Errorf("SAML:sub condition = %+v, want holding", c)
			}
		}
	}
	req.Context["SAML:aud"] = []string{"https://signin.aws.amazon.com/saml"}
	if ev := pol.Evaluate(req); !ev.Allowed || !ev.Statements[1].Matches {
		t.Errorf("with the global audience: %+v", ev)
	}
	req.Action = "sts:TagSession"
	if ev := pol.Evaluate(req); ev.Allowed || !ev.Statements[2].Matches || ev.Statements[2].Effect != "Deny" {
		t.Errorf("TagSession: %+v, want the Deny statement matching", ev)
	}
}
