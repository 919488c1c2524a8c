package scenarios_test

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/samlab-dev/samlab/scenarios"
)

// arnPatternText is the model's pattern for ARNs, as messages quote it.
const arnPatternText = `[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`

// AWS's answer to AssumeRoleWithSAML with Policy=” (docs/aws-behavior.md
// §1.3, §2): the empty string breaks the model's pattern and its minimum
// length of 1.
const emptyPolicyMsg = `2 validation errors detected: ` +
	`Value '' at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+; ` +
	`Value '' at 'policy' failed to satisfy constraint: Member must have length greater than or equal to 1`

// TestAssumeRoleWithSAMLEmptyPolicySDK: the AWS SDK for Go v2 sends
// Policy=” for aws.String(""), and gets AWS's ValidationError; the same
// request without Policy succeeds.
func TestAssumeRoleWithSAMLEmptyPolicySDK(t *testing.T) {
	t.Parallel()
	l := newAWSLab(t, nil)
	if err := l.lab.RegisterProvider(); err != nil {
		t.Fatal(err)
	}
	client := l.stsClient(aws.AnonymousCredentials{})
	in := &stssdk.AssumeRoleWithSAMLInput{RoleArn: aws.String(l.lab.RoleARN), PrincipalArn: aws.String(l.lab.ProviderARN),
		SAMLAssertion: aws.String(l.samlResponse(t, l.lab.Users[scenarios.DefaultUser])), Policy: aws.String("")}
	_, err := client.AssumeRoleWithSAML(t.Context(), in)
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		t.Fatalf("AssumeRoleWithSAML(Policy='') = %v, want an API error", err)
	}
	if ae.ErrorCode() != "ValidationError" || re.HTTPStatusCode() != http.StatusBadRequest || ae.ErrorMessage() != emptyPolicyMsg {
		t.Errorf("AssumeRoleWithSAML(Policy='') = %s %d %q,\nwant ValidationError 400 %q", ae.ErrorCode(), re.HTTPStatusCode(), ae.ErrorMessage(), emptyPolicyMsg)
	}
	in.Policy = nil
	if _, err := client.AssumeRoleWithSAML(t.Context(), in); err != nil {
		t.Errorf("AssumeRoleWithSAML without Policy: %v", err)
	}
}

// TestAssumeRoleWithSAMLMissingMembersWire posts Query forms without the
// required members (SDKs refuse to send them, hand-rolled clients do not):
// each is "Value null", in the model's order, beside an empty Policy.
func TestAssumeRoleWithSAMLMissingMembersWire(t *testing.T) {
	t.Parallel()
	l := newAWSLab(t, nil)
	tests := []struct {
		name string
		form url.Values
		want string
	}{
		{"no RoleArn", url.Values{"PrincipalArn": {l.lab.ProviderARN}, "SAMLAssertion": {"abcd"}},
			"1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null"},
		{"nothing but an empty Policy", url.Values{"Policy": {""}}, "5 validation errors detected: " +
			"Value null at 'roleArn' failed to satisfy constraint: Member must not be null; " +
			"Value null at 'principalArn' failed to satisfy constraint: Member must not be null; " +
			"Value null at 'sAMLAssertion' failed to satisfy constraint: Member must not be null; " +
			strings.TrimPrefix(emptyPolicyMsg, "2 validation errors detected: ")},
		{"empty RoleArn is not null", url.Values{"RoleArn": {""}, "PrincipalArn": {l.lab.ProviderARN}, "SAMLAssertion": {"abcd"}},
			"2 validation errors detected: " +
				"Value '' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: " + arnPatternText + "; " +
				"Value '' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.form.Set("Action", "AssumeRoleWithSAML")
			tt.form.Set("Version", "2011-06-15")
			resp, err := l.srv.Client().PostForm(l.srv.URL+"/", tt.form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var e struct {
				Error struct{ Code, Message string } `xml:"Error"`
			}
			if err := xml.Unmarshal(body, &e); err != nil {
				t.Fatalf("error body is not XML: %v\n%s", err, body)
			}
			if resp.StatusCode != http.StatusBadRequest || e.Error.Code != "ValidationError" || e.Error.Message != tt.want {
				t.Errorf("POST = %d %s %q,\nwant 400 ValidationError %q", resp.StatusCode, e.Error.Code, e.Error.Message, tt.want)
			}
		})
	}
}

// TestAWSCLIEmptyPolicy drives assume-role-with-saml --policy ” with the
// real aws CLI v2: botocore refuses it before sending (its own client-side
// check), and with parameter_validation off it reaches the lab and gets
// AWS's server-side message.
func TestAWSCLIEmptyPolicy(t *testing.T) {
	t.Parallel()
	l := newAWSLab(t, nil)
	cli := newAWSCLI(t, l.srv.URL)
	if err := l.lab.RegisterProvider(); err != nil {
		t.Fatal(err)
	}
	assertion := filepath.Join(t.TempDir(), "assertion.b64")
	if err := os.WriteFile(assertion, []byte(l.samlResponse(t, l.lab.Users[scenarios.DefaultUser])), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"sts", "assume-role-with-saml", "--role-arn", l.lab.RoleARN, "--principal-arn", l.lab.ProviderARN,
		"--saml-assertion", "file://" + assertion, "--policy", ""}
	_, errOut, ok := cli.run([3]string{}, args...)
	if ok || !strings.Contains(errOut, "Invalid length for parameter Policy, value: 0, valid min length: 1") {
		t.Errorf("aws sts assume-role-with-saml --policy '' = ok %v:\n%s\nwant botocore's client-side refusal", ok, errOut)
	}
	if err := os.WriteFile(filepath.Join(cli.home, "config"), []byte("[default]\nparameter_validation = false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, ok = cli.run([3]string{}, args...)
	want := "An error occurred (ValidationError) when calling the AssumeRoleWithSAML operation: " + emptyPolicyMsg
	if ok || !strings.Contains(errOut, want) {
		t.Errorf("aws sts assume-role-with-saml --policy '' (no client validation) = ok %v:\n%s\nwant %q", ok, errOut, want)
	}
}
