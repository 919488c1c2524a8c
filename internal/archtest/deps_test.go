package archtest

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/samlab-dev/samlab"

// allowed lists, for each package, the samlab packages its non-test code may
// import (directly or not). idp and sp/* never import each other; only
// scenarios and cmd know both sides.
var allowed = map[string][]string{
	"awssaml":                    {},
	"certs":                      {},
	"certs/certstest":            {"certs"},
	"internal/xmlsec":            {},
	"internal/xmlsec/xmlsectest": {"certs", "certs/certstest"},
	"metadata":                   {"certs", "internal/xmlsec"},
	"idp":                        {"metadata", "certs", "internal/xmlsec", "awssaml", "internal/webstyle"},
	"idp/oidc":                   {"idp", "metadata", "certs", "internal/xmlsec", "awssaml", "internal/webstyle"},
	"idp/idpclient":              {"idp", "metadata", "certs", "internal/xmlsec", "awssaml", "internal/webstyle"},
	"internal/awsconfig":         {},
	"sp/awsapi":                  {},
	"sp/policy":                  {},
	"sp/iam":                     {"sp/policy", "sp/awsapi", "metadata", "certs", "internal/xmlsec"},
	"sp/sts":                     {"sp/sts/webidentity", "sp/iam", "sp/policy", "sp/awsapi", "sp/sts/sessiontoken", "metadata", "certs", "internal/xmlsec", "awssaml"},
	"sp/sts/sessiontoken":        {},
	"sp/sts/webidentity":         {},
	"sp/signin":                  {"sp/sts", "sp/iam", "sp/policy", "sp/awsapi", "metadata", "certs", "internal/xmlsec", "awssaml", "internal/webstyle"},
	"scenarios":                  {"idp", "sp/", "metadata", "certs", "internal/", "awssaml", "scenarios/labweb"},
	"scenarios/labweb":           {"sp/iam", "sp/policy", "sp/awsapi", "metadata", "certs", "internal/xmlsec", "internal/webstyle"},
	"sp/cognito":                 {"sp/sts", "sp/sts/sessiontoken", "sp/sts/webidentity", "sp/awsapi", "sp/iam", "sp/policy", "metadata", "certs", "internal/xmlsec", "awssaml"},
}

func TestDependencyDirection(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-json=ImportPath,Deps", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		rules, ok := allowed[rel]
		if !ok {
			continue
		}
		seen++
		for _, d := range p.Deps {
			if !strings.HasPrefix(d, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(d, module+"/")
			if !permitted(dep, rules) {
				t.Errorf("%s imports %s, which DESIGN.md's dependency direction forbids", rel, dep)
			}
		}
	}
	if seen < 6 {
		t.Fatalf("checked only %d packages; is the module path %s right?", seen, module)
	}
}

// stdOnly lists packages whose non-test code may import the standard library
// only (DESIGN.md: sp/policy imports "(std)").
var stdOnly = []string{"sp/policy"}

func TestStandardLibraryOnly(t *testing.T) {
	t.Parallel()
	for _, rel := range stdOnly {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", module+"/"+rel).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", rel, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep != module+"/"+rel {
				t.Errorf("%s imports %s; it may import only the standard library", rel, dep)
			}
		}
	}
}

func permitted(dep string, rules []string) bool {
	for _, r := range rules {
		if dep == r || (strings.HasSuffix(r, "/") && strings.HasPrefix(dep, r)) || strings.HasPrefix(dep, r+"/") {
			return true
		}
	}
	return false
}
