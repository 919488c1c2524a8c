package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
)

// postSignIn posts a form to the console sign-in of a running samlab up and
// returns the status and page.
func postSignIn(t *testing.T, endpoint string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint+"/saml", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// TestUpAccountAliasAndWhy: --account-alias names the account in IAM and
// the banner; the why panel is on by default in samlab up and --why=false
// leaves AWS's page alone.
func TestUpAccountAliasAndWhy(t *testing.T) {
	t.Parallel()
	up := startUp(t, "--account-alias", "class-a")
	iamc := iamsdk.NewFromConfig(up.config(), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(up.endpoint) })
	out, err := iamc.ListAccountAliases(t.Context(), &iamsdk.ListAccountAliasesInput{})
	if err != nil || len(out.AccountAliases) != 1 || out.AccountAliases[0] != "class-a" {
		t.Fatalf("ListAccountAliases = %+v, %v; want [class-a]", out, err)
	}
	if !strings.Contains(up.out.String(), "123456789012 (alias class-a)") {
		t.Errorf("banner does not name the alias:\n%s", up.out)
	}
	bad := url.Values{"SAMLResponse": {"%%%"}}
	status, page := postSignIn(t, up.endpoint, bad)
	if status != http.StatusBadRequest || !strings.Contains(page, "Invalid base64 SAMLResponse") || !strings.Contains(page, `id="why"`) {
		t.Errorf("samlab up sign-in error = %d, want AWS's text and the why panel:\n%s", status, page)
	}

	faithful := startUp(t, "--why=false")
	status, page = postSignIn(t, faithful.endpoint, bad)
	if status != http.StatusBadRequest || !strings.Contains(page, "Invalid base64 SAMLResponse") || strings.Contains(page, `id="why"`) {
		t.Errorf("samlab up --why=false sign-in error = %d, want AWS's text alone:\n%s", status, page)
	}
	if _, err := run(t, "up", "--fixture-keys", "--listen", "127.0.0.1:0", "--account-alias", "Not_Valid!"); err == nil ||
		!strings.Contains(err.Error(), "--account-alias") {
		t.Errorf("up with an invalid alias: %v, want an error naming --account-alias", err)
	}
}
