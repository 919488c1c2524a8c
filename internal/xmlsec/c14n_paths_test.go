package xmlsec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// TestCanonicalizeMatchesGoxmldsigOnEdges compares canonicalize with
// goxmldsig where the shared documents do not reach: the default namespace
// sorted before other declarations and attributes, TAB, LF and CR in
// attribute values and text, and comments inside the element with and
// without the comments transform.
func TestCanonicalizeMatchesGoxmldsigOnEdges(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		`<r xmlns:b="urn:b" xmlns="urn:d" z="1" a="3"><b:s xmlns:a="urn:a" a:y="1" a:x="2"/></r>`,
		`<r xmlns="urn:d" a="&#9;x&#10;y&#13;z"><s b="	tab"/>t&#9;u&#10;v&#13;w</r>`,
		`<r xmlns="urn:d"><!-- one --><s><!--two-->x<!-- three --></s></r>`,
	} {
		for _, comments := range []bool{false, true} {
			checkC14N(t, []byte(raw), "", comments)
		}
	}
}

// TestCanonicalizeBuiltTrees canonicalizes trees no parser produces but the
// canonicalizer must still write as etree (and so goxmldsig) does:
// characters outside XML's range, invalid UTF-8, and comments holding "--"
// or ending with "-".
func TestCanonicalizeBuiltTrees(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		build func(r *etree.Element)
		want  string
	}{
		{"control characters in text and attribute", func(r *etree.Element) {
			r.CreateAttr("a", "x\x01y")
			r.SetText("p\x02q\xffr")
		}, "<r a=\"x\uFFFDy\">p\uFFFDq\uFFFDr</r>"},
		{"comment hyphens", func(r *etree.Element) {
			r.CreateComment("a--b---c-")
			r.CreateComment("-")
			r.CreateComment("x-y")
		}, "<r><!--a- -b- - -c- --><!--- --><!--x-y--></r>"},
	}
	for _, tt := range tests {
		doc := etree.NewDocument()
		r := doc.CreateElement("r")
		tt.build(r)
		want, err := goxmldsigC14N(r, "", true)
		if err != nil {
			t.Fatal(err)
		}
		if string(want) != tt.want {
			t.Fatalf("%s: goxmldsig wrote %q, the test expects %q", tt.name, want, tt.want)
		}
		if got := canonicalize(nil, r, "", true, nil); string(got) != tt.want {
			t.Errorf("%s: canonicalize = %q, want %q", tt.name, got, tt.want)
		}
		if got := canonicalize(nil, r, "", false, nil); strings.Contains(string(got), "<!--") {
			t.Errorf("%s: canonicalize without comments = %q, want no comment", tt.name, got)
		}
	}
}

// TestCanonicalizeInclusiveDetached canonicalizes an element with no
// parent, as goxmldsig's inclusive canonicalizer does.
func TestCanonicalizeInclusiveDetached(t *testing.T) {
	t.Parallel()
	doc, err := Parse([]byte(`<r xmlns="urn:d" xmlns:p="urn:p" b="1" p:a="2"><p:s/></r>`), lim)
	if err != nil {
		t.Fatal(err)
	}
	el := doc.Root().Copy()
	want, err := dsig.MakeC14N10RecCanonicalizer().Canonicalize(el.Copy())
	if err != nil {
		t.Fatal(err)
	}
	if got := canonicalizeInclusive(nil, el, false, nil); !bytes.Equal(got, want) {
		t.Errorf("canonicalizeInclusive = %q, goxmldsig %q", got, want)
	}
}

// TestCheckTree pins the tree checks the parser's readers cannot reach
// (checkMarkup, fastRead and encoding/xml refuse such documents first), on
// trees built directly.
func TestCheckTree(t *testing.T) {
	t.Parallel()
	build := func(f func(doc *etree.Document)) *etree.Document {
		doc := etree.NewDocument()
		f(doc)
		return doc
	}
	small := ResponseLimits()
	small.Depth = 2
	tests := []struct {
		name string
		doc  *etree.Document
		lim  Limits
		want error
		msg  string
	}{
		{"a processing instruction after the root", build(func(d *etree.Document) { d.CreateElement("r"); d.CreateProcInst("xml", `version="1.0"`) }), lim, ErrProcInst, ""},
		{"a processing instruction other than xml first", build(func(d *etree.Document) { d.CreateProcInst("pi", ""); d.CreateElement("r") }), lim, ErrProcInst, ""},
		{"a DTD before the root", build(func(d *etree.Document) { d.CreateDirective("DOCTYPE r"); d.CreateElement("r") }), lim, ErrDTD, ""},
		{"a processing instruction in the root", build(func(d *etree.Document) { d.CreateElement("r").CreateProcInst("pi", "") }), lim, ErrProcInst, ""},
		{"a DTD in the root", build(func(d *etree.Document) { d.CreateElement("r").CreateDirective("x") }), lim, ErrDTD, ""},
		{"too deep", build(func(d *etree.Document) { d.CreateElement("a").CreateElement("b").CreateElement("c") }), small, ErrXMLLimit, "deeper than 2 elements"},
		{"an attribute name with a colon", build(func(d *etree.Document) {
			d.CreateElement("r").Attr = []etree.Attr{{Key: "a:b"}}
		}), lim, ErrMalformedXML, `attribute name "a:b" on r`},
	}
	for _, tt := range tests {
		err := checkTree(tt.doc, tt.lim)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: checkTree = %v, want %v %s", tt.name, err, tt.want, tt.msg)
		}
	}
	ok := build(func(d *etree.Document) {
		d.CreateProcInst("xml", `version="1.0"`)
		d.CreateElement("a").CreateElement("b")
	})
	if err := checkTree(ok, small); err != nil {
		t.Errorf("checkTree of an XML declaration and two levels = %v, want nil", err)
	}
}

