package scenarios_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/sts"
)

// libraryCase is one failure class of the built-in library, produced by the
// lab's IdP, explained against what IAM held, and reproduced by the scenario
// FromCapture writes.
type libraryCase struct {
	name          string // the library scenario it corresponds to
	fault         idp.Fault
	rotate        bool // the IdP rotates before signing; IAM keeps the old metadata
	rotateUpdated bool // the IdP rotates and IAM is updated before signing
	role          string
	late          time.Duration
	idpMetadata   bool // give the IdP's current metadata
	noProvider    bool // IAM has no such provider
	wantDiagnosis string
	wantCode      string
	wantMessage   string // prefix
	wantFixWhere  string
	wantFixText   string // in the first fix's commands or IdP setting
}

func libraryCases() []libraryCase {
	return []libraryCase{
		{name: "cert-rotation", rotate: true, wantDiagnosis: "cert-rotation", wantCode: "InvalidIdentityToken",
			wantMessage: "Response signature invalid", wantFixWhere: "aws", wantFixText: "aws iam update-saml-provider --saml-provider-arn arn:aws:iam::123456789012:saml-provider/samlab --saml-metadata-document file://"},
		{name: "forged-signature/tamper", fault: idp.FaultTamper, wantDiagnosis: "forged-signature", wantCode: "InvalidIdentityToken",
			wantMessage: "Response signature invalid", wantFixWhere: "capture"},
		{name: "forged-signature/foreign-key", fault: idp.FaultForeignKey, idpMetadata: true, wantDiagnosis: "forged-signature",
			wantCode: "InvalidIdentityToken", wantMessage: "Response signature invalid", wantFixWhere: "idp", wantFixText: "do NOT register"},
		{name: "stale-signing-node", fault: idp.FaultStaleKey, rotateUpdated: true, wantDiagnosis: "stale-signing-node",
			wantCode: "InvalidIdentityToken", wantMessage: "Response signature invalid", wantFixWhere: "idp", wantFixText: "signing certificate on every node"},
		{name: "idp-clock-ahead", fault: idp.FaultClockSkew, wantDiagnosis: "idp-clock-ahead", wantCode: "InvalidIdentityToken",
			wantMessage: "Response is not yet valid", wantFixWhere: "idp", wantFixText: "NTP"},
		{name: "role-not-in-assertion", role: "arn:aws:iam::123456789012:role/ReadOnly", wantDiagnosis: "role-not-in-assertion",
			wantCode: "InvalidIdentityToken", wantMessage: "SAML Assertion doesn't contain the requested Role", wantFixWhere: "idp",
			wantFixText: "Role += arn:aws:iam::123456789012:role/ReadOnly,arn:aws:iam::123456789012:saml-provider/samlab"},
		{name: "session-name-claim/missing", fault: idp.FaultMissingRoleSessionName, wantDiagnosis: "session-name-claim",
			wantCode: "InvalidIdentityToken", wantMessage: "RoleSessionName is required in AuthnResponse", wantFixWhere: "idp", wantFixText: "RoleSessionName"},
		{name: "session-name-claim/malformed", fault: idp.FaultMalformedRoleSessionName, wantDiagnosis: "session-name-claim",
			wantCode: "InvalidIdentityToken", wantMessage: "RoleSessionName in AuthnResponse must match", wantFixWhere: "idp", wantFixText: "RoleSessionName"},
		{name: "stale-assertion", late: 11 * time.Minute, wantDiagnosis: "stale-assertion", wantCode: "ExpiredTokenException",
			wantMessage: "Response has expired", wantFixWhere: "client"},
		{name: "wrong-entity-id", fault: idp.FaultWrongIssuer, wantDiagnosis: "wrong-entity-id", wantCode: "InvalidIdentityToken",
			wantMessage: "Issuer not present in specified provider", wantFixWhere: "aws", wantFixText: "update-saml-provider"},
		{name: "wrong-audience", fault: idp.FaultWrongAudience, wantDiagnosis: "wrong-audience", wantCode: "InvalidIdentityToken",
			wantMessage: "Response does not contain the required audience", wantFixWhere: "idp", wantFixText: "urn:amazon:webservices"},
		{name: "wrong-recipient", fault: idp.FaultWrongRecipient, wantDiagnosis: "wrong-recipient", wantCode: "InvalidIdentityToken",
			wantMessage: "SubjectConfirmationData Recipient", wantFixWhere: "idp", wantFixText: "https://signin.aws.amazon.com/saml"},
		{name: "missing-name-id", fault: idp.FaultMissingNameID, wantDiagnosis: "missing-name-id", wantCode: "AccessDenied",
			wantMessage: "Not authorized to perform sts:AssumeRoleWithSAML", wantFixWhere: "idp", wantFixText: "Name ID"},
		{name: "unknown-provider", noProvider: true, wantDiagnosis: "unknown-provider", wantCode: "InvalidIdentityToken",
			wantMessage: "Specified provider doesn't exist", wantFixWhere: "aws",
			wantFixText: "aws iam create-saml-provider --name samlab --saml-metadata-document file://idp-metadata.xml"},
		{name: "safe-rollover", wantCode: ""},
	}
}

