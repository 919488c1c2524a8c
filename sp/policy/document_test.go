package policy

import (
	"errors"
	"testing"
)

func mustParse(t *testing.T, doc string, kind Kind) *Policy {
	t.Helper()
	p, err := Parse(doc, kind)
	if err != nil {
		t.Fatalf("Parse(%s) = %v", doc, err)
	}
	return p
}

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind Kind
		doc  string
		// check inspects the parsed statement 0.
		check func(*Policy) bool
	}{
		{"statement as object", KindIdentity,
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
			func(p *Policy) bool { return len(p.Statements) == 1 && p.Statements[0].Action[0] == "s3:GetObject" }},
		{"statement as array, Sid, Id", KindIdentity,
			`{"Version":"2008-10-17","Id":"p1","Statement":[{"Sid":"A","Effect":"Deny","Action":["s3:*","iam:Get*"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]},{"Sid":"B","Effect":"Allow","NotAction":"iam:*","NotResource":"arn:aws:iam::*:*"}]}`,
			func(p *Policy) bool {
				return p.ID == "p1" && p.Version == VersionLegacy && len(p.Statements) == 2 && p.Statements[0].Sid == "A" &&
					len(p.Statements[0].Resource) == 2 && p.Statements[1].NotAction[0] == "iam:*" && p.Statements[1].NotResource[0] == "arn:aws:iam::*:*"
			}},
		{"no Version", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
			func(p *Policy) bool { return p.Version == "" }},
		{"Principal star", KindResource, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
			func(p *Policy) bool { return p.Statements[0].Principal.Any }},
		{"AWS star is any", KindResource, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject"}}`,
			func(p *Policy) bool { return p.Statements[0].Principal.Any }},
		{"every principal type, string and list", KindTrust,
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:user/alice","arn:aws:sts::123456789012:assumed-role/R/s"],"Federated":"cognito-identity.amazonaws.com","Service":["ec2.amazonaws.com"],"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"sts:AssumeRole"}}`,
			func(p *Policy) bool {
				v := p.Statements[0].Principal.Values
				return !p.Statements[0].Principal.Any && len(v["AWS"]) == 3 && v["Federated"][0] == "cognito-identity.amazonaws.com" && v["Service"][0] == "ec2.amazonaws.com" && len(v["CanonicalUser"]) == 1
			}},
		{"NotPrincipal", KindResource, `{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:*","Resource":"*"}}`,
			func(p *Policy) bool { return p.Statements[0].NotPrincipal != nil && p.Statements[0].Principal == nil }},
		{"condition values: strings, booleans, numbers, lists", KindIdentity,
			`{"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":true},"NumericLessThanEquals":{"s3:max-keys":10},"ForAnyValue:StringLike":{"aws:TagKeys":["a*","b?"]}}}}`,
			func(p *Policy) bool {
				c := p.Statements[0].Conditions
				return len(c) == 3 && c[0].Operator == "ForAnyValue:StringLike" && len(c[0].Values) == 2 &&
					c[1].Values[0] == "true" && c[2].Values[0] == "10"
			}},
		{"IfExists on every family", KindIdentity,
			`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIfExists":{"k":"v"},"NumericLessThanIfExists":{"n":"1"},"DateGreaterThanIfExists":{"d":"2020-01-01"},"BoolIfExists":{"b":"true"},"BinaryEqualsIfExists":{"x":"AA=="},"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"},"ArnLikeIfExists":{"a":"arn:*:*:*:*:*"}}}}`,
			func(p *Policy) bool { return len(p.Statements[0].Conditions) == 7 }},
		{"trust policy without Resource", KindTrust, `{"Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/x"},"Action":"sts:AssumeRoleWithSAML"}}`,
			func(p *Policy) bool { return len(p.Statements[0].Resource) == 0 }},
		{"resource policy Sid with hyphens", KindResource, `{"Statement":{"Sid":"allow-read 1","Effect":"Allow","Principal":"*","Action":"s3:GetObject"}}`,
			func(p *Policy) bool { return p.Statements[0].Sid == "allow-read 1" }},
		{"empty statement list", KindTrust, `{"Statement":[]}`, func(p *Policy) bool { return len(p.Statements) == 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := mustParse(t, tt.doc, tt.kind)
			if !tt.check(p) {
				t.Errorf("Parse(%s) = %+v, not what the document says", tt.doc, p)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		kind      Kind
		doc       string
		statement int
		field     string
		msg       string
	}{
		{"empty", KindIdentity, ``, 0, "Policy", "Syntax errors in policy."},
		{"not JSON", KindIdentity, `{`, 0, "Policy", "Syntax errors in policy."},
		{"trailing data", KindIdentity, `{"Statement":[]} x`, 0, "Policy", "Syntax errors in policy."},
		{"array document", KindIdentity, `[]`, 0, "Policy", "Syntax errors in policy."},
		{"unknown top element", KindIdentity, `{"Statement":[],"Foo":1}`, 0, "Foo", "Syntax errors in policy."},
		{"element names are case-sensitive", KindIdentity, `{"statement":[]}`, 0, "statement", "Syntax errors in policy."},
		{"bad Version", KindIdentity, `{"Version":"2012-10-18","Statement":[]}`, 0, "Version", "The policy failed legacy parsing"},
		{"no Statement", KindIdentity, `{"Version":"2012-10-17"}`, 0, "Statement", "Missing required field Statement"},
		{"Statement a string", KindIdentity, `{"Statement":"x"}`, 0, "Statement", "Syntax errors in policy."},
		{"bad Effect", KindIdentity, `{"Statement":{"Effect":"Maybe","Action":"s3:*","Resource":"*"}}`, 1, "Effect", "Invalid effect: Maybe"},
		{"Effect case", KindIdentity, `{"Statement":{"Effect":"allow","Action":"s3:*","Resource":"*"}}`, 1, "Effect", "Invalid effect: allow"},
		{"unknown statement element", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Actions":"x"}}`, 1, "Actions", "Syntax errors in policy."},
		{"no Action, second statement", KindIdentity, `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Resource":"*"}]}`, 2, "Action", "Policy statement must contain actions."},
		{"Action and NotAction", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}}`, 1, "Action", "Statement must not contain both Action and NotAction."},
		{"Action without vendor", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}`, 1, "Action", "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
		{"Action not a string", KindIdentity, `{"Statement":{"Effect":"Allow","Action":5,"Resource":"*"}}`, 1, "Action", "Syntax errors in policy."},
		{"identity policy without Resource", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*"}}`, 1, "Resource", "Policy statement must contain resources."},
		{"Resource not an ARN", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"vpc-1234"}}`, 1, "Resource", `Resource vpc-1234 must be in ARN format or "*".`},
		{"Resource and NotResource", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"*"}}`, 1, "Resource", "Statement must not contain both Resource and NotResource."},
		{"identity policy with Principal", KindIdentity, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}`, 1, "Principal", "Policy document should not specify a principal."},
		{"identity policy with NotPrincipal", KindIdentity, `{"Statement":{"Effect":"Deny","NotPrincipal":"*","Action":"s3:*","Resource":"*"}}`, 1, "NotPrincipal", "Policy document should not specify a principal."},
		{"resource policy without Principal", KindResource, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, 1, "Principal", "Missing required field Principal"},
		{"trust policy with Resource", KindTrust, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}}`, 1, "Resource", "Has prohibited field Resource"},
		{"Principal and NotPrincipal", KindResource, `{"Statement":{"Effect":"Deny","Principal":"*","NotPrincipal":"*","Action":"s3:*"}}`, 1, "Principal", "Statement must not contain both Principal and NotPrincipal."},
		{"Principal a word", KindResource, `{"Statement":{"Effect":"Allow","Principal":"everyone","Action":"s3:*"}}`, 1, "Principal", `Invalid principal in policy: "":"everyone"`},
		{"unknown principal type", KindResource, `{"Statement":{"Effect":"Allow","Principal":{"User":"alice"},"Action":"s3:*"}}`, 1, "Principal", `Invalid principal in policy: "User":"alice"`},
		{"AWS principal not an ARN", KindResource, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"s3:*"}}`, 1, "Principal", `Invalid principal in policy: "AWS":"alice"`},
		{"AWS principal with wildcard", KindResource, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/*"},"Action":"s3:*"}}`, 1, "Principal", `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/*"`},
		{"Principal array", KindResource, `{"Statement":{"Effect":"Allow","Principal":["*"],"Action":"s3:*"}}`, 1, "Principal", "Syntax errors in policy."},
		{"no Effect", KindIdentity, `{"Statement":{"Action":"s3:*","Resource":"*"}}`, 1, "Effect", "Missing required field Effect"},
		{"Sid not alphanumeric", KindIdentity, `{"Statement":{"Sid":"allow-read","Effect":"Allow","Action":"s3:*","Resource":"*"}}`, 1, "Sid",
			"Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"},
		{"duplicate Sid", KindIdentity, `{"Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, 2, "Sid", "Statement IDs (SID) in a single policy must be unique."},
		{"unknown operator", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringMatchesRegex":{"k":".*"}}}}`, 1, "Condition", "Invalid Condition type : StringMatchesRegex"},
		{"NullIfExists", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"k":"true"}}}}`, 1, "Condition", "Invalid Condition type : NullIfExists"},
		{"unknown set qualifier", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForSomeValues:StringLike":{"k":"x"}}}}`, 1, "Condition", "Invalid Condition type : ForSomeValues:StringLike"},
		{"condition value an object", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"k":{"a":1}}}}}`, 1, "Condition", "Syntax errors in policy."},
		{"condition block a list", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":[]}}`, 1, "Condition", "Syntax errors in policy."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.doc, tt.kind)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) = %v, want *ParseError", tt.doc, err)
			}
			if pe.Statement != tt.statement || pe.Field != tt.field || pe.Message != tt.msg {
				t.Errorf("Parse(%q) = statement %d field %q %q, want statement %d field %q %q",
					tt.doc, pe.Statement, pe.Field, pe.Message, tt.statement, tt.field, tt.msg)
			}
		})
	}
}

func TestParseErrorText(t *testing.T) {
	t.Parallel()
	_, err := Parse(`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Resource":"*"}]}`, KindIdentity)
	if got, want := err.Error(), "policy: statement 2: Action: Policy statement must contain actions."; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
