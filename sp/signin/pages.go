package signin

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/sts"
)

// attrSessionDuration is the SAML attribute that requests a console
// session length (IAM UG "Configuring SAML assertions for the
// authentication response").
const attrSessionDuration = "https://aws.amazon.com/SAML/Attributes/SessionDuration"

// msgChooseRole is shown when the role chooser is submitted with no role
// selected. AWS's page does this in script before submitting; the wording is
// samlab's.
const msgChooseRole = "Choose a role to sign in with."

// SAMLDetails is what a console session opened by a SAML sign-in shows on
// the console page: who the IdP said the user is, what was asked for and
// what STS applied, and the session's temporary credentials.
type SAMLDetails struct {
	// RequestID is the sign-in's request ID, as recorded in the event log.
	RequestID   string
	ProviderARN string
	// Issuer, NameID and NameIDFormat are the assertion's (from
	// AssumeRoleWithSAML's result).
	Issuer, NameID, NameIDFormat string
	SourceIdentity               string
	Tags                         map[string]string
	TransitiveTagKeys            []string
	// RequestedDuration is the SessionDuration attribute, 0 when the
	// assertion has none; AppliedDuration is how long the credentials last.
	RequestedDuration, AppliedDuration time.Duration
	// Assertion is the decoded SAMLResponse, indented for reading.
	Assertion string
	// Credentials are the session's temporary credentials.
	Credentials sts.Credentials
}

// Tag is one session tag, for ordered display.
type Tag struct{ Key, Value string }

