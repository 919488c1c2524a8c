package iam_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/sp/iam"
)

// vcase is one request and the ValidationError AWS answers it with.
type vcase struct {
	name   string
	params url.Values
	msg    string // the whole <Message>
}

// Phrases of AWS's validation messages, spelled out once.
const (
	roleNameOwn     = "The specified value for roleName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-"
	pathOwn         = "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."
	docPattern      = `[\u0009\u000A\u000D\u0020-\u00FF]+`
	tagKeyPattern   = `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`
	tagValuePattern = `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
	markerPattern   = `[\u0020-\u00FF]+`
	policyPathPat   = `((/[A-Za-z0-9\.,\+@=_-]+)*)/`
	aliasPattern    = `^[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?$`
)

func one(clause string) string { return "1 validation error detected: " + clause }

func two(a, b string) string { return "2 validation errors detected: " + a + "; " + b }

func bad(value, at, must string) string {
	return fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must %s", value, at, must)
}

func null(at string) string {
	return fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", at)
}

// with returns base plus the given pairs; a pair whose value is "\x00"
// removes the key.
func with(base url.Values, pairs ...string) url.Values {
	v := url.Values{}
	for k, vs := range base {
		v[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "\x00" {
			v.Del(pairs[i])
			continue
		}
		v.Set(pairs[i], pairs[i+1])
	}
	return v
}

const absent = "\x00"

func roleNameCases(base url.Values) []vcase {
	long := strings.Repeat("r", 65)
	return []vcase{
		{"roleName missing", with(base, "RoleName", absent), one(null("roleName"))},
		{"roleName empty", with(base, "RoleName", ""), one(bad("", "roleName", "have length greater than or equal to 1"))},
		{"roleName 65 characters", with(base, "RoleName", long), one(bad(long, "roleName", "have length less than or equal to 64"))},
		{"roleName an ARN", with(base, "RoleName", "arn:aws:iam::123456789012:role/R"), roleNameOwn},
	}
}

func providerARNCases(base url.Values) []vcase {
	short, long := "arn:aws:iam::1:saml", "arn:"+strings.Repeat("x", 2045)
	return []vcase{
		{"sAMLProviderArn missing", with(base, "SAMLProviderArn", absent), one(null("sAMLProviderArn"))},
		{"sAMLProviderArn 19 characters", with(base, "SAMLProviderArn", short), one(bad(short, "sAMLProviderArn", "have length greater than or equal to 20"))},
		{"sAMLProviderArn 2049 characters", with(base, "SAMLProviderArn", long), one(bad(long, "sAMLProviderArn", "have length less than or equal to 2048"))},
	}
}

func pagingCases(base url.Values) []vcase {
	long := strings.Repeat("m", 321)
	return []vcase{
		{"maxItems 0", with(base, "MaxItems", "0"), one(bad("0", "maxItems", "have value greater than or equal to 1"))},
		{"maxItems 1001", with(base, "MaxItems", "1001"), one(bad("1001", "maxItems", "have value less than or equal to 1000"))},
		{"marker empty", with(base, "Marker", ""), two(bad("", "marker", "satisfy regular expression pattern: "+markerPattern),
			bad("", "marker", "have length greater than or equal to 1"))},
		{"marker 321 characters", with(base, "Marker", long), one(bad(long, "marker", "have length less than or equal to 320"))},
		{"marker outside Latin-1", with(base, "Marker", "Ā"), one(bad("Ā", "marker", "satisfy regular expression pattern: "+markerPattern))},
	}
}

func tagListCases(base url.Values) []vcase {
	longValue := strings.Repeat("v", 257)
	many := with(base)
	var items []string
	for i := 1; i <= 51; i++ {
		k := fmt.Sprintf("k%d", i)
		many.Set(fmt.Sprintf("Tags.member.%d.Key", i), k)
		many.Set(fmt.Sprintf("Tags.member.%d.Value", i), "v")
		items = append(items, "{Key: "+k+",Value: v}")
	}
	return []vcase{
		{"tag key outside the pattern", with(base, "Tags.member.1.Key", "a*b", "Tags.member.1.Value", "v"),
			one(bad("a*b", "tags.1.member.key", "satisfy regular expression pattern: "+tagKeyPattern))},
		{"tag key empty", with(base, "Tags.member.1.Key", "", "Tags.member.1.Value", "v"),
			two(bad("", "tags.1.member.key", "satisfy regular expression pattern: "+tagKeyPattern),
				bad("", "tags.1.member.key", "have length greater than or equal to 1"))},
		{"second tag value 257 characters", with(base, "Tags.member.1.Key", "a", "Tags.member.1.Value", "v",
			"Tags.member.2.Key", "b", "Tags.member.2.Value", longValue),
			one(bad(longValue, "tags.2.member.value", "have length less than or equal to 256"))},
		{"tag value outside the pattern", with(base, "Tags.member.1.Key", "a", "Tags.member.1.Value", "x;y"),
			one(bad("x;y", "tags.1.member.value", "satisfy regular expression pattern: "+tagValuePattern))},
		{"tag without a value", with(base, "Tags.member.1.Key", "a"), one(null("tags.1.member.value"))},
		{"51 tags", many, one(bad("["+strings.Join(items, ", ")+"]", "tags", "have length less than or equal to 50"))},
	}
}

func tagKeysCases(base url.Values) []vcase {
	many := with(base)
	var keys []string
	for i := 1; i <= 51; i++ {
		many.Set(fmt.Sprintf("TagKeys.member.%d", i), fmt.Sprintf("k%d", i))
		keys = append(keys, fmt.Sprintf("k%d", i))
	}
	return []vcase{
		{"tagKeys missing", with(base), one(null("tagKeys"))},
		{"tag key outside the pattern", with(base, "TagKeys.member.1", "ok", "TagKeys.member.2", "a*b"),
			one(bad("[ok, a*b]", "tagKeys", "satisfy constraint: [Member must satisfy regular expression pattern: "+tagKeyPattern+"]"))},
		{"51 tag keys", many, one(bad("["+strings.Join(keys, ", ")+"]", "tagKeys", "have length less than or equal to 50"))},
	}
}

func policyNameCases(base url.Values) []vcase {
	long := strings.Repeat("p", 129)
	return []vcase{
		{"policyName missing", with(base, "PolicyName", absent), one(null("policyName"))},
		{"policyName 129 characters", with(base, "PolicyName", long), one(bad(long, "policyName", "have length less than or equal to 128"))},
		{"policyName outside the pattern", with(base, "PolicyName", "a b"), one(bad("a b", "policyName", `satisfy regular expression pattern: [\w+=,.@-]+`))},
	}
}

func policyDocCases(base url.Values, param string) []vcase {
	at := strings.ToLower(param[:1]) + param[1:]
	long := strings.Repeat(" ", 131073)
	return []vcase{
		{at + " missing", with(base, param, absent), one(null(at))},
		{at + " empty", with(base, param, ""), two(bad("", at, "satisfy regular expression pattern: "+docPattern),
			bad("", at, "have length greater than or equal to 1"))},
		{at + " over 131072", with(base, param, long), one(bad(long, at, "have length less than or equal to 131072"))},
		{at + " outside Latin-1", with(base, param, `{"x":"€"}`), one(bad(`{"x":"€"}`, at, "satisfy regular expression pattern: "+docPattern))},
	}
}

func arnCases(base url.Values, param string) []vcase {
	at := strings.ToLower(param[:1]) + param[1:]
	short := "arn:aws:iam::aws:p"
	return []vcase{
		{at + " missing", with(base, param, absent), one(null(at))},
		{at + " 18 characters", with(base, param, short), one(bad(short, at, "have length greater than or equal to 20"))},
	}
}

func join(groups ...[]vcase) []vcase {
	var out []vcase
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/idp"},"Action":"sts:AssumeRoleWithSAML"}]}`

// validationCases are, per operation served, requests that break each of the
// operation's model constraints, with AWS's message for each.
func validationCases() map[string][]vcase {
	role := kv("RoleName", "R")
	provider := kv("SAMLProviderArn", "arn:aws:iam::123456789012:saml-provider/idp")
	longName := strings.Repeat("n", 129)
	shortDoc := strings.Repeat("x", 999)
	desc1001 := strings.Repeat("d", 1001)
	longPath := "/" + strings.Repeat("p", 511) + "/"
	createRole := kv("RoleName", "R", "AssumeRolePolicyDocument", trust)
	return map[string][]vcase{
		"CreateSAMLProvider": join([]vcase{
			{"nothing", kv(), two(null("sAMLMetadataDocument"), null("name"))},
			{"name 129 characters", kv("SAMLMetadataDocument", shortDoc+"x", "Name", longName),
				one(bad(longName, "name", "have length less than or equal to 128"))},
			{"name empty", kv("SAMLMetadataDocument", shortDoc+"x", "Name", ""),
				two(bad("", "name", `satisfy regular expression pattern: [\w._-]+`), bad("", "name", "have length greater than or equal to 1"))},
			{"name outside the pattern", kv("SAMLMetadataDocument", shortDoc+"x", "Name", "my idp"),
				one(bad("my idp", "name", `satisfy regular expression pattern: [\w._-]+`))},
			{"metadata 999 characters", kv("SAMLMetadataDocument", shortDoc, "Name", "idp"),
				one(bad(shortDoc, "sAMLMetadataDocument", "have length greater than or equal to 1000"))},
			{"encryption mode outside the enum", kv("SAMLMetadataDocument", shortDoc+"x", "Name", "idp", "AssertionEncryptionMode", "Sometimes"),
				one(bad("Sometimes", "assertionEncryptionMode", "satisfy enum value set: [Required, Allowed]"))},
			{"private key empty (sensitive)", kv("SAMLMetadataDocument", shortDoc+"x", "Name", "idp", "AddPrivateKey", ""),
				two("Value at 'addPrivateKey' failed to satisfy constraint: Member must satisfy regular expression pattern: "+docPattern,
					"Value at 'addPrivateKey' failed to satisfy constraint: Member must have length greater than or equal to 1")},
		}, tagListCases(kv("SAMLMetadataDocument", shortDoc+"x", "Name", "idp"))),
		"UpdateSAMLProvider": join(providerARNCases(provider), []vcase{
			{"metadata 999 characters", with(provider, "SAMLMetadataDocument", shortDoc),
				one(bad(shortDoc, "sAMLMetadataDocument", "have length greater than or equal to 1000"))},
			{"encryption mode outside the enum", with(provider, "AssertionEncryptionMode", "required"),
				one(bad("required", "assertionEncryptionMode", "satisfy enum value set: [Required, Allowed]"))},
			{"key ID lower case and short", with(provider, "RemovePrivateKey", "abc"),
				two(bad("abc", "removePrivateKey", "satisfy regular expression pattern: [A-Z0-9]+"),
					bad("abc", "removePrivateKey", "have length greater than or equal to 22"))},
			{"private key over 16384 (sensitive)", with(provider, "AddPrivateKey", strings.Repeat("k", 16385)),
				one("Value at 'addPrivateKey' failed to satisfy constraint: Member must have length less than or equal to 16384")},
		}),
		"GetSAMLProvider":      providerARNCases(provider),
		"DeleteSAMLProvider":   providerARNCases(provider),
		"ListSAMLProviders":    nil, // no input members
		"TagSAMLProvider":      join(providerARNCases(with(provider, "Tags.member.1.Key", "k", "Tags.member.1.Value", "v")), []vcase{{"tags missing", provider, one(null("tags"))}}, tagListCases(provider)),
		"UntagSAMLProvider":    join(providerARNCases(with(provider, "TagKeys.member.1", "k")), tagKeysCases(provider)),
		"ListSAMLProviderTags": join(providerARNCases(provider), pagingCases(provider)),
		"CreateRole": join([]vcase{
			{"nothing", kv(), two(null("roleName"), null("assumeRolePolicyDocument"))},
			{"path without a trailing slash", with(createRole, "Path", "/a"), pathOwn},
			{"path over 512", with(createRole, "Path", longPath+"x/"), one(bad(longPath+"x/", "path", "have length less than or equal to 512"))},
			{"description outside the allowed characters", with(createRole, "Description", "no\u00a0break"),
				one(bad("no\u00a0break", "description", `satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`))},
			{"description 1001 characters", with(createRole, "Description", desc1001), one(bad(desc1001, "description", "have length less than or equal to 1000"))},
			{"maxSessionDuration 3599", with(createRole, "MaxSessionDuration", "3599"), one(bad("3599", "maxSessionDuration", "have value greater than or equal to 3600"))},
			{"maxSessionDuration 43201", with(createRole, "MaxSessionDuration", "43201"), one(bad("43201", "maxSessionDuration", "have value less than or equal to 43200"))},
			{"permissionsBoundary 18 characters", with(createRole, "PermissionsBoundary", "arn:aws:iam::aws:p"),
				one(bad("arn:aws:iam::aws:p", "permissionsBoundary", "have length greater than or equal to 20"))},
			{"two members in model order", with(createRole, "RoleName", strings.Repeat("r", 65), "MaxSessionDuration", "60"),
				two(bad(strings.Repeat("r", 65), "roleName", "have length less than or equal to 64"), bad("60", "maxSessionDuration", "have value greater than or equal to 3600"))},
		}, roleNameCases(createRole), policyDocCases(createRole, "AssumeRolePolicyDocument"), tagListCases(createRole)),
		"GetRole": roleNameCases(role),
		"UpdateRole": join(roleNameCases(role), []vcase{
			{"description outside the allowed characters", with(role, "Description", "\x7f"),
				one(bad("\x7f", "description", `satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`))},
			{"maxSessionDuration 60", with(role, "MaxSessionDuration", "60"), one(bad("60", "maxSessionDuration", "have value greater than or equal to 3600"))},
		}),
		"UpdateRoleDescription": join(roleNameCases(with(role, "Description", "d")), []vcase{
			{"description missing", role, one(null("description"))},
			{"description 1001 characters", with(role, "Description", desc1001), one(bad(desc1001, "description", "have length less than or equal to 1000"))},
		}),
		"UpdateAssumeRolePolicy": join(roleNameCases(with(role, "PolicyDocument", trust)), policyDocCases(with(role, "PolicyDocument", trust), "PolicyDocument")),
		"DeleteRole":             roleNameCases(role),
		"ListRoles": join(pagingCases(kv()), []vcase{
			{"pathPrefix without a leading slash", kv("PathPrefix", "a"), one(bad("a", "pathPrefix", `satisfy regular expression pattern: \u002F[\u0021-\u007F]*`))},
			{"pathPrefix over 512", kv("PathPrefix", longPath+"x"), one(bad(longPath+"x", "pathPrefix", "have length less than or equal to 512"))},
		}),
		"TagRole":      join(roleNameCases(with(role, "Tags.member.1.Key", "k", "Tags.member.1.Value", "v")), []vcase{{"tags missing", role, one(null("tags"))}}, tagListCases(role)),
		"UntagRole":    join(roleNameCases(with(role, "TagKeys.member.1", "k")), tagKeysCases(role)),
		"ListRoleTags": join(roleNameCases(role), pagingCases(role)),
		"PutRolePolicy": join(roleNameCases(with(role, "PolicyName", "p", "PolicyDocument", "{}")),
			policyNameCases(with(role, "PolicyDocument", "{}")), policyDocCases(with(role, "PolicyName", "p"), "PolicyDocument")),
		"GetRolePolicy":    join(roleNameCases(with(role, "PolicyName", "p")), policyNameCases(role)),
		"DeleteRolePolicy": join(roleNameCases(with(role, "PolicyName", "p")), policyNameCases(role)),
		"ListRolePolicies": join(roleNameCases(role), pagingCases(role)),
		"AttachRolePolicy": join(roleNameCases(with(role, "PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess")), arnCases(role, "PolicyArn")),
		"DetachRolePolicy": join(roleNameCases(with(role, "PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess")), arnCases(role, "PolicyArn")),
		"ListAttachedRolePolicies": join(roleNameCases(role), pagingCases(role), []vcase{
			{"pathPrefix without a trailing slash", with(role, "PathPrefix", "/a"), one(bad("/a", "pathPrefix", "satisfy regular expression pattern: "+policyPathPat))},
		}),
		"PutRolePermissionsBoundary":    join(roleNameCases(with(role, "PermissionsBoundary", "arn:aws:iam::aws:policy/ReadOnlyAccess")), arnCases(role, "PermissionsBoundary")),
		"DeleteRolePermissionsBoundary": roleNameCases(role),
		"CreatePolicy": join(policyNameCases(kv("PolicyDocument", "{}")), policyDocCases(kv("PolicyName", "p"), "PolicyDocument"), []vcase{
			{"path without a trailing slash", kv("PolicyName", "p", "PolicyDocument", "{}", "Path", "/a"), one(bad("/a", "path", "satisfy regular expression pattern: "+policyPathPat))},
			{"description 1001 characters", kv("PolicyName", "p", "PolicyDocument", "{}", "Description", desc1001), one(bad(desc1001, "description", "have length less than or equal to 1000"))},
		}, tagListCases(kv("PolicyName", "p", "PolicyDocument", "{}"))),
		"GetPolicy": arnCases(kv(), "PolicyArn"),
		"GetPolicyVersion": join(arnCases(kv("VersionId", "v1"), "PolicyArn"), []vcase{
			{"versionId missing", kv("PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess"), one(null("versionId"))},
			{"versionId without v", kv("PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess", "VersionId", "1"),
				one(bad("1", "versionId", `satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`))},
		}),
		"ListPolicies": join(pagingCases(kv()), []vcase{
			{"scope outside the enum", kv("Scope", "Everything"), one(bad("Everything", "scope", "satisfy enum value set: [All, AWS, Local]"))},
			{"usage filter outside the enum", kv("PolicyUsageFilter", "Both"), one(bad("Both", "policyUsageFilter", "satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]"))},
			{"pathPrefix without a leading slash", kv("PathPrefix", "job-function/"), one(bad("job-function/", "pathPrefix", "satisfy regular expression pattern: "+policyPathPat))},
		}),
		"CreateAccountAlias": {
			{"alias missing", kv(), one(null("accountAlias"))},
			{"alias 2 characters", kv("AccountAlias", "ab"), one(bad("ab", "accountAlias", "have length greater than or equal to 3"))},
			{"alias 64 characters", kv("AccountAlias", strings.Repeat("a", 64)), one(bad(strings.Repeat("a", 64), "accountAlias", "have length less than or equal to 63"))},
			{"alias with capitals", kv("AccountAlias", "My-Lab"), one(bad("My-Lab", "accountAlias", "satisfy regular expression pattern: "+aliasPattern))},
			{"alias with a double hyphen", kv("AccountAlias", "my--lab"), one(bad("my--lab", "accountAlias", "satisfy regular expression pattern: "+aliasPattern))},
			{"alias ending in a hyphen", kv("AccountAlias", "my-lab-"), one(bad("my-lab-", "accountAlias", "satisfy regular expression pattern: "+aliasPattern))},
		},
		"DeleteAccountAlias": {
			{"alias missing", kv(), one(null("accountAlias"))},
			{"alias with capitals", kv("AccountAlias", "LAB"), one(bad("LAB", "accountAlias", "satisfy regular expression pattern: "+aliasPattern))},
		},
		"ListAccountAliases": pagingCases(kv()),
	}
}

// TestValidation sends, for every operation served, requests that break each
// of its model constraints and compares code, status and exact message.
func TestValidation(t *testing.T) {
	t.Parallel()
	s := newIAMServer(t, nil)
	cases := validationCases()
	for op, cs := range identityValidationCases() {
		cases[op] = cs
	}
	for op, cs := range lifecycleValidationCases() {
		cases[op] = cs
	}
	for _, op := range s.account.Operations() {
		if _, ok := cases[op.Action]; !ok {
			t.Errorf("operation %s has no validation cases", op.Action)
		}
	}
	// Every member of every operation has a case that breaks it.
	for action, members := range iam.InputMembers() {
		for _, m := range members {
			covered := false
			for _, c := range cases[action] {
				covered = covered || strings.Contains(c.msg, "at '"+m+"'") || strings.Contains(c.msg, "at '"+m+".") ||
					(m == "roleName" && c.msg == roleNameOwn) || (m == "path" && c.msg == pathOwn)
			}
			if !covered {
				t.Errorf("%s: no case breaks member %s", action, m)
			}
		}
	}
	for action, cs := range cases {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			for _, c := range cs {
				r := s.call(t, action, c.params)
				if r.status != http.StatusBadRequest || r.code != "ValidationError" || r.message != c.msg {
					t.Errorf("%s: got %d %s %q\nwant 400 ValidationError %q", c.name, r.status, r.code, trim(r.message), trim(c.msg))
				}
			}
		})
	}
}

