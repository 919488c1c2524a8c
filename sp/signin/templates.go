package signin

import "html/template"

const pageHead = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{block "title" .}}Amazon Web Services Sign-In{{end}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em}
.saml-account{border:1px solid #ccc;border-radius:4px;margin:1em 0;padding:.5em 1em}
.saml-account-name{font-weight:bold;margin-bottom:.5em}.saml-role{margin:.3em 0}
.error{color:#b00;border:1px solid #b00;padding:1em;border-radius:4px}
code{background:#eee;padding:0 .2em}</style></head><body>
<h1>Amazon Web Services Sign-In <small>(samlab)</small></h1>
`

// chooserTmpl mirrors the structure of AWS's role chooser that CLI tools
// scrape: form#saml_form, div.saml-account > div.saml-account-name,
// div.saml-role > input.saml-radio[name=roleIndex][value=ARN][id=ARN] +
// label[for=ARN].saml-role-description.
var chooserTmpl = template.Must(template.New("chooser").Parse(pageHead + `<p>Select a role:</p>
<form id="saml_form" name="saml_form" action="/saml" method="post">
<fieldset>
{{range .Accounts}}<div class="saml-account">
  <div class="saml-account-name">{{.Label}}</div>
  {{range .Roles}}<div class="saml-role">
    <input type="radio" name="roleIndex" value="{{.ARN}}" class="saml-radio" id="{{.ARN}}"/>
    <label for="{{.ARN}}" class="saml-role-description">{{.Name}}</label>
  </div>
  {{end}}</div>
{{end}}</fieldset>
<input type="hidden" name="SAMLResponse" value="{{.SAMLResponse}}"/>
<input type="hidden" name="RelayState" value="{{.RelayState}}"/>
<p><input type="submit" id="signin_button" value="Sign in"/></p>
</form>
</body></html>
`))

var messageTmpl = template.Must(template.New("message").Parse(pageHead + `<h2>{{.Title}}</h2>
<p{{if .Error}} class="error" id="error_message"{{end}}>{{.Message}}</p>
<p><a href="/logout">Sign out</a></p>
</body></html>
`))

var logoutTmpl = template.Must(template.New("logout").Parse(pageHead + `<h2>Sign out</h2>
<form id="logout_form" action="/logout" method="post"><p>Sign out of the console?</p>
<p><input type="submit" id="logout_button" value="Sign out"/></p></form>
</body></html>
`))

var consoleTmpl = template.Must(template.New("console").Parse(pageHead + `<h2>Console Home</h2>
<p id="identity">Signed in as <code>{{.S.ARN}}</code></p>
<table>
<tr><th align="left">Account</th><td id="account">{{.S.Account}}</td></tr>
{{if .S.Federated}}<tr><th align="left">Federated user</th><td id="federated-user">{{.S.SessionName}}</td></tr>
<tr><th align="left">Federated by</th><td id="federated-by">{{.S.FederatedBy}}</td></tr>
{{else}}<tr><th align="left">Role</th><td id="role">{{.S.RoleARN}}</td></tr>
<tr><th align="left">Session name</th><td id="session-name">{{.S.SessionName}}</td></tr>{{end}}
<tr><th align="left">Session ends</th><td id="expires">{{.S.Expires.UTC.Format "2006-01-02T15:04:05Z"}} (in {{.Remaining}})</td></tr>
{{if .S.Issuer}}<tr><th align="left">Federation broker</th><td>{{.S.Issuer}}</td></tr>{{end}}
</table>
<form action="/logout" method="post"><input type="submit" value="Sign out"/></form>
</body></html>
`))