// SortedTags returns the session tags sorted by key.
func (d *SAMLDetails) SortedTags() []Tag {
	out := make([]Tag, 0, len(d.Tags))
	for k, v := range d.Tags {
		out = append(out, Tag{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// samlDetails describes the session AssumeRoleWithSAML opened for a console
// sign-in. The requested duration and the decoded document are read from
// the response STS just accepted; they are only displayed.
func (s *Server) samlDetails(requestID string, out *sts.AssumeRoleWithSAMLOutput, samlResponse string, pair *sts.RolePair) *SAMLDetails {
	d := &SAMLDetails{RequestID: requestID, ProviderARN: pair.ProviderARN, Issuer: out.Issuer, NameID: out.Subject,
		NameIDFormat: out.SubjectType, SourceIdentity: out.SourceIdentity, Credentials: out.Credentials}
	if out.Session != nil {
		d.Tags, d.TransitiveTagKeys = out.Session.Tags, out.Session.TransitiveTagKeys
		d.AppliedDuration = out.Credentials.Expiration.Sub(out.Session.TokenIssueTime)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(samlResponse))
	if err != nil {
		return d
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		return d
	}
	for _, a := range doc.FindElements("//Attribute") {
		if a.SelectAttrValue("Name", "") != attrSessionDuration {
			continue
		}
		if v := a.FindElement("AttributeValue"); v != nil {
			if n, err := strconv.Atoi(strings.TrimSpace(v.Text())); err == nil && n > 0 {
				d.RequestedDuration = time.Duration(n) * time.Second
			}
		}
		break
	}
	doc.Indent(2)
	d.Assertion, _ = doc.WriteToString()
	return d
}

// Exports returns the shell lines that put the session's credentials in
// the environment of the aws CLI and the AWS SDKs.
func (d *SAMLDetails) Exports() string {
	c := d.Credentials
	return fmt.Sprintf("export AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\nexport AWS_SESSION_TOKEN=%s\n# expires %s",
		c.AccessKeyID, c.SecretAccessKey, c.SessionToken, c.Expiration.UTC().Format(time.RFC3339))
}

// accountLabel is what the role chooser names an account by: "Account:
// alias (id)" when it has an alias, else "Account: id".
func (s *Server) accountLabel(id string) string {
	alias := s.cfg.AccountAliases[id]
	if a := s.cfg.Account; a != nil && a.ID() == id && a.AccountAlias() != "" {
		alias = a.AccountAlias()
	}
	if alias == "" {
		return "Account: " + id
	}
	return fmt.Sprintf("Account: %s (%s)", alias, id)
}

// SetEvents makes the endpoint record every browser sign-in, successful or
// not, in sink, under the request ID its page shows (nil stops recording).
// It is safe to call while serving.
func (s *Server) SetEvents(sink awsapi.EventSink) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = sink
}

// recordSignIn records a console sign-in the way CloudTrail records a
// ConsoleLogin: from signin.amazonaws.com, with the AWS error for a
// failure.
func (s *Server) recordSignIn(r *http.Request, requestID string, sess *Session, pair *sts.RolePair, failure error) {
	s.mu.Lock()
	sink := s.events
	s.mu.Unlock()
	if sink == nil {
		return
	}
	ev := awsapi.Event{EventVersion: "1.08", EventTime: s.now().UTC(), EventSource: "signin.amazonaws.com",
		EventName: "ConsoleLogin", AWSRegion: "us-east-1", SourceIPAddress: sourceIP(r), UserAgent: r.UserAgent(),
		RequestID: requestID, EventID: s.requestID(), EventType: "AwsConsoleSignIn", HTTPStatus: http.StatusFound,
		UserIdentity: awsapi.UserIdentity{Type: "Unknown"}}
	if pair != nil {
		ev.RequestParameters = map[string]string{"roleArn": pair.RoleARN, "principalArn": pair.ProviderARN}
	}
	if sess != nil {
		ev.UserIdentity = awsapi.UserIdentity{Type: "AssumedRole", ARN: sess.ARN, AccountID: sess.Account}
	}
	if failure != nil {
		var ae *awsapi.Error
		if errors.As(failure, &ae) {
			ev.ErrorCode, ev.ErrorMessage, ev.HTTPStatus = string(ae.Code), ae.Message, ae.Status
			if ae.Err != nil {
				ev.Cause = ae.Err.Error()
			}
		} else {
			ev.ErrorCode, ev.ErrorMessage, ev.HTTPStatus, ev.Cause = "InternalFailure", "Sign-in failed", http.StatusInternalServerError, failure.Error()
		}
	}
	sink.Record(ev)
}

func sourceIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndex(host, ":"); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// errorPage is what the sign-in error page shows: AWS's words, and with
// Config.Why the explanation behind them.
type errorPage struct {
	Title, Message string
	Error          bool
	RequestID      string
	Why            *whyPanel
}

// whyPanel is the opt-in explanation under the error: the verdict of
// `samlab explain` on the posted response, against what IAM holds now.
type whyPanel struct {
	RequestID   string
	Code        string
	Message     string
	Cause       string
	Diagnosis   string
	RoleARN     string
	ProviderARN string
	At          string
	// Facts are the checks a trainee reads first, failed or not: which
	// certificate signed against which IAM holds, issuer, audience, times.
	Facts     []sts.Finding
	Failing   []sts.Finding
	Passing   []sts.Finding
	Fixes     []sts.Fix
	NotJudged []string
	// Unavailable says why there is no explanation.
	Unavailable string
	// MetadataURL is where the IdP publishes its current metadata.
	MetadataURL string
	// Closed renders the panel closed (Config.WhyClosed).
	Closed bool
}

// signInFailed answers a failed browser sign-in: it records the failure
// under a new request ID, and renders AWS's error page (STS errors in AWS's
// wording, with that request ID) plus the why panel when enabled.
func (s *Server) signInFailed(w http.ResponseWriter, r *http.Request, err error, samlResponse string, pair *sts.RolePair) {
	reqID := s.requestID()
	s.recordSignIn(r, reqID, nil, pair, err)
	status, msg := http.StatusInternalServerError, "Sign-in failed; see the samlab log."
	var ae *awsapi.Error
	switch {
	case !errors.As(err, &ae):
		s.logger.ErrorContext(r.Context(), "sign-in failed", "request_id", reqID, "error", err)
	case errors.Is(ae, sts.ErrNoRoles), errors.Is(ae, errBadForm):
		s.logger.InfoContext(r.Context(), "sign-in rejected", "request_id", reqID, "error", err)
		status, msg = ae.Status, msgInvalidResponse
	default:
		s.logger.InfoContext(r.Context(), "sign-in rejected", "request_id", reqID, "error", err)
		status, msg = ae.Status, fmt.Sprintf(stsErrorFormat, ae.Message, ae.Status, ae.Code, reqID)
	}
	page := errorPage{Title: "Sign-in error", Message: msg, Error: true, RequestID: reqID}
	if s.cfg.Why {
		page.Why = s.explain(r, reqID, samlResponse, pair)
		page.Why.Closed = s.cfg.WhyClosed
	}
	s.render(w, status, messageTmpl, page)
}

// errBadForm is wrapped by the failure of a sign-in whose form itself is
// unusable (no SAMLResponse, a role the response does not grant).
var errBadForm = errors.New("sign-in form")

func errInvalidResponse(cause string) error {
	return &awsapi.Error{Code: awsapi.CodeInvalidInput, Status: http.StatusBadRequest, Message: msgInvalidResponse,
		Err: fmt.Errorf("%w: %s", errBadForm, cause)}
}

// explain runs the same replay as `samlab explain --state`: the posted
// response against the provider's registered metadata, the role's trust
// policy and MaxSessionDuration, as IAM holds them now.
func (s *Server) explain(r *http.Request, reqID, samlResponse string, pair *sts.RolePair) *whyPanel {
	ctx := r.Context()
	p := &whyPanel{RequestID: reqID, MetadataURL: s.cfg.IDPMetadataURL}
	if strings.HasPrefix(p.MetadataURL, "/") {
		scheme := "http://"
		if r.TLS != nil {
			scheme = "https://"
		}
		p.MetadataURL = scheme + r.Host + p.MetadataURL
	}
	if s.cfg.Account == nil {
		p.Unavailable = "the sign-in endpoint was started without access to the IAM account"
		return p
	}
	if strings.TrimSpace(samlResponse) == "" {
		p.Unavailable = "the form carried no SAMLResponse"
		return p
	}
	in := sts.ExplainInput{SAMLResponse: samlResponse, At: s.now(), RegisteredFile: "registered.xml", MetadataFile: "idp-metadata.xml"}
	b := s.cfg.STS.Behavior()
	in.Behavior = &b
	var keys []string
	for _, prov := range s.cfg.Account.SAMLProviders() {
		for _, k := range prov.PrivateKeys {
			keys = append(keys, k.PEM)
		}
	}
	if pair == nil {
		if pairs := sts.ClaimedRolePairs(samlResponse, keys); len(pairs) > 0 {
			pair = &pairs[0]
		}
	}
	if pair != nil {
		in.RoleARN, in.ProviderARN = pair.RoleARN, pair.ProviderARN
		if prov, err := s.cfg.Account.SAMLProvider(pair.ProviderARN); err != nil {
			in.NoProvider = true
		} else {
			in.Metadata, in.AssertionEncryptionMode = prov.MetadataDocument, prov.AssertionEncryptionMode
			for _, k := range prov.PrivateKeys {
				in.PrivateKeys = append(in.PrivateKeys, k.PEM)
			}
		}
		if role, err := s.cfg.Account.RoleByARN(pair.RoleARN); err != nil {
			in.NoRole = true
		} else {
			in.TrustPolicy, in.MaxSessionDuration = role.AssumeRolePolicyDocument, role.MaxSessionDuration
		}
	}
	if s.cfg.IDPMetadata != nil {
		if md, err := s.cfg.IDPMetadata(); err == nil {
			in.IDPMetadata = md
		}
	}
	ex, err := sts.Explain(ctx, in)
	if err != nil {
		p.Unavailable = err.Error()
		return p
	}
	p.Code, p.Message, p.Cause, p.Diagnosis = ex.Code, ex.Message, ex.Cause, ex.Diagnosis
	p.RoleARN, p.ProviderARN, p.At, p.Fixes, p.NotJudged = ex.RoleARN, ex.ProviderARN, ex.At, ex.Fixes, ex.NotJudged
	rank := map[string]int{}
	for i, c := range factChecks {
		rank[c] = i + 1
	}
	for _, f := range ex.Findings {
		if rank[f.Check] > 0 {
			p.Facts = append(p.Facts, f)
			continue
		}
		if f.OK || f.NotJudged {
			p.Passing = append(p.Passing, f)
		} else {
			p.Failing = append(p.Failing, f)
		}
	}
	sort.SliceStable(p.Facts, func(i, j int) bool { return rank[p.Facts[i].Check] < rank[p.Facts[j].Check] })
	return p
}

// factChecks are the explain checks the why panel always shows, in order.
var factChecks = []string{"signed-with", "registered-certs", "signature", "issuer", "audience", "recipient",
	"not-before", "not-on-or-after", "issue-instant"}

// chooserSubmitted reports whether the form is the role chooser's own
// submit (it carries the chooser's marker field).
func chooserSubmitted(form url.Values) bool { return form.Get(chooserField) != "" }

// chooserField marks the role chooser's form, so a submit with no role
// chosen is told apart from the IdP's first POST.
const chooserField = "samlab_chooser"