// trim shortens long messages for failure output.
func trim(s string) string {
	if len(s) > 400 {
		return s[:200] + fmt.Sprintf("…(%d bytes)…", len(s)-400) + s[len(s)-200:]
	}
	return s
}

// TestValidationRegressions pins each validation discrepancy found between
// samlab and AWS, whole message included.
func TestValidationRegressions(t *testing.T) {
	t.Parallel()
	s := newIAMServer(t, nil)
	if _, err := s.account.CreateRole(iam.CreateRoleInput{Name: "R", AssumeRolePolicyDocument: trust}); err != nil {
		t.Fatal(err)
	}
	r65, p129, arn2049 := strings.Repeat("r", 65), strings.Repeat("p", 129), "arn:"+strings.Repeat("a", 2045)
	md := strings.Repeat("m", 999)
	tests := []struct {
		name, action string
		params       url.Values
		msg          string
	}{
		{"65-character roleName is a length error, not a pattern error", "CreateRole", kv("RoleName", r65, "AssumeRolePolicyDocument", trust),
			"1 validation error detected: Value '" + r65 + "' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"129-character provider name is a length error", "CreateSAMLProvider", kv("SAMLMetadataDocument", md+"m", "Name", p129),
			"1 validation error detected: Value '" + p129 + "' at 'name' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"2049-character ARN names the maximum", "GetSAMLProvider", kv("SAMLProviderArn", arn2049),
			"1 validation error detected: Value '" + arn2049 + "' at 'sAMLProviderArn' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{"no 'between' wording", "UpdateRole", kv("RoleName", "R", "MaxSessionDuration", "50000"),
			"1 validation error detected: Value '50000' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{"sAMLMetadataDocument value shown", "CreateSAMLProvider", kv("SAMLMetadataDocument", md, "Name", "idp"),
			"1 validation error detected: Value '" + md + "' at 'sAMLMetadataDocument' failed to satisfy constraint: Member must have length greater than or equal to 1000"},
		{"description value shown", "UpdateRole", kv("RoleName", "R", "Description", strings.Repeat("d", 1001)),
			"1 validation error detected: Value '" + strings.Repeat("d", 1001) + "' at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000"},
		{"missing member is Value null", "CreateSAMLProvider", kv("Name", "idp"),
			"1 validation error detected: Value null at 'sAMLMetadataDocument' failed to satisfy constraint: Member must not be null"},
		{"GetRole validates roleName", "GetRole", kv("RoleName", r65),
			"1 validation error detected: Value '" + r65 + "' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"DeleteRole validates roleName", "DeleteRole", kv("RoleName", ""),
			"1 validation error detected: Value '' at 'roleName' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"IAM's own role-name message", "GetRole", kv("RoleName", "arn:aws:iam::123456789012:role/R"),
			"The specified value for roleName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-"},
		{"tag key pattern", "TagRole", kv("RoleName", "R", "Tags.member.1.Key", "a#b", "Tags.member.1.Value", "v"),
			`1 validation error detected: Value 'a#b' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`},
		{"UntagSAMLProvider TagKeys pattern", "UntagSAMLProvider", kv("SAMLProviderArn", "arn:aws:iam::123456789012:saml-provider/idp", "TagKeys.member.1", "a#b"),
			`1 validation error detected: Value '[a#b]' at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+]`},
		{"AddPrivateKey empty", "UpdateSAMLProvider", kv("SAMLProviderArn", "arn:aws:iam::123456789012:saml-provider/idp", "AddPrivateKey", ""),
			`2 validation errors detected: Value at 'addPrivateKey' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+; Value at 'addPrivateKey' failed to satisfy constraint: Member must have length greater than or equal to 1`},
		{"Path over 512", "CreateRole", kv("RoleName", "R2", "AssumeRolePolicyDocument", trust, "Path", "/"+strings.Repeat("p", 512)+"/"),
			"1 validation error detected: Value '/" + strings.Repeat("p", 512) + "/' at 'path' failed to satisfy constraint: Member must have length less than or equal to 512"},
		{"Description outside the allowed characters", "CreateRole", kv("RoleName", "R2", "AssumeRolePolicyDocument", trust, "Description", "emoji 🙂"),
			"1 validation error detected: Value 'emoji 🙂' at 'description' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*"},
		{"PermissionsBoundary under 20", "CreateRole", kv("RoleName", "R2", "AssumeRolePolicyDocument", trust, "PermissionsBoundary", "arn:aws:iam::aws:x"),
			"1 validation error detected: Value 'arn:aws:iam::aws:x' at 'permissionsBoundary' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{"trust policy over 131072", "UpdateAssumeRolePolicy", kv("RoleName", "R", "PolicyDocument", strings.Repeat("\n", 131073)),
			"1 validation error detected: Value '" + strings.Repeat("\n", 131073) + "' at 'policyDocument' failed to satisfy constraint: Member must have length less than or equal to 131072"},
		{"MaxItems 0", "ListRoles", kv("MaxItems", "0"),
			"1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"MaxItems 1001", "ListSAMLProviderTags", kv("SAMLProviderArn", "arn:aws:iam::123456789012:saml-provider/idp", "MaxItems", "1001"),
			"1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"},
		{"Marker empty", "ListRoles", kv("Marker", ""),
			"2 validation errors detected: Value '' at 'marker' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0020-\\u00FF]+; Value '' at 'marker' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"PathPrefix without /", "ListRoles", kv("PathPrefix", "engineering"),
			"1 validation error detected: Value 'engineering' at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*"},
	}
	for _, tt := range tests {
		r := s.call(t, tt.action, tt.params)
		if r.status != http.StatusBadRequest || r.code != "ValidationError" || r.message != tt.msg {
			t.Errorf("%s: %s got %d %s %q\nwant 400 ValidationError %q", tt.name, tt.action, r.status, r.code, trim(r.message), trim(tt.msg))
		}
	}
	// Nothing invalid was created on the way.
	if roles := s.account.Roles(); len(roles) != 1 {
		t.Errorf("roles after invalid requests = %d, want 1", len(roles))
	}
}
