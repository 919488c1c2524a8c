package awssaml

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	role     = "arn:aws:iam::123456789012:role/SAMLAdmin"
	provider = "arn:aws:iam::123456789012:saml-provider/samlab"
)

func TestParseRolePair(t *testing.T) {
	t.Parallel()
	want := RolePair{RoleARN: role, ProviderARN: provider}
	tests := []struct {
		in     string
		want   RolePair
		wantOK bool
	}{
		{role + "," + provider, want, true},
		{provider + "," + role, want, true},
		{" " + role + " , " + provider + " ", want, true},
		{role, RolePair{}, false},
		{role + "," + provider + "," + role, RolePair{}, false},
		{role + "," + role, RolePair{}, false},
		{"", RolePair{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseRolePair(tt.in)
		if ok != tt.wantOK || got != tt.want {
			t.Errorf("ParseRolePair(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
	if got := want.String(); got != role+","+provider {
		t.Errorf("String() = %q", got)
	}
}

func TestHasRolePair(t *testing.T) {
	t.Parallel()
	tests := []struct {
		values []string
		want   bool
	}{
		{[]string{role + "," + provider}, true},
		{[]string{provider + "," + role}, true},
		{[]string{"other", role + "," + provider}, true},
		{[]string{role + ", " + provider}, false},
		{[]string{role}, false},
		{[]string{role + ",arn:aws:iam::123456789012:saml-provider/other"}, false},
		{[]string{role + "," + provider + ",x"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := HasRolePair(tt.values, role, provider); got != tt.want {
			t.Errorf("HasRolePair(%q) = %v, want %v", tt.values, got, tt.want)
		}
	}
}

func TestValidators(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    func(string) bool
		in   string
		want bool
	}{
		{"role", ValidRoleARN, role, true},
		{"role with path", ValidRoleARN, "arn:aws:iam::123456789012:role/team/a/ReadOnly", true},
		{"role in aws-cn", ValidRoleARN, "arn:aws-cn:iam::123456789012:role/R", true},
		{"role name too long", ValidRoleARN, "arn:aws:iam::123456789012:role/" + repeat("r", 65), false},
		{"role short account", ValidRoleARN, "arn:aws:iam::1234:role/R", false},
		{"provider as role", ValidRoleARN, provider, false},
		{"provider", ValidProviderARN, provider, true},
		{"role as provider", ValidProviderARN, role, false},
		{"provider suffix", ValidProviderARN, provider + "\n", false},
		{"session name", ValidSessionName, "alice@example.com", true},
		{"session name short", ValidSessionName, "a", false},
		{"session name space", ValidSessionName, "a b", false},
		{"source identity", ValidSourceIdentity, "alice", true},
		{"source identity aws:", ValidSourceIdentity, "AWS:alice", false},
		{"tag key", ValidTagKey, "Cost Center", true},
		{"tag key aws:", ValidTagKey, "aws:x", false},
		{"tag key empty", ValidTagKey, "", false},
		{"tag key long", ValidTagKey, repeat("k", 129), false},
		{"tag value empty", ValidTagValue, "", true},
		{"tag value long", ValidTagValue, repeat("v", 257), false},
		{"tag value bad char", ValidTagValue, "a;b", false},
	}
	for _, tt := range tests {
		if got := tt.f(tt.in); got != tt.want {
			t.Errorf("%s: (%q) = %v, want %v", tt.name, tt.in, got, tt.want)
		}
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

func TestSplitARN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    ARN
		wantErr bool
	}{
		{role, ARN{Partition: "aws", Account: "123456789012", Type: "role", Path: "/", Name: "SAMLAdmin"}, false},
		{"arn:aws:iam::123456789012:role/team/a/ReadOnly", ARN{Partition: "aws", Account: "123456789012", Type: "role", Path: "/team/a/", Name: "ReadOnly"}, false},
		{provider, ARN{Partition: "aws", Account: "123456789012", Type: "saml-provider", Path: "/", Name: "samlab"}, false},
		{"arn:aws:s3:::bucket", ARN{}, true},
		{"arn:aws:iam::123456789012:user/bob", ARN{}, true},
		{"arn:aws:iam::123456789012:role/", ARN{}, true},
		{"nonsense", ARN{}, true},
	}
	for _, tt := range tests {
		got, err := SplitARN(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("SplitARN(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("SplitARN(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}
