package main

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/samlab-dev/samlab/idp/oidc"
	"github.com/samlab-dev/samlab/scenarios"
)

// TestIDPTokenLocal signs with a key directory made by "samlab idp rotate"
// and verifies with go-oidc against that directory's public key.
func TestIDPTokenLocal(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	if _, _, err := runIn(t, "", "idp", "rotate", "--keys", dir); err != nil {
		t.Fatalf("idp rotate: %v", err)
	}
	ring, err := oidc.LoadKeyring(os.DirFS(dir), "")
	if err != nil {
		t.Fatal(err)
	}
	const issuer = "https://idp.samlab.test/oidc"
	keySet := &gooidc.StaticKeySet{PublicKeys: []crypto.PublicKey{ring.Current.Signer.Public()}}
	v := gooidc.NewVerifier(issuer, keySet, &gooidc.Config{ClientID: "sts.amazonaws.com"})

	out, stderr, err := runIn(t, "", "idp", "token", "--user", "alice", "--audience", "sts.amazonaws.com",
		"--keys", dir, "--issuer", issuer, "--nonce", "n1")
	if err != nil {
		t.Fatalf("idp token: %v\n%s", err, stderr)
	}
	idt, err := v.Verify(t.Context(), strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("go-oidc Verify: %v", err)
	}
	var c struct {
		Tags oidc.AWSTags `json:"https://aws.amazon.com/tags"`
	}
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	if idt.Subject != "alice" || idt.Nonce != "n1" || c.Tags.PrincipalTags["team"][0] != "platform" {
		t.Errorf("sub=%q nonce=%q tags=%+v", idt.Subject, idt.Nonce, c.Tags)
	}

	out, _, err = runIn(t, "", "idp", "token", "--user", "alice", "--audience", "sts.amazonaws.com",
		"--keys", dir, "--issuer", issuer, "--fault", "expired")
	if err != nil {
		t.Fatal(err)
	}
	var expired *gooidc.TokenExpiredError
	if _, err := v.Verify(t.Context(), strings.TrimSpace(out)); !errors.As(err, &expired) {
		t.Errorf("--fault expired: go-oidc says %v, want TokenExpiredError", err)
	}

	out, _, err = runIn(t, "", "idp", "token", "--user", "bob", "--audience", "app", "--algorithm", "ES256", "--decode")
	if err != nil {
		t.Fatal(err)
	}
	var dec struct {
		Header map[string]any `json:"header"`
		Claims map[string]any `json:"claims"`
	}
	if err := json.Unmarshal([]byte(out), &dec); err != nil || dec.Header["alg"] != "ES256" || dec.Claims["sub"] != "bob" ||
		dec.Claims["aud"] != "app" || dec.Claims["iss"] != "http://"+DefaultListen+oidcPrefix {
		t.Errorf("--decode = %v, %s", err, out)
	}

	for _, args := range [][]string{
		{"--user", "mallory", "--audience", "a"},
		{"--user", "alice", "--audience", "a", "--fault", "bogus"},
		{"--user", "alice", "--audience", "a", "--keys", dir, "--algorithm", "ES256"},
		{"--user", "alice", "--audience", "a", "--fault", "stale-key", "--keys", dir},
		{"--user", "alice", "--audience", "a", "--endpoint", "http://127.0.0.1:1", "--keys", dir},
	} {
		if _, _, err := runIn(t, "", append([]string{"idp", "token"}, args...)...); err == nil {
			t.Errorf("idp token %v succeeded", args)
		}
	}
}

// TestIDPTokenEndpointAndCodeFlowOnUp gets tokens from a running samlab up
// through "samlab idp token --endpoint", and runs the browser code flow
// against it with the demo client; go-oidc verifies both through discovery.
func TestIDPTokenEndpointAndCodeFlowOnUp(t *testing.T) {
	t.Parallel()
	lab := startUp(t)
	defer func() { _ = lab.stop() }()
	if !strings.Contains(lab.out.String(), "OIDC issuer") {
		t.Errorf("banner names no OIDC issuer:\n%s", lab.out)
	}
	issuer := lab.endpoint + oidcPrefix
	ctx := t.Context()
	op, err := gooidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatalf("go-oidc discovery on samlab up: %v", err)
	}
	v := op.Verifier(&gooidc.Config{ClientID: "sts.amazonaws.com"})

	out, stderr, err := runIn(t, "samlab\n", "idp", "token", "--endpoint", lab.endpoint, "--user", "alice",
		"--audience", "sts.amazonaws.com", "--password-stdin")
	if err != nil {
		t.Fatalf("idp token --endpoint: %v\n%s", err, stderr)
	}
	idt, err := v.Verify(ctx, strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("go-oidc Verify: %v", err)
	}
	if idt.Subject != "alice" || idt.Issuer != issuer {
		t.Errorf("sub=%q iss=%q", idt.Subject, idt.Issuer)
	}
	out, _, err = runIn(t, "samlab\n", "idp", "token", "--endpoint", issuer, "--user", "alice",
		"--audience", "sts.amazonaws.com", "--password-stdin", "--fault", "unknown-kid")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, strings.TrimSpace(out)); err == nil {
		t.Error("go-oidc accepted the unknown-kid token from the server")
	}
	_, _, err = runIn(t, "wrong\n", "idp", "token", "--endpoint", lab.endpoint, "--user", "alice",
		"--audience", "sts.amazonaws.com", "--password-stdin")
	if err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("wrong password: %v, want invalid_grant", err)
	}

	// The code flow with the demo client and PKCE, logging in on the IdP.
	login, _, raw := codeFlow(t, op, "alice", "samlab")
	if login.Path != scenariosLoginPath {
		t.Fatalf("authorize led to %s, want the IdP login page", login)
	}
	if _, err := op.Verifier(&gooidc.Config{ClientID: demoOIDCClientID}).Verify(ctx, raw); err != nil {
		t.Errorf("go-oidc Verify of the code-flow token: %v", err)
	}
}

