package scenarios

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/samlab-dev/samlab/idp"
)

// Version is the scenario file format version this package reads.
const Version = 1

// Actions a step may take.
const (
	ActionRegisterProvider = "register-provider" // aws iam create-saml-provider with the IdP's metadata
	ActionUpdateProvider   = "update-provider"   // aws iam update-saml-provider with the IdP's metadata
	ActionRotateKey        = "rotate-key"        // the IdP switches to a new signing key
	ActionStageRollover    = "stage-rollover"    // the IdP publishes its next key beside the current one
	ActionLogin            = "login"             // IdP response → AssumeRoleWithSAML
	ActionAdvanceClock     = "advance-clock"     // move both sides' clock forward
)

var actions = map[string]string{
	ActionRegisterProvider: "create the IAM SAML provider from the IdP's current metadata",
	ActionUpdateProvider:   "update the IAM SAML provider with the IdP's current metadata",
	ActionRotateKey:        "the IdP replaces its signing key (metadata in IAM is not touched)",
	ActionStageRollover:    "the IdP publishes its next signing key beside the current one",
	ActionLogin:            "the IdP issues a SAML response and STS AssumeRoleWithSAML redeems it",
	ActionAdvanceClock:     "move the lab clock forward by `duration`",
}

// Scenario is one scripted story. See library/*.yaml for examples.
type Scenario struct {
	// Version must be 1.
	Version int `yaml:"version"`
	// Name identifies the scenario (`samlab scenario run NAME`).
	Name string `yaml:"name"`
	// Title is a one-line summary.
	Title string `yaml:"title"`
	// Description explains what the scenario reproduces and how it is fixed.
	Description string `yaml:"description"`
	// Labels select scenarios in suites (ginkgo --label-filter).
	Labels []string `yaml:"labels"`
	// Steps run in order.
	Steps []Step `yaml:"steps"`

	// File is where the scenario was loaded from.
	File string `yaml:"-"`
}

// Step is one action and what it is expected to produce.
type Step struct {
	Name   string `yaml:"name"`
	Action string `yaml:"action"`
	// User and Role select who logs in (login only; default the lab's user
	// and role).
	User string `yaml:"user"`
	Role string `yaml:"role"`
	// Fault injects an IdP fault into the response (login only).
	Fault string `yaml:"fault"`
	// RedeemAfter holds the response this long before redeeming it (login
	// only; Go syntax: "10m").
	RedeemAfter string `yaml:"redeem_after"`
	// Duration is how far advance-clock moves the clock (Go syntax: "10m").
	Duration string `yaml:"duration"`
	// Expect is the outcome; default success.
	Expect Expect `yaml:"expect"`

	// Line is the step's line in its file.
	Line int `yaml:"-"`
}

// Expect is a step's expected outcome: `success`, or an AWS error given by
// code and optionally HTTP status and message.
type Expect struct {
	Error           bool
	Code            string
	Status          int
	Message         string // exact match
	MessageContains string // substring match
}

// UnmarshalYAML accepts the scalar `success` or a mapping with the keys code,
// status, message and message_contains.
func (e *Expect) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Value != "success" {
			return fmt.Errorf("line %d: expect: %q is not `success` or a mapping with code/status/message", n.Line, n.Value)
		}
		*e = Expect{}
		return nil
	case yaml.MappingNode:
		var out Expect
		out.Error = true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			var err error
			switch k.Value {
			case "code":
				err = v.Decode(&out.Code)
			case "status":
				err = v.Decode(&out.Status)
			case "message":
				err = v.Decode(&out.Message)
			case "message_contains":
				err = v.Decode(&out.MessageContains)
			default:
				return fmt.Errorf("line %d: expect: unknown field %q (known: code, status, message, message_contains)", k.Line, k.Value)
			}
			if err != nil {
				return fmt.Errorf("line %d: expect.%s: %w", k.Line, k.Value, err)
			}
		}
		if out.Code == "" {
			return fmt.Errorf("line %d: expect: an error expectation needs a code", n.Line)
		}
		*e = out
		return nil
	}
	return fmt.Errorf("line %d: expect: want `success` or a mapping", n.Line)
}

