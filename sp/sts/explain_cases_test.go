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
	"github.com/samlab-dev/samlab/sp/iam"
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
	// A key older than the registered one: a node still signing with the
	// certificate the IdP rotated away from.
	old, err := certs.New(certs.WithKeySource(certstest.New()), certs.WithValidity(kp.Cert.NotBefore.Add(-time.Hour), pipelineNow.Add(24*time.Hour)))
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
		{"signed by a key older than the registered one", ExplainInput{SAMLResponse: awsResponse{}.build(t, old)},
			"InvalidIdentityToken", "stale-signing-node", "signature"},
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

// TestExplainDurationFinding pins how the finding reads the assertion's
// SessionDuration: one integer in 900..43200 sets the console session,
// anything else is ignored by STS, and the request is judged against the
// role's MaxSessionDuration.
func TestExplainDurationFinding(t *testing.T) {
	t.Parallel()
	n := func(v int) *int { return &v }
	tests := []struct {
		values []string
		in     ExplainInput
		ok     bool
		detail string
	}{
		{nil, ExplainInput{MaxSessionDuration: 3600}, true, "no DurationSeconds (STS uses 3600); no SessionDuration attribute; the role's MaxSessionDuration is 3600"},
		{[]string{"1800"}, ExplainInput{MaxSessionDuration: 3600}, true, "SessionDuration 1800 (sets"},
		{[]string{" 900 "}, ExplainInput{MaxSessionDuration: 3600}, true, "SessionDuration 900 (sets"},
		{[]string{"43200"}, ExplainInput{MaxSessionDuration: 3600}, true, "SessionDuration 43200 (sets"},
		{[]string{"899"}, ExplainInput{MaxSessionDuration: 3600}, true, `SessionDuration ["899"] (ignored by STS`},
		{[]string{"43201"}, ExplainInput{MaxSessionDuration: 3600}, true, `SessionDuration ["43201"] (ignored by STS`},
		{[]string{"1h"}, ExplainInput{MaxSessionDuration: 3600}, true, `SessionDuration ["1h"] (ignored by STS`},
		{[]string{"1800", "1800"}, ExplainInput{MaxSessionDuration: 3600}, true, `SessionDuration ["1800" "1800"] (ignored by STS`},
		{nil, ExplainInput{MaxSessionDuration: 3600, DurationSeconds: n(3601)}, false, "DurationSeconds 3601; no SessionDuration attribute; the role's MaxSessionDuration is 3600"},
		{nil, ExplainInput{DurationSeconds: n(3600)}, true, "the role's MaxSessionDuration was not given"},
		{nil, ExplainInput{DurationSeconds: n(3601)}, false, "the role's MaxSessionDuration was not given"},
	}
	for _, tt := range tests {
		ex := &Explanation{}
		a := &Assertion{Attributes: map[string][]string{}}
		if tt.values != nil {
			a.Attributes[attrSessionDuration] = tt.values
		}
		ex.durationFinding(a, tt.in)
		if len(ex.Findings) != 1 {
			t.Fatalf("%v: %d findings", tt.values, len(ex.Findings))
		}
		f := ex.Findings[0]
		if f.Check != "session-duration" || f.OK != tt.ok || !strings.Contains(f.Detail, tt.detail) {
			t.Errorf("SessionDuration %q, %+v: finding %+v; want ok %v and %q", tt.values, tt.in, f, tt.ok, tt.detail)
		}
		if unknown := tt.in.MaxSessionDuration == 0 && !tt.ok; f.NotJudged != unknown || (len(ex.NotJudged) == 1) != unknown {
			t.Errorf("%+v: NotJudged %v %q; want %v", tt.in, f.NotJudged, ex.NotJudged, unknown)
		}
	}
}

// TestWhyDenied pins how a denied trust policy is explained from the real
// evaluation: a Deny that matches is named, a Deny that does not is left
// out, and an Allow that matches is not blamed.
func TestWhyDenied(t *testing.T) {
	t.Parallel()
	p, err := iam.ParsePolicy(`{"Version":"2012-10-17","Statement":[
{"Sid":"Allow","Effect":"Allow","Principal":{"Federated":"` + testProviderARN + `"},"Action":"sts:AssumeRoleWithSAML"},
{"Sid":"NoConsole","Effect":"Deny","Principal":{"Federated":"` + testProviderARN + `"},"Action":"sts:AssumeRoleWithSAML",
 "Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}},
{"Sid":"Other","Effect":"Deny","Principal":{"Federated":"` + testProviderARN + `"},"Action":"sts:AssumeRoleWithSAML",
 "Condition":{"StringEquals":{"SAML:aud":"urn:other"}}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	ev := p.Evaluate(iam.Request{Federated: testProviderARN, Action: "sts:AssumeRoleWithSAML",
		Context: map[string][]string{"SAML:aud": {"https://signin.aws.amazon.com/saml"}}})
	if ev.Allowed {
		t.Fatal("the policy allows; the test needs a denial")
	}
	if got, want := whyDenied(ev, testProviderARN), "statement 2 (NoConsole) is a Deny that matches"; got != want {
		t.Errorf("whyDenied = %q, want %q", got, want)
	}
}
