package iam_test

import (
	"net/url"
	"strconv"
	"strings"
)

const namePattern = `[\w+=,.@-]+`

// nameCases breaks a name member of the given maximum length and IAM's name
// pattern.
func nameCases(base url.Values, param string, max int, required bool) []vcase {
	at := strings.ToLower(param[:1]) + param[1:]
	long := strings.Repeat("n", max+1)
	cs := []vcase{
		{at + " too long", with(base, param, long), one(bad(long, at, "have length less than or equal to "+strconv.Itoa(max)))},
		{at + " outside the pattern", with(base, param, "a b"), one(bad("a b", at, "satisfy regular expression pattern: "+namePattern))},
		{at + " empty", with(base, param, ""), two(bad("", at, "satisfy regular expression pattern: "+namePattern),
			bad("", at, "have length greater than or equal to 1"))},
	}
	if required {
		cs = append(cs, vcase{at + " missing", with(base, param, absent), one(null(at))})
	}
	return cs
}

// optional drops the cases of a missing member, for optional members.
func optional(cs []vcase) []vcase {
	var out []vcase
	for _, c := range cs {
		if !strings.HasSuffix(c.name, " missing") {
			out = append(out, c)
		}
	}
	return out
}

func userCases(base url.Values, required bool) []vcase {
	return nameCases(base, "UserName", 128, required)
}

func newUserCases(base url.Values) []vcase { return nameCases(base, "UserName", 64, true) }

func groupCases(base url.Values) []vcase { return nameCases(base, "GroupName", 128, true) }

func pathCases(base url.Values, param string) []vcase {
	at := strings.ToLower(param[:1]) + param[1:]
	long := "/" + strings.Repeat("p", 511) + "/"
	return []vcase{{at + " over 512", with(base, param, long), one(bad(long, at, "have length less than or equal to 512"))}}
}

func keyIDCases(base url.Values) []vcase {
	return []vcase{
		{"accessKeyId missing", with(base, "AccessKeyId", absent), one(null("accessKeyId"))},
		{"accessKeyId 15 characters", with(base, "AccessKeyId", "AKIA12345678901"), one(bad("AKIA12345678901", "accessKeyId", "have length greater than or equal to 16"))},
		{"accessKeyId outside the pattern", with(base, "AccessKeyId", "AKIA-12345678901234"), one(bad("AKIA-12345678901234", "accessKeyId", `satisfy regular expression pattern: [\w]+`))},
	}
}

func serialCases(base url.Values) []vcase {
	return []vcase{
		{"serialNumber missing", with(base, "SerialNumber", absent), one(null("serialNumber"))},
		{"serialNumber 8 characters", with(base, "SerialNumber", "arn:mfa/"), one(bad("arn:mfa/", "serialNumber", "have length greater than or equal to 9"))},
		{"serialNumber outside the pattern", with(base, "SerialNumber", "arn:aws:iam::1:mfa/a b"), one(bad("arn:aws:iam::1:mfa/a b", "serialNumber", `satisfy regular expression pattern: [\w+=/:,.@-]+`))},
	}
}

func codeCases(base url.Values, param string) []vcase {
	at := strings.ToLower(param[:1]) + param[1:]
	return []vcase{
		{at + " missing", with(base, param, absent), one(null(at))},
		{at + " 5 digits", with(base, param, "12345"), one(bad("12345", at, "have length greater than or equal to 6"))},
		{at + " 7 digits", with(base, param, "1234567"), one(bad("1234567", at, "have length less than or equal to 6"))},
		{at + " with a letter", with(base, param, "12345a"), one(bad("12345a", at, `satisfy regular expression pattern: [\d]+`))},
	}
}

func pathPrefixCases(base url.Values) []vcase {
	return []vcase{{"pathPrefix without a leading slash", with(base, "PathPrefix", "a"),
		one(bad("a", "pathPrefix", `satisfy regular expression pattern: \u002F[\u0021-\u007F]*`))}}
}

func policyPathPrefixCases(base url.Values) []vcase {
	return []vcase{{"pathPrefix without a trailing slash", with(base, "PathPrefix", "/a"),
		one(bad("/a", "pathPrefix", "satisfy regular expression pattern: "+policyPathPat))}}
}

