package sts

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

const (
	testRoleARN     = "arn:aws:iam::123456789012:role/SAMLAdmin"
	testProviderARN = "arn:aws:iam::123456789012:saml-provider/samlab"
	arnPatternText  = `[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`
)

func intp(n int) *int { return &n }

// wantAPIError checks that err is an *awsapi.Error with exactly this code,
// status and message.
func wantAPIError(t *testing.T, err error, code awsapi.Code, status int, msg string) {
	t.Helper()
	var apiErr *awsapi.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want *awsapi.Error %s", err, code)
	}
	if apiErr.Code != code || apiErr.Status != status || apiErr.Message != msg {
		t.Errorf("error = %s %d %q\nwant    %s %d %q", apiErr.Code, apiErr.Status, apiErr.Message, code, status, msg)
	}
}

func TestValidateParams(t *testing.T) {
	t.Parallel()
	valid := AssumeRoleWithSAMLInput{RoleARN: testRoleARN, PrincipalARN: testProviderARN, SAMLAssertion: "PHNhbWxwOlJlc3BvbnNlLz4="}
	long := strings.Repeat("x", 2049)
	tests := []struct {
		name string
		edit func(*AssumeRoleWithSAMLInput)
		want string // "" for valid
	}{
		{"valid", func(*AssumeRoleWithSAMLInput) {}, ""},
		{"duration at min", func(in *AssumeRoleWithSAMLInput) { in.DurationSeconds = intp(900) }, ""},
		{"duration at max", func(in *AssumeRoleWithSAMLInput) { in.DurationSeconds = intp(43200) }, ""},
		{"duration below 900", func(in *AssumeRoleWithSAMLInput) { in.DurationSeconds = intp(600) },
			"1 validation error detected: Value '600' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"duration above 43200", func(in *AssumeRoleWithSAMLInput) { in.DurationSeconds = intp(43201) },
			"1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{"empty ARNs, as the Go SDK sends them", func(in *AssumeRoleWithSAMLInput) { in.RoleARN, in.PrincipalARN = "", "" },
			"4 validation errors detected: " +
				"Value '' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: " + arnPatternText + "; " +
				"Value '' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20; " +
				"Value '' at 'principalArn' failed to satisfy constraint: Member must satisfy regular expression pattern: " + arnPatternText + "; " +
				"Value '' at 'principalArn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{"short role ARN", func(in *AssumeRoleWithSAMLInput) { in.RoleARN = "arn:aws:iam::1:role" },
			"1 validation error detected: Value 'arn:aws:iam::1:role' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{"control character in principal ARN", func(in *AssumeRoleWithSAMLInput) { in.PrincipalARN = testProviderARN + "\x01" },
			"1 validation error detected: Value '" + testProviderARN + "\x01' at 'principalArn' failed to satisfy constraint: Member must satisfy regular expression pattern: " + arnPatternText},
		{"short assertion is not echoed", func(in *AssumeRoleWithSAMLInput) { in.SAMLAssertion = "abc" },
			"1 validation error detected: Value at 'sAMLAssertion' failed to satisfy constraint: Member must have length greater than or equal to 4"},
		{"long assertion", func(in *AssumeRoleWithSAMLInput) { in.SAMLAssertion = strings.Repeat("A", MaxAssertionLength+1) },
			"1 validation error detected: Value at 'sAMLAssertion' failed to satisfy constraint: Member must have length less than or equal to 100000"},
		{"policy too long", func(in *AssumeRoleWithSAMLInput) { in.Policy = long },
			"1 validation error detected: Value '" + long + "' at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{"policy outside Latin-1", func(in *AssumeRoleWithSAMLInput) { in.Policy = `{"x":"€"}` },
			`1 validation error detected: Value '{"x":"€"}' at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`},
		{"eleven policy ARNs", func(in *AssumeRoleWithSAMLInput) {
			for range 11 {
				in.PolicyARNs = append(in.PolicyARNs, "arn:aws:iam::aws:policy/ReadOnlyAccess")
			}
		}, "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10"},
		{"short policy ARN", func(in *AssumeRoleWithSAMLInput) { in.PolicyARNs = []string{"arn:aws:iam::aws:p"} },
			"1 validation error detected: Value 'arn:aws:iam::aws:p' at 'policyArns.1.member.arn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{"empty policy, sent", func(in *AssumeRoleWithSAMLInput) { in.Policy, in.PolicySet = "", true },
			`2 validation errors detected: Value '' at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+; ` +
				`Value '' at 'policy' failed to satisfy constraint: Member must have length greater than or equal to 1`},
		{"no policy", func(in *AssumeRoleWithSAMLInput) { in.Policy, in.PolicySet = "", false }, ""},
		{"role ARN missing", func(in *AssumeRoleWithSAMLInput) { in.RoleARN, in.Missing = "", []string{"roleArn"} },
			"1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null"},
		{"all required members missing, empty policy", func(in *AssumeRoleWithSAMLInput) {
			in.RoleARN, in.PrincipalARN, in.SAMLAssertion = "", "", ""
			in.Missing = []string{"roleArn", "principalArn", "sAMLAssertion"}
			in.PolicySet = true
		}, "5 validation errors detected: " +
			"Value null at 'roleArn' failed to satisfy constraint: Member must not be null; " +
			"Value null at 'principalArn' failed to satisfy constraint: Member must not be null; " +
			"Value null at 'sAMLAssertion' failed to satisfy constraint: Member must not be null; " +
			`Value '' at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+; ` +
			"Value '' at 'policy' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"2049-character role ARN names the maximum", func(in *AssumeRoleWithSAMLInput) {
			in.RoleARN = testRoleARN + strings.Repeat("x", 2049-len(testRoleARN))
		},
			"1 validation error detected: Value '" + testRoleARN + strings.Repeat("x", 2049-len(testRoleARN)) + "' at 'roleArn' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		// Ten characters outside the BMP are twenty UTF-16 units: long enough.
		{"length in UTF-16 units", func(in *AssumeRoleWithSAMLInput) { in.RoleARN = strings.Repeat("\U0001F600", 10) }, ""},
		{"length in UTF-16 units, short", func(in *AssumeRoleWithSAMLInput) { in.RoleARN = strings.Repeat("\U0001F600", 9) },
			"1 validation error detected: Value '" + strings.Repeat("\U0001F600", 9) + "' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{"two members wrong", func(in *AssumeRoleWithSAMLInput) { in.SAMLAssertion, in.DurationSeconds = "a", intp(1) },
			"2 validation errors detected: Value at 'sAMLAssertion' failed to satisfy constraint: Member must have length greater than or equal to 4; " +
				"Value '1' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := valid
			tt.edit(&in)
			err := validateParams(in)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("validateParams() = %v, want nil", err)
				}
				return
			}
			wantAPIError(t, err, awsapi.CodeValidation, http.StatusBadRequest, tt.want)
		})
	}
}

