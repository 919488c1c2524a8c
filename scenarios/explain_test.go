package scenarios_test

import (
	"strings"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/sts"
)

func finding(ex *sts.Explanation, check string) (sts.Finding, bool) {
	for _, f := range ex.Findings {
		if f.Check == check {
			return f, true
		}
	}
	return sts.Finding{}, false
}

func TestExplain(t *testing.T) {
	t.Parallel()
	lab, err := scenarios.NewLab(labConfig())
	if err != nil {
		t.Fatal(err)
	}
	registered, err := lab.IDP.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	user := lab.Users[scenarios.DefaultUser]
	good, err := lab.IDP.AWSResponse(user, idp.ResponseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	issued := lab.Clock.Now()
	if _, err := lab.IDP.Rotate(); err != nil {
		t.Fatal(err)
	}
	rotated, err := lab.IDP.AWSResponse(user, idp.ResponseOptions{})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name         string
		response     string
		at           time.Time
		wantAccepted bool
		wantCode     string
		wantMessage  string
		wantFailing  []string // findings that must fail
		wantPassing  []string // findings that must pass
	}{
		{name: "good response, base64", response: good.Base64(), at: issued, wantAccepted: true,
			wantPassing: []string{"issuer", "signature", "signed-with", "role", "not-on-or-after"}},
		{name: "good response, raw XML", response: string(good.XML), at: issued, wantAccepted: true},
		{name: "signed after rotation", response: rotated.Base64(), at: issued, wantCode: "InvalidIdentityToken",
			wantMessage: "Response signature invalid", wantFailing: []string{"signature", "signed-with"}, wantPassing: []string{"issuer", "not-on-or-after"}},
		{name: "judged an hour later", response: good.Base64(), at: issued.Add(time.Hour), wantCode: "ExpiredTokenException",
			wantMessage: "Response has expired", wantFailing: []string{"not-on-or-after"}, wantPassing: []string{"signature"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ex, err := sts.Explain(t.Context(), sts.ExplainInput{Metadata: registered, SAMLResponse: tt.response, At: tt.at})
			if err != nil {
				t.Fatalf("Explain: %v", err)
			}
			if ex.Accepted != tt.wantAccepted || ex.Code != tt.wantCode || (tt.wantMessage != "" && ex.Message != tt.wantMessage) {
				t.Errorf("verdict = accepted %v, %s %q; want accepted %v, %s %q", ex.Accepted, ex.Code, ex.Message, tt.wantAccepted, tt.wantCode, tt.wantMessage)
			}
			if ex.RoleARN != lab.RoleARN || ex.ProviderARN != lab.ProviderARN {
				t.Errorf("role pair = %s, %s; want the response's first Role value", ex.RoleARN, ex.ProviderARN)
			}
			for _, c := range tt.wantFailing {
				if f, ok := finding(ex, c); !ok || f.OK {
					t.Errorf("finding %s = %+v (present %v), want a failing finding", c, f, ok)
				}
			}
			for _, c := range tt.wantPassing {
				if f, ok := finding(ex, c); !ok || !f.OK {
					t.Errorf("finding %s = %+v (present %v), want a passing finding", c, f, ok)
				}
			}
		})
	}

	// The signed-with finding names the culprit certificate.
	ex, err := sts.Explain(t.Context(), sts.ExplainInput{Metadata: registered, SAMLResponse: rotated.Base64(), At: issued})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := finding(ex, "signed-with")
	if !strings.Contains(f.Detail, "NOT in the registered metadata") {
		t.Errorf("signed-with = %q, want it to say the certificate is not registered", f.Detail)
	}

	// Unusable input is an error, not a verdict.
	if _, err := sts.Explain(t.Context(), sts.ExplainInput{Metadata: []byte("<nope/>"), SAMLResponse: good.Base64()}); err == nil {
		t.Errorf("Explain with broken metadata succeeded")
	}
	if _, err := sts.Explain(t.Context(), sts.ExplainInput{Metadata: registered, SAMLResponse: "garbage"}); err == nil {
		t.Errorf("Explain with no role to try succeeded")
	}
	// IssueInstant reads the capture time.
	if got, err := sts.IssueInstant(good.Base64()); err != nil || !got.Equal(issued.Truncate(time.Millisecond)) && got.Sub(issued).Abs() > time.Second {
		t.Errorf("IssueInstant = %v, %v; want about %v", got, err, issued)
	}
}