func listElemCase(base url.Values, param, elem, must string) vcase {
	at := strings.ToLower(param[:1]) + param[1:]
	b := with(base, param+".member.1", elem)
	return vcase{at + " element " + must, b, one(bad("["+elem+"]", at, "satisfy constraint: [Member must "+must+"]"))}
}

func simulateCases(base url.Values, policyInputRequired bool) []vcase {
	cs := []vcase{
		listElemCase(base, "ActionNames", "s3", "have length greater than or equal to 3"),
		listElemCase(base, "ResourceArns", "", "have length greater than or equal to 1"),
		{"policyInputList element empty", with(base, "PolicyInputList.member.1", ""), one(bad("[]", "policyInputList",
			"satisfy constraint: [Member must satisfy regular expression pattern: "+docPattern+", Member must have length greater than or equal to 1]"))},
		{"permissionsBoundaryPolicyInputList element empty", with(base, "PermissionsBoundaryPolicyInputList.member.1", ""),
			one(bad("[]", "permissionsBoundaryPolicyInputList",
				"satisfy constraint: [Member must satisfy regular expression pattern: "+docPattern+", Member must have length greater than or equal to 1]"))},
		{"resourceOwner empty", with(base, "ResourceOwner", ""), one(bad("", "resourceOwner", "have length greater than or equal to 1"))},
		{"callerArn empty", with(base, "CallerArn", ""), one(bad("", "callerArn", "have length greater than or equal to 1"))},
		{"resourceHandlingOption 65 characters", with(base, "ResourceHandlingOption", strings.Repeat("o", 65)),
			one(bad(strings.Repeat("o", 65), "resourceHandlingOption", "have length less than or equal to 64"))},
	}
	cs = append(cs, optional(policyDocCases(base, "ResourcePolicy"))...)
	cs = append(cs, pagingCases(base)...)
	if policyInputRequired {
		cs = append(cs, vcase{"policyInputList missing", with(base, "PolicyInputList.member.1", absent), one(null("policyInputList"))})
	}
	return cs
}

