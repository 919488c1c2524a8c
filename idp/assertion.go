package idp

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/beevik/etree"
)

// Formats of GET /assertion (the "format" query parameter).
const (
	AssertionFormatHTML   = "html"   // a page for people (the default)
	AssertionFormatJSON   = "json"   // an Assertion document, for clients such as samlab idp assert
	AssertionFormatBase64 = "base64" // the SAMLResponse alone, one line of text
)

// AssertionFile is the file name the suggested command reads the
// SAMLResponse from when the caller names none.
const AssertionFile = "samlresponse.b64"

// Assertion is the JSON answer of GET /assertion?format=json: a signed
// SAMLResponse for AWS and what aws sts assume-role-with-saml needs besides.
type Assertion struct {
	// SAMLResponse is the base64 response: the SAMLAssertion parameter.
	SAMLResponse string `json:"SAMLResponse"`
	// RoleARN and PrincipalARN are the role chosen (the role query
	// parameter, else the user's first role) and its SAML provider.
	RoleARN      string `json:"RoleArn"`
	PrincipalARN string `json:"PrincipalArn"`
	// Roles are all the roles the response carries.
	Roles []AssertionRole `json:"Roles"`
	// ResponseID is the Response's ID attribute, as the IdP's log names it.
	ResponseID string `json:"ResponseId"`
	// EndpointURL is the STS endpoint of the mock AWS beside the IdP (where
	// it serves console sign-in); empty when the IdP posts to AWS itself.
	EndpointURL string `json:"EndpointUrl,omitempty"`
	// Fault is the fault the IdP injects into its responses, if any.
	Fault Fault `json:"Fault,omitempty"`
	// Command is a ready-to-paste aws CLI command that redeems the response
	// saved as AssertionFile.
	Command string `json:"Command"`
}

// AssertionRole is a role of an Assertion, named as AssumeRoleWithSAML's
// parameters are.
type AssertionRole struct {
	RoleARN      string `json:"RoleArn"`
	PrincipalARN string `json:"PrincipalArn"`
}

// AssumeRoleCommand returns the aws CLI command that redeems the SAMLResponse
// saved in file for role through provider, at endpoint (omitted when empty:
// AWS itself). Arguments are quoted for POSIX shells where they need it.
func AssumeRoleCommand(endpoint, role, provider, file string) string {
	var b strings.Builder
	b.WriteString("aws sts assume-role-with-saml")
	if endpoint != "" {
		b.WriteString(" --endpoint-url " + shellWord(endpoint))
	}
	b.WriteString(" --role-arn " + shellWord(role))
	b.WriteString(" --principal-arn " + shellWord(provider))
	b.WriteString(" --saml-assertion " + shellWord("file://"+file))
	return b.String()
}

// shellWord quotes s for a POSIX shell unless it is made only of characters
// no shell treats specially.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:,=@+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Fault returns the fault the IdP injects into the responses it issues over
// HTTP for AWS (IdP-initiated SSO and GET /assertion); FaultNone by default.
func (s *Server) Fault() Fault {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.fault
}

