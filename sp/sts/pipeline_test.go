package sts

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

// pipelineNow is the clock of the pipeline tests, inside testKey's validity.
var pipelineNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// pipelineEnv is an account with the provider "samlab" (testKey's
// certificate, entityID testIssuer) and the role SAMLAdmin that trusts it
// with AWS's standard SAML trust policy, and an STS for it.
type pipelineEnv struct {
	sts *Service
	kp  *certs.KeyPair
}

func newPipelineEnv(t *testing.T) *pipelineEnv {
	t.Helper()
	kp := testKey(t)
	md, err := metadata.Build(metadata.IDP{EntityID: testIssuer, SSOURL: "https://idp.example.com/sso", SigningCerts: []*x509.Certificate{kp.Cert}})
	if err != nil {
		t.Fatalf("metadata.Build: %v", err)
	}
	now := func() time.Time { return pipelineNow }
	acct := iam.NewAccount(iam.Config{ID: "123456789012", Now: now})
	if _, err := acct.CreateSAMLProvider("samlab", md); err != nil {
		t.Fatalf("CreateSAMLProvider: %v", err)
	}
	if _, err := acct.CreateRole(iam.CreateRoleInput{Name: "SAMLAdmin", AssumeRolePolicyDocument: iam.SAMLTrustPolicy(testProviderARN)}); err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	svc, err := New(Config{Account: acct, Now: now})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &pipelineEnv{sts: svc, kp: kp}
}

// awsResponse describes the response an IdP sends AWS; zero fields take the
// values of a valid one.
type awsResponse struct {
	ResponseIssuer, AssertionIssuer string
	Recipient, Audience             string
	IssueInstant, NotOnOrAfter      time.Time
	Role, SessionName               string
}

