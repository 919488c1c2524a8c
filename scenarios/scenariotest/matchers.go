package scenariotest

import (
	"fmt"
	"strings"

	"github.com/onsi/gomega/types"

	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/sts"
)

// outcomeMatcher compares an actual value, read as a scenarios.Outcome, with
// an expectation, and explains a mismatch field by field.
type outcomeMatcher struct {
	want scenarios.Expect
	// what names the expectation in messages ("the AWS error ...").
	what string
}

var _ types.GomegaMatcher = (*outcomeMatcher)(nil)

// outcome reads actual as an Outcome. Accepted: nil or an error (a call's
// result: success, an AWS error, or samlab's own failure), a
// scenarios.Outcome or *Outcome, a scenarios.StepResult, an
// *sts.AssumeRoleWithSAMLOutput and a *scenarios.ConsoleResult.
func outcome(actual any) (scenarios.Outcome, error) {
	switch a := actual.(type) {
	case nil:
		return scenarios.Outcome{}, nil
	case scenarios.Outcome:
		return a, nil
	case *scenarios.Outcome:
		if a == nil {
			return scenarios.Outcome{}, fmt.Errorf("got a nil *scenarios.Outcome")
		}
		return *a, nil
	case scenarios.StepResult:
		return a.Actual, nil
	case *scenarios.StepResult:
		return a.Actual, nil
	case *sts.AssumeRoleWithSAMLOutput:
		if a == nil {
			return scenarios.Outcome{}, fmt.Errorf("got a nil AssumeRoleWithSAML output (look at the call's error)")
		}
		o := scenarios.Outcome{AssumedRoleARN: a.AssumedRoleUser.ARN, SourceIdentity: a.SourceIdentity,
			SubjectType: a.SubjectType, Audience: a.Audience}
		if a.Session != nil {
			o.SessionTags = a.Session.Tags
		}
		return o, nil
	case *scenarios.ConsoleResult:
		if a == nil {
			return scenarios.Outcome{}, fmt.Errorf("got a nil console result (look at the call's error)")
		}
		if a.PageError != "" {
			return scenarios.Outcome{Error: true, Status: a.Status, PageError: a.PageError}, nil
		}
		return scenarios.Outcome{AssumedRoleARN: a.SignedInAs, ChooserRoles: a.Roles}, nil
	case error:
		return scenarios.OutcomeOf(a), nil
	}
	return scenarios.Outcome{}, fmt.Errorf("cannot read %T as an outcome: pass an error, a scenarios.Outcome, a StepResult, an AssumeRoleWithSAML output or a console result", actual)
}

func (m *outcomeMatcher) Match(actual any) (bool, error) {
	o, err := outcome(actual)
	if err != nil {
		return false, err
	}
	return o.Matches(m.want), nil
}

func (m *outcomeMatcher) FailureMessage(actual any) string {
	o, err := outcome(actual)
	if err != nil {
		return err.Error()
	}
	mm := o.Mismatches(m.want)
	if len(mm) == 1 && mm[0].Field == "outcome" {
		return fmt.Sprintf("Expected %s,\nbut got %s.", m.what, o)
	}
	return fmt.Sprintf("Expected %s,\nbut got %s.\n%s", m.what, o, Diff(mm))
}

func (m *outcomeMatcher) NegatedFailureMessage(actual any) string {
	o, _ := outcome(actual)
	return fmt.Sprintf("Expected anything but %s,\nbut got exactly that: %s.", m.what, o)
}

// Diff renders mismatches as an aligned field-by-field diff.
func Diff(mm []scenarios.Mismatch) string {
	width := 0
	for _, m := range mm {
		width = max(width, len(m.Field))
	}
	var b strings.Builder
	for _, m := range mm {
		fmt.Fprintf(&b, "  %-*s  want %s\n  %-*s  got  %s\n", width+1, m.Field+":", m.Want, width+1, "", quoteEmpty(m.Got))
	}
	return b.String()
}

func quoteEmpty(s string) string {
	if s == "" {
		return "(nothing)"
	}
	return s
}

func errorWhat(code string, status int, text string, contains bool) string {
	s := "the AWS error " + code
	if status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", status)
	}
	switch {
	case text != "" && contains:
		s += fmt.Sprintf(" with a message containing %q", text)
	case text != "":
		s += fmt.Sprintf(" with the message %q", text)
	}
	return s
}

// HaveAWSError succeeds when the actual value (an error, an Outcome or a
// StepResult) is the AWS error with the given wire code, HTTP status (0: any)
// and exact message ("": any). A failure of samlab itself never matches.
//
//	Expect(err).To(scenariotest.HaveAWSError("InvalidIdentityToken", 400, "Response signature invalid"))
func HaveAWSError(code string, status int, message string) types.GomegaMatcher {
	return &outcomeMatcher{want: scenarios.Expect{Error: true, Code: code, Status: status, Message: message},
		what: errorWhat(code, status, message, false)}
}

// HaveAWSErrorContaining is HaveAWSError with a message substring.
func HaveAWSErrorContaining(code string, status int, substring string) types.GomegaMatcher {
	return &outcomeMatcher{want: scenarios.Expect{Error: true, Code: code, Status: status, MessageContains: substring},
		what: errorWhat(code, status, substring, true)}
}

// BeSuccess succeeds when the actual value is a nil error or a successful
// outcome.
func BeSuccess() types.GomegaMatcher {
	return &outcomeMatcher{want: scenarios.Expect{}, what: "success"}
}

// HaveAssumedRole succeeds when the actual value is a successful login or
// console sign-in as the assumed-role ARN arn
// (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION).
func HaveAssumedRole(arn string) types.GomegaMatcher {
	return &outcomeMatcher{want: scenarios.Expect{AssumedRoleARN: arn}, what: "success as " + arn}
}

// MatchOutcome succeeds when the actual value satisfies a scenario step's
// expectation.
func MatchOutcome(e scenarios.Expect) types.GomegaMatcher {
	return &outcomeMatcher{want: e, what: describeExpect(e)}
}

func describeExpect(e scenarios.Expect) string {
	switch {
	case e.PageError != "" || e.PageErrorContains != "":
		return e.String()
	case e.Error:
		return errorWhat(e.Code, e.Status, e.Message+e.MessageContains, e.MessageContains != "")
	}
	return e.String()
}
