package scenarios_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/sts"
)

// responderStatus turns the Response's Status into the one IdPs send when
// authentication failed at their end, as Shibboleth and ADFS write it: a
// Responder top-level code, a nested AuthnFailed and a StatusMessage. The
// IdP still includes its signed Assertion.
func responderStatus(r *etree.Element) {
	st := r.FindElement("Status")
	for _, c := range st.ChildElements() {
		st.RemoveChild(c)
	}
	code := st.CreateElement("samlp:StatusCode")
	code.CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Responder")
	code.CreateElement("samlp:StatusCode").CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed")
	st.CreateElement("samlp:StatusMessage").SetText("The user's account is disabled.")
}

const wantStatusMsg = "SAML Response status is not Success: urn:oasis:names:tc:SAML:2.0:status:Responder, urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"

// TestNonSuccessStatusRefused: a Responder status with a validly signed
// Assertion (assertion-, response- and both-signed) is refused over the
// API (the AWS SDK against the lab's endpoint) and by the console sign-in,
// also when the user would first choose a role; with
// Behavior.AcceptNonSuccessStatus the same response is accepted.
func TestNonSuccessStatusRefused(t *testing.T) {
	t.Parallel()
	for _, s := range []signing{signAssertion, signResponse, signBoth} {
		t.Run(s.String(), func(t *testing.T) {
			t.Parallel()
			lab, err := scenarios.NewLab(labConfig())
			if err != nil {
				t.Fatal(err)
			}
			if err := lab.RegisterProvider(); err != nil {
				t.Fatal(err)
			}
			alice := lab.Users[scenarios.DefaultUser]
			resp, err := lab.IDP.AWSResponse(alice, idp.ResponseOptions{Signing: s.options(), EditResponse: responderStatus})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(resp.XML), "status:Responder") {
				t.Fatalf("the response does not carry the Responder status:\n%s", resp.XML)
			}
			in := sts.AssumeRoleWithSAMLInput{RoleARN: lab.RoleARN, PrincipalARN: lab.ProviderARN, SAMLAssertion: resp.Base64()}
			_, got, err := viaSDK(t, lab, in)
			if err != nil {
				t.Fatalf("SDK: %v", err)
			}
			if got == nil || got.Code != awsapi.CodeInvalidIdentityToken || got.Status != http.StatusBadRequest || got.Message != wantStatusMsg {
				t.Errorf("AssumeRoleWithSAML = %+v, want InvalidIdentityToken 400 %q", got, wantStatusMsg)
			}

			srv := httptest.NewServer(lab.SignIn)
			t.Cleanup(srv.Close)
			r, body := post(t, consoleClient(t), srv.URL+"/saml", url.Values{"SAMLResponse": {resp.Base64()}})
			if r.StatusCode != http.StatusBadRequest || !strings.Contains(body, wantStatusMsg+" (Service: AWSSecurityTokenService; Status Code: 400; Error Code: InvalidIdentityToken;") {
				t.Errorf("console sign-in = %d, want 400 with %q:\n%s", r.StatusCode, wantStatusMsg, body)
			}

			// Two roles: the role chooser must not be shown either.
			two := alice
			two.Roles = append(append([]idp.Role(nil), alice.Roles...), idp.Role{RoleARN: lab.RoleARN + "2", ProviderARN: lab.ProviderARN})
			chooser, err := lab.IDP.AWSResponse(two, idp.ResponseOptions{Signing: s.options(), EditResponse: responderStatus})
			if err != nil {
				t.Fatal(err)
			}
			r, body = post(t, consoleClient(t), srv.URL+"/saml", url.Values{"SAMLResponse": {chooser.Base64()}})
			if r.StatusCode != http.StatusBadRequest || !strings.Contains(body, wantStatusMsg) || strings.Contains(body, `name="roleIndex"`) {
				t.Errorf("console sign-in with two roles = %d, want 400 with %q and no chooser:\n%s", r.StatusCode, wantStatusMsg, body)
			}

			// The switch: the same response is accepted.
			b := sts.DefaultBehavior()
			b.AcceptNonSuccessStatus = true
			cfg := labConfig()
			cfg.Behavior = &b
			lenient, err := scenarios.NewLab(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := lenient.RegisterProvider(); err != nil {
				t.Fatal(err)
			}
			resp, err = lenient.IDP.AWSResponse(lenient.Users[scenarios.DefaultUser], idp.ResponseOptions{Signing: s.options(), EditResponse: responderStatus})
			if err != nil {
				t.Fatal(err)
			}
			out, err := lenient.STS.AssumeRoleWithSAML(t.Context(), sts.AssumeRoleWithSAMLInput{RoleARN: lenient.RoleARN,
				PrincipalARN: lenient.ProviderARN, SAMLAssertion: resp.Base64()})
			if err != nil || out.Credentials.AccessKeyID == "" {
				t.Errorf("AcceptNonSuccessStatus: AssumeRoleWithSAML = %v, %v; want credentials", out, err)
			}
		})
	}
}

// TestMissingStatusRefused: a Response without a Status (schema-invalid)
// is not a Success either.
func TestMissingStatusRefused(t *testing.T) {
	t.Parallel()
	lab, err := scenarios.NewLab(labConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.RegisterProvider(); err != nil {
		t.Fatal(err)
	}
	resp, err := lab.IDP.AWSResponse(lab.Users[scenarios.DefaultUser], idp.ResponseOptions{EditResponse: func(r *etree.Element) {
		r.RemoveChild(r.FindElement("Status"))
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = lab.STS.AssumeRoleWithSAML(t.Context(), sts.AssumeRoleWithSAMLInput{RoleARN: lab.RoleARN,
		PrincipalARN: lab.ProviderARN, SAMLAssertion: resp.Base64()})
	var apiErr *awsapi.Error
	want := "SAML Response status is not Success: none"
	if !errors.As(err, &apiErr) || apiErr.Code != awsapi.CodeInvalidIdentityToken || apiErr.Message != want {
		t.Errorf("AssumeRoleWithSAML = %v, want InvalidIdentityToken %q", err, want)
	}
}
