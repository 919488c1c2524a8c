package sts

import (
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// AWS attribute names (IAM UG "Configure SAML assertions").
const (
	attrRole              = "https://aws.amazon.com/SAML/Attributes/Role"
	attrRoleSessionName   = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	attrSessionDuration   = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	attrSourceIdentity    = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
	attrTransitiveTagKeys = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
	attrPrincipalTag      = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
)

// Assertion is what STS reads from a verified SAML assertion.
type Assertion struct {
	ID, Issuer              string
	IssueInstant            time.Time
	NameID, NameIDFormat    string
	HasSubjectConfirmation  bool
	Recipient               string
	SubjectNotOnOrAfter     time.Time
	NotBefore, NotOnOrAfter time.Time
	Audiences               []string
	SessionNotOnOrAfter     time.Time
	// Attributes maps attribute Name to its values, in document order.
	Attributes map[string][]string
}

// text returns the element's character data, concatenating every text token
// and ignoring comments, so "ad<!---->min" reads as the signed value "admin".
func text(el *etree.Element) string {
	if el == nil {
		return ""
	}
	var sb strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			sb.WriteString(cd.Data)
		}
	}
	return strings.TrimSpace(sb.String())
}

func parseTime(el *etree.Element, attr string) (time.Time, error) {
	v := el.SelectAttrValue(attr, "")
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s/@%s: %w", el.Tag, attr, err)
	}
	return t, nil
}

// readAssertion extracts the fields STS uses from a verified Assertion element.
func readAssertion(a *etree.Element) (*Assertion, error) {
	out := &Assertion{ID: a.SelectAttrValue("ID", ""), Issuer: text(childNS(a, nsAssertion, "Issuer")),
		Attributes: map[string][]string{}}
	var err error
	if out.IssueInstant, err = parseTime(a, "IssueInstant"); err != nil {
		return nil, err
	}
	if subj := childNS(a, nsAssertion, "Subject"); subj != nil {
		if nid := childNS(subj, nsAssertion, "NameID"); nid != nil {
			out.NameID = text(nid)
			out.NameIDFormat = nid.SelectAttrValue("Format", "")
		}
		for _, sc := range childrenNS(subj, nsAssertion, "SubjectConfirmation") {
			if sc.SelectAttrValue("Method", "") != "urn:oasis:names:tc:SAML:2.0:cm:bearer" {
				continue
			}
			scd := childNS(sc, nsAssertion, "SubjectConfirmationData")
			if scd == nil {
				continue
			}
			out.HasSubjectConfirmation = true
			out.Recipient = scd.SelectAttrValue("Recipient", "")
			if out.SubjectNotOnOrAfter, err = parseTime(scd, "NotOnOrAfter"); err != nil {
				return nil, err
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
			for _, au := range childrenNS(ar, nsAssertion, "Audience") {
				out.Audiences = append(out.Audiences, text(au))
			}
		}
	}
	for _, as := range childrenNS(a, nsAssertion, "AuthnStatement") {
		if out.SessionNotOnOrAfter, err = parseTime(as, "SessionNotOnOrAfter"); err != nil {
			return nil, err
		}
	}
	for _, st := range childrenNS(a, nsAssertion, "AttributeStatement") {
		for _, at := range childrenNS(st, nsAssertion, "Attribute") {
			name := at.SelectAttrValue("Name", "")
			vals := out.Attributes[name]
			for _, v := range childrenNS(at, nsAssertion, "AttributeValue") {
				vals = append(vals, text(v))
			}
			out.Attributes[name] = vals
		}
	}
	return out, nil
}
