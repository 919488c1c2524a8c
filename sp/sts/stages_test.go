package sts

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/samlab-dev/samlab/internal/xmlsec"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

// TestAssumeStagesOrder pins the order of the checks after the signature
// (docs/aws-behavior.md §4): a response with two faults reports the earlier row's.
func TestAssumeStagesOrder(t *testing.T) {
	t.Parallel()
	var got []string
	for _, st := range (&Service{}).assumeStages() {
		got = append(got, st.name)
	}
	want := []string{"status", "encryption-mode", "read", "validity", "audience", "recipient", "subject", "session-name",
		"role-pair", "trust-policy", "duration", "tags", "session-policy", "single-use"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stage order (-want +got):\n%s", diff)
	}
}

// validAssertion is what the stages accept.
func validAssertion() *Assertion {
	exp := pipelineNow.Add(time.Minute)
	return &Assertion{ID: "_a", Issuer: testIssuer, NameID: "alice", HasSubjectConfirmation: true,
		Recipient: "https://signin.aws.amazon.com/saml", SubjectNotOnOrAfter: exp, NotOnOrAfter: exp,
		AudienceRestrictions: [][]string{{"https://signin.aws.amazon.com/saml"}},
		Attributes:           map[string][]string{attrRoleSessionName: {"alice"}, attrRole: {testRoleARN + "," + testProviderARN}}}
}

func TestStages(t *testing.T) {
	t.Parallel()
	in := AssumeRoleWithSAMLInput{RoleARN: testRoleARN, PrincipalARN: testProviderARN, RequestID: "req-1"}
	tests := []struct {
		name   string
		run    func(*assumption) error
		edit   func(*assumption)
		code   awsapi.Code // "" accepts
		status int
		msg    string
	}{
		{"encryption required, plaintext sent", (&Service{}).stageEncryptionMode,
			func(r *assumption) { r.prov.AssertionEncryptionMode = encryptionRequired }, awsapi.CodeInvalidIdentityToken, 400, msgEncryptionRequired},
		{"encryption required, encrypted sent", (&Service{}).stageEncryptionMode,
			func(r *assumption) { r.prov.AssertionEncryptionMode, r.verified.Encrypted = encryptionRequired, true }, "", 0, ""},
		{"audience accepted", stageAudience, func(*assumption) {}, "", 0, ""},
		{"audience of another SP", stageAudience, func(r *assumption) { r.a.AudienceRestrictions = [][]string{{"https://sp.example/"}} },
			awsapi.CodeInvalidIdentityToken, 400, msgAudience},
		{"recipient accepted", stageRecipient, func(*assumption) {}, "", 0, ""},
		{"regional recipient", stageRecipient, func(r *assumption) { r.a.Recipient = "https://eu-west-1.signin.aws.amazon.com/saml" }, "", 0, ""},
		{"no bearer confirmation", stageRecipient, func(r *assumption) { r.a.HasSubjectConfirmation = false },
			awsapi.CodeInvalidIdentityToken, 400, msgRecipientMissing},
		{"no NotOnOrAfter on the confirmation", stageRecipient, func(r *assumption) { r.a.SubjectNotOnOrAfter = time.Time{} },
			awsapi.CodeInvalidIdentityToken, 400, msgRecipientMissing},
		{"recipient with a suffix", stageRecipient, func(r *assumption) { r.a.Recipient = "https://signin.aws.amazon.com/saml.evil" },
			awsapi.CodeInvalidIdentityToken, 400, msgRecipientWrong},
		{"recipient on another host", stageRecipient, func(r *assumption) { r.a.Recipient = "https://signin.aws.amazon.com.evil.example/saml" },
			awsapi.CodeInvalidIdentityToken, 400, msgRecipientWrong},
		{"no NameID", stageSubject, func(r *assumption) { r.a.NameID = "" }, awsapi.CodeAccessDenied, http.StatusForbidden, msgNotAuthorized},
		{"session name accepted", stageSessionName, func(*assumption) {}, "", 0, ""},
		{"no session name", stageSessionName, func(r *assumption) { delete(r.a.Attributes, attrRoleSessionName) },
			awsapi.CodeInvalidIdentityToken, 400, msgSessionNameMissing},
		{"two session names", stageSessionName, func(r *assumption) { r.a.Attributes[attrRoleSessionName] = []string{"a1", "b1"} },
			awsapi.CodeInvalidIdentityToken, 400, msgSessionNameBad},
		{"session name with a space", stageSessionName, func(r *assumption) { r.a.Attributes[attrRoleSessionName] = []string{"al ice"} },
			awsapi.CodeInvalidIdentityToken, 400, msgSessionNameBad},
		{"source identity aws:", stageSessionName, func(r *assumption) { r.a.Attributes[attrSourceIdentity] = []string{"aws:x1"} },
			awsapi.CodeInvalidIdentityToken, 400, msgSourceIdentityBad},
		{"role pair present", stageRolePair, func(*assumption) {}, "", 0, ""},
		{"role pair with a space", stageRolePair, func(r *assumption) { r.a.Attributes[attrRole] = []string{testRoleARN + ", " + testProviderARN} },
			awsapi.CodeInvalidIdentityToken, 400, msgRoleNotInAssertion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := &assumption{in: in, prov: &iam.SAMLProvider{}, verified: &xmlsec.Verified{}, now: pipelineNow, a: validAssertion()}
			tt.edit(r)
			err := tt.run(r)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("stage = %v, want success", err)
				}
				return
			}
			wantAPIError(t, err, tt.code, tt.status, tt.msg)
		})
	}
}

// TestStageSessionNameKeepsTheNames checks what the stage hands on.
func TestStageSessionNameKeepsTheNames(t *testing.T) {
	t.Parallel()
	r := &assumption{a: validAssertion()}
	r.a.Attributes[attrSourceIdentity] = []string{"alice-src"}
	if err := stageSessionName(r); err != nil {
		t.Fatal(err)
	}
	if r.sessionName != "alice" || r.sourceIdentity != "alice-src" {
		t.Errorf("session name %q, source identity %q; want alice, alice-src", r.sessionName, r.sourceIdentity)
	}
}
