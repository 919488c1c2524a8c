// Package iam is the IAM half of the mock AWS account: SAML identity providers
// (each holding the metadata document registered for it, which is what STS
// validates against) and roles with trust policies that name them; IAM users
// with access keys, groups, virtual MFA devices, and the permissions policies
// and boundaries of users, groups and roles.
//
// Every IAM call the account serves is authorized with sp/policy for its
// caller (authz.go), and the policy simulator answers with the same engine
// (simulate.go).
//
// Operations return *awsapi.Error values carrying IAM's codes, HTTP statuses
// and messages; package sp/awsapi renders them on the wire.
package iam