// TestParseLimitBounds pins each count limit at its bound: exactly the
// limit is accepted, one more refused.
func TestParseLimitBounds(t *testing.T) {
	t.Parallel()
	attrs := func(n int) string {
		var sb strings.Builder
		for i := range n {
			fmt.Fprintf(&sb, ` a%d="v"`, i)
		}
		return sb.String()
	}
	elements := func(n int) string { return "<r>" + strings.Repeat("<e/>", n-1) + "</r>" }
	l := ResponseLimits()
	l.Elements, l.AttrsPerElement = 5, 3
	for _, tt := range []struct {
		name, doc string
		want      string // "" accepts
	}{
		{"5 elements", elements(5), ""},
		{"6 elements", elements(6), "more than 5 elements"},
		{"3 attributes", "<r" + attrs(3) + "/>", ""},
		{"4 attributes", "<r" + attrs(4) + "/>", "more than 3 attributes"},
		{"2 attributes and a namespace declaration", `<r xmlns:p="urn:p"` + attrs(2) + "/>", ""},
		{"3 attributes and a namespace declaration", `<r xmlns:p="urn:p"` + attrs(3) + "/>", "more than 3 attributes"},
	} {
		_, err := Parse([]byte(tt.doc), l)
		if tt.want == "" && err != nil {
			t.Errorf("%s: Parse = %v, want success", tt.name, err)
		}
		if tt.want != "" && (!errors.Is(err, ErrXMLLimit) || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: Parse = %v, want %v: %s", tt.name, err, ErrXMLLimit, tt.want)
		}
	}
}

// TestUTF8OnlyCharsetReader pins the CharsetReader: UTF-8 in any case reads
// through, anything else is refused by name.
func TestUTF8OnlyCharsetReader(t *testing.T) {
	t.Parallel()
	for _, cs := range []string{"utf-8", "UTF-8", "Utf-8"} {
		r, err := utf8Only(cs, strings.NewReader("x"))
		if err != nil {
			t.Fatalf("utf8Only(%q) = %v", cs, err)
		}
		if b, _ := io.ReadAll(r); string(b) != "x" {
			t.Errorf("utf8Only(%q) read %q, want x", cs, b)
		}
	}
	if _, err := utf8Only("ISO-8859-1", strings.NewReader("x")); !errors.Is(err, ErrMalformedXML) || !strings.Contains(err.Error(), `"ISO-8859-1"`) {
		t.Errorf("utf8Only(ISO-8859-1) = %v, want %v naming it", err, ErrMalformedXML)
	}
	if _, err := Parse([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><r/>`), lim); !errors.Is(err, ErrMalformedXML) {
		t.Errorf("Parse of an ISO-8859-1 document = %v, want %v", err, ErrMalformedXML)
	}
}

// TestRawText pins how signed text is read: every text token joined,
// comments skipped, nothing for no element or no text.
func TestRawText(t *testing.T) {
	t.Parallel()
	doc, err := Parse([]byte(`<r a="v"><s>ad<!---->min</s><t><!--c--></t><u> one </u></r>`), lim)
	if err != nil {
		t.Fatal(err)
	}
	r := doc.Root()
	for _, tt := range []struct {
		el   *etree.Element
		want string
	}{
		{r.SelectElement("s"), "admin"},
		{r.SelectElement("t"), ""},
		{r.SelectElement("u"), " one "},
		{nil, ""},
	} {
		if got := RawText(tt.el); got != tt.want {
			t.Errorf("RawText(%v) = %q, want %q", tt.el, got, tt.want)
		}
	}
	if got := AttrValue(r, "a"); got != "v" {
		t.Errorf(`AttrValue(r, "a") = %q, want "v"`, got)
	}
	if got := AttrValue(r, "b"); got != "" {
		t.Errorf(`AttrValue(r, "b") = %q, want ""`, got)
	}
}
