package awsapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

const (
	testKeyID   = "AKIAIOSFODNN7EXAMPLE"
	testSecret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	tempKeyID   = "ASIAEXAMPLETEMPKEY01"
	tempSecret  = "temp-secret"
	tempToken   = "temp-token"
	testVersion = "2030-01-01"
)

// echo is the result of the test operation: what the router decoded.
type echo struct {
	Action string   `xml:"Action"`
	Caller string   `xml:"Caller"`
	Names  []string `xml:"Names>member"`
	Tags   []awsapi.Tag
}

type testServer struct {
	srv    *httptest.Server
	clock  *testClock
	events *awsapi.EventLog
	svc    awsapi.Service
}

func newTestServer(t *testing.T, maxBody int64) *testServer {
	t.Helper()
	svc := awsapi.Service{Name: "test", Version: testVersion, Namespace: "https://test.example/doc/2030-01-01/"}
	handle := func(_ context.Context, r *awsapi.Request) (any, error) {
		if r.Get("Fail") != "" {
			return nil, awsapi.Errorf(awsapi.CodeNoSuchEntity, http.StatusNotFound, "no <such> thing & more")
		}
		tags, err := r.Tags("Tags")
		if err != nil {
			return nil, err
		}
		return echo{Action: r.Action, Caller: r.Caller.ARN, Names: r.List("Names", ""), Tags: tags}, nil
	}
	clock := &testClock{t: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	creds := func(_ context.Context, id, _ string) (awsapi.Credential, bool) {
		switch id {
		case testKeyID:
			return awsapi.Credential{AccessKeyID: id, SecretAccessKey: testSecret, Caller: awsapi.Caller{Type: "IAMUser", ARN: "arn:test:user"}}, true
		case tempKeyID:
			return awsapi.Credential{AccessKeyID: id, SecretAccessKey: tempSecret, SessionToken: tempToken,
				Expiration: time.Date(2030, 1, 1, 13, 0, 0, 0, time.UTC), Caller: awsapi.Caller{Type: "AssumedRole", ARN: "arn:test:session"}}, true
		}
		return awsapi.Credential{}, false
	}
	events := &awsapi.EventLog{}
	rt, err := awsapi.NewRouter(awsapi.RouterConfig{
		Operations: []awsapi.Operation{
			{Service: svc, Action: "Signed", Auth: awsapi.AuthSigV4, Handle: handle},
			{Service: svc, Action: "Anonymous", Auth: awsapi.AuthNone, Handle: handle},
		},
		Credentials: creds, Now: clock.Now, MaxBodyBytes: maxBody, Events: events,
	})
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return &testServer{srv: srv, clock: clock, events: events, svc: svc}
}

// request builds a form POST, signed with creds at signTime unless creds is
// the zero value.
func (s *testServer) request(t *testing.T, body string, creds aws.Credentials, signTime time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.srv.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if creds.AccessKeyID != "" {
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, hex.EncodeToString(sum[:]), s.svc.Name, "us-east-1", signTime); err != nil {
			t.Fatal(err)
		}
	}
	return req
}

// resign signs r again, stating payloadHash in X-Amz-Content-Sha256.
func resign(t *testing.T, r *http.Request, creds aws.Credentials, at time.Time, payloadHash string) {
	t.Helper()
	r.Header.Del("Authorization")
	r.Header.Set("X-Amz-Content-Sha256", payloadHash)
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, r, payloadHash, "test", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
}

type reply struct {
	status  int
	header  http.Header
	body    []byte
	errCode string
	errType string
	result  echo
}

func (s *testServer) do(t *testing.T, req *http.Request) reply {
	t.Helper()
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, body: body}
	if resp.StatusCode != http.StatusOK {
		var env struct {
			Error struct{ Type, Code string }
		}
		if err := xml.Unmarshal(body, &env); err != nil {
			t.Fatalf("error body does not parse: %v\n%s", err, body)
		}
		r.errCode, r.errType = env.Error.Code, env.Error.Type
		return r
	}
	var env struct {
		XMLName xml.Name
		Result  echo `xml:"SignedResult"`
		Anon    echo `xml:"AnonymousResult"`
		Meta    struct {
			RequestID string `xml:"RequestId"`
		} `xml:"ResponseMetadata"`
	}
	if err := xml.Unmarshal(body, &env); err != nil {
		t.Fatalf("result body does not parse: %v\n%s", err, body)
	}
	if env.XMLName.Space != s.svc.Namespace || env.Meta.RequestID == "" {
		t.Errorf("envelope = %v with request id %q, want namespace %s and an id", env.XMLName, env.Meta.RequestID, s.svc.Namespace)
	}
	r.result = env.Result
	if env.Anon.Action != "" {
		r.result = env.Anon
	}
	return r
}

