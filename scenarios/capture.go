package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/sp/sts"
)

// ErrNotReproducible is wrapped by FromCapture when the failure class of an
// explanation has no expression in the scenario format this package reads
// (a trust-policy condition, a role's MaxSessionDuration, encryption).
var ErrNotReproducible = errors.New("no scenario reproduces this failure")

// CaptureInfo names a scenario generated from a capture.
type CaptureInfo struct {
	// Name is the scenario's name (default "captured-" + the diagnosis).
	Name string
	// Source says where the capture came from (a file, a HAR entry); it
	// goes into the description.
	Source string
}

// captureYAML mirrors Scenario and Step for writing: omitted fields stay out
// of the file, and Expect is written in its mapping form.
type captureYAML struct {
	Version     int           `yaml:"version"`
	Name        string        `yaml:"name"`
	Title       string        `yaml:"title"`
	Description string        `yaml:"description"`
	Labels      []string      `yaml:"labels"`
	Steps       []captureStep `yaml:"steps"`
}

type captureStep struct {
	Name        string         `yaml:"name"`
	Action      string         `yaml:"action"`
	RoleARN     string         `yaml:"role_arn,omitempty"`
	Fault       string         `yaml:"fault,omitempty"`
	RedeemAfter string         `yaml:"redeem_after,omitempty"`
	Expect      map[string]any `yaml:"expect,omitempty"`
}