func fixText(f sts.Fix) string {
	return strings.Join(f.Commands, "\n") + "\n" + f.IDPSetting + "\n" + f.Why
}

// TestExplainLibraryClassesAndFromCapture explains a response of each
// failure class the library reproduces, checks the verdict, diagnosis and
// first fix, then turns the explanation into a scenario, loads it, and runs
// it in a fresh lab: it must pass, i.e. reproduce the same AWS outcome.
func TestExplainLibraryClassesAndFromCapture(t *testing.T) {
	t.Parallel()
	for _, tc := range libraryCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lab, err := scenarios.NewLab(labConfig())
			if err != nil {
				t.Fatal(err)
			}
			// Keys are rotated a day apart, as in real life: the age of the
			// signing certificate is part of the diagnosis.
			if tc.rotateUpdated {
				lab.Clock.Advance(24 * time.Hour)
				if _, err := lab.IDP.Rotate(); err != nil {
					t.Fatal(err)
				}
			}
			registered, err := lab.IDP.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			if tc.rotate {
				lab.Clock.Advance(24 * time.Hour)
				if _, err := lab.IDP.Rotate(); err != nil {
					t.Fatal(err)
				}
			}
			current, err := lab.IDP.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			if tc.fault == idp.FaultForeignKey {
				lab.Clock.Advance(time.Hour) // the forger's certificate is fresh
			}
			resp, err := lab.IDP.FaultyResponse(lab.Users[scenarios.DefaultUser], idp.ResponseOptions{}, tc.fault)
			if err != nil {
				t.Fatal(err)
			}
			in := sts.ExplainInput{Metadata: registered, SAMLResponse: resp.Base64(), At: lab.Clock.Now().Add(tc.late)}
			if tc.role != "" {
				in.RoleARN, in.ProviderARN = tc.role, lab.ProviderARN
			}
			if tc.idpMetadata {
				in.IDPMetadata = current
			}
			in.NoProvider = tc.noProvider
			ex, err := sts.Explain(t.Context(), in)
			if err != nil {
				t.Fatalf("Explain: %v", err)
			}
			if tc.wantCode == "" {
				if !ex.Accepted || ex.Diagnosis != "" || len(ex.Fixes) != 0 {
					t.Fatalf("Explain = accepted %v, diagnosis %q, %d fixes; want accepted with no fix", ex.Accepted, ex.Diagnosis, len(ex.Fixes))
				}
			} else {
				if ex.Accepted || ex.Code != tc.wantCode || !strings.HasPrefix(ex.Message, tc.wantMessage) {
					t.Fatalf("verdict = %v %s %q, want %s %q…", ex.Accepted, ex.Code, ex.Message, tc.wantCode, tc.wantMessage)
				}
				if ex.Diagnosis != tc.wantDiagnosis {
					t.Errorf("Diagnosis = %q, want %q", ex.Diagnosis, tc.wantDiagnosis)
				}
				if len(ex.Fixes) == 0 {
					t.Fatal("no fix")
				}
				if f := ex.Fixes[0]; f.Rank != 1 || f.Where != tc.wantFixWhere || !strings.Contains(fixText(f), tc.wantFixText) {
					t.Errorf("first fix = %+v, want rank 1 at %q containing %q", f, tc.wantFixWhere, tc.wantFixText)
				}
			}

			yml, err := scenarios.FromCapture(ex, scenarios.CaptureInfo{Source: "test " + tc.name})
			if err != nil {
				t.Fatalf("FromCapture: %v", err)
			}
			sc, err := scenarios.Parse("generated.yaml", yml)
			if err != nil {
				t.Fatalf("generated scenario does not load: %v\n%s", err, yml)
			}
			rep, err := scenarios.Run(t.Context(), sc, labConfig(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Pass {
				for _, st := range rep.Steps {
					t.Logf("step %d %s: expected %s, actual %s (pass %v)", st.Index, st.Name, st.Expected, st.Actual, st.Pass)
				}
				t.Fatalf("the generated scenario does not reproduce the capture:\n%s", yml)
			}
			// The reproduced failure is the capture's: same code and message.
			if tc.wantCode != "" {
				found := false
				for _, st := range rep.Steps {
					found = found || (st.Actual.Code == ex.Code && st.Actual.Status == ex.Status && strings.HasPrefix(st.Actual.Message, tc.wantMessage))
				}
				if !found {
					t.Errorf("no step of the generated scenario produced %s %q", ex.Code, ex.Message)
				}
			}
		})
	}
}

func TestFromCaptureRefusesWhatVersion1CannotExpress(t *testing.T) {
	t.Parallel()
	ex := &sts.Explanation{Code: "AccessDenied", Status: 403, Message: "Not authorized to perform sts:AssumeRoleWithSAML",
		Diagnosis: "trust-policy-denies"}
	if _, err := scenarios.FromCapture(ex, scenarios.CaptureInfo{}); !errors.Is(err, scenarios.ErrNotReproducible) {
		t.Errorf("FromCapture(trust-policy-denies) = %v, want ErrNotReproducible", err)
	}
}
