package sts

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

// TestAssumeRoleWithSAMLVerifyErrors pins how the verifier's and the
// parser's refusals reach the API (rows 3-7): each document is refused with
// AWS's message for its fault, and only documents that reach a signature
// check cost a verification.
func TestAssumeRoleWithSAMLVerifyErrors(t *testing.T) {
	t.Parallel()
	const encrypted = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0">` +
		`<saml:Issuer>` + testIssuer + `</saml:Issuer><saml:EncryptedAssertion><x/></saml:EncryptedAssertion></samlp:Response>`
	notAResponse := fmt.Sprintf(msgNotAResponse, "req-1")
	tests := []struct {
		name, xml   string
		withKey     bool
		code        awsapi.Code
		msg         string
		verifyCount int64
	}{
		{"not XML", `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"`, false, awsapi.CodeInvalidIdentityToken, notAResponse, 0},
		{"XML without the protocol namespace", `<Response ID="_r1"/>`, false, awsapi.CodeInvalidIdentityToken, notAResponse, 0},
		{"an AuthnRequest", `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_q1"/>`, false, awsapi.CodeInvalidIdentityToken, notAResponse, 0},
		{"a Response inside a Response", `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1">` +
			`<saml:Issuer>` + testIssuer + `</saml:Issuer><saml:Assertion ID="_a1"><saml:Issuer>` + testIssuer + `</saml:Issuer></saml:Assertion>` +
			`<samlp:Response ID="_r2"/></samlp:Response>`, false, awsapi.CodeInvalidIdentityToken, notAResponse, 0},
		{"an EncryptedAssertion, provider without keys", encrypted, false, awsapi.CodeInvalidIdentityToken, msgEncryptedAssertion, 0},
		{"an EncryptedAssertion no key decrypts", encrypted, true, awsapi.CodeInvalidIdentityToken, msgDecrypt, 0},
		{"another Issuer, before any signature check", `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1">` +
			`<saml:Issuer>https://evil.example/idp</saml:Issuer><saml:Assertion ID="_a1"><saml:Issuer>https://evil.example/idp</saml:Issuer></saml:Assertion></samlp:Response>`, false, awsapi.CodeInvalidIdentityToken, fmt.Sprintf(msgIssuerNotPresent, "req-1"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newPipelineEnv(t)
			if tt.withKey {
				key, err := certstest.New().Key(2048)
				if err != nil {
					t.Fatal(err)
				}
				pemKey, err := certs.EncodeKeyPEM(key)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.sts.acct.UpdateProvider(iam.UpdateSAMLProviderInput{ARN: testProviderARN, AddPrivateKey: string(pemKey)}); err != nil {
					t.Fatalf("UpdateProvider: %v", err)
				}
			}
			_, err := e.sts.AssumeRoleWithSAML(t.Context(), AssumeRoleWithSAMLInput{RoleARN: testRoleARN, PrincipalARN: testProviderARN,
				SAMLAssertion: base64.StdEncoding.EncodeToString([]byte(tt.xml)), RequestID: "req-1"})
			wantAPIError(t, err, tt.code, http.StatusBadRequest, tt.msg)
			if got := e.sts.Verifications(); got != tt.verifyCount {
				t.Errorf("Verifications = %d, want %d", got, tt.verifyCount)
			}
		})
	}

	t.Run("altered after signing", func(t *testing.T) {
		t.Parallel()
		e := newPipelineEnv(t)
		raw, err := base64.StdEncoding.DecodeString(awsResponse{}.build(t, e.kp))
		if err != nil {
			t.Fatal(err)
		}
		forged := strings.Replace(string(raw), ">alice</saml:NameID>", ">admin</saml:NameID>", 1)
		if forged == string(raw) {
			t.Fatal("NameID not found in the response")
		}
		_, err = e.sts.AssumeRoleWithSAML(t.Context(), AssumeRoleWithSAMLInput{RoleARN: testRoleARN, PrincipalARN: testProviderARN,
			SAMLAssertion: base64.StdEncoding.EncodeToString([]byte(forged)), RequestID: "req-1"})
		wantAPIError(t, err, awsapi.CodeInvalidIdentityToken, http.StatusBadRequest, msgSignatureInvalid)
		if got := e.sts.Verifications(); got != 1 {
			t.Errorf("Verifications = %d, want 1", got)
		}
		if _, err := e.assume(t, awsResponse{}); err != nil {
			t.Fatalf("the unaltered response: %v", err)
		}
		if got := e.sts.Verifications(); got != 2 {
			t.Errorf("Verifications after a valid response = %d, want 2", got)
		}
	})
}
