package awsapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// jsonServer serves one Query action and two JSON operations on one
// address: Echo (anonymous) and Admin (SigV4, service "jsontest").
func jsonServer(t *testing.T) (*httptest.Server, *awsapi.EventLog) {
	t.Helper()
	svc := awsapi.JSONService{Name: "jsontest", TargetPrefix: "TestService"}
	echo := func(_ context.Context, r *awsapi.Request, body []byte) (any, error) {
		var in struct {
			Name  string `json:"Name"`
			Count int    `json:"Count"`
		}
		if err := awsapi.DecodeJSON(body, &in); err != nil {
			return nil, err
		}
		if strings.HasPrefix(in.Name, "fail") {
			return nil, awsapi.Errorf("NotFoundException", http.StatusBadRequest, "no such %s", in.Name)
		}
		return map[string]any{"Name": in.Name, "Count": in.Count, "Caller": r.Caller.ARN, "Op": r.Action}, nil
	}
	creds := func(_ context.Context, id, _ string) (awsapi.Credential, bool) {
		if id != testKeyID {
			return awsapi.Credential{}, false
		}
		return awsapi.Credential{AccessKeyID: id, SecretAccessKey: testSecret, Caller: awsapi.Caller{Type: "IAMUser", ARN: "arn:test:user"}}, true
	}
	events := &awsapi.EventLog{}
	rt, err := awsapi.NewRouter(awsapi.RouterConfig{
		Operations: []awsapi.Operation{{Service: awsapi.STS(), Action: "Ping", Auth: awsapi.AuthNone,
			Handle: func(context.Context, *awsapi.Request) (any, error) { return nil, nil }}},
		JSONOperations: []awsapi.JSONOperation{
			{Service: svc, Name: "Echo", Auth: awsapi.AuthNone, Handle: echo},
			{Service: svc, Name: "Admin", Auth: awsapi.AuthSigV4, Handle: echo},
		},
		Credentials: creds, Now: func() time.Time { return time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC) }, Events: events,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return srv, events
}

type jsonReply struct {
	status    int
	body      map[string]any
	errorType string
	ctype     string
}

func postJSON(t *testing.T, srv *httptest.Server, target, ctype, body string, sign *aws.Credentials) jsonReply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", target)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if sign != nil {
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(t.Context(), *sign, req, hex.EncodeToString(sum[:]), "jsontest", "us-east-1",
			time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := jsonReply{status: resp.StatusCode, errorType: resp.Header.Get("X-Amzn-Errortype"), ctype: resp.Header.Get("Content-Type")}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, raw)
	}
	return r
}

