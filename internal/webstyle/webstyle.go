// Package webstyle holds the one stylesheet of samlab's browser pages (the
// IdP's login and home pages, the console sign-in pages, the lab index), so
// they look alike. Pages inline it in a <style> element: no page fetches
// anything from elsewhere.
package webstyle

// CSS is the stylesheet. It is a constant so that page templates can be
// built from it with string concatenation.
const CSS = `:root{--fg:#16191f;--muted:#5f6b7a;--line:#d5dbdb;--bg:#f2f3f3;--card:#fff;--accent:#0972d3;--bad:#d91515;--ok:#037f0c;--warn:#8d6605}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0}
header.bar{background:#232f3e;color:#fff;padding:.6em 1em}header.bar a{color:#fff;text-decoration:none;font-weight:600}
main,#container{max-width:60em;margin:1.5em auto;padding:0 1em}
#content,section.card,.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1em 1.25em;margin:0 0 1em}
h1{font-size:1.5em;margin:.2em 0 .6em}h2{font-size:1.15em;margin:1em 0 .4em}
a{color:var(--accent)}
code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f4f4f4;border-radius:4px}
code{padding:0 .25em;overflow-wrap:anywhere}pre{padding:.6em .8em;overflow:auto;white-space:pre-wrap;word-break:break-all;max-height:28em}
table{border-collapse:collapse;width:100%}table.list th{width:auto}th,td{text-align:left;vertical-align:top;padding:.35em .5em;border-bottom:1px solid var(--line)}th{width:14em;color:var(--muted);font-weight:600}
label{display:block;margin-top:.8em}
input[type=text],input[type=password]{width:100%;padding:.5em;border:1px solid var(--line);border-radius:4px;font:inherit}
button,input[type=submit]{background:var(--accent);color:#fff;border:0;border-radius:16px;padding:.5em 1.3em;font:inherit;font-weight:600;cursor:pointer;margin-top:1em}
.error,#error_message{color:var(--bad);border:1px solid var(--bad);background:#fff7f7;border-radius:6px;padding:.8em 1em}
.ok{color:var(--ok)}.bad{color:var(--bad)}.muted{color:var(--muted)}
main.card{max-width:40em;margin:1.5em auto}fieldset{border:0;padding:0;margin:0}
.saml-account{margin:.6em 0}fieldset>.saml-account{border:1px solid var(--line);border-radius:6px;padding:.6em 1em}
.saml-account-name{font-weight:700}.saml-role{margin:.35em 0}.saml-role label{display:inline;margin-left:.3em}
details.why{border:1px solid var(--warn);background:#fffbeb;border-radius:6px;padding:.6em 1em;margin-top:1em}
details.why summary{font-weight:700;cursor:pointer}
ul.findings{list-style:none;padding:0}ul.findings li{margin:.25em 0}
@media (max-width:40em){th{width:auto}main,#container{margin:.5em auto}}
`
