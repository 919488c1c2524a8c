// Package awsapi is the wire layer of the mock AWS: the AWS Query protocol
// (form-encoded Action/Version requests), XML responses in AWS's namespaces,
// the <ErrorResponse> envelope and SigV4 request verification.
//
// It sits below sp/iam and sp/sts, which return *Error values where they make
// their decisions; this package renders them exactly as AWS does.
package awsapi
