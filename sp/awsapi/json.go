package awsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// JSONService identifies an API that speaks AWS's JSON 1.1 protocol: every
// call is POST / with X-Amz-Target: <TargetPrefix>.<Operation> and a JSON
// body (Amazon Cognito Identity, for example).
type JSONService struct {
	// Name is the SigV4 signing name ("cognito-identity"); the event source is
	// Name + ".amazonaws.com".
	Name string
	// TargetPrefix is the part of X-Amz-Target before the dot
	// ("AWSCognitoIdentityService").
	TargetPrefix string
}

// JSONHandlerFunc runs one JSON-protocol operation on the raw request body.
// It returns the value rendered as the JSON response (nil for "{}") or an
// error, rendered as {"__type": code, "message": text} (*Error as is,
// anything else as a 500 InternalFailure).
type JSONHandlerFunc func(ctx context.Context, r *Request, body []byte) (any, error)

// JSONOperation is one operation of a JSON-protocol API.
type JSONOperation struct {
	Service JSONService
	Name    string
	Auth    Auth
	Handle  JSONHandlerFunc
}

// JSONContentType is the Content-Type of JSON 1.1 requests and responses.
const JSONContentType = "application/x-amz-json-1.1"

// Error codes of JSON-protocol services for failures the router itself
// decides. The SigV4 codes are the JSON services' spellings of the Query
// errors (UnrecognizedClientException "The security token included in the
// request is invalid." is common AWS output); UnknownOperationException and
// SerializationException for a bad target or body are unverified for
// Cognito Identity.
const (
	CodeUnknownOperation    Code = "UnknownOperationException"
	CodeSerialization       Code = "SerializationException"
	CodeUnrecognizedClient  Code = "UnrecognizedClientException"
	CodeInvalidSignature    Code = "InvalidSignatureException"
	CodeMissingAuthJSON     Code = "MissingAuthenticationTokenException"
	CodeIncompleteSigJSON   Code = "IncompleteSignatureException"
	CodeExpiredTokenJSON    Code = "ExpiredTokenException"
	CodeInternalFailureJSON Code = "InternalFailure"
)

// jsonAuthCodes maps the verifier's Query-protocol codes to JSON ones.
var jsonAuthCodes = map[Code]Code{
	CodeInvalidClientTokenID:       CodeUnrecognizedClient,
	CodeSignatureDoesNotMatch:      CodeInvalidSignature,
	CodeMissingAuthenticationToken: CodeMissingAuthJSON,
	CodeIncompleteSignature:        CodeIncompleteSigJSON,
	CodeExpiredToken:               CodeExpiredTokenJSON,
}

type jsonKey struct{ prefix, name string }

