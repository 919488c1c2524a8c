package main

import (
	"crypto/x509"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

// TestUpKeepsRolePolicies sets up a role's policies, boundary, tags and the
// account alias on `samlab up --state --events`, restarts it on the same
// state and finds them all again, and finds every call in the event file.
func TestUpKeepsRolePolicies(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	events := filepath.Join(dir, "events.jsonl")
	up := startUp(t, "--state", dir, "--events", events)
	c := iamsdk.NewFromConfig(up.config(), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(up.endpoint) })
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`
	steps := []func() error{
		func() error {
			_, err := c.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("Kept"),
				AssumeRolePolicyDocument: aws.String(iam.SAMLTrustPolicy("arn:aws:iam::123456789012:saml-provider/x"))})
			return err
		},
		func() error {
			_, err := c.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("Kept"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(doc)})
			return err
		},
		func() error {
			_, err := c.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("mine"), PolicyDocument: aws.String(doc)})
			return err
		},
		func() error {
			_, err := c.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("Kept"), PolicyArn: aws.String("arn:aws:iam::123456789012:policy/mine")})
			return err
		},
		func() error {
			_, err := c.PutRolePermissionsBoundary(ctx, &iamsdk.PutRolePermissionsBoundaryInput{RoleName: aws.String("Kept"),
				PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/PowerUserAccess")})
			return err
		},
		func() error {
			_, err := c.TagRole(ctx, &iamsdk.TagRoleInput{RoleName: aws.String("Kept"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("lab")}}})
			return err
		},
		func() error {
			_, err := c.CreateAccountAlias(ctx, &iamsdk.CreateAccountAliasInput{AccountAlias: aws.String("samlab-kept")})
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
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
	var names []string
	for _, e := range evs {
		names = append(names, e.EventName)
		if e.EventName == "AttachRolePolicy" && (e.RequestParameters["roleName"] != "Kept" || e.RequestParameters["policyArn"] != "arn:aws:iam::123456789012:policy/mine") {
			t.Errorf("AttachRolePolicy event parameters = %v", e.RequestParameters)
		}
		if e.EventName == "CreateAccountAlias" && e.RequestParameters["accountAlias"] != "samlab-kept" {
			t.Errorf("CreateAccountAlias event parameters = %v", e.RequestParameters)
		}
	}
	for _, want := range []string{"PutRolePolicy", "CreatePolicy", "AttachRolePolicy", "PutRolePermissionsBoundary", "TagRole", "CreateAccountAlias"} {
		if !slices.Contains(names, want) {
			t.Errorf("events lack %s: %v", want, names)
		}
	}

	again := startUp(t, "--state", dir)
	c = iamsdk.NewFromConfig(again.config(), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(again.endpoint) })
	role, err := c.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("Kept")})
	if err != nil || role.Role.PermissionsBoundary == nil || len(role.Role.Tags) != 1 {
		t.Fatalf("GetRole after restart = %+v, %v; want the boundary and the tag", role, err)
	}
	if _, err := c.GetRolePolicy(ctx, &iamsdk.GetRolePolicyInput{RoleName: aws.String("Kept"), PolicyName: aws.String("inline")}); err != nil {
		t.Errorf("GetRolePolicy after restart: %v", err)
	}
	att, err := c.ListAttachedRolePolicies(ctx, &iamsdk.ListAttachedRolePoliciesInput{RoleName: aws.String("Kept")})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyName) != "mine" {
		t.Errorf("ListAttachedRolePolicies after restart = %+v, %v", att, err)
	}
	if _, err := c.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::123456789012:policy/mine")}); err != nil {
		t.Errorf("GetPolicy after restart: %v", err)
	}
	aliases, err := c.ListAccountAliases(ctx, &iamsdk.ListAccountAliasesInput{})
	if err != nil || !slices.Equal(aliases.AccountAliases, []string{"samlab-kept"}) {
		t.Errorf("ListAccountAliases after restart = %v, %v", aliases, err)
	}
}

// TestUpRegistersNegativeSerialIdP registers, on a running `samlab up`,
// metadata whose signing certificate has a negative serial number. This test
// file sets no GODEBUG of its own: the x509negativeserial setting comes from
// the //go:debug directive of package main, as in the samlab binary.
func TestUpRegistersNegativeSerialIdP(t *testing.T) {
	t.Parallel()
	key, err := certstest.New().Key(2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := certstest.NegativeSerialCertDER(key, "ADFS Signing - adfs.example.com", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("package main's x509negativeserial setting is not in effect: %v", err)
	}
	md, err := metadata.Build(metadata.IDP{EntityID: "http://adfs.example.com/adfs/services/trust", SSOURL: "https://adfs.example.com/adfs/ls/",
		SigningCerts: []*x509.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	up := startUp(t)
	c := iamsdk.NewFromConfig(up.config(), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(up.endpoint) })
	if _, err := c.CreateSAMLProvider(t.Context(), &iamsdk.CreateSAMLProviderInput{Name: aws.String("adfs"), SAMLMetadataDocument: aws.String(string(md))}); err != nil {
		t.Errorf("CreateSAMLProvider with a negative-serial certificate: %v", err)
	}
}
