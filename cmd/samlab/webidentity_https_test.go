package main

import (
	"bytes"
	"context"
	"crypto/sha1" //nolint:gosec // IAM's thumbprint is a SHA-1
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/samlab-dev/samlab/idp/oidc"
)

var httpsIssuerRE = regexp.MustCompile(`OIDC issuer over HTTPS: (https://127\.0\.0\.1:\d+/idp/oidc) \(certificate from the local CA; register thumbprint ([0-9a-f]{40})\)`)

// httpsIssuer is what `samlab up --https` prints about its https issuer.
type httpsIssuer struct {
	url, thumbprint, caFile string
	ca                      *x509.Certificate
}

func readHTTPSIssuer(t *testing.T, l *upLab) httpsIssuer {
	t.Helper()
	m := httpsIssuerRE.FindStringSubmatch(l.out.String())
	c := caFileRE.FindStringSubmatch(l.out.String())
	if m == nil || c == nil {
		t.Fatalf("no https OIDC issuer or CA file in the banner:\n%s", l.out)
	}
	raw, err := os.ReadFile(c[1])
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		t.Fatalf("%s holds no PEM block", c[1])
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return httpsIssuer{url: m[1], thumbprint: m[2], caFile: c[1], ca: ca}
}

// TestUpHTTPSIssuer checks the https issuer of `samlab up --https`: the
// printed thumbprint is the SHA-1 of the CA, which is the top of the chain
// the issuer presents (what IAM stores when no thumbprint is given);
// discovery names the https issuer on both listeners; a token from `samlab
// idp token --endpoint` verifies with go-oidc through the https discovery,
// trusting the CA; without the CA the endpoint is refused.
func TestUpHTTPSIssuer(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	l := startUp(t, "--https")
	is := readHTTPSIssuer(t, l)
	sum := sha1.Sum(is.ca.Raw) //nolint:gosec // IAM's thumbprint
	if want := hex.EncodeToString(sum[:]); is.thumbprint != want {
		t.Errorf("printed thumbprint %s, want the CA's SHA-1 %s", is.thumbprint, want)
	}

	// The chain the issuer presents: a leaf for 127.0.0.1, then the CA.
	pool := x509.NewCertPool()
	pool.AddCert(is.ca)
	host := strings.TrimSuffix(strings.TrimPrefix(is.url, "https://"), oidcPrefix)
	conn, err := tls.Dial("tcp", host, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("TLS to the issuer, trusting the CA: %v", err)
	}
	chain := conn.ConnectionState().PeerCertificates
	_ = conn.Close()
	if len(chain) != 2 || !chain[1].Equal(is.ca) || chain[0].VerifyHostname("127.0.0.1") != nil {
		t.Errorf("issuer presents %d certificates; want a leaf for 127.0.0.1 and the CA", len(chain))
	}

	// IAM, given no thumbprint, reads the same one from the issuer.
	iamc := iamsdk.NewFromConfig(l.config(), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(l.endpoint) })
	p, err := iamc.CreateOpenIDConnectProvider(ctx, &iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String(is.url),
		ClientIDList: []string{"sts.amazonaws.com"}})
	if err != nil {
		t.Fatalf("CreateOpenIDConnectProvider(%s) without --insecure-http-issuers: %v", is.url, err)
	}
	got, err := iamc.GetOpenIDConnectProvider(ctx, &iamsdk.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: p.OpenIDConnectProviderArn})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.ThumbprintList) != 1 || got.ThumbprintList[0] != is.thumbprint {
		t.Errorf("IAM fetched thumbprints %v, want [%s]", got.ThumbprintList, is.thumbprint)
	}

	// Discovery names the https issuer, also when asked over http.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	for _, base := range []string{is.url, l.endpoint + oidcPrefix} {
		var d oidc.Discovery
		resp, err := client.Get(base + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&d)
		_ = resp.Body.Close()
		if err != nil || d.Issuer != is.url || !strings.HasPrefix(d.JWKSURI, is.url+"/") {
			t.Errorf("discovery at %s: issuer %q, jwks_uri %q (%v); want %s", base, d.Issuer, d.JWKSURI, err, is.url)
		}
	}

	if _, stderr, err := runIn(t, "samlab\n", "idp", "token", "--endpoint", is.url, "--user", "alice",
		"--audience", "sts.amazonaws.com", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("idp token against the https issuer without --ca-file: %v %s; want a certificate error", err, stderr)
	}
	if _, _, err := runIn(t, "samlab\n", "idp", "token", "--endpoint", l.endpoint, "--user", "alice",
		"--audience", "sts.amazonaws.com", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "use --endpoint "+is.url) {
		t.Errorf("idp token --endpoint %s (http) in https mode: %v; want a pointer to %s", l.endpoint, err, is.url)
	}
	out, stderr, err := runIn(t, "samlab\n", "idp", "token", "--endpoint", is.url, "--ca-file", is.caFile, "--user", "alice",
		"--audience", "sts.amazonaws.com", "--password-stdin")
	if err != nil {
		t.Fatalf("idp token --endpoint %s --ca-file: %v\n%s", is.url, err, stderr)
	}
	gp, err := gooidc.NewProvider(gooidc.ClientContext(ctx, client), is.url)
	if err != nil {
		t.Fatalf("go-oidc discovery at %s: %v", is.url, err)
	}
	idt, err := gp.VerifierContext(gooidc.ClientContext(ctx, client), &gooidc.Config{ClientID: "sts.amazonaws.com"}).
		Verify(ctx, strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("go-oidc Verify: %v", err)
	}
	if idt.Issuer != is.url || idt.Subject != "alice" {
		t.Errorf("token iss %q sub %q", idt.Issuer, idt.Subject)
	}
}

