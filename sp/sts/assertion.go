package sts

import (
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/awssaml"
	"github.com/samlab-dev/samlab/internal/xmlsec"
)

// AWS attribute names (package awssaml).
const (
	attrRole              = awssaml.AttrRole
	attrRoleSessionName   = awssaml.AttrRoleSessionName
	attrSessionDuration   = awssaml.AttrSessionDuration
	attrSourceIdentity    = awssaml.AttrSourceIdentity
	attrTransitiveTagKeys = awssaml.AttrTransitiveTagKeys
	attrPrincipalTag      = awssaml.AttrPrincipalTagPrefix
)

// Assertion is what STS reads from a verified SAML assertion.
type Assertion struct {
	ID, Issuer             string
	IssueInstant           time.Time
	NameID, NameIDFormat   string
	HasSubjectConfirmation bool
	// Recipient and SubjectNotOnOrAfter come from the first bearer
	// SubjectConfirmation's SubjectConfirmationData.
	Recipient               string
	SubjectNotOnOrAfter     time.Time
	NotBefore, NotOnOrAfter time.Time
	// AudienceRestrictions holds each AudienceRestriction's Audience values.
	AudienceRestrictions [][]string
	SessionNotOnOrAfter  time.Time
	// Attributes maps attribute Name to its values, in document order. Values
	// are kept byte for byte (whitespace included).
	Attributes map[string][]string
}

// Audiences returns every Audience value of every AudienceRestriction.
func (a *Assertion) Audiences() []string {
	var out []string
	for _, r := range a.AudienceRestrictions {
		out = append(out, r...)
	}
	return out
}

func rawText(el *etree.Element) string { return xmlsec.RawText(el) }

func text(el *etree.Element) string { return xmlsec.Text(el) }

func childNS(el *etree.Element, ns, local string) *etree.Element { return xmlsec.Child(el, ns, local) }

func childrenNS(el *etree.Element, ns, local string) []*etree.Element {
	return xmlsec.Children(el, ns, local)
}

func parseTime(el *etree.Element, attr string) (time.Time, error) {
	v := attrValue(el, attr)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s/@%s: %w", el.Tag, attr, err)
	}
	return t, nil
}

// attrValue returns el's unprefixed attribute key, or "". SAML's attributes
// are unprefixed; a prefixed look-alike (x:Name) is ignored.
func attrValue(el *etree.Element, key string) string { return xmlsec.AttrValue(el, key) }

// readAssertion extracts the fields STS uses from a verified Assertion
// element, as strings of their own.
func readAssertion(a *etree.Element) (*Assertion, error) {
	out := &Assertion{ID: keep(attrValue(a, "ID")), Issuer: keep(text(childNS(a, nsAssertion, "Issuer"))),
		Attributes: map[string][]string{}}
	var err error
	if out.IssueInstant, err = parseTime(a, "IssueInstant"); err != nil {
		return nil, err
	}
	if subj := childNS(a, nsAssertion, "Subject"); subj != nil {
		if nid := childNS(subj, nsAssertion, "NameID"); nid != nil {
			out.NameID = keep(text(nid))
			out.NameIDFormat = keep(attrValue(nid, "Format"))
		}
		for _, sc := range childrenNS(subj, nsAssertion, "SubjectConfirmation") {
			if attrValue(sc, "Method") != "urn:oasis:names:tc:SAML:2.0:cm:bearer" {
				continue
			}
			out.HasSubjectConfirmation = true
			if scd := childNS(sc, nsAssertion, "SubjectConfirmationData"); scd != nil {
				out.Recipient = keep(strings.TrimSpace(attrValue(scd, "Recipient")))
				if out.SubjectNotOnOrAfter, err = parseTime(scd, "NotOnOrAfter"); err != nil {
					return nil, err
				}
			}
			break
		}
	}
	if c := childNS(a, nsAssertion, "Conditions"); c != nil {
		if out.NotBefore, err = parseTime(c, "NotBefore"); err != nil {
			return nil, err
		}
		if out.NotOnOrAfter, err = parseTime(c, "NotOnOrAfter"); err != nil {
			return nil, err
		}
		for _, ar := range childrenNS(c, nsAssertion, "AudienceRestriction") {
			var auds []string
			for _, au := range childrenNS(ar, nsAssertion, "Audience") {
				auds = append(auds, keep(text(au)))
			}
			out.AudienceRestrictions = append(out.AudienceRestrictions, auds)
		}
	}
	for _, as := range childrenNS(a, nsAssertion, "AuthnStatement") {
		t, err := parseTime(as, "SessionNotOnOrAfter")
		if err != nil {
			return nil, err
		}
		if !t.IsZero() && (out.SessionNotOnOrAfter.IsZero() || t.Before(out.SessionNotOnOrAfter)) {
			out.SessionNotOnOrAfter = t
		}
	}
	for _, st := range childrenNS(a, nsAssertion, "AttributeStatement") {
		for _, at := range childrenNS(st, nsAssertion, "Attribute") {
			name := keep(attrValue(at, "Name"))
			vals := out.Attributes[name]
			for _, v := range childrenNS(at, nsAssertion, "AttributeValue") {
				vals = append(vals, keep(rawText(v)))
			}
			out.Attributes[name] = vals
		}
	}
	return out, nil
}

