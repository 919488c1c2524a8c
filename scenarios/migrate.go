package scenarios

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// SchemaURL is where the JSON Schema of scenario files is published (the
// file scenario.schema.json beside this package). Editors that run the YAML
// language server check and complete a file that starts with Modeline.
const SchemaURL = "https://raw.githubusercontent.com/samlab-dev/samlab/main/scenarios/scenario.schema.json"

// Modeline is the first line of a scenario file that points editors at the
// schema.
const Modeline = "# yaml-language-server: $schema=" + SchemaURL

// Migrate rewrites a version 1 scenario file as version 2, keeping its
// comments: register-provider becomes create-provider, a login's role ARN
// becomes role_arn, and the schema modeline is added. A version 2 file is
// returned unchanged. The result is checked with Parse.
func Migrate(name string, data []byte) ([]byte, error) {
	if _, err := Parse(name, data); err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	doc := root.Content[0]
	v := mappingValue(root.Content, "version")
	if v == nil || v.Value != "1" {
		return data, nil
	}
	v.Value = fmt.Sprint(Version)
	if steps := mappingValue(root.Content, "steps"); steps != nil {
		for _, st := range steps.Content {
			for i := 0; i+1 < len(st.Content); i += 2 {
				k, val := st.Content[i], st.Content[i+1]
				switch {
				case k.Value == "action" && val.Value == ActionRegisterProvider:
					val.Value = ActionCreateProvider
				case k.Value == "role" && strings.HasPrefix(val.Value, "arn:"):
					k.Value = "role_arn"
				}
			}
		}
	}
	if !strings.Contains(root.HeadComment+doc.HeadComment, "yaml-language-server") {
		doc.HeadComment = strings.TrimSuffix(Modeline+"\n"+doc.HeadComment, "\n")
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := buf.Bytes()
	if _, err := Parse(name, out); err != nil {
		return nil, fmt.Errorf("%s: the migrated file does not load: %w", name, err)
	}
	return out, nil
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

// Template returns a commented scenario file to start from.
func Template(name string) []byte {
	return []byte(Modeline + `
# A samlab scenario: a lab in a known state, then the steps a person takes,
# each with the outcome AWS gives. Reference: docs/scenarios.md.
version: 2
name: ` + name + `
title: One line that names the failure
description: |
  What the trainee sees and why it happens, in a few sentences.
hint: Where to look first (without giving the fix away).
fix: aws iam update-saml-provider --saml-provider-arn arn:aws:iam::123456789012:saml-provider/samlab --saml-metadata-document file://metadata.xml
sources:
  - https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_saml.html
difficulty: 1 # 1 read the error, 2 compare two artefacts, 3 several components or time
labels: [example]

# setup is optional: by default the lab has account 123456789012, roles
# SAMLAdmin and SAMLReadOnly trusting the provider "samlab", users alice
# and bob, and no IAM provider yet.
setup:
  providers:
    samlab: {}          # create-saml-provider with the IdP's metadata
  # users:
  #   carol: {roles: [SAMLReadOnly], role_session_name: carol}
  # roles:
  #   Deploy: {max_session_duration: 7200}
  # behavior:
  #   clock_skew: 1m

steps:
  - name: login works with the registered certificate
    action: login
    expect:
      assumed_role_arn: arn:aws:sts::${account}:assumed-role/SAMLAdmin/alice
  - name: the IdP rotates its signing key
    action: rotate-key
  - name: login fails, IAM still holds the old certificate
    action: login
    expect:
      code: InvalidIdentityToken
      status: 400
      message: Response signature invalid
  - name: update-saml-provider with the IdP's new metadata
    action: update-provider
  - name: login works again
    action: login
`)
}
