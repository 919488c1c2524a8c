package oidc

import (
	"maps"
	"slices"

	"github.com/samlab-dev/samlab/idp"
)

// AWSTagsClaim is the claim AssumeRoleWithWebIdentity reads session tags
// from (IAM UG "Passing session tags using AssumeRoleWithWebIdentity"): an
// object with "principal_tags" (each tag a one-element array, since AWS
// accepts one value per tag) and "transitive_tag_keys".
const AWSTagsClaim = "https://aws.amazon.com/tags"

// AWSTags is the value of AWSTagsClaim.
type AWSTags struct {
	PrincipalTags     map[string][]string `json:"principal_tags"`
	TransitiveTagKeys []string            `json:"transitive_tag_keys,omitempty"`
}

// reservedClaims are set by the provider; a user attribute of the same name
// is not copied into tokens.
var reservedClaims = []string{
	"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "auth_time", "nonce", "acr", "amr", "azp",
	"at_hash", "c_hash", "sid", "scope", "client_id", "typ",
	"email", "email_verified", "groups", AWSTagsClaim,
}

// UserClaims returns the claims about u that ID tokens and the userinfo
// endpoint carry, from the users file:
//
//   - sub: the user name (what IAM trust policies match as <provider>:sub);
//   - email and email_verified (true: the users file is the authority), when
//     the user has an email;
//   - groups, when the user is in any;
//   - AWSTagsClaim, from principal_tags and transitive_tag_keys;
//   - every entry of attributes, as a string when it has one value and an
//     array otherwise, unless its name is a claim the provider sets itself.
func UserClaims(u idp.User) map[string]any {
	c := map[string]any{"sub": u.Name}
	for name, vals := range u.Attributes {
		if slices.Contains(reservedClaims, name) || len(vals) == 0 {
			continue
		}
		if len(vals) == 1 {
			c[name] = vals[0]
		} else {
			c[name] = slices.Clone(vals)
		}
	}
	if u.Email != "" {
		c["email"] = u.Email
		c["email_verified"] = true
	}
	if len(u.Groups) > 0 {
		c["groups"] = slices.Clone(u.Groups)
	}
	if len(u.PrincipalTags) > 0 {
		tags := AWSTags{PrincipalTags: map[string][]string{}}
		for _, k := range slices.Sorted(maps.Keys(u.PrincipalTags)) {
			tags.PrincipalTags[k] = []string{u.PrincipalTags[k]}
		}
		tags.TransitiveTagKeys = slices.Clone(u.TransitiveTagKeys)
		c[AWSTagsClaim] = tags
	}
	return c
}
