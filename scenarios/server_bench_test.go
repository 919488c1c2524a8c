package scenarios_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/samlab-dev/samlab/scenarios"
)

// BenchmarkHTTPAssumeRoleWithSAML measures AssumeRoleWithSAML round trips
// through the real SDK client over loopback HTTP: form encoding, routing,
// the full validation pipeline and XML rendering. The response is reused, as
// AWS allows within its validity.
func BenchmarkHTTPAssumeRoleWithSAML(b *testing.B) {
	l := newAWSLabB(b)
	client := l.stsClient(aws.AnonymousCredentials{})
	in := &stssdk.AssumeRoleWithSAMLInput{RoleArn: aws.String(l.lab.RoleARN), PrincipalArn: aws.String(l.lab.ProviderARN),
		SAMLAssertion: aws.String(l.samlResponse(b, l.lab.Users[scenarios.DefaultUser]))}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := client.AssumeRoleWithSAML(b.Context(), in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHTTPGetCallerIdentity measures a SigV4-signed round trip: the SDK
// signs, the server re-signs with the SDK's signer to verify.
func BenchmarkHTTPGetCallerIdentity(b *testing.B) {
	l := newAWSLabB(b)
	client := l.stsClient(credentials.NewStaticCredentialsProvider(l.admin.AccessKeyID, l.admin.SecretAccessKey, ""))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := client.GetCallerIdentity(b.Context(), &stssdk.GetCallerIdentityInput{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func newAWSLabB(b *testing.B) *awsLab {
	b.Helper()
	l := newAWSLab(b, nil)
	if err := l.lab.RegisterProvider(); err != nil {
		b.Fatalf("RegisterProvider: %v", err)
	}
	return l
}
