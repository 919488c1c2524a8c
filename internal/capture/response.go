package capture

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Response is one SAMLResponse found in an input.
type Response struct {
	// Source says where it was found: the input's name, and for a HAR the
	// entry number, method and URL.
	Source string `json:"source"`
	// Base64 is the SAMLResponse form value, decoded from the URL encoding:
	// what AssumeRoleWithSAML takes as SAMLAssertion.
	Base64 string `json:"-"`
	// XML is the decoded response document.
	XML []byte `json:"-"`
	// PostedTo is the URL the response was posted to, when the input says
	// (HAR entries, HTML auto-post forms); "" otherwise.
	PostedTo string `json:"posted_to,omitempty"`
	// PostedAt is when the browser posted it (HAR startedDateTime); zero
	// otherwise.
	PostedAt time.Time `json:"posted_at,omitzero"`
	// RelayState is the RelayState posted beside it, if any.
	RelayState string `json:"relay_state,omitempty"`
}

// ErrNoResponse is wrapped when an input holds no SAMLResponse.
var ErrNoResponse = errors.New("no SAMLResponse found")

// expected is the one-line description of the accepted response forms.
const expected = "expected a SAMLResponse as base64, XML, a form body SAMLResponse=..., an HTML form or log containing one, or a HAR file"

// Responses finds every SAMLResponse in data, an input called name. The form
// is detected from the content: a HAR file (JSON with log.entries) yields one
// Response per POST that carries a SAMLResponse field, in the order of the
// file; every other form yields exactly one. Errors are one line, name the
// input, and wrap ErrNoResponse when nothing usable was found.
func Responses(name string, data []byte) ([]Response, error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%s: empty input, %s (%w)", name, expected, ErrNoResponse)
	}
	switch {
	case trimmed[0] == '{':
		return harResponses(name, trimmed)
	case trimmed[0] == '<' && !bytes.Contains(trimmed, []byte("SAMLResponse")):
		r, err := fromXML(name, trimmed)
		if err != nil {
			return nil, err
		}
		return []Response{r}, nil
	case bytes.Contains(trimmed, []byte("SAMLResponse")):
		r, err := fromText(name, trimmed)
		if err != nil {
			return nil, err
		}
		return []Response{r}, nil
	}
	// A log that prints the response XML after a prefix ("SAML login
	// response. XML is: <saml2p:Response ...").
	if start := responseStartRE.FindIndex(trimmed); start != nil {
		if ends := responseEndRE.FindAllIndex(trimmed, -1); len(ends) > 0 && ends[len(ends)-1][1] > start[0] {
			r, err := fromXML(name, trimmed[start[0]:ends[len(ends)-1][1]])
			if err != nil {
				return nil, err
			}
			return []Response{r}, nil
		}
	}
	r, err := fromBase64(name, string(trimmed))
	if err != nil {
		return nil, err
	}
	return []Response{r}, nil
}

var (
	responseStartRE = regexp.MustCompile(`<([A-Za-z_][\w.-]*:)?Response[\s>]`)
	responseEndRE   = regexp.MustCompile(`</([A-Za-z_][\w.-]*:)?Response\s*>`)
)

func fromXML(name string, doc []byte) (Response, error) {
	if err := looksLikeResponse(doc); err != nil {
		return Response{}, fmt.Errorf("%s: %w", name, err)
	}
	return Response{Source: name, Base64: base64.StdEncoding.EncodeToString(doc), XML: doc}, nil
}

// fromBase64 decodes a bare base64 value. Line breaks and spaces (a value
// wrapped by a terminal or an email) are ignored, as are missing '='
// padding characters only when the rest decodes cleanly.
func fromBase64(name, s string) (Response, error) {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	raw, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			at := int(ce)
			if at >= len(clean) || strings.ContainsRune(b64Alphabet, rune(clean[at])) {
				return Response{}, fmt.Errorf("%s: base64 is truncated or cut short at byte %d of %d, %s (%w)", name, int64(ce), len(clean), expected, ErrNoResponse)
			}
			return Response{}, fmt.Errorf("%s: not base64 (bad byte %q at offset %d), %s (%w)", name, clean[int(ce)], int64(ce), expected, ErrNoResponse)
		}
		return Response{}, fmt.Errorf("%s: not base64: %v, %s (%w)", name, err, expected, ErrNoResponse)
	}
	if err := looksLikeResponse(raw); err != nil {
		return Response{}, fmt.Errorf("%s: base64 decodes, but %w", name, err)
	}
	return Response{Source: name, Base64: clean, XML: raw}, nil
}

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="

var (
	// formValueRE finds SAMLResponse=VALUE in a form body, a URL, a curl
	// command line or a log line; the value ends at '&', a quote or space.
	formValueRE = regexp.MustCompile(`(?:^|[?&\s"'])SAMLResponse=([^&\s"'<>]+)`)
	relayRE     = regexp.MustCompile(`(?:^|[?&\s"'])RelayState=([^&\s"'<>]*)`)
	// inputRE finds an HTML hidden input named SAMLResponse, attributes in
	// either order (IdP auto-post pages, saml2aws --verbose dumps).
	inputRE  = regexp.MustCompile(`(?is)<input\b[^>]*\bname\s*=\s*["']SAMLResponse["'][^>]*>`)
	valueRE  = regexp.MustCompile(`(?is)\bvalue\s*=\s*(?:"([^"]*)"|'([^']*)')`)
	actionRE = regexp.MustCompile(`(?is)<form\b[^>]*\baction\s*=\s*(?:"([^"]*)"|'([^']*)')`)
)

