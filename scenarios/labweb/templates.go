package labweb

import (
	"html/template"

	"github.com/samlab-dev/samlab/internal/webstyle"
)

const head = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{block "title" .}}samlab{{end}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>` + webstyle.CSS + `</style></head><body>
<header class="bar"><a href="/">samlab</a> <span class="muted">· local SAML IdP and mock AWS</span></header>
<main>
`

const foot = `</main>
</body></html>
`

var indexTmpl = template.Must(template.New("index").Parse(head + `<h1>samlab lab</h1>
<section class="card" id="task">
<h2>Lab task</h2>
{{with .Task}}<p><b id="task-title">{{.Title}}</b> <span class="muted">(<span id="task-id">{{.ID}}</span>{{if .Difficulty}}, difficulty <span id="task-difficulty">{{.Difficulty}}</span>{{end}})</span></p><p id="task-text" style="white-space:pre-wrap">{{.Text}}</p>
{{if .Check}}<p>When you think it is fixed, check (with the lab's admin key in <code>AWS_ACCESS_KEY_ID</code> and <code>AWS_SECRET_ACCESS_KEY</code>):</p><pre id="task-check">{{.Check}}</pre>{{end}}
{{else}}<p class="muted" id="no-lab">No lab running.</p>{{end}}
</section>
<section class="card">
<h2>Pages</h2>
<ul id="links">
{{range .Links}}<li><a href="{{.URL}}">{{.Title}}</a>{{if .Note}} <span class="muted">— {{.Note}}</span>{{end}}</li>
{{end}}<li><a id="iam-link" href="{{.IAMPath}}">IAM state</a> <span class="muted">— {{.Providers}} SAML provider(s) with their certificate fingerprints, {{.Roles}} role(s) with their trust policies</span></li>
<li><a id="events-link" href="{{.EventsPath}}">Event log</a> <span class="muted">— {{if .EventsOn}}every AWS call and browser sign-in{{else}}off (start with --events FILE){{end}}</span></li>
</ul>
</section>
<section class="card">
<h2>The mock AWS account</h2>
<p>Account <code id="account">{{.Account}}</code>{{if .Alias}} (alias <code>{{.Alias}}</code>){{end}}. IAM and STS answer at this URL, over the AWS Query protocol; point the aws CLI or an SDK at it:</p>
<pre>aws --endpoint-url {{.Base}} sts get-caller-identity
aws --endpoint-url {{.Base}} iam list-saml-providers</pre>
{{if .More}}<p id="more-accounts">More accounts on this endpoint, each with its own admin key: {{range .More}}<code>{{.}}</code> {{end}}(their IAM state is on the <a href="{{.IAMPath}}">IAM state</a> page).</p>{{end}}
</section>
` + foot))

var iamTmpl = template.Must(template.New("iam").Parse(head + `<h1>IAM state</h1>
<p class="muted">Account <code>{{.Account}}</code>{{if .Alias}} (alias <code>{{.Alias}}</code>){{end}}{{if gt (len .Accounts) 1}} and {{len .Accounts}} accounts in all on this endpoint{{end}}, read-only, at {{.Now}}. Change it with the aws CLI (<code>aws iam update-saml-provider</code>, <code>aws iam update-assume-role-policy</code>…), signed with the account's admin key.</p>
{{$several := gt (len .Accounts) 1}}{{if $several}}<nav id="accounts"><p>Accounts: {{range .Accounts}}<a href="#account-{{.Account}}"><code>{{.Account}}</code></a> {{end}}</p></nav>{{end}}
{{range .Accounts}}<section class="account" id="account-{{.Account}}">
{{if $several}}<h2 class="account-id">Account <code>{{.Account}}</code>{{if .Alias}} (alias <code>{{.Alias}}</code>){{end}}</h2>{{end}}
<h2>SAML providers</h2>
{{range .Providers}}<section class="card provider">
<p><code class="provider-arn">{{.ARN}}</code></p>
<table>
<tr><th>entityID</th><td><code>{{.EntityID}}</code></td></tr>
<tr><th>Created</th><td>{{.CreateDate.UTC.Format "2006-01-02T15:04:05Z"}}</td></tr>
<tr><th>Valid until</th><td>{{.ValidUntil.UTC.Format "2006-01-02T15:04:05Z"}}</td></tr>
<tr><th>Assertion encryption</th><td>{{if .AssertionEncryptionMode}}{{.AssertionEncryptionMode}}{{else}}unset{{end}}; {{len .PrivateKeys}} private key(s)</td></tr>
</table>
{{if .Error}}<p class="error">{{.Error}}</p>{{end}}
<h3>Certificates in the registered metadata</h3>
<table class="certs">
{{range .Certs}}<tr><th>{{.Use}}</th><td>{{.Subject}}<br>SHA-1 <code class="sha1">{{.SHA1}}</code><br>SHA-256 <code>{{.SHA256}}</code><br>{{.NotBefore}} to {{.NotAfter}} {{if .Valid}}<span class="ok">(valid)</span>{{else}}<span class="bad">(not valid now)</span>{{end}}</td></tr>
{{else}}<tr><td class="muted">none</td></tr>{{end}}
</table>
</section>
{{else}}<p class="muted">No SAML providers.</p>{{end}}
<h2>Roles</h2>
{{range .Roles}}<section class="card role">
<p><code class="role-arn">{{.ARN}}</code></p>
<table>
<tr><th>MaxSessionDuration</th><td>{{.MaxSessionDuration}} s</td></tr>
{{if .Description}}<tr><th>Description</th><td>{{.Description}}</td></tr>{{end}}
</table>
<h3>Trust policy</h3>
<pre class="trust-policy">{{.Trust}}</pre>
</section>
{{else}}<p class="muted">No roles.</p>{{end}}
</section>
{{end}}
` + foot))

var eventsTmpl = template.Must(template.New("events").Parse(head + `<h1>Event log</h1>
{{if not .On}}<p id="events-off">The event log is off. Start samlab with <code>--events FILE</code> to record every AWS call and browser sign-in (read it with <code>samlab events FILE</code>).</p>
{{else}}{{if .Error}}<p class="error">The event log could not be read completely: {{.Error}}</p>{{end}}
<p class="muted">{{.Total}} event(s), the newest {{.Shown}} first.</p>
<table id="events" class="list">
<tr><th>Time</th><th>Event</th><th>Caller</th><th>Outcome</th><th>Request ID</th></tr>
{{range .Events}}<tr class="event"><td>{{.EventTime.UTC.Format "15:04:05"}}</td><td>{{.EventSource}}<br><b>{{.EventName}}</b></td>
<td>{{if .UserIdentity.ARN}}<code>{{.UserIdentity.ARN}}</code>{{else if .UserIdentity.AccessKeyID}}<code>{{.UserIdentity.AccessKeyID}}</code>{{else}}<span class="muted">anonymous</span>{{end}}<br><span class="muted">{{.SourceIPAddress}}</span></td>
<td>{{if .ErrorCode}}<span class="bad">{{.ErrorCode}}</span> ({{.HTTPStatus}}): {{.ErrorMessage}}{{if .Cause}}<br><span class="muted">cause: {{.Cause}}</span>{{end}}{{else}}<span class="ok">ok</span>{{end}}</td>
<td><code class="request-id">{{.RequestID}}</code></td></tr>
{{end}}</table>{{end}}
` + foot))
