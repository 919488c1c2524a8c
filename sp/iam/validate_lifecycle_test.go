package iam_test

import (
	"strings"
)

// lifecycleValidationCases break every model constraint of the
// managed-policy lifecycle, account summary and login profile operations.
func lifecycleValidationCases() map[string][]vcase {
	pol := kv("PolicyArn", "arn:aws:iam::123456789012:policy/p")
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	versionCases := func() []vcase {
		return []vcase{
			{"versionId missing", pol, one(null("versionId"))},
			{"versionId without v", with(pol, "VersionId", "2"),
				one(bad("2", "versionId", `satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`))},
			{"versionId v0", with(pol, "VersionId", "v0"),
				one(bad("v0", "versionId", `satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`))},
		}
	}
	enum := "satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]"
	pathPattern := `satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`
	long := strings.Repeat("p", 129)
	passwordCases := func(base map[string][]string) []vcase {
		return []vcase{
			{"password over 128", with(base, "Password", long), one("Value at 'password' failed to satisfy constraint: Member must have length less than or equal to 128")},
			{"password outside Latin-1", with(base, "Password", "Pa55€word"),
				one(`Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`)},
			{"password empty", with(base, "Password", ""), two(
				`Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`,
				"Value at 'password' failed to satisfy constraint: Member must have length greater than or equal to 1")},
		}
	}
	user := kv("UserName", "alice")
	return map[string][]vcase{
		"CreatePolicyVersion":     join(arnCases(kv("PolicyDocument", doc), "PolicyArn"), policyDocCases(pol, "PolicyDocument")),
		"ListPolicyVersions":      join(arnCases(kv(), "PolicyArn"), pagingCases(pol)),
		"SetDefaultPolicyVersion": join(arnCases(kv("VersionId", "v1"), "PolicyArn"), versionCases()),
		"DeletePolicyVersion":     join(arnCases(kv("VersionId", "v1"), "PolicyArn"), versionCases()),
		"DeletePolicy":            arnCases(kv(), "PolicyArn"),
		"ListEntitiesForPolicy": join(arnCases(kv(), "PolicyArn"), pagingCases(pol), []vcase{
			{"entityFilter outside the enum", with(pol, "EntityFilter", "Users"), one(bad("Users", "entityFilter", enum))},
			{"pathPrefix without a trailing slash", with(pol, "PathPrefix", "/eng"), one(bad("/eng", "pathPrefix", pathPattern))},
			{"usage filter outside the enum", with(pol, "PolicyUsageFilter", "Both"),
				one(bad("Both", "policyUsageFilter", "satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]"))},
		}),
		"TagPolicy":         join(arnCases(kv("Tags.member.1.Key", "k", "Tags.member.1.Value", "v"), "PolicyArn"), tagListCases(pol)),
		"UntagPolicy":       join(arnCases(kv("TagKeys.member.1", "k"), "PolicyArn"), tagKeysCases(pol)),
		"ListPolicyTags":    join(arnCases(kv(), "PolicyArn"), pagingCases(pol)),
		"GetAccountSummary": {},
		"GetAccountAuthorizationDetails": join(pagingCases(kv()), []vcase{
			{"filter outside the enum", kv("Filter.member.1", "User", "Filter.member.2", "Policy"),
				one(bad("[User, Policy]", "filter", "satisfy constraint: [Member must "+enum+"]"))},
		}),
		"CreateLoginProfile": join(optional(newUserCases(kv("Password", "Passw0rd!"))), passwordCases(user)),
		"GetLoginProfile":    optional(newUserCases(kv())),
		"UpdateLoginProfile": join(newUserCases(kv()), passwordCases(user)),
		"DeleteLoginProfile": optional(newUserCases(kv())),
	}
}
