package xmlsec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/beevik/etree"
)

// Limits bound the work of parsing and of every later step (canonicalization
// tracks the namespace scope at each element).
type Limits struct {
	Bytes             int // document size
	Depth             int // element nesting
	Elements          int // elements in the document
	AttrsPerElement   int // attributes (namespace declarations included) on one element
	NamespacesInScope int // prefixes bound at any one element
}

// ResponseLimits are the limits for SAML protocol messages. A SAMLAssertion
// decodes to at most 75,000 bytes (AWS's 100,000-character limit applies to
// its base64 form); real responses are a few kilobytes with a few hundred
// elements, less than 15 levels deep and a handful of namespaces.
func ResponseLimits() Limits {
	return Limits{Bytes: 100_000, Depth: 64, Elements: 5_000, AttrsPerElement: 64, NamespacesInScope: 64}
}

// Parse parses untrusted bytes into a tree safe to verify: well-formed,
// namespace-well-formed XML (Namespaces in XML §3, §5) in UTF-8 with no DTD,
// entity declaration or processing instruction (SAML Core §1.3.4 forbids
// DTDs; the XML declaration is allowed), no duplicate attributes, and within
// the limits above. Anything else is refused rather than repaired, so that
// every later reader sees the same document.
//
// No round-trip validator (xml-roundtrip-validator) runs: identity is read
// only from the tree whose canonical form the digest covers, so a document
// that would not survive a round trip through encoding/xml cannot change what
// is read; the name and namespace checks here refuse the shapes such
// validators look for.
//
// Strings in the tree (names, attribute values, text) may share memory with
// one copy of the whole document: a caller that keeps a value beyond the
// request should copy it (strings.Clone), or it keeps the document alive.
func Parse(raw []byte, lim Limits) (*etree.Document, error) {
	if len(raw) > lim.Bytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrXMLLimit, len(raw), lim.Bytes)
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	if err := checkMarkup(raw); err != nil {
		return nil, err
	}
	doc, err := fastRead(raw, lim.Depth)
	if errors.Is(err, errFallback) {
		doc, err = etreeRead(raw, lim)
	}
	if err != nil {
		return nil, err
	}
	if err := checkTree(doc, lim); err != nil {
		return nil, err
	}
	return doc, nil
}

// etreeRead reads raw with etree and encoding/xml: the reader for whatever
// fastRead leaves to it.
func etreeRead(raw []byte, lim Limits) (*etree.Document, error) {
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{
		CharsetReader:          utf8Only,
		PreserveDuplicateAttrs: true, // so that checkTree sees and refuses them
		MaxDepth:               lim.Depth,
	}
	if err := doc.ReadFromBytes(raw); err != nil {
		if errors.Is(err, etree.ErrMaxDepth) {
			return nil, fmt.Errorf("%w: deeper than %d elements", ErrXMLLimit, lim.Depth)
		}
		return nil, fmt.Errorf("%w: %w", ErrMalformedXML, err)
	}
	return doc, nil
}

// checkMarkup refuses, before any parsing, markup declarations ("<!" other
// than a comment or CDATA section: DOCTYPE, ENTITY, ELEMENT, ATTLIST, in any
// case or spacing) and processing instructions other than an XML declaration
// at the very start. It may refuse such text inside comments too; no SAML
// response carries it.
func checkMarkup(raw []byte) error {
	for i := 0; ; {
		j := bytes.IndexByte(raw[i:], '<')
		if j < 0 {
			return nil
		}
		i += j
		rest := raw[i+1:]
		switch {
		case bytes.HasPrefix(rest, []byte("!--")), bytes.HasPrefix(rest, []byte("![CDATA[")):
		case bytes.HasPrefix(rest, []byte("!")):
			return ErrDTD
		case bytes.HasPrefix(rest, []byte("?")):
			if i != 0 || !isXMLDecl(rest[1:]) {
				return ErrProcInst
			}
		}
		i++
	}
}

// isXMLDecl reports whether b (after "<?") starts an XML declaration.
func isXMLDecl(b []byte) bool {
	return len(b) > 3 && string(b[:3]) == "xml" && (b[3] == ' ' || b[3] == '\t' || b[3] == '\r' || b[3] == '\n')
}

// utf8Only is the parser's CharsetReader: encoding/xml calls it for any
// declared encoding but UTF-8, and etree's default would read the bytes as
// UTF-8 regardless, which another parser would not.
func utf8Only(charset string, input io.Reader) (io.Reader, error) {
	if strings.EqualFold(charset, "utf-8") {
		return input, nil
	}
	return nil, fmt.Errorf("%w: encoding %q, want UTF-8", ErrMalformedXML, charset)
}

