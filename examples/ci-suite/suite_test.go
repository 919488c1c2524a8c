// Package cisuite is a CI suite outside samlab's module: it runs samlab's
// scenario library, the team's own YAML scenarios and a Go scenario under
// ginkgo, using only samlab's exported API.
package cisuite_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/scenarios/scenariotest"
)

func TestCISuite(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "CI suite")
}

// Fixture keys: no RSA key generation, so the whole library takes about a
// second per process. (scenariotest gives every scenario run fresh fixture
// keys; a lab built by hand takes a fresh certstest.New() too, since one
// fixture source hands out each key once.)
var labConfig = scenarios.LabConfig{Keys: certstest.New(), AccountID: "111122223333"}

// The library and the team's YAML files become one spec per step.
var _ = scenariotest.Describe(labConfig, scenariotest.Library(), scenariotest.Paths("scenarios"))

// A Go scenario, checked at load time like a file.
var _ = scenariotest.Describe(labConfig, scenariotest.Scenarios(&scenarios.Scenario{
	Version: scenarios.Version, Name: "go-entity-id-change", Title: "the IdP moves to a new entityID",
	Labels: []string{"team", "go"},
	Steps: []scenarios.Step{
		{Action: scenarios.ActionCreateProvider},
		{Action: scenarios.ActionSetEntityID, EntityID: "https://idp.example.com/realms/new"},
		{Action: scenarios.ActionLogin, Expect: scenarios.Expect{Error: true, Code: "InvalidIdentityToken", Status: 400,
			MessageContains: "Issuer not present in specified provider"}},
		{Action: scenarios.ActionUpdateProvider},
		{Action: scenarios.ActionLogin, Expect: scenarios.Expect{
			AssumedRoleARN: "arn:aws:sts::${account}:assumed-role/SAMLAdmin/alice"}},
	},
}))

// The Lab API directly, with samlab's matchers.
var _ = Describe("bob in our account", Label("team", "go"), func() {
	var lab *scenarios.Lab
	BeforeEach(func() {
		var err error
		cfg := labConfig
		cfg.Keys = certstest.New()
		lab, err = scenarios.NewLab(cfg)
		Expect(err).NotTo(HaveOccurred())
		Expect(lab.CreateSAMLProvider(scenarios.ProviderInput{})).To(Succeed())
	})

	It("assumes either of his roles", func(ctx SpecContext) {
		Expect(lab.Login(ctx, scenarios.LoginInput{User: "bob"})).
			To(scenariotest.HaveAssumedRole("arn:aws:sts::111122223333:assumed-role/SAMLAdmin/bob"))
		Expect(lab.Login(ctx, scenarios.LoginInput{User: "bob", RoleARN: lab.Expand("${role:SAMLReadOnly}")})).
			To(scenariotest.HaveAssumedRole("arn:aws:sts::111122223333:assumed-role/SAMLReadOnly/bob"))
	})

	It("is refused once the role's trust policy names another provider", func(ctx SpecContext) {
		Expect(lab.UpdateTrust("SAMLAdmin", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
			"Principal":{"Federated":"arn:aws:iam::${account}:saml-provider/other"},"Action":"sts:AssumeRoleWithSAML"}]}`)).To(Succeed())
		_, err := lab.Login(ctx, scenarios.LoginInput{User: "bob"})
		Expect(err).To(scenariotest.HaveAWSError("AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML"))
	})
})
