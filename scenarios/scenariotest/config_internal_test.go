package scenariotest

import (
	"testing"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/scenarios"
)

// TestRunConfigFreshFixtureKeys: a shared fixture source hands out each key
// once and then generates keys, so every scenario run gets its own; other
// key sources are left alone.
func TestRunConfigFreshFixtureKeys(t *testing.T) {
	t.Parallel()
	shared := certstest.New()
	a, b := runConfig(scenarios.LabConfig{Keys: shared}), runConfig(scenarios.LabConfig{Keys: shared})
	if a.Keys == shared || b.Keys == shared || a.Keys == b.Keys {
		t.Errorf("runConfig kept a shared fixture source: %p %p (shared %p)", a.Keys, b.Keys, shared)
	}
	if _, ok := runConfig(scenarios.LabConfig{}).Keys.(*certstest.Keys); !ok {
		t.Errorf("runConfig without keys = %T, want fixture keys", runConfig(scenarios.LabConfig{}).Keys)
	}
	gen := certs.GeneratedKeys{}
	if got := runConfig(scenarios.LabConfig{Keys: gen}).Keys; got != gen {
		t.Errorf("runConfig replaced a generated key source with %T", got)
	}
}
