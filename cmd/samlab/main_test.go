package main

import (
	"os"
	"testing"
)

// runAsSamlabEnv makes the test binary behave as the samlab command: tests
// that hand samlab to another program (the aws CLI running a profile's
// credential_process) set it in that program's environment, and the
// profile names the test binary, which os.Executable reports.
const runAsSamlabEnv = "SAMLAB_TEST_RUN_AS_SAMLAB"

func TestMain(m *testing.M) {
	if os.Getenv(runAsSamlabEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}