// String renders the expectation for people.
func (e Expect) String() string {
	if !e.Error {
		return "success"
	}
	s := e.Code
	if e.Status != 0 {
		s += fmt.Sprintf(" (%d)", e.Status)
	}
	if e.Message != "" {
		s += ": " + e.Message
	} else if e.MessageContains != "" {
		s += ": …" + e.MessageContains + "…"
	}
	return s
}

// MaxFileSize bounds a scenario file.
const MaxFileSize = 1 << 20

// Parse decodes and validates one scenario file. Unknown fields are errors;
// every problem names the file and line.
func Parse(name string, data []byte) (*Scenario, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: file is %d bytes, limit %d", name, len(data), MaxFileSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var sc Scenario
	if err := dec.Decode(&sc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty scenario file", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: more than one YAML document", name)
	}
	// A second, untyped pass recovers each step's line number.
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil {
		if steps := mappingValue(root.Content, "steps"); steps != nil {
			for i, n := range steps.Content {
				if i < len(sc.Steps) {
					sc.Steps[i].Line = n.Line
				}
			}
		}
	}
	sc.File = name
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return &sc, nil
}

func mappingValue(docs []*yaml.Node, key string) *yaml.Node {
	if len(docs) == 0 || docs[0].Kind != yaml.MappingNode {
		return nil
	}
	m := docs[0].Content
	for i := 0; i+1 < len(m); i += 2 {
		if m[i].Value == key {
			return m[i+1]
		}
	}
	return nil
}

// Validate reports every problem of the scenario at once.
func (sc *Scenario) Validate() error {
	var errs []error
	bad := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: %s", sc.File, line, fmt.Sprintf(format, args...)))
	}
	if sc.Version != Version {
		bad(1, "version is %d, want %d", sc.Version, Version)
	}
	if sc.Name == "" {
		bad(1, "name is required")
	}
	if len(sc.Steps) == 0 {
		bad(1, "steps: at least one step is required")
	}
	for i, st := range sc.Steps {
		if _, ok := actions[st.Action]; !ok {
			bad(st.Line, "step %d: unknown action %q (known: %s)", i+1, st.Action, strings.Join(ActionNames(), ", "))
			continue
		}
		if st.Action != ActionLogin && (st.User != "" || st.Role != "" || st.Fault != "" || st.RedeemAfter != "") {
			bad(st.Line, "step %d: user, role, fault and redeem_after apply only to %s", i+1, ActionLogin)
		}
		if st.RedeemAfter != "" {
			if d, err := time.ParseDuration(st.RedeemAfter); err != nil || d <= 0 {
				bad(st.Line, "step %d: redeem_after needs a positive duration such as \"10m\", got %q", i+1, st.RedeemAfter)
			}
		}
		if st.Fault != "" {
			if _, err := idp.ParseFault(st.Fault); err != nil {
				bad(st.Line, "step %d: %v", i+1, err)
			}
		}
		if st.Action == ActionAdvanceClock {
			if d, err := time.ParseDuration(st.Duration); err != nil || d <= 0 {
				bad(st.Line, "step %d: advance-clock needs a positive duration such as \"10m\", got %q", i+1, st.Duration)
			}
		} else if st.Duration != "" {
			bad(st.Line, "step %d: duration applies only to %s", i+1, ActionAdvanceClock)
		}
	}
	return errors.Join(errs...)
}

// ActionNames lists the step actions, sorted.
func ActionNames() []string {
	out := make([]string, 0, len(actions))
	for k := range actions {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

//go:embed library/*.yaml
var library embed.FS

// Library returns the built-in scenarios, sorted by name.
func Library() ([]*Scenario, error) {
	return LoadFS(library, "library")
}

// LoadFS loads every *.yaml file in dir of fsys.
func LoadFS(fsys fs.FS, dir string) ([]*Scenario, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []*Scenario
	var errs []error
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".yaml" {
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sc, err := Parse(path.Join(dir, e.Name()), data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, sc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, errors.Join(errs...)
}

// Find returns the built-in scenario called name.
func Find(name string) (*Scenario, error) {
	all, err := Library()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, sc := range all {
		if sc.Name == name {
			return sc, nil
		}
		names = append(names, sc.Name)
	}
	return nil, fmt.Errorf("no built-in scenario %q (known: %s)", name, strings.Join(names, ", "))
}
