package scenarios_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/sts"
)

// viaSDK sends the request with the real aws-sdk-go-v2 STS client
// (anonymous, as SDKs call AssumeRoleWithSAML) to the lab's AWS endpoint on
// loopback, and turns an error back into the code, HTTP status and message
// the client saw. The server's request ID in a message suffix is replaced by
// rowRequestID so messages compare with the in-process ones. It also checks
// that the SDK maps each code to its typed error, as it does for AWS.
// Successful results are not converted (nil output): their fields are
// checked in process.
func viaSDK(t *testing.T, l *scenarios.Lab, in sts.AssumeRoleWithSAMLInput) (*sts.AssumeRoleWithSAMLOutput, *awsapi.Error, error) {
	t.Helper()
	admin, err := scenarios.NewAdminKey(nil)
	if err != nil {
		t.Fatalf("NewAdminKey: %v", err)
	}
	h, err := l.AWSHandler(scenarios.ServerConfig{Admin: admin})
	if err != nil {
		t.Fatalf("AWSHandler: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client := stssdk.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, HTTPClient: srv.Client()},
		func(o *stssdk.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	req := &stssdk.AssumeRoleWithSAMLInput{RoleArn: aws.String(in.RoleARN), PrincipalArn: aws.String(in.PrincipalARN),
		SAMLAssertion: aws.String(in.SAMLAssertion)}
	if in.DurationSeconds != nil {
		req.DurationSeconds = aws.Int32(int32(*in.DurationSeconds))
	}
	if in.Policy != "" {
		req.Policy = aws.String(in.Policy)
	}
	for _, arn := range in.PolicyARNs {
		req.PolicyArns = append(req.PolicyArns, ststypes.PolicyDescriptorType{Arn: aws.String(arn)})
	}
	_, err = client.AssumeRoleWithSAML(t.Context(), req)
	if err == nil {
		return nil, nil, nil
	}
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		return nil, nil, err
	}
	got := &awsapi.Error{Code: awsapi.Code(ae.ErrorCode()), Status: re.HTTPStatusCode(),
		Message: strings.ReplaceAll(ae.ErrorMessage(), re.ServiceRequestID(), rowRequestID)}
	if !typedAs(err, got.Code) {
		t.Errorf("SDK error for code %s is %T, not the SDK's type for it", got.Code, ae)
	}
	return nil, got, nil
}

// typedAs reports whether the SDK turned code into its modelled error type
// (codes without one stay generic).
func typedAs(err error, code awsapi.Code) bool {
	switch code {
	case awsapi.CodeInvalidIdentityToken:
		var e *ststypes.InvalidIdentityTokenException
		return errors.As(err, &e)
	case awsapi.CodeExpiredTokenException:
		var e *ststypes.ExpiredTokenException
		return errors.As(err, &e)
	case awsapi.CodeMalformedPolicyDocument:
		var e *ststypes.MalformedPolicyDocumentException
		return errors.As(err, &e)
	case awsapi.CodePackedPolicyTooLarge:
		var e *ststypes.PackedPolicyTooLargeException
		return errors.As(err, &e)
	case awsapi.CodeIDPRejectedClaim:
		var e *ststypes.IDPRejectedClaimException
		return errors.As(err, &e)
	}
	var generic *smithy.GenericAPIError
	return errors.As(err, &generic)
}