func TestRouterSigV4(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, 0)
	now := s.clock.Now()
	admin := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	temp := aws.Credentials{AccessKeyID: tempKeyID, SecretAccessKey: tempSecret, SessionToken: tempToken}
	body := "Action=Signed&Version=" + testVersion
	tests := []struct {
		name     string
		body     string
		creds    aws.Credentials
		signAt   time.Time
		clockAt  time.Time
		mutate   func(*http.Request)
		wantCode string
		wantCall string
	}{
		{name: "long-term key", body: body, creds: admin, signAt: now, wantCall: "arn:test:user"},
		{name: "temporary key", body: body, creds: temp, signAt: now, wantCall: "arn:test:session"},
		{name: "unsigned", body: body, wantCode: "MissingAuthenticationToken"},
		{name: "wrong secret", body: body, creds: aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: "x"}, signAt: now, wantCode: "SignatureDoesNotMatch"},
		{name: "unknown key", body: body, creds: aws.Credentials{AccessKeyID: "AKIANOBODY", SecretAccessKey: "x"}, signAt: now, wantCode: "InvalidClientTokenId"},
		{name: "temporary key without token", body: body, creds: aws.Credentials{AccessKeyID: tempKeyID, SecretAccessKey: tempSecret}, signAt: now, wantCode: "InvalidClientTokenId"},
		{name: "temporary key with another token", body: body, creds: aws.Credentials{AccessKeyID: tempKeyID, SecretAccessKey: tempSecret, SessionToken: "other"}, signAt: now, wantCode: "InvalidClientTokenId"},
		{name: "expired temporary key", body: body, creds: temp, signAt: now.Add(2 * time.Hour), clockAt: now.Add(2 * time.Hour), wantCode: "ExpiredToken"},
		// The temporary key expires at 13:00 (now + 1 h): no grace after it.
		{name: "temporary key a second before expiry", body: body, creds: temp, signAt: now.Add(time.Hour - time.Second),
			clockAt: now.Add(time.Hour - time.Second), wantCall: "arn:test:session"},
		{name: "temporary key at expiry", body: body, creds: temp, signAt: now.Add(time.Hour), clockAt: now.Add(time.Hour), wantCode: "ExpiredToken"},
		{name: "temporary key a second after expiry", body: body, creds: temp, signAt: now.Add(time.Hour + time.Second),
			clockAt: now.Add(time.Hour + time.Second), wantCode: "ExpiredToken"},
		{name: "temporary key a minute after expiry", body: body, creds: temp, signAt: now.Add(time.Hour + time.Minute),
			clockAt: now.Add(time.Hour + time.Minute), wantCode: "ExpiredToken"},
		{name: "temporary key a minute after expiry, signed before it", body: body, creds: temp, signAt: now.Add(time.Hour - time.Minute),
			clockAt: now.Add(time.Hour + time.Minute), wantCode: "ExpiredToken"},
		{name: "signed 16 minutes ago", body: body, creds: admin, signAt: now.Add(-16 * time.Minute), wantCode: "SignatureDoesNotMatch"},
		{name: "signed 16 minutes ahead", body: body, creds: admin, signAt: now.Add(16 * time.Minute), wantCode: "SignatureDoesNotMatch"},
		{name: "signed 14 minutes ago", body: body, creds: admin, signAt: now.Add(-14 * time.Minute), wantCall: "arn:test:user"},
		{name: "body changed after signing", body: body, creds: admin, signAt: now, wantCode: "SignatureDoesNotMatch",
			mutate: func(r *http.Request) {
				r.Body = io.NopCloser(strings.NewReader(body + "&Names.member.1=x"))
				r.ContentLength += int64(len("&Names.member.1=x"))
			}},
		{name: "declared unsigned payload", body: body, creds: admin, signAt: now, wantCall: "arn:test:user",
			mutate: func(r *http.Request) { resign(t, r, admin, now, "UNSIGNED-PAYLOAD") }},
		{name: "declared payload hash of another body", body: body, creds: admin, signAt: now, wantCode: "SignatureDoesNotMatch",
			mutate: func(r *http.Request) { resign(t, r, admin, now, hex.EncodeToString(sha256.New().Sum(nil))) }},
		{name: "scoped to another service", body: body, creds: admin, signAt: now, wantCode: "SignatureDoesNotMatch",
			mutate: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/test/", "/iam/", 1))
			}},
		{name: "anonymous operation ignores a bad signature", body: "Action=Anonymous&Version=" + testVersion,
			creds: aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: "x"}, signAt: now, wantCall: ""},
	}
	for _, tt := range tests {
		clockAt := now
		if !tt.clockAt.IsZero() {
			clockAt = tt.clockAt
		}
		s.clock.Set(clockAt)
		req := s.request(t, tt.body, tt.creds, tt.signAt)
		if tt.mutate != nil {
			tt.mutate(req)
		}
		r := s.do(t, req)
		if r.errCode != tt.wantCode {
			t.Errorf("%s: code = %q (status %d), want %q\n%s", tt.name, r.errCode, r.status, tt.wantCode, r.body)
			continue
		}
		if tt.wantCode != "" {
			if r.status != http.StatusForbidden && r.status != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 403 or 400", tt.name, r.status)
			}
			continue
		}
		if r.result.Caller != tt.wantCall {
			t.Errorf("%s: caller = %q, want %q", tt.name, r.result.Caller, tt.wantCall)
		}
		if got, want := r.header.Get("Date"), clockAt.Format(http.TimeFormat); got != want {
			t.Errorf("%s: Date = %q, want the router clock %q", tt.name, got, want)
		}
	}
}

