package policy

import "fmt"

// This file holds every message text the package produces, with its source.
// Text marked "unverified" was not seen in an AWS answer or in AWS's
// documentation; it is the most plausible wording and is kept here so it can
// be corrected in one place.

// MalformedPolicyDocument messages (IAM returns them as the Message of a
// MalformedPolicyDocument error, HTTP 400).
const (
	// Seen in many IAM answers; also the message sp/iam already returns.
	msgSyntax = "Syntax errors in policy."
	// Unverified: the field name in the message follows the "Missing
	// required field Principal" form below.
	msgMissingStatement = "Missing required field Statement"
	// Quoted in humanmade/S3-Uploads#191 and fredjean/middleman-s3_sync#133
	// for a resource-based policy without Principal.
	msgMissingPrincipal = "Missing required field Principal"
	// The IAM API's answer to an identity-based policy with a Principal
	// (quoted from a Terraform CreatePolicy failure: "error creating IAM
	// policy ec2_policy: MalformedPolicyDocument: Policy document should not
	// specify a principal"). The console's validator says "Has prohibited
	// field Principal" instead (hashicorp/terraform#4730).
	msgProhibitedPrincipal = "Policy document should not specify a principal."
	// Quoted from real CreateRole answers ("An error occurred
	// (MalformedPolicyDocument) when calling the CreateRole operation: Has
	// prohibited field Resource").
	msgProhibitedResource = "Has prohibited field Resource"
	// Quoted from a real CreatePolicy answer ("MalformedPolicyDocument: Policy
	// statement must contain actions.").
	msgNoActions = "Policy statement must contain actions."
	// Unverified: widely quoted IAM wording, not seen in a captured answer.
	msgNoResources = "Policy statement must contain resources."
	msgDuplicateID = "Statement IDs (SID) in a single policy must be unique."
	// Seen in CloudTrail records of CreatePolicy
	// (MalformedPolicyDocumentException).
	msgSidFormat = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	// Unverified: the "Missing required field" form for Effect.
	msgMissingEffect = "Missing required field Effect"
	// Unverified wording for a statement with both an element and its Not
	// form, and for an Effect other than Allow/Deny.
	msgBothFmt   = "Statement must not contain both %s and %s."
	msgEffectFmt = "Invalid effect: %s"
	// Unverified: the message IAM gives for an unsupported Version.
	msgVersion = "The policy failed legacy parsing"
	// The form IAM uses for a principal it cannot resolve:
	// `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/x"`
	// (seen in IAM answers; used here for malformed values too — unverified).
	msgPrincipalFmt = "Invalid principal in policy: %q:%q"
	// Unverified wording for an action without a service prefix.
	msgVendor = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	// Seen in IAM answers for a Resource that is not an ARN ("Resource
	// vpc-1234 must be in ARN format or "*".").
	msgResourceFmt = "Resource %s must be in ARN format or \"*\"."
	// Unverified: IAM's wording for an unknown condition operator.
	msgOperatorFmt = "Invalid Condition type : %s"
)

// AccessDenied messages. The form and every policy-type phrase below are from
// the IAM User Guide, "Troubleshoot access denied error messages"
// (troubleshoot_access-denied.md in awsdocs/iam-user-guide):
//
//	User: <principal ARN> is not authorized to perform: <action>[ on resource: <ARN>] because no <type> allows the <action> action
//	User: <principal ARN> is not authorized to perform: <action>[ on resource: <ARN>] with an explicit deny in <a type>
//
// confirmed in real answers for the identity-based implicit deny
// (aws-amplify/amplify-backend#2258, alphagov/govuk-infrastructure#2439),
// the resource-based implicit deny (aws-samples/sample-serverless-mcp-servers#7),
// the resource-based explicit deny (noobaa/noobaa-core#10060) and the session
// policy implicit deny (aws/aws-sdk-js#4303).
//
// The guide writes the session-policy explicit deny as "in a sessions policy";
// that looks like a typo and this package says "in a session policy"
// (unverified). The guide's trust-policy implicit deny ("because the role
// trust policy allows the sts:AssumeRole action") reads as a typo too; this
// package uses the long-standing AssumeRole answer without a reason clause
// (unverified for the current service).
const (
	deniedFmt     = "User: %s is not authorized to perform: %s%s"
	onResourceFmt = " on resource: %s"
	implicitFmt   = " because no %s allows the %s action"
	explicitFmt   = " with an explicit deny in %s"
)

// implicitPhrase and explicitPhrase name each policy type in the two forms.
func (t PolicyType) implicitPhrase() string {
	switch t {
	case Identity:
		return "identity-based policy"
	case Resource:
		return "resource-based policy"
	case Boundary:
		return "permissions boundary"
	case Session:
		return "session policy"
	}
	return ""
}

func (t PolicyType) explicitPhrase() string {
	switch t {
	case Identity:
		return "an identity-based policy"
	case Resource:
		return "a resource-based policy"
	case Trust:
		return "the role trust policy"
	case Boundary:
		return "a permissions boundary"
	case Session:
		return "a session policy" // the guide: "a sessions policy" (see above)
	}
	return ""
}

func deniedMessage(principal, action, resource string, explicit bool, t PolicyType) string {
	on := ""
	if resource != "" {
		on = fmt.Sprintf(onResourceFmt, resource)
	}
	why := ""
	switch {
	case explicit:
		why = fmt.Sprintf(explicitFmt, t.explicitPhrase())
	case t == Trust:
		why = "" // long-standing AssumeRole form, no reason (unverified)
	default:
		why = fmt.Sprintf(implicitFmt, t.implicitPhrase(), action)
	}
	return fmt.Sprintf(deniedFmt, principal, action, on) + why
}
