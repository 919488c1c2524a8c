package idp

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/certs"
)

// Fault names a deliberate defect injected into a response, for scenarios
// that reproduce real failures. Names are kebab-case; scenario files use
// them (`fault: tamper`). Faults that the signing API cannot express are XML
// surgery before or after signing.
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
	// FaultStaleKey signs with the most recently retired key (the IdP must
	// have rotated at least once).
	FaultStaleKey Fault = "stale-key"
	// FaultNoSignature signs neither the Response nor the Assertion.
	FaultNoSignature Fault = "no-signature"
	// FaultWrongIssuer puts another entityID in both Issuer elements before
	// signing.
	FaultWrongIssuer Fault = "wrong-issuer"
	// FaultWrongAudience puts another value in the AudienceRestriction.
	FaultWrongAudience Fault = "wrong-audience"
	// FaultWrongRecipient puts another URL in SubjectConfirmationData/@Recipient.
	FaultWrongRecipient Fault = "wrong-recipient"
	// FaultMissingRecipient removes SubjectConfirmationData/@Recipient.
	FaultMissingRecipient Fault = "missing-recipient"
	// FaultClockSkew issues the response from a clock running FaultSkew ahead:
	// every instant, NotBefore included, lies in the future.
	FaultClockSkew Fault = "clock-skew"
	// FaultExpired issues the response FaultSkew ago with the default 5-minute
	// lifetime, so it has expired (a captured response replayed too late).
	FaultExpired Fault = "expired"
	// FaultNotYetValid moves only Conditions/@NotBefore FaultSkew into the
	// future.
	FaultNotYetValid Fault = "not-yet-valid"
	// FaultMissingRoleSessionName drops the RoleSessionName attribute.
	FaultMissingRoleSessionName Fault = "missing-role-session-name"
	// FaultMalformedRoleSessionName sends a RoleSessionName with a space and
	// a character AWS does not allow.
	FaultMalformedRoleSessionName Fault = "malformed-role-session-name"
	// FaultMissingRole drops the Role attribute.
	FaultMissingRole Fault = "missing-role"
	// FaultMalformedRole sends Role values that are not "role-arn,provider-arn".
	FaultMalformedRole Fault = "malformed-role"
	// FaultDuplicateAttributes sends the RoleSessionName attribute twice, with
	// different values.
	FaultDuplicateAttributes Fault = "duplicate-attributes"
	// FaultMissingNameID drops the Subject's NameID.
	FaultMissingNameID Fault = "missing-name-id"
)

// FaultSkew is the clock offset used by clock-skew, expired and
// not-yet-valid.
const FaultSkew = 10 * time.Minute

// Values injected by faults.
const (
	FaultIssuer          = "https://wrong-issuer.samlab.test/metadata"
	FaultAudience        = "https://wrong-audience.samlab.test/"
	FaultRecipient       = "https://wrong-recipient.samlab.test/saml"
	FaultRoleSessionName = "alice smith!"
	FaultRoleValue       = "SAMLAdmin"
)

// ErrUnknownFault is returned for a fault name the IdP does not know.
var ErrUnknownFault = errors.New("unknown fault")

// ErrNoPreviousKey is returned by the stale-key fault when the IdP has never
// rotated its key.
var ErrNoPreviousKey = errors.New("no previous signing key: rotate the key first")

var faults = map[Fault]string{
	FaultTamper:                   "change RoleSessionName after signing",
	FaultForeignKey:               "sign with a key never published in metadata",
	FaultStaleKey:                 "sign with the previous (retired) key",
	FaultNoSignature:              "sign nothing",
	FaultWrongIssuer:              "issue under another entityID (" + FaultIssuer + ")",
	FaultWrongAudience:            "set the AudienceRestriction to " + FaultAudience,
	FaultWrongRecipient:           "set SubjectConfirmationData Recipient to " + FaultRecipient,
	FaultMissingRecipient:         "omit SubjectConfirmationData Recipient",
	FaultClockSkew:                "issue from a clock 10 minutes fast (NotBefore in the future)",
	FaultExpired:                  "issue 10 minutes ago with a 5-minute lifetime (expired)",
	FaultNotYetValid:              "set Conditions NotBefore 10 minutes into the future",
	FaultMissingRoleSessionName:   "omit the RoleSessionName attribute",
	FaultMalformedRoleSessionName: "send RoleSessionName " + fmt.Sprintf("%q", FaultRoleSessionName),
	FaultMissingRole:              "omit the Role attribute",
	FaultMalformedRole:            "send Role values without a provider ARN",
	FaultDuplicateAttributes:      "send the RoleSessionName attribute twice",
	FaultMissingNameID:            "omit the Subject NameID",
}

// Faults lists the known fault names with a one-line description each.
func Faults() map[Fault]string {
	out := make(map[Fault]string, len(faults))
	for k, v := range faults {
		out[k] = v
	}
	return out
}

// FaultNames returns the known fault names, sorted.
func FaultNames() []string {
	names := make([]string, 0, len(faults))
	for k := range faults {
		names = append(names, string(k))
	}
	sort.Strings(names)
	return names
}

// ParseFault checks a fault name. The empty name is FaultNone.
func ParseFault(s string) (Fault, error) {
	f := Fault(s)
	if _, ok := faults[f]; ok || f == FaultNone {
		return f, nil
	}
	return "", fmt.Errorf("%w %q (known: %s)", ErrUnknownFault, s, strings.Join(FaultNames(), ", "))
}

