package scenarios_test

import (
	"strings"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/scenarios"
)

// TestFederationStepProblems: the federation fields are checked at load time
// and reported as file:line:col: field path: message.
func TestFederationStepProblems(t *testing.T) {
	t.Parallel()
	const head = "version: 2\nname: x\nsteps:\n"
	tests := []struct {
		name, steps string
		wants       []string
	}{
		{"unknown caller", "  - action: assume-role\n    role: SAMLAdmin\n    caller: carol\n",
			[]string{`t.yaml:6:13: steps[0].caller: unknown caller "carol": use admin, last or a name an earlier step saved with save_as`}},
		{"caller saved later", "  - action: assume-role\n    role: SAMLAdmin\n    caller: copy\n  - action: save-credentials\n    save_as: copy\n",
			[]string{`t.yaml:6:13: steps[0].caller: unknown caller "copy"`}},
		{"save_as reserved", "  - action: save-credentials\n    save_as: last\n",
			[]string{`t.yaml:5:14: steps[0].save_as: "last" is a caller every scenario has`}},
		{"save_as malformed", "  - action: save-credentials\n    save_as: My Copy\n",
			[]string{`t.yaml:5:14: steps[0].save_as: "My Copy": use lower-case letters`}},
		{"save-credentials needs save_as", "  - action: save-credentials\n",
			[]string{"steps[0]: save-credentials needs save_as"}},
		{"device not enabled", "  - action: assume-role\n    role: SAMLAdmin\n    serial_number: phone\n    token_code: current\n",
			[]string{`t.yaml:6:20: steps[0].serial_number: no earlier enable-mfa step enabled "phone"`}},
		{"serial not an ARN", "  - action: assume-role\n    role: SAMLAdmin\n    serial_number: arn:aws:iam\n",
			[]string{`steps[0].serial_number: "arn:aws:iam" is not an ARN`}},
		{"bad token code", "  - action: enable-mfa\n    serial_number: phone\n  - action: assume-role\n    role: SAMLAdmin\n    serial_number: phone\n    token_code: 12ab\n",
			[]string{`t.yaml:9:17: steps[1].token_code: "12ab": use current, wrong or six digits`}},
		{"assume-role without a role", "  - action: assume-role\n    caller: admin\n",
			[]string{"steps[0]: assume-role needs role or role_arn"}},
		{"unknown role", "  - action: assume-role\n    role: Deploy\n",
			[]string{`t.yaml:5:11: steps[0].role: unknown role "Deploy"`}},
		{"revoke-sessions needs a role", "  - action: revoke-sessions\n", []string{"steps[0]: revoke-sessions needs role"}},
		{"field of another action", "  - action: sign-in-url\n    external_id: x\n",
			[]string{"t.yaml:5:5: steps[0].external_id: does not apply to sign-in-url (sign-in-url takes caller, session_duration)"}},
		{"sign-in-url expects a code", "  - action: sign-in-url\n    expect: {code: AccessDenied}\n",
			[]string{"steps[0].expect: the federation endpoint answers with a page, not an API error"}},
		{"assume-role expects a page", "  - action: assume-role\n    role: SAMLAdmin\n    expect: {page_error: x}\n",
			[]string{"steps[0].expect: page_error applies only to console-sign-in and sign-in-url"}},
		{"session properties of enable-mfa", "  - action: enable-mfa\n    serial_number: phone\n    expect: {duration_seconds: 3600}\n",
			[]string{"steps[0].expect: session properties (assumed_role_arn, ...) apply only to"}},
		{"negative session_duration", "  - action: sign-in-url\n    session_duration: -5\n",
			[]string{"t.yaml:5:23: steps[0].session_duration: is -5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := scenarios.Parse("t.yaml", []byte(head+tt.steps))
			if err == nil {
				t.Fatalf("Parse succeeded, want an error mentioning %q", tt.wants)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Parse error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestFederationStepsGoOverSignedHTTP: assume-role signs with the caller's
// credentials at the lab clock's time, so the router's expiry check answers
// for a saved session that has expired, and sign-in-url refuses long-term
// keys (the federation endpoint takes temporary credentials only).
func TestFederationStepsGoOverSignedHTTP(t *testing.T) {
	t.Parallel()
	sc := &scenarios.Scenario{Version: 2, Name: "expired-caller",
		Setup: scenarios.Setup{Providers: map[string]scenarios.ProviderSetup{scenarios.DefaultProviderName: {}}}, Steps: []scenarios.Step{
			{Action: scenarios.ActionLogin},
			{Action: scenarios.ActionSaveCredentials, SaveAs: "saml"},
			{Action: scenarios.ActionAssumeRole, Caller: "saml", Role: scenarios.ReadOnlyRoleName, SessionName: "hop",
				Expect: scenarios.Expect{Error: true, Code: "AccessDenied", Status: 403}},
			{Action: scenarios.ActionAdvanceClock, Duration: 2 * time.Hour},
			{Action: scenarios.ActionAssumeRole, Caller: "saml", Role: scenarios.ReadOnlyRoleName, SessionName: "hop",
				Expect: scenarios.Expect{Error: true, Code: "ExpiredToken", Status: 403, Message: "The security token included in the request is expired"}},
			{Action: scenarios.ActionSignInURL, Caller: scenarios.CallerAdmin,
				Expect: scenarios.Expect{Error: true, Status: 403, PageErrorContains: "not valid temporary credentials"}},
		}}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	rep, err := scenarios.Run(t.Context(), sc, labConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Steps {
		if !r.Pass {
			t.Errorf("step %d (%s): expected %s, got %s", r.Index, r.Action, r.Expected, r.Actual)
		}
	}
}
