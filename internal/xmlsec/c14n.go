package xmlsec

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// binding is one namespace prefix bound to a namespace name.
type binding struct{ prefix, uri string }

// bindings is a namespace scope: later entries shadow earlier ones.
type bindings []binding

func (b bindings) lookup(prefix string) (string, bool) {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i].prefix == prefix {
			return b[i].uri, true
		}
	}
	return "", false
}

// with returns b plus one binding, never writing into b's backing array.
func (b bindings) with(prefix, uri string) bindings {
	return append(b[:len(b):len(b)], binding{prefix, uri})
}

// initialScope is goxmldsig's default namespace context (etreeutils
// NewDefaultNSContext), quirks included: the default namespace starts bound
// to the XML namespace, which only ever means "no xmlns to render".
func initialScope() bindings {
	return bindings{{"", nsXML}, {"xml", nsXML}, {"xmlns", nsXMLNS}}
}

// inScope returns the namespace bindings in scope at el, from the document
// root down (el's own declarations last).
func inScope(el *etree.Element) bindings {
	var chain []*etree.Element
	for p := el; p != nil; p = p.Parent() {
		chain = append(chain, p)
	}
	scope := append(make(bindings, 0, 16), initialScope()...)
	for i := len(chain) - 1; i >= 0; i-- {
		for _, a := range chain[i].Attr {
			if prefix, ok := nsDecl(a); ok {
				scope = append(scope, binding{prefix, a.Value})
			}
		}
	}
	return scope[:len(scope):len(scope)]
}

// canonicalizer writes the exclusive XML canonicalization (Exclusive XML
// Canonicalization 1.0) of an element subtree, as the Recommendation defines
// it and libxml2 (xmlsec1) computes it. For the documents SAML IdPs send,
// that is byte for byte what goxmldsig's
// MakeC14N10Exclusive[WithComments]CanonicalizerWithPrefixList computes for
// the element detached with every namespace in scope (etreeutils
// NSDetatch); goxmldsig departs from the Recommendation in two places, and
// there the Recommendation is followed, as Java and .NET verifiers do: it
// orders attributes from different namespaces by prefix and local name
// instead of namespace name, and it writes xmlns="" on an unprefixed
// element whose output ancestors rendered no default namespace. It works on
// the tree as parsed, with no copy, and can leave out one element (the
// enveloped Signature).
type canonicalizer struct {
	buf       []byte
	inclusive []string // InclusiveNamespaces PrefixList
	comments  bool
	skip      *etree.Element
	attrs     []etree.Attr // scratch
}

// canonicalize returns the canonical bytes of el. PrefixList is the exclusive
// c14n transform's InclusiveNamespaces PrefixList; skip, when not nil, is
// left out with its subtree.
func canonicalize(buf []byte, el *etree.Element, prefixList string, comments bool, skip *etree.Element) []byte {
	c := canonicalizer{buf: buf[:0], inclusive: strings.Fields(prefixList), comments: comments, skip: skip}
	// The root behaves as if every namespace in scope were declared on it,
	// as after NSDetatch.
	scope := inScope(el)
	var rootDecls bindings
	seen := map[string]bool{}
	for i := len(scope) - 1; i >= 3; i-- { // the three initial bindings are implicit
		if b := scope[i]; !seen[b.prefix] {
			seen[b.prefix] = true
			if b.prefix != "xml" && b.prefix != "xmlns" && !(b.prefix == "" && b.uri == nsXML) {
				rootDecls = append(rootDecls, b)
			}
		}
	}
	c.element(el, scope, initialScope(), rootDecls, true)
	return c.buf
}

func (c *canonicalizer) isInclusive(prefix string) bool {
	for _, p := range c.inclusive {
		if p == prefix {
			return true
		}
	}
	return false
}

