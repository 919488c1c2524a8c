package sts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/samlab-dev/samlab/awssaml"
	"github.com/samlab-dev/samlab/sp/awsapi"
)

// requiredActions lists the trust-policy actions a request needs (UG-TAGS,
// UG-TS): sts:TagSession when it carries session tags or transitive keys,
// sts:SetSourceIdentity when it carries a SourceIdentity.
func requiredActions(tags, sourceIdentity bool) []string {
	acts := []string{"sts:AssumeRoleWithSAML"}
	if tags {
		acts = append(acts, "sts:TagSession")
	}
	if sourceIdentity {
		acts = append(acts, "sts:SetSourceIdentity")
	}
	return acts
}

// sessionTags reads the PrincipalTag:* attributes (first value each) and
// TransitiveTagKeys; checkTags validates them.
func sessionTags(a *Assertion) (map[string]string, []string) {
	tags := map[string]string{}
	for name, vals := range a.Attributes {
		if key, ok := strings.CutPrefix(name, attrPrincipalTag); ok && len(vals) > 0 {
			tags[key] = vals[0]
		}
	}
	return tags, a.Attributes[attrTransitiveTagKeys]
}

// checkTags implements row 19 with the limits of §6: at most 50 tags, one
// value each, key 1-128 and value 0-256 characters of the tag alphabet, no
// "aws:" prefix, no two keys equal regardless of case, and transitive keys
// that name session tags.
func checkTags(tags map[string]string, transitive []string, attrs map[string][]string) error {
	bad := func(format string, args ...any) error {
		return validationError(msgTags, fmt.Errorf(format, args...))
	}
	if len(tags) > maxTags {
		return bad("%d session tags, limit %d", len(tags), maxTags)
	}
	lower := make(map[string]string, len(tags))
	for key, val := range tags {
		if n := len(attrs[attrPrincipalTag+key]); n != 1 {
			return bad("PrincipalTag:%s has %d values, want 1", key, n)
		}
		if strings.HasPrefix(strings.ToLower(key), "aws:") {
			return bad("tag key %q uses the reserved prefix aws:", key)
		}
		if !awssaml.ValidTagKey(key) || !awssaml.ValidTagValue(val) {
			return bad("PrincipalTag:%s=%q violates the tag key or value constraints", key, val)
		}
		if other, ok := lower[strings.ToLower(key)]; ok {
			return bad("tag keys %q and %q differ only in case", other, key)
		}
		lower[strings.ToLower(key)] = key
	}
	for _, k := range transitive {
		if _, ok := tags[k]; !ok {
			return bad("transitive tag key %q is not a session tag", k)
		}
	}
	return nil
}

// packedSize implements rows 20-21. The session policy must be a JSON object
// (MalformedPolicyDocument otherwise). PackedPolicySize is
// ceil(100 × plaintext / 2048), plaintext being the compacted policy, the
// policy ARNs and the tag keys and values (AWS's packing is not public:
// docs/aws-behavior.md §3); over 100 is PackedPolicyTooLarge. It returns nil when
// nothing was sent that is packed.
func packedSize(policy string, policyARNs []string, tags map[string]string) (*int, error) {
	n := 0
	if policy != "" {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(policy), &obj); err != nil {
			return nil, &awsapi.Error{Code: awsapi.CodeMalformedPolicyDocument, Status: http.StatusBadRequest,
				Message: msgMalformedPolicy, Err: err}
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(policy)); err != nil {
			return nil, &awsapi.Error{Code: awsapi.CodeMalformedPolicyDocument, Status: http.StatusBadRequest,
				Message: msgMalformedPolicy, Err: err}
		}
		n += buf.Len()
	}
	for _, arn := range policyARNs {
		n += len(arn)
	}
	tagBytes := 0
	for k, v := range tags {
		tagBytes += len(k) + len(v)
	}
	n += tagBytes
	if policy == "" && len(policyARNs) == 0 && len(tags) == 0 {
		return nil, nil
	}
	pct := (100*n + maxPolicyLen - 1) / maxPolicyLen
	if pct > 100 {
		msg := msgPackedPolicy
		if policy == "" && len(policyARNs) == 0 {
			msg = msgPackedTags
		}
		return nil, &awsapi.Error{Code: awsapi.CodePackedPolicyTooLarge, Status: http.StatusBadRequest,
			Message: fmt.Sprintf(msg, pct), Err: fmt.Errorf("%d packed bytes, limit %d", n, maxPolicyLen)}
	}
	return &pct, nil
}
