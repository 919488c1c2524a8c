package sts

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

// TestSignIn pins the console sign-in's use of the verified assertion: the
// roles offered are the verified Role values through the provider that
// signed, a chosen role must be one of them, and the sign-in is refused
// for a bad signature, a failure status, or no usable role.
func TestSignIn(t *testing.T) {
	t.Parallel()
	const (
		readOnlyARN = "arn:aws:iam::123456789012:role/SAMLReadOnly"
		otherProv   = "arn:aws:iam::123456789012:saml-provider/other"
	)
	admin := RolePair{RoleARN: testRoleARN, ProviderARN: testProviderARN}
	readOnly := RolePair{RoleARN: readOnlyARN, ProviderARN: testProviderARN}
	roles := func(pairs ...RolePair) string {
		var vals []string
		for _, p := range pairs {
			vals = append(vals, p.RoleARN+","+p.ProviderARN)
		}
		// awsResponse writes Role into one AttributeValue: close it and open
		// the next between values.
		return strings.Join(vals, "</saml:AttributeValue><saml:AttributeValue>")
	}
	newEnv := func(t *testing.T) *pipelineEnv {
		e := newPipelineEnv(t)
		if _, err := e.sts.acct.CreateRole(iam.CreateRoleInput{Name: "SAMLReadOnly", AssumeRolePolicyDocument: iam.SAMLTrustPolicy(testProviderARN)}); err != nil {
			t.Fatalf("CreateRole: %v", err)
		}
		return e
	}
	signIn := func(t *testing.T, e *pipelineEnv, saml, role string) (*SignInOutput, error) {
		return e.sts.SignIn(t.Context(), SignInInput{SAMLResponse: saml, RoleARN: role})
	}

	t.Run("one role signs straight in", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		out, err := signIn(t, e, awsResponse{}.build(t, e.kp), "")
		if err != nil {
			t.Fatalf("SignIn = %v", err)
		}
		if out.Assumed == nil || out.Chosen == nil || *out.Chosen != admin || out.Roles != nil {
			t.Fatalf("SignIn = %+v, want SAMLAdmin assumed", out)
		}
		if want := "arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice"; out.Assumed.AssumedRoleUser.ARN != want {
			t.Errorf("assumed %s, want %s", out.Assumed.AssumedRoleUser.ARN, want)
		}
		if n := e.sts.Verifications(); n != 1 {
			t.Errorf("Verifications = %d, want 1", n)
		}
	})
	t.Run("two roles: the chooser, then the chosen one", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		saml := awsResponse{Role: roles(admin, readOnly)}.build(t, e.kp)
		out, err := signIn(t, e, saml, "")
		if err != nil {
			t.Fatalf("SignIn = %v", err)
		}
		if out.Assumed != nil || len(out.Roles) != 2 || out.Roles[0] != admin || out.Roles[1] != readOnly {
			t.Fatalf("SignIn = %+v, want the chooser with both roles", out)
		}
		out, err = signIn(t, e, saml, readOnlyARN)
		if err != nil {
			t.Fatalf("SignIn choosing SAMLReadOnly = %v", err)
		}
		if out.Assumed == nil || *out.Chosen != readOnly || !strings.Contains(out.Assumed.AssumedRoleUser.ARN, "/SAMLReadOnly/") {
			t.Errorf("SignIn choosing SAMLReadOnly = %+v", out)
		}
	})
	t.Run("a role the response does not offer", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		out, err := signIn(t, e, awsResponse{}.build(t, e.kp), readOnlyARN)
		if !errors.Is(err, ErrRoleNotOffered) || out != nil {
			t.Errorf("SignIn = %+v, %v; want %v", out, err, ErrRoleNotOffered)
		}
	})
	t.Run("roles through another provider are not offered", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		foreign := RolePair{RoleARN: readOnlyARN, ProviderARN: otherProv}
		out, err := signIn(t, e, awsResponse{Role: roles(admin, foreign)}.build(t, e.kp), "")
		if err != nil || out.Assumed == nil || *out.Chosen != admin {
			t.Fatalf("SignIn = %+v, %v; want SAMLAdmin assumed (the only role through samlab)", out, err)
		}
		_, err = signIn(t, e, awsResponse{Role: roles(foreign)}.build(t, e.kp), "")
		wantAPIError(t, err, awsapi.CodeInvalidIdentityToken, http.StatusBadRequest, msgRoleNotInAssertion)
		if !errors.Is(err, ErrNoRoles) {
			t.Errorf("error %v does not wrap %v", err, ErrNoRoles)
		}
	})
	t.Run("no Role attribute: refused before any signature check", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		saml := awsResponse{}.build(t, e.kp)
		raw, _ := base64.StdEncoding.DecodeString(saml)
		noRole := strings.Replace(string(raw), attrRole, "https://example.com/NotRole", 1)
		_, err := signIn(t, e, base64.StdEncoding.EncodeToString([]byte(noRole)), "")
		wantAPIError(t, err, awsapi.CodeInvalidIdentityToken, http.StatusBadRequest, msgRoleNotInAssertion)
		if n := e.sts.Verifications(); n != 0 {
			t.Errorf("Verifications = %d, want 0", n)
		}
	})
	t.Run("altered after signing", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		raw, _ := base64.StdEncoding.DecodeString(awsResponse{}.build(t, e.kp))
		forged := strings.Replace(string(raw), ">alice</saml:NameID>", ">admin</saml:NameID>", 1)
		out, err := signIn(t, e, base64.StdEncoding.EncodeToString([]byte(forged)), "")
		wantAPIError(t, err, awsapi.CodeInvalidIdentityToken, http.StatusBadRequest, msgSignatureInvalid)
		if out != nil {
			t.Errorf("output %+v beside the error", out)
		}
	})
	t.Run("a failure status is refused before the chooser", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		raw, _ := base64.StdEncoding.DecodeString(awsResponse{Role: roles(admin, readOnly)}.build(t, e.kp))
		const requester = "urn:oasis:names:tc:SAML:2.0:status:Requester"
		failed := strings.Replace(string(raw), "urn:oasis:names:tc:SAML:2.0:status:Success", requester, 1)
		_, err := signIn(t, e, base64.StdEncoding.EncodeToString([]byte(failed)), "")
		wantAPIError(t, err, awsapi.CodeInvalidIdentityToken, http.StatusBadRequest, fmt.Sprintf(msgStatusNotSuccess, requester))
	})
	t.Run("unknown issuer, Role values naming a missing provider", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		saml := awsResponse{ResponseIssuer: "https://unknown.example/", AssertionIssuer: "https://unknown.example/",
			Role: roles(RolePair{RoleARN: testRoleARN, ProviderARN: otherProv})}.build(t, e.kp)
		_, err := signIn(t, e, saml, "")
		var apiErr *awsapi.Error
		if !errors.As(err, &apiErr) || apiErr.Code != awsapi.CodeInvalidIdentityToken || !strings.HasPrefix(apiErr.Message, "Specified provider doesn't exist") {
			t.Errorf("SignIn = %v, want InvalidIdentityToken: Specified provider doesn't exist", err)
		}
	})
	t.Run("unknown issuer, Role values naming the provider: its certificates are tried", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		saml := awsResponse{ResponseIssuer: "https://unknown.example/", AssertionIssuer: "https://unknown.example/"}.build(t, e.kp)
		_, err := signIn(t, e, saml, "")
		var apiErr *awsapi.Error
		if !errors.As(err, &apiErr) || apiErr.Code != awsapi.CodeInvalidIdentityToken || !strings.HasPrefix(apiErr.Message, "Issuer not present in specified provider") {
			t.Errorf("SignIn = %v, want InvalidIdentityToken: Issuer not present in specified provider", err)
		}
	})
	t.Run("a role whose trust policy refuses: Chosen is reported", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		missing := RolePair{RoleARN: "arn:aws:iam::123456789012:role/Missing", ProviderARN: testProviderARN}
		out, err := signIn(t, e, awsResponse{Role: roles(missing)}.build(t, e.kp), "")
		wantAPIError(t, err, awsapi.CodeAccessDenied, http.StatusForbidden, msgNotAuthorized)
		if out == nil || out.Chosen == nil || *out.Chosen != missing || out.Assumed != nil {
			t.Errorf("output beside the error = %+v, want Chosen %v only", out, missing)
		}
	})
}
