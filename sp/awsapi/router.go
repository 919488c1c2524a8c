package awsapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Auth says how an operation authenticates its caller.
type Auth int

const (
	// AuthSigV4 requires a valid SigV4 signature (IAM operations,
	// GetCallerIdentity).
	AuthSigV4 Auth = iota
	// AuthNone accepts anonymous requests and ignores any signature
	// (AssumeRoleWithSAML: SDKs call it with the anonymous auth scheme;
	// whether AWS rejects a bad signature on it is unverified, docs/aws-behavior.md §1.1).
	AuthNone
)

// HandlerFunc runs one operation. It returns the value rendered inside
// <ActionResult> (a struct with xml tags; nil for no result element) or an
// error, which is rendered as <ErrorResponse> (*Error as is, anything else
// as a 500 InternalFailure).
type HandlerFunc func(ctx context.Context, r *Request) (any, error)

// Operation is one action of a Query API.
type Operation struct {
	Service Service
	Action  string
	Auth    Auth
	Handle  HandlerFunc
}

// DefaultMaxBodyBytes bounds a request body: IAM accepts metadata documents
// of up to 10,000,000 characters, which form encoding can triple.
const DefaultMaxBodyBytes = 32 << 20

// RouterConfig configures a Router.
type RouterConfig struct {
	// Operations are the actions served. Two services may share one address:
	// requests are dispatched on (Version, Action). Required.
	Operations []Operation
	// JSONOperations are JSON 1.1 protocol operations served on the same
	// address: a request with X-Amz-Target goes to them (json.go).
	JSONOperations []JSONOperation
	// Credentials looks up access keys for SigV4 verification. Required when
	// any operation uses AuthSigV4.
	Credentials CredentialSource
	// Now is the clock used for signature dates and event times (default
	// time.Now). Responses carry it in their Date header, as AWS's do, so
	// SDKs correct their clock skew against it.
	Now func() time.Time
	// Rand supplies request IDs (default crypto/rand).
	Rand io.Reader
	// MaxBodyBytes bounds request bodies (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Events receives a record of every call (default: none).
	Events EventSink
	// Logger receives one line per failed call (default: discard).
	Logger *slog.Logger
}

// Router serves AWS Query-protocol APIs over HTTP: it decodes the request,
// authenticates it, dispatches on Version and Action, and renders the result
// or error as AWS does. It implements http.Handler and is safe for concurrent
// use.
type Router struct {
	ops      map[opKey]Operation
	jsonOps  map[jsonKey]JSONOperation
	services []Service
	verifier *verifier
	now      func() time.Time
	rand     io.Reader
	maxBody  int64
	events   EventSink
	logger   *slog.Logger
}

type opKey struct{ version, action string }

