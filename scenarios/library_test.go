package scenarios_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/scenarios"
)

// TestLibraryEntriesAreComplete: every library scenario tells a trainee what
// happened, where to look, how to fix it and where it was reported.
func TestLibraryEntriesAreComplete(t *testing.T) {
	t.Parallel()
	all, err := scenarios.Library()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 45 {
		t.Errorf("the library has %d scenarios, want at least 45", len(all))
	}
	for _, sc := range all {
		if filepath.Base(sc.File) != sc.Name+".yaml" {
			t.Errorf("%s: the file is not named after the scenario %q", sc.File, sc.Name)
		}
		if sc.Version != scenarios.Version {
			t.Errorf("%s: version %d, want %d", sc.File, sc.Version, scenarios.Version)
		}
		if sc.Title == "" || sc.Description == "" || sc.Hint == "" || sc.Fix == "" {
			t.Errorf("%s: needs title, description, hint and fix", sc.File)
		}
		if sc.Difficulty < 1 || sc.Difficulty > 3 {
			t.Errorf("%s: difficulty %d, want 1-3", sc.File, sc.Difficulty)
		}
		if len(sc.Labels) == 0 {
			t.Errorf("%s: needs labels", sc.File)
		}
		if len(sc.Sources) == 0 {
			t.Errorf("%s: needs at least one source", sc.File)
		}
		for _, s := range sc.Sources {
			if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
				t.Errorf("%s: source %q is not a link", sc.File, s)
			}
		}
		data, err := os.ReadFile(sc.File)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(data), "# yaml-language-server: $schema=../scenario.schema.json\n") {
			t.Errorf("%s: the first line must be the schema modeline", sc.File)
		}
	}
}

// mutate returns an expectation a correct run can never satisfy: success
// becomes an error, an error becomes success, and a success property gets a
// value no session has.
func mutate(e scenarios.Expect) scenarios.Expect {
	switch {
	case e.Error:
		return scenarios.Expect{}
	case e.AssumedRoleARN != "":
		e.AssumedRoleARN += "-mutated"
		return e
	}
	return scenarios.Expect{Error: true, Code: "MutatedError"}
}

// TestLibraryScenariosCanFail: for every step of every library scenario, a
// run with that step's expectation changed fails at that step and nowhere
// else, so no scenario passes by accident.
func TestLibraryScenariosCanFail(t *testing.T) {
	t.Parallel()
	all, err := scenarios.Library()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range all {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			for i := range sc.Steps {
				m := *sc
				m.Steps = append([]scenarios.Step(nil), sc.Steps...)
				m.Steps[i].Expect = mutate(m.Steps[i].Expect)
				rep, err := scenarios.Run(t.Context(), &m, labConfig(), nil)
				if err != nil {
					t.Fatalf("step %d mutated: %v", i+1, err)
				}
				if rep.Pass {
					t.Errorf("step %d (%s) expects %s now, and the run still passed", i+1, sc.Steps[i].Name, m.Steps[i].Expect)
				}
				for j, r := range rep.Steps {
					if r.Pass == (j == i) {
						t.Errorf("step %d mutated: step %d pass = %v (actual %s)", i+1, j+1, r.Pass, r.Actual)
					}
				}
			}
		})
	}
}

// TestLibraryInAnotherAccount: LabConfig.AccountID and ProviderName reach
// every ARN (roles, providers, the IdP's users), so the library passes in
// 111122223333 with a provider called corp-idp too.
func TestLibraryInAnotherAccount(t *testing.T) {
	t.Parallel()
	all, err := scenarios.Library()
	if err != nil {
		t.Fatal(err)
	}
	config := func() scenarios.LabConfig {
		cfg := labConfig() // fresh fixture keys for every lab
		cfg.AccountID = "111122223333"
		cfg.ProviderName = "corp-idp"
		return cfg
	}
	for _, sc := range all {
		rep, err := scenarios.Run(t.Context(), sc, config(), nil)
		if err != nil {
			t.Fatalf("%s: %v", sc.Name, err)
		}
		for _, r := range rep.Steps {
			if !r.Pass {
				t.Errorf("%s step %d (%s): expected %s, got %s", sc.Name, r.Index, r.Name, r.Expected, r.Actual)
			}
			if strings.Contains(r.Actual.AssumedRoleARN, scenarios.DefaultAccountID) {
				t.Errorf("%s step %d: %s is in the default account", sc.Name, r.Index, r.Actual.AssumedRoleARN)
			}
		}
	}
	lab, err := scenarios.NewLab(config())
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.RegisterProvider(); err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{scenarios.DefaultRoleName, scenarios.ReadOnlyRoleName} {
		out, err := lab.Login(t.Context(), scenarios.LoginInput{User: "bob", RoleARN: lab.Expand("${role:" + role + "}")})
		if err != nil {
			t.Fatalf("bob as %s in 111122223333: %v", role, err)
		}
		if want := "arn:aws:sts::111122223333:assumed-role/" + role + "/bob"; out.AssumedRoleUser.ARN != want {
			t.Errorf("bob as %s = %s, want %s", role, out.AssumedRoleUser.ARN, want)
		}
	}
	u, ok := lab.IDP.Users().User("bob")
	if !ok || len(u.Roles) != 2 || !strings.Contains(u.Roles[0].RoleARN, "111122223333") {
		t.Errorf("the IdP's own user bob = %+v, want roles in 111122223333", u)
	}
}

// BenchmarkLibrary runs the whole library once per iteration, with fixture
// keys and with generated RSA-2048 keys, beside a baseline measured in the
// same run (one RSA-2048 key generation), so the cost reads as a ratio.
func BenchmarkLibrary(b *testing.B) {
	all, err := scenarios.Library()
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, keys func() certs.KeySource) {
		for b.Loop() {
			for _, sc := range all {
				rep, err := scenarios.Run(context.Background(), sc, scenarios.LabConfig{Keys: keys()}, nil)
				if err != nil || !rep.Pass {
					b.Fatalf("%s: %v, pass=%v", sc.Name, err, rep != nil && rep.Pass)
				}
			}
		}
	}
	b.Run("fixture-keys", func(b *testing.B) { run(b, func() certs.KeySource { return certstest.New() }) })
	b.Run("generated-keys", func(b *testing.B) { run(b, func() certs.KeySource { return certs.GeneratedKeys{} }) })
	b.Run("baseline-rsa2048-keygen", func(b *testing.B) {
		for b.Loop() {
			if _, err := (certs.GeneratedKeys{}).Key(2048); err != nil {
				b.Fatal(err)
			}
		}
	})
}