func TestNameQualifier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		issuer, account, provider, want string
	}{
		// A real AssumeRoleWithSAML result (docs/aws-behavior.md §3).
		{"http://www.okta.com/exk3kzb4ja8B9PHgs1d7", "099966572610", "okta-oie", "ntHNa4L+06nVQFiE3ekTsihyVQY="},
	}
	for _, tt := range tests {
		if got := NameQualifier(tt.issuer, tt.account, tt.provider); got != tt.want {
			t.Errorf("NameQualifier(%q, %q, %q) = %q, want %q", tt.issuer, tt.account, tt.provider, got, tt.want)
		}
	}
	// The variants docs/aws-behavior.md §3 rules out must not coincide with the formula.
	for _, wrong := range []string{
		NameQualifier("http://www.okta.com/exk3kzb4ja8B9PHgs1d7/", "099966572610", "okta-oie"),
		NameQualifier("http://www.okta.com/exk3kzb4ja8B9PHgs1d7", "099966572610", "okta-OIE"),
	} {
		if wrong == "ntHNa4L+06nVQFiE3ekTsihyVQY=" {
			t.Errorf("a variant input produced the real NameQualifier")
		}
	}
}

func TestSubjectType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format string
		all    bool
		want   string
	}{
		{"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", false, "persistent"},
		{"urn:oasis:names:tc:SAML:2.0:nameid-format:transient", false, "transient"},
		{"urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos", false, "kerberos"},
		{"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", false, "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"},
		{"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified", false, "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"},
		{"", false, "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"},
		{"urn:example:custom", false, "urn:example:custom"},
		{"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified", true, "unspecified"},
		{"", true, "unspecified"},
		{"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", true, "persistent"},
		{"urn:example:custom", true, "urn:example:custom"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/all=%v", tt.format, tt.all), func(t *testing.T) {
			t.Parallel()
			if got := subjectType(tt.format, tt.all); got != tt.want {
				t.Errorf("subjectType(%q, %v) = %q, want %q", tt.format, tt.all, got, tt.want)
			}
		})
	}
}

func TestAudienceAndRecipientEndpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url                 string
		audience, recipient bool
	}{
		{"https://signin.aws.amazon.com/saml", true, true},
		{"https://us-east-1.signin.aws.amazon.com/saml", true, true},
		{"https://eu-central-2.signin.aws.amazon.com/saml", true, true},
		{"https://us-gov-west-1.signin.amazonaws-us-gov.com/saml", true, true},
		{"https://signin.amazonaws.cn/saml", true, true},
		{"urn:amazon:webservices", true, false},
		{"https://signin.aws.amazon.com/static/saml", false, true},
		{"https://us-east-1.signin.aws.amazon.com/saml/acs/SAMLSPABCDEF0123456789", false, true},
		{"https://signin.aws.amazon.com/saml/", false, false},
		{"http://signin.aws.amazon.com/saml", false, false},
		{"https://evil.example/signin.aws.amazon.com/saml", false, false},
		{"https://attacker.signin.aws.amazon.com/saml", false, false},
		{"https://idp.samlab.test/acs", false, false},
	}
	for _, tt := range tests {
		err := checkAudience([][]string{{tt.url}})
		if got := err == nil; got != tt.audience {
			t.Errorf("checkAudience(%q) = %v, want accepted=%v", tt.url, err, tt.audience)
		}
		if got := recipientRE.MatchString(tt.url); got != tt.recipient {
			t.Errorf("recipient %q accepted = %v, want %v", tt.url, got, tt.recipient)
		}
	}
	if err := checkAudience(nil); err == nil {
		t.Errorf("checkAudience(no restriction) = nil, want an error")
	}
	if err := checkAudience([][]string{{"urn:amazon:webservices"}, {"https://other.example"}}); err == nil {
		t.Errorf("checkAudience(second restriction without AWS) = nil, want an error (SAML Core §2.5.1.4)")
	}
	if err := checkAudience([][]string{{"https://other.example", "urn:amazon:webservices"}}); err != nil {
		t.Errorf("checkAudience(AWS among several) = %v, want nil", err)
	}
}