// NewRouter returns a Router for cfg.
func NewRouter(cfg RouterConfig) (*Router, error) {
	rt := &Router{ops: map[opKey]Operation{}, now: cfg.Now, rand: cfg.Rand, maxBody: cfg.MaxBodyBytes,
		events: cfg.Events, logger: cfg.Logger}
	var errs []error
	signed := false
	rt.jsonOps = map[jsonKey]JSONOperation{}
	for _, op := range cfg.JSONOperations {
		if op.Handle == nil {
			errs = append(errs, fmt.Errorf("awsapi: operation %s has no handler", op.Name))
		}
		signed = signed || op.Auth == AuthSigV4
		rt.jsonOps[jsonKey{op.Service.TargetPrefix, op.Name}] = op
	}
	for _, op := range cfg.Operations {
		k := opKey{op.Service.Version, op.Action}
		if _, dup := rt.ops[k]; dup {
			errs = append(errs, fmt.Errorf("awsapi: operation %s %s registered twice", op.Service.Version, op.Action))
		}
		if op.Handle == nil {
			errs = append(errs, fmt.Errorf("awsapi: operation %s has no handler", op.Action))
		}
		signed = signed || op.Auth == AuthSigV4
		rt.ops[k] = op
		if !hasService(rt.services, op.Service) {
			rt.services = append(rt.services, op.Service)
		}
	}
	if len(rt.ops) == 0 && len(rt.jsonOps) == 0 {
		errs = append(errs, errors.New("awsapi: no operations"))
	}
	if signed && cfg.Credentials == nil {
		errs = append(errs, errors.New("awsapi: signed operations need a CredentialSource"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	rt.verifier = &verifier{creds: cfg.Credentials, signer: v4.NewSigner()}
	if rt.now == nil {
		rt.now = time.Now
	}
	if rt.rand == nil {
		rt.rand = rand.Reader
	}
	if rt.maxBody <= 0 {
		rt.maxBody = DefaultMaxBodyBytes
	}
	if rt.logger == nil {
		rt.logger = slog.New(slog.DiscardHandler)
	}
	return rt, nil
}

func hasService(ss []Service, s Service) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// ServeHTTP implements http.Handler.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := rt.now().UTC()
	req := &Request{RequestID: rt.newRequestID(), Time: now, SourceIP: sourceIP(r)}
	w.Header().Set("Date", now.Format(http.TimeFormat))
	if r.Header.Get("X-Amz-Target") != "" && len(rt.jsonOps) > 0 || len(rt.services) == 0 {
		rt.serveJSON(w, r, req)
		return
	}
	svc := rt.services[0]
	result, op, err := rt.serve(w, r, req, &svc)
	ev := Event{EventVersion: "1.08", EventTime: now, EventSource: svc.Name + ".amazonaws.com",
		EventName: req.Action, AWSRegion: "us-east-1", SourceIPAddress: req.SourceIP, UserAgent: r.UserAgent(),
		RequestParameters: req.notes, RequestID: req.RequestID, EventType: "AwsApiCall"}
	ev.UserIdentity = identity(req.Caller)
	ev.RecipientAccountID = req.Account
	if ev.RecipientAccountID == "" {
		ev.RecipientAccountID = req.Caller.AccountID
	}
	// An anonymous call (AssumeRoleWithSAML) has no signature to parse.
	if h := r.Header.Get("Authorization"); h != "" {
		if a, aerr := parseAuthorization(h); aerr == nil {
			ev.AWSRegion = a.region
			if ev.UserIdentity.AccessKeyID == "" {
				// A rejected signature still names its key, as CloudTrail records.
				ev.UserIdentity.AccessKeyID = a.accessKeyID
			}
		}
	}
	if err != nil {
		e := asAPIError(err)
		ev.ErrorCode, ev.ErrorMessage, ev.HTTPStatus = string(e.Code), e.Message, e.Status
		if e.Err != nil {
			ev.Cause = e.Err.Error()
		}
		level := slog.LevelInfo
		if e.Status >= http.StatusInternalServerError {
			level = slog.LevelError
		}
		rt.logger.Log(r.Context(), level, "aws call failed", "request_id", req.RequestID, "action", req.Action,
			"code", e.Code, "status", e.Status, "error", e)
		writeError(w, svc.Namespace, req.RequestID, e)
	} else {
		ev.HTTPStatus = http.StatusOK
		if werr := writeResult(w, op.Service, op.Action, req.RequestID, result); werr != nil {
			e := asAPIError(fmt.Errorf("render %s result: %w", op.Action, werr))
			ev.ErrorCode, ev.ErrorMessage, ev.HTTPStatus, ev.Cause = string(e.Code), e.Message, e.Status, e.Err.Error()
			rt.logger.ErrorContext(r.Context(), "aws call failed", "request_id", req.RequestID, "action", req.Action, "error", werr)
			writeError(w, op.Service.Namespace, req.RequestID, e)
		}
	}
	if rt.events != nil {
		ev.EventID = rt.newRequestID()
		rt.events.Record(ev)
	}
}

// serve decodes, authenticates and runs the request. svc is set to the
// service the request addressed as soon as that is known, for the error
// envelope's namespace.
func (rt *Router) serve(w http.ResponseWriter, r *http.Request, req *Request, svc *Service) (any, Operation, error) {
	if s, ok := rt.serviceFor(r); ok {
		*svc = s
	}
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return nil, Operation{}, Errorf(CodeInvalidAction, http.StatusMethodNotAllowed, "Method %s is not supported", r.Method)
	}
	buf := bodyBufs.Get().(*bytes.Buffer)
	defer putBodyBuf(buf)
	if r.ContentLength > 0 {
		// Content-Length is the client's claim: pre-size for ordinary
		// bodies only, and let a large one grow as its bytes arrive.
		buf.Grow(int(min(r.ContentLength, rt.maxBody, maxPooledBody)) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, rt.maxBody))
	body := buf.Bytes()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, Operation{}, &Error{Code: CodeRequestEntityTooLarge, Status: http.StatusRequestEntityTooLarge,
				Message: fmt.Sprintf("Request body exceeds the maximum of %d bytes", tooBig.Limit), Err: err}
		}
		return nil, Operation{}, &Error{Code: CodeMalformedQueryString, Status: http.StatusBadRequest, Message: "Could not read the request body", Err: err}
	}
	params, err := queryParams(r, body)
	if err != nil {
		return nil, Operation{}, err
	}
	req.Params = params
	req.Action, req.Version = params.Get("Action"), params.Get("Version")
	if s, ok := rt.serviceByVersion(req.Version); ok {
		*svc = s
	}
	if req.Action == "" {
		return nil, Operation{}, Errorf(CodeMissingAction, http.StatusBadRequest, "Missing Action")
	}
	op, ok := rt.ops[opKey{req.Version, req.Action}]
	if !ok {
		// AWS's wording for an action the version does not have.
		return nil, Operation{}, Errorf(CodeInvalidAction, http.StatusBadRequest,
			"Could not find operation %s for version %s", req.Action, req.Version)
	}
	if op.Auth == AuthSigV4 {
		caller, aerr := rt.verifier.verify(r.Context(), r, body, op.Service, req.Time)
		if aerr != nil {
			return nil, op, aerr
		}
		req.Caller = caller
	}
	result, err := op.Handle(r.Context(), req)
	return result, op, err
}

