package xmlsec

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// errFallback means the fast reader met something outside the subset it
// reads; Parse then reads the document with etree and encoding/xml instead,
// so the fast reader never decides what a document means on its own.
var errFallback = errors.New("xmlsec: outside the fast reader's subset")

// fastRead builds the etree tree of raw directly, without encoding/xml: about
// three times faster and with a fraction of the allocations (names and plain
// values are substrings of one copy of the document), which is most of what
// parsing a SAML response costs.
//
// It reads a conservative subset of XML 1.0 that covers what IdPs send: an
// optional XML declaration (version 1.0, UTF-8), elements and attributes
// with ASCII names (at most one colon), text and attribute values in valid
// UTF-8 with the five predefined entities and character references, and
// comments. Anything else (CDATA sections, processing instructions, DTDs,
// non-ASCII names, a "]]>" in text, more than maxDepth levels) returns
// errFallback. On every document it accepts it builds the tree etree would
// build from encoding/xml's tokens (FuzzFastRead checks this against
// encoding/xml), except that adjacent text is never split.
func fastRead(raw []byte, maxDepth int) (*etree.Document, error) {
	r := fastReader{s: string(raw)}
	doc := etree.NewDocument()
	if err := r.prolog(doc); err != nil {
		return nil, err
	}
	if err := r.element(&doc.Element, 1, maxDepth); err != nil {
		return nil, err
	}
	return doc, r.epilog(doc)
}

type fastReader struct {
	s   string
	pos int
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (r *fastReader) skipSpace() int {
	start := r.pos
	for r.pos < len(r.s) && isSpace(r.s[r.pos]) {
		r.pos++
	}
	return r.pos - start
}

// prolog reads an optional XML declaration, then whitespace and comments up
// to the root element.
func (r *fastReader) prolog(doc *etree.Document) error {
	if strings.HasPrefix(r.s, "<?xml") && len(r.s) > 5 && isSpace(r.s[5]) {
		end := strings.Index(r.s, "?>")
		if end < 0 {
			return errFallback
		}
		inst := r.s[5:end]
		if !xmlDeclOK(inst) {
			return errFallback
		}
		doc.CreateProcInst("xml", strings.TrimLeft(inst, " \t\r\n"))
		r.pos = end + 2
	}
	return r.misc(&doc.Element, true)
}

// xmlDeclOK accepts version="1.0", an optional UTF-8 encoding and an
// optional standalone, in that order, as XML 1.0 §2.8 writes them.
func xmlDeclOK(inst string) bool {
	r := fastReader{s: inst}
	names := []string{"version", "encoding", "standalone"}
	seen := 0
	for {
		if r.skipSpace() == 0 || r.pos == len(r.s) {
			return r.pos == len(r.s) && seen > 0
		}
		name, ok := r.name()
		if !ok {
			return false
		}
		i := seen
		for i < len(names) && names[i] != name {
			i++
		}
		if i == len(names) || (seen == 0 && name != "version") {
			return false
		}
		seen = i + 1
		r.skipSpace()
		if r.pos >= len(r.s) || r.s[r.pos] != '=' {
			return false
		}
		r.pos++
		r.skipSpace()
		if r.pos >= len(r.s) || (r.s[r.pos] != '"' && r.s[r.pos] != '\'') {
			return false
		}
		q := r.s[r.pos]
		end := strings.IndexByte(r.s[r.pos+1:], q)
		if end < 0 {
			return false
		}
		v := r.s[r.pos+1 : r.pos+1+end]
		r.pos += end + 2
		switch name {
		case "version":
			if v != "1.0" {
				return false
			}
		case "encoding":
			if !strings.EqualFold(v, "utf-8") {
				return false
			}
		case "standalone":
			if v != "yes" && v != "no" {
				return false
			}
		}
	}
}

// misc reads whitespace and comments, adding them to parent, until the next
// element (before the root) or the end (after it).
func (r *fastReader) misc(parent *etree.Element, beforeRoot bool) error {
	for {
		start := r.pos
		if r.skipSpace() > 0 {
			text, _ := unescape(r.s[start:r.pos], false) // line ends normalized
			parent.CreateText(text)
		}
		if r.pos == len(r.s) {
			if beforeRoot {
				return errFallback
			}
			return nil
		}
		if !strings.HasPrefix(r.s[r.pos:], "<!--") {
			if beforeRoot && r.s[r.pos] == '<' {
				return nil
			}
			return errFallback
		}
		if err := r.comment(parent); err != nil {
			return err
		}
	}
}

func (r *fastReader) epilog(doc *etree.Document) error {
	return r.misc(&doc.Element, false)
}

// comment reads "<!--...-->" at r.pos. "--" may not occur inside.
func (r *fastReader) comment(parent *etree.Element) error {
	body := r.pos + 4
	end := strings.Index(r.s[body:], "--")
	if end < 0 || body+end+2 >= len(r.s) || r.s[body+end+2] != '>' {
		return errFallback
	}
	text := r.s[body : body+end]
	if !validChars(text) {
		return errFallback
	}
	parent.CreateComment(text)
	r.pos = body + end + 3
	return nil
}

// name reads an XML name of ASCII letters, digits, '_', '-', '.' and at
// most one inner ':'.
func (r *fastReader) name() (string, bool) {
	start, colons := r.pos, 0
	for r.pos < len(r.s) {
		c := r.s[r.pos]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case c >= '0' && c <= '9', c == '-', c == '.':
			if r.pos == start || r.s[r.pos-1] == ':' {
				return "", false
			}
		case c == ':':
			colons++
			if r.pos == start || colons > 1 {
				return "", false
			}
		default:
			goto done
		}
		r.pos++
	}
done:
	if r.pos == start || r.s[r.pos-1] == ':' {
		return "", false
	}
	return r.s[start:r.pos], true
}

