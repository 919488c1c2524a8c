package xmlsec

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// dump writes the tree as the comparison sees it: element names, attributes
// in order, text (adjacent text merged), comments and processing
// instructions, with the document's top-level tokens.
func dump(sb *strings.Builder, tokens []etree.Token) {
	text := ""
	flush := func() {
		if text != "" {
			fmt.Fprintf(sb, "T%q\n", text)
			text = ""
		}
	}
	for _, t := range tokens {
		switch t := t.(type) {
		case *etree.CharData:
			text += t.Data
		case *etree.Element:
			flush()
			fmt.Fprintf(sb, "E%q:%q{", t.Space, t.Tag)
			for _, a := range t.Attr {
				fmt.Fprintf(sb, "%q:%q=%q ", a.Space, a.Key, a.Value)
			}
			sb.WriteString("\n")
			dump(sb, t.Child)
			sb.WriteString("}\n")
		case *etree.Comment:
			flush()
			fmt.Fprintf(sb, "C%q\n", t.Data)
		case *etree.ProcInst:
			flush()
			fmt.Fprintf(sb, "P%q %q\n", t.Target, t.Inst)
		case *etree.Directive:
			flush()
			fmt.Fprintf(sb, "D%q\n", t.Data)
		}
	}
	flush()
}

func treeOf(doc *etree.Document) string {
	var sb strings.Builder
	dump(&sb, doc.Child)
	return sb.String()
}

// fastReadSeeds are documents that exercise every path of fastRead.
func fastReadSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	kp := testKey(tb)
	seeds := [][]byte{
		signedResponse(tb, kp, ""),
		[]byte("<?xml version=\"1.0\" encoding=\"utf-8\" standalone='yes'?>\r\n<!-- c -->\n<a:r xmlns:a=\"urn:a\" a:k='v&amp;&lt;&gt;&quot;&apos;&#65;&#x42;'>t&#13;\r\nu\rv<!--x--><b/><c x = \"1\"\n/>\t</a:r>\n<!-- after -->\n"),
		[]byte(`<r><![CDATA[x]]></r>`),
		[]byte(`<r a="1" a="2"/>`),
		[]byte(`<r>]]></r>`),
		[]byte(`<r>&unknown;</r>`),
		[]byte("<r>\xff</r>"),
		[]byte(`<?xml version="1.1"?><r/>`),
		[]byte(`<r><?pi x?></r>`),
		[]byte(`<é/>`),
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParseXML", "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		_, lit, ok := strings.Cut(strings.TrimSpace(string(b)), "[]byte(")
		if !ok {
			continue
		}
		if s, err := strconv.Unquote(strings.TrimSuffix(lit, ")")); err == nil {
			seeds = append(seeds, []byte(s))
		}
	}
	return seeds
}

// FuzzFastRead is the differential check of the fast reader: on every input
// it accepts, etree's encoding/xml reader (with the settings Parse used
// before) must accept it too and build the same tree.
func FuzzFastRead(f *testing.F) {
	for _, s := range fastReadSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fast, err := fastRead(raw, lim.Depth)
		if err != nil {
			return
		}
		slow, err := etreeRead(raw, lim)
		if err != nil {
			t.Fatalf("fastRead accepted what encoding/xml refuses (%v):\n%q", err, raw)
		}
		if got, want := treeOf(fast), treeOf(slow); got != want {
			t.Fatalf("fastRead(%q) built\n%s\nencoding/xml built\n%s", raw, got, want)
		}
	})
}

// TestFastReadReadsSignedResponses checks that the fast reader, not the
// fallback, reads what IdPs send.
func TestFastReadReadsSignedResponses(t *testing.T) {
	t.Parallel()
	kp := testKey(t)
	for _, raw := range [][]byte{signedResponse(t, kp, ""), fastReadSeeds(t)[1]} {
		if _, err := fastRead(raw, lim.Depth); err != nil {
			t.Errorf("fastRead(%.60q…) = %v, want a tree", raw, err)
		}
	}
}
