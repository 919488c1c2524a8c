package sts_test

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// TestAssumeRoleWithWebIdentityWithTheSDK drives AssumeRoleWithWebIdentity
// over loopback with the SDK's STS client, unsigned as SDKs send it: the
// response carries the token's subject, audience and provider, the
// credentials last DurationSeconds, the call's event names the web identity
// caller, and a refused token comes back as AWS's error code.
func TestAssumeRoleWithWebIdentityWithTheSDK(t *testing.T) {
	t.Parallel()
	e := newWIEnv(t, false, nil, nil)
	roleARN := e.role(t, "Web", `{"StringEquals":{"HOST:aud":"app"}}`)
	var events awsapi.EventLog
	router, err := awsapi.NewRouter(awsapi.RouterConfig{Operations: e.wi.Operations(), Now: func() time.Time { return wiNow }, Events: &events})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)
	client := awssts.New(awssts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{},
		HTTPClient: srv.Client(), RetryMaxAttempts: 1})

	out, err := client.AssumeRoleWithWebIdentity(t.Context(), &awssts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
		RoleSessionName: aws.String("web-sess"), WebIdentityToken: aws.String(e.sign(t, e.claims(nil))), DurationSeconds: aws.Int32(1200)})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	if aws.ToString(out.SubjectFromWebIdentityToken) != "user-0001" || aws.ToString(out.Audience) != "app" || aws.ToString(out.Provider) != e.prov.ARN {
		t.Errorf("subject %q, audience %q, provider %q; want user-0001, app, %s", aws.ToString(out.SubjectFromWebIdentityToken),
			aws.ToString(out.Audience), aws.ToString(out.Provider), e.prov.ARN)
	}
	if got, want := aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::"+e.acct.ID()+":assumed-role/Web/web-sess"; got != want {
		t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, want)
	}
	if got, want := aws.ToTime(out.Credentials.Expiration), wiNow.Add(1200*time.Second); !got.Equal(want) {
		t.Errorf("Expiration = %s, want %s", got, want)
	}
	if aws.ToString(out.Credentials.AccessKeyId) == "" || aws.ToString(out.Credentials.SecretAccessKey) == "" || aws.ToString(out.Credentials.SessionToken) == "" {
		t.Errorf("Credentials = %+v, want all three parts", out.Credentials)
	}
	sess, err := e.svc.Session(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SessionToken))
	if err != nil || sess.ARN != aws.ToString(out.AssumedRoleUser.Arn) {
		t.Errorf("the credentials' session = %+v, %v", sess, err)
	}
	evs := events.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	id := evs[0].UserIdentity
	if want := e.host + ":app:user-0001"; id.Type != "WebIdentityUser" || id.PrincipalID != want || id.UserName != "user-0001" || id.AccountID != e.acct.ID() {
		t.Errorf("event identity = %+v, want WebIdentityUser %s, user-0001, account %s", id, want, e.acct.ID())
	}
	if p := evs[0].RequestParameters; p["roleArn"] != roleARN || p["roleSessionName"] != "web-sess" {
		t.Errorf("event parameters = %v", p)
	}

	var apiErr smithy.APIError
	_, err = client.AssumeRoleWithWebIdentity(t.Context(), &awssts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
		RoleSessionName: aws.String("web-sess"), WebIdentityToken: aws.String(e.sign(t, e.claims(map[string]any{"aud": "other"})))})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidIdentityToken" || apiErr.ErrorMessage() != "Incorrect token audience" {
		t.Errorf("a token for another audience = %v, want InvalidIdentityToken: Incorrect token audience", err)
	}
	_, err = client.AssumeRoleWithWebIdentity(t.Context(), &awssts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
		RoleSessionName: aws.String("web-sess"), WebIdentityToken: aws.String(e.sign(t, e.claims(nil))), DurationSeconds: aws.Int32(899)})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != string(awsapi.CodeValidation) {
		t.Errorf("DurationSeconds 899 = %v, want ValidationError", err)
	}
	if n := len(events.Events()); n != 3 {
		t.Errorf("%d events, want 3 (failed calls are recorded too)", n)
	}
}