// bodyBufs holds request-body buffers. A body is only read during its
// request: parameters are copied out of it (parseForm), so a buffer is
// reused as soon as the request is answered.
var bodyBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody bounds the buffers kept for reuse: a large IAM metadata
// upload is not worth keeping.
const maxPooledBody = 64 << 10

func putBodyBuf(b *bytes.Buffer) {
	if b.Cap() > maxPooledBody {
		return
	}
	b.Reset()
	bodyBufs.Put(b)
}

// queryParams merges the URL query with a form-encoded body.
func queryParams(r *http.Request, body []byte) (url.Values, error) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &Error{Code: CodeMalformedQueryString, Status: http.StatusNotFound,
			Message: "The query string contains a syntax error.", Err: err}
	}
	if len(body) == 0 {
		return params, nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return nil, &Error{Code: CodeMalformedQueryString, Status: http.StatusNotFound,
				Message: "The query string contains a syntax error.",
				Err:     fmt.Errorf("content type %q is not application/x-www-form-urlencoded", ct)}
		}
	}
	form, err := parseForm(body)
	if err != nil {
		return nil, &Error{Code: CodeMalformedQueryString, Status: http.StatusNotFound,
			Message: "The query string contains a syntax error.", Err: err}
	}
	for k, v := range form {
		params[k] = append(params[k], v...)
	}
	return params, nil
}

// serviceFor guesses the addressed service from the signature's credential
// scope, before the body is read.
func (rt *Router) serviceFor(r *http.Request) (Service, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return Service{}, false
	}
	a, err := parseAuthorization(h)
	if err != nil {
		return Service{}, false
	}
	for _, s := range rt.services {
		if s.Name == a.service {
			return s, true
		}
	}
	return Service{}, false
}

func (rt *Router) serviceByVersion(v string) (Service, bool) {
	for _, s := range rt.services {
		if s.Version == v {
			return s, true
		}
	}
	return Service{}, false
}

func identity(c Caller) UserIdentity {
	if c.Type == "" {
		return UserIdentity{Type: "Unknown"}
	}
	c.SessionToken = "" // a credential: never recorded
	return UserIdentity(c)
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return strings.Trim(host, "[]")
}

// newRequestID returns a random UUID-formatted request ID.
func (rt *Router) newRequestID() string { return NewRequestID(rt.rand) }
