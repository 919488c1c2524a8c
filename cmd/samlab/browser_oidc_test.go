package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// newBrowserTrusting is newBrowser for a browser that trusts the local CA
// of `samlab up --https`: Chromium accepts a chain holding a certificate
// whose public key hash is listed (--ignore-certificate-errors-spki-list,
// honoured with a profile directory of the test's own), and the issuer's
// chain ends with the CA.
func newBrowserTrusting(t *testing.T, ca *x509.Certificate) *browser {
	t.Helper()
	spki := sha256.Sum256(ca.RawSubjectPublicKeyInfo)
	return newBrowser(t, chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])))
}

// codeFlowApp is a web app that signs users in with the authorization-code
// flow and PKCE (golang.org/x/oauth2), verifies the ID token with go-oidc
// against the issuer, and trades it for AWS credentials with
// AssumeRoleWithWebIdentity (the AWS SDK for Go v2).
type codeFlowApp struct {
	oauth    oauth2.Config
	verifier *gooidc.IDTokenVerifier
	client   *http.Client // trusts the local CA
	sts      *stssdk.Client
	roleARN  string

	mu       sync.Mutex
	state    string
	nonce    string
	pkce     string
	idToken  string
	subject  string
	assumed  string
	provider string
}

func (a *codeFlowApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/":
		a.mu.Lock()
		a.state, a.nonce, a.pkce = rand.Text(), rand.Text(), oauth2.GenerateVerifier()
		u := a.oauth.AuthCodeURL(a.state, oauth2.S256ChallengeOption(a.pkce), gooidc.Nonce(a.nonce))
		a.mu.Unlock()
		http.Redirect(w, r, u, http.StatusFound)
	case "/callback":
		if err := a.callback(r); err != nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<p id="error">%s</p>`, html.EscapeString(err.Error()))
			return
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<p>Signed in as <span id="subject">%s</span>; AWS role <span id="assumed">%s</span></p>`,
			html.EscapeString(a.subject), html.EscapeString(a.assumed))
	default:
		http.NotFound(w, r)
	}
}

