package awsapi_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// FuzzQueryDecode decodes arbitrary Query-protocol bodies the way the
// AssumeRoleWithSAML and IAM handlers read them: required members, integers,
// member lists and tag lists. Properties: no panic; errors are 400
// ValidationErrors; a decoded list re-encoded as prefix.member.1..n decodes
// to the same list; every decoded tag's key is a parameter of the request.
// Seeds: requests the aws CLI sends; regressions live in
// testdata/fuzz/FuzzQueryDecode.
func FuzzQueryDecode(f *testing.F) {
	f.Add("Action=AssumeRoleWithSAML&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FSAMLAdmin" +
		"&PrincipalArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Asaml-provider%2Fsamlab&SAMLAssertion=PHNhbWxwOlJlc3BvbnNlLz4%3D" +
		"&DurationSeconds=3600&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess")
	f.Add("Action=CreateSAMLProvider&Version=2010-05-08&Name=samlab&SAMLMetadataDocument=%3CEntityDescriptor%2F%3E" +
		"&Tags.member.1.Key=team&Tags.member.1.Value=sec&Tags.member.2.Key=env&Tags.member.2.Value=")
	f.Add("PolicyArns.member.3.arn=c&PolicyArns.member.1.arn=a&PolicyArns.member.0.arn=z&PolicyArns.member.x.arn=y")
	f.Add("DurationSeconds=-1&DurationSeconds=2&Tags.member.1.Value=v")
	f.Add("DurationSeconds=99999999999999999999999&Tags.member.01.Key=k&Tags.member.1.Key=j")
	f.Fuzz(func(t *testing.T, body string) {
		params, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		r := &awsapi.Request{Params: params}
		checkErr := func(what string, err error) {
			if err == nil {
				return
			}
			var apiErr *awsapi.Error
			if !errors.As(err, &apiErr) || apiErr.Code != awsapi.CodeValidation || apiErr.Status != http.StatusBadRequest {
				t.Fatalf("%s error %v: want a 400 %s", what, err, awsapi.CodeValidation)
			}
		}
		_, err = r.Required("RoleArn", "roleArn")
		checkErr("Required", err)
		_, err = r.Int("DurationSeconds", "durationSeconds")
		checkErr("Int", err)
		tags, err := r.Tags("Tags")
		checkErr("Tags", err)
		for _, tg := range tags {
			if !hasValue(params, "Tags.member.", ".Key", tg.Key) {
				t.Fatalf("Tags returned key %q that no Tags.member.N.Key carries", tg.Key)
			}
		}
		for _, l := range []struct{ prefix, sub string }{{"PolicyArns", "arn"}, {"ClientIDList", ""}} {
			got := r.List(l.prefix, l.sub)
			again := (&awsapi.Request{Params: encodeList(l.prefix, l.sub, got)}).List(l.prefix, l.sub)
			if !slices.Equal(got, again) {
				t.Fatalf("List(%q, %q) = %q, but re-encoded it decodes to %q", l.prefix, l.sub, got, again)
			}
		}
	})
}

// hasValue reports whether some parameter prefix+N+suffix has value v.
func hasValue(params url.Values, prefix, suffix, v string) bool {
	for k, vs := range params {
		if strings.HasPrefix(k, prefix) && strings.HasSuffix(k, suffix) && slices.Contains(vs, v) {
			return true
		}
	}
	return false
}

// encodeList serializes vs as the Query list prefix.member.1..n[.sub].
func encodeList(prefix, sub string, vs []string) url.Values {
	out := url.Values{}
	for i, v := range vs {
		key := fmt.Sprintf("%s.member.%d", prefix, i+1)
		if sub != "" {
			key += "." + sub
		}
		out.Set(key, v)
	}
	return out
}
