package awsapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// TestNotesAndTee checks that what a handler notes reaches every sink of a
// Tee as the event's request parameters, empty values left out.
func TestNotesAndTee(t *testing.T) {
	t.Parallel()
	svc := awsapi.Service{Name: "test", Version: testVersion, Namespace: "https://test.example/doc/2030-01-01/"}
	handle := func(_ context.Context, r *awsapi.Request) (any, error) {
		r.Note("roleArn", r.Get("RoleArn"))
		r.Note("empty", "")
		return struct{}{}, nil
	}
	first, second := &awsapi.EventLog{}, &awsapi.EventLog{}
	rt, err := awsapi.NewRouter(awsapi.RouterConfig{
		Operations: []awsapi.Operation{{Service: svc, Action: "Note", Auth: awsapi.AuthNone, Handle: handle}},
		Events:     awsapi.Tee(nil, first, nil, second),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	for _, arn := range []string{"arn:aws:iam::123456789012:role/R", ""} {
		form := url.Values{"Action": {"Note"}, "Version": {testVersion}, "RoleArn": {arn}}
		resp, err := srv.Client().Post(srv.URL+"/", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	for i, log := range []*awsapi.EventLog{first, second} {
		evs := log.Events()
		if len(evs) != 2 {
			t.Fatalf("sink %d recorded %d events, want 2", i, len(evs))
		}
		if want := map[string]string{"roleArn": "arn:aws:iam::123456789012:role/R"}; !cmp.Equal(evs[0].RequestParameters, want) {
			t.Errorf("sink %d: parameters %v, want %v", i, evs[0].RequestParameters, want)
		}
		if len(evs[1].RequestParameters) != 0 {
			t.Errorf("sink %d: parameters %v of a call that noted only empty values, want none", i, evs[1].RequestParameters)
		}
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	e := &awsapi.Error{Code: awsapi.CodeInvalidIdentityToken, Status: http.StatusBadRequest, Message: "bad token"}
	if got, want := e.Error(), "InvalidIdentityToken: bad token"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	cause := errors.New("signature by a foreign key")
	e = e.WithCause(cause)
	if got, want := e.Error(), "InvalidIdentityToken: bad token: signature by a foreign key"; got != want {
		t.Errorf("Error() with a cause = %q, want %q", got, want)
	}
	if !errors.Is(e, cause) {
		t.Error("errors.Is(err, cause) = false, want the cause unwrapped")
	}
}
