package policy_test

import (
	"errors"
	"fmt"

	"github.com/samlab-dev/samlab/sp/policy"
)

func ExampleParse() {
	_, err := policy.Parse(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},
		{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`, policy.KindIdentity)
	var pe *policy.ParseError
	if errors.As(err, &pe) {
		fmt.Printf("statement %d, %s: %s\n", pe.Statement, pe.Field, pe.Message)
	}
	// Output: statement 2, Principal: Policy document should not specify a principal.
}

func ExamplePolicy_Check() {
	trust, err := policy.Parse(`{"Version":"2012-10-17","Statement":{
		"Effect":"Allow",
		"Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/samlab"},
		"Action":"sts:AssumeRoleWithSAML",
		"Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}}`, policy.KindTrust)
	if err != nil {
		fmt.Println(err)
		return
	}
	req := policy.Request{
		Principal: policy.Principal{Federated: "arn:aws:iam::123456789012:saml-provider/samlab"},
		Action:    "sts:AssumeRoleWithSAML",
		Context:   map[string][]string{"saml:aud": {"https://signin.aws.amazon.com/saml"}},
	}
	fmt.Println(trust.Check(req).Allowed)
	req.Context["saml:aud"] = []string{"https://example.com/saml"}
	fmt.Println(trust.Check(req).Allowed)
	// Output:
	// true
	// false
}

func ExampleEvaluate() {
	identity, _ := policy.Parse(`{"Version":"2012-10-17","Statement":{
		"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::team-bucket/${aws:PrincipalTag/team}/*"}}`, policy.KindIdentity)
	identity.Name = "TeamFolders"
	boundary, _ := policy.Parse(`{"Version":"2012-10-17","Statement":{
		"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`, policy.KindIdentity)

	session := policy.Principal{
		ARN:     "arn:aws:sts::123456789012:assumed-role/Engineer/alice",
		RoleARN: "arn:aws:iam::123456789012:role/Engineer",
	}
	for _, action := range []string{"s3:GetObject", "s3:PutObject"} {
		d := policy.Evaluate(policy.Input{
			Request: policy.Request{
				Principal: session,
				Action:    action,
				Resource:  "arn:aws:s3:::team-bucket/blue/report.csv",
				Context:   map[string][]string{"aws:PrincipalTag/team": {"blue"}},
			},
			Identity: []*policy.Policy{identity},
			Boundary: boundary,
		})
		fmt.Println(d)
		if !d.Allowed {
			fmt.Println(d.Message())
		}
	}
	// Output:
	// allowed: identity-based policy "TeamFolders" statement 1 allows
	// implicitly denied: no permissions boundary allows s3:PutObject
	// User: arn:aws:sts::123456789012:assumed-role/Engineer/alice is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::team-bucket/blue/report.csv because no permissions boundary allows the s3:PutObject action
}

func ExampleDecision_Message() {
	deny, _ := policy.Parse(`{"Version":"2012-10-17","Statement":{
		"Sid":"NoDeletes","Effect":"Deny","Action":"s3:Delete*","Resource":"*"}}`, policy.KindIdentity)
	d := policy.Evaluate(policy.Input{
		Request: policy.Request{
			Principal: policy.Principal{ARN: "arn:aws:iam::123456789012:user/alice"},
			Action:    "s3:DeleteObject",
			Resource:  "arn:aws:s3:::bucket/key",
		},
		Identity: []*policy.Policy{deny},
	})
	fmt.Println(d.Statement)
	fmt.Println(d.Message())
	// Output:
	// identity-based policy statement 1 (Sid "NoDeletes") denies
	// User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:DeleteObject on resource: arn:aws:s3:::bucket/key with an explicit deny in an identity-based policy
}