func TestPackedSize(t *testing.T) {
	t.Parallel()
	policy := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}`
	compact := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	tests := []struct {
		name   string
		policy string
		arns   []string
		tags   map[string]string
		want   int // -1: nil
	}{
		{"nothing", "", nil, nil, -1},
		{"policy is compacted", policy, nil, nil, (100*len(compact) + 2047) / 2048},
		{"tags", "", nil, map[string]string{"team": "blue"}, 1},
		{"policy ARN", "", []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, nil, 2},
		{"exactly full", "", nil, map[string]string{"k": strings.Repeat("v", 2047)}, 100},
	}
	for _, tt := range tests {
		got, err := packedSize(tt.policy, tt.arns, tt.tags)
		if err != nil {
			t.Errorf("%s: packedSize() error = %v", tt.name, err)
			continue
		}
		if (got == nil) != (tt.want == -1) || (got != nil && *got != tt.want) {
			t.Errorf("%s: packedSize() = %v, want %d", tt.name, got, tt.want)
		}
	}
	_, err := packedSize("", nil, map[string]string{"k": strings.Repeat("v", 2048)})
	wantAPIError(t, err, awsapi.CodePackedPolicyTooLarge, http.StatusBadRequest, "Packed size of session tags consumes 101% of allotted space.")
	_, err = packedSize(`{"a":"`+strings.Repeat("v", 2100)+`"}`, nil, nil)
	wantAPIError(t, err, awsapi.CodePackedPolicyTooLarge, http.StatusBadRequest, "Packed policy consumes 103% of allotted space, please use smaller policy.")
	for _, bad := range []string{"not json", `["a"]`, `{"a":`} {
		_, err = packedSize(bad, nil, nil)
		wantAPIError(t, err, awsapi.CodeMalformedPolicyDocument, http.StatusBadRequest, msgMalformedPolicy)
	}
}

func TestCheckTags(t *testing.T) {
	t.Parallel()
	attrs := func(tags map[string]string) map[string][]string {
		out := map[string][]string{}
		for k, v := range tags {
			out[attrPrincipalTag+k] = []string{v}
		}
		return out
	}
	many := map[string]string{}
	for i := range 51 {
		many[strings.Repeat("k", i+1)] = "v"
	}
	tests := []struct {
		name       string
		tags       map[string]string
		transitive []string
		ok         bool
	}{
		{"valid", map[string]string{"team": "blue", "cost-center": "", "a:b/c=d+e-f@g": "x y"}, []string{"team"}, true},
		{"empty value", map[string]string{"team": ""}, nil, true},
		{"51 tags", many, nil, false},
		{"key too long", map[string]string{strings.Repeat("k", 129): "v"}, nil, false},
		{"value too long", map[string]string{"k": strings.Repeat("v", 257)}, nil, false},
		{"bad key character", map[string]string{"team!": "v"}, nil, false},
		{"reserved prefix", map[string]string{"AWS:team": "v"}, nil, false},
		{"keys differing in case", map[string]string{"Team": "a", "team": "b"}, nil, false},
		{"transitive key not a tag", map[string]string{"team": "blue"}, []string{"dept"}, false},
	}
	for _, tt := range tests {
		err := checkTags(tt.tags, tt.transitive, attrs(tt.tags))
		if tt.ok {
			if err != nil {
				t.Errorf("%s: checkTags() = %v, want nil", tt.name, err)
			}
			continue
		}
		wantAPIError(t, err, awsapi.CodeValidation, http.StatusBadRequest, msgTags)
	}
	two := map[string][]string{attrPrincipalTag + "team": {"a", "b"}}
	err := checkTags(map[string]string{"team": "a"}, nil, two)
	wantAPIError(t, err, awsapi.CodeValidation, http.StatusBadRequest, msgTags)
}

func TestConditionContext(t *testing.T) {
	t.Parallel()
	a := &Assertion{
		Issuer: "https://idp.example/metadata", NameID: "alice", Recipient: "https://us-east-1.signin.aws.amazon.com/saml",
		AudienceRestrictions: [][]string{{"urn:amazon:webservices"}},
		Attributes: map[string][]string{
			"urn:oid:1.3.6.1.4.1.5923.1.1.1.1": {"staff", "member"},
			"urn:oid:2.5.4.3":                  {"Alice Liddell"},
			"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": {"alice@example.com"},
			"urn:example:unmapped": {"x"},
		},
	}
	got := conditionContext(a, requestContext{subjectType: "persistent", nameQualifier: "nq=", doc: "123456789012/samlab",
		tags: map[string]string{"team": "blue"}, transitive: []string{"team"}, sourceIdentity: "alice"})
	want := map[string][]string{
		"SAML:aud":                  {"https://us-east-1.signin.aws.amazon.com/saml"},
		"SAML:iss":                  {"https://idp.example/metadata"},
		"SAML:sub":                  {"alice"},
		"SAML:sub_type":             {"persistent"},
		"SAML:namequalifier":        {"nq="},
		"SAML:doc":                  {"123456789012/samlab"},
		"SAML:edupersonaffiliation": {"staff", "member"},
		"SAML:cn":                   {"Alice Liddell"},
		"SAML:commonName":           {"Alice Liddell"},
		"SAML:mail":                 {"alice@example.com"},
		"aws:RequestTag/team":       {"blue"},
		"aws:TagKeys":               {"team"},
		"sts:TransitiveTagKeys":     {"team"},
		"sts:SourceIdentity":        {"alice"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("conditionContext() (-want +got):\n%s", d)
	}
}