// build returns the base64 response, its Assertion signed by kp.
func (r awsResponse) build(t *testing.T, kp *certs.KeyPair) string {
	t.Helper()
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&r.ResponseIssuer, testIssuer)
	def(&r.AssertionIssuer, testIssuer)
	def(&r.Recipient, "https://signin.aws.amazon.com/saml")
	def(&r.Audience, "https://signin.aws.amazon.com/saml")
	def(&r.Role, testRoleARN+","+testProviderARN)
	def(&r.SessionName, "alice")
	if r.IssueInstant.IsZero() {
		r.IssueInstant = pipelineNow.Add(-time.Minute)
	}
	if r.NotOnOrAfter.IsZero() {
		r.NotOnOrAfter = r.IssueInstant.Add(5 * time.Minute)
	}
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	xml := fmt.Sprintf(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0" IssueInstant="%[3]s" Destination="%[5]s">
<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">%[1]s</saml:Issuer>
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" Version="2.0" IssueInstant="%[3]s">
<saml:Issuer>%[2]s</saml:Issuer>
<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">alice</saml:NameID>
<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="%[4]s" Recipient="%[5]s"/></saml:SubjectConfirmation></saml:Subject>
<saml:Conditions NotBefore="%[3]s" NotOnOrAfter="%[4]s"><saml:AudienceRestriction><saml:Audience>%[6]s</saml:Audience></saml:AudienceRestriction></saml:Conditions>
<saml:AuthnStatement AuthnInstant="%[3]s"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>
<saml:AttributeStatement>
<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml:AttributeValue>%[7]s</saml:AttributeValue></saml:Attribute>
<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>%[8]s</saml:AttributeValue></saml:Attribute>
</saml:AttributeStatement>
</saml:Assertion>
</samlp:Response>`, r.ResponseIssuer, r.AssertionIssuer, ts(r.IssueInstant), ts(r.NotOnOrAfter), r.Recipient, r.Audience, r.Role, r.SessionName)
	doc := etree.NewDocument()
	if err := doc.ReadFromString(xml); err != nil {
		t.Fatalf("parse response: %v", err)
	}
	signEl(t, doc.Root().SelectElement("Assertion"), kp, crypto.SHA256)
	return base64.StdEncoding.EncodeToString(docBytes(t, doc))
}

func (e *pipelineEnv) assume(t *testing.T, r awsResponse) (*AssumeRoleWithSAMLOutput, error) {
	t.Helper()
	return e.sts.AssumeRoleWithSAML(t.Context(), AssumeRoleWithSAMLInput{RoleARN: testRoleARN, PrincipalARN: testProviderARN,
		SAMLAssertion: r.build(t, e.kp), RequestID: "req-1"})
}

func TestAssumeRoleWithSAMLAcceptsTheValidResponse(t *testing.T) {
	t.Parallel()
	e := newPipelineEnv(t)
	out, err := e.assume(t, awsResponse{})
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML = %v, want success", err)
	}
	if want := "arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice"; out.AssumedRoleUser.ARN != want {
		t.Errorf("AssumedRoleUser.ARN = %q, want %q", out.AssumedRoleUser.ARN, want)
	}
}

// TestAssumeRoleWithSAMLResponseIssuer pins row 5 on its own: the
// Assertion's Issuer (signed) is the provider's, only the Response's Issuer
// names another entity.
func TestAssumeRoleWithSAMLResponseIssuer(t *testing.T) {
	t.Parallel()
	e := newPipelineEnv(t)
	_, err := e.assume(t, awsResponse{ResponseIssuer: "https://evil.example/idp"})
	wantAPIError(t, err, awsapi.CodeInvalidIdentityToken, http.StatusBadRequest, fmt.Sprintf(msgIssuerNotPresent, "req-1"))
}

// TestAssumeRoleWithSAMLRecipient pins row 12's exact match: an endpoint that
// merely contains AWS's is refused.
func TestAssumeRoleWithSAMLRecipient(t *testing.T) {
	t.Parallel()
	e := newPipelineEnv(t)
	for _, recipient := range []string{
		"https://signin.aws.amazon.com.evil.example/saml",
		"https://evil.example/https://signin.aws.amazon.com/saml",
		"https://signin.aws.amazon.com/saml/evil",
	} {
		t.Run(recipient, func(t *testing.T) {
			_, err := e.assume(t, awsResponse{Recipient: recipient})
			wantAPIError(t, err, awsapi.CodeInvalidIdentityToken, http.StatusBadRequest, msgRecipientWrong)
		})
	}
}

// TestAssumeRoleWithSAMLExpiryBeforeAudience pins the order of rows 8 and 11:
// an expired response with a wrong audience is reported as expired.
func TestAssumeRoleWithSAMLExpiryBeforeAudience(t *testing.T) {
	t.Parallel()
	e := newPipelineEnv(t)
	old := pipelineNow.Add(-3 * time.Minute)
	_, err := e.assume(t, awsResponse{Audience: "https://evil.example/saml", IssueInstant: old, NotOnOrAfter: old.Add(time.Minute)})
	wantAPIError(t, err, awsapi.CodeExpiredTokenException, http.StatusBadRequest, msgExpired)
	// Each fault alone gets its own error, so the order is what is pinned.
	_, err = e.assume(t, awsResponse{Audience: "https://evil.example/saml"})
	wantAPIError(t, err, awsapi.CodeInvalidIdentityToken, http.StatusBadRequest, msgAudience)
	_, err = e.assume(t, awsResponse{IssueInstant: old, NotOnOrAfter: old.Add(time.Minute)})
	wantAPIError(t, err, awsapi.CodeExpiredTokenException, http.StatusBadRequest, msgExpired)
}

// TestDecodeBeforeProviderLookup pins Behavior.DecodeBeforeProviderLookup
// both ways with the request of the public reports: a non-SAML assertion
// ("base64SAML") for a provider that does not exist. Each fault alone gets
// its own error either way.
func TestDecodeBeforeProviderLookup(t *testing.T) {
	t.Parallel()
	const missing = "arn:aws:iam::123456789012:saml-provider/missing"
	tests := []struct {
		decodeFirst    bool
		provider, saml string
		wantMsgPrefix  string
	}{
		{false, missing, "base64SAML", "Specified provider doesn't exist"},
		{true, missing, "base64SAML", "Invalid base64 SAMLResponse"},
		{false, testProviderARN, "base64SAML", "Invalid base64 SAMLResponse"},
		{true, missing, base64.StdEncoding.EncodeToString([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`)),
			"Specified provider doesn't exist"},
	}
	for _, tt := range tests {
		env := newPipelineEnv(t)
		env.sts.behavior.DecodeBeforeProviderLookup = tt.decodeFirst
		_, err := env.sts.AssumeRoleWithSAML(t.Context(), AssumeRoleWithSAMLInput{RoleARN: testRoleARN, PrincipalARN: tt.provider,
			SAMLAssertion: tt.saml, RequestID: "req-1"})
		apiErr, ok := err.(*awsapi.Error)
		if !ok || apiErr.Code != awsapi.CodeInvalidIdentityToken || apiErr.Status != http.StatusBadRequest ||
			!strings.HasPrefix(apiErr.Message, tt.wantMsgPrefix+" (Service: AWSOpenIdDiscoveryService;") {
			t.Errorf("DecodeBeforeProviderLookup=%v, provider %s, assertion %.12q: %v, want InvalidIdentityToken 400 %q…",
				tt.decodeFirst, tt.provider, tt.saml, err, tt.wantMsgPrefix)
		}
	}
}
