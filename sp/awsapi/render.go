package awsapi

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Service identifies an AWS Query API served by a Router.
type Service struct {
	// Name is the SigV4 signing name ("iam", "sts"); the CloudTrail event
	// source is Name + ".amazonaws.com".
	Name string
	// Version is the API version clients send as Version=.
	Version string
	// Namespace is the XML namespace of responses and errors.
	Namespace string
}

// Versions and XML namespaces of the APIs samlab serves (service models
// iam-2010-05-08 and sts-2011-06-15; docs/aws-behavior.md §1.1 and §1.3).
const (
	IAMVersion   = "2010-05-08"
	IAMNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	STSVersion   = "2011-06-15"
	STSNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// IAM returns the IAM Query API.
func IAM() Service { return Service{Name: "iam", Version: IAMVersion, Namespace: IAMNamespace} }

// STS returns the STS Query API.
func STS() Service { return Service{Name: "sts", Version: STSVersion, Namespace: STSNamespace} }

// TimeFormat is how AWS Query APIs render timestamps (ISO 8601, UTC, seconds).
const TimeFormat = "2006-01-02T15:04:05Z"

// Timestamp renders t as AWS does in Query responses.
func Timestamp(t time.Time) string { return t.UTC().Format(TimeFormat) }

// contentType is the Content-Type of every Query response. AWS sends text/xml.
const contentType = "text/xml"

// writeResult renders a successful call:
//
//	<ActionResponse xmlns=NS><ActionResult>result</ActionResult>
//	<ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></ActionResponse>
//
// A nil result omits <ActionResult>, as AWS does for operations with no
// output (DeleteSAMLProvider).
func writeResult(w http.ResponseWriter, svc Service, action, requestID string, result any) error {
	x := xmlWriters.Get().(*xmlWriter)
	if a, ok := result.(XMLAppender); ok {
		// What render writes for a struct with the same fields.
		b := x.buf.AvailableBuffer()
		b = append(b, '<')
		b = append(b, action...)
		b = append(b, `Response xmlns="`...)
		b = AppendXMLText(b, svc.Namespace)
		b = append(b, `"><`...)
		b = append(b, action...)
		b = append(b, "Result>"...)
		b = a.AppendXML(b)
		b = append(b, "</"...)
		b = append(b, action...)
		b = append(b, "Result><ResponseMetadata>"...)
		b = AppendXMLElement(b, "RequestId", requestID)
		b = append(b, "</ResponseMetadata></"...)
		b = append(b, action...)
		b = append(b, "Response>"...)
		x.buf.Write(b)
	} else {
		start := xml.StartElement{Name: xml.Name{Local: action + "Response"},
			Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: svc.Namespace}}}
		if err := x.render(start, action, requestID, result); err != nil {
			// The encoder may be left inside an element: drop it.
			return err
		}
	}
	writeBody(w, http.StatusOK, requestID, x.buf.Bytes())
	x.buf.Reset()
	if x.buf.Cap() <= maxPooledBody {
		xmlWriters.Put(x)
	}
	return nil
}

// XMLAppender is a result that renders its own XML, the children of
// <ActionResult>, exactly as encoding/xml renders the equivalent struct; a
// test must compare the two. It spares the hot path of a frequently called
// operation encoding/xml's reflection.
type XMLAppender interface {
	AppendXML(b []byte) []byte
}

// AppendXMLElement appends <name>text</name>, text escaped as encoding/xml
// escapes character data.
func AppendXMLElement(b []byte, name, text string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = AppendXMLText(b, text)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

// AppendXMLText appends s escaped as encoding/xml escapes text and
// attribute values. Printable ASCII without markup characters, which is
// what ARNs, keys and tokens are, is appended as is; anything else goes
// through xml.EscapeText.
func AppendXMLText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\'' || c == '&' || c == '<' || c == '>' {
			var buf bytes.Buffer
			_ = xml.EscapeText(&buf, []byte(s)) // a bytes.Buffer does not fail
			return append(b, buf.Bytes()...)
		}
	}
	return append(b, s...)
}

// xmlWriter is an XML encoder with the buffer it writes to. Encoders are
// reused: each one allocates a 4 KB bufio.Writer, the largest allocation
// of rendering a result. An encoder that returned an error is not reused.
type xmlWriter struct {
	buf bytes.Buffer
	enc *xml.Encoder
}

var xmlWriters = sync.Pool{New: func() any {
	x := new(xmlWriter)
	x.enc = xml.NewEncoder(&x.buf)
	return x
}}

func (x *xmlWriter) render(start xml.StartElement, action, requestID string, result any) error {
	enc := x.enc
	if err := enc.EncodeToken(start); err != nil {
		return err
	}
	if result != nil {
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			return err
		}
	}
	meta := struct {
		RequestID string `xml:"RequestId"`
	}{requestID}
	if err := enc.EncodeElement(meta, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}); err != nil {
		return err
	}
	if err := enc.EncodeToken(start.End()); err != nil {
		return err
	}
	return enc.Flush()
}

// errorResponse is AWS's Query-protocol error envelope.
type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	XMLNS   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    Code   `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// asAPIError returns err as an *Error; anything else becomes a 500
// InternalFailure whose cause is err.
func asAPIError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		if e.Status == 0 {
			c := *e
			c.Status = http.StatusBadRequest
			return &c
		}
		return e
	}
	return &Error{Code: CodeInternalFailure, Status: http.StatusInternalServerError,
		Message: "We encountered an internal error. Please try again.", Err: err}
}

// writeError renders err as <ErrorResponse> in namespace ns: the one place
// where AWS errors meet the wire. The internal cause (Error.Err) is never
// rendered.
func writeError(w http.ResponseWriter, ns, requestID string, e *Error) {
	var r errorResponse
	r.XMLNS = ns
	r.Error.Type = e.Type()
	r.Error.Code = e.Code
	r.Error.Message = e.Message
	r.RequestID = requestID
	body, err := xml.Marshal(r)
	if err != nil {
		// Only strings are marshalled; this cannot happen.
		body = []byte("<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code></Error></ErrorResponse>")
	}
	writeBody(w, e.Status, requestID, body)
}

func writeBody(w http.ResponseWriter, status int, requestID string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client went away; nothing left to tell it
}
