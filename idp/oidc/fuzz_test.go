package oidc_test

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/samlab-dev/samlab/idp/oidc"
)

var errorCodes = []string{oidc.ErrInvalidRequest, oidc.ErrInvalidClient, oidc.ErrInvalidGrant, oidc.ErrUnauthorizedClient,
	oidc.ErrUnsupportedGrantType, oidc.ErrUnsupportedResponseType, oidc.ErrInvalidScope, oidc.ErrAccessDenied,
	oidc.ErrServerError, oidc.ErrLoginRequired, oidc.ErrRequestNotSupported, oidc.ErrRequestURINotSupported}

// FuzzAuthorizationRequest: any query string is parsed without a panic
// into an *oidc.Error with a registered code and a description, or a
// request that survives re-encoding unchanged; an error is redirectable
// only when client_id and redirect_uri were read.
func FuzzAuthorizationRequest(f *testing.F) {
	const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	f.Add("client_id=app&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcallback&response_type=code&scope=openid+email&state=s&nonce=n&code_challenge=" + challenge + "&code_challenge_method=S256")
	f.Add("client_id=app&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1&response_type=code&scope=openid&code_challenge=" + challenge + "&code_challenge_method=plain")
	f.Add("client_id=app&client_id=b&redirect_uri=x")
	f.Add("client_id=app&redirect_uri=%2Frelative&response_type=token")
	f.Add("client_id=app&redirect_uri=http%3A%2F%2Fa%2F&response_type=code&scope=openid&prompt=none+login&code_challenge=" + challenge + "&code_challenge_method=S256")
	f.Add("%zz&;;==&request_uri=x")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return // the HTTP server rejects these before the handler
		}
		req, err := oidc.ParseAuthorizationRequest(q)
		if err != nil {
			var oe *oidc.Error
			if !errors.As(err, &oe) {
				t.Fatalf("error %T %v is not *oidc.Error", err, err)
			}
			if !slices.Contains(errorCodes, oe.Code) || oe.Description == "" {
				t.Fatalf("error code %q description %q", oe.Code, oe.Description)
			}
			if oe.Redirect != (req != nil) {
				t.Fatalf("Redirect=%v with request %v", oe.Redirect, req)
			}
			if req != nil && (req.ClientID == "" || req.RedirectURI == "") {
				t.Fatalf("redirectable error without client_id or redirect_uri: %+v", req)
			}
			return
		}
		if req.ResponseType != "code" || req.CodeChallengeMethod != "S256" || !strings.Contains(" "+req.Scope+" ", " openid ") {
			t.Fatalf("accepted %+v", req)
		}
		again, err := oidc.ParseAuthorizationRequest(req.Values())
		if err != nil {
			t.Fatalf("re-encoded request refused: %v", err)
		}
		if diff := cmp.Diff(req, again); diff != "" {
			t.Fatalf("re-parse differs (-first +second):\n%s", diff)
		}
	})
}

// FuzzTokenRequest: any form body and Authorization header is parsed
// without a panic into an *oidc.Error with a 400 or 401 status, or a
// request whose grant has everything it needs.
func FuzzTokenRequest(f *testing.F) {
	const verifier = "dBjftJeZ4CVP-mJ0kjJOsXxYvm0hkYCGAPHoCSfUXcM"
	f.Add("grant_type=authorization_code&code=abc&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&client_id=app&code_verifier="+verifier, "")
	f.Add("grant_type=authorization_code&code=abc&redirect_uri=x&code_verifier="+verifier, "Basic YXBwOnNlY3JldA==")
	f.Add("grant_type=password&client_id=sts.amazonaws.com&username=alice&password=samlab&fault=expired", "")
	f.Add("grant_type=password&username=alice&password=p&scope=email", "Basic %%%")
	f.Add("grant_type=client_credentials&client_id=a&client_secret=b", "Basic YTpi")
	f.Fuzz(func(t *testing.T, body, authorization string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return // the handler answers invalid_request before parsing
		}
		req, err := oidc.ParseTokenRequest(form, authorization)
		if err != nil {
			var oe *oidc.Error
			if !errors.As(err, &oe) {
				t.Fatalf("error %T %v is not *oidc.Error", err, err)
			}
			if !slices.Contains(errorCodes, oe.Code) || oe.Description == "" ||
				(oe.Status != http.StatusBadRequest && oe.Status != http.StatusUnauthorized) {
				t.Fatalf("error %+v", oe)
			}
			return
		}
		if req.ClientID == "" {
			t.Fatalf("accepted without client_id: %+v", req)
		}
		switch req.GrantType {
		case "authorization_code":
			if req.Code == "" || req.RedirectURI == "" || len(req.CodeVerifier) < 43 || req.Fault != "" {
				t.Fatalf("accepted code grant %+v", req)
			}
		case "password":
			if req.Username == "" || req.Password == "" {
				t.Fatalf("accepted password grant %+v", req)
			}
			if _, err := oidc.ParseFault(string(req.Fault)); err != nil {
				t.Fatalf("accepted fault %q", req.Fault)
			}
		default:
			t.Fatalf("accepted grant_type %q", req.GrantType)
		}
	})
}