// keep copies a string read from a parsed tree: such strings may share
// memory with the whole document (see xmlsec.Parse), and what STS reads can
// outlive the request (a session keeps its name, tags and source identity).
func keep(s string) string { return strings.Clone(s) }

// claimKeys returns the trust-policy condition keys an assertion attribute
// feeds (IAM UG "Configure SAML assertions", mapping table; UG-CK lists which
// keys are multi-valued). The X.500 names are listed as the guide spells
// them, "2.4.5.42" included, with and without "urn:oid:"; 2.5.4.3 feeds both
// SAML:cn and SAML:commonName.
func claimKeys(name string) []string {
	switch name {
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.1":
		return []string{"SAML:edupersonaffiliation"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.2":
		return []string{"SAML:edupersonnickname"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.3":
		return []string{"SAML:edupersonorgdn"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.4":
		return []string{"SAML:edupersonorgunitdn"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.5":
		return []string{"SAML:edupersonprimaryaffiliation"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.6":
		return []string{"SAML:edupersonprincipalname"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.7":
		return []string{"SAML:edupersonentitlement"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.8":
		return []string{"SAML:edupersonprimaryorgunitdn"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.9":
		return []string{"SAML:edupersonscopedaffiliation"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.10":
		return []string{"SAML:edupersontargetedid"}
	case "urn:oid:1.3.6.1.4.1.5923.1.1.1.11":
		return []string{"SAML:edupersonassurance"}
	case "urn:oid:1.3.6.1.4.1.5923.1.2.1.2":
		return []string{"SAML:eduorghomepageuri"}
	case "urn:oid:1.3.6.1.4.1.5923.1.2.1.3":
		return []string{"SAML:eduorglegalname"}
	case "urn:oid:1.3.6.1.4.1.5923.1.2.1.10":
		return []string{"SAML:eduorgidentityauthnpolicyuri"}
	case "urn:oid:1.3.6.1.4.1.5923.1.2.1.11":
		return []string{"SAML:eduorgsuperioruri"}
	case "urn:oid:1.3.6.1.4.1.5923.1.2.1.12":
		return []string{"SAML:eduorgwhitepagesuri"}
	case "urn:oid:2.5.4.3":
		return []string{"SAML:cn", "SAML:commonName"}
	case "2.5.4.3", "http://schemas.xmlsoap.org/claims/CommonName":
		return []string{"SAML:commonName"}
	case "urn:oid:2.5.4.4", "2.5.4.4", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname":
		return []string{"SAML:surname"}
	case "urn:oid:2.4.5.42", "2.4.5.42", "urn:oid:2.5.4.42", "2.5.4.42", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname":
		return []string{"SAML:givenName"}
	case "urn:oid:2.5.4.45", "2.5.4.45":
		return []string{"SAML:x500UniqueIdentifier"}
	case "urn:oid:0.9.2342.19200300100.1.1", "0.9.2342.19200300100.1.1":
		return []string{"SAML:uid"}
	case "urn:oid:0.9.2342.19200300100.1.3", "0.9.2342.19200300100.1.3", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress":
		return []string{"SAML:mail"}
	case "urn:oid:0.9.2342.19200300100.1.45", "0.9.2342.19200300100.1.45":
		return []string{"SAML:organizationStatus"}
	case "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name":
		return []string{"SAML:name"}
	case "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid":
		return []string{"SAML:primaryGroupSID"}
	}
	return nil
}

// requestContext holds what the trust policy's condition keys are computed
// from besides the assertion itself.
type requestContext struct {
	subjectType, nameQualifier, doc string
	tags                            map[string]string
	transitive                      []string
	sourceIdentity                  string
}

// conditionContext returns the trust-policy condition keys of an
// AssumeRoleWithSAML request (UG-CK "condition-keys-saml", UG-TAGS). SAML:aud
// is the Recipient, not the AudienceRestriction. Key names are matched
// case-insensitively by the evaluator.
func conditionContext(a *Assertion, rc requestContext) map[string][]string {
	ctx := map[string][]string{
		"SAML:aud":           {a.Recipient},
		"SAML:iss":           {a.Issuer},
		"SAML:sub":           {a.NameID},
		"SAML:sub_type":      {rc.subjectType},
		"SAML:namequalifier": {rc.nameQualifier},
		"SAML:doc":           {rc.doc},
	}
	for name, vals := range a.Attributes {
		for _, k := range claimKeys(name) {
			ctx[k] = append(ctx[k], vals...)
		}
	}
	if len(rc.tags) > 0 {
		keys := make([]string, 0, len(rc.tags))
		for k, v := range rc.tags {
			ctx["aws:RequestTag/"+k] = []string{v}
			keys = append(keys, k)
		}
		ctx["aws:TagKeys"] = keys
	}
	if len(rc.transitive) > 0 {
		ctx["sts:TransitiveTagKeys"] = rc.transitive
	}
	if rc.sourceIdentity != "" {
		ctx["sts:SourceIdentity"] = []string{rc.sourceIdentity}
	}
	return ctx
}
