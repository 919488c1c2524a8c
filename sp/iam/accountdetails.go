package iam

import (
	"slices"
	"sort"
)

// GetAccountSummary and GetAccountAuthorizationDetails: the account's IAM
// entities counted, and all of them with their policies in one listing
// (docs/aws-behavior.md §8.3).

// Quotas AccountSummary reports that samlab does not otherwise enforce
// (IAM User Guide, "IAM and AWS STS quotas", defaults).
const (
	quotaRoles                 = 1000
	quotaServerCertificates    = 20
	quotaSigningCertificates   = 2
	quotaInstanceProfiles      = 1000
	quotaPolicyVersionsInUse   = 10000
	quotaAssumeRolePolicySize  = 2048
	globalEndpointTokenVersion = 1
)

// AccountSummary returns the SummaryMap of IAM GetAccountSummary: the
// account's entity counts and quotas. Counts of what samlab does not model
// (server and signing certificates, instance profiles, the root user's MFA,
// keys and password) are 0.
func (a *Account) AccountSummary() map[string]int {
	a.mu.RLock()
	defer a.mu.RUnlock()
	inUse, assigned := 0, 0
	count := func(attached []string) { inUse += len(attached) }
	for _, u := range a.ids.users {
		count(u.AttachedPolicies)
	}
	for _, g := range a.ids.groups {
		count(g.AttachedPolicies)
	}
	for _, r := range a.roles {
		count(r.AttachedPolicies)
	}
	for _, d := range a.ids.mfa {
		if d.UserName != "" {
			assigned++
		}
	}
	return map[string]int{
		"Users":                             len(a.ids.users),
		"UsersQuota":                        MaxUsers,
		"Groups":                            len(a.ids.groups),
		"GroupsQuota":                       MaxGroups,
		"ServerCertificates":                0,
		"ServerCertificatesQuota":           quotaServerCertificates,
		"UserPolicySizeQuota":               MaxUserInlinePolicySize,
		"GroupPolicySizeQuota":              MaxGroupInlinePolicySize,
		"GroupsPerUserQuota":                MaxGroupsPerUser,
		"SigningCertificatesPerUserQuota":   quotaSigningCertificates,
		"AccessKeysPerUserQuota":            MaxAccessKeysPerUser,
		"MFADevices":                        len(a.ids.mfa),
		"MFADevicesInUse":                   assigned,
		"AccountMFAEnabled":                 0,
		"AccountAccessKeysPresent":          0,
		"AccountPasswordPresent":            0,
		"AccountSigningCertificatesPresent": 0,
		"AttachedPoliciesPerGroupQuota":     MaxPoliciesPerGroup,
		"AttachedPoliciesPerRoleQuota":      MaxAttachedPolicies,
		"AttachedPoliciesPerUserQuota":      MaxPoliciesPerUser,
		"Policies":                          len(a.policies),
		"PoliciesQuota":                     MaxCustomerPolicies,
		"PolicySizeQuota":                   MaxManagedPolicySize,
		"PolicyVersionsInUse":               inUse,
		"PolicyVersionsInUseQuota":          quotaPolicyVersionsInUse,
		"VersionsPerPolicyQuota":            MaxPolicyVersions,
		"GlobalEndpointTokenVersion":        globalEndpointTokenVersion,
		"AssumeRolePolicySizeQuota":         quotaAssumeRolePolicySize,
		"InstanceProfiles":                  0,
		"InstanceProfilesQuota":             quotaInstanceProfiles,
		"Providers":                         len(a.providers) + a.oidcCount(),
		"RolePolicySizeQuota":               MaxInlinePolicySize,
		"Roles":                             len(a.roles),
		"RolesQuota":                        quotaRoles,
	}
}

func (a *Account) oidcCount() int {
	a.oidc.mu.RLock()
	defer a.oidc.mu.RUnlock()
	return len(a.oidc.byARN)
}

// AuthorizationDetails is the content of IAM GetAccountAuthorizationDetails
// before paging.
type AuthorizationDetails struct {
	Users    []*User
	Groups   []*Group
	Roles    []*Role
	Policies []*ManagedPolicy // with their versions (versionsOf)
}

// AuthorizationDetails returns the account's users, groups, roles and
// managed policies, each sorted by name, of the kinds filter names (all when
// filter is empty): "User", "Group", "Role", "LocalManagedPolicy",
// "AWSManagedPolicy". AWS managed policies are listed when something in the
// account uses them (unverified, docs/aws-behavior.md §8.3).
func (a *Account) AuthorizationDetails(filter []string) AuthorizationDetails {
	want := func(kind string) bool { return len(filter) == 0 || slices.Contains(filter, kind) }
	a.mu.RLock()
	defer a.mu.RUnlock()
	var d AuthorizationDetails
	if want("User") {
		for _, u := range a.ids.users {
			d.Users = append(d.Users, u.clone())
		}
		sort.Slice(d.Users, func(i, j int) bool { return d.Users[i].Name < d.Users[j].Name })
	}
	if want("Group") {
		for _, g := range a.ids.groups {
			d.Groups = append(d.Groups, g.clone())
		}
		sort.Slice(d.Groups, func(i, j int) bool { return d.Groups[i].Name < d.Groups[j].Name })
	}
	if want("Role") {
		for _, r := range a.roles {
			d.Roles = append(d.Roles, r.clone())
		}
		sort.Slice(d.Roles, func(i, j int) bool { return d.Roles[i].Name < d.Roles[j].Name })
	}
	if want("LocalManagedPolicy") {
		for _, p := range a.policies {
			d.Policies = append(d.Policies, p.clone())
		}
	}
	if want("AWSManagedPolicy") && a.partition == "aws" {
		for arn, p := range awsManaged {
			if attached, bounds := a.usageLocked(arn); attached+bounds > 0 {
				d.Policies = append(d.Policies, p.clone())
			}
		}
	}
	sort.Slice(d.Policies, func(i, j int) bool {
		if d.Policies[i].Name != d.Policies[j].Name {
			return d.Policies[i].Name < d.Policies[j].Name
		}
		return d.Policies[i].ARN < d.Policies[j].ARN
	})
	return d
}
