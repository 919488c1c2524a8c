package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/awsapi"
)

// TestUpKeepsUsers creates a user, a group and an access key on `samlab up
// --state --events`, signs calls with the new key (allowed and refused by the
// user's policies, STS included), restarts on the same state and finds the
// key still working, and finds the calls, the refusal too, in the event file.
func TestUpKeepsUsers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	events := filepath.Join(dir, "events.jsonl")
	up := startUp(t, "--state", dir, "--events", events)
	admin := iamsdk.NewFromConfig(up.config(), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(up.endpoint) })
	if _, err := admin.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("Developers")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("Developers"), UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutGroupPolicy(ctx, &iamsdk.PutGroupPolicyInput{GroupName: aws.String("Developers"), PolicyName: aws.String("self"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/${aws:username}"}]}`)}); err != nil {
		t.Fatal(err)
	}
	k, err := admin.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	aliceCfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")}
	aliceOn := func(endpoint string) (*iamsdk.Client, *stssdk.Client) {
		return iamsdk.NewFromConfig(aliceCfg, func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(endpoint) }),
			stssdk.NewFromConfig(aliceCfg, func(o *stssdk.Options) { o.BaseEndpoint = aws.String(endpoint) })
	}
	alice, aliceSTS := aliceOn(up.endpoint)
	who, err := aliceSTS.GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:iam::123456789012:user/alice" {
		t.Fatalf("GetCallerIdentity with alice's key = %v, %v", who, err)
	}
	if _, err := alice.GetUser(ctx, &iamsdk.GetUserInput{}); err != nil {
		t.Fatalf("GetUser as alice: %v", err)
	}
	var ae smithy.APIError
	if _, err := alice.ListUsers(ctx, &iamsdk.ListUsersInput{}); !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Fatalf("ListUsers as alice = %v, want AccessDenied", err)
	}
	if err := up.stop(); err != nil {
		t.Fatalf("samlab up did not shut down cleanly: %v\n%s", err, up.out)
	}

	out, err := run(t, "events", events, "--json")
	if err != nil {
		t.Fatalf("samlab events: %v\n%s", err, out)
	}
	var evs []awsapi.Event
	if err := json.Unmarshal([]byte(out), &evs); err != nil {
		t.Fatalf("samlab events --json: %v\n%s", err, out)
	}
	var created, refused bool
	for _, e := range evs {
		if e.EventName == "CreateAccessKey" && e.RequestParameters["userName"] == "alice" && e.RequestParameters["accessKeyId"] == aws.ToString(k.AccessKey.AccessKeyId) {
			created = true
		}
		if e.EventName == "ListUsers" && e.ErrorCode == "AccessDenied" && e.UserIdentity.ARN == "arn:aws:iam::123456789012:user/alice" {
			refused = true
		}
	}
	if !created || !refused {
		t.Errorf("events: CreateAccessKey recorded %v, alice's refused ListUsers recorded %v", created, refused)
	}

	again := startUp(t, "--state", dir)
	alice, _ = aliceOn(again.endpoint)
	me, err := alice.GetUser(ctx, &iamsdk.GetUserInput{})
	if err != nil || aws.ToString(me.User.UserName) != "alice" {
		t.Fatalf("GetUser with alice's key after restart = %v, %v", me, err)
	}
	admin = iamsdk.NewFromConfig(again.config(), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(again.endpoint) })
	g, err := admin.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("Developers")})
	if err != nil || len(g.Users) != 1 {
		t.Errorf("GetGroup after restart = %v, %v", g, err)
	}
}

// TestUpLabRolesAuthorizeIAM logs in through the IdP and calls IAM with the
// SAML session: SAMLAdmin's sessions may change IAM, SAMLReadOnly's may only
// read it.
func TestUpLabRolesAuthorizeIAM(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	up := startUp(t)
	session := func(user, role string) *iamsdk.Client {
		t.Helper()
		login := NewRootCommand()
		var out bytes.Buffer
		login.SetIn(strings.NewReader("samlab\n"))
		login.SetOut(&out)
		login.SetErr(&out)
		login.SetArgs([]string{"login", "--idp-url", up.endpoint + scenarios.IDPPrefix, "--endpoint-url", up.endpoint,
			"--username", user, "--password-stdin", "--format", "json", "--role", role})
		if err := login.ExecuteContext(ctx); err != nil {
			t.Fatalf("samlab login %s: %v\n%s", user, err, &out)
		}
		var c struct{ AccessKeyId, SecretAccessKey, SessionToken string }
		if err := json.Unmarshal(out.Bytes(), &c); err != nil {
			t.Fatalf("samlab login output: %v\n%s", err, &out)
		}
		cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyId, c.SecretAccessKey, c.SessionToken)}
		return iamsdk.NewFromConfig(cfg, func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(up.endpoint) })
	}
	admin := session(scenarios.DefaultUser, "arn:aws:iam::123456789012:role/"+scenarios.DefaultRoleName)
	if _, err := admin.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("made-by-saml")}); err != nil {
		t.Fatalf("CreateUser as SAMLAdmin: %v", err)
	}
	reader := session("bob", "arn:aws:iam::123456789012:role/"+scenarios.ReadOnlyRoleName)
	if _, err := reader.ListUsers(ctx, &iamsdk.ListUsersInput{}); err != nil {
		t.Errorf("ListUsers as SAMLReadOnly: %v", err)
	}
	_, err := reader.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("not-by-reader")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" || !strings.HasPrefix(ae.ErrorMessage(), "User: arn:aws:sts::123456789012:assumed-role/SAMLReadOnly/") {
		t.Errorf("CreateUser as SAMLReadOnly = %v, want AccessDenied for the role session", err)
	}
}
