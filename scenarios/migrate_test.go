package scenarios_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/scenarios"
)

const v1File = `# the headline story, as version 1 wrote it
version: 1
name: old-story
title: cert rotation in version 1
steps:
  - action: register-provider   # create-saml-provider
  - action: login
    role: arn:aws:iam::123456789012:role/SAMLAdmin
  - action: rotate-key
  - action: login
    expect: {code: InvalidIdentityToken, status: 400, message: Response signature invalid}
`

func TestMigrate(t *testing.T) {
	t.Parallel()
	out, err := scenarios.Migrate("old.yaml", []byte(v1File))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{scenarios.Modeline + "\n", "version: 2", "action: create-provider # create-saml-provider",
		"role_arn: arn:aws:iam::123456789012:role/SAMLAdmin", "# the headline story"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("migrated file lacks %q:\n%s", want, out)
		}
	}
	sc, err := scenarios.Parse("new.yaml", out)
	if err != nil {
		t.Fatalf("the migrated file does not load: %v", err)
	}
	rep, err := scenarios.Run(t.Context(), sc, labConfig(), nil)
	if err != nil || !rep.Pass {
		t.Errorf("the migrated scenario does not pass: %v %+v", err, rep)
	}
	again, err := scenarios.Migrate("new.yaml", out)
	if err != nil || !bytes.Equal(again, out) {
		t.Errorf("migrating a version 2 file changed it (%v):\n%s", err, again)
	}
	if _, err := scenarios.Migrate("bad.yaml", []byte("version: 1\nname: x\nsteps:\n  - action: dance\n")); err == nil ||
		!strings.Contains(err.Error(), "bad.yaml:4:13") {
		t.Errorf("Migrate of a broken file = %v, want its problems", err)
	}
}

// FuzzMigrate: no panic, and whatever Migrate returns loads.
func FuzzMigrate(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("library", "*.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no library scenarios to seed from (%v)", err)
	}
	for _, name := range files[:5] {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(v1File))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := scenarios.Migrate("fuzz.yaml", data)
		if err != nil {
			return
		}
		if _, err := scenarios.Parse("fuzz.yaml", out); err != nil {
			t.Fatalf("Migrate returned a file that does not load: %v\n%s", err, out)
		}
	})
}
