package idp

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
)

const pageHead = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{block "title" .}}samlab IdP{{end}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}
.error{color:#a00}label{display:block;margin-top:1em}input[type=text],input[type=password]{width:100%}</style>
</head><body>`

var (
	loginPage = template.Must(template.New("login").Parse(pageHead + `
<h1>Sign in</h1>
<p>samlab identity provider <code>{{.EntityID}}</code></p>
{{/* span#input-error is the element saml2aws's KeyCloak provider looks
     for after a failed login; without it, it retries the login forever. */}}
{{if .Error}}<p class="error" id="error"><span id="input-error">{{.Error}}</span></p>{{end}}
{{if .Notice}}<p id="notice">{{.Notice}}</p>{{end}}
<form id="login" method="post" action="{{.Action}}">
<input type="hidden" name="return" value="{{.Return}}">
<input type="hidden" name="{{.CSRFField}}" value="{{.CSRF}}">
<label for="username">Username</label><input type="text" id="username" name="username" value="{{.Username}}" autocomplete="username" autofocus>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password">
<p><button type="submit">Sign in</button></p>
</form></body></html>`))

	homePage = template.Must(template.New("home").Parse(pageHead + `
<h1>Hello, {{.User.Name}}</h1>
<p>samlab identity provider <code>{{.EntityID}}</code></p>
<h2>Applications</h2>
<ul>
{{if .User.Roles}}<li><a id="aws" href="{{.Base}}sso/aws">AWS</a> (posts to <code>{{.AWSSignInURL}}</code>)<ul>
{{range .User.Roles}}<li><code>{{.RoleARN}}</code></li>{{end}}</ul></li>{{end}}
{{range .SPs}}<li><a href="{{$.Base}}sso/init?sp={{.}}">{{.}}</a></li>{{end}}
</ul>
<form method="post" action="{{.Base}}logout"><input type="hidden" name="csrf_token" value="{{.CSRF}}"><button type="submit">Sign out</button></form>
</body></html>`))

	logoutPage = template.Must(template.New("logout").Parse(pageHead + `
<h1>Sign out</h1>
<p>Sign out of the samlab identity provider?</p>
<form id="logout" method="post" action="{{.Action}}">
<input type="hidden" name="{{.CSRFField}}" value="{{.CSRF}}">
<p><button type="submit">Sign out</button> <a href="{{.Base}}">Cancel</a></p>
</form></body></html>`))

	// postPage is the HTTP-POST binding form (SAML Bindings §3.5.4).
	postPage = template.Must(template.New("post").Parse(pageHead + `
<form id="saml" method="post" action="{{.URL}}">
<input type="hidden" name="SAMLResponse" value="{{.SAMLResponse}}">
{{if .RelayState}}<input type="hidden" name="RelayState" value="{{.RelayState}}">{{end}}
<noscript><p>JavaScript is off: press the button to continue.</p></noscript>
<button type="submit">Continue</button>
</form>
<script>document.getElementById("saml").submit()</script>
</body></html>`))

	errorPage = template.Must(template.New("error").Parse(pageHead + `
<h1>{{.Status}} {{.StatusText}}</h1>
<p class="error" id="reason">{{.Reason}}</p>
<p><a href="{{.Base}}">Back to the IdP</a></p>
</body></html>`))
)

// render executes t into a buffer first, so a template failure still yields
// a complete page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		s.logger.ErrorContext(r.Context(), "render page", "template", t.Name(), "error", err)
		buf.Reset()
		buf.WriteString("<!DOCTYPE html><title>error</title><p>The page could not be rendered.</p>")
		status = http.StatusUnprocessableEntity
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
