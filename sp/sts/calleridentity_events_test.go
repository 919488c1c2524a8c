package sts

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// TestCallerTypeInEvents pins CloudTrail's userIdentity.type of each kind of
// temporary credentials, which only the event log shows: a role session is
// an AssumedRole, a GetSessionToken session its IAMUser, a
// GetFederationToken session a FederatedUser. Each signs GetCallerIdentity
// over loopback with the SDK, and the router records the event.
func TestCallerTypeInEvents(t *testing.T) {
	t.Parallel()
	e := newPipelineEnv(t)
	now := time.Now().UTC().Truncate(time.Second)
	e.sts.now = func() time.Time { return now }
	f := e.sts.NewFederation(FederationConfig{})
	events := &awsapi.EventLog{}
	router, err := awsapi.NewRouter(awsapi.RouterConfig{Operations: e.sts.Operations(), Credentials: e.sts.Credential,
		Now: func() time.Time { return now }, Events: events})
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)

	role, err := e.sts.AssumeRoleWithSAML(t.Context(), AssumeRoleWithSAMLInput{RoleARN: testRoleARN, PrincipalARN: testProviderARN,
		SAMLAssertion: awsResponse{IssueInstant: now.Add(-time.Minute)}.build(t, e.kp)})
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML: %v", err)
	}
	user := &Caller{ARN: "arn:aws:iam::123456789012:user/u", UserID: "AIDAU", Account: "123456789012"}
	st, err := f.GetSessionToken(t.Context(), user, GetSessionTokenInput{})
	if err != nil {
		t.Fatalf("GetSessionToken: %v", err)
	}
	name := "ops"
	fed, err := f.GetFederationToken(t.Context(), &Caller{ARN: "arn:aws:iam::123456789012:root", UserID: "123456789012",
		Account: "123456789012"}, GetFederationTokenInput{Name: &name})
	if err != nil {
		t.Fatalf("GetFederationToken: %v", err)
	}
	want := map[string]string{
		role.Credentials.AccessKeyID: "AssumedRole",
		st.Credentials.AccessKeyID:   "IAMUser",
		fed.Credentials.AccessKeyID:  "FederatedUser",
	}
	for _, c := range []Credentials{role.Credentials, st.Credentials, fed.Credentials} {
		client := awssts.New(awssts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: srv.Client(),
			RetryMaxAttempts: 1, Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)})
		if _, err := client.GetCallerIdentity(t.Context(), &awssts.GetCallerIdentityInput{}); err != nil {
			t.Fatalf("GetCallerIdentity: %v", err)
		}
	}
	got := map[string]string{}
	for _, ev := range events.Events() {
		got[ev.UserIdentity.AccessKeyID] = ev.UserIdentity.Type
	}
	for key, typ := range want {
		if got[key] != typ {
			t.Errorf("userIdentity.type of %s's GetCallerIdentity = %q, want %q", key, got[key], typ)
		}
	}
}
