package sts

import (
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/metadata"
)

// TestExplainDiagnoses replays one captured response per failure class the
// explanation names, signed with real keys and judged against real
// metadata: each gets AssumeRoleWithSAML's verdict and code, the diagnosis
// named after the scenario that reproduces it, a failed finding for the
// check at fault, and at least one fix.
func TestExplainDiagnoses(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	md := func(c ...*x509.Certificate) []byte {
		b, err := metadata.Build(metadata.IDP{EntityID: testIssuer, SSOURL: "https://idp.example.com/sso", SigningCerts: c})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	other, err := certs.New(certs.WithKeySource(certstest.New()), certs.WithValidity(pipelineNow.Add(-time.Hour), pipelineNow.Add(24*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	n := func(v int) *int { return &v }
	registered := md(kp.Cert)
	valid := awsResponse{}.build(t, kp)
	trust := func(aud string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + testProviderARN +
			`"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"` + aud + `"}}}]}`
	}
	tests := []struct {
		name      string
		in        ExplainInput
		code      string // "" when accepted
		diagnosis string
		check     string // a finding that must fail
	}{
		{"a valid response", ExplainInput{SAMLResponse: valid}, "", "", ""},
		{"a valid response, the trust policy allows", ExplainInput{SAMLResponse: valid, TrustPolicy: trust("https://signin.aws.amazon.com/saml")}, "", "", ""},
		{"expired", ExplainInput{SAMLResponse: valid, At: pipelineNow.Add(2 * time.Hour)}, "ExpiredTokenException", "stale-assertion", "not-on-or-after"},
		{"issued in the future", ExplainInput{SAMLResponse: awsResponse{IssueInstant: pipelineNow.Add(time.Hour)}.build(t, kp)}, "InvalidIdentityToken", "idp-clock-ahead", "not-before"},
		{"signed by a key the IdP now publishes", ExplainInput{SAMLResponse: awsResponse{}.build(t, other), IDPMetadata: md(other.Cert, kp.Cert)},
			"InvalidIdentityToken", "cert-rotation", "signature"},
		{"signed by a key the IdP does not publish", ExplainInput{SAMLResponse: awsResponse{}.build(t, other), IDPMetadata: md(kp.Cert)},
			"InvalidIdentityToken", "forged-signature", "signature"},
		{"another entity", ExplainInput{SAMLResponse: awsResponse{ResponseIssuer: "https://other.example/idp", AssertionIssuer: "https://other.example/idp"}.build(t, kp)},
			"InvalidIdentityToken", "wrong-entity-id", "issuer"},
		{"a role the response does not name", ExplainInput{SAMLResponse: valid, RoleARN: "arn:aws:iam::123456789012:role/Other", ProviderARN: testProviderARN},
			"InvalidIdentityToken", "role-not-in-assertion", "role"},
		{"a one-character session name", ExplainInput{SAMLResponse: awsResponse{SessionName: "a"}.build(t, kp)}, "InvalidIdentityToken", "session-name-claim", ""},
		{"another audience", ExplainInput{SAMLResponse: awsResponse{Audience: "urn:other"}.build(t, kp)}, "InvalidIdentityToken", "wrong-audience", "audience"},
		{"a trust policy for another audience", ExplainInput{SAMLResponse: valid, TrustPolicy: trust("urn:nope")}, "AccessDenied", "trust-policy-denies", ""},
		{"longer than the role allows", ExplainInput{SAMLResponse: valid, MaxSessionDuration: 3600, DurationSeconds: n(7200)},
			"ValidationError", "session-duration-exceeds-max", ""},
		{"no such provider", ExplainInput{SAMLResponse: valid, NoProvider: true}, "InvalidIdentityToken", "unknown-provider", ""},
		{"no such role", ExplainInput{SAMLResponse: valid, NoRole: true}, "AccessDenied", "role-missing", ""},
		{"not base64", ExplainInput{SAMLResponse: "not base64", RoleARN: testRoleARN, ProviderARN: testProviderARN}, "InvalidIdentityToken", "not-a-response", "xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			in.Metadata = registered
			if in.At.IsZero() {
				in.At = pipelineNow
			}
			ex, err := Explain(t.Context(), in)
			if err != nil {
				t.Fatalf("Explain: %v", err)
			}
			if tt.code == "" {
				if !ex.Accepted || ex.AssumedRoleARN != "arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice" || ex.Diagnosis != "" || ex.Code != "" {
					t.Errorf("accepted %v (%s %q), assumed %q, diagnosis %q; want accepted as SAMLAdmin/alice", ex.Accepted, ex.Code, ex.Cause, ex.AssumedRoleARN, ex.Diagnosis)
				}
				return
			}
			if ex.Accepted || ex.Code != tt.code || ex.Diagnosis != tt.diagnosis {
				t.Errorf("accepted %v, code %q, diagnosis %q (cause %q); want %s, %s", ex.Accepted, ex.Code, ex.Diagnosis, ex.Cause, tt.code, tt.diagnosis)
			}
			if ex.Message == "" || ex.Status == 0 || ex.Cause == "" {
				t.Errorf("message %q, status %d, cause %q; want AWS's error and its cause", ex.Message, ex.Status, ex.Cause)
			}
			if len(ex.Fixes) == 0 {
				t.Errorf("no fix for %s", tt.diagnosis)
			}
			if tt.check != "" {
				found := false
				for _, f := range ex.Findings {
					if f.Check == tt.check && !f.OK {
						found = true
					}
				}
				if !found {
					t.Errorf("no failed %q finding in %+v", tt.check, ex.Findings)
				}
			}
		})
	}
}

// TestExplainEncryptionRequired: a plaintext assertion to a provider that
// requires encryption is refused, and the fixes turn encryption on at the
// IdP or relax the provider.
func TestExplainEncryptionRequired(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	md, err := metadata.Build(metadata.IDP{EntityID: testIssuer, SSOURL: "https://idp.example.com/sso", SigningCerts: []*x509.Certificate{kp.Cert}})
	if err != nil {
		t.Fatal(err)
	}
	// The provider's decryption key (any key: nothing is encrypted here).
	key := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(kp.Key)}))
	ex, err := Explain(t.Context(), ExplainInput{Metadata: md, SAMLResponse: awsResponse{}.build(t, kp), At: pipelineNow,
		AssertionEncryptionMode: "Required", PrivateKeys: []string{key}})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Accepted || ex.Message != msgEncryptionRequired {
		t.Fatalf("accepted %v, message %q; want %q", ex.Accepted, ex.Message, msgEncryptionRequired)
	}
	var cmds []string
	for _, f := range ex.Fixes {
		cmds = append(cmds, f.Commands...)
	}
	failed := false
	for _, f := range ex.Findings {
		failed = failed || (f.Check == "encryption" && !f.OK)
	}
	if !failed || ex.Diagnosis == "" {
		t.Errorf("findings %+v, diagnosis %q; want a failed encryption finding and a diagnosis", ex.Findings, ex.Diagnosis)
	}
	if !strings.Contains(strings.Join(cmds, "\n"), "--assertion-encryption-mode Allowed") {
		t.Errorf("fixes %+v; want one that sets the provider's encryption mode to Allowed", ex.Fixes)
	}
}
