package awsapi

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Request is a decoded AWS Query-protocol request: the Action and Version
// that selected the operation, its parameters and who sent it.
type Request struct {
	Action  string
	Version string
	// Params holds the request's parameters: the query string merged with a
	// form-encoded body, Action and Version included.
	Params url.Values
	// Caller is the verified identity of a signed request; the zero value for
	// an anonymous one.
	Caller Caller
	// RequestID is the x-amzn-RequestId of the response.
	RequestID string
	// Time is when the request arrived, on the router's clock.
	Time time.Time
	// SourceIP is the client's address, without the port.
	SourceIP string
	// Account is the account that serves the request, when an operation
	// knows it better than the caller's (an anonymous AssumeRoleWithSAML is
	// the role's account's); "" means the caller's. The event records it as
	// recipientAccountId.
	Account string

	notes map[string]string
}

// Note attaches key=value to the request's event record (CloudTrail's
// requestParameters, roughly). Handlers use it to record what a call was
// about: the role ARN, the provider, the subject of an assertion.
func (r *Request) Note(key, value string) {
	if value == "" {
		return
	}
	if r.notes == nil {
		r.notes = map[string]string{}
	}
	r.notes[key] = value
}

// Get returns the parameter name, or "" when absent.
func (r *Request) Get(name string) string { return r.Params.Get(name) }

// Has reports whether the parameter name is present (possibly empty).
func (r *Request) Has(name string) bool { _, ok := r.Params[name]; return ok }

// Required returns the parameter name, or the ValidationError AWS's Coral
// services send for a missing member ("Value null at 'x' failed to satisfy
// constraint: Member must not be null"). member is the member's name as AWS
// spells it in messages (lower camel case: 'sAMLProviderArn').
func (r *Request) Required(name, member string) (string, error) {
	v, ok := r.Params[name]
	if !ok || len(v) == 0 {
		return "", NullMember(member)
	}
	return v[0], nil
}

// NullMember is the ValidationError for a required member that is absent.
func NullMember(member string) *Error {
	return Errorf(CodeValidation, http.StatusBadRequest,
		"1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

// Int returns the integer parameter name, nil when absent, or a
// ValidationError naming member when it is not an integer.
func (r *Request) Int(name, member string) (*int, error) {
	if !r.Has(name) {
		return nil, nil
	}
	n, err := strconv.Atoi(r.Get(name))
	if err != nil {
		return nil, &Error{Code: CodeValidation, Status: http.StatusBadRequest, Err: err,
			Message: fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must be an integer", r.Get(name), member)}
	}
	return &n, nil
}

// List returns the members of the Query list prefix, serialized as
// prefix.member.1, prefix.member.2, … (1-based, in index order). sub selects a
// field of structure members ("arn" for PolicyArns.member.N.arn); "" reads
// scalar members. Gaps in the numbering are skipped, as AWS does.
func (r *Request) List(prefix, sub string) []string {
	idx := r.memberIndexes(prefix)
	out := make([]string, 0, len(idx))
	for _, i := range idx {
		key := fmt.Sprintf("%s.member.%d", prefix, i)
		if sub != "" {
			key += "." + sub
		}
		if r.Has(key) {
			out = append(out, r.Get(key))
		}
	}
	return out
}

// Tag is an IAM or STS tag.
type Tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// Tags returns the tag list prefix (Tags.member.N.Key / .Value). A member
// with a Value but no Key is a ValidationError.
func (r *Request) Tags(prefix string) ([]Tag, error) {
	idx := r.memberIndexes(prefix)
	out := make([]Tag, 0, len(idx))
	for _, i := range idx {
		base := fmt.Sprintf("%s.member.%d", prefix, i)
		if !r.Has(base + ".Key") {
			return nil, Errorf(CodeValidation, http.StatusBadRequest,
				"1 validation error detected: Value null at '%s.%d.member.key' failed to satisfy constraint: Member must not be null",
				lowerFirst(prefix), i)
		}
		out = append(out, Tag{Key: r.Get(base + ".Key"), Value: r.Get(base + ".Value")})
	}
	return out, nil
}

// memberIndexes returns the sorted distinct N of parameters prefix.member.N[.…].
func (r *Request) memberIndexes(prefix string) []int {
	seen := map[int]bool{}
	p := prefix + ".member."
	for k := range r.Params {
		rest, ok := strings.CutPrefix(k, p)
		if !ok {
			continue
		}
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			rest = rest[:i]
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 {
			continue
		}
		seen[n] = true
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