func TestRouterQueryDecoding(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, 0)
	form := url.Values{"Action": {"Anonymous"}, "Version": {testVersion},
		"Names.member.2": {"second"}, "Names.member.1": {"first"}, "Names.member.10": {"tenth"}, "Names.member.x": {"ignored"},
		"Tags.member.1.Key": {"k1"}, "Tags.member.1.Value": {"v1"}, "Tags.member.2.Key": {"k2"}}
	r := s.do(t, s.request(t, form.Encode(), aws.Credentials{}, time.Time{}))
	want := echo{Action: "Anonymous", Names: []string{"first", "second", "tenth"},
		Tags: []awsapi.Tag{{Key: "k1", Value: "v1"}, {Key: "k2"}}}
	if diff := cmp.Diff(want, r.result); diff != "" {
		t.Errorf("decoded request (-want +got):\n%s\n%s", diff, r.body)
	}

	// The same request as a GET query string.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.srv.URL+"/?"+form.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.do(t, req); cmp.Diff(want, r.result) != "" {
		t.Errorf("GET decoded %+v, want %+v", r.result, want)
	}

	// A tag Value without its Key.
	bad := url.Values{"Action": {"Anonymous"}, "Version": {testVersion}, "Tags.member.1.Value": {"v"}}
	if r := s.do(t, s.request(t, bad.Encode(), aws.Credentials{}, time.Time{})); r.errCode != "ValidationError" {
		t.Errorf("tag without key: code %q, want ValidationError", r.errCode)
	}
}

func TestRouterErrorEnvelope(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, 1024)
	r := s.do(t, s.request(t, "Action=Anonymous&Version="+testVersion+"&Fail=1", aws.Credentials{}, time.Time{}))
	want := `<ErrorResponse xmlns="https://test.example/doc/2030-01-01/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>` +
		`<Message>no &lt;such&gt; thing &amp; more</Message></Error><RequestId>` + r.header.Get("X-Amzn-Requestid") + `</RequestId></ErrorResponse>`
	if string(r.body) != want || r.status != http.StatusNotFound || r.header.Get("Content-Type") != "text/xml" {
		t.Errorf("error response = %d %q\n%s\nwant 404 text/xml\n%s", r.status, r.header.Get("Content-Type"), r.body, want)
	}
	r = s.do(t, s.request(t, "Action=Anonymous&Version="+testVersion+"&Pad="+strings.Repeat("x", 2000), aws.Credentials{}, time.Time{}))
	if r.status != http.StatusRequestEntityTooLarge || r.errCode != "RequestEntityTooLarge" {
		t.Errorf("oversized body: %d %s, want 413 RequestEntityTooLarge", r.status, r.errCode)
	}
	evs := s.events.Events()
	if len(evs) != 2 || evs[0].ErrorCode != "NoSuchEntity" || evs[0].EventName != "Anonymous" || evs[0].EventSource != "test.amazonaws.com" ||
		evs[1].HTTPStatus != http.StatusRequestEntityTooLarge {
		t.Errorf("events = %+v, want the two failures", evs)
	}
}

