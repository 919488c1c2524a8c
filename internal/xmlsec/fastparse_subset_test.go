package xmlsec

import (
	"errors"
	"strings"
	"testing"
)

// checkFastRead asserts the fast reader's contract on raw: it either leaves
// the document to encoding/xml (errFallback) or builds the tree encoding/xml
// builds; it never fails otherwise. It reports whether the fast reader read
// raw itself.
func checkFastRead(t *testing.T, raw string, maxDepth int) bool {
	t.Helper()
	fast, err := fastRead([]byte(raw), maxDepth)
	if errors.Is(err, errFallback) {
		return false
	}
	if err != nil {
		t.Errorf("fastRead(%q) = %v, want a tree or %v", raw, err, errFallback)
		return false
	}
	lim := ResponseLimits()
	lim.Depth = maxDepth
	slow, err := etreeRead([]byte(raw), lim)
	if err != nil {
		t.Errorf("fastRead(%q) read what encoding/xml refuses: %v", raw, err)
		return true
	}
	if got, want := treeOf(fast), treeOf(slow); got != want {
		t.Errorf("fastRead(%q) built\n%s\nencoding/xml built\n%s", raw, got, want)
	}
	return true
}

// TestFastReadSubset pins the subset the fast reader reads itself, as its
// documentation lists it, one construct at a time: each "read" document is
// read by it and to encoding/xml's tree; each "fallback" one is left to
// encoding/xml.
func TestFastReadSubset(t *testing.T) {
	t.Parallel()
	read := []string{
		`<r/>`,
		`<r></r>`,
		`<r></r >`,
		"<r\n/>",
		`<?xml version="1.0"?><r/>`,
		`<?xml version = '1.0' ?><r/>`,
		`<?xml version="1.0" encoding="UTF-8"?><r/>`,
		`<?xml version="1.0" encoding="utf-8" standalone="no"?><r/>`,
		`<?xml version="1.0" standalone="yes"?><r/>`,
		"<?xml\tversion=\"1.0\"?>\n<!-- before -->\n<r/>\n<!-- after --> ",
		`<r a="1" b='2' c = "3"/>`,
		`<r a="x&amp;y" b="&lt;&gt;&quot;&apos;" c="&#65;&#x42;&#x10FFFF;" d="'" e='"'/>`,
		`<r xmlns:x="urn:x" a="1" x:a="2"/>`,
		`<a-1.b_c:d-2.e_f xmlns:a-1.b_c="urn:x"/>`,
		`<_r/>`,
		`<Z Z="Z"/>`,
		`<AZaz_09.-/>`,
		`<r>&#065;&#97;&#9;&#x09;</r>`,
		`<r>text &amp; more &#60;&#x3e;</r>`,
		"<r>a\r\nb\rc\td</r>",
		"<r>\u00e9\u4e16\U0001F600</r>",
		`<r><!-- a comment --><s/>tail<!----></r>`,
		`<r><s><t/></s><s/></r>`,
	}
	fallback := []string{
		``,
		` `,
		`text<r/>`,
		`<r/>text`,
		`<r/><r/>`,
		`<r/><?pi?>`,
		`<!-- x --><!-- unterminated`,
		`<!-- a -- b --><r/>`,
		`<!-- x --`,
		"<!-- \x01 --><r/>",
		`<r><!-- a -- b --></r>`,
		`<?xml version="1.0"`,
		`<?xml version="1.1"?><r/>`,
		`<?xml version?><r/>`,
		`<?xml version="1.0" encoding?><r/>`,
		`<?xml version=1.0?><r/>`,
		`<?xml version="1.0?><r/>`,
		`<?xml version="1.0' encoding="UTF-8"?><r/>`,
		`<?xml version="1.0" encoding="ISO-8859-1"?><r/>`,
		`<?xml version="1.0" standalone="maybe"?><r/>`,
		`<?xml encoding="UTF-8"?><r/>`,
		`<?xml version="1.0" version="1.0"?><r/>`,
		`<?xml version="1.0" standalone="yes" encoding="UTF-8"?><r/>`,
		`<?xml version="1.0"encoding="UTF-8"?><r/>`,
		`<?xml version="1.0" 1x="y"?><r/>`,
		`<?xml version="1.0" other="y"?><r/>`,
		`<?xml ?><r/>`,
		`<?xml-stylesheet href="x"?><r/>`,
		`<1r/>`,
		`<-r/>`,
		`<.r/>`,
		`<a:b:c xmlns:a="urn:a"/>`,
		`<:r/>`,
		`<r:/>`,
		`<a:-b xmlns:a="urn:a"/>`,
		`<a:1b xmlns:a="urn:a"/>`,
		`<r`,
		`<r/`,
		`<r/ >`,
		`<r a/>`,
		`<r a`,
		`<r a=`,
		`<r a="1`,
		`<r a=1/>`,
		`<r a="1"b="2"/>`,
		`<r 1="2"/>`,
		`<r a="1" a="2"/>`,
		`<r xmlns:x="urn:x" x:a="1" x:a="2"/>`,
		`<r a="<"/>`,
		`<r a="&amp;<"/>`,
		`<r a="&bad;"/>`,
		"<r a=\"\x01\"/>",
		`<r>text`,
		`<r></s>`,
		`<r></r x>`,
		`<r></r`,
		`<r></`,
		`<r></1>`,
		`<r>]]></r>`,
		`<r><![CDATA[x]]></r>`,
		`<r><!DOCTYPE r></r>`,
		`<r><?pi x?></r>`,
		`<r>&unknown;</r>`,
		`<r>&amp</r>`,
		`<r>&#;</r>`,
		`<r>&#x;</r>`,
		`<r>&#0;</r>`,
		`<r>&#x0;</r>`,
		`<r>&#xD800;</r>`,
		`<r>&#xFFFE;</r>`,
		`<r>&#x110000;</r>`,
		`<r>&#99999999999;</r>`,
		`<r>&#+65;</r>`,
		`<r>&#x+41;</r>`,
		`<r>&#x4_1;</r>`,
		`<r>&#6_5;</r>`,
		`<r>&#-65;</r>`,
		`<r>&#xg;</r>`,
		`<r>&a65;</r>`,
		`<r>&x41;</r>`,
		"<r>\xff</r>",
		"<r>&amp;\xff</r>",
		"<r>&amp;\x01</r>",
		"<r>\x01</r>",
		"<r>\uFFFE</r>",
		`<é/>`,
	}
	for _, raw := range read {
		if !checkFastRead(t, raw, 8) {
			t.Errorf("fastRead(%q) fell back, want it read by the fast reader", raw)
		}
	}
	for _, raw := range fallback {
		if checkFastRead(t, raw, 8) {
			t.Errorf("fastRead(%q) read it, want it left to encoding/xml", raw)
		}
	}
}

