package sts

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/sp/iam"
)

func TestCorrectedTrustPolicy(t *testing.T) {
	t.Parallel()
	const provider = "arn:aws:iam::123456789012:saml-provider/p"
	regional := "https://eu-west-1.signin.aws.amazon.com/saml"
	tagged := &Assertion{Issuer: "https://idp", NameID: "alice", Recipient: regional, Attributes: map[string][]string{
		attrPrincipalTag + "team": {"platform"}}}
	plain := &Assertion{Issuer: "https://idp", NameID: "alice", Recipient: regional, Attributes: map[string][]string{}}
	stmt := func(extra string) string {
		return `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},` + extra + `}}`
	}
	tests := []struct {
		name       string
		policy     string
		a          *Assertion
		wantFixed  bool
		wantInText []string
	}{
		{"regional audience added", stmt(`"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}`),
			plain, true, []string{regional, "https://signin.aws.amazon.com/saml"}},
		{"TagSession added for session tags", stmt(`"Action":"sts:AssumeRoleWithSAML"`), tagged, true, []string{"sts:TagSession"}},
		{"negated condition: by hand", stmt(`"Action":"sts:AssumeRoleWithSAML","Condition":{"StringNotEquals":{"SAML:aud":"` + regional + `"}}`), plain, false, nil},
		{"explicit deny: by hand", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"sts:*"},` +
			`{"Effect":"Deny","Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRoleWithSAML"}]}`, plain, false, nil},
		{"another provider: by hand", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/other"},"Action":"sts:AssumeRoleWithSAML"}}`, plain, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := ExplainInput{TrustPolicy: tt.policy}
			tr, err := evaluateTrust(tt.a, in, provider, DefaultBehavior())
			if err != nil {
				t.Fatal(err)
			}
			fixed := correctedTrustPolicy(tt.policy, tr)
			if (fixed != "") != tt.wantFixed {
				t.Fatalf("correctedTrustPolicy = %q, want fixed %v", fixed, tt.wantFixed)
			}
			if fixed == "" {
				return
			}
			for _, w := range tt.wantInText {
				if !strings.Contains(fixed, w) {
					t.Errorf("corrected policy lacks %q:\n%s", w, fixed)
				}
			}
			// The corrected policy allows the request it was corrected for.
			again, err := evaluateTrust(tt.a, ExplainInput{TrustPolicy: fixed}, provider, DefaultBehavior())
			if err != nil {
				t.Fatalf("corrected policy does not parse: %v", err)
			}
			for _, act := range again.actions {
				if !again.evals[act].Allowed {
					t.Errorf("corrected policy still denies %s:\n%s", act, fixed)
				}
			}
			var v any
			if err := json.Unmarshal([]byte(fixed), &v); err != nil {
				t.Errorf("corrected policy is not JSON: %v", err)
			}
			if _, err := iam.ParsePolicy(fixed); err != nil {
				t.Errorf("IAM would refuse the corrected policy: %v", err)
			}
		})
	}
}

func TestEndpointName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://signin.aws.amazon.com/saml":           "the global sign-in endpoint signin.aws.amazon.com",
		"https://eu-west-1.signin.aws.amazon.com/saml": "the eu-west-1 regional sign-in endpoint",
		"https://signin.amazonaws.cn/saml":             "the global sign-in endpoint signin.amazonaws.cn",
		"https://sp.example.com/acs":                   "not an AWS sign-in SAML endpoint",
		"":                                             "missing",
	} {
		if got := endpointName(in); got != want {
			t.Errorf("endpointName(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzExplain feeds responses to Explain, with a trust policy and the
// registered metadata of the seeds' key. Properties: no panic; an error only
// for unusable input; an acceptance only with a verifying signature; every
// rejection carries a code, a diagnosis and a ranked fix list.
func FuzzExplain(f *testing.F) {
	kp := testKey(f)
	md, err := metadata.Build(metadata.IDP{EntityID: "https://idp.example.com/metadata", SigningCerts: []*x509.Certificate{kp.Cert}})
	if err != nil {
		f.Fatal(err)
	}
	role := `<saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml:AttributeValue>arn:aws:iam::123456789012:role/R,arn:aws:iam::123456789012:saml-provider/P</saml:AttributeValue></saml:Attribute><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>alice</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>`
	f.Add(signedResponse(f, kp, role))
	f.Add(signedResponse(f, kp, ""))
	f.Add([]byte(fmt.Sprintf(testResponse, role)))
	if b, err := os.ReadFile(filepath.Join("..", "..", "internal", "capture", "testdata", "response.b64")); err == nil {
		f.Add(b)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/P"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, resp []byte) {
		ex, err := Explain(t.Context(), ExplainInput{Metadata: md, SAMLResponse: string(resp), At: at, TrustPolicy: trust,
			RoleARN: "arn:aws:iam::123456789012:role/R", ProviderARN: "arn:aws:iam::123456789012:saml-provider/P"})
		if err != nil {
			return
		}
		if ex.Accepted {
			for _, fd := range ex.Findings {
				if fd.Check == "signature" && !fd.OK {
					t.Fatalf("accepted with a failing signature finding: %+v", fd)
				}
			}
			return
		}
		if ex.Code == "" || ex.Diagnosis == "" {
			t.Fatalf("rejection without code or diagnosis: %+v", ex)
		}
		for i, fx := range ex.Fixes {
			if fx.Rank != i+1 {
				t.Fatalf("fix %d has rank %d", i, fx.Rank)
			}
		}
	})
}
