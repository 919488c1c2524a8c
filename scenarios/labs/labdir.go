package labs

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/samlab-dev/samlab/scenarios"
)

// A lab's directory is its trainee's directory in the class's state
// directory. Files an app of the lab reads live there (a web identity
// token file: scenarios.Lab.SetDir), on the machine serving the lab.

// TraineeDir returns trainee k's directory in the class directory dir.
func TraineeDir(dir string, k int) string { return filepath.Join(dir, fmt.Sprintf("trainee-%d", k)) }

// ExpandLabDir replaces ${lab_dir} with the lab's directory, made absolute
// when it can be (the trainee may run commands elsewhere).
func ExpandLabDir(text, dir string) string {
	if !strings.Contains(text, "${lab_dir}") {
		return text
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return strings.ReplaceAll(text, "${lab_dir}", dir)
}

// Task returns the lab's task for the trainee whose lab is served at
// endpoint in account, with its directory dir: the variables of Solution
// and ${lab_dir} are replaced.
func Task(sc *scenarios.Scenario, endpoint, account, dir string) string {
	if sc.Lab == nil {
		return ""
	}
	text := strings.ReplaceAll(sc.Lab.Task, "${endpoint}", strings.TrimSuffix(endpoint, "/"))
	return ExpandLabDir(expand(expandOIDC(text, endpoint, account), account), dir)
}

// SolutionIn is Solution for the lab whose directory is dir (${lab_dir}).
func SolutionIn(sc *scenarios.Scenario, endpoint, account, dir string) string {
	return ExpandLabDir(Solution(sc, endpoint, account), dir)
}
