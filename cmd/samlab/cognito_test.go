package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cisdk "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// TestUpCognito runs the identity pool flow through `samlab up --state`: a
// token from its /idp/oidc, a pool naming its IAM OIDC provider, the
// enhanced flow to credentials; then a restart on the same state keeps the
// pool, the identity, and STS's trust in the Cognito tokens issued before.
func TestUpCognito(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	up := startUp(t, "--insecure-http-issuers", "--state", dir)
	issuer := up.endpoint + oidcPrefix
	iamc := iamsdk.NewFromConfig(up.config(), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(up.endpoint) })
	p, err := iamc.CreateOpenIDConnectProvider(ctx, &iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String(issuer),
		ClientIDList: []string{"my-app"}})
	if err != nil {
		t.Fatalf("CreateOpenIDConnectProvider: %v", err)
	}
	ci := func(l *upLab, signed bool) *cisdk.Client {
		cfg := aws.Config{Region: "us-east-1"}
		if signed {
			cfg = l.config()
		}
		return cisdk.NewFromConfig(cfg, func(o *cisdk.Options) { o.BaseEndpoint = aws.String(l.endpoint) })
	}
	pool, err := ci(up, true).CreateIdentityPool(ctx, &cisdk.CreateIdentityPoolInput{IdentityPoolName: aws.String("app users"),
		OpenIdConnectProviderARNs: []string{aws.ToString(p.OpenIDConnectProviderArn)}})
	if err != nil {
		t.Fatalf("CreateIdentityPool: %v", err)
	}
	poolID := aws.ToString(pool.IdentityPoolId)
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},
		"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":%q},
		"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}]}`, poolID)
	role, err := iamc.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("AppUser"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	if _, err := ci(up, true).SetIdentityPoolRoles(ctx, &cisdk.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(poolID),
		Roles: map[string]string{"authenticated": aws.ToString(role.Role.Arn)}}); err != nil {
		t.Fatalf("SetIdentityPoolRoles: %v", err)
	}
	out, stderr, err := runIn(t, "samlab\n", "idp", "token", "--endpoint", up.endpoint, "--user", "alice",
		"--audience", "my-app", "--password-stdin")
	if err != nil {
		t.Fatalf("idp token --endpoint: %v\n%s", err, stderr)
	}
	logins := map[string]string{strings.TrimPrefix(issuer, "http://"): strings.TrimSpace(out)}
	id, err := ci(up, false).GetId(ctx, &cisdk.GetIdInput{IdentityPoolId: aws.String(poolID), Logins: logins})
	if err != nil {
		t.Fatalf("GetId: %v", err)
	}
	creds, err := ci(up, false).GetCredentialsForIdentity(ctx, &cisdk.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins})
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity: %v", err)
	}
	c := creds.Credentials
	who, err := stssdk.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(
		aws.ToString(c.AccessKeyId), aws.ToString(c.SecretKey), aws.ToString(c.SessionToken))},
		func(o *stssdk.Options) { o.BaseEndpoint = aws.String(up.endpoint) }).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:sts::123456789012:assumed-role/AppUser/CognitoIdentityCredentials" {
		t.Fatalf("GetCallerIdentity = %v, %v", who, err)
	}
	oid, err := ci(up, false).GetOpenIdToken(ctx, &cisdk.GetOpenIdTokenInput{IdentityId: id.IdentityId, Logins: logins})
	if err != nil {
		t.Fatalf("GetOpenIdToken: %v", err)
	}
	if err := up.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	again := startUp(t, "--insecure-http-issuers", "--state", dir)
	desc, err := ci(again, true).DescribeIdentityPool(ctx, &cisdk.DescribeIdentityPoolInput{IdentityPoolId: aws.String(poolID)})
	if err != nil || aws.ToString(desc.IdentityPoolName) != "app users" {
		t.Fatalf("DescribeIdentityPool after restart = %v, %v", desc, err)
	}
	// The identity is still linked to alice's login: the same ID, and
	// without the login it is refused as an authenticated identity.
	_, err = ci(again, false).GetCredentialsForIdentity(ctx, &cisdk.GetCredentialsForIdentityInput{IdentityId: id.IdentityId})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NotAuthorizedException" {
		t.Errorf("GetCredentialsForIdentity without logins after restart: %v", err)
	}
	// The Cognito token from before the restart still verifies: the signing
	// key is in the state.
	anon := stssdk.NewFromConfig(aws.Config{Region: "us-east-1"}, func(o *stssdk.Options) { o.BaseEndpoint = aws.String(again.endpoint) })
	if _, err := anon.AssumeRoleWithWebIdentity(ctx, &stssdk.AssumeRoleWithWebIdentityInput{RoleArn: role.Role.Arn,
		RoleSessionName: aws.String("basic"), WebIdentityToken: oid.Token}); err != nil {
		t.Errorf("AssumeRoleWithWebIdentity with a Cognito token from before the restart: %v", err)
	}
}
