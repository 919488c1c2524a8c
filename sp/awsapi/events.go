package awsapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// Event records one API call the way CloudTrail does: every call, successful
// or not, signed or anonymous. Field names follow CloudTrail's record format;
// HTTPStatus and Cause are samlab's additions.
type Event struct {
	EventVersion      string            `json:"eventVersion"`
	EventTime         time.Time         `json:"eventTime"`
	EventSource       string            `json:"eventSource"`
	EventName         string            `json:"eventName"`
	AWSRegion         string            `json:"awsRegion"`
	SourceIPAddress   string            `json:"sourceIPAddress"`
	UserAgent         string            `json:"userAgent,omitempty"`
	UserIdentity      UserIdentity      `json:"userIdentity"`
	RequestParameters map[string]string `json:"requestParameters,omitempty"`
	ErrorCode         string            `json:"errorCode,omitempty"`
	ErrorMessage      string            `json:"errorMessage,omitempty"`
	RequestID         string            `json:"requestID"`
	EventID           string            `json:"eventID"`
	EventType         string            `json:"eventType"`
	// RecipientAccountID is the account that received the call: the
	// caller's, or the one Request.Account names.
	RecipientAccountID string `json:"recipientAccountId,omitempty"`
	// SharedEventID is the same in the events of one call recorded in
	// several accounts (a cross-account AssumeRole), as CloudTrail's is.
	SharedEventID string `json:"sharedEventID,omitempty"`
	// HTTPStatus is the status of the response.
	HTTPStatus int `json:"httpStatus"`
	// Cause is the internal reason behind an error: what exactly was wrong,
	// which AWS never tells the client.
	Cause string `json:"samlabCause,omitempty"`
}

// UserIdentity is CloudTrail's userIdentity element.
type UserIdentity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	UserName    string `json:"userName,omitempty"`
	// SessionContext is set for temporary credentials.
	SessionContext *SessionContext `json:"sessionContext,omitempty"`
	// SessionToken is never recorded (it is a credential); the field exists
	// so that a Caller converts to a UserIdentity.
	SessionToken string `json:"-"`
}

// Failed reports whether the call failed.
func (e Event) Failed() bool { return e.ErrorCode != "" }

// EventSink receives every call's Event. Implementations must be safe for
// concurrent use and must not block for long: Record runs on the request path.
type EventSink interface {
	Record(Event)
}

// EventLog keeps events in memory. It is safe for concurrent use; the zero
// value is ready.
type EventLog struct {
	mu     sync.Mutex
	events []Event
}

// Record appends e.
func (l *EventLog) Record(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

// Events returns a copy of the recorded events, oldest first.
func (l *EventLog) Events() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.events...)
}

// JSONLines writes each event as one line of JSON, the format of
// `samlab events`. It is safe for concurrent use.
type JSONLines struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

// NewJSONLines returns a sink writing to w. Each event is written with a
// single Write call, so a file opened with O_APPEND never holds half a line
// from two writers.
func NewJSONLines(w io.Writer) *JSONLines { return &JSONLines{w: w} }

// Record writes e. The first write error is kept (see Err) and later events
// are dropped: a full disk must not fail API calls.
func (j *JSONLines) Record(e Event) {
	b, err := json.Marshal(e)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return
	}
	if err != nil {
		j.err = err
		return
	}
	_, j.err = j.w.Write(append(b, '\n'))
}

// Err returns the first error writing an event.
func (j *JSONLines) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// Tee returns a sink that records to every non-nil sink in order.
func Tee(sinks ...EventSink) EventSink {
	var out tee
	for _, s := range sinks {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

type tee []EventSink

func (t tee) Record(e Event) {
	for _, s := range t {
		s.Record(e)
	}
}

// maxEventLine bounds one JSON line when reading events back.
const maxEventLine = 4 << 20

// ReadEvents reads JSON-lines events written by JSONLines. Blank lines are
// skipped; a line that is not an event is an error naming its line number.
func ReadEvents(r io.Reader) ([]Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxEventLine)
	var out []Event
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		var e Event
		if err := json.Unmarshal(line, &e); err != nil {
			return out, fmt.Errorf("events line %d: %w", n, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read events: %w", err)
	}
	return out, nil
}

// EventFilter selects events. Zero fields match everything.
type EventFilter struct {
	// Action matches EventName exactly.
	Action string
	// ErrorCode matches ErrorCode exactly.
	ErrorCode string
	// FailedOnly keeps only failed calls.
	FailedOnly bool
	// AccessKeyID matches the caller's access key.
	AccessKeyID string
	// Account matches RecipientAccountID, the account that served the call.
	Account string
}

// Match reports whether e passes the filter.
func (f EventFilter) Match(e Event) bool {
	return (f.Action == "" || e.EventName == f.Action) &&
		(f.ErrorCode == "" || e.ErrorCode == f.ErrorCode) &&
		(!f.FailedOnly || e.Failed()) &&
		(f.AccessKeyID == "" || e.UserIdentity.AccessKeyID == f.AccessKeyID) &&
		(f.Account == "" || e.RecipientAccountID == f.Account)
}