// identityValidationCases are the validation cases of the user, group,
// access key, MFA and simulation operations.
func identityValidationCases() map[string][]vcase {
	user := kv("UserName", "alice")
	group := kv("GroupName", "Developers")
	key := kv("AccessKeyId", "AKIAIOSFODNN7EXAMPLE")
	serial := kv("SerialNumber", "arn:aws:iam::123456789012:mfa/alice")
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	inline := with(user, "PolicyName", "p", "PolicyDocument", allow)
	groupInline := with(group, "PolicyName", "p", "PolicyDocument", allow)
	attach := with(user, "PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	groupAttach := with(group, "PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	enable := with(serial, "UserName", "alice", "AuthenticationCode1", "123456", "AuthenticationCode2", "654321")
	sim := kv("PolicySourceArn", "arn:aws:iam::123456789012:user/alice", "ActionNames.member.1", "s3:PutObject")
	custom := kv("PolicyInputList.member.1", allow, "ActionNames.member.1", "s3:PutObject")
	return map[string][]vcase{
		"CreateUser": join(newUserCases(user), pathCases(user, "Path"), optional(arnCases(user, "PermissionsBoundary")), tagListCases(user),
			[]vcase{{"path outside the pattern", with(user, "Path", "x"), pathOwn}}),
		"GetUser":      userCases(kv(), false),
		"UpdateUser":   join(userCases(user, true), pathCases(user, "NewPath"), nameCases(user, "NewUserName", 64, false)),
		"DeleteUser":   userCases(user, true),
		"ListUsers":    join(pathPrefixCases(kv()), pagingCases(kv())),
		"TagUser":      join(userCases(with(user, "Tags.member.1.Key", "k", "Tags.member.1.Value", "v"), true), tagListCases(user)),
		"UntagUser":    join(userCases(with(user, "TagKeys.member.1", "k"), true), tagKeysCases(user)),
		"ListUserTags": join(userCases(user, true), pagingCases(user)),

		"CreateGroup":         join(groupCases(group), pathCases(group, "Path")),
		"GetGroup":            join(groupCases(group), pagingCases(group)),
		"DeleteGroup":         groupCases(group),
		"ListGroups":          join(pathPrefixCases(kv()), pagingCases(kv())),
		"ListGroupsForUser":   join(userCases(user, true), pagingCases(user)),
		"AddUserToGroup":      join(groupCases(with(group, "UserName", "alice")), userCases(group, true)),
		"RemoveUserFromGroup": join(groupCases(with(group, "UserName", "alice")), userCases(group, true)),

		"CreateAccessKey":      userCases(kv(), false),
		"ListAccessKeys":       join(userCases(kv(), false), pagingCases(kv())),
		"UpdateAccessKey":      join(userCases(with(key, "Status", "Inactive"), false), keyIDCases(kv("Status", "Inactive")), []vcase{{"status outside the enum", with(key, "Status", "Disabled"), one(bad("Disabled", "status", "satisfy enum value set: [Active, Inactive, Expired]"))}, {"status missing", key, one(null("status"))}}),
		"DeleteAccessKey":      join(userCases(key, false), keyIDCases(kv())),
		"GetAccessKeyLastUsed": keyIDCases(kv()),

		"PutUserPolicy":            join(userCases(inline, true), policyNameCases(inline), policyDocCases(inline, "PolicyDocument")),
		"GetUserPolicy":            join(userCases(with(user, "PolicyName", "p"), true), policyNameCases(user)),
		"DeleteUserPolicy":         join(userCases(with(user, "PolicyName", "p"), true), policyNameCases(user)),
		"ListUserPolicies":         join(userCases(user, true), pagingCases(user)),
		"AttachUserPolicy":         join(newUserCases(attach), arnCases(user, "PolicyArn")),
		"DetachUserPolicy":         join(newUserCases(attach), arnCases(user, "PolicyArn")),
		"ListAttachedUserPolicies": join(newUserCases(user), policyPathPrefixCases(user), pagingCases(user)),

		"PutGroupPolicy":                join(groupCases(groupInline), policyNameCases(groupInline), policyDocCases(groupInline, "PolicyDocument")),
		"GetGroupPolicy":                join(groupCases(with(group, "PolicyName", "p")), policyNameCases(group)),
		"DeleteGroupPolicy":             join(groupCases(with(group, "PolicyName", "p")), policyNameCases(group)),
		"ListGroupPolicies":             join(groupCases(group), pagingCases(group)),
		"AttachGroupPolicy":             join(groupCases(groupAttach), arnCases(group, "PolicyArn")),
		"DetachGroupPolicy":             join(groupCases(groupAttach), arnCases(group, "PolicyArn")),
		"ListAttachedGroupPolicies":     join(groupCases(group), policyPathPrefixCases(group), pagingCases(group)),
		"PutUserPermissionsBoundary":    join(newUserCases(with(user, "PermissionsBoundary", "arn:aws:iam::aws:policy/ReadOnlyAccess")), arnCases(user, "PermissionsBoundary")),
		"DeleteUserPermissionsBoundary": newUserCases(user),

		"CreateVirtualMFADevice": join(nameCases(kv("VirtualMFADeviceName", "alice"), "VirtualMFADeviceName", 0, true)[1:],
			pathCases(kv("VirtualMFADeviceName", "alice"), "Path"), tagListCases(kv("VirtualMFADeviceName", "alice"))),
		"EnableMFADevice": join(userCases(enable, true), serialCases(enable), codeCases(enable, "AuthenticationCode1"),
			codeCases(enable, "AuthenticationCode2")),
		"DeactivateMFADevice": join(userCases(serial, false), serialCases(kv())),
		"ListMFADevices":      join(userCases(kv(), false), pagingCases(kv())),
		"ListVirtualMFADevices": join(pagingCases(kv()), []vcase{{"assignmentStatus outside the enum", kv("AssignmentStatus", "Some"),
			one(bad("Some", "assignmentStatus", "satisfy enum value set: [Assigned, Unassigned, Any]"))}}),
		"DeleteVirtualMFADevice": serialCases(kv()),

		"SimulatePrincipalPolicy": join(arnCases(sim, "PolicySourceArn"), simulateCases(sim, false),
			[]vcase{{"actionNames missing", kv("PolicySourceArn", "arn:aws:iam::123456789012:user/alice"), one(null("actionNames"))}}),
		"SimulateCustomPolicy": join(simulateCases(custom, true),
			[]vcase{{"actionNames missing", kv("PolicyInputList.member.1", allow), one(null("actionNames"))}}),
	}
}
