package sts

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/internal/xmlsec"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

// These tests pin the stages after the signature one check at a time: the
// StatusCode, the trust policy, the credentials' lifetime and single use.

func TestCheckStatus(t *testing.T) {
	t.Parallel()
	const (
		requester = "urn:oasis:names:tc:SAML:2.0:status:Requester"
		failed    = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
	)
	tests := []struct {
		name   string
		status []string
		accept bool
		codes  string // "" accepts
	}{
		{"Success", []string{xmlsec.StatusSuccess}, false, ""},
		{"Success with a second-level code", []string{xmlsec.StatusSuccess, failed}, false, ""},
		{"Requester", []string{requester}, false, requester},
		{"Requester/AuthnFailed", []string{requester, failed}, false, requester + ", " + failed},
		{"Success only below the top level", []string{requester, xmlsec.StatusSuccess}, false, requester + ", " + xmlsec.StatusSuccess},
		{"no Status", nil, false, "none"},
		{"Requester, accepted by the behaviour", []string{requester}, true, ""},
		{"no Status, accepted by the behaviour", nil, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &Service{}
			s.behavior.AcceptNonSuccessStatus = tt.accept
			err := s.checkStatus(&xmlsec.Verified{Status: tt.status})
			if tt.codes == "" {
				if err != nil {
					t.Fatalf("checkStatus = %v, want success", err)
				}
				return
			}
			wantAPIError(t, err, awsapi.CodeInvalidIdentityToken, http.StatusBadRequest, fmt.Sprintf(msgStatusNotSuccess, tt.codes))
		})
	}
}

