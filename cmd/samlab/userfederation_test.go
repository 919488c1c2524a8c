package main

import (
	"encoding/base32"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/samlab-dev/samlab/sp/iam"
)

// TestUpMFAProtectedIAMCalls: on `samlab up` and `samlab sp serve`, an IAM call allowed only with
// aws:MultiFactorAuthPresent is refused with the user's long-term key (the
// key is absent) and allowed with credentials from GetSessionToken with the
// user's real MFA device (enabled through IAM); the STS calls show as the
// key's last use.
func TestUpMFAProtectedIAMCalls(t *testing.T) {
	t.Parallel()
	for _, command := range [][]string{{"up"}, {"sp", "serve"}} {
		t.Run(strings.Join(command, " "), func(t *testing.T) {
			t.Parallel()
			testMFAProtectedIAMCalls(t, startServer(t, command...))
		})
	}
}

func testMFAProtectedIAMCalls(t *testing.T, up *upLab) {
	ctx := t.Context()
	iamOf := func(c aws.CredentialsProvider) *iamsdk.Client {
		return iamsdk.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: c}, func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(up.endpoint) })
	}
	stsOf := func(c aws.CredentialsProvider) *stssdk.Client {
		return stssdk.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: c}, func(o *stssdk.Options) { o.BaseEndpoint = aws.String(up.endpoint) })
	}
	admin := iamOf(up.config().Credentials)
	if _, err := admin.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("erin")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("erin"), PolicyName: aws.String("list-with-mfa"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*",` +
			`"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}]}`)}); err != nil {
		t.Fatal(err)
	}
	k, err := admin.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("erin")})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := admin.CreateVirtualMFADevice(ctx, &iamsdk.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("erin")})
	if err != nil {
		t.Fatal(err)
	}
	seed, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(string(dev.VirtualMFADevice.Base32StringSeed))
	if err != nil {
		t.Fatal(err)
	}
	serial := aws.ToString(dev.VirtualMFADevice.SerialNumber)
	now := time.Now()
	if _, err := admin.EnableMFADevice(ctx, &iamsdk.EnableMFADeviceInput{UserName: aws.String("erin"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(iam.TOTP(seed, now.Add(-2*iam.TOTPStep))), AuthenticationCode2: aws.String(iam.TOTP(seed, now.Add(-iam.TOTPStep)))}); err != nil {
		t.Fatal(err)
	}
	key := credentials.NewStaticCredentialsProvider(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")

	_, err = iamOf(key).ListUsers(ctx, &iamsdk.ListUsersInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" || ae.ErrorMessage() != "User: arn:aws:iam::123456789012:user/erin is not authorized to perform: "+
		"iam:ListUsers on resource: arn:aws:iam::123456789012:user/ because no identity-based policy allows the iam:ListUsers action" {
		t.Errorf("ListUsers with erin's long-term key = %v", err)
	}
	// A wrong code, then the device's current one.
	wrong := "000000"
	if iam.TOTP(seed, time.Now()) == wrong {
		wrong = "000001"
	}
	_, err = stsOf(key).GetSessionToken(ctx, &stssdk.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(wrong)})
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Errorf("GetSessionToken with a wrong code = %v", err)
	}
	st, err := stsOf(key).GetSessionToken(ctx, &stssdk.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(iam.TOTP(seed, time.Now()))})
	if err != nil {
		t.Fatalf("GetSessionToken with erin's MFA code: %v", err)
	}
	c := st.Credentials
	session := credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	if _, err := iamOf(session).ListUsers(ctx, &iamsdk.ListUsersInput{}); err != nil {
		t.Errorf("ListUsers with erin's MFA session: %v", err)
	}
	used, err := admin.GetAccessKeyLastUsed(ctx, &iamsdk.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKey.AccessKeyId})
	if err != nil {
		t.Fatal(err)
	}
	// The last call signed with the key itself was GetSessionToken.
	if lu := used.AccessKeyLastUsed; aws.ToString(lu.ServiceName) != "sts" || aws.ToString(lu.Region) != "us-east-1" || lu.LastUsedDate == nil {
		t.Errorf("erin's key last used: %+v", lu)
	}
}
