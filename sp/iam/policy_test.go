package iam

import (
	"errors"
	"net/http"
	"testing"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

const (
	testProvider = "arn:aws:iam::123456789012:saml-provider/samlab"
	otherProv    = "arn:aws:iam::123456789012:saml-provider/other"
	actAssume    = "sts:AssumeRoleWithSAML"
)

// trust builds a one-statement trust policy for testProvider.
func trust(effect, actions, condition string) string {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"` + effect + `","Principal":{"Federated":"` + testProvider + `"},"Action":` + actions
	if condition != "" {
		doc += `,"Condition":` + condition
	}
	return doc + `}]}`
}

func TestPolicyAllows(t *testing.T) {
	t.Parallel()
	samlCtx := map[string][]string{
		"SAML:aud":                  {"https://signin.aws.amazon.com/saml"},
		"SAML:sub":                  {"alice"},
		"SAML:sub_type":             {"persistent"},
		"SAML:iss":                  {"https://idp.samlab.test/metadata"},
		"SAML:edupersonaffiliation": {"staff", "member"},
	}
	tests := []struct {
		name      string
		policy    string
		federated string
		action    string
		ctx       map[string][]string
		want      bool
	}{
		{"canonical wizard policy", SAMLTrustPolicy(testProvider), testProvider, actAssume, samlCtx, true},
		{"canonical policy, other provider", SAMLTrustPolicy(testProvider), otherProv, actAssume, samlCtx, false},
		{"canonical policy, other audience", SAMLTrustPolicy(testProvider), testProvider, actAssume,
			map[string][]string{"SAML:aud": {"https://us-east-1.signin.aws.amazon.com/saml"}}, false},
		{"action not listed", trust("Allow", `"sts:AssumeRoleWithSAML"`, ""), testProvider, "sts:TagSession", nil, false},
		{"action case-insensitive", trust("Allow", `"STS:assumerolewithsaml"`, ""), testProvider, actAssume, nil, true},
		{"action wildcard", trust("Allow", `"sts:*"`, ""), testProvider, "sts:SetSourceIdentity", nil, true},
		{"action list", trust("Allow", `["sts:AssumeRoleWithSAML","sts:TagSession"]`, ""), testProvider, "sts:TagSession", nil, true},
		{"explicit deny wins", `{"Statement":[` +
			`{"Effect":"Allow","Principal":{"Federated":"` + testProvider + `"},"Action":"sts:AssumeRoleWithSAML"},` +
			`{"Effect":"Deny","Principal":{"Federated":"` + testProvider + `"},"Action":"sts:*","Condition":{"StringEquals":{"saml:sub":"alice"}}}]}`,
			testProvider, actAssume, samlCtx, false},
		{"deny not matching", `{"Statement":[` +
			`{"Effect":"Allow","Principal":{"Federated":"` + testProvider + `"},"Action":"sts:AssumeRoleWithSAML"},` +
			`{"Effect":"Deny","Principal":{"Federated":"` + testProvider + `"},"Action":"sts:*","Condition":{"StringEquals":{"saml:sub":"mallory"}}}]}`,
			testProvider, actAssume, samlCtx, true},
		{"NotAction", `{"Statement":{"Effect":"Allow","Principal":{"Federated":"` + testProvider + `"},"NotAction":"sts:TagSession"}}`,
			testProvider, actAssume, nil, true},
		{"NotAction excludes", `{"Statement":{"Effect":"Allow","Principal":{"Federated":"` + testProvider + `"},"NotAction":"sts:TagSession"}}`,
			testProvider, "sts:TagSession", nil, false},
		{"Principal star", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRoleWithSAML"}}`,
			otherProv, actAssume, nil, true},
		{"AWS star", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRoleWithSAML"}}`,
			otherProv, actAssume, nil, true},
		{"AWS account principal is not federated", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRoleWithSAML"}}`,
			testProvider, actAssume, nil, false},
		{"federated list", `{"Statement":{"Effect":"Allow","Principal":{"Federated":["` + otherProv + `","` + testProvider + `"]},"Action":"sts:AssumeRoleWithSAML"}}`,
			testProvider, actAssume, nil, true},
		{"key name case-insensitive", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringEquals":{"saml:AUD":"https://signin.aws.amazon.com/saml"}}`),
			testProvider, actAssume, samlCtx, true},
		{"value case-sensitive", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringEquals":{"SAML:sub":"Alice"}}`),
			testProvider, actAssume, samlCtx, false},
		{"StringEqualsIgnoreCase", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringEqualsIgnoreCase":{"SAML:sub":"ALICE"}}`),
			testProvider, actAssume, samlCtx, true},
		{"StringLike across slash", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringLike":{"SAML:iss":"https://*/metadata"}}`),
			testProvider, actAssume, samlCtx, true},
		{"StringLike question mark", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringLike":{"SAML:sub":"al?ce"}}`),
			testProvider, actAssume, samlCtx, true},
		{"StringLike trailing stars", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringLike":{"SAML:sub":"alice**"}}`),
			testProvider, actAssume, samlCtx, true},
		{"StringLike longer than the value", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringLike":{"SAML:sub":"alice*x"}}`),
			testProvider, actAssume, samlCtx, false},
		{"StringLike leading star backtracks", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringLike":{"SAML:sub":"*ice"}}`),
			testProvider, actAssume, samlCtx, true},
		{"StringLike star then mismatch", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringLike":{"SAML:sub":"*z"}}`),
			testProvider, actAssume, samlCtx, false},
		{"StringLike no match", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringLike":{"SAML:sub":"bob*"}}`),
			testProvider, actAssume, samlCtx, false},
		{"StringNotEquals holds", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringNotEquals":{"SAML:sub":["bob","carol"]}}`),
			testProvider, actAssume, samlCtx, true},
		{"StringNotEquals fails", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringNotEquals":{"SAML:sub":["bob","alice"]}}`),
			testProvider, actAssume, samlCtx, false},
		{"StringNotLike", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringNotLike":{"SAML:sub":"a*"}}`),
			testProvider, actAssume, samlCtx, false},
		{"StringNotEqualsIgnoreCase", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringNotEqualsIgnoreCase":{"SAML:sub":"ALICE"}}`),
			testProvider, actAssume, samlCtx, false},
		{"missing key, plain operator", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringEquals":{"SAML:uid":"alice"}}`),
			testProvider, actAssume, samlCtx, false},
		{"missing key, negated operator", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringNotEquals":{"SAML:uid":"alice"}}`),
			testProvider, actAssume, samlCtx, true},
		{"missing key, IfExists", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringEqualsIfExists":{"SAML:uid":"alice"}}`),
			testProvider, actAssume, samlCtx, true},
		{"present key, IfExists", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringEqualsIfExists":{"SAML:sub":"bob"}}`),
			testProvider, actAssume, samlCtx, false},
		{"Null true on missing key", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"Null":{"SAML:uid":"true"}}`),
			testProvider, actAssume, samlCtx, true},
		{"Null false on present key, JSON boolean", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"Null":{"SAML:sub":false}}`),
			testProvider, actAssume, samlCtx, true},
		{"Null true on present key", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"Null":{"SAML:sub":"true"}}`),
			testProvider, actAssume, samlCtx, false},
		{"ForAnyValue holds", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"ForAnyValue:StringEquals":{"SAML:edupersonaffiliation":"staff"}}`),
			testProvider, actAssume, samlCtx, true},
		{"ForAnyValue fails", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"ForAnyValue:StringEquals":{"SAML:edupersonaffiliation":"student"}}`),
			testProvider, actAssume, samlCtx, false},
		{"ForAnyValue on missing key", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"ForAnyValue:StringLike":{"SAML:edupersonentitlement":"*"}}`),
			testProvider, actAssume, samlCtx, false},
		{"ForAllValues holds", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"ForAllValues:StringEquals":{"SAML:edupersonaffiliation":["staff","member","alum"]}}`),
			testProvider, actAssume, samlCtx, true},
		{"ForAllValues fails", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"ForAllValues:StringEquals":{"SAML:edupersonaffiliation":"staff"}}`),
			testProvider, actAssume, samlCtx, false},
		{"ForAllValues on missing key", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"ForAllValues:StringEquals":{"SAML:edupersonentitlement":"x"}}`),
			testProvider, actAssume, samlCtx, true},
		{"ForAnyValue:StringNotEquals", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"ForAnyValue:StringNotEquals":{"SAML:edupersonaffiliation":"staff"}}`),
			testProvider, actAssume, samlCtx, true},
		{"ForAllValues:StringNotEquals", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"ForAllValues:StringNotEquals":{"SAML:edupersonaffiliation":"staff"}}`),
			testProvider, actAssume, samlCtx, false},
		{"all conditions must hold", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringEquals":{"SAML:sub":"alice","SAML:sub_type":"transient"}}`),
			testProvider, actAssume, samlCtx, false},
		{"unknown operator fails closed", trust("Allow", `"sts:AssumeRoleWithSAML"`, `{"StringMatchesRegex":{"SAML:sub":".*"}}`),
			testProvider, actAssume, samlCtx, false},
		{"no statement allows", `{"Statement":[]}`, testProvider, actAssume, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePolicy(tt.policy)
			if err != nil {
				t.Fatalf("ParsePolicy(%s) = %v", tt.policy, err)
			}
			req := Request{Federated: tt.federated, Action: tt.action, Context: tt.ctx}
			if got := p.Allows(req); got != tt.want {
				t.Errorf("Allows(%v) under %s = %v, want %v", req, tt.policy, got, tt.want)
			}
		})
	}
}

func TestParsePolicyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, msg string
	}{
		{"empty", "", "Syntax errors in policy."},
		{"not JSON", "{", "Syntax errors in policy."},
		{"no statement", `{"Version":"2012-10-17"}`, "Missing required field Statement"},
		{"bad effect", `{"Statement":{"Effect":"Maybe","Principal":"*","Action":"sts:*"}}`, "Invalid effect: Maybe (statement 1)"},
		{"no action", `{"Statement":{"Effect":"Allow","Principal":"*"}}`, "Missing required field Action"},
		{"no principal", `{"Statement":{"Effect":"Allow","Action":"sts:AssumeRoleWithSAML"}}`, "Missing required field Principal"},
		{"bad principal string", `{"Statement":{"Effect":"Allow","Principal":"everyone","Action":"sts:*"}}`, `Invalid principal in policy: "everyone"`},
		{"condition value object", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:*","Condition":{"StringEquals":{"k":{"a":1}}}}}`, "Syntax errors in policy."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParsePolicy(tt.doc)
			var apiErr *awsapi.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("ParsePolicy(%q) = %v, want *awsapi.Error", tt.doc, err)
			}
			if apiErr.Code != awsapi.CodeMalformedPolicy || apiErr.Status != http.StatusBadRequest || apiErr.Message != tt.msg {
				t.Errorf("ParsePolicy(%q) = %s %d %q, want MalformedPolicyDocument 400 %q", tt.doc, apiErr.Code, apiErr.Status, apiErr.Message, tt.msg)
			}
		})
	}
}

func TestLikeIsLinear(t *testing.T) {
	t.Parallel()
	v := ""
	for range 2000 {
		v += "a"
	}
	p := "*a*a*a*a*a*a*a*a*a*a*b"
	if like(p, v) {
		t.Fatalf("like(%q, a…) = true, want false", p)
	}
}