// TestExpiration pins how long the credentials live: DurationSeconds up to
// the role's maximum, cut by SessionNotOnOrAfter and (when the behaviour
// says so) by a SessionDuration in 900..43200.
func TestExpiration(t *testing.T) {
	t.Parallel()
	now := pipelineNow
	in := func(d time.Duration) time.Time { return now.Add(d) }
	tests := []struct {
		name       string
		duration   *int
		maxSession int
		sessionNOA time.Time
		sessionDur []string
		noShorten  bool
		want       time.Time
		code       awsapi.Code
		msg        string
	}{
		{"default hour", nil, 3600, time.Time{}, nil, false, in(time.Hour), "", ""},
		{"default hour over a shorter maximum", nil, 3599, time.Time{}, nil, false, time.Time{}, awsapi.CodeValidation, msgDurationExceedsMax},
		{"DurationSeconds at the maximum", intp(7200), 7200, time.Time{}, nil, false, in(2 * time.Hour), "", ""},
		{"DurationSeconds over the maximum", intp(7201), 7200, time.Time{}, nil, false, time.Time{}, awsapi.CodeValidation, msgDurationExceedsMax},
		{"SessionNotOnOrAfter earlier", nil, 3600, in(10 * time.Minute), nil, false, in(10 * time.Minute), "", ""},
		{"SessionNotOnOrAfter later", nil, 3600, in(2 * time.Hour), nil, false, in(time.Hour), "", ""},
		{"SessionNotOnOrAfter a second ahead", nil, 3600, in(time.Second), nil, false, in(time.Second), "", ""},
		{"SessionNotOnOrAfter now", nil, 3600, now, nil, false, time.Time{}, awsapi.CodeExpiredTokenException, msgExpired},
		{"SessionNotOnOrAfter passed", nil, 3600, in(-time.Second), nil, false, time.Time{}, awsapi.CodeExpiredTokenException, msgExpired},
		{"SessionDuration 900", nil, 3600, time.Time{}, []string{"900"}, false, in(900 * time.Second), "", ""},
		{"SessionDuration 899 ignored", nil, 3600, time.Time{}, []string{"899"}, false, in(time.Hour), "", ""},
		{"SessionDuration 43200", intp(50000), 50000, time.Time{}, []string{"43200"}, false, in(43200 * time.Second), "", ""},
		{"SessionDuration 43201 ignored", intp(50000), 50000, time.Time{}, []string{"43201"}, false, in(50000 * time.Second), "", ""},
		{"SessionDuration longer than DurationSeconds", nil, 3600, time.Time{}, []string{"7200"}, false, in(time.Hour), "", ""},
		{"SessionDuration not an integer", nil, 3600, time.Time{}, []string{"1000s"}, false, in(time.Hour), "", ""},
		{"two SessionDuration values", nil, 3600, time.Time{}, []string{"900", "1000"}, false, in(time.Hour), "", ""},
		{"SessionDuration, behaviour off", nil, 3600, time.Time{}, []string{"900"}, true, in(time.Hour), "", ""},
		{"SessionDuration under SessionNotOnOrAfter", nil, 3600, in(20 * time.Minute), []string{"1000"}, false, in(1000 * time.Second), "", ""},
		{"SessionNotOnOrAfter under SessionDuration", nil, 3600, in(10 * time.Minute), []string{"1000"}, false, in(10 * time.Minute), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &Service{}
			s.behavior.SessionDurationShortens = !tt.noShorten
			a := &Assertion{SessionNotOnOrAfter: tt.sessionNOA, Attributes: map[string][]string{}}
			if tt.sessionDur != nil {
				a.Attributes[attrSessionDuration] = tt.sessionDur
			}
			got, err := s.expiration(tt.duration, tt.maxSession, a, now)
			if tt.code != "" {
				wantAPIError(t, err, tt.code, http.StatusBadRequest, tt.msg)
				return
			}
			if err != nil {
				t.Fatalf("expiration = %v, want %s", err, tt.want)
			}
			if !got.Equal(tt.want) {
				t.Errorf("expiration = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestSingleUse pins Behavior.SingleUse: an Assertion ID is redeemed once
// until the assertion's NotOnOrAfter (an hour when it has none), and only
// when the behaviour is on.
func TestSingleUse(t *testing.T) {
	t.Parallel()
	noa := pipelineNow.Add(5 * time.Minute)
	assertion := func(id string, notOnOrAfter time.Time) *assumption {
		return &assumption{a: &Assertion{ID: id, NotOnOrAfter: notOnOrAfter}}
	}
	redeem := func(s *Service, id string, notOnOrAfter, now time.Time) error {
		r := assertion(id, notOnOrAfter)
		r.now = now
		return s.stageSingleUse(r)
	}
	newService := func(on bool) *Service {
		s, err := New(Config{Account: iam.NewAccount(iam.Config{ID: "123456789012"})})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		s.behavior.SingleUse = on
		return s
	}

	t.Run("replay refused until NotOnOrAfter", func(t *testing.T) {
		s := newService(true)
		if err := redeem(s, "_a1", noa, pipelineNow); err != nil {
			t.Fatalf("first use = %v, want success", err)
		}
		wantAPIError(t, redeem(s, "_a1", noa, pipelineNow.Add(time.Minute)), awsapi.CodeInvalidIdentityToken, http.StatusBadRequest, msgAlreadyRedeemed)
		if err := redeem(s, "_a2", noa, pipelineNow); err != nil {
			t.Errorf("another assertion = %v, want success", err)
		}
		// At NotOnOrAfter the ID is still remembered; after it, forgotten.
		wantAPIError(t, redeem(s, "_a1", noa, noa), awsapi.CodeInvalidIdentityToken, http.StatusBadRequest, msgAlreadyRedeemed)
		if err := redeem(s, "_a1", noa, noa.Add(time.Nanosecond)); err != nil {
			t.Errorf("after NotOnOrAfter = %v, want success (the ID is forgotten)", err)
		}
	})
	t.Run("no NotOnOrAfter: remembered an hour", func(t *testing.T) {
		s := newService(true)
		if err := redeem(s, "_a1", time.Time{}, pipelineNow); err != nil {
			t.Fatalf("first use = %v, want success", err)
		}
		wantAPIError(t, redeem(s, "_a1", time.Time{}, pipelineNow.Add(time.Hour)), awsapi.CodeInvalidIdentityToken, http.StatusBadRequest, msgAlreadyRedeemed)
		if err := redeem(s, "_a1", time.Time{}, pipelineNow.Add(time.Hour+time.Nanosecond)); err != nil {
			t.Errorf("an hour later = %v, want success", err)
		}
	})
	t.Run("behaviour off", func(t *testing.T) {
		s := newService(false)
		for i := range 2 {
			if err := redeem(s, "_a1", noa, pipelineNow); err != nil {
				t.Errorf("use %d = %v, want success", i+1, err)
			}
		}
	})
}

// TestSingleUseEndToEnd: with SingleUse on, the same signed response is
// refused the second time through AssumeRoleWithSAML.
func TestSingleUseEndToEnd(t *testing.T) {
	t.Parallel()
	e := newPipelineEnv(t)
	e.sts.behavior.SingleUse = true
	saml := awsResponse{}.build(t, e.kp)
	in := AssumeRoleWithSAMLInput{RoleARN: testRoleARN, PrincipalARN: testProviderARN, SAMLAssertion: saml, RequestID: "req-1"}
	if _, err := e.sts.AssumeRoleWithSAML(t.Context(), in); err != nil {
		t.Fatalf("first use = %v, want success", err)
	}
	_, err := e.sts.AssumeRoleWithSAML(t.Context(), in)
	wantAPIError(t, err, awsapi.CodeInvalidIdentityToken, http.StatusBadRequest, msgAlreadyRedeemed)
}

// TestStageTrustPolicy pins the role checks: the role must exist, not be an
// Identity Center role, and trust the provider for every action the
// request needs (sts:TagSession with session tags, sts:SetSourceIdentity
// with a SourceIdentity).
func TestStageTrustPolicy(t *testing.T) {
	t.Parallel()
	e := newPipelineEnv(t)
	acct := e.sts.acct
	onlyAssume := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},"Action":"sts:AssumeRoleWithSAML"}]}`, testProviderARN)
	for _, role := range []iam.CreateRoleInput{
		{Name: "AWSReservedSSO_Admin_0123456789abcdef", AssumeRolePolicyDocument: iam.SAMLTrustPolicy(testProviderARN)},
		{Name: "OtherProvider", AssumeRolePolicyDocument: iam.SAMLTrustPolicy("arn:aws:iam::123456789012:saml-provider/other")},
		{Name: "OnlyAssume", AssumeRolePolicyDocument: onlyAssume},
	} {
		if _, err := acct.CreateRole(role); err != nil {
			t.Fatalf("CreateRole %s: %v", role.Name, err)
		}
	}
	prov, err := acct.SAMLProvider(testProviderARN)
	if err != nil {
		t.Fatal(err)
	}
	arn := func(name string) string { return "arn:aws:iam::123456789012:role/" + name }
	tests := []struct {
		name, role string
		edit       func(*Assertion)
		ok         bool
	}{
		{"trusted", "SAMLAdmin", nil, true},
		{"trusted with tags and source identity", "SAMLAdmin", func(a *Assertion) {
			a.Attributes[attrPrincipalTag+"team"] = []string{"blue"}
		}, true},
		{"no such role", "Missing", nil, false},
		{"Identity Center role", "AWSReservedSSO_Admin_0123456789abcdef", nil, false},
		{"role trusts another provider", "OtherProvider", nil, false},
		{"AssumeRoleWithSAML only, no tags", "OnlyAssume", nil, true},
		{"AssumeRoleWithSAML only, session tags", "OnlyAssume", func(a *Assertion) {
			a.Attributes[attrPrincipalTag+"team"] = []string{"blue"}
		}, false},
		{"AssumeRoleWithSAML only, transitive keys", "OnlyAssume", func(a *Assertion) {
			a.Attributes[attrTransitiveTagKeys] = []string{"team"}
		}, false},
		{"AssumeRoleWithSAML only, source identity", "OnlyAssume", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := validAssertion()
			if tt.edit != nil {
				tt.edit(a)
			}
			r := &assumption{in: AssumeRoleWithSAMLInput{RoleARN: arn(tt.role), PrincipalARN: testProviderARN},
				prov: prov, verified: &xmlsec.Verified{}, now: pipelineNow, a: a}
			if strings.HasSuffix(tt.name, "source identity") {
				r.sourceIdentity = "alice-src"
			}
			err := e.sts.stageTrustPolicy(r)
			if tt.ok {
				if err != nil {
					t.Fatalf("stageTrustPolicy = %v, want success", err)
				}
				if r.role == nil || r.role.ARN != arn(tt.role) {
					t.Errorf("role handed on = %v, want %s", r.role, arn(tt.role))
				}
				if r.nameQualifier != NameQualifier(testIssuer, "123456789012", "samlab") {
					t.Errorf("NameQualifier = %q", r.nameQualifier)
				}
				return
			}
			wantAPIError(t, err, awsapi.CodeAccessDenied, http.StatusForbidden, msgNotAuthorized)
		})
	}
}