// fromText finds one SAMLResponse in a form body, an HTML page or a log.
func fromText(name string, data []byte) (Response, error) {
	s := string(data)
	if m := inputRE.FindString(s); m != "" {
		v := valueRE.FindStringSubmatch(m)
		if v == nil {
			return Response{}, fmt.Errorf("%s: the SAMLResponse input has no value attribute (%w)", name, ErrNoResponse)
		}
		r, err := fromBase64(name, html.UnescapeString(v[1]+v[2]))
		if err != nil {
			return Response{}, err
		}
		if a := actionRE.FindStringSubmatch(s); a != nil {
			r.PostedTo = html.UnescapeString(a[1] + a[2])
		}
		return r, nil
	}
	m := formValueRE.FindStringSubmatch(s)
	if m == nil {
		return Response{}, fmt.Errorf("%s: mentions SAMLResponse but holds no SAMLResponse=VALUE or <input name=\"SAMLResponse\">, %s (%w)", name, expected, ErrNoResponse)
	}
	v, err := url.QueryUnescape(m[1])
	if err != nil {
		return Response{}, fmt.Errorf("%s: the SAMLResponse form value is not URL-encoded correctly: %v (%w)", name, err, ErrNoResponse)
	}
	r, err := fromBase64(name, v)
	if err != nil {
		return Response{}, err
	}
	if rs := relayRE.FindStringSubmatch(s); rs != nil {
		r.RelayState, _ = url.QueryUnescape(rs[1])
	}
	return r, nil
}

// looksLikeResponse is a cheap check that a document is XML whose root is a
// Response; sp/sts does the real, hardened parse.
func looksLikeResponse(doc []byte) error {
	d := bytes.TrimSpace(doc)
	if len(d) == 0 || d[0] != '<' {
		return errors.New("the document is not XML, expected a samlp:Response")
	}
	root := rootName(d)
	if root == "" {
		return errors.New("the document is not well-formed XML (truncated?), expected a samlp:Response")
	}
	if root != "Response" {
		return fmt.Errorf("the XML root is <%s>, expected a samlp:Response", root)
	}
	// A capture cut short (a truncated copy from a terminal or a log line
	// limit) is the usual reason a response is not well-formed: say so.
	dec := xml.NewDecoder(bytes.NewReader(d))
	depth := 0
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			if depth != 0 {
				return errors.New("the XML ends inside the document: the capture is truncated")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("the samlp:Response is not well-formed XML (%v): the capture is truncated or altered", err)
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
}

// har is the part of HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/)
// that carries form posts.
type har struct {
	Log *struct {
		Entries []struct {
			StartedDateTime string `json:"startedDateTime"`
			Request         struct {
				Method   string `json:"method"`
				URL      string `json:"url"`
				PostData *struct {
					MimeType string `json:"mimeType"`
					Text     string `json:"text"`
					Params   []struct {
						Name  string `json:"name"`
						Value string `json:"value"`
					} `json:"params"`
				} `json:"postData"`
			} `json:"request"`
		} `json:"entries"`
	} `json:"log"`
}

func harResponses(name string, data []byte) ([]Response, error) {
	var h har
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("%s: JSON that does not parse (%v), %s", name, err, expected)
	}
	if h.Log == nil {
		return nil, fmt.Errorf("%s: JSON without a \"log\" object, expected a HAR file (%w)", name, ErrNoResponse)
	}
	var out []Response
	var errs []string
	for i, e := range h.Log.Entries {
		pd := e.Request.PostData
		if !strings.EqualFold(e.Request.Method, "POST") || pd == nil {
			continue
		}
		source := fmt.Sprintf("%s entry %d (POST %s)", name, i+1, e.Request.URL)
		var value, relay string
		found := false
		// Params hold the form fields decoded when the browser filled them;
		// Text holds the raw body. Chrome fills both, Firefox sometimes only
		// Text.
		for _, p := range pd.Params {
			switch p.Name {
			case "SAMLResponse":
				value, found = p.Value, true
			case "RelayState":
				relay = p.Value
			}
		}
		if found && strings.Contains(value, "%") {
			if v, err := url.QueryUnescape(value); err == nil {
				value = v
			}
		}
		if !found && strings.Contains(pd.Text, "SAMLResponse=") {
			form, err := url.ParseQuery(strings.TrimSpace(pd.Text))
			if err != nil || len(form["SAMLResponse"]) == 0 {
				errs = append(errs, fmt.Sprintf("%s: the form body does not decode", source))
				continue
			}
			value, relay, found = form.Get("SAMLResponse"), form.Get("RelayState"), true
		}
		if !found {
			continue
		}
		r, err := fromBase64(source, value)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		r.PostedTo, r.RelayState = e.Request.URL, relay
		if t, err := time.Parse(time.RFC3339Nano, e.StartedDateTime); err == nil {
			r.PostedAt = t.UTC()
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		if len(errs) > 0 {
			return nil, fmt.Errorf("%s: %s (%w)", name, strings.Join(errs, "; "), ErrNoResponse)
		}
		return nil, fmt.Errorf("%s: HAR with %d entries, none a POST carrying a SAMLResponse form field; record the HAR across the sign-in, with \"Preserve log\" on (%w)",
			name, len(h.Log.Entries), ErrNoResponse)
	}
	return out, nil
}