// checkTree checks the parsed document: one root element, and the rules of
// parseXML for every node.
func checkTree(doc *etree.Document, lim Limits) error {
	roots := 0
	for i, tok := range doc.Child {
		switch t := tok.(type) {
		case *etree.Element:
			roots++
			if roots > 1 {
				return fmt.Errorf("%w: more than one root element", ErrMalformedXML)
			}
			tc := treeCheck{lim: lim}
			if err := tc.element(t, bindings{{"xml", nsXML}}, 1); err != nil {
				return err
			}
		case *etree.ProcInst:
			if i != 0 || t.Target != "xml" {
				return ErrProcInst
			}
		case *etree.Directive:
			return ErrDTD
		case *etree.CharData:
			if strings.TrimSpace(t.Data) != "" {
				return fmt.Errorf("%w: text outside the root element", ErrMalformedXML)
			}
		}
	}
	if roots == 0 {
		return fmt.Errorf("%w: no root element", ErrMalformedXML)
	}
	return nil
}

type treeCheck struct {
	lim      Limits
	elements int
}

func (tc *treeCheck) element(el *etree.Element, scope bindings, depth int) error {
	tc.elements++
	switch {
	case tc.elements > tc.lim.Elements:
		return fmt.Errorf("%w: more than %d elements", ErrXMLLimit, tc.lim.Elements)
	case depth > tc.lim.Depth:
		return fmt.Errorf("%w: deeper than %d elements", ErrXMLLimit, tc.lim.Depth)
	case len(el.Attr) > tc.lim.AttrsPerElement:
		return fmt.Errorf("%w: element %s has more than %d attributes", ErrXMLLimit, el.Tag, tc.lim.AttrsPerElement)
	}
	scope, err := declare(el, scope, tc.lim.NamespacesInScope)
	if err != nil {
		return err
	}
	if !validName(el.Tag) || el.Space == "xmlns" || (el.Space != "" && !bound(scope, el.Space)) {
		return fmt.Errorf("%w: element name %q", ErrMalformedXML, el.FullTag())
	}
	seen := make(map[string]bool, len(el.Attr))
	for _, a := range el.Attr {
		if !validName(a.Key) {
			return fmt.Errorf("%w: attribute name %q on %s", ErrMalformedXML, a.FullKey(), el.Tag)
		}
		name := a.Space + ":" + a.Key // raw name: xmlns:p and xmlns count here
		if _, isDecl := nsDecl(a); !isDecl && a.Space != "" {
			ns, _ := scope.lookup(a.Space)
			if ns == "" {
				return fmt.Errorf("%w: undeclared prefix in attribute %q", ErrMalformedXML, a.FullKey())
			}
			name = "{" + ns + "}" + a.Key
		}
		if seen[name] {
			return fmt.Errorf("%w: duplicate attribute %q on %s", ErrMalformedXML, a.FullKey(), el.Tag)
		}
		seen[name] = true
	}
	for _, tok := range el.Child {
		switch t := tok.(type) {
		case *etree.Element:
			if err := tc.element(t, scope, depth+1); err != nil {
				return err
			}
		case *etree.ProcInst:
			return ErrProcInst
		case *etree.Directive:
			return ErrDTD
		}
	}
	return nil
}

// declare returns the scope inside el: the enclosing scope plus el's
// namespace declarations, which must follow Namespaces in XML §3: xml bound
// only to its name, xmlns never declared, neither name bound to another
// prefix, no empty prefixed declaration.
func declare(el *etree.Element, outer bindings, maxNamespaces int) (bindings, error) {
	scope, copied := outer, false
	for _, a := range el.Attr {
		prefix, ok := nsDecl(a)
		if !ok {
			continue
		}
		bad := prefix == "xmlns" || a.Value == nsXMLNS ||
			(prefix == "xml") != (a.Value == nsXML) ||
			(prefix != "" && a.Value == "")
		if bad {
			return nil, fmt.Errorf("%w: namespace declaration %s=%q", ErrMalformedXML, a.FullKey(), a.Value)
		}
		if !copied {
			scope, copied = append(make(bindings, 0, len(outer)+4), outer...), true
		}
		// Each prefix is bound once in the scope, so its length is the
		// number of namespaces in scope.
		replaced := false
		for i := range scope {
			if scope[i].prefix == prefix {
				scope[i].uri, replaced = a.Value, true
			}
		}
		if !replaced {
			scope = append(scope, binding{prefix, a.Value})
		}
	}
	if len(scope) > maxNamespaces {
		return nil, fmt.Errorf("%w: more than %d namespaces in scope", ErrXMLLimit, maxNamespaces)
	}
	return scope[:len(scope):len(scope)], nil
}

// bound reports whether prefix is bound to a namespace name in scope (an
// empty default namespace binds nothing).
func bound(scope bindings, prefix string) bool {
	uri, ok := scope.lookup(prefix)
	return ok && uri != ""
}

// validName reports whether a local name as etree splits it is usable: not
// empty and free of further colons (Namespaces in XML §3, NCName).
func validName(local string) bool {
	return local != "" && !strings.Contains(local, ":")
}

// MetadataLimits are the limits for SAML metadata documents: IAM accepts
// SAMLMetadataDocument up to 10,000,000 characters, and one entity's
// metadata has at most a few thousand elements.
func MetadataLimits() Limits {
	return Limits{Bytes: 10_000_000, Depth: 64, Elements: 100_000, AttrsPerElement: 256, NamespacesInScope: 64}
}