// FaultyResponse builds an AWS response for u with fault f injected. opts'
// own EditAssertion and EditResponse still run (after the fault's edits).
func (s *Server) FaultyResponse(u User, opts ResponseOptions, f Fault) (*Response, error) {
	wrap := func(err error) error { return fmt.Errorf("idp: fault %s: %w", f, err) }
	editA := func(edit func(a *etree.Element)) {
		prev := opts.EditAssertion
		opts.EditAssertion = func(a *etree.Element) {
			edit(a)
			if prev != nil {
				prev(a)
			}
		}
	}
	now := opts.Now
	if now.IsZero() {
		now = s.now()
	}
	switch f {
	case FaultNone:
	case FaultTamper:
		doc, resp, err := s.ResponseDocument(u, opts)
		if err != nil {
			return nil, err
		}
		changed := false
		for _, a := range attributesNamed(doc.Root(), AttrRoleSessionName) {
			for _, v := range a.ChildElements() {
				v.SetText(v.Text() + "-tampered")
				changed = true
			}
		}
		if !changed {
			return nil, wrap(errors.New("no RoleSessionName to change (is the assertion encrypted?)"))
		}
		return finish(doc, resp)
	case FaultForeignKey:
		kp, err := certs.New(certs.WithKeySource(s.keys), certs.WithSubject(s.cfg.EntityID), certs.WithNow(s.now), certs.WithRand(s.rand))
		if err != nil {
			return nil, wrap(err)
		}
		opts.Key = kp
	case FaultStaleKey:
		if opts.Key = s.PreviousKey(); opts.Key == nil {
			return nil, wrap(ErrNoPreviousKey)
		}
	case FaultNoSignature:
		no := Sign(false, false)
		opts.Signing = &no
	case FaultWrongIssuer:
		editA(func(a *etree.Element) { setIssuer(a, FaultIssuer) })
		prev := opts.EditResponse
		opts.EditResponse = func(r *etree.Element) {
			setIssuer(r, FaultIssuer)
			if prev != nil {
				prev(r)
			}
		}
	case FaultWrongAudience:
		opts.Audience = FaultAudience
	case FaultWrongRecipient:
		editA(func(a *etree.Element) {
			for _, d := range descendants(a, "SubjectConfirmationData") {
				d.CreateAttr("Recipient", FaultRecipient)
			}
		})
	case FaultMissingRecipient:
		editA(func(a *etree.Element) {
			for _, d := range descendants(a, "SubjectConfirmationData") {
				d.RemoveAttr("Recipient")
			}
		})
	case FaultClockSkew:
		opts.Now = now.Add(FaultSkew)
	case FaultExpired:
		opts.Now = now.Add(-FaultSkew)
		opts.Lifetime = defaultAssertionLifetime
	case FaultNotYetValid:
		nb := now.Add(FaultSkew).UTC().Format("2006-01-02T15:04:05.000Z")
		editA(func(a *etree.Element) {
			for _, c := range descendants(a, "Conditions") {
				c.CreateAttr("NotBefore", nb)
			}
		})
	case FaultMissingRoleSessionName:
		editA(func(a *etree.Element) { removeAll(attributesNamed(a, AttrRoleSessionName)) })
	case FaultMalformedRoleSessionName:
		opts.RoleSessionName = FaultRoleSessionName
	case FaultMissingRole:
		editA(func(a *etree.Element) { removeAll(attributesNamed(a, AttrRole)) })
	case FaultMalformedRole:
		editA(func(a *etree.Element) {
			for _, at := range attributesNamed(a, AttrRole) {
				for _, v := range at.ChildElements() {
					v.SetText(FaultRoleValue)
				}
			}
		})
	case FaultDuplicateAttributes:
		editA(func(a *etree.Element) {
			for _, at := range attributesNamed(a, AttrRoleSessionName) {
				dup := at.Copy()
				for _, v := range dup.ChildElements() {
					v.SetText(v.Text() + "-duplicate")
				}
				at.Parent().InsertChildAt(at.Index()+1, dup)
			}
		})
	case FaultMissingNameID:
		editA(func(a *etree.Element) { removeAll(descendants(a, "NameID")) })
	default:
		_, err := ParseFault(string(f))
		return nil, err
	}
	return s.AWSResponse(u, opts)
}

// descendants returns el's descendants in the SAML assertion or protocol
// namespace with the given local name, in document order.
func descendants(el *etree.Element, local string) []*etree.Element {
	var out []*etree.Element
	var walk func(*etree.Element)
	walk = func(e *etree.Element) {
		for _, c := range e.ChildElements() {
			if c.Tag == local && (c.NamespaceURI() == nsAssertion || c.NamespaceURI() == nsProtocol) {
				out = append(out, c)
			}
			walk(c)
		}
	}
	walk(el)
	return out
}

func attributesNamed(el *etree.Element, name string) []*etree.Element {
	var out []*etree.Element
	for _, a := range descendants(el, "Attribute") {
		if a.SelectAttrValue("Name", "") == name {
			out = append(out, a)
		}
	}
	return out
}

func removeAll(els []*etree.Element) {
	for _, e := range els {
		if p := e.Parent(); p != nil {
			p.RemoveChild(e)
		}
	}
}

// setIssuer changes el's own Issuer child (not those of nested elements).
func setIssuer(el *etree.Element, v string) {
	for _, c := range el.ChildElements() {
		if c.Tag == "Issuer" && c.NamespaceURI() == nsAssertion {
			c.SetText(v)
		}
	}
}