func (a *codeFlowApp) callback(r *http.Request) error {
	a.mu.Lock()
	state, nonce, pkce := a.state, a.nonce, a.pkce
	a.mu.Unlock()
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return fmt.Errorf("the provider answered %s: %s", e, q.Get("error_description"))
	}
	if q.Get("state") != state || state == "" {
		return fmt.Errorf("state %q, want %q", q.Get("state"), state)
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, a.client)
	tok, err := a.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		return fmt.Errorf("token exchange: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return fmt.Errorf("no id_token in the token response")
	}
	idt, err := a.verifier.Verify(gooidc.ClientContext(r.Context(), a.client), raw)
	if err != nil {
		return fmt.Errorf("go-oidc: %w", err)
	}
	if idt.Nonce != nonce {
		return fmt.Errorf("nonce %q, want %q", idt.Nonce, nonce)
	}
	out, err := a.sts.AssumeRoleWithWebIdentity(r.Context(), &stssdk.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(a.roleARN), RoleSessionName: aws.String("browser-" + idt.Subject), WebIdentityToken: aws.String(raw)})
	if err != nil {
		return fmt.Errorf("AssumeRoleWithWebIdentity with a token for %s: %w", claimsOf(raw), err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.idToken, a.subject = raw, idt.Subject
	a.assumed, a.provider = aws.ToString(out.AssumedRoleUser.Arn), aws.ToString(out.Provider)
	return nil
}

// TestBrowserOIDCCodeFlowHTTPS drives headless Chromium through the
// authorization-code flow with PKCE against the https issuer of `samlab up
// --https` (https://127.0.0.1:PORT/idp/oidc, certificate from the local
// CA): the app redirects to the authorize endpoint, the user logs in at the
// IdP, the browser comes back to the app with the code, the app redeems it
// with the PKCE verifier, verifies the ID token with go-oidc against the
// https issuer, and STS (fetching the keys over TLS, with IAM's thumbprint)
// trades it for the role's credentials.
func TestBrowserOIDCCodeFlowHTTPS(t *testing.T) {
	t.Parallel()
	l := startUp(t, "--https")
	is := readHTTPSIssuer(t, l)
	b := newBrowserTrusting(t, is.ca)

	// The administrator registers the https issuer for the app's client ID
	// and a role trusting it (with sts:TagSession: alice's token carries
	// AWS's tags claim).
	iamc := iamsdk.NewFromConfig(l.config(), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(l.endpoint) })
	created, err := iamc.CreateOpenIDConnectProvider(t.Context(), &iamsdk.CreateOpenIDConnectProviderInput{
		Url: aws.String(is.url), ClientIDList: []string{demoOIDCClientID}, ThumbprintList: []string{is.thumbprint}})
	if err != nil {
		t.Fatalf("CreateOpenIDConnectProvider %s: %v", is.url, err)
	}
	hostPath := strings.TrimPrefix(is.url, "https://")
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},
		"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],"Condition":{"StringEquals":{%q:%q,%q:"alice"}}}]}`,
		aws.ToString(created.OpenIDConnectProviderArn), hostPath+":aud", demoOIDCClientID, hostPath+":sub")
	if _, err := iamc.CreateRole(t.Context(), &iamsdk.CreateRoleInput{RoleName: aws.String("BrowserApp"),
		AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatalf("CreateRole: %v", err)
	}

	pool := x509.NewCertPool()
	pool.AddCert(is.ca)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	provider, err := gooidc.NewProvider(gooidc.ClientContext(t.Context(), client), is.url)
	if err != nil {
		t.Fatalf("go-oidc discovery at %s: %v", is.url, err)
	}
	app := &codeFlowApp{client: client, roleARN: "arn:aws:iam::123456789012:role/BrowserApp",
		verifier: provider.Verifier(&gooidc.Config{ClientID: demoOIDCClientID}),
		sts:      stssdk.NewFromConfig(l.config(), func(o *stssdk.Options) { o.BaseEndpoint = aws.String(l.endpoint) })}
	srv := httptest.NewServer(app)
	defer srv.Close()
	app.oauth = oauth2.Config{ClientID: demoOIDCClientID, Endpoint: provider.Endpoint(), RedirectURL: srv.URL + "/callback",
		Scopes: []string{gooidc.ScopeOpenID, "email"}}
	if !strings.HasPrefix(provider.Endpoint().AuthURL, is.url+"/") || !strings.HasPrefix(provider.Endpoint().TokenURL, is.url+"/") {
		t.Fatalf("discovery endpoints %+v are not under the https issuer %s", provider.Endpoint(), is.url)
	}

	b.do("open the app: it redirects to the issuer's authorize endpoint, which asks the IdP to log in",
		chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("username")))
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil || !strings.HasPrefix(loc, strings.TrimSuffix(is.url, oidcPrefix)+"/idp/") {
		t.Errorf("the login page is at %s (%v), want the https issuer's host", loc, err)
	}
	b.screenshot("oidc-login")
	b.do("log in as alice", chromedp.SendKeys(chromedp.ID("username"), "alice"), chromedp.SendKeys(chromedp.ID("password"), "samlab"),
		chromedp.Submit(chromedp.ID("password")), chromedp.WaitReady(chromedp.CSS("#assumed, #error")))
	b.screenshot("oidc-app")
	if errs, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.getElementById("error")||{}).textContent||""`)); errs != "" {
		t.Fatalf("the app failed: %s", errs)
	}
	if got := b.text("#assumed"); got != "arn:aws:sts::123456789012:assumed-role/BrowserApp/browser-alice" {
		t.Errorf("the app's role = %q", got)
	}
	if got := b.text("#subject"); got != "alice" {
		t.Errorf("the app's subject = %q", got)
	}
	app.mu.Lock()
	raw, prov := app.idToken, app.provider
	app.mu.Unlock()
	if prov != aws.ToString(created.OpenIDConnectProviderArn) {
		t.Errorf("STS's Provider = %q, want %q", prov, aws.ToString(created.OpenIDConnectProviderArn))
	}
	if iss := tokenClaims(t, raw)["iss"]; iss != is.url {
		t.Errorf("ID token iss = %v, want %s", iss, is.url)
	}

	// The browser went to the https authorize endpoint with an S256 PKCE
	// challenge, and came back to the app with a code.
	var authorize, callback *url.URL
	for _, s := range b.requested() {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(s, is.url+"/authorize?") && authorize == nil:
			authorize = u
		case strings.HasPrefix(s, srv.URL+"/callback?"):
			callback = u
		case strings.HasPrefix(s, srv.URL+"/"), strings.HasPrefix(s, strings.TrimSuffix(is.url, oidcPrefix)+"/"), strings.HasPrefix(s, "data:"):
		default:
			t.Errorf("the browser fetched %s, outside samlab and the app", s)
		}
	}
	if authorize == nil || callback == nil {
		t.Fatalf("the browser did not go through %s/authorize and back to the app's callback: %v", is.url, b.requested())
	}
	if q := authorize.Query(); q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 ||
		q.Get("client_id") != demoOIDCClientID || q.Get("response_type") != "code" {
		t.Errorf("authorize request %s lacks the PKCE challenge or the client", authorize)
	}
	if q := callback.Query(); q.Get("code") == "" || q.Get("iss") != is.url {
		t.Errorf("callback %s lacks the code or the issuer", callback)
	}
	t.Logf("app:        %s/", srv.URL)
	t.Logf("authorize:  %s", authorize)
	t.Logf("login page: %s", loc)
	t.Logf("callback:   %s", callback)
	t.Logf("ID token:   %s", claimsOf(raw))
	t.Logf("STS:        %s via %s", app.assumed, prov)
}

// claimsOf returns an ID token's claims as text, for error messages.
func claimsOf(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "a token that is not a JWT"
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "a token with undecodable claims"
	}
	return string(raw)
}
