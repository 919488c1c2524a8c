package xmlsec

import (
	"slices"
	"strings"

	"github.com/beevik/etree"
)

// Inclusive canonicalization (Canonical XML 1.0, W3C REC-xml-c14n-20010315)
// of an element subtree, the document subset an enveloped signature's
// same-document Reference selects. It is written here, beside the exclusive
// form, for the same reason: it works on the parsed tree with no copy, and
// goxmldsig's inclusive canonicalizer departs from the Recommendation where
// an element redeclares a prefix or an xml: attribute its ancestors carry,
// and in the order of attributes from different namespaces (it sorts by
// prefix, not namespace name). A differential test against goxmldsig covers
// the documents where the two agree, and xmlsec1 (libxml2's c14n) checks
// the rest. Attributes are ordered by sortAttrs, as in the exclusive form.
//
// What inclusive c14n adds to the exclusive form, per the Recommendation:
//   - the apex element renders every namespace in scope, used or not, the
//     ones its ancestors declared included (§2.3, §4.5 example 3);
//   - it also carries the xml: attributes (xml:lang, xml:space, …) of its
//     ancestors that it does not override (§2.4 "Document Subsets");
//   - a descendant renders each namespace declaration whose binding differs
//     from its parent's, and xmlns="" only to undo a non-empty default;
//   - attributes are sorted by namespace name, then local name (§2.2).

// canonicalizeInclusive returns the inclusive canonical bytes of el, with
// comments when comments is set; skip, when not nil, is left out with its
// subtree (the enveloped Signature).
func canonicalizeInclusive(buf []byte, el *etree.Element, comments bool, skip *etree.Element) []byte {
	c := canonicalizer{buf: buf[:0], comments: comments, skip: skip}
	var parentScope bindings
	if p := el.Parent(); p != nil {
		parentScope = inScope(p)
	} else {
		parentScope = initialScope()
	}
	c.inclusiveElement(el, parentScope, true)
	return c.buf
}

// defaultNS is the default namespace a scope gives unprefixed names: "" for
// none (the initial scope's placeholder binding to the XML namespace means
// none too).
func defaultNS(scope bindings) string {
	uri, _ := scope.lookup("")
	if uri == nsXML {
		return ""
	}
	return uri
}

// inclusiveElement writes el; parentScope is the namespace scope at its
// parent.
func (c *canonicalizer) inclusiveElement(el *etree.Element, parentScope bindings, apex bool) {
	scope := parentScope
	copied := false
	for _, a := range el.Attr {
		if prefix, ok := nsDecl(a); ok {
			if !copied {
				scope, copied = append(make(bindings, 0, len(parentScope)+4), parentScope...), true
			}
			scope = append(scope, binding{prefix, a.Value})
		}
	}
	scope = scope[:len(scope):len(scope)]

	var decls []binding
	var attrs []etree.Attr
	if apex {
		// Every binding in scope, the nearest declaration of each prefix.
		seen := map[string]bool{}
		for i := len(scope) - 1; i >= 3; i-- { // the three initial bindings are implicit
			b := scope[i]
			if seen[b.prefix] {
				continue
			}
			seen[b.prefix] = true
			if b.prefix == "xml" || b.prefix == "xmlns" || (b.prefix == "" && (b.uri == "" || b.uri == nsXML)) {
				continue
			}
			decls = append(decls, b)
		}
		attrs = inheritedXMLAttrs(el)
	} else {
		for _, a := range el.Attr {
			prefix, ok := nsDecl(a)
			if !ok {
				continue
			}
			if prefix == "" {
				if a.Value != defaultNS(parentScope) {
					decls = append(decls, binding{"", a.Value})
				}
				continue
			}
			if uri, ok := parentScope.lookup(prefix); !ok || uri != a.Value {
				decls = append(decls, binding{prefix, a.Value})
			}
		}
	}
	for _, a := range el.Attr {
		if _, ok := nsDecl(a); !ok {
			attrs = append(attrs, a)
		}
	}
	slices.SortFunc(decls, func(a, b binding) int { return strings.Compare(a.prefix, b.prefix) })
	sortAttrs(attrs, scope)

	c.buf = append(c.buf, '<')
	c.writeName(el.Space, el.Tag)
	for _, d := range decls {
		c.buf = append(c.buf, " xmlns"...)
		if d.prefix != "" {
			c.buf = append(c.buf, ':')
			c.buf = append(c.buf, d.prefix...)
		}
		c.buf = append(c.buf, '=', '"')
		c.escape(d.uri, escAttr)
		c.buf = append(c.buf, '"')
	}
	for _, a := range attrs {
		c.buf = append(c.buf, ' ')
		c.writeName(a.Space, a.Key)
		c.buf = append(c.buf, '=', '"')
		c.escape(a.Value, escAttr)
		c.buf = append(c.buf, '"')
	}
	c.buf = append(c.buf, '>')
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			if t != c.skip {
				c.inclusiveElement(t, scope, false)
			}
		case *etree.CharData:
			c.escape(t.Data, escText)
		case *etree.Comment:
			if c.comments {
				c.buf = append(c.buf, "<!--"...)
				c.comment(t.Data)
				c.buf = append(c.buf, "-->"...)
			}
		}
	}
	c.buf = append(c.buf, '<', '/')
	c.writeName(el.Space, el.Tag)
	c.buf = append(c.buf, '>')
}

// inheritedXMLAttrs returns the xml: attributes of el's ancestors that el
// does not carry itself, the nearest ancestor's value of each.
func inheritedXMLAttrs(el *etree.Element) []etree.Attr {
	var out []etree.Attr
	has := func(key string) bool {
		for _, a := range el.Attr {
			if a.Space == "xml" && a.Key == key {
				return true
			}
		}
		for _, a := range out {
			if a.Key == key {
				return true
			}
		}
		return false
	}
	for p := el.Parent(); p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			if a.Space == "xml" && !has(a.Key) {
				out = append(out, etree.Attr{Space: "xml", Key: a.Key, Value: a.Value})
			}
		}
	}
	return out
}
