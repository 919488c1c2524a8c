package iam

import "math"

// Shapes and input members of the managed-policy lifecycle, account summary
// and login profile operations, from IAM's model (botocore 1.43.11; see
// validate.go).
var (
	shEntityType = &shape{min: noBound, max: noBound,
		enum: []string{"User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"}}
	shEntityList = &shape{min: noBound, max: noBound, listMax: math.MaxInt, elem: shEntityType}
	// shPathType is the model's pathType without IAM's own message, which is
	// known only for the Path of Create* operations.
	shPathType = str(1, 512, `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
	shPassword = &shape{min: 1, max: 128, pattern: `[\u0009\u000A\u000D\u0020-\u00FF]+`,
		match: javaRE(`[\u0009\u000A\u000D\u0020-\u00FF]+`), sensitive: true}
)

func init() {
	paging := func(ms ...member) []member {
		return append(ms, opt("Marker", shMarker), opt("MaxItems", shMaxItems))
	}
	for op, ms := range map[string][]member{
		"CreatePolicyVersion":     {req("PolicyArn", shARN), req("PolicyDocument", shPolicyDoc), opt("SetAsDefault", shBoolean)},
		"ListPolicyVersions":      paging(req("PolicyArn", shARN)),
		"SetDefaultPolicyVersion": {req("PolicyArn", shARN), req("VersionId", shVersionID)},
		"DeletePolicyVersion":     {req("PolicyArn", shARN), req("VersionId", shVersionID)},
		"DeletePolicy":            {req("PolicyArn", shARN)},
		"ListEntitiesForPolicy": paging(req("PolicyArn", shARN), opt("EntityFilter", shEntityType), opt("PathPrefix", shPathType),
			opt("PolicyUsageFilter", shUsageFilter)),
		"TagPolicy":      {req("PolicyArn", shARN), req("Tags", shTags)},
		"UntagPolicy":    {req("PolicyArn", shARN), req("TagKeys", shTagKeys)},
		"ListPolicyTags": paging(req("PolicyArn", shARN)),

		"GetAccountSummary": {},
		"GetAccountAuthorizationDetails": {opt("Filter", shEntityList), opt("MaxItems", shMaxItems),
			opt("Marker", shMarker)},

		"CreateLoginProfile": {opt("UserName", shUserName), opt("Password", shPassword),
			opt("PasswordResetRequired", shBoolean)},
		"GetLoginProfile": {opt("UserName", shUserName)},
		"UpdateLoginProfile": {req("UserName", shUserName), opt("Password", shPassword),
			opt("PasswordResetRequired", shBoolean)},
		"DeleteLoginProfile": {opt("UserName", shUserName)},
	} {
		operationInputs[op] = ms
	}
}
