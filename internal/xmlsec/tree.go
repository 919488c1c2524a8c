package xmlsec

import (
	"strings"

	"github.com/beevik/etree"
)

// Namespaces (SAML Core §1.2, XML Signature §4, XML Encryption §3, Exclusive
// XML Canonicalization §3, Namespaces in XML §3).
const (
	NSProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	NSAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	NSDSig      = "http://www.w3.org/2000/09/xmldsig#"
	NSXMLEnc    = "http://www.w3.org/2001/04/xmlenc#"
	nsExcC14N   = "http://www.w3.org/2001/10/xml-exc-c14n#"
	nsXML       = "http://www.w3.org/XML/1998/namespace"
	nsXMLNS     = "http://www.w3.org/2000/xmlns/"
)

// Children returns el's child elements with the given namespace name and
// local name. Namespaces are resolved, never matched by prefix.
func Children(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, t := range el.Child {
		if c, ok := t.(*etree.Element); ok && Is(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}

// Child returns el's first child element with the given namespace name and
// local name, or nil.
func Child(el *etree.Element, ns, local string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, t := range el.Child {
		if c, ok := t.(*etree.Element); ok && Is(c, ns, local) {
			return c
		}
	}
	return nil
}

// Is reports whether el is the element {ns}local.
func Is(el *etree.Element, ns, local string) bool {
	return el != nil && el.Tag == local && el.NamespaceURI() == ns
}

// Attr returns the value of el's attribute key that has no namespace prefix,
// as SAML and XML Signature attributes are, and whether it is present. A
// prefixed look-alike (x:Name) is ignored.
func Attr(el *etree.Element, key string) (string, bool) {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// AttrValue is Attr without the presence flag.
func AttrValue(el *etree.Element, key string) string {
	v, _ := Attr(el, key)
	return v
}

// RawText returns the element's character data, concatenating every text
// token and ignoring comments, so "ad<!---->min" reads as the signed value
// "admin".
func RawText(el *etree.Element) string {
	if el == nil {
		return ""
	}
	var only *etree.CharData
	n := 0
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			only = cd
			n++
		}
	}
	switch n {
	case 0:
		return ""
	case 1:
		return only.Data
	}
	var sb strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			sb.WriteString(cd.Data)
		}
	}
	return sb.String()
}

// Text is RawText without surrounding whitespace.
func Text(el *etree.Element) string { return strings.TrimSpace(RawText(el)) }

// walk calls f for el and its descendants in document order until f returns
// false. The parser bounds the depth, so recursion is safe.
func walk(el *etree.Element, f func(*etree.Element) bool) bool {
	if !f(el) {
		return false
	}
	for _, t := range el.Child {
		if c, ok := t.(*etree.Element); ok && !walk(c, f) {
			return false
		}
	}
	return true
}

// nsDecl reports whether a declares a namespace, and for which prefix ("" for
// the default namespace).
func nsDecl(a etree.Attr) (string, bool) {
	switch {
	case a.Space == "xmlns":
		return a.Key, true
	case a.Space == "" && a.Key == "xmlns":
		return "", true
	}
	return "", false
}