func TestRouterJSONProtocol(t *testing.T) {
	t.Parallel()
	srv, events := jsonServer(t)
	const ct = awsapi.JSONContentType
	good := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	wrong := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: "wrong"}
	unknown := aws.Credentials{AccessKeyID: "AKIAUNKNOWNUNKNOWN00", SecretAccessKey: "x"}
	cases := []struct {
		name, target, ctype, body string
		sign                      *aws.Credentials
		status                    int
		typ                       string // "" for success
		field, want               string // a member of the response body
	}{
		{"anonymous call", "TestService.Echo", ct, `{"Name":"a","Count":2,"Unknown":[1]}`, nil, 200, "", "Name", "a"},
		{"empty body", "TestService.Echo", ct, ``, nil, 200, "", "Op", "Echo"},
		{"JSON 1.0 content type", "TestService.Echo", "application/x-amz-json-1.0", `{"Name":"b"}`, nil, 200, "", "Name", "b"},
		{"signed call", "TestService.Admin", ct, `{"Name":"c"}`, &good, 200, "", "Caller", "arn:test:user"},
		{"handler error", "TestService.Echo", ct, `{"Name":"fail"}`, nil, 400, "NotFoundException", "message", "no such fail"},
		// A message quoting control characters from the input still makes a
		// valid response: the header gets '?', the body the characters.
		{"error quoting control characters", "TestService.Echo", ct, `{"Name":"fail\u007f\u0001"}`, nil, 400, "NotFoundException", "message", "no such fail\x7f\x01"},
		{"unknown operation", "TestService.Nope", ct, `{}`, nil, 400, "UnknownOperationException", "", ""},
		{"unknown service", "Other.Echo", ct, `{}`, nil, 400, "UnknownOperationException", "", ""},
		{"form content type", "TestService.Echo", "application/x-www-form-urlencoded", `{}`, nil, 400, "SerializationException", "", ""},
		{"not JSON", "TestService.Echo", ct, `{"Name":`, nil, 400, "SerializationException", "", ""},
		{"wrong member type", "TestService.Echo", ct, `{"Count":"many"}`, nil, 400, "SerializationException", "message", "Member Count must be of JSON type number, not string"},
		{"two values", "TestService.Echo", ct, `{} {}`, nil, 400, "SerializationException", "", ""},
		{"unsigned signed call", "TestService.Admin", ct, `{}`, nil, 403, "MissingAuthenticationTokenException", "message", "Request is missing Authentication Token"},
		{"wrong secret", "TestService.Admin", ct, `{}`, &wrong, 403, "InvalidSignatureException", "", ""},
		{"unknown key", "TestService.Admin", ct, `{}`, &unknown, 403, "UnrecognizedClientException", "message", "The security token included in the request is invalid."},
	}
	for _, tc := range cases {
		r := postJSON(t, srv, tc.target, tc.ctype, tc.body, tc.sign)
		if r.status != tc.status || r.ctype != awsapi.JSONContentType {
			t.Errorf("%s: status %d content type %q, want %d %q (%v)", tc.name, r.status, r.ctype, tc.status, awsapi.JSONContentType, r.body)
		}
		if tc.typ != "" && (r.body["__type"] != tc.typ || r.errorType != tc.typ+":") {
			t.Errorf("%s: __type %v, X-Amzn-ErrorType %q, want %s", tc.name, r.body["__type"], r.errorType, tc.typ)
		}
		if tc.typ == "" && r.body["__type"] != nil {
			t.Errorf("%s: unexpected error %v", tc.name, r.body)
		}
		if tc.field != "" && r.body[tc.field] != tc.want {
			t.Errorf("%s: %s = %v, want %q", tc.name, tc.field, r.body[tc.field], tc.want)
		}
	}
	// The Query protocol still works on the same address.
	resp, err := srv.Client().PostForm(srv.URL+"/", map[string][]string{"Action": {"Ping"}, "Version": {awsapi.STSVersion}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/xml" {
		t.Errorf("Query Ping beside JSON: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	evs := events.Events()
	if len(evs) != len(cases)+1 {
		t.Fatalf("%d events, want %d", len(evs), len(cases)+1)
	}
	if e := evs[3]; e.EventSource != "jsontest.amazonaws.com" || e.EventName != "Admin" || e.UserIdentity.ARN != "arn:test:user" || e.HTTPStatus != 200 {
		t.Errorf("signed call event = %+v", e)
	}
	if e := evs[4]; e.ErrorCode != "NotFoundException" || e.HTTPStatus != 400 {
		t.Errorf("handler error event = %+v", e)
	}
}

// FuzzDecodeJSON: DecodeJSON never panics, refuses with a
// SerializationException, and what it accepts re-encodes to a value it
// accepts again unchanged.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"IdentityPoolId":"us-east-1:0a","Logins":{"a":"b"}}`, `{"MaxResults":60}`, `[]`,
		`{"Logins":{"a":1}}`, `{"MaxResults":1e400}`, `{"a":` + strings.Repeat("[", 100) + `}`, "\x00", `{"IdentityPoolId":null}`} {
		f.Add([]byte(s))
	}
	type input struct {
		IdentityPoolID string            `json:"IdentityPoolId"`
		Logins         map[string]string `json:"Logins"`
		MaxResults     *int              `json:"MaxResults"`
		Allow          *bool             `json:"AllowClassicFlow"`
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in input
		err := awsapi.DecodeJSON(body, &in)
		if err != nil {
			var e *awsapi.Error
			if !errors.As(err, &e) || e.Code != awsapi.CodeSerialization || e.Status != http.StatusBadRequest || e.Message == "" {
				t.Fatalf("DecodeJSON(%q) = %v, want a SerializationException", body, err)
			}
			return
		}
		again, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("marshal %+v: %v", in, err)
		}
		var in2 input
		if err := awsapi.DecodeJSON(again, &in2); err != nil {
			t.Fatalf("DecodeJSON(re-encoded %s) = %v", again, err)
		}
		if b, _ := json.Marshal(in2); string(b) != string(again) {
			t.Fatalf("round trip: %s, then %s", again, b)
		}
	})
}
