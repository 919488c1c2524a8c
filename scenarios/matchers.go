package scenarios

import (
	"errors"
	"fmt"

	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// HaveAWSError succeeds when the actual value is an error that wraps an
// *awsapi.Error with the given wire code, HTTP status (0: any) and message
// ("": any). Use it in ginkgo suites:
//
//	Expect(err).To(scenarios.HaveAWSError("InvalidIdentityToken", 400, "Response signature invalid"))
func HaveAWSError(code string, status int, message string) types.GomegaMatcher {
	want := fmt.Sprintf("AWS error %s", code)
	if status != 0 {
		want += fmt.Sprintf(" (%d)", status)
	}
	if message != "" {
		want += fmt.Sprintf(" %q", message)
	}
	return gcustom.MakeMatcher(func(actual error) (bool, error) {
		var ae *awsapi.Error
		if !errors.As(actual, &ae) {
			return false, nil
		}
		return string(ae.Code) == code && (status == 0 || ae.Status == status) &&
			(message == "" || ae.Message == message), nil
	}).WithMessage("to be " + want)
}

// MatchOutcome succeeds when a step's actual Outcome matches its expectation.
func MatchOutcome(e Expect) types.GomegaMatcher {
	return gcustom.MakeMatcher(func(o Outcome) (bool, error) {
		return o.Matches(e), nil
	}).WithMessage("to match the expected outcome " + e.String())
}