// element writes el. scope is the namespace scope at el (el's declarations
// included); rendered holds the bindings output ancestors rendered. At the
// root, rootDecls stand in for el's own declarations.
func (c *canonicalizer) element(el *etree.Element, scope, rendered bindings, rootDecls bindings, root bool) {
	if !root {
		copied := false
		for _, a := range el.Attr {
			if prefix, ok := nsDecl(a); ok {
				if !copied {
					scope, copied = append(make(bindings, 0, len(scope)+4), scope...), true
				}
				scope = append(scope, binding{prefix, a.Value})
			}
		}
		scope = scope[:len(scope):len(scope)]
	}
	// Visibly utilized prefixes: the element's own, its attributes', and
	// the declarations it carries whose prefix the PrefixList names.
	var used [8]string
	utilized := append(used[:0], el.Space)
	add := func(p string) {
		for _, u := range utilized {
			if u == p {
				return
			}
		}
		utilized = append(utilized, p)
	}
	attrs := c.attrs[:0]
	if root {
		for _, d := range rootDecls {
			if d.prefix != "" && c.isInclusive(d.prefix) {
				add(d.prefix)
			}
		}
	}
	for _, a := range el.Attr {
		if prefix, ok := nsDecl(a); ok {
			if !root && prefix != "" && c.isInclusive(prefix) {
				add(prefix)
			}
			continue
		}
		if a.Space != "" {
			add(a.Space)
		}
		attrs = append(attrs, a)
	}
	for _, p := range utilized {
		uri, ok := scope.lookup(p)
		if !ok {
			continue // the parser refuses undeclared prefixes
		}
		r, _ := rendered.lookup(p)
		if r == uri || (p == "" && isNoNamespace(uri) && isNoNamespace(r)) {
			continue // rendered already, or no default namespace to undo
		}
		rendered = rendered.with(p, uri) // copies: siblings share the parent's
		if p == "" {
			attrs = append(attrs, etree.Attr{Key: "xmlns", Value: uri})
		} else {
			attrs = append(attrs, etree.Attr{Space: "xmlns", Key: p, Value: uri})
		}
	}
	if len(attrs) > 1 {
		sortAttrs(attrs, scope)
	}

	c.buf = append(c.buf, '<')
	c.writeName(el.Space, el.Tag)
	for _, a := range attrs {
		c.buf = append(c.buf, ' ')
		c.writeName(a.Space, a.Key)
		c.buf = append(c.buf, '=', '"')
		c.escape(a.Value, escAttr)
		c.buf = append(c.buf, '"')
	}
	c.buf = append(c.buf, '>')
	c.attrs = attrs[:0]
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			if t != c.skip {
				c.element(t, scope, rendered, nil, false)
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

// isNoNamespace reports whether a default-namespace binding means none: ""
// (xmlns="") or the initial scope's placeholder.
func isNoNamespace(uri string) bool { return uri == "" || uri == nsXML }

// sortAttrs orders an element's attributes as Canonical XML does (§2.2,
// which exclusive c14n keeps): namespace declarations first, the default
// one first and the others by prefix, then the other attributes by
// namespace name (none first) and local name. scope resolves the
// attributes' prefixes.
func sortAttrs(attrs []etree.Attr, scope bindings) {
	rank := func(a etree.Attr) int {
		switch {
		case a.Space == "" && a.Key == "xmlns":
			return 0
		case a.Space == "xmlns":
			return 1
		}
		return 2
	}
	nsName := func(a etree.Attr) string {
		if a.Space == "" {
			return ""
		}
		uri, _ := scope.lookup(a.Space)
		return uri
	}
	slices.SortStableFunc(attrs, func(a, b etree.Attr) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return cmp.Compare(ra, rb)
		}
		if rank(a) == 2 {
			if c := strings.Compare(nsName(a), nsName(b)); c != 0 {
				return c
			}
		}
		return strings.Compare(a.Key, b.Key)
	})
}

func (c *canonicalizer) writeName(space, local string) {
	if space != "" {
		c.buf = append(c.buf, space...)
		c.buf = append(c.buf, ':')
	}
	c.buf = append(c.buf, local...)
}

type escapeMode int

const (
	escText escapeMode = iota
	escAttr
)

// escape writes s as etree's canonical text or attribute escaping does
// (C14N §2.3: &, <, > and CR in text; &, <, ", TAB, LF and CR in attribute
// values), replacing characters outside XML's range as etree does.
func (c *canonicalizer) escape(s string, m escapeMode) {
	last := 0
	for i := 0; i < len(s); {
		r, width := utf8.DecodeRuneInString(s[i:])
		i += width
		var esc string
		switch r {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			if m == escAttr {
				continue
			}
			esc = "&gt;"
		case '"':
			if m == escText {
				continue
			}
			esc = "&quot;"
		case '\t':
			if m != escAttr {
				continue
			}
			esc = "&#x9;"
		case '\n':
			if m != escAttr {
				continue
			}
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			if !inCharacterRange(r) || (r == utf8.RuneError && width == 1) {
				esc = "\uFFFD"
				break
			}
			continue
		}
		c.buf = append(c.buf, s[last:i-width]...)
		c.buf = append(c.buf, esc...)
		last = i
	}
	c.buf = append(c.buf, s[last:]...)
}

// comment writes a comment's text as etree does: a hyphen that follows a
// hyphen, or ends the text, is followed by a space.
func (c *canonicalizer) comment(s string) {
	last, hyphen := 0, false
	for i := 0; i < len(s); i++ {
		if s[i] != '-' {
			hyphen = false
			continue
		}
		if hyphen {
			c.buf = append(c.buf, s[last:i]...)
			c.buf = append(c.buf, ' ')
			last = i
		}
		hyphen = true
	}
	c.buf = append(c.buf, s[last:]...)
	if hyphen {
		c.buf = append(c.buf, ' ')
	}
}

// inCharacterRange is XML 1.0's Char production.
func inCharacterRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) ||
		(r >= 0x10000 && r <= 0x10FFFF)
}
