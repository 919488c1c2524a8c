package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// TestUpWebIdentity federates through `samlab up` alone: a token from its
// /idp/oidc (idp token --endpoint), its issuer registered in its IAM (which
// needs --insecure-http-issuers, since the issuer is http://), a role
// trusting it, and the SDK's web identity credential provider calling its
// STS.
func TestUpWebIdentity(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	strict := startUp(t)
	issuer := strict.endpoint + oidcPrefix
	iamStrict := iamsdk.NewFromConfig(strict.config(), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(strict.endpoint) })
	_, err := iamStrict.CreateOpenIDConnectProvider(ctx, &iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String(issuer),
		ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{strings.Repeat("a", 40)}})
	var ae smithy.APIError
	if err == nil || !errors.As(err, &ae) || ae.ErrorMessage() != "Invalid Open ID Connect Provider URL" {
		t.Errorf("http issuer without --insecure-http-issuers: %v, want Invalid Open ID Connect Provider URL", err)
	}
	_ = strict.stop()

	lab := startUp(t, "--insecure-http-issuers")
	issuer = lab.endpoint + oidcPrefix
	iamc := iamsdk.NewFromConfig(lab.config(), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(lab.endpoint) })
	p, err := iamc.CreateOpenIDConnectProvider(ctx, &iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String(issuer),
		ClientIDList: []string{"sts.amazonaws.com"}})
	if err != nil {
		t.Fatalf("CreateOpenIDConnectProvider(%s): %v", issuer, err)
	}
	host := strings.TrimPrefix(issuer, "http://")
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},
		"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],"Condition":{"StringEquals":{%q:"alice"}}}]}`,
		aws.ToString(p.OpenIDConnectProviderArn), host+":sub")
	role, err := iamc.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("OIDCRole"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	out, stderr, err := runIn(t, "samlab\n", "idp", "token", "--endpoint", lab.endpoint, "--user", "alice",
		"--audience", "sts.amazonaws.com", "--password-stdin")
	if err != nil {
		t.Fatalf("idp token --endpoint: %v\n%s", err, stderr)
	}
	anon := stssdk.NewFromConfig(aws.Config{Region: "us-east-1"}, func(o *stssdk.Options) { o.BaseEndpoint = aws.String(lab.endpoint) })
	token := strings.TrimSpace(out)
	prov := stscreds.NewWebIdentityRoleProvider(anon, aws.ToString(role.Role.Arn), identityToken(token),
		func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = "up-web" })
	cfg := aws.Config{Region: "us-east-1", Credentials: aws.NewCredentialsCache(prov)}
	id, err := stssdk.NewFromConfig(cfg, func(o *stssdk.Options) { o.BaseEndpoint = aws.String(lab.endpoint) }).
		GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with web identity credentials: %v", err)
	}
	if got := aws.ToString(id.Arn); got != "arn:aws:sts::123456789012:assumed-role/OIDCRole/up-web" {
		t.Errorf("caller = %q", got)
	}
}

type identityToken string

func (t identityToken) GetIdentityToken() ([]byte, error) { return []byte(t), nil }
