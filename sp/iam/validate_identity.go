package iam

import "math"

// Shapes and input members of the user, group, access key, MFA and policy
// simulation operations, from IAM's model (see validate.go).
var (
	shUserName     = str(1, 64, `[\w+=,.@-]+`)
	shExistingUser = str(1, 128, `[\w+=,.@-]+`)
	shGroupName    = str(1, 128, `[\w+=,.@-]+`)
	shAccessKeyID  = str(16, 128, `[\w]+`)
	shKeyStatus    = &shape{min: noBound, max: noBound, enum: []string{"Active", "Inactive", "Expired"}}
	shSerial       = str(9, 256, `[\w+=/:,.@-]+`)
	shAuthCode     = str(6, 6, `[\d]+`)
	shMFAName      = str(1, noBound, `[\w+=,.@-]+`)
	shAssignment   = &shape{min: noBound, max: noBound, enum: []string{"Assigned", "Unassigned", "Any"}}
	shResourceName = str(1, 2048, "")
	shResHandling  = str(1, 64, "")
	shPolicyList   = &shape{min: noBound, max: noBound, listMax: math.MaxInt, elem: shPolicyDoc}
	shActionNames  = &shape{min: noBound, max: noBound, listMax: math.MaxInt, elem: str(3, 128, "")}
	shResourceList = &shape{min: noBound, max: noBound, listMax: math.MaxInt, elem: shResourceName}
)

func init() {
	paging := []member{opt("Marker", shMarker), opt("MaxItems", shMaxItems)}
	withPaging := func(ms ...member) []member { return append(ms, paging...) }
	simulate := []member{opt("PermissionsBoundaryPolicyInputList", shPolicyList), req("ActionNames", shActionNames),
		opt("ResourceArns", shResourceList), opt("ResourcePolicy", shPolicyDoc), opt("ResourceOwner", shResourceName),
		opt("CallerArn", shResourceName), opt("ResourceHandlingOption", shResHandling), opt("MaxItems", shMaxItems),
		opt("Marker", shMarker)}
	for op, ms := range map[string][]member{
		"CreateUser": {opt("Path", shRolePath), req("UserName", shUserName), opt("PermissionsBoundary", shARN),
			opt("Tags", shTags)},
		"GetUser":      {opt("UserName", shExistingUser)},
		"UpdateUser":   {req("UserName", shExistingUser), opt("NewPath", shRolePath), opt("NewUserName", shUserName)},
		"DeleteUser":   {req("UserName", shExistingUser)},
		"ListUsers":    withPaging(opt("PathPrefix", shPathPrefix)),
		"TagUser":      {req("UserName", shExistingUser), req("Tags", shTags)},
		"UntagUser":    {req("UserName", shExistingUser), req("TagKeys", shTagKeys)},
		"ListUserTags": withPaging(req("UserName", shExistingUser)),

		"CreateGroup":         {opt("Path", shRolePath), req("GroupName", shGroupName)},
		"GetGroup":            withPaging(req("GroupName", shGroupName)),
		"DeleteGroup":         {req("GroupName", shGroupName)},
		"ListGroups":          withPaging(opt("PathPrefix", shPathPrefix)),
		"ListGroupsForUser":   withPaging(req("UserName", shExistingUser)),
		"AddUserToGroup":      {req("GroupName", shGroupName), req("UserName", shExistingUser)},
		"RemoveUserFromGroup": {req("GroupName", shGroupName), req("UserName", shExistingUser)},

		"CreateAccessKey":      {opt("UserName", shExistingUser)},
		"ListAccessKeys":       withPaging(opt("UserName", shExistingUser)),
		"UpdateAccessKey":      {opt("UserName", shExistingUser), req("AccessKeyId", shAccessKeyID), req("Status", shKeyStatus)},
		"DeleteAccessKey":      {opt("UserName", shExistingUser), req("AccessKeyId", shAccessKeyID)},
		"GetAccessKeyLastUsed": {req("AccessKeyId", shAccessKeyID)},

		"PutUserPolicy":                 {req("UserName", shExistingUser), req("PolicyName", shPolicyName), req("PolicyDocument", shPolicyDoc)},
		"GetUserPolicy":                 {req("UserName", shExistingUser), req("PolicyName", shPolicyName)},
		"DeleteUserPolicy":              {req("UserName", shExistingUser), req("PolicyName", shPolicyName)},
		"ListUserPolicies":              withPaging(req("UserName", shExistingUser)),
		"AttachUserPolicy":              {req("UserName", shUserName), req("PolicyArn", shARN)},
		"DetachUserPolicy":              {req("UserName", shUserName), req("PolicyArn", shARN)},
		"ListAttachedUserPolicies":      withPaging(req("UserName", shUserName), opt("PathPrefix", shPolicyPath)),
		"PutGroupPolicy":                {req("GroupName", shGroupName), req("PolicyName", shPolicyName), req("PolicyDocument", shPolicyDoc)},
		"GetGroupPolicy":                {req("GroupName", shGroupName), req("PolicyName", shPolicyName)},
		"DeleteGroupPolicy":             {req("GroupName", shGroupName), req("PolicyName", shPolicyName)},
		"ListGroupPolicies":             withPaging(req("GroupName", shGroupName)),
		"AttachGroupPolicy":             {req("GroupName", shGroupName), req("PolicyArn", shARN)},
		"DetachGroupPolicy":             {req("GroupName", shGroupName), req("PolicyArn", shARN)},
		"ListAttachedGroupPolicies":     withPaging(req("GroupName", shGroupName), opt("PathPrefix", shPolicyPath)),
		"PutUserPermissionsBoundary":    {req("UserName", shUserName), req("PermissionsBoundary", shARN)},
		"DeleteUserPermissionsBoundary": {req("UserName", shUserName)},

		"CreateVirtualMFADevice": {opt("Path", shRolePath), req("VirtualMFADeviceName", shMFAName), opt("Tags", shTags)},
		"EnableMFADevice": {req("UserName", shExistingUser), req("SerialNumber", shSerial),
			req("AuthenticationCode1", shAuthCode), req("AuthenticationCode2", shAuthCode)},
		"DeactivateMFADevice":    {opt("UserName", shExistingUser), req("SerialNumber", shSerial)},
		"ListMFADevices":         withPaging(opt("UserName", shExistingUser)),
		"ListVirtualMFADevices":  withPaging(opt("AssignmentStatus", shAssignment)),
		"DeleteVirtualMFADevice": {req("SerialNumber", shSerial)},

		"SimulatePrincipalPolicy": append([]member{req("PolicySourceArn", shARN), opt("PolicyInputList", shPolicyList)}, simulate...),
		"SimulateCustomPolicy":    append([]member{req("PolicyInputList", shPolicyList)}, simulate...),
	} {
		operationInputs[op] = ms
	}
}
