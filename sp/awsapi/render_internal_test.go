package awsapi

import (
	"bytes"
	"encoding/xml"
	"net/http/httptest"
	"strconv"
	"testing"
)

// reflected is rendered by encoding/xml; appended, with the same fields,
// renders itself.
type reflected struct {
	Arn   string `xml:"Arn"`
	Inner struct {
		Token string `xml:"Token"`
	} `xml:"Inner"`
	Size   *int   `xml:"Size,omitempty"`
	Source string `xml:"Source,omitempty"`
}

type appended reflected

func (a appended) AppendXML(b []byte) []byte {
	b = AppendXMLElement(b, "Arn", a.Arn)
	b = append(b, "<Inner>"...)
	b = AppendXMLElement(b, "Token", a.Inner.Token)
	b = append(b, "</Inner>"...)
	if a.Size != nil {
		b = AppendXMLElement(b, "Size", strconv.Itoa(*a.Size))
	}
	if a.Source != "" {
		b = AppendXMLElement(b, "Source", a.Source)
	}
	return b
}

// TestWriteResultAppender checks that a result rendering itself produces
// the bytes encoding/xml produces for the same struct.
func TestWriteResultAppender(t *testing.T) {
	n := 42
	for _, v := range []reflected{
		{},
		{Arn: "arn:aws:sts::123456789012:assumed-role/Admin/alice", Size: &n, Source: "src"},
		{Arn: "a<b>&'\"\t\n\r\x01\x7f é \uFFFD \xff", Source: "]]>"},
	} {
		v.Inner.Token = v.Arn + "+/="
		var want, got *httptest.ResponseRecorder = httptest.NewRecorder(), httptest.NewRecorder()
		if err := writeResult(want, STS(), "AssumeRoleWithSAML", "req-<id>", v); err != nil {
			t.Fatal(err)
		}
		if err := writeResult(got, STS(), "AssumeRoleWithSAML", "req-<id>", appended(v)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
			t.Errorf("appended result:\n%s\nencoding/xml:\n%s", got.Body, want.Body)
		}
		if got.Header().Get("Content-Length") != want.Header().Get("Content-Length") {
			t.Errorf("Content-Length %s, want %s", got.Header().Get("Content-Length"), want.Header().Get("Content-Length"))
		}
	}
}

// FuzzAppendXMLText checks AppendXMLText against encoding/xml's escaping.
func FuzzAppendXMLText(f *testing.F) {
	for _, s := range []string{"", "arn:aws:iam::123456789012:role/A", "a<b>&'\"", "\t\n\r\x00\x7f\xff é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		if err := xml.EscapeText(&want, []byte(s)); err != nil {
			t.Fatal(err)
		}
		if got := AppendXMLText([]byte("x"), s); !bytes.Equal(got, append([]byte("x"), want.Bytes()...)) {
			t.Fatalf("AppendXMLText(%q) = %q, want x%q", s, got, want.Bytes())
		}
	})
}
