package scenarios_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/samlab-dev/samlab/scenarios"
)

var update = flag.Bool("update", false, "rewrite scenario.schema.json from the scenario types")

const schemaFile = "scenario.schema.json"

// TestSchemaIsCurrent: the published schema is the one the types give
// (go test ./scenarios/ -run TestSchemaIsCurrent -update rewrites it).
func TestSchemaIsCurrent(t *testing.T) {
	got, err := scenarios.Schema()
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(schemaFile, got, 0o644); err != nil { //nolint:gosec // a published schema
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date: run go test ./scenarios/ -run TestSchemaIsCurrent -update", schemaFile)
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaFile, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(schemaFile)
	if err != nil {
		t.Fatalf("compile %s: %v", schemaFile, err)
	}
	return s
}

// instance reads a YAML scenario as the JSON value an editor checks.
func instance(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// TestSchemaAcceptsLibraryAndRejectsMistakes: every library file and the
// template validate against the schema; typical mistakes do not.
func TestSchemaAcceptsLibraryAndRejectsMistakes(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	files, err := filepath.Glob(filepath.Join("library", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no library files: %v", err)
	}
	docs := map[string][]byte{"template": scenarios.Template("my-scenario")}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[f] = data
	}
	for name, data := range docs {
		if err := s.Validate(instance(t, data)); err != nil {
			t.Errorf("%s does not match the schema: %v", name, err)
		}
	}
	for name, doc := range map[string]string{
		"unknown field":  "version: 2\nname: x\nsteps:\n  - action: login\n    colour: red\n",
		"unknown action": "version: 2\nname: x\nsteps:\n  - action: dance\n",
		"unknown fault":  "version: 2\nname: x\nsteps:\n  - action: login\n    fault: gremlins\n",
		"bad duration":   "version: 2\nname: x\nsteps:\n  - action: advance-clock\n    duration: soon\n",
		"no steps":       "version: 2\nname: x\n",
		"bad behavior":   "version: 2\nname: x\nsetup:\n  behavior: {clock_skw: 1m}\nsteps:\n  - action: login\n",
	} {
		if err := s.Validate(instance(t, []byte(doc))); err == nil {
			t.Errorf("%s: the schema accepts %q", name, doc)
		}
	}
}
