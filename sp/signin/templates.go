package signin

import (
	"html/template"

	"github.com/samlab-dev/samlab/internal/webstyle"
)

// pageHead opens every sign-in page: the shared stylesheet inlined (nothing
// is fetched from elsewhere, not even a favicon), and AWS's outer
// div#container > div#content.
const pageHead = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{block "title" .}}Amazon Web Services Sign-In{{end}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>` + webstyle.CSS + `</style></head><body>
<header class="bar"><a href="/">samlab</a> <span class="muted">· Amazon Web Services Sign-In (mock)</span></header>
<div id="container">
<div id="content">
`

const pageFoot = `</div>
</div>
</body></html>
`

// chooserTmpl mirrors the structure of AWS's role chooser that CLI tools
// scrape: form#saml_form > fieldset > div.saml-account (one per account) >
// div > div.saml-account-name, then an inner div.saml-account with a
// numeric id holding div.saml-role > input.saml-radio[name=roleIndex]
// [value=ARN][id=ARN] + label[for=ARN].saml-role-description.
var chooserTmpl = template.Must(template.New("chooser").Parse(pageHead + `<h1>Select a role:</h1>
{{if .Notice}}<p class="error" id="error_message">{{.Notice}}</p>{{end}}
<form id="saml_form" name="saml_form" action="/saml" method="post">
<fieldset>
{{range .Accounts}}<div class="saml-account">
  <div>
  <div class="saml-account-name">{{.Label}}</div>
  </div>
  <hr>
  <div id="{{.Index}}" class="saml-account">
  {{range .Roles}}<div class="saml-role">
    <input type="radio" name="roleIndex" value="{{.ARN}}" class="saml-radio" id="{{.ARN}}"/>
    <label for="{{.ARN}}" class="saml-role-description">{{.Name}}</label>
  </div>
  {{end}}</div>
</div>
{{end}}</fieldset>
<input type="hidden" name="SAMLResponse" value="{{.SAMLResponse}}"/>
<input type="hidden" name="RelayState" value="{{.RelayState}}"/>
<input type="hidden" name="{{.ChooserField}}" value="1"/>
<p><input type="submit" id="signin_button" value="Sign in"/></p>
</form>
` + pageFoot))

// messageTmpl is the error page (AWS's words in p#error_message, then the
// opt-in why panel) and the signed-out page.
var messageTmpl = template.Must(template.New("message").Parse(pageHead + `<h1>{{.Title}}</h1>
<p{{if .Error}} class="error" id="error_message"{{end}}>{{.Message}}</p>
<p><a href="/logout">Sign out</a></p>
{{with .Why}}<details class="why" id="why"{{if not .Closed}} open{{end}}>
<summary>Why? (samlab)</summary>
<p>Sign-in request <code id="why-request-id">{{.RequestID}}</code>{{if .At}}, replayed against what IAM holds now ({{.At}}){{end}}.</p>
{{if .Unavailable}}<p id="why-unavailable">No explanation: {{.Unavailable}}.</p>{{else}}
<table>
{{if .Code}}<tr><th>AWS error</th><td id="why-verdict"><code>{{.Code}}</code>: {{.Message}}</td></tr>{{end}}
{{if .Cause}}<tr><th>Cause</th><td id="why-cause">{{.Cause}}</td></tr>{{end}}
{{if .Diagnosis}}<tr><th>Diagnosis</th><td id="why-diagnosis"><code>{{.Diagnosis}}</code> <span class="muted">(samlab scenario run {{.Diagnosis}} reproduces it, where the library has it)</span></td></tr>{{end}}
<tr><th>Role</th><td><code>{{.RoleARN}}</code></td></tr>
<tr><th>SAML provider</th><td><code>{{.ProviderARN}}</code></td></tr>
</table>
{{if .Facts}}<h2>Certificates, issuer, audience, times</h2>
<ul class="findings" id="why-facts">{{range .Facts}}<li>{{if .NotJudged}}<span class="muted">n/a {{.Check}}</span>{{else if .OK}}<span class="ok">✓ {{.Check}}</span>{{else}}<span class="bad">✗ {{.Check}}</span>{{end}} — {{.Detail}}</li>{{end}}</ul>{{end}}
{{if .Failing}}<h2>What else failed</h2>
<ul class="findings" id="why-failing">{{range .Failing}}<li><span class="bad">✗ {{.Check}}</span> — {{.Detail}}</li>{{end}}</ul>{{end}}
{{if .Fixes}}<h2>The fix</h2>
<p>The commands read two files: what IAM holds, <code>aws iam get-saml-provider --saml-provider-arn {{.ProviderARN}} --query SAMLMetadataDocument --output text &gt; registered.xml</code>{{if .MetadataURL}}, and the IdP's current metadata, <code>curl -so idp-metadata.xml {{.MetadataURL}}</code>{{end}}.</p>
<ol id="why-fixes">{{range .Fixes}}<li><b>[{{.Where}}] {{.Title}}</b><br><span class="muted">{{.Why}}</span>
{{if .Commands}}<pre>{{range .Commands}}$ {{.}}
{{end}}</pre>{{end}}{{if .IDPSetting}}<p>IdP setting: <code>{{.IDPSetting}}</code></p>{{end}}</li>{{end}}</ol>{{end}}
{{if .NotJudged}}<p class="muted">Not judged: {{range $i, $n := .NotJudged}}{{if $i}}; {{end}}{{$n}}{{end}}.</p>{{end}}
{{if .Passing}}<details><summary>Checks that passed ({{len .Passing}})</summary>
<ul class="findings" id="why-passing">{{range .Passing}}<li>{{if .NotJudged}}<span class="muted">n/a</span>{{else}}<span class="ok">✓</span>{{end}} {{.Check}} — {{.Detail}}</li>{{end}}</ul></details>{{end}}
<p class="muted">The same report on the command line: <code>samlab explain --response CAPTURE --endpoint URL</code> (docs/explain.md).</p>
{{end}}</details>{{end}}
` + pageFoot))

var logoutTmpl = template.Must(template.New("logout").Parse(pageHead + `<h2>Sign out</h2>
<form id="logout_form" action="/logout" method="post"><p>Sign out of the console?</p>
<p><input type="submit" id="logout_button" value="Sign out"/></p></form>
` + pageFoot))

// consoleTmpl is the console landing page: the session, what the IdP
// asserted and what STS applied, and the session's CLI credentials.
var consoleTmpl = template.Must(template.New("console").Parse(pageHead + `<h1>Console Home</h1>
<p id="identity">Signed in as <code>{{.S.ARN}}</code></p>
<table>
<tr><th>Account</th><td id="account">{{.S.Account}}</td></tr>
{{if .S.Federated}}<tr><th>Federated user</th><td id="federated-user">{{.S.SessionName}}</td></tr>
<tr><th>Federated by</th><td id="federated-by">{{.S.FederatedBy}}</td></tr>
{{else}}<tr><th>Role</th><td id="role">{{.S.RoleARN}}</td></tr>
<tr><th>Session name</th><td id="session-name">{{.S.SessionName}}</td></tr>{{end}}
<tr><th>Session ends</th><td id="expires">{{.S.Expires.UTC.Format "2006-01-02T15:04:05Z"}} (in {{.Remaining}})</td></tr>
{{if .S.Issuer}}<tr><th>Federation broker</th><td>{{.S.Issuer}}</td></tr>{{end}}
{{with .S.SAML}}<tr><th>SAML provider</th><td id="provider"><code>{{.ProviderARN}}</code></td></tr>
<tr><th>Issuer</th><td id="issuer"><code>{{.Issuer}}</code></td></tr>
<tr><th>NameID</th><td id="name-id"><code>{{.NameID}}</code> <span class="muted">{{.NameIDFormat}}</span></td></tr>
<tr><th>SourceIdentity</th><td id="source-identity">{{if .SourceIdentity}}<code>{{.SourceIdentity}}</code>{{else}}<span class="muted">none</span>{{end}}</td></tr>
<tr><th>Session tags</th><td id="tags">{{range .SortedTags}}<code>{{.Key}}={{.Value}}</code> {{else}}<span class="muted">none</span>{{end}}{{if .TransitiveTagKeys}}<br><span class="muted">transitive: {{range .TransitiveTagKeys}}{{.}} {{end}}</span>{{end}}</td></tr>
<tr><th>Duration</th><td id="duration">requested {{if .RequestedDuration}}{{.RequestedDuration}} (SessionDuration attribute){{else}}<span class="muted">nothing (no SessionDuration attribute)</span>{{end}}; applied {{.AppliedDuration}}</td></tr>
<tr><th>Sign-in request</th><td id="request-id"><code>{{.RequestID}}</code></td></tr>{{end}}
</table>
{{with .S.SAML}}<h2>CLI credentials for this session</h2>
<pre id="credentials">{{.Exports}}</pre>
<details><summary>The SAML response, decoded</summary>
<pre id="assertion">{{.Assertion}}</pre>
</details>{{end}}
<form action="/logout" method="post"><input type="submit" value="Sign out"/></form>
` + pageFoot))