func TestEventsRoundTrip(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	sink := awsapi.NewJSONLines(&buf)
	in := []awsapi.Event{
		{EventName: "GetCallerIdentity", EventTime: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), HTTPStatus: 200,
			UserIdentity: awsapi.UserIdentity{Type: "IAMUser", AccessKeyID: testKeyID}},
		{EventName: "AssumeRoleWithSAML", ErrorCode: "InvalidIdentityToken", ErrorMessage: "Response signature invalid", HTTPStatus: 400,
			Cause: "no certificate verifies"},
	}
	for _, e := range in {
		sink.Record(e)
	}
	if err := sink.Err(); err != nil {
		t.Fatal(err)
	}
	out, err := awsapi.ReadEvents(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatalf("ReadEvents: %v", err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	filters := []struct {
		f    awsapi.EventFilter
		want int
	}{
		{awsapi.EventFilter{}, 2},
		{awsapi.EventFilter{FailedOnly: true}, 1},
		{awsapi.EventFilter{Action: "GetCallerIdentity"}, 1},
		{awsapi.EventFilter{ErrorCode: "InvalidIdentityToken"}, 1},
		{awsapi.EventFilter{ErrorCode: "InvalidIdentityToken", Action: "GetCallerIdentity"}, 0},
		{awsapi.EventFilter{AccessKeyID: testKeyID}, 1},
	}
	for _, f := range filters {
		n := 0
		for _, e := range out {
			if f.f.Match(e) {
				n++
			}
		}
		if n != f.want {
			t.Errorf("filter %+v matched %d, want %d", f.f, n, f.want)
		}
	}
	if _, err := awsapi.ReadEvents(strings.NewReader("{}\nnot json\n")); err == nil {
		t.Error("ReadEvents(garbage) = nil error, want the line number")
	}
}

// FuzzRouter sends arbitrary bodies and query strings: the router must answer
// every one with a well-formed AWS response and never a 5xx.
func FuzzRouter(f *testing.F) {
	f.Add("Action=Anonymous&Version="+testVersion, "")
	f.Add("Action=Anonymous&Version="+testVersion+"&Names.member.1=a&Tags.member.1.Key=k", "")
	f.Add("%zz", "Action=Signed")
	f.Add("", "Action=Anonymous&Version="+testVersion+"&Tags.member.0.Value=v")
	f.Fuzz(func(t *testing.T, body, query string) {
		s := newTestServer(t, 4096)
		u := s.srv.URL + "/"
		if query != "" {
			u += "?" + url.PathEscape(query)
		}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, strings.NewReader(body))
		if err != nil {
			t.Skip()
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d for body %q query %q:\n%s", resp.StatusCode, body, query, b)
		}
		var root struct{ XMLName xml.Name }
		if err := xml.Unmarshal(b, &root); err != nil {
			t.Fatalf("response is not XML: %v\n%s", err, b)
		}
	})
}

func TestRouterPresignedURL(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, 0)
	now := s.clock.Now()
	presign := func(secret string) string {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet,
			s.srv.URL+"/?Action=Signed&Version="+testVersion+"&X-Amz-Expires=60", nil)
		if err != nil {
			t.Fatal(err)
		}
		uri, _, err := v4.NewSigner().PresignHTTP(t.Context(), aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: secret},
			req, hex.EncodeToString(sha256.New().Sum(nil)), s.svc.Name, "us-east-1", now)
		if err != nil {
			t.Fatal(err)
		}
		return uri
	}
	get := func(uri string) reply {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, uri, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s.do(t, req)
	}
	good := presign(testSecret)
	if r := get(good); r.errCode != "" || r.result.Caller != "arn:test:user" {
		t.Errorf("presigned URL: %s %s, want success as arn:test:user", r.errCode, r.body)
	}
	if r := get(presign("wrong")); r.errCode != "SignatureDoesNotMatch" {
		t.Errorf("presigned with a wrong secret: %q, want SignatureDoesNotMatch", r.errCode)
	}
	s.clock.Set(now.Add(61 * time.Second))
	if r := get(good); r.errCode != "RequestExpired" {
		t.Errorf("presigned URL after X-Amz-Expires: %q, want RequestExpired", r.errCode)
	}
}
