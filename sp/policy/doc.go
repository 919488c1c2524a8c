// Package policy evaluates IAM policy documents the way AWS documents it:
// parsing (IAM User Guide, "IAM JSON policy elements reference"), action,
// resource and principal matching, every condition operator family
// ("Condition operators"), policy variables ("Policy variables"), and the
// decision across identity-based policies, resource-based policies (trust
// policies included), permissions boundaries and session policies within one
// account and across accounts ("Policy evaluation logic").
//
// The package imports only the standard library. It knows nothing of stores,
// users or the wire: callers hand it parsed documents and a Request and get
// back a Decision that says which statement decided and why, and renders
// AWS's AccessDenied message.
//
// Behaviour that is not documented by AWS, and wording that was not seen in an
// AWS answer, is marked "unverified" in a comment where it is decided; the
// message wording lives in messages.go.
package policy
