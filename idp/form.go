package idp

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"

	"golang.org/x/net/html"
)

// ErrNoLoginForm is returned by ParseLoginForm when the page has no form
// with a password field.
var ErrNoLoginForm = errors.New("no login form in page")

// ParseLoginForm reads the IdP's login page as a client that plays the
// browser must: it returns the action of the first form with a "password"
// input and that form's fields with their values (the hidden return and
// CSRFField among them), to fill in username and password and post back.
func ParseLoginForm(page []byte) (action string, fields url.Values, err error) {
	action, fields, err = parseForm(page, func(v url.Values) bool { return v.Has("password") })
	if errors.Is(err, ErrNoForm) {
		err = ErrNoLoginForm
	}
	return action, fields, err
}

// ErrNoForm is returned by ParsePostForm when the page has no form with a
// SAMLResponse or SAMLRequest field.
var ErrNoForm = errors.New("no SAML form in page")

// ParsePostForm reads an HTTP-POST binding page (SAML Bindings §3.5.4), such
// as the one the IdP sends to the browser: it returns the first form that
// carries a SAMLResponse or SAMLRequest input, its action URL, and its input
// fields. Clients that play the browser (samlab login, tests) use it.
func ParsePostForm(page []byte) (action string, fields url.Values, err error) {
	return parseForm(page, func(v url.Values) bool { return v.Has("SAMLResponse") || v.Has("SAMLRequest") })
}

// parseForm returns the first form of page whose fields satisfy want.
func parseForm(page []byte, want func(url.Values) bool) (action string, fields url.Values, err error) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return "", nil, fmt.Errorf("parse html: %w", err)
	}
	var found bool
	var walkForm func(n *html.Node, vals url.Values)
	walkForm = func(n *html.Node, vals url.Values) {
		if n.Type == html.ElementNode && n.Data == "input" {
			name, value := attr(n, "name"), attr(n, "value")
			if name != "" {
				vals.Add(name, value)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walkForm(c, vals)
		}
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if found {
			return
		}
		if n.Type == html.ElementNode && n.Data == "form" {
			vals := url.Values{}
			walkForm(n, vals)
			if want(vals) {
				action, fields, found = attr(n, "action"), vals, true
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if !found {
		return "", nil, ErrNoForm
	}
	return action, fields, nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
