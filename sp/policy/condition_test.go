package policy

import (
	"strings"
	"testing"
)

// allowsWith evaluates a one-statement identity policy with the given
// Condition block against ctx.
func allowsWith(t *testing.T, cond string, ctx map[string][]string) bool {
	t.Helper()
	p := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":`+cond+`}}`, KindIdentity)
	return p.Check(Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx}).Allowed
}

func ctx(kv ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

func TestConditionOperators(t *testing.T) {
	t.Parallel()
	tags := map[string][]string{"aws:TagKeys": {"team", "env"}}
	tests := []struct {
		name string
		cond string
		ctx  map[string][]string
		want bool
	}{
		// String.
		{"StringEquals", `{"StringEquals":{"aws:username":"alice"}}`, ctx("aws:username", "alice"), true},
		{"StringEquals is case-sensitive", `{"StringEquals":{"aws:username":"Alice"}}`, ctx("aws:username", "alice"), false},
		{"StringEquals any policy value", `{"StringEquals":{"aws:username":["bob","alice"]}}`, ctx("aws:username", "alice"), true},
		{"StringEquals star is literal", `{"StringEquals":{"aws:username":"a*"}}`, ctx("aws:username", "alice"), false},
		{"key names are case-insensitive", `{"StringEquals":{"AWS:UserName":"alice"}}`, ctx("aws:username", "alice"), true},
		{"StringNotEquals holds", `{"StringNotEquals":{"aws:username":["bob","carol"]}}`, ctx("aws:username", "alice"), true},
		{"StringNotEquals fails", `{"StringNotEquals":{"aws:username":["bob","alice"]}}`, ctx("aws:username", "alice"), false},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, ctx("aws:username", "alice"), true},
		{"StringEqualsIgnoreCase differs", `{"StringEqualsIgnoreCase":{"aws:username":"ALICIA"}}`, ctx("aws:username", "alice"), false},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`, ctx("aws:username", "alice"), false},
		{"StringNotEqualsIgnoreCase holds", `{"StringNotEqualsIgnoreCase":{"aws:username":"BOB"}}`, ctx("aws:username", "alice"), true},
		{"StringLike star across slash", `{"StringLike":{"s3:prefix":"home/*"}}`, ctx("s3:prefix", "home/alice/docs"), true},
		{"StringLike question mark", `{"StringLike":{"aws:username":"al?ce"}}`, ctx("aws:username", "alice"), true},
		{"StringLike no match", `{"StringLike":{"aws:username":"bob*"}}`, ctx("aws:username", "alice"), false},
		{"StringLike is case-sensitive", `{"StringLike":{"aws:username":"A*"}}`, ctx("aws:username", "alice"), false},
		{"StringNotLike", `{"StringNotLike":{"aws:username":"a*"}}`, ctx("aws:username", "alice"), false},
		{"StringNotLike holds", `{"StringNotLike":{"aws:username":"b*"}}`, ctx("aws:username", "alice"), true},
		// Numeric.
		{"NumericEquals", `{"NumericEquals":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "10.0"), true},
		{"NumericEquals differs", `{"NumericEquals":{"s3:max-keys":10}}`, ctx("s3:max-keys", "11"), false},
		{"NumericNotEquals", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "11"), true},
		{"NumericNotEquals equal", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "10"), false},
		{"NumericLessThan", `{"NumericLessThan":{"n":"10"}}`, ctx("n", "9.5"), true},
		{"NumericLessThan equal", `{"NumericLessThan":{"n":"10"}}`, ctx("n", "10"), false},
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"n":"10"}}`, ctx("n", "10"), true},
		{"NumericLessThanEquals above", `{"NumericLessThanEquals":{"n":"10"}}`, ctx("n", "10.01"), false},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"n":"-1"}}`, ctx("n", "0"), true},
		{"NumericGreaterThan equal", `{"NumericGreaterThan":{"n":"0"}}`, ctx("n", "0"), false},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"n":"1e3"}}`, ctx("n", "1000"), true},
		{"NumericGreaterThanEquals below", `{"NumericGreaterThanEquals":{"n":"1000"}}`, ctx("n", "999"), false},
		{"Numeric not a number", `{"NumericLessThan":{"n":"10"}}`, ctx("n", "ten"), false},
		{"Numeric hex refused", `{"NumericEquals":{"n":"0x10"}}`, ctx("n", "16"), false},
		{"Numeric no variables", `{"NumericEquals":{"n":"${x}"}}`, ctx("n", "1", "x", "1"), false},
		// Date.
		{"DateGreaterThan", `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}`, ctx("aws:TokenIssueTime", "2024-05-01T10:00:00Z"), true},
		{"DateGreaterThan earlier", `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}`, ctx("aws:TokenIssueTime", "2019-12-31T23:59:59Z"), false},
		{"DateLessThan epoch policy value", `{"DateLessThan":{"aws:CurrentTime":"1700000000"}}`, ctx("aws:CurrentTime", "2023-11-14T22:13:19Z"), true},
		{"DateLessThan epoch, equal", `{"DateLessThan":{"aws:CurrentTime":"1700000000"}}`, ctx("aws:CurrentTime", "2023-11-14T22:13:20Z"), false},
		{"DateLessThanEquals", `{"DateLessThanEquals":{"aws:CurrentTime":"2023-11-14T22:13:20Z"}}`, ctx("aws:CurrentTime", "1700000000"), true},
		{"DateGreaterThanEquals zone offset", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2024-01-01T01:00:00+01:00"}}`, ctx("aws:CurrentTime", "2024-01-01T00:00:00Z"), true},
		{"DateEquals date only", `{"DateEquals":{"aws:CurrentTime":"2024-02-29"}}`, ctx("aws:CurrentTime", "2024-02-29T00:00:00Z"), true},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2024-02-29"}}`, ctx("aws:CurrentTime", "2024-02-29T00:00:00Z"), false},
		{"DateNotEquals holds", `{"DateNotEquals":{"aws:CurrentTime":"2024-02-28"}}`, ctx("aws:CurrentTime", "2024-02-29T00:00:00Z"), true},
		{"Date not a date", `{"DateLessThan":{"aws:CurrentTime":"soon"}}`, ctx("aws:CurrentTime", "2024-02-29T00:00:00Z"), false},
		// Bool.
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, ctx("aws:SecureTransport", "true"), true},
		{"Bool JSON boolean", `{"Bool":{"aws:MultiFactorAuthPresent":true}}`, ctx("aws:MultiFactorAuthPresent", "true"), true},
		{"Bool false vs true", `{"Bool":{"aws:SecureTransport":"false"}}`, ctx("aws:SecureTransport", "true"), false},
		{"Bool not a boolean", `{"Bool":{"aws:SecureTransport":"yes"}}`, ctx("aws:SecureTransport", "yes"), false},
		// Binary.
		{"BinaryEquals", `{"BinaryEquals":{"k":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, ctx("k", "QmluYXJ5VmFsdWVJbkJhc2U2NA=="), true},
		{"BinaryEquals differs", `{"BinaryEquals":{"k":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, ctx("k", "QmluYXJ5"), false},
		{"BinaryEquals not base64", `{"BinaryEquals":{"k":"!!"}}`, ctx("k", "!!"), false},
		// IP address.
		{"IpAddress CIDR", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:SourceIp", "203.0.113.7"), true},
		{"IpAddress outside", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:SourceIp", "203.0.114.7"), false},
		{"IpAddress bare address is /32", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, ctx("aws:SourceIp", "203.0.113.7"), true},
		{"IpAddress bare address, neighbour", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, ctx("aws:SourceIp", "203.0.113.8"), false},
		{"IpAddress IPv6", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}`, ctx("aws:SourceIp", "2001:db8:1234:5678::1"), true},
		{"IpAddress host bits set", `{"IpAddress":{"aws:SourceIp":"10.1.2.3/8"}}`, ctx("aws:SourceIp", "10.200.0.1"), true},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx("aws:SourceIp", "192.0.2.1"), true},
		{"NotIpAddress inside", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx("aws:SourceIp", "10.0.0.1"), false},
		{"IpAddress not an address", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx("aws:SourceIp", "localhost"), false},
		// ARN.
		{"ArnEquals", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:topic"}}`, ctx("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:topic"), true},
		{"ArnLike per segment", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}`, ctx("aws:SourceArn", "arn:aws:sns:eu-west-1:123456789012:topic"), true},
		{"ArnLike star does not span colons (UG example)", `{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}`,
			ctx("aws:SourceArn", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"), false},
		{"StringLike spans colons (UG example)", `{"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}`,
			ctx("aws:SourceArn", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"), true},
		{"ArnEquals has wildcards too", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/*"}}`, ctx("aws:PrincipalArn", "arn:aws:iam::123456789012:role/Admin"), true},
		{"ArnNotEquals", `{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/Admin"}}`, ctx("aws:PrincipalArn", "arn:aws:iam::123456789012:role/Admin"), false},
		{"ArnNotLike holds", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Break*"}}`, ctx("aws:PrincipalArn", "arn:aws:iam::123456789012:role/Admin"), true},
		{"Arn value not an ARN", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, ctx("aws:SourceArn", "topic"), false},
		// Missing keys (UG: false, negated true; IfExists true; Null tests presence).
		{"missing key, plain operator", `{"StringEquals":{"saml:uid":"alice"}}`, nil, false},
		{"missing key, negated operator", `{"StringNotEquals":{"saml:uid":"alice"}}`, nil, true},
		{"missing key, NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, true},
		{"missing key, ArnNotLike", `{"ArnNotLike":{"aws:SourceArn":"arn:*:*:*:*:*"}}`, nil, true},
		{"missing key, Numeric", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`, nil, false},
		{"missing key, IfExists", `{"StringEqualsIfExists":{"saml:uid":"alice"}}`, nil, true},
		{"present key, IfExists", `{"StringEqualsIfExists":{"saml:uid":"bob"}}`, ctx("saml:uid", "alice"), false},
		{"present key, IfExists holds", `{"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"3600"}}`, ctx("aws:MultiFactorAuthAge", "60"), true},
		{"negated IfExists, present", `{"StringNotEqualsIfExists":{"aws:RequestTag/env":"prod"}}`, ctx("aws:RequestTag/env", "prod"), false},
		{"Null true on missing key", `{"Null":{"aws:TokenIssueTime":"true"}}`, nil, true},
		{"Null true on present key", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctx("aws:TokenIssueTime", "2024-01-01T00:00:00Z"), false},
		{"Null false on present key", `{"Null":{"aws:TokenIssueTime":false}}`, ctx("aws:TokenIssueTime", "2024-01-01T00:00:00Z"), true},
		{"Null false on missing key", `{"Null":{"aws:TokenIssueTime":"false"}}`, nil, false},
		// Set operators and multivalued keys.
		{"ForAnyValue holds", `{"ForAnyValue:StringEquals":{"aws:TagKeys":"env"}}`, tags, true},
		{"ForAnyValue fails", `{"ForAnyValue:StringEquals":{"aws:TagKeys":"owner"}}`, tags, false},
		{"ForAnyValue on missing key", `{"ForAnyValue:StringLike":{"aws:TagKeys":"*"}}`, nil, false},
		{"ForAnyValue on empty set", `{"ForAnyValue:StringLike":{"aws:TagKeys":"*"}}`, map[string][]string{"aws:TagKeys": {}}, false},
		{"ForAnyValue IfExists on missing key", `{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":"x"}}`, nil, true},
		{"ForAllValues holds", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env","owner"]}}`, tags, true},
		{"ForAllValues fails", `{"ForAllValues:StringEquals":{"aws:TagKeys":"team"}}`, tags, false},
		{"ForAllValues on missing key", `{"ForAllValues:StringEquals":{"aws:TagKeys":"x"}}`, nil, true},
		{"ForAnyValue:StringNotEquals", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"team"}}`, tags, true},
		{"ForAnyValue:StringNotEquals, all listed", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team","env"]}}`, tags, false},
		{"ForAllValues:StringNotEquals", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":"team"}}`, tags, false},
		{"ForAllValues:StringNotEquals holds", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":"owner"}}`, tags, true},
		{"ForAnyValue:NumericGreaterThan", `{"ForAnyValue:NumericGreaterThan":{"n":"5"}}`, ctx("n", "1", "n", "9"), true},
		{"ForAllValues:IpAddress", `{"ForAllValues:IpAddress":{"ips":"10.0.0.0/8"}}`, ctx("ips", "10.0.0.1", "ips", "192.0.2.1"), false},
		{"multivalued, no qualifier, one matches", `{"StringEquals":{"saml:edupersonaffiliation":"staff"}}`, ctx("saml:edupersonaffiliation", "staff", "saml:edupersonaffiliation", "member"), true},
		{"multivalued, negated, one matches", `{"StringNotEquals":{"saml:edupersonaffiliation":"staff"}}`, ctx("saml:edupersonaffiliation", "staff", "saml:edupersonaffiliation", "member"), false},
		{"multivalued, negated, none matches", `{"StringNotEquals":{"saml:edupersonaffiliation":"alum"}}`, ctx("saml:edupersonaffiliation", "staff", "saml:edupersonaffiliation", "member"), true},
		// Combination.
		{"every key and operator must hold", `{"StringEquals":{"aws:username":"alice","aws:PrincipalTag/team":"blue"},"Bool":{"aws:SecureTransport":"true"}}`,
			ctx("aws:username", "alice", "aws:PrincipalTag/team", "blue", "aws:SecureTransport", "true"), true},
		{"one key fails", `{"StringEquals":{"aws:username":"alice","aws:PrincipalTag/team":"red"},"Bool":{"aws:SecureTransport":"true"}}`,
			ctx("aws:username", "alice", "aws:PrincipalTag/team", "blue", "aws:SecureTransport", "true"), false},
		{"operator names are case-insensitive", `{"stringequals":{"aws:username":"alice"}}`, ctx("aws:username", "alice"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := allowsWith(t, tt.cond, tt.ctx); got != tt.want {
				t.Errorf("Condition %s with %v: allowed = %v, want %v", tt.cond, tt.ctx, got, tt.want)
			}
		})
	}
}

func TestPolicyVariables(t *testing.T) {
	t.Parallel()
	user := ctx("aws:username", "alice", "aws:PrincipalTag/team", "blue", "saml:sub", "S-1", "www.amazon.com:user_id", "amzn1.account.X")
	tests := []struct {
		name     string
		version  string
		resource string // Resource element value
		cond     string // or a Condition block ("" for none)
		req      string // requested resource
		ctx      map[string][]string
		want     bool
	}{
		{"aws:username in Resource", "2012-10-17", "arn:aws:s3:::bucket/home/${aws:username}/*", "", "arn:aws:s3:::bucket/home/alice/f", user, true},
		{"aws:username in Resource, other user", "2012-10-17", "arn:aws:s3:::bucket/home/${aws:username}/*", "", "arn:aws:s3:::bucket/home/bob/f", user, false},
		{"key name case-insensitive", "2012-10-17", "arn:aws:s3:::bucket/${AWS:UserName}", "", "arn:aws:s3:::bucket/alice", user, true},
		{"PrincipalTag", "2012-10-17", "arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*", "", "arn:aws:s3:::bucket/blue/x", user, true},
		{"PrincipalTag, other team", "2012-10-17", "arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*", "", "arn:aws:s3:::bucket/red/x", user, false},
		{"saml:sub", "2012-10-17", "arn:aws:s3:::bucket/${saml:sub}", "", "arn:aws:s3:::bucket/S-1", user, true},
		{"www.amazon.com:user_id", "2012-10-17", "arn:aws:s3:::bucket/${www.amazon.com:user_id}/*", "", "arn:aws:s3:::bucket/amzn1.account.X/a", user, true},
		{"missing key matches nothing", "2012-10-17", "arn:aws:s3:::bucket/${aws:userid}", "", "arn:aws:s3:::bucket/", user, false},
		{"default value", "2012-10-17", "arn:aws:s3:::bucket/${aws:userid, 'anonymous'}", "", "arn:aws:s3:::bucket/anonymous", user, true},
		{"default value not used when key present", "2012-10-17", "arn:aws:s3:::bucket/${aws:username, 'anonymous'}", "", "arn:aws:s3:::bucket/anonymous", user, false},
		{"default with quote and brace", "2012-10-17", "arn:aws:s3:::bucket/${x, 'it''s}'}", "", "arn:aws:s3:::bucket/it's}", nil, true},
		{"${*} is a literal star", "2012-10-17", "arn:aws:s3:::bucket/a${*}", "", "arn:aws:s3:::bucket/a*", nil, true},
		{"${*} is not a wildcard", "2012-10-17", "arn:aws:s3:::bucket/a${*}", "", "arn:aws:s3:::bucket/ab", nil, false},
		{"${?} is a literal question mark", "2012-10-17", "arn:aws:s3:::bucket/a${?}", "", "arn:aws:s3:::bucket/ab", nil, false},
		{"${?} matches itself", "2012-10-17", "arn:aws:s3:::bucket/a${?}", "", "arn:aws:s3:::bucket/a?", nil, true},
		{"${$} is a literal dollar", "2012-10-17", "arn:aws:s3:::bucket/${$}{aws:username}", "", "arn:aws:s3:::bucket/${aws:username}", user, true},
		{"substituted text is literal", "2012-10-17", "arn:aws:s3:::bucket/${aws:username}", "", "arn:aws:s3:::bucket/xyz", ctx("aws:username", "*"), false},
		{"multivalued key is no variable", "2012-10-17", "arn:aws:s3:::bucket/${aws:TagKeys}", "", "arn:aws:s3:::bucket/a", ctx("aws:TagKeys", "a", "aws:TagKeys", "b"), false},
		{"no variables before Version 2012-10-17", "2008-10-17", "arn:aws:s3:::bucket/${aws:username}", "", "arn:aws:s3:::bucket/${aws:username}", user, true},
		{"legacy version, value not substituted", "2008-10-17", "arn:aws:s3:::bucket/${aws:username}", "", "arn:aws:s3:::bucket/alice", user, false},
		{"no variables before the fifth colon", "2012-10-17", "arn:aws:s3:${aws:username}::bucket", "", "arn:aws:s3:alice::bucket", user, false},
		{"unterminated variable is literal", "2012-10-17", "arn:aws:s3:::bucket/${aws:username", "", "arn:aws:s3:::bucket/${aws:username", user, true},
		{"in StringLike", "2012-10-17", "*", `{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}`, "arn:aws:s3:::bucket", ctx("aws:username", "alice", "s3:prefix", "home/alice/x"), true},
		{"in StringLike, other prefix", "2012-10-17", "*", `{"StringLike":{"s3:prefix":["home/${aws:username}/*"]}}`, "arn:aws:s3:::bucket", ctx("aws:username", "alice", "s3:prefix", "home/bob/x"), false},
		{"in StringEquals against a tag", "2012-10-17", "*", `{"StringEquals":{"aws:ResourceTag/owner":"${aws:username}"}}`, "arn:aws:s3:::bucket", ctx("aws:username", "alice", "aws:ResourceTag/owner", "alice"), true},
		{"in ArnEquals", "2012-10-17", "*", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/${aws:username}"}}`, "arn:aws:s3:::bucket", ctx("aws:username", "alice", "aws:PrincipalArn", "arn:aws:iam::123456789012:user/alice"), true},
		{"unresolved in a condition value", "2012-10-17", "*", `{"StringEquals":{"aws:ResourceTag/owner":"${aws:userid}"}}`, "arn:aws:s3:::bucket", ctx("aws:ResourceTag/owner", ""), false},
		{"not in Date conditions", "2012-10-17", "*", `{"DateLessThan":{"aws:CurrentTime":"${t}"}}`, "arn:aws:s3:::bucket", ctx("t", "2030-01-01T00:00:00Z", "aws:CurrentTime", "2024-01-01T00:00:00Z"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := `{"Version":"` + tt.version + `","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"` + tt.resource + `"`
			if tt.cond != "" {
				doc += `,"Condition":` + tt.cond
			}
			doc += `}}`
			p := mustParse(t, doc, KindIdentity)
			if got := p.Check(Request{Action: "s3:GetObject", Resource: tt.req, Context: tt.ctx}).Allowed; got != tt.want {
				t.Errorf("%s on %s with %v: allowed = %v, want %v", doc, tt.req, tt.ctx, got, tt.want)
			}
		})
	}
}

func TestActionAndResourceMatching(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, stmt, action, resource string
		want                         bool
	}{
		{"action exact", `"Action":"s3:GetObject","Resource":"*"`, "s3:GetObject", "arn:aws:s3:::b/k", true},
		{"action other", `"Action":"s3:GetObject","Resource":"*"`, "s3:PutObject", "arn:aws:s3:::b/k", false},
		{"action case-insensitive", `"Action":"S3:getobject","Resource":"*"`, "s3:GetObject", "arn:aws:s3:::b/k", true},
		{"action star", `"Action":"*","Resource":"*"`, "iam:CreateUser", "", true},
		{"action prefix wildcard", `"Action":"iam:*AccessKey*","Resource":"*"`, "iam:UpdateAccessKey", "", true},
		{"action wildcard other service", `"Action":"iam:*","Resource":"*"`, "sts:AssumeRole", "", false},
		{"action question mark", `"Action":"s3:?etObject","Resource":"*"`, "s3:GetObject", "", true},
		{"action list", `"Action":["s3:PutObject","s3:GetObject"],"Resource":"*"`, "s3:GetObject", "", true},
		{"NotAction excludes", `"NotAction":"iam:*","Resource":"*"`, "iam:CreateUser", "", false},
		{"NotAction allows the rest", `"NotAction":"iam:*","Resource":"*"`, "s3:GetObject", "", true},
		{"resource exact", `"Action":"s3:*","Resource":"arn:aws:s3:::b/k"`, "s3:GetObject", "arn:aws:s3:::b/k", true},
		{"resource case-sensitive", `"Action":"s3:*","Resource":"arn:aws:s3:::B/k"`, "s3:GetObject", "arn:aws:s3:::b/k", false},
		{"resource wildcard", `"Action":"s3:*","Resource":"arn:aws:s3:::b/*"`, "s3:GetObject", "arn:aws:s3:::b/dir/k", true},
		{"resource bucket is not its objects", `"Action":"s3:*","Resource":"arn:aws:s3:::b/*"`, "s3:ListBucket", "arn:aws:s3:::b", false},
		{"resource wildcard in a segment", `"Action":"iam:*","Resource":"arn:aws:iam::*:role/Admin"`, "iam:GetRole", "arn:aws:iam::123456789012:role/Admin", true},
		{"resource segment wildcard does not span colons", `"Action":"logs:*","Resource":"arn:aws:logs:*:123456789012:log-group:*"`, "logs:PutLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s", true},
		{"resource account differs", `"Action":"iam:*","Resource":"arn:aws:iam::123456789012:role/*"`, "iam:GetRole", "arn:aws:iam::210987654321:role/Admin", false},
		{"resource question mark", `"Action":"s3:*","Resource":"arn:aws:s3:::b?"`, "s3:ListBucket", "arn:aws:s3:::b1", true},
		{"resource ARN needed for no-resource action", `"Action":"s3:*","Resource":"arn:aws:s3:::*"`, "s3:ListAllMyBuckets", "", false},
		{"NotResource excludes", `"Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"`, "s3:GetObject", "arn:aws:s3:::secret/k", false},
		{"NotResource allows the rest", `"Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"`, "s3:GetObject", "arn:aws:s3:::public/k", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow",`+tt.stmt+`}}`, KindIdentity)
			if got := p.Check(Request{Action: tt.action, Resource: tt.resource}).Allowed; got != tt.want {
				t.Errorf("{%s} for %s on %q: allowed = %v, want %v", tt.stmt, tt.action, tt.resource, got, tt.want)
			}
		})
	}
}

func TestMatchIsLinear(t *testing.T) {
	t.Parallel()
	v := strings.Repeat("a", 5000)
	if wildPattern("*a*a*a*a*a*a*a*a*a*a*b").match(v, false) {
		t.Fatal("hostile pattern matched")
	}
	if !wildPattern("*a*a*a*a*a*a*a*a*a*a*").match(v, false) {
		t.Fatal("pattern of stars and a's did not match a run of a's")
	}
}