// TestFastReadPrefixes reads every prefix of documents that use each
// construct of the subset: a truncated document is never read as a whole
// one, and the reader never reads past the end.
func TestFastReadPrefixes(t *testing.T) {
	t.Parallel()
	docs := []string{
		"<?xml version=\"1.0\" encoding='UTF-8' standalone=\"yes\"?>\r\n<!-- c -->\n" +
			`<a:r xmlns:a="urn:a" a:k='v&amp;&#65;' b = "2"><!--x-->t&lt;&#x42;&#13;` + "\r\n" +
			`<b/><c x="1"` + "\n" + `/></a:r >`,
		string(signedResponse(t, testKey(t), "")),
	}
	for _, doc := range docs {
		for i := range len(doc) {
			if checkFastRead(t, doc[:i], 64) {
				t.Errorf("fastRead read the truncated document %q", doc[:i])
			}
		}
		if !checkFastRead(t, doc, 64) {
			t.Errorf("fastRead(%.40q…) fell back, want it read", doc)
		}
	}
}

// TestFastReadDepth pins the depth bound: maxDepth levels are read, one
// more is left to encoding/xml (whose reader refuses it with the limit).
func TestFastReadDepth(t *testing.T) {
	t.Parallel()
	nest := func(n int) string { return strings.Repeat("<e>", n) + strings.Repeat("</e>", n) }
	if !checkFastRead(t, nest(3), 3) {
		t.Errorf("fastRead of 3 levels with maxDepth 3 fell back")
	}
	if checkFastRead(t, nest(4), 3) {
		t.Errorf("fastRead of 4 levels with maxDepth 3 read it")
	}
	if checkFastRead(t, "<e/>", 0) {
		t.Errorf("fastRead of one level with maxDepth 0 read it")
	}
}
