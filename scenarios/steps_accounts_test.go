package scenarios_test

import (
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/iam"
)

// accountsHead is a scenario head with the further account vendor.
const accountsHead = "version: 2\nname: x\nsetup:\n  accounts:\n    vendor:\n      id: \"444455556666\"\n      users:\n        app: {}\n      roles:\n        Ops:\n          trust: {Statement: [{Effect: Allow, Principal: {AWS: \"arn:aws:iam::${account}:root\"}, Action: sts:AssumeRole}]}\nsteps:\n"

// TestParseAccountsProblems: setup.accounts and the steps' account are
// checked like the rest of a scenario, each problem named at its place.
func TestParseAccountsProblems(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, file string
		wants      []string
	}{
		{"id not 12 digits", "version: 2\nname: x\nsetup:\n  accounts:\n    vendor: {id: \"4444\"}\nsteps:\n  - action: login\n",
			[]string{"setup.accounts.vendor.id: \"4444\" is not a 12-digit AWS account ID"}},
		{"id of the lab's own account", "version: 2\nname: x\nsetup:\n  accounts:\n    vendor: {id: \"123456789012\"}\nsteps:\n  - action: login\n",
			[]string{"setup.accounts.vendor.id: 123456789012 is the lab's own account"}},
		{"same id twice", "version: 2\nname: x\nsetup:\n  accounts:\n    a: {id: \"444455556666\"}\n    b: {id: \"444455556666\"}\nsteps:\n  - action: login\n",
			[]string{"setup.accounts.b.id: 444455556666 is also the ID of account a"}},
		{"role without trust", "version: 2\nname: x\nsetup:\n  accounts:\n    vendor:\n      id: \"444455556666\"\n      roles: {Ops: {}}\nsteps:\n  - action: login\n",
			[]string{"setup.accounts.vendor.roles.Ops.trust: is required"}},
		{"unknown account in a step", accountsHead + "  - action: assume-role\n    account: vendr\n    role: SAMLAdmin\n",
			[]string{"steps[0].account: unknown account \"vendr\" (setup.accounts has: vendor)"}},
		{"unknown account variable", accountsHead + "  - action: assume-role\n    role_arn: arn:aws:iam::${account:other}:role/Ops\n",
			[]string{"steps[0].role_arn: ${account:other}: unknown account"}},
		{"caller not of the account", accountsHead + "  - action: assume-role\n    account: vendor\n    caller: bob\n    role: SAMLAdmin\n",
			[]string{"steps[0].caller: unknown caller \"bob\" of account vendor: use admin or one of its users (app)"}},
		{"role not of the account", accountsHead + "  - action: update-trust\n    account: vendor\n    role: SAMLAdmin\n    trust: {Statement: []}\n",
			[]string{"steps[0].role: unknown role \"SAMLAdmin\" of account vendor (known: Ops)"}},
		{"put-user-policy needs an account", accountsHead + "  - action: put-user-policy\n    user: app\n    policy: {Statement: []}\n",
			[]string{"steps[0]: put-user-policy needs account"}},
		{"put-user-policy of an unknown user", accountsHead + "  - action: put-user-policy\n    account: vendor\n    user: web\n    policy: {Statement: []}\n",
			[]string{"steps[0].user: unknown IAM user \"web\" of account vendor (known: app)"}},
		{"account on an action that cannot", accountsHead + "  - action: login\n    account: vendor\n",
			[]string{"steps[0].account: does not apply to login"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := scenarios.Parse("t.yaml", []byte(tt.file))
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
	if _, err := scenarios.Parse("t.yaml", []byte(accountsHead+"  - action: assume-role\n    account: vendor\n    caller: app\n    role_arn: arn:aws:iam::${account:vendor}:role/Ops\n")); err != nil {
		t.Errorf("a valid scenario with accounts: %v", err)
	}
}

// TestAccountScenarioServesAccounts: a scenario's further account is a real
// account on the lab's endpoint: its IAM user's key signs a cross-account
// AssumeRole, its own roles are assumed with role_arn, and the lab's own
// account does not see them.
func TestAccountScenarioServesAccounts(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Parse("t.yaml", []byte(accountsHead+
		"  - action: assume-role\n    account: vendor\n    caller: app\n    role: SAMLAdmin\n    expect: {code: AccessDenied}\n"+
		"  - action: assume-role\n    role_arn: arn:aws:iam::${account:vendor}:role/Ops\n    session_name: ops\n    expect: {assumed_role_arn: \"arn:aws:sts::444455556666:assumed-role/Ops/ops\"}\n"+
		"  - action: get-caller-identity\n    expect: {assumed_role_arn: \"arn:aws:sts::444455556666:assumed-role/Ops/ops\"}\n"+
		"  - action: update-trust\n    account: vendor\n    role: Ops\n    trust: {Statement: [{Effect: Allow, Principal: {AWS: \"arn:aws:iam::${account:vendor}:root\"}, Action: sts:AssumeRole}]}\n"+
		"  - action: assume-role\n    role_arn: arn:aws:iam::${account:vendor}:role/Ops\n    expect: {code: AccessDenied}\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := scenarios.Run(t.Context(), sc, labConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Steps {
		if !r.Pass {
			t.Errorf("step %d: expected %s, got %s", r.Index, r.Expected, r.Actual)
		}
	}
	lab, err := scenarios.NewLabFor(t.Context(), labConfig(), sc.Setup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lab.Account.RoleByName("Ops"); err == nil {
		t.Error("the lab's own account has the further account's role Ops")
	}
	acc := lab.ServedAccounts()
	if len(acc) != 1 || acc[0].Lab.Account.ID() != "444455556666" {
		t.Fatalf("ServedAccounts = %v", acc)
	}
	if acc[0].Lab.Clock != lab.Clock {
		t.Error("the further account runs on another clock than the lab's")
	}
	var names []string
	for _, r := range acc[0].Lab.Account.Roles() {
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != "Ops" {
		t.Errorf("the further account's roles = %v, want Ops alone (no demo SAML roles)", names)
	}
}

// TestRemoveDemoRoles: a further account loses the demo roles whose trust
// names a SAML provider it does not have; a changed trust, or an account
// with the provider, keeps them.
func TestRemoveDemoRoles(t *testing.T) {
	t.Parallel()
	roles := func(l *scenarios.Lab) string {
		var out []string
		for _, r := range l.Account.Roles() {
			out = append(out, r.Name)
		}
		return strings.Join(out, ",")
	}
	l, err := scenarios.NewAccountLab(labConfig())
	if err != nil {
		t.Fatal(err)
	}
	if got := roles(l); got != "" {
		t.Errorf("NewAccountLab roles = %q, want none", got)
	}

	l, err = scenarios.NewLab(labConfig())
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`
	if err := l.Account.UpdateAssumeRolePolicy(scenarios.ReadOnlyRoleName, trust); err != nil {
		t.Fatal(err)
	}
	if err := l.RemoveDemoRoles(); err != nil {
		t.Fatal(err)
	}
	if got := roles(l); got != scenarios.ReadOnlyRoleName {
		t.Errorf("after RemoveDemoRoles with a changed trust: roles = %q, want %s alone", got, scenarios.ReadOnlyRoleName)
	}

	l, err = scenarios.NewLab(labConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.RegisterProvider(); err != nil {
		t.Fatal(err)
	}
	if err := l.RemoveDemoRoles(); err != nil {
		t.Fatal(err)
	}
	if got := roles(l); got != scenarios.DefaultRoleName+","+scenarios.ReadOnlyRoleName {
		t.Errorf("with the provider registered: roles = %q, want both demo roles", got)
	}
	if r, err := l.Account.RoleByName(scenarios.DefaultRoleName); err != nil || r.AssumeRolePolicyDocument != iam.SAMLTrustPolicy(l.ProviderARN) {
		t.Errorf("demo role = %v, %v", r, err)
	}
}

// TestAccountAdminKey: a further account's admin key follows from the lab's
// own (the same every time), differs per account and per lab key, and has
// AWS's shapes.
func TestAccountAdminKey(t *testing.T) {
	t.Parallel()
	own, err := scenarios.NewAdminKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := scenarios.AccountAdminKey(own, "444455556666")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := scenarios.AccountAdminKey(own, "444455556666")
	other, _ := scenarios.AccountAdminKey(own, "777788889999")
	other2, _ := scenarios.NewAdminKey(nil)
	fromOther, _ := scenarios.AccountAdminKey(other2, "444455556666")
	if a != again {
		t.Errorf("AccountAdminKey is not deterministic: %v, %v", a, again)
	}
	if a.AccessKeyID == other.AccessKeyID || a.SecretAccessKey == other.SecretAccessKey || a == fromOther {
		t.Error("AccountAdminKey gives the same key for another account or another lab key")
	}
	if len(a.AccessKeyID) != 20 || !strings.HasPrefix(a.AccessKeyID, "AKIA") || len(a.SecretAccessKey) != 40 {
		t.Errorf("AccountAdminKey = %q / %d-character secret; want AKIA… of 20 and 40 characters", a.AccessKeyID, len(a.SecretAccessKey))
	}
	if _, err := scenarios.AccountAdminKey(scenarios.AdminKey{}, "444455556666"); err == nil {
		t.Error("AccountAdminKey of an empty key succeeded")
	}
}

// BenchmarkFurtherAccount measures what a further account adds to building
// a scenario's lab, beside a baseline lab of one account built in the same
// run: read the cost as the ratio of the two.
func BenchmarkFurtherAccount(b *testing.B) {
	one, err := scenarios.Parse("one.yaml", []byte("version: 2\nname: one\nsteps:\n  - action: login\n"))
	if err != nil {
		b.Fatal(err)
	}
	two, err := scenarios.Parse("two.yaml", []byte(accountsHead+"  - action: login\n"))
	if err != nil {
		b.Fatal(err)
	}
	for _, bm := range []struct {
		name string
		sc   *scenarios.Scenario
	}{{"baseline-one-account", one}, {"with-a-further-account", two}} {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				lab, err := scenarios.NewLabFor(b.Context(), labConfig(), bm.sc.Setup)
				if err != nil {
					b.Fatal(err)
				}
				_ = lab.Close()
			}
		})
	}
}
