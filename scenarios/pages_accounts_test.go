package scenarios_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/scenarios/labweb"
)

// TestIAMPageShowsEveryAccount: with further accounts on the endpoint, the
// IAM page shows each account's roles in a section of its own (a role
// created with that account's admin key appears in its section, not in the
// lab's), and the index lists the further accounts.
func TestIAMPageShowsEveryAccount(t *testing.T) {
	t.Parallel()
	const vendor = "444455556666"
	cfg := labConfig()
	cfg.AccountID = vendor
	peer, err := scenarios.NewAccountLab(cfg)
	if err != nil {
		t.Fatal(err)
	}
	key, err := scenarios.NewAdminKeyFor(nil, vendor)
	if err != nil {
		t.Fatal(err)
	}
	l := newPagesLab(t, false, func(c *scenarios.ServerConfig) {
		c.Accounts = []scenarios.Account{{Lab: peer, Admin: key}}
	})
	iamc := iamsdk.New(iamsdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(l.srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(key.AccessKeyID, key.SecretAccessKey, "")})
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := iamc.CreateRole(t.Context(), &iamsdk.CreateRoleInput{RoleName: aws.String("VendorAudit"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatalf("CreateRole in %s: %v", vendor, err)
	}
	_, body := fetch(t, l.srv.Client(), http.MethodGet, l.srv.URL+labweb.IAMPath, browserHeader(), nil)
	own, more, ok := strings.Cut(body, `id="account-`+vendor+`"`)
	if !ok {
		t.Fatalf("IAM page has no section for %s:\n%s", vendor, body)
	}
	if !strings.Contains(own, `id="account-123456789012"`) || !strings.Contains(own, l.lab.RoleARN) || !strings.Contains(own, l.lab.ProviderARN) {
		t.Errorf("the lab's own section lacks its account, role or provider:\n%s", own)
	}
	if strings.Contains(own, "VendorAudit") {
		t.Error("the lab's own section lists the further account's role")
	}
	if !strings.Contains(more, "arn:aws:iam::"+vendor+":role/VendorAudit") || !strings.Contains(more, "arn:aws:iam::123456789012:root") {
		t.Errorf("the %s section lacks its role and trust:\n%s", vendor, more)
	}
	if strings.Contains(more, "SAMLAdmin") || !strings.Contains(more, "No SAML providers.") {
		t.Errorf("the %s section shows the lab's SAML roles or a provider:\n%s", vendor, more)
	}
	if !strings.Contains(body, `href="#account-`+vendor+`"`) {
		t.Error("IAM page has no link to the further account's section")
	}
	_, index := fetch(t, l.srv.Client(), http.MethodGet, l.srv.URL+"/", browserHeader(), nil)
	if !strings.Contains(index, `id="more-accounts"`) || !strings.Contains(index, "<code>"+vendor+"</code>") {
		t.Errorf("index does not list the further account:\n%s", index)
	}

	// One account: no account headings or selector.
	single := newPagesLab(t, false, nil)
	_, body = fetch(t, single.srv.Client(), http.MethodGet, single.srv.URL+labweb.IAMPath, browserHeader(), nil)
	if strings.Contains(body, `id="accounts"`) || strings.Contains(body, `class="account-id"`) {
		t.Error("the IAM page of one account shows an account selector")
	}
}