// element reads the element at r.pos (a '<' starting a name) into parent.
func (r *fastReader) element(parent *etree.Element, depth, maxDepth int) error {
	if depth > maxDepth || r.pos >= len(r.s) || r.s[r.pos] != '<' {
		return errFallback
	}
	r.pos++
	name, ok := r.name()
	if !ok {
		return errFallback
	}
	el := parent.CreateElement(name)
	for {
		spaced := r.skipSpace() > 0
		if r.pos >= len(r.s) {
			return errFallback
		}
		switch r.s[r.pos] {
		case '/':
			if r.pos+1 >= len(r.s) || r.s[r.pos+1] != '>' {
				return errFallback
			}
			r.pos += 2
			return nil
		case '>':
			r.pos++
			return r.content(el, name, depth, maxDepth)
		}
		if !spaced {
			return errFallback
		}
		key, ok := r.name()
		if !ok {
			return errFallback
		}
		r.skipSpace()
		if r.pos >= len(r.s) || r.s[r.pos] != '=' {
			return errFallback
		}
		r.pos++
		r.skipSpace()
		if r.pos >= len(r.s) || (r.s[r.pos] != '"' && r.s[r.pos] != '\'') {
			return errFallback
		}
		q := r.s[r.pos]
		end := strings.IndexByte(r.s[r.pos+1:], q)
		if end < 0 {
			return errFallback
		}
		v, ok := unescape(r.s[r.pos+1:r.pos+1+end], true)
		if !ok {
			return errFallback
		}
		r.pos += end + 2
		space, local, _ := strings.Cut(key, ":")
		if local == "" {
			space, local = "", key
		}
		for _, a := range el.Attr {
			if a.Space == space && a.Key == local {
				return errFallback // a duplicate: encoding/xml's reader and checkTree report it
			}
		}
		el.CreateAttr(key, v)
	}
}

// content reads el's children up to and including its end tag.
func (r *fastReader) content(el *etree.Element, name string, depth, maxDepth int) error {
	for {
		start := r.pos
		lt := strings.IndexByte(r.s[r.pos:], '<')
		if lt < 0 {
			return errFallback
		}
		r.pos += lt
		if r.pos > start {
			raw := r.s[start:r.pos]
			if strings.Contains(raw, "]]>") {
				return errFallback
			}
			text, ok := unescape(raw, false)
			if !ok {
				return errFallback
			}
			el.CreateText(text)
		}
		rest := r.s[r.pos:]
		switch {
		case strings.HasPrefix(rest, "</"):
			r.pos += 2
			end, ok := r.name()
			if !ok || end != name {
				return errFallback
			}
			r.skipSpace()
			if r.pos >= len(r.s) || r.s[r.pos] != '>' {
				return errFallback
			}
			r.pos++
			return nil
		case strings.HasPrefix(rest, "<!--"):
			if err := r.comment(el); err != nil {
				return err
			}
		case strings.HasPrefix(rest, "<!"), strings.HasPrefix(rest, "<?"):
			return errFallback
		default:
			if err := r.element(el, depth+1, maxDepth); err != nil {
				return err
			}
		}
	}
}

// unescape returns s with entity and character references replaced and line
// ends normalized (XML 1.0 §2.11: CRLF and a lone CR read as LF), as
// encoding/xml reads text and attribute values. It reports false for
// anything encoding/xml would refuse or read differently: invalid UTF-8,
// characters outside XML's range, unknown entities, '<' in an attribute
// value.
func unescape(s string, attr bool) (string, bool) {
	if strings.IndexByte(s, '&') < 0 && strings.IndexByte(s, '\r') < 0 {
		if attr && strings.IndexByte(s, '<') >= 0 {
			return "", false
		}
		return s, validChars(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '<' && attr:
			return "", false
		case c == '\r':
			b.WriteByte('\n')
			i++
			if i < len(s) && s[i] == '\n' {
				i++
			}
			continue
		case c != '&':
			r, w := utf8.DecodeRuneInString(s[i:])
			if (r == utf8.RuneError && w == 1) || !inCharacterRange(r) {
				return "", false
			}
			b.WriteString(s[i : i+w])
			i += w
			continue
		}
		semi := strings.IndexByte(s[i:], ';')
		if semi < 0 {
			return "", false
		}
		ref := s[i+1 : i+semi]
		i += semi + 1
		switch ref {
		case "lt":
			b.WriteByte('<')
		case "gt":
			b.WriteByte('>')
		case "amp":
			b.WriteByte('&')
		case "apos":
			b.WriteByte('\'')
		case "quot":
			b.WriteByte('"')
		default:
			var n uint64
			var err error
			switch {
			case strings.HasPrefix(ref, "#x") && len(ref) > 2:
				n, err = strconv.ParseUint(ref[2:], 16, 32)
			case strings.HasPrefix(ref, "#") && len(ref) > 1 && ref[1] >= '0' && ref[1] <= '9':
				n, err = strconv.ParseUint(ref[1:], 10, 32)
			default:
				return "", false
			}
			if err != nil || !inCharacterRange(rune(n)) || strings.ContainsAny(ref[1:], "+-_") {
				return "", false
			}
			b.WriteRune(rune(n))
		}
	}
	return b.String(), true
}

// validChars reports whether s is valid UTF-8 of XML characters.
func validChars(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x80 {
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && w == 1) || !inCharacterRange(r) {
			return false
		}
		i += w
	}
	return true
}
