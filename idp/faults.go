package idp

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/samlab-dev/samlab/certs"
)

// Fault names a deliberate defect injected into a response, for scenarios
// that reproduce real failures. Faults that the signing API cannot express are
// XML surgery after signing.
type Fault string

// Faults.
const (
	// FaultNone produces a correct response.
	FaultNone Fault = ""
	// FaultTamper changes the RoleSessionName value after signing, so the
	// digest no longer matches.
	FaultTamper Fault = "tamper"
	// FaultForeignKey signs with a freshly made key that no metadata ever
	// published.
	FaultForeignKey Fault = "foreign-key"
)

// ErrUnknownFault is returned for a fault name the IdP does not know.
var ErrUnknownFault = errors.New("unknown fault")

var faults = map[Fault]string{
	FaultTamper:     "change RoleSessionName after signing",
	FaultForeignKey: "sign with a key never published in metadata",
}

// Faults lists the known fault names with a one-line description each.
func Faults() map[Fault]string {
	out := make(map[Fault]string, len(faults))
	for k, v := range faults {
		out[k] = v
	}
	return out
}

// ParseFault checks a fault name.
func ParseFault(s string) (Fault, error) {
	f := Fault(s)
	if _, ok := faults[f]; ok || f == FaultNone {
		return f, nil
	}
	names := make([]string, 0, len(faults))
	for k := range faults {
		names = append(names, string(k))
	}
	sort.Strings(names)
	return "", fmt.Errorf("%w %q (known: %s)", ErrUnknownFault, s, strings.Join(names, ", "))
}

// FaultyResponse builds a response for u with fault f injected.
func (s *Server) FaultyResponse(u User, opts ResponseOptions, f Fault) (*Response, error) {
	switch f {
	case FaultNone:
		return s.AWSResponse(u, opts)
	case FaultForeignKey:
		kp, err := certs.New(certs.WithKeySource(s.keys), certs.WithSubject("foreign"), certs.WithNow(s.now))
		if err != nil {
			return nil, fmt.Errorf("idp: fault %s: %w", f, err)
		}
		opts.Key = kp
		return s.AWSResponse(u, opts)
	case FaultTamper:
		doc, resp, err := s.ResponseDocument(u, opts)
		if err != nil {
			return nil, err
		}
		changed := false
		for _, a := range doc.FindElements("//Attribute") {
			if a.SelectAttrValue("Name", "") == AttrRoleSessionName {
				for _, v := range a.ChildElements() {
					v.SetText(v.Text() + "-tampered")
					changed = true
				}
			}
		}
		if !changed {
			return nil, fmt.Errorf("idp: fault %s: no RoleSessionName to change", f)
		}
		if resp.XML, err = doc.WriteToBytes(); err != nil {
			return nil, err
		}
		return resp, nil
	}
	_, err := ParseFault(string(f))
	return nil, err
}
