// Package labweb serves a lab's browser pages beside the mock AWS: the index
// at "/" (for browsers only: AWS clients at the same URL get AWS's answers),
// a read-only view of the IAM state (SAML providers with their certificate
// fingerprints, roles with their trust policies) and the event log.
package labweb

import (
	"bytes"
	"encoding/json"
	"html/template"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

// Paths of the pages besides the index. They sit under /samlab/, a path no
// AWS API uses.
const (
	IAMPath    = "/samlab/iam"
	EventsPath = "/samlab/events"
)

// maxEventsShown bounds the event log page (newest first).
const maxEventsShown = 500

// Task is the lab task a trainee works on.
type Task struct {
	// ID and Title name the lab; Text says what to do (never the answer).
	ID, Title, Text string
	// Difficulty grades the lab (1 to 3; 0: not shown).
	Difficulty int
	// Check is the command that says whether the lab is fixed.
	Check string
}

// Link is one entry of the index.
type Link struct {
	Title, URL, Note string
}

// Config configures the pages.
type Config struct {
	// Account is the IAM account shown. Required.
	Account *iam.Account
	// More are the further accounts served on the same endpoint (samlab up
	// --accounts, a scenario's setup.accounts): the IAM page shows each
	// after Account, and the index lists them.
	More []*iam.Account
	// Links are the lab's other pages (the IdP, its metadata, the console),
	// listed on the index in order.
	Links []Link
	// Events returns the recorded AWS calls and sign-ins, oldest first; nil
	// when the lab records none (the page then says how to enable it).
	Events func() ([]awsapi.Event, error)
	// Task returns the lab task being worked on, nil when no lab runs.
	// Labs fill it; the index shows "no lab running" without it.
	Task func() *Task
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives rendering failures (default: discard).
	Logger *slog.Logger
}

// Pages serves the index, the IAM state and the event log. It is safe for
// concurrent use.
type Pages struct {
	cfg    Config
	now    func() time.Time
	logger *slog.Logger
}

// New returns the pages for cfg.
func New(cfg Config) *Pages {
	p := &Pages{cfg: cfg, now: cfg.Now, logger: cfg.Logger}
	if p.now == nil {
		p.now = time.Now
	}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	return p
}

// Index returns a handler for "/" that serves the index page to browsers
// and passes every other request to aws unchanged, so AWS clients keep
// getting AWS's answers (see IsBrowserPageRequest).
func (p *Pages) Index(aws http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && IsBrowserPageRequest(r) {
			p.serveIndex(w, r)
			return
		}
		aws.ServeHTTP(w, r)
	})
}

// Register adds the pages' routes to mux: the IAM and event log pages, and
// /favicon.ico, answered with 204 No Content so a browser's automatic
// request never reaches the AWS API (nor its event log). The index is not
// registered: wrap the AWS handler with Index.
func (p *Pages) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+IAMPath, p.serveIAM)
	mux.HandleFunc("GET "+EventsPath, p.serveEvents)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "max-age=86400")
		w.WriteHeader(http.StatusNoContent)
	})
}

// IsBrowserPageRequest reports whether r is a browser asking for a page
// rather than an AWS client calling an API: a GET or HEAD that accepts
// text/html, names no Action, carries no AWS signature or session token, and
// does not come from an AWS SDK or the aws CLI. AWS's Query APIs answer
// such requests with an XML error, which is no use to a person.
func IsBrowserPageRequest(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if r.URL.Query().Has("Action") || r.URL.Query().Has("X-Amz-Signature") {
		return false
	}
	if r.Header.Get("Authorization") != "" || r.Header.Get("X-Amz-Date") != "" || r.Header.Get("X-Amz-Security-Token") != "" {
		return false
	}
	ua := strings.ToLower(r.UserAgent())
	for _, sdk := range []string{"aws-cli/", "aws-sdk-", "botocore/", "boto3/", "aws-internal/"} {
		if strings.Contains(ua, sdk) {
			return false
		}
	}
	return acceptsHTML(r.Header.Values("Accept"))
}

// acceptsHTML reports whether an Accept header lists text/html (or
// application/xhtml+xml) with a non-zero quality. */* alone does not count:
// curl and SDKs send it.
func acceptsHTML(values []string) bool {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil || (mt != "text/html" && mt != "application/xhtml+xml") {
				continue
			}
			if q, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(q, 64); err != nil || f <= 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}

