package awsapi

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
)

// parseForm parses a form-encoded body exactly as url.ParseQuery parses
// string(body): the same pairs, the same decoding of '+' and %XX, the same
// rejection of ';' separators and of bad escapes (FuzzParseForm checks that
// they agree on every input).
//
// It exists because url.ParseQuery needs a string copy of the body and
// decodes byte by byte; an AssumeRoleWithSAML body is a 5–10 KB base64
// document whose '+', '/' and '=' are all escaped, and decoding it that way
// was a measurable share of a request's CPU over HTTP. parseForm reads the
// bytes once, copies the runs between escapes in bulk and allocates each
// decoded value once.
func parseForm(body []byte) (url.Values, error) {
	m := url.Values{}
	if bytes.Count(body, []byte{'&'})+1 > maxFormParams {
		return m, errors.New("number of URL query parameters exceeded limit")
	}
	var err error
	for len(body) > 0 {
		var pair []byte
		pair, body, _ = bytes.Cut(body, []byte{'&'})
		if bytes.IndexByte(pair, ';') >= 0 {
			err = errors.New("invalid semicolon separator in query")
			continue
		}
		if len(pair) == 0 {
			continue
		}
		k, v, _ := bytes.Cut(pair, []byte{'='})
		key, kerr := unescapeForm(k)
		if kerr != nil {
			if err == nil {
				err = kerr
			}
			continue
		}
		value, verr := unescapeForm(v)
		if verr != nil {
			if err == nil {
				err = verr
			}
			continue
		}
		m[key] = append(m[key], value)
	}
	return m, err
}

// maxFormParams is net/url's default bound on the number of pairs
// (GODEBUG urlmaxqueryparams is not consulted).
const maxFormParams = 10_000

// unescapeForm decodes one form component as url.QueryUnescape does: '+'
// is a space and %XX a byte; a '%' not followed by two hex digits is an
// url.EscapeError naming the bad escape.
func unescapeForm(s []byte) (string, error) {
	n := bytes.Count(s, []byte{'%'})
	plus := bytes.IndexByte(s, '+') >= 0
	if n == 0 && !plus {
		return string(s), nil
	}
	var b strings.Builder
	b.Grow(max(len(s)-2*n, 0))
	for len(s) > 0 {
		i := bytes.IndexByte(s, '%')
		seg := s
		if i >= 0 {
			seg = s[:i]
		}
		for plus && len(seg) > 0 {
			j := bytes.IndexByte(seg, '+')
			if j < 0 {
				break
			}
			b.Write(seg[:j])
			b.WriteByte(' ')
			seg = seg[j+1:]
		}
		b.Write(seg)
		if i < 0 {
			break
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			// url.unescape's error: the escape as far as it goes, at most 3 bytes.
			return "", url.EscapeError(s[i:min(i+3, len(s))])
		}
		b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
		s = s[i+3:]
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
