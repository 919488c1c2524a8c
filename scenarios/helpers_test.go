package scenarios_test

import (
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/scenarios"
)

// labConfig is the lab configuration for tests: fixture keys, so no test pays
// for RSA key generation.
func labConfig() scenarios.LabConfig {
	return scenarios.LabConfig{Keys: certstest.New()}
}
