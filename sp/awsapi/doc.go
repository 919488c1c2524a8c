// Package awsapi is the wire layer of the mock AWS: the AWS Query protocol
// (form-encoded or query-string Action/Version requests, Name.member.N lists),
// XML responses in AWS's namespaces, the <ErrorResponse> envelope and SigV4
// request verification.
//
// It sits below sp/iam and sp/sts, which return *Error values where they make
// their decisions and describe their actions as Operations; a Router serves
// them over HTTP exactly as AWS does: one address for several APIs, dispatched
// on Version and Action, with SigV4 checked by re-signing each request with
// the AWS SDK's own signer. Every call is recorded as a CloudTrail-like Event.
package awsapi