func (p *Pages) serveIndex(w http.ResponseWriter, r *http.Request) {
	var task *Task
	if p.cfg.Task != nil {
		task = p.cfg.Task()
	}
	base := "http://" + r.Host
	if r.TLS != nil {
		base = "https://" + r.Host
	}
	p.render(w, r, indexTmpl, map[string]any{
		"Account": p.cfg.Account.ID(), "Alias": p.cfg.Account.AccountAlias(), "Links": p.cfg.Links, "Task": task,
		"Base": base, "Providers": len(p.cfg.Account.SAMLProviders()), "Roles": len(p.cfg.Account.Roles()),
		"EventsOn": p.cfg.Events != nil, "IAMPath": IAMPath, "EventsPath": EventsPath, "More": p.moreIDs(),
	})
}

type certView struct {
	Use, Subject, SHA1, SHA256, NotBefore, NotAfter string
	Valid                                           bool
}

type providerView struct {
	*iam.SAMLProvider
	EntityID string
	Certs    []certView
	Error    string
}

type roleView struct {
	*iam.Role
	Trust string
}

// accountView is one account of the IAM page.
type accountView struct {
	Account, Alias string
	Providers      []providerView
	Roles          []roleView
}

func (p *Pages) serveIAM(w http.ResponseWriter, r *http.Request) {
	now := p.now()
	var accounts []accountView
	for _, a := range append([]*iam.Account{p.cfg.Account}, p.cfg.More...) {
		accounts = append(accounts, viewAccount(a, now))
	}
	p.render(w, r, iamTmpl, map[string]any{"Account": p.cfg.Account.ID(), "Alias": p.cfg.Account.AccountAlias(),
		"Accounts": accounts, "Now": now.UTC().Format(time.RFC3339)})
}

// moreIDs are the IDs of the further accounts.
func (p *Pages) moreIDs() []string {
	var out []string
	for _, a := range p.cfg.More {
		out = append(out, a.ID())
	}
	return out
}

// viewAccount is an account's SAML providers, with the fingerprints of the
// registered certificates, and its roles with their trust policies.
func viewAccount(a *iam.Account, now time.Time) accountView {
	var providers []providerView
	for _, sp := range a.SAMLProviders() {
		v := providerView{SAMLProvider: sp}
		if md := sp.Metadata; md != nil {
			v.EntityID = md.EntityID
			for _, c := range md.SigningCerts {
				v.Certs = append(v.Certs, viewCert("signing", c.Subject.String(), certs.FingerprintSHA1(c), certs.FingerprintSHA256(c), c.NotBefore, c.NotAfter, now))
			}
			for _, c := range md.EncryptionCerts {
				v.Certs = append(v.Certs, viewCert("encryption", c.Subject.String(), certs.FingerprintSHA1(c), certs.FingerprintSHA256(c), c.NotBefore, c.NotAfter, now))
			}
		} else {
			v.Error = "the registered metadata could not be parsed"
		}
		providers = append(providers, v)
	}
	var roles []roleView
	for _, role := range a.Roles() {
		roles = append(roles, roleView{Role: role, Trust: indentJSON(role.AssumeRolePolicyDocument)})
	}
	return accountView{Account: a.ID(), Alias: a.AccountAlias(), Providers: providers, Roles: roles}
}

func viewCert(use, subject, sha1, sha256 string, nb, na, now time.Time) certView {
	return certView{Use: use, Subject: subject, SHA1: sha1, SHA256: sha256,
		NotBefore: nb.UTC().Format("2006-01-02"), NotAfter: na.UTC().Format("2006-01-02"),
		Valid: !now.Before(nb) && !now.After(na)}
}

// indentJSON pretty-prints a policy document; one that is not JSON is
// shown as stored.
func indentJSON(doc string) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(doc), "", "  "); err != nil {
		return doc
	}
	return buf.String()
}

func (p *Pages) serveEvents(w http.ResponseWriter, r *http.Request) {
	data := map[string]any{"On": p.cfg.Events != nil}
	if p.cfg.Events != nil {
		events, err := p.cfg.Events()
		if err != nil {
			data["Error"] = err.Error()
		}
		total := len(events)
		if len(events) > maxEventsShown {
			events = events[len(events)-maxEventsShown:]
		}
		rev := make([]awsapi.Event, len(events))
		for i, e := range events {
			rev[len(events)-1-i] = e
		}
		data["Events"], data["Total"], data["Shown"] = rev, total, len(rev)
	}
	p.render(w, r, eventsTmpl, data)
}

// render executes t into a buffer first, so a template failure still yields
// a complete answer.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		p.logger.ErrorContext(r.Context(), "render page", "template", t.Name(), "error", err)
		http.Error(w, "the page could not be rendered; see the samlab log", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Accept, User-Agent")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}