const scenariosLoginPath = scenarios.IDPPrefix + "/login"

// codeFlow signs user in with the authorization-code flow and PKCE as a web
// app would (golang.org/x/oauth2, the demo client): authorize, the IdP's
// login form, the redirect with the code, the token exchange. It returns
// the login page's URL, the redirect back to the app and the ID token.
func codeFlow(t *testing.T, op *gooidc.Provider, user, password string) (login, callback *url.URL, idToken string) {
	t.Helper()
	ep := op.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInParams
	cfg := &oauth2.Config{ClientID: demoOIDCClientID, Endpoint: ep, RedirectURL: "http://127.0.0.1:9/callback",
		Scopes: []string{gooidc.ScopeOpenID}}
	verifier := oauth2.GenerateVerifier()
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Path == "/callback" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := b.Get(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	login = resp.Request.URL
	resp, err = postLoginForm(t, b, login.String(), user, password)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("after login at %s: %s %v %v", login, resp.Status, loc, err)
	}
	tok, err := cfg.Exchange(t.Context(), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	idToken, _ = tok.Extra("id_token").(string)
	return login, loc, idToken
}

var oidcIssuerRE = regexp.MustCompile(`OIDC issuer\s+(http://\S+)`)

// TestIDPServeOIDCSharesKeyDirectory runs "samlab idp serve --keys DIR": the
// JWKS publishes the key directory's key, and tokens from the server verify
// with go-oidc through discovery.
func TestIDPServeOIDCSharesKeyDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	if _, _, err := runIn(t, "", "idp", "rotate", "--keys", dir); err != nil {
		t.Fatalf("idp rotate: %v", err)
	}
	ring, err := oidc.LoadKeyring(os.DirFS(dir), "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cmd := NewRootCommand()
	out := &syncBuffer{}
	cmd.SetOut(out)
	cmd.SetErr(out)
	cmd.SetArgs([]string{"idp", "serve", "--keys", dir, "--listen", "127.0.0.1:0", "--oidc-client", "app=http://127.0.0.1/cb"})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("idp serve: %v", err)
		}
	}()
	var issuer string
	for deadline := time.Now().Add(10 * time.Second); issuer == ""; time.Sleep(10 * time.Millisecond) {
		if m := oidcIssuerRE.FindStringSubmatch(out.String()); m != nil {
			issuer = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("idp serve printed no OIDC issuer:\n%s", out)
		}
	}
	if !strings.HasSuffix(issuer, "/oidc") {
		t.Errorf("issuer %s does not end in /oidc", issuer)
	}
	op, err := gooidc.NewProvider(t.Context(), issuer)
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	var jwks struct {
		Keys []struct {
			KID string `json:"kid"`
		} `json:"keys"`
	}
	resp, err := http.Get(issuer + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&jwks); err != nil || len(jwks.Keys) != 1 || jwks.Keys[0].KID != ring.Current.ID {
		t.Fatalf("JWKS = %+v (%v), want the key directory's key %s", jwks, err, ring.Current.ID)
	}
	tok, stderr, err := runIn(t, "samlab\n", "idp", "token", "--endpoint", issuer, "--user", "alice", "--audience", "app", "--password-stdin")
	if err != nil {
		t.Fatalf("idp token --endpoint: %v\n%s", err, stderr)
	}
	if _, err := op.Verifier(&gooidc.Config{ClientID: "app"}).Verify(t.Context(), strings.TrimSpace(tok)); err != nil {
		t.Errorf("go-oidc Verify: %v", err)
	}
}