// TestUpHTTPSIssuerAWSCLI federates with the https issuer using Debian's aws
// CLI through the lab's proxy (no endpoint override): IAM registers the
// https:// issuer (no --insecure-http-issuers), STS fetches its keys over
// TLS and checks IAM's thumbprint: a wrong one fails with AWS's error, the
// printed one works.
func TestUpHTTPSIssuerAWSCLI(t *testing.T) {
	t.Parallel()
	requireAWSCLI(t)
	l := startUp(t, "--https")
	is := readHTTPSIssuer(t, l)
	env := []string{
		"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"),
		"AWS_CA_BUNDLE=" + is.caFile, "HTTPS_PROXY=" + l.endpoint, "https_proxy=" + l.endpoint,
		"NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost",
		"AWS_ACCESS_KEY_ID=" + l.keyID, "AWS_SECRET_ACCESS_KEY=" + l.secret, "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
	}
	aws := func(args ...string) (string, string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, awsCLI, append([]string{"--output", "json"}, args...)...)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	token, stderr, err := runIn(t, "samlab\n", "idp", "token", "--endpoint", is.url, "--ca-file", is.caFile, "--user", "alice",
		"--audience", "sts.amazonaws.com", "--password-stdin")
	if err != nil {
		t.Fatalf("idp token: %v\n%s", err, stderr)
	}
	token = strings.TrimSpace(token)

	wrong := strings.Repeat("9", 40)
	out, stderr, err := aws("iam", "create-open-id-connect-provider", "--url", is.url, "--thumbprint-list", wrong,
		"--client-id-list", "sts.amazonaws.com")
	if err != nil {
		t.Fatalf("aws iam create-open-id-connect-provider %s: %v\n%s", is.url, err, stderr)
	}
	var created struct{ OpenIDConnectProviderArn string }
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.OpenIDConnectProviderArn == "" {
		t.Fatalf("create-open-id-connect-provider printed %q (%v)", out, err)
	}
	hostPath := strings.TrimPrefix(is.url, "https://")
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},
		"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],"Condition":{"StringEquals":{%q:"alice",%q:"sts.amazonaws.com"}}}]}`,
		created.OpenIDConnectProviderArn, hostPath+":sub", hostPath+":aud")
	if _, stderr, err := aws("iam", "create-role", "--role-name", "HTTPSWebRole", "--assume-role-policy-document", trust); err != nil {
		t.Fatalf("aws iam create-role: %v\n%s", err, stderr)
	}
	roleARN := "arn:aws:iam::123456789012:role/HTTPSWebRole"
	assume := func() (string, string, error) {
		return aws("sts", "assume-role-with-web-identity", "--role-arn", roleARN, "--role-session-name", "cli-https",
			"--web-identity-token", token)
	}
	_, stderr, err = assume()
	const wantErr = "An error occurred (InvalidIdentityToken) when calling the AssumeRoleWithWebIdentity operation: " +
		"OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint"
	if err == nil || !strings.Contains(stderr, wantErr) {
		t.Errorf("assume-role-with-web-identity with thumbprint %s: %v\n%s\nwant %q", wrong, err, stderr, wantErr)
	}

	if _, stderr, err := aws("iam", "delete-open-id-connect-provider", "--open-id-connect-provider-arn", created.OpenIDConnectProviderArn); err != nil {
		t.Fatalf("delete-open-id-connect-provider: %v\n%s", err, stderr)
	}
	if _, stderr, err := aws("iam", "create-open-id-connect-provider", "--url", is.url, "--thumbprint-list", is.thumbprint,
		"--client-id-list", "sts.amazonaws.com"); err != nil {
		t.Fatalf("create-open-id-connect-provider with the printed thumbprint: %v\n%s", err, stderr)
	}
	out, stderr, err = assume()
	if err != nil {
		t.Fatalf("assume-role-with-web-identity with the printed thumbprint: %v\n%s", err, stderr)
	}
	var res struct {
		SubjectFromWebIdentityToken, Provider, Audience string
		AssumedRoleUser                                 struct{ Arn string }
		Credentials                                     struct{ AccessKeyId, SessionToken string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("assume-role-with-web-identity printed %q: %v", out, err)
	}
	if res.AssumedRoleUser.Arn != "arn:aws:sts::123456789012:assumed-role/HTTPSWebRole/cli-https" ||
		res.SubjectFromWebIdentityToken != "alice" || res.Audience != "sts.amazonaws.com" ||
		res.Provider != created.OpenIDConnectProviderArn || res.Credentials.SessionToken == "" {
		t.Errorf("assume-role-with-web-identity result: %s", out)
	}

	// The CLI's web identity credential provider, with no keys of its own,
	// calls STS at its AWS host through the proxy.
	tokenFile := filepath.Join(t.TempDir(), "token.jwt")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	env = slices.DeleteFunc(env, func(kv string) bool {
		return strings.HasPrefix(kv, "AWS_ACCESS_KEY_ID=") || strings.HasPrefix(kv, "AWS_SECRET_ACCESS_KEY=")
	})
	env = append(env, "AWS_WEB_IDENTITY_TOKEN_FILE="+tokenFile, "AWS_ROLE_ARN="+roleARN, "AWS_ROLE_SESSION_NAME=cli-file")
	out, stderr, err = aws("sts", "get-caller-identity")
	if err != nil || !strings.Contains(out, `"arn:aws:sts::123456789012:assumed-role/HTTPSWebRole/cli-file"`) {
		t.Errorf("get-caller-identity with AWS_WEB_IDENTITY_TOKEN_FILE: %v\n%s%s", err, out, stderr)
	}
}

func TestIssuerAddr(t *testing.T) {
	t.Parallel()
	for listen, want := range map[string]string{
		"127.0.0.1:8765": "127.0.0.1:8766",
		"127.0.0.1:0":    "127.0.0.1:0",
		"[::1]:9000":     "[::1]:9001",
		"0.0.0.0:8765":   "127.0.0.1:8766",
		"localhost:0":    "127.0.0.1:0",
		":8765":          "127.0.0.1:8766",
	} {
		if got, err := issuerAddr(listen); err != nil || got != want {
			t.Errorf("issuerAddr(%q) = %q, %v; want %q", listen, got, err, want)
		}
	}
	for _, listen := range []string{"127.0.0.1:65535", "127.0.0.1", "127.0.0.1:http"} {
		if got, err := issuerAddr(listen); err == nil || !strings.Contains(err.Error(), listen) {
			t.Errorf("issuerAddr(%q) = %q, %v; want an error naming it", listen, got, err)
		}
	}
}