// FromCapture turns an explanation of a captured response into a scenario
// file that reproduces the same AWS outcome in a
// lab: the same error code, HTTP status and message (up to the request ID
// some messages carry), caused by the same failure class, then the fix. The
// returned bytes load with Parse; running them passes when the lab still
// behaves as the capture did. It returns an error wrapping
// ErrNotReproducible for failure classes the format cannot express.
func FromCapture(ex *sts.Explanation, info CaptureInfo) ([]byte, error) {
	reg := captureStep{Name: "register the IdP's metadata in IAM (the copy IAM held at capture time)", Action: ActionCreateProvider}
	var failing captureStep
	var before, after []captureStep
	failing.Action = ActionLogin
	title := ""
	switch ex.Diagnosis {
	case "":
		if !ex.Accepted {
			return nil, fmt.Errorf("the explanation has no diagnosis: %w", ErrNotReproducible)
		}
		failing.Name, title = "the captured login is accepted", "A captured response that AWS accepts"
	case "cert-rotation":
		before = []captureStep{{Name: "the IdP rotates its signing key; IAM keeps the old certificate", Action: ActionRotateKey}}
		failing.Name, title = "login fails: the response is signed by a key IAM does not hold", "Captured: the IdP rotated its signing certificate"
		after = []captureStep{{Name: "the fix: update-saml-provider with the IdP's current metadata", Action: ActionUpdateProvider},
			{Name: "login works again", Action: ActionLogin}}
	case "stale-signing-node":
		before = []captureStep{{Name: "the IdP rotates its signing key", Action: ActionRotateKey},
			{Name: "IAM is updated with the new metadata", Action: ActionUpdateProvider}}
		failing.Name, failing.Fault, title = "a node still signs with the retired key", string(idp.FaultStaleKey), "Captured: an IdP node signs with a retired key"
		after = []captureStep{{Name: "the fix: every node signs with the current key", Action: ActionLogin}}
	case "forged-signature":
		failing.Name, failing.Fault, title = "a response whose signature does not verify with the registered key", string(idp.FaultTamper),
			"Captured: a signature that no registered certificate verifies"
		// A foreign signer's first fix is at the IdP; a tampered response's
		// is a new capture.
		if len(ex.Fixes) > 0 && ex.Fixes[0].Where == "idp" {
			failing.Fault = string(idp.FaultForeignKey)
		}
		after = []captureStep{{Name: "an honest response is accepted", Action: ActionLogin}}
	case "unsigned-response":
		failing.Name, failing.Fault, title = "a response without a signature", string(idp.FaultNoSignature), "Captured: the IdP does not sign"
	case "unknown-provider":
		reg = captureStep{}
		failing.Name, title = "login before the SAML provider exists in IAM", "Captured: the SAML provider does not exist"
		after = []captureStep{{Name: "the fix: create-saml-provider with the IdP's metadata", Action: ActionCreateProvider},
			{Name: "login works", Action: ActionLogin}}
	case "wrong-entity-id":
		failing.Name, failing.Fault, title = "a response issued under another entityID", string(idp.FaultWrongIssuer), "Captured: the Issuer is not the registered entityID"
		after = []captureStep{{Name: "the registered entityID works", Action: ActionLogin}}
	case "stale-assertion":
		failing.Name, title = "the response is redeemed too late", "Captured: a response redeemed after its validity window"
		failing.RedeemAfter = "11m"
		if strings.HasPrefix(ex.Message, "Token must be redeemed") {
			failing.RedeemAfter = "5m30s"
		}
		after = []captureStep{{Name: "a fresh response is accepted", Action: ActionLogin}}
	case "idp-clock-ahead":
		failing.Name, failing.Fault, title = "a response from an IdP whose clock is ahead", string(idp.FaultClockSkew), "Captured: the IdP's clock runs ahead"
		after = []captureStep{{Name: "with the clock fixed, login works", Action: ActionLogin}}
	case "role-not-in-assertion":
		name := ex.RoleARN[strings.LastIndex(ex.RoleARN, "/")+1:]
		if name == DefaultRoleName {
			name += "-captured"
		}
		failing.Name, failing.RoleARN, title = "ask for a role the assertion does not grant", fmt.Sprintf("arn:aws:iam::%s:role/%s", DefaultAccountID, name),
			"Captured: the requested role is not in the assertion"
		after = []captureStep{{Name: "the granted role works", Action: ActionLogin}}
	case "missing-role-attribute":
		failing.Name, failing.Fault, title = "a response without the Role attribute", string(idp.FaultMissingRole), "Captured: no Role attribute"
	case "session-name-claim":
		failing.Name, failing.Fault, title = "RoleSessionName is missing or malformed", string(idp.FaultMalformedRoleSessionName), "Captured: a bad RoleSessionName claim"
		if strings.Contains(ex.Message, "is required") {
			failing.Fault = string(idp.FaultMissingRoleSessionName)
		}
		after = []captureStep{{Name: "with the claim rule fixed, login works", Action: ActionLogin}}
	case "wrong-audience":
		failing.Name, failing.Fault, title = "a response for another audience", string(idp.FaultWrongAudience), "Captured: the Audience is not AWS"
	case "wrong-recipient":
		failing.Name, failing.Fault, title = "a response for another recipient", string(idp.FaultWrongRecipient), "Captured: the Recipient is not an AWS sign-in endpoint"
		if strings.HasPrefix(ex.Message, "Responses must contain") {
			failing.Fault = string(idp.FaultMissingRecipient)
		}
	case "missing-name-id":
		failing.Name, failing.Fault, title = "a response without a NameID", string(idp.FaultMissingNameID), "Captured: no Subject NameID"
	default:
		return nil, fmt.Errorf("%s (%s %s): %w; the fix is: %s", ex.Diagnosis, ex.Code, ex.Message, ErrNotReproducible, firstFix(ex))
	}
	if !ex.Accepted {
		failing.Expect = map[string]any{"code": ex.Code, "status": ex.Status}
		if msg, suffixed := stableMessage(ex.Message); suffixed {
			failing.Expect["message_contains"] = msg
		} else {
			failing.Expect["message"] = msg
		}
	}
	name := info.Name
	if name == "" {
		name = "captured-" + ex.Diagnosis
		if ex.Diagnosis == "" {
			name = "captured-accepted"
		}
	}
	var desc strings.Builder
	fmt.Fprintf(&desc, "Reproduces a captured response (%s), judged at %s.\n", info.Source, ex.At)
	if ex.Accepted {
		fmt.Fprintf(&desc, "AWS's verdict: accepted as %s.\n", ex.AssumedRoleARN)
	} else {
		fmt.Fprintf(&desc, "AWS's verdict: %s (%d): %s\n", ex.Code, ex.Status, ex.Message)
		fmt.Fprintf(&desc, "Diagnosis: %s. The fix: %s\n", ex.Diagnosis, firstFix(ex))
	}
	desc.WriteString("The lab's IdP and account stand in for the captured ones (account " + DefaultAccountID + ").\n")
	sc := captureYAML{Version: Version, Name: name, Title: title, Description: desc.String(),
		Labels: []string{"captured", labelOf(ex)}, Steps: append(append(append(stepsOf(reg), before...), failing), after...)}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(sc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	out := buf.Bytes()
	if _, err := Parse(name+".yaml", out); err != nil {
		return nil, fmt.Errorf("generated scenario does not load: %w", err)
	}
	return out, nil
}

func labelOf(ex *sts.Explanation) string {
	if ex.Diagnosis == "" {
		return "accepted"
	}
	return ex.Diagnosis
}

func firstFix(ex *sts.Explanation) string {
	if len(ex.Fixes) == 0 {
		return "none listed"
	}
	f := ex.Fixes[0]
	s := f.Title
	if len(f.Commands) > 0 {
		s += ": " + f.Commands[len(f.Commands)-1]
	} else if f.IDPSetting != "" {
		s += " (" + f.IDPSetting + ")"
	}
	return s
}

// stableMessage returns the part of an AWS message that does not vary
// between calls: messages from AWS's discovery back end end in a request ID
// ("...; Request ID: ...; Proxy: null)"), so only the text before it is kept.
func stableMessage(msg string) (string, bool) {
	if i := strings.Index(msg, "; Request ID:"); i >= 0 {
		return msg[:i], true
	}
	return msg, false
}

// stepsOf returns the step as a list, or none for the zero step.
func stepsOf(st captureStep) []captureStep {
	if st.Action == "" {
		return nil
	}
	return []captureStep{st}
}
