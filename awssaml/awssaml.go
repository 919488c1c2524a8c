// Package awssaml is the vocabulary AWS gives SAML federation, in one place
// for both sides: the attribute names an IdP sends and STS reads, the Role
// attribute's "role,provider" pairs, the syntax of role and SAML provider
// ARNs, and the rules for session names, source identities and session tags
// (IAM User Guide, "Configure SAML assertions for the authentication
// response"; STS API reference, AssumeRoleWithSAML; IAM User Guide, "Passing
// session tags in STS"). The IdP, STS, the console sign-in, `samlab explain`
// and `samlab login` all use it, so their copies cannot drift apart.
//
// It imports only the standard library.
package awssaml

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Attribute names (case-sensitive).
const (
	AttrRole              = "https://aws.amazon.com/SAML/Attributes/Role"
	AttrRoleSessionName   = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	AttrSessionDuration   = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	AttrSourceIdentity    = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
	AttrTransitiveTagKeys = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
	// AttrPrincipalTagPrefix is followed by the tag key.
	AttrPrincipalTagPrefix = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
)

// Limits of session tags (IAM User Guide, "Session tag limits").
const (
	MaxTags        = 50
	MaxTagKeyLen   = 128
	MaxTagValueLen = 256
)

var (
	providerARNRE = regexp.MustCompile(`^arn:aws[\w-]*:iam::\d{12}:saml-provider/[\w._-]{1,128}$`)
	// A role ARN: an optional path of printable ASCII segments, then the
	// role name of 1-64 characters (IAM API reference, Role).
	roleARNRE     = regexp.MustCompile(`^arn:aws[\w-]*:iam::\d{12}:role/([\x21-\x7E]+/)*[\w+=,.@-]{1,64}$`)
	sessionNameRE = regexp.MustCompile(`^[a-zA-Z_0-9+=,.@-]{2,64}$`)
	tagCharsRE    = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// ValidRoleARN reports whether arn is an IAM role ARN in any partition:
// arn:aws:iam::ACCOUNT:role/[PATH/]NAME.
func ValidRoleARN(arn string) bool { return roleARNRE.MatchString(arn) }

// ValidProviderARN reports whether arn is an IAM SAML provider ARN:
// arn:aws:iam::ACCOUNT:saml-provider/NAME.
func ValidProviderARN(arn string) bool { return providerARNRE.MatchString(arn) }

// ValidSessionName reports whether s is a valid RoleSessionName: 2-64
// characters of letters, digits and +=,.@_-.
func ValidSessionName(s string) bool { return sessionNameRE.MatchString(s) }

// ValidSourceIdentity reports whether s is a valid SourceIdentity: a session
// name that does not start with "aws:" in any case.
func ValidSourceIdentity(s string) bool {
	return ValidSessionName(s) && !strings.HasPrefix(strings.ToLower(s), "aws:")
}

// InTagAlphabet reports whether s uses only the characters of session tag
// keys and values: letters, digits, spaces and _.:/=+-@.
func InTagAlphabet(s string) bool { return tagCharsRE.MatchString(s) }

// ValidTagKey reports whether k is a valid session tag key: 1-128 characters
// of the tag alphabet, not starting with "aws:" in any case.
func ValidTagKey(k string) bool {
	n := utf8.RuneCountInString(k)
	return n >= 1 && n <= MaxTagKeyLen && InTagAlphabet(k) && !strings.HasPrefix(strings.ToLower(k), "aws:")
}

// ValidTagValue reports whether v is a valid session tag value: at most 256
// characters of the tag alphabet.
func ValidTagValue(v string) bool {
	return utf8.RuneCountInString(v) <= MaxTagValueLen && InTagAlphabet(v)
}

// RolePair is one value of the Role attribute: a role and the SAML provider
// through which it may be assumed.
type RolePair struct {
	RoleARN     string
	ProviderARN string
}

// String is the pair as an IdP sends it: "role,provider".
func (p RolePair) String() string { return p.RoleARN + "," + p.ProviderARN }

// ParseRolePair reads a Role attribute value: "role-arn,provider-arn" in
// either order (Okta's AWS app puts the provider first). Surrounding spaces
// around each ARN are ignored, as the console's role chooser does; use
// HasRolePair for STS's byte-exact match. It reports false unless the value
// is two comma-separated parts, one naming a role and the other a SAML
// provider.
func ParseRolePair(v string) (RolePair, bool) {
	a, b, ok := strings.Cut(v, ",")
	if !ok || strings.Contains(b, ",") {
		return RolePair{}, false
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	switch {
	case strings.Contains(a, ":role/") && strings.Contains(b, ":saml-provider/"):
		return RolePair{RoleARN: a, ProviderARN: b}, true
	case strings.Contains(b, ":role/") && strings.Contains(a, ":saml-provider/"):
		return RolePair{RoleARN: b, ProviderARN: a}, true
	}
	return RolePair{}, false
}

// HasRolePair reports whether some Role value pairs role with provider, as
// "role,provider" or "provider,role". Values are compared byte for byte, as
// STS does: a space after the comma does not match.
func HasRolePair(values []string, role, provider string) bool {
	for _, v := range values {
		a, b, ok := strings.Cut(v, ",")
		if !ok {
			continue
		}
		if (a == role && b == provider) || (a == provider && b == role) {
			return true
		}
	}
	return false
}

// ARN is an IAM ARN split into its parts: arn:PARTITION:iam::ACCOUNT:RESOURCE.
type ARN struct {
	Partition, Account string
	// Type is "role" or "saml-provider"; Path is the role's path ("/" when
	// none, always with slashes at both ends); Name is the last segment.
	Type, Path, Name string
}

// SplitARN splits an IAM role or SAML provider ARN. It does not check the
// parts' syntax beyond their number: use ValidRoleARN or ValidProviderARN.
func SplitARN(arn string) (ARN, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || parts[3] != "" {
		return ARN{}, fmt.Errorf("%q is not an IAM ARN (arn:aws:iam::ACCOUNT:TYPE/NAME)", arn)
	}
	typ, rest, ok := strings.Cut(parts[5], "/")
	if !ok || rest == "" || (typ != "role" && typ != "saml-provider") {
		return ARN{}, fmt.Errorf("%q is not a role or SAML provider ARN", arn)
	}
	out := ARN{Partition: parts[1], Account: parts[4], Type: typ, Path: "/", Name: rest}
	if i := strings.LastIndex(rest, "/"); i >= 0 {
		out.Path, out.Name = "/"+rest[:i+1], rest[i+1:]
	}
	return out, nil
}
