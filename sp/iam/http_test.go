package iam_test

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
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

const (
	testKeyID  = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// iamServer is an Account's IAM operations served by an awsapi.Router over
// real HTTP on loopback.
type iamServer struct {
	account *iam.Account
	srv     *httptest.Server
	events  *awsapi.EventLog
}

func newIAMServer(t testing.TB, a *iam.Account) *iamServer {
	t.Helper()
	return newIAMServerWith(t, a, nil)
}

// newIAMServerWith is newIAMServer that also accepts the extra credentials,
// as a lab's router does for STS sessions, besides the test key and the
// access keys of the account's users.
func newIAMServerWith(t testing.TB, a *iam.Account, extra map[string]awsapi.Credential) *iamServer {
	t.Helper()
	if a == nil {
		a = iam.NewAccount(iam.Config{})
	}
	// The test key is the lab's administrator, whom no policy restricts.
	a.SetAdministrators("arn:aws:iam::" + a.ID() + ":user/admin")
	creds := func(ctx context.Context, id, _ string) (awsapi.Credential, bool) {
		if c, ok := extra[id]; ok {
			return c, true
		}
		if id != testKeyID {
			return a.Credential(ctx, id)
		}
		return awsapi.Credential{AccessKeyID: id, SecretAccessKey: testSecret,
			Caller: awsapi.Caller{Type: "IAMUser", ARN: "arn:aws:iam::" + a.ID() + ":user/admin", AccountID: a.ID()}}, true
	}
	events := &awsapi.EventLog{}
	rt, err := awsapi.NewRouter(awsapi.RouterConfig{Operations: a.Operations(), Credentials: creds, Events: events})
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return &iamServer{account: a, srv: srv, events: events}
}

// sdkConfig is an aws.Config for the SDK clients, with the admin key.
func (s *iamServer) sdkConfig() aws.Config {
	return aws.Config{Region: "us-east-1", HTTPClient: s.srv.Client(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}, nil
		})}
}

// reply is a decoded IAM response.
type reply struct {
	status  int
	code    string
	message string
	body    string
}

// call sends action with params as a SigV4-signed form POST, as the SDKs do.
func (s *iamServer) call(t testing.TB, action string, params url.Values) reply {
	t.Helper()
	form := url.Values{"Action": {action}, "Version": {awsapi.IAMVersion}}
	for k, v := range params {
		form[k] = v
	}
	body := form.Encode()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.srv.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret},
		req, hex.EncodeToString(sum[:]), "iam", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := reply{status: resp.StatusCode, body: string(raw)}
	if resp.StatusCode >= 300 {
		var e struct {
			Code    string `xml:"Error>Code"`
			Message string `xml:"Error>Message"`
		}
		if err := xml.Unmarshal(raw, &e); err != nil {
			t.Fatalf("%s: error body is not XML: %v\n%s", action, err, raw)
		}
		out.code, out.message = e.Code, e.Message
	}
	return out
}

// mustCall is call that fails the test unless the call succeeds.
func (s *iamServer) mustCall(t testing.TB, action string, params url.Values) string {
	t.Helper()
	r := s.call(t, action, params)
	if r.status != http.StatusOK {
		t.Fatalf("%s(%v) = %d %s: %s", action, params, r.status, r.code, r.message)
	}
	return r.body
}

// kv builds url.Values from alternating keys and values.
func kv(pairs ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Add(pairs[i], pairs[i+1])
	}
	return v
}
