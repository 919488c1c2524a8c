package scenariotest_test

import (
	"context"
	"fmt"

	"github.com/onsi/gomega"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/scenarios/scenariotest"
)

// failures prints gomega's failure messages instead of failing, so the
// examples can show them.
func failures() gomega.Gomega {
	return gomega.NewGomega(func(message string, _ ...int) { fmt.Println(message) })
}

// Register the whole library, a directory of the user's own files and a
// scenario built in Go as ginkgo specs, in a suite file of the user's module.
func ExampleDescribe() {
	var _ = scenariotest.Describe(scenarios.LabConfig{Keys: certstest.New()},
		scenariotest.Library(),
		scenariotest.Paths("testdata/scenarios"),
		scenariotest.Scenarios(goScenario))
}

// The headline failure, checked with HaveAWSError; a wrong expectation
// explains itself field by field.
func ExampleHaveAWSError() {
	ctx := context.Background()
	lab, err := scenarios.NewLab(scenarios.LabConfig{Keys: certstest.New()})
	if err != nil {
		panic(err)
	}
	if err := lab.RegisterProvider(); err != nil {
		panic(err)
	}
	if err := lab.RotateKey(); err != nil {
		panic(err)
	}
	_, err = lab.Login(ctx, scenarios.LoginInput{})
	g := failures()
	g.Expect(err).To(scenariotest.HaveAWSError("InvalidIdentityToken", 400, "Response signature invalid"))
	g.Expect(err).To(scenariotest.HaveAWSError("AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML"))
	// Output:
	// Expected the AWS error AccessDenied (HTTP 403) with the message "Not authorized to perform sts:AssumeRoleWithSAML",
	// but got InvalidIdentityToken (400): Response signature invalid.
	//   code:     want AccessDenied
	//             got  InvalidIdentityToken
	//   status:   want 403
	//             got  400
	//   message:  want Not authorized to perform sts:AssumeRoleWithSAML
	//             got  Response signature invalid
}

// HaveAWSErrorContaining matches part of a message, such as the fixed part
// of one that carries a request ID.
func ExampleHaveAWSErrorContaining() {
	lab, err := scenarios.NewLab(scenarios.LabConfig{Keys: certstest.New()})
	if err != nil {
		panic(err)
	}
	_, err = lab.Login(context.Background(), scenarios.LoginInput{}) // no provider registered yet
	g := failures()
	g.Expect(err).To(scenariotest.HaveAWSErrorContaining("InvalidIdentityToken", 400, "Specified provider doesn't exist"))
	g.Expect(nil).To(scenariotest.HaveAWSErrorContaining("InvalidIdentityToken", 400, "Specified provider doesn't exist"))
	// Output:
	// Expected the AWS error InvalidIdentityToken (HTTP 400) with a message containing "Specified provider doesn't exist",
	// but got success.
}

// HaveAssumedRole checks who a login or console sign-in became; BeSuccess
// only that it worked.
func ExampleHaveAssumedRole() {
	ctx := context.Background()
	lab, err := scenarios.NewLab(scenarios.LabConfig{Keys: certstest.New(), AccountID: "111122223333"})
	if err != nil {
		panic(err)
	}
	if err := lab.RegisterProvider(); err != nil {
		panic(err)
	}
	out, err := lab.Login(ctx, scenarios.LoginInput{User: "bob"})
	g := failures()
	g.Expect(err).To(scenariotest.BeSuccess())
	g.Expect(out).To(scenariotest.HaveAssumedRole("arn:aws:sts::111122223333:assumed-role/SAMLAdmin/bob"))
	g.Expect(out).To(scenariotest.HaveAssumedRole("arn:aws:sts::111122223333:assumed-role/SAMLReadOnly/bob"))
	// Output:
	// Expected success as arn:aws:sts::111122223333:assumed-role/SAMLReadOnly/bob,
	// but got success as arn:aws:sts::111122223333:assumed-role/SAMLAdmin/bob.
	//   assumed_role_arn:  want arn:aws:sts::111122223333:assumed-role/SAMLReadOnly/bob
	//                      got  arn:aws:sts::111122223333:assumed-role/SAMLAdmin/bob
}

// MatchOutcome checks a step run with Lab.Do against the step's own
// expectation; a failure of samlab itself never satisfies one.
func ExampleMatchOutcome() {
	lab, err := scenarios.NewLab(scenarios.LabConfig{Keys: certstest.New()})
	if err != nil {
		panic(err)
	}
	step := scenarios.Step{Action: scenarios.ActionGetCallerIdentity,
		Expect: scenarios.Expect{Error: true, Code: "ExpiredToken"}}
	g := failures()
	g.Expect(lab.Do(context.Background(), step)).To(scenariotest.MatchOutcome(step.Expect))
	// Output:
	// Expected the AWS error ExpiredToken,
	// but got samlab failed: lab: no credentials yet: get-caller-identity needs an earlier successful login.
}