// SetFault makes the IdP inject f into every response it issues over HTTP
// for AWS from now on, so a served lab can start broken; FaultNone turns it
// off. It returns ErrUnknownFault for a name it does not know.
func (s *Server) SetFault(f Fault) error {
	if _, err := ParseFault(string(f)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
	return nil
}

// errAssertion is an assertion request the IdP refuses, with its status.
type errAssertion struct {
	status int
	msg    string
}

func (e *errAssertion) Error() string { return e.msg }

// handleAssertion is GET /assertion: for the logged-in user, a signed
// SAMLResponse for AWS to redeem by hand with AssumeRoleWithSAML, as a page
// (format=html, the default), JSON (format=json) or bare base64
// (format=base64). role=ARN sends that role only.
//
// It changes no state, so a GET is safe from forgery: another site can send
// a browser here but cannot read the answer (same-origin policy; no CORS
// headers, Cross-Origin-Resource-Policy same-origin, no framing). It needs
// the login session, and nothing is cached (no-store): the response is a
// credential until it expires.
func (s *Server) handleAssertion(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Cross-Origin-Resource-Policy", "same-origin")
	q := r.URL.Query()
	format := q.Get("format")
	switch format {
	case "":
		format = AssertionFormatHTML
	case AssertionFormatHTML, AssertionFormatJSON, AssertionFormatBase64:
	default:
		s.assertionError(w, r, AssertionFormatJSON, &errAssertion{http.StatusBadRequest,
			fmt.Sprintf("format %q: want html, json or base64", format)}, nil)
		return
	}
	var u User
	if format == AssertionFormatHTML {
		var ok bool
		if u, ok = s.requireLogin(w, r); !ok {
			return
		}
	} else if cur, ok := s.currentUser(r); ok {
		u = cur
	} else {
		s.assertionError(w, r, format, &errAssertion{http.StatusUnauthorized,
			"nobody is logged in: log in at " + s.absURL(r, "login") + " first"}, nil)
		return
	}
	a, xml, err := s.assertionFor(r, u, q.Get("role"))
	if err != nil {
		s.assertionError(w, r, format, err, err)
		return
	}
	s.logger.InfoContext(r.Context(), "assertion", "user", u.Name, "sp", AWSEntityID, "response_id", a.ResponseID,
		"role_arn", a.RoleARN, "fault", string(a.Fault))
	switch format {
	case AssertionFormatJSON:
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(a)
	case AssertionFormatBase64:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprintln(w, a.SAMLResponse)
	default:
		s.render(w, r, http.StatusOK, assertionPage, map[string]any{
			"Base": base(r), "User": u, "A": a, "XML": xml, "File": AssertionFile,
			"JSONURL": "assertion?" + url.Values{"format": {"json"}, "role": {a.RoleARN}}.Encode(),
			"Others":  otherRoles(u.Roles, a.RoleARN),
		})
	}
}

// assertionFor builds the response for u (only role when set) with the
// IdP's fault, and returns it with its XML indented for reading.
func (s *Server) assertionFor(r *http.Request, u User, role string) (*Assertion, string, error) {
	if len(u.Roles) == 0 {
		return nil, "", &errAssertion{http.StatusForbidden, fmt.Sprintf("user %q is not mapped to any AWS role", u.Name)}
	}
	opts := ResponseOptions{}
	chosen := u.Roles[0]
	if role != "" {
		i := slices.IndexFunc(u.Roles, func(x Role) bool { return x.RoleARN == role })
		if i < 0 {
			return nil, "", &errAssertion{http.StatusBadRequest, fmt.Sprintf("user %q is not mapped to role %q (roles: %s)",
				u.Name, role, strings.Join(roleARNs(u.Roles), ", "))}
		}
		chosen = u.Roles[i]
		opts.Roles = []Role{chosen}
	}
	fault := s.Fault()
	resp, err := s.FaultyResponse(u, opts, fault)
	if err != nil {
		return nil, "", fmt.Errorf("build a response for AWS: %w", err)
	}
	sent := u.Roles
	if opts.Roles != nil {
		sent = opts.Roles
	}
	roles := make([]AssertionRole, len(sent))
	for i, r := range sent {
		roles[i] = AssertionRole{RoleARN: r.RoleARN, PrincipalARN: r.ProviderARN}
	}
	endpoint := s.stsEndpoint(r)
	a := &Assertion{SAMLResponse: resp.Base64(), RoleARN: chosen.RoleARN, PrincipalARN: chosen.ProviderARN,
		Roles: roles, ResponseID: resp.ResponseID, EndpointURL: endpoint, Fault: fault,
		Command: AssumeRoleCommand(endpoint, chosen.RoleARN, chosen.ProviderARN, AssertionFile)}
	return a, indentXML(resp.XML), nil
}

// stsEndpoint returns where the mock AWS beside the IdP answers STS: the
// origin of the console sign-in endpoint the IdP posts to (samlab serves
// both at one address). It is empty when that endpoint is AWS's own.
func (s *Server) stsEndpoint(r *http.Request) string {
	if s.awsACS == AWSSignInURL {
		return ""
	}
	page, err := url.Parse(s.absURL(r, "assertion"))
	if err != nil {
		return ""
	}
	acs, err := page.Parse(s.awsACS)
	if err != nil {
		return ""
	}
	return acs.Scheme + "://" + acs.Host
}

// assertionError answers a refused assertion request in the format asked
// for; cause, when not an errAssertion, is logged and a 422 shown.
func (s *Server) assertionError(w http.ResponseWriter, r *http.Request, format string, err error, cause error) {
	var ea *errAssertion
	if !errors.As(err, &ea) {
		ea = &errAssertion{http.StatusUnprocessableEntity, "The IdP could not build a response for AWS."}
	}
	if format == AssertionFormatHTML {
		s.renderError(w, r, ea.status, ea.msg, cause)
		return
	}
	attrs := []any{"status", ea.status, "path", r.URL.Path, "reason", ea.msg}
	if cause != nil && !errors.As(cause, new(*errAssertion)) {
		attrs = append(attrs, "error", cause)
	}
	s.logger.InfoContext(r.Context(), "request rejected", attrs...)
	if format == AssertionFormatBase64 {
		http.Error(w, ea.msg, ea.status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(ea.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": ea.msg})
}

func roleARNs(rs []Role) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.RoleARN)
	}
	return out
}

func otherRoles(rs []Role, chosen string) []string {
	var out []string
	for _, r := range rs {
		if r.RoleARN != chosen {
			out = append(out, r.RoleARN)
		}
	}
	return out
}

// indentXML returns doc indented for reading (display only: indenting
// changes the signed bytes). A document that does not parse is returned as
// it is.
func indentXML(doc []byte) string {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return string(doc)
	}
	d.Indent(2)
	s, err := d.WriteToString()
	if err != nil {
		return string(doc)
	}
	return s
}

