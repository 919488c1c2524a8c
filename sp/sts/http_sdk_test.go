package sts

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// TestQueryAPIWithTheSDK drives the STS Query API over loopback with the
// AWS SDK's own STS client: AssumeRoleWithSAML (anonymous) returns the
// session's fields in AWS's shape, the credentials it returns sign
// GetCallerIdentity as the assumed role, and a refused assertion comes back
// as AWS's error code.
func TestQueryAPIWithTheSDK(t *testing.T) {
	t.Parallel()
	e := newPipelineEnv(t)
	// The SDK signs with the real clock, so STS and the router run on it
	// too (testKey's certificate is valid until 2046).
	now := time.Now().UTC().Truncate(time.Second)
	e.sts.now = func() time.Time { return now }
	router, err := awsapi.NewRouter(awsapi.RouterConfig{Operations: e.sts.Operations(), Credentials: e.sts.Credential,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)
	client := func(creds aws.CredentialsProvider) *awssts.Client {
		return awssts.New(awssts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds,
			HTTPClient: srv.Client(), RetryMaxAttempts: 1})
	}

	out, err := client(aws.AnonymousCredentials{}).AssumeRoleWithSAML(t.Context(), &awssts.AssumeRoleWithSAMLInput{
		RoleArn: aws.String(testRoleARN), PrincipalArn: aws.String(testProviderARN),
		SAMLAssertion: aws.String(awsResponse{IssueInstant: now.Add(-time.Minute)}.build(t, e.kp)), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML: %v", err)
	}
	const assumed = "arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice"
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != assumed {
		t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, assumed)
	}
	if got, want := aws.ToTime(out.Credentials.Expiration), now.Add(900*time.Second); !got.Equal(want) {
		t.Errorf("Expiration = %s, want %s (DurationSeconds 900)", got, want)
	}
	if aws.ToString(out.Subject) != "alice" || aws.ToString(out.Issuer) != testIssuer ||
		aws.ToString(out.SubjectType) != "persistent" || aws.ToString(out.Audience) != "https://signin.aws.amazon.com/saml" ||
		aws.ToString(out.NameQualifier) != NameQualifier(testIssuer, "123456789012", "samlab") {
		t.Errorf("Subject %q, Issuer %q, SubjectType %q, Audience %q, NameQualifier %q", aws.ToString(out.Subject),
			aws.ToString(out.Issuer), aws.ToString(out.SubjectType), aws.ToString(out.Audience), aws.ToString(out.NameQualifier))
	}

	c := out.Credentials
	id, err := client(credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey),
		aws.ToString(c.SessionToken))).GetCallerIdentity(t.Context(), &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if aws.ToString(id.Arn) != assumed || aws.ToString(id.Account) != "123456789012" ||
		aws.ToString(id.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
		t.Errorf("GetCallerIdentity = %s %s %s, want %s in 123456789012 as %s", aws.ToString(id.Arn), aws.ToString(id.Account),
			aws.ToString(id.UserId), assumed, aws.ToString(out.AssumedRoleUser.AssumedRoleId))
	}

	// A wrong secret does not sign as the session.
	_, err = client(credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), "wrong-secret",
		aws.ToString(c.SessionToken))).GetCallerIdentity(t.Context(), &awssts.GetCallerIdentityInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "SignatureDoesNotMatch" {
		t.Errorf("GetCallerIdentity with a wrong secret = %v, want SignatureDoesNotMatch", err)
	}

	// DurationSeconds over the role's maximum, and a missing member, come
	// back as AWS's errors.
	_, err = client(aws.AnonymousCredentials{}).AssumeRoleWithSAML(t.Context(), &awssts.AssumeRoleWithSAMLInput{
		RoleArn: aws.String(testRoleARN), PrincipalArn: aws.String(testProviderARN),
		SAMLAssertion: aws.String(awsResponse{IssueInstant: now.Add(-time.Minute)}.build(t, e.kp)), DurationSeconds: aws.Int32(7200)})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != string(awsapi.CodeValidation) || apiErr.ErrorMessage() != msgDurationExceedsMax {
		t.Errorf("DurationSeconds 7200 = %v, want %s %q", err, awsapi.CodeValidation, msgDurationExceedsMax)
	}
	_, err = client(aws.AnonymousCredentials{}).AssumeRoleWithSAML(t.Context(), &awssts.AssumeRoleWithSAMLInput{
		RoleArn: aws.String(testRoleARN), PrincipalArn: aws.String(testProviderARN), SAMLAssertion: aws.String("")})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != string(awsapi.CodeValidation) {
		t.Errorf("empty SAMLAssertion = %v, want %s", err, awsapi.CodeValidation)
	}
}
