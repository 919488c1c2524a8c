package scenarios_test

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/scenarios/scenariotest"
)

func TestScenarios(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Scenarios")
}

func newLab() *scenarios.Lab {
	lab, err := scenarios.NewLab(scenarios.LabConfig{Keys: certstest.New()})
	Expect(err).NotTo(HaveOccurred())
	return lab
}

// Every built-in scenario: one spec per step, at the step's line in its file.
var _ = Describe("Built-in scenario", func() {
	scenariotest.Describe(scenarios.LabConfig{Keys: certstest.New()}, scenariotest.Library())
})

// The headline story, written out in Go, with the counter-checks that make
// it honest: the failure comes from the signature, not from a switch.
var _ = Describe("Certificate rotation", Ordered, Label("headline", "rotation"), func() {
	var lab *scenarios.Lab
	login := func(ctx context.Context, f idp.Fault) error {
		_, err := lab.Login(ctx, scenarios.LoginInput{Fault: f})
		return err
	}

	BeforeAll(func() {
		lab = newLab()
		Expect(lab.RegisterProvider()).To(Succeed())
	})

	It("accepts a login signed with the registered key", func(ctx SpecContext) {
		out, err := lab.Login(ctx, scenarios.LoginInput{})
		Expect(err).NotTo(HaveOccurred())
		Expect(out.AssumedRoleUser.ARN).To(Equal("arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice"))
		Expect(out.Credentials.AccessKeyID).To(HavePrefix("ASIA"))
	})

	It("rejects a response tampered with after signing", func(ctx SpecContext) {
		Expect(login(ctx, idp.FaultTamper)).To(scenariotest.HaveAWSError("InvalidIdentityToken", 400, "Response signature invalid"))
	})

	It("rejects a response signed by a key never registered", func(ctx SpecContext) {
		Expect(login(ctx, idp.FaultForeignKey)).To(scenariotest.HaveAWSError("InvalidIdentityToken", 400, "Response signature invalid"))
	})

	It("rejects every login once the IdP rotates its key", func(ctx SpecContext) {
		_, err := lab.IDP.Rotate()
		Expect(err).NotTo(HaveOccurred())
		Expect(login(ctx, idp.FaultNone)).To(scenariotest.HaveAWSError("InvalidIdentityToken", 400, "Response signature invalid"))
	})

	It("accepts logins again after update-saml-provider", func(ctx SpecContext) {
		Expect(lab.UpdateProvider()).To(Succeed())
		Expect(login(ctx, idp.FaultNone)).To(Succeed())
	})

	It("still rejects tampered responses under the new key", func(ctx SpecContext) {
		Expect(login(ctx, idp.FaultTamper)).To(scenariotest.HaveAWSError("InvalidIdentityToken", 400, "Response signature invalid"))
	})
})

// Rollover done right: publish both keys, update IAM, then switch. No login
// fails at any point.
var _ = Describe("Certificate rollover", Ordered, Label("rotation"), func() {
	var lab *scenarios.Lab
	BeforeAll(func() {
		lab = newLab()
		Expect(lab.RegisterProvider()).To(Succeed())
	})

	It("keeps logins working through stage, update and switch", func(ctx SpecContext) {
		_, err := lab.IDP.StageRollover()
		Expect(err).NotTo(HaveOccurred())
		Expect(lab.IDP.PublishedCerts()).To(HaveLen(2))
		_, err = lab.Login(ctx, scenarios.LoginInput{})
		Expect(err).NotTo(HaveOccurred(), "old key still signs before the update")

		Expect(lab.UpdateProvider()).To(Succeed())
		_, err = lab.Login(ctx, scenarios.LoginInput{})
		Expect(err).NotTo(HaveOccurred(), "old key after registering both")

		_, err = lab.IDP.Rotate()
		Expect(err).NotTo(HaveOccurred())
		_, err = lab.Login(ctx, scenarios.LoginInput{})
		Expect(err).NotTo(HaveOccurred(), "new key, both registered")
	})
})