// assertionPage shows the SAMLResponse, the decoded response and the aws CLI
// command. The copy buttons need the inline script (no external fetches);
// without JavaScript they stay hidden and the text is selectable.
var assertionPage = template.Must(template.New("assertion").Parse(pageHead + `
<h1>SAML assertion for AWS</h1>
<p>Signed for <strong id="user">{{.User.Name}}</strong>, role <code id="role">{{.A.RoleARN}}</code>
through <code id="provider">{{.A.PrincipalARN}}</code>. It is valid for a few minutes: redeem it with
<code>aws sts assume-role-with-saml</code>.</p>
{{if .Others}}<p>Other roles: {{range .Others}}<a href="?role={{.}}">{{.}}</a> {{end}}</p>{{end}}
{{if .A.Fault}}<p class="error" id="fault">The IdP injects the fault <code>{{.A.Fault}}</code> into its responses.</p>{{end}}
<h2><label for="samlresponse">SAMLResponse</label></h2>
<p>Save it as <code>{{.File}}</code>. <button type="button" class="copy" data-copy="samlresponse" hidden>Copy</button></p>
<textarea id="samlresponse" readonly rows="6" cols="80" spellcheck="false" style="width:100%;word-break:break-all">{{.A.SAMLResponse}}</textarea>
<h2>Command</h2>
<p><button type="button" class="copy" data-copy="command" hidden>Copy</button></p>
<pre id="command" style="white-space:pre-wrap;word-break:break-all">{{.A.Command}}</pre>
<h2>Decoded response</h2>
<pre id="decoded" style="overflow-x:auto">{{.XML}}</pre>
<p><a href="{{.JSONURL}}">As JSON</a> · <a href="{{.Base}}">Back to the IdP</a></p>
<script>
for (const b of document.querySelectorAll("button.copy")) {
  b.hidden = false;
  b.addEventListener("click", () => {
    const el = document.getElementById(b.dataset.copy);
    const text = el.value !== undefined ? el.value : el.textContent;
    const done = () => { b.textContent = "Copied"; setTimeout(() => { b.textContent = "Copy"; }, 1500); };
    if (navigator.clipboard) { navigator.clipboard.writeText(text).then(done); return; }
    if (el.select) { el.select(); } else { getSelection().selectAllChildren(el); }
    document.execCommand("copy"); done();
  });
}
</script>
</body></html>`))