// serveJSON answers a request that carries X-Amz-Target: the JSON 1.1
// protocol beside the Query protocol on the same address.
func (rt *Router) serveJSON(w http.ResponseWriter, r *http.Request, req *Request) {
	target := r.Header.Get("X-Amz-Target")
	prefix, name, _ := strings.Cut(target, ".")
	req.Action = name
	source := ""
	for k, op := range rt.jsonOps {
		if k.prefix == prefix {
			source = op.Service.Name + ".amazonaws.com"
			break
		}
	}
	result, err := rt.runJSON(w, r, req, prefix, name)
	ev := Event{EventVersion: "1.08", EventTime: req.Time, EventSource: source, EventName: name, AWSRegion: "us-east-1",
		SourceIPAddress: req.SourceIP, UserAgent: r.UserAgent(), RequestParameters: req.notes, RequestID: req.RequestID,
		EventID: rt.newRequestID(), EventType: "AwsApiCall", UserIdentity: identity(req.Caller)}
	if a, aerr := parseAuthorization(r.Header.Get("Authorization")); aerr == nil {
		ev.AWSRegion = a.region
	}
	var body []byte
	status := http.StatusOK
	if err == nil {
		if result == nil {
			result = struct{}{}
		}
		body, err = json.Marshal(result)
		if err != nil {
			err = fmt.Errorf("render %s result: %w", name, err)
		}
	}
	if err != nil {
		e := asAPIError(err)
		if e.Code == CodeInternalFailure {
			c := *e
			c.Code = CodeInternalFailureJSON
			e = &c
		}
		ev.ErrorCode, ev.ErrorMessage, status = string(e.Code), e.Message, e.Status
		if e.Err != nil {
			ev.Cause = e.Err.Error()
		}
		level := slog.LevelInfo
		if e.Status >= http.StatusInternalServerError {
			level = slog.LevelError
		}
		rt.logger.Log(r.Context(), level, "aws call failed", "request_id", req.RequestID, "target", target,
			"code", e.Code, "status", e.Status, "error", e)
		body, _ = json.Marshal(struct {
			Type    Code   `json:"__type"`
			Message string `json:"message"`
		}{e.Code, e.Message})
		// AWS's JSON services name the error in a header too, with a
		// trailing colon (seen in Cognito Identity responses).
		w.Header().Set("X-Amzn-Errortype", string(e.Code)+":")
		w.Header().Set("X-Amzn-Errormessage", headerSafe(e.Message))
	}
	ev.HTTPStatus = status
	h := w.Header()
	h.Set("Content-Type", JSONContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Amzn-Requestid", req.RequestID)
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client went away; nothing left to tell it
	if rt.events != nil {
		rt.events.Record(ev)
	}
}

func (rt *Router) runJSON(w http.ResponseWriter, r *http.Request, req *Request, prefix, name string) (any, error) {
	if r.Method != http.MethodPost {
		return nil, Errorf(CodeUnknownOperation, http.StatusBadRequest, "Method %s is not supported", r.Method)
	}
	op, ok := rt.jsonOps[jsonKey{prefix, name}]
	if !ok {
		return nil, &Error{Code: CodeUnknownOperation, Status: http.StatusBadRequest,
			Message: fmt.Sprintf("The operation %q (X-Amz-Target) is not supported", r.Header.Get("X-Amz-Target"))}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, rt.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &Error{Code: CodeRequestEntityTooLarge, Status: http.StatusRequestEntityTooLarge,
				Message: fmt.Sprintf("Request body exceeds the maximum of %d bytes", tooBig.Limit), Err: err}
		}
		return nil, &Error{Code: CodeSerialization, Status: http.StatusBadRequest, Message: "Could not read the request body", Err: err}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != JSONContentType && mt != "application/x-amz-json-1.0") {
			return nil, &Error{Code: CodeSerialization, Status: http.StatusBadRequest,
				Message: fmt.Sprintf("Content-Type %q is not %s", ct, JSONContentType)}
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if op.Auth == AuthSigV4 {
		caller, aerr := rt.verifier.verify(r.Context(), r, body, Service{Name: op.Service.Name}, req.Time)
		if aerr != nil {
			e := *aerr
			if c, ok := jsonAuthCodes[e.Code]; ok {
				e.Code = c
			}
			return nil, &e
		}
		req.Caller = caller
	}
	return op.Handle(r.Context(), req, body)
}

// DecodeJSON decodes a JSON-protocol request body into v. Unknown members
// are ignored, as AWS's services ignore them; a body that is not a JSON
// object, or a member of the wrong type, is a SerializationException naming
// where the problem is.
func DecodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &Error{Code: CodeSerialization, Status: http.StatusBadRequest, Err: err,
				Message: fmt.Sprintf("Member %s must be of JSON type %s, not %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)}
		}
		return &Error{Code: CodeSerialization, Status: http.StatusBadRequest, Err: err,
			Message: fmt.Sprintf("The request body is not a JSON object: %v", err)}
	}
	if dec.More() {
		return &Error{Code: CodeSerialization, Status: http.StatusBadRequest, Message: "The request body holds more than one JSON value"}
	}
	return nil
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "map", "struct":
		return "object"
	case "slice":
		return "array"
	}
	return "number"
}

// headerSafe makes s a valid HTTP header value: a message may quote the
// caller's input, and a control character in a header breaks the response
// for every client. Each one becomes '?'; the JSON body keeps the message as
// it is.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
