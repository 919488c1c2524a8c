// Package iam is the IAM half of the mock AWS account: SAML identity providers
// (each holding the metadata document registered for it, which is what STS
// validates against) and roles with trust policies that name them.
//
// Operations return *awsapi.Error values carrying IAM's codes, HTTP statuses
// and messages; package sp/awsapi renders them on the wire.
package iam
