// Package labs serves library scenarios as hands-on labs: a trainee gets a
// lab in its broken state — the scenario's steps played up to the failure —
// on a real HTTP endpoint, fixes it with the aws CLI, and asks the lab to
// check, which plays the scenario's success condition against the live
// state. A class is one process serving one lab per trainee, each on its
// own port with its own account, admin key, users and state directory.
//
// A lab's state lives in a directory and survives restarts: IAM's state is
// kept in a bbolt store, and the IdP's state (which lives in memory) is
// rebuilt by replaying the same steps with the same keys, the same
// randomness and the same start time, all recorded in that store.
package labs

import (
	"fmt"
	"sort"
	"strings"

	"github.com/samlab-dev/samlab/scenarios"
)

// ControlPrefix is where a served lab answers its own control requests:
// GET ControlPrefix (status), POST ControlPrefix/check, POST
// ControlPrefix/reset (with the class's control token).
const ControlPrefix = "/_samlab/lab"

// Library returns the library scenarios that are labs (those with a lab
// block), by difficulty, then name.
func Library() ([]*scenarios.Scenario, error) {
	all, err := scenarios.Library()
	if err != nil {
		return nil, err
	}
	var labs []*scenarios.Scenario
	for _, sc := range all {
		if sc.Lab != nil {
			labs = append(labs, sc)
		}
	}
	sort.SliceStable(labs, func(i, j int) bool {
		if labs[i].Difficulty != labs[j].Difficulty {
			return labs[i].Difficulty < labs[j].Difficulty
		}
		return labs[i].Name < labs[j].Name
	})
	return labs, nil
}

// Find returns the library lab named id.
func Find(id string) (*scenarios.Scenario, error) {
	labs, err := Library()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(labs))
	for _, sc := range labs {
		if sc.Name == id {
			return sc, nil
		}
		names = append(names, sc.Name)
	}
	sort.Strings(names)
	if _, err := scenarios.Find(id); err == nil {
		return nil, fmt.Errorf("scenario %q is not a lab (labs: %s)", id, strings.Join(names, ", "))
	}
	return nil, fmt.Errorf("unknown lab %q (labs: %s)", id, strings.Join(names, ", "))
}

// Solution returns the lab's fix commands for a lab served at endpoint in
// the given account: ${endpoint}, ${account}, ${provider:NAME},
// ${role:NAME}, ${oidc_host} and ${oidc_provider} are replaced.
func Solution(sc *scenarios.Scenario, endpoint, account string) string {
	if sc.Lab == nil {
		return ""
	}
	text := strings.ReplaceAll(sc.Lab.Solution, "${endpoint}", strings.TrimSuffix(endpoint, "/"))
	for name, a := range sc.Setup.Accounts {
		text = strings.ReplaceAll(text, "${account:"+name+"}", a.ID)
	}
	return expand(expandOIDC(text, endpoint, account), account)
}

// expand replaces the scenario variables the way a lab in the account with
// the default provider name would (the labs' provider is always named as in
// the scenario).
func expand(text, account string) string {
	if account == "" {
		account = scenarios.DefaultAccountID
	}
	r := strings.NewReplacer("${account}", account, "${partition}", "aws")
	text = r.Replace(text)
	for _, kind := range []string{"provider", "role"} {
		for {
			i := strings.Index(text, "${"+kind+":")
			if i < 0 {
				break
			}
			j := strings.Index(text[i:], "}")
			if j < 0 {
				break
			}
			name := text[i+len(kind)+3 : i+j]
			arn := fmt.Sprintf("arn:aws:iam::%s:saml-provider/%s", account, name)
			if kind == "role" {
				arn = fmt.Sprintf("arn:aws:iam::%s:role/%s", account, name)
			}
			text = text[:i] + arn + text[i+j+1:]
		}
	}
	return text
}
