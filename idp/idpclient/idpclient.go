// Package idpclient plays the browser against a samlab IdP: it opens the
// login form, posts it back filled in (with its hidden fields: the way back
// and the anti-forgery token), keeps the session cookie, and then fetches a
// SAMLResponse for AWS, from IdP-initiated SSO (as saml2aws does) or from the
// IdP's GET /assertion endpoint. samlab login and samlab idp assert
// --endpoint share it.
package idpclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"

	"github.com/crewjam/saml"

	"github.com/samlab-dev/samlab/awssaml"
	"github.com/samlab-dev/samlab/idp"
)

// maxPage bounds every page read from the IdP.
const maxPage = 4 << 20

// ErrLoginFailed is wrapped by the error of a login the IdP refused.
var ErrLoginFailed = errors.New("IdP login failed")

// LoginError is a login the IdP refused, with its HTTP status and the reason
// the page gives. It wraps ErrLoginFailed.
type LoginError struct {
	URL    string
	Status int
	Reason string
}

func (e *LoginError) Error() string {
	return fmt.Sprintf("IdP login at %s failed (HTTP %d): %s", e.URL, e.Status, e.Reason)
}

// Unwrap returns ErrLoginFailed.
func (e *LoginError) Unwrap() error { return ErrLoginFailed }

// Client talks to one IdP as one user agent. It is not safe for concurrent
// logins, but its methods may be called one after another.
type Client struct {
	base *url.URL
	hc   *http.Client
}

// New returns a client for the IdP at idpURL (its root, such as
// http://127.0.0.1:8765/idp). hc is copied and given a cookie jar when it
// has none; nil means a default client.
func New(idpURL string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimSuffix(idpURL, "/") + "/")
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("IdP URL %q is not an http(s) URL", idpURL)
	}
	c := &http.Client{}
	if hc != nil {
		cp := *hc
		c = &cp
	}
	if c.Jar == nil {
		if c.Jar, err = cookiejar.New(nil); err != nil {
			return nil, err
		}
	}
	return &Client{base: u, hc: c}, nil
}

// URL returns the absolute URL of an IdP page (rel is relative to its root).
func (c *Client) URL(rel string) string { return c.base.ResolveReference(&url.URL{Path: rel}).String() }

// Login logs user in through the IdP's login form. A refused login is a
// *LoginError with the page's reason.
func (c *Client) Login(ctx context.Context, user, password string) error {
	loginURL := c.base.ResolveReference(&url.URL{Path: "login"})
	resp, page, err := c.do(ctx, http.MethodGet, loginURL.String(), nil)
	if err != nil {
		return fmt.Errorf("open the IdP login form: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("open the IdP login form: GET %s: %s", loginURL, resp.Status)
	}
	action, form, err := idp.ParseLoginForm(page)
	if err != nil {
		return fmt.Errorf("IdP login form at %s: %w", loginURL, err)
	}
	target, err := loginURL.Parse(action)
	if err != nil {
		return fmt.Errorf("IdP login form action %q: %w", action, err)
	}
	form.Set("username", user)
	form.Set("password", password)
	resp, page, err = c.do(ctx, http.MethodPost, target.String(), form)
	if err != nil {
		return fmt.Errorf("log in to the IdP: %w", err)
	}
	// Success leads (through a redirect) to a page without a login form.
	if _, _, err := idp.ParseLoginForm(page); resp.StatusCode == http.StatusOK && errors.Is(err, idp.ErrNoLoginForm) {
		return nil
	}
	reason := http.StatusText(resp.StatusCode)
	if m := reasonRE.FindSubmatch(page); m != nil {
		reason = strings.TrimSpace(html.UnescapeString(string(m[1])))
	} else if resp.StatusCode == http.StatusOK {
		reason = "the IdP showed its login form again"
	}
	return &LoginError{URL: loginURL.String(), Status: resp.StatusCode, Reason: reason}
}

// reasonRE finds the reason on the IdP's login and error pages.
var reasonRE = regexp.MustCompile(`(?s)<p class="error" id="(?:reason|error)">(?:<span id="input-error">)?(.*?)(?:</span>)?</p>`)

// AWSResponse returns the base64 SAMLResponse of IdP-initiated SSO to AWS
// (GET sso/aws), the form a browser would post to AWS's sign-in endpoint.
// It needs a login first.
func (c *Client) AWSResponse(ctx context.Context) (string, error) {
	ssoURL := c.URL("sso/aws")
	resp, page, err := c.do(ctx, http.MethodGet, ssoURL, nil)
	if err != nil {
		return "", fmt.Errorf("IdP-initiated SSO: %w", err)
	}
	_, fields, err := idp.ParsePostForm(page)
	if err != nil {
		reason := http.StatusText(resp.StatusCode)
		if m := reasonRE.FindSubmatch(page); m != nil {
			reason = strings.TrimSpace(html.UnescapeString(string(m[1])))
		} else if _, _, lerr := idp.ParseLoginForm(page); lerr == nil {
			reason = "not logged in"
		}
		return "", fmt.Errorf("IdP-initiated SSO at %s gave no SAML form (HTTP %d): %s", ssoURL, resp.StatusCode, reason)
	}
	return fields.Get("SAMLResponse"), nil
}

// Assertion asks the IdP's GET /assertion endpoint for a signed response for
// AWS (only role when set). It needs a login first.
func (c *Client) Assertion(ctx context.Context, role string) (*idp.Assertion, error) {
	q := url.Values{"format": {idp.AssertionFormatJSON}}
	if role != "" {
		q.Set("role", role)
	}
	u := c.base.ResolveReference(&url.URL{Path: "assertion", RawQuery: q.Encode()})
	resp, body, err := c.do(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		return nil, fmt.Errorf("GET %s: HTTP %d, %s instead of JSON (is it a samlab IdP with the /assertion endpoint?)",
			u, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
			e.Error = resp.Status
		}
		return nil, fmt.Errorf("GET %s: HTTP %d: %s", u, resp.StatusCode, e.Error)
	}
	var a idp.Assertion
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if a.SAMLResponse == "" {
		return nil, fmt.Errorf("GET %s: the answer has no SAMLResponse", u)
	}
	return &a, nil
}

// do sends a request (a form POST when form is non-nil) and reads at most
// maxPage of the answer.
func (c *Client) do(ctx context.Context, method, u string, form url.Values) (*http.Response, []byte, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxPage))
	return resp, b, err
}

// Roles reads the Role attribute of a base64 SAMLResponse. Values are
// "role-arn,provider-arn" in either order, as AWS accepts.
func Roles(samlResponse string) ([]idp.Role, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(samlResponse))
	if err != nil {
		return nil, fmt.Errorf("SAMLResponse is not base64: %w", err)
	}
	var r saml.Response
	if err := xml.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("SAMLResponse is not a SAML Response: %w", err)
	}
	if r.Assertion == nil {
		return nil, errors.New("the SAMLResponse carries no plaintext Assertion")
	}
	var roles []idp.Role
	for _, st := range r.Assertion.AttributeStatements {
		for _, a := range st.Attributes {
			if a.Name != idp.AttrRole {
				continue
			}
			for _, v := range a.Values {
				if p, ok := awssaml.ParseRolePair(v.Value); ok {
					roles = append(roles, idp.Role{RoleARN: p.RoleARN, ProviderARN: p.ProviderARN})
				}
			}
		}
	}
	if len(roles) == 0 {
		return nil, errors.New("the SAMLResponse grants no AWS role")
	}
	return roles, nil
}
