package awsapi

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestParseFormMatchesParseQuery(t *testing.T) {
	for _, in := range []string{
		"", "&", "a", "a=", "=b", "a=b&a=c", "a=1&&b=2", "a+b=c+d", "x=%41%4a%4A%2B%2f%3D",
		"a=%", "a=%4", "a=%zz&b=1", "a=%4g", "%=1", "a;b=1", "a=1;b=2&c=3", "a=b%", "a=%%41",
		"SAMLAssertion=" + url.QueryEscape("PHNhbWxwOlJlc3BvbnNl+/=") + "&Action=AssumeRoleWithSAML",
		"k=\x00\xff%00", strings.Repeat("&", 10_000), strings.Repeat("&", 9_999) + "a=1",
	} {
		want, wantErr := url.ParseQuery(in)
		got, gotErr := parseForm([]byte(in))
		if (gotErr == nil) != (wantErr == nil) {
			t.Errorf("parseForm(%.40q) error %v, url.ParseQuery's %v", in, gotErr, wantErr)
			continue
		}
		if gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Errorf("parseForm(%.40q) error %q, url.ParseQuery's %q", in, gotErr, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("parseForm(%.40q) = %q, url.ParseQuery gives %q", in, got, want)
		}
	}
}

// FuzzParseForm checks parseForm against url.ParseQuery, which it
// replaces on the request path: the same values and the same error on
// every input.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{"Action=AssumeRoleWithSAML&Version=2011-06-15&SAMLAssertion=PD94%2B%2F%3D",
		"a=%zz;b", "a+b=%41+", "x=%", "&&=&"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		want, wantErr := url.ParseQuery(string(in))
		got, gotErr := parseForm(in)
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("parseForm(%q) error %v, url.ParseQuery's %v", in, gotErr, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("parseForm(%q) = %q, url.ParseQuery gives %q", in, got, want)
		}
	})
}
