package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/samlab-dev/samlab/scenarios"
)

var caFileRE = regexp.MustCompile(`export SSL_CERT_FILE=(\S+)`)

// httpsClient is a client that, like saml2aws or the aws CLI given the
// printed settings, trusts the lab's CA and uses the lab as HTTPS proxy.
func httpsClient(t *testing.T, l *upLab) *http.Client {
	t.Helper()
	m := caFileRE.FindStringSubmatch(l.out.String())
	if m == nil {
		t.Fatalf("no SSL_CERT_FILE in the banner:\n%s", l.out)
	}
	pem, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no certificate", m[1])
	}
	proxy, err := url.Parse(l.endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// TestUpHTTPSAnswersForAWSNames calls STS at its real global and regional
// names through the lab's proxy with the real SDK, and the console sign-in
// at signin.aws.amazon.com.
func TestUpHTTPSAnswersForAWSNames(t *testing.T) {
	t.Parallel()
	l := startUp(t, "--https")
	c := httpsClient(t, l)
	for _, region := range []string{"us-east-1", "eu-west-1", "us-gov-west-1"} {
		cfg := l.config()
		cfg.Region = region
		cfg.HTTPClient = c
		out, err := stssdk.NewFromConfig(cfg).GetCallerIdentity(t.Context(), &stssdk.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("GetCallerIdentity in %s through the proxy: %v", region, err)
		}
		if got := aws.ToString(out.Arn); got != "arn:aws:iam::123456789012:user/"+scenarios.AdminUserName {
			t.Errorf("%s: Arn = %q", region, got)
		}
	}
	// The global endpoint, as aws-sdk-go v1 (saml2aws) calls it in us-east-1.
	cfg := aws.Config{Region: "us-east-1", HTTPClient: c, BaseEndpoint: aws.String("https://sts.amazonaws.com"),
		Credentials: credentials.NewStaticCredentialsProvider(l.keyID, l.secret, "")}
	if _, err := stssdk.NewFromConfig(cfg).GetCallerIdentity(t.Context(), &stssdk.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity at sts.amazonaws.com: %v", err)
	}
	// The console sign-in endpoint answers at its real name.
	resp, err := c.PostForm("https://signin.aws.amazon.com/saml", url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "Your request included an invalid SAML response") {
		t.Errorf("POST https://signin.aws.amazon.com/saml = %d:\n%s", resp.StatusCode, body)
	}
}

// TestUpHTTPSProxyRefusesOtherTargets: the proxy tunnels to nothing but the
// AWS names samlab serves, on 443, and plain requests still reach the lab.
func TestUpHTTPSProxyRefusesOtherTargets(t *testing.T) {
	t.Parallel()
	l := startUp(t, "--https")
	host := strings.TrimPrefix(l.endpoint, "http://")
	for _, target := range []string{"example.com:443", "sts.amazonaws.com:80", "sts.amazonaws.com.evil.example:443",
		"evil.example:443", "127.0.0.1:22", "s3.amazonaws.com:443", host} {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
		status := make([]byte, 12)
		_, err = io.ReadFull(conn, status)
		conn.Close()
		if err != nil || !bytes.Equal(status, []byte("HTTP/1.1 403")) {
			t.Errorf("CONNECT %s = %q (%v), want 403", target, status, err)
		}
	}
	// A TLS client asking for another name through an accepted tunnel gets
	// no certificate.
	c := httpsClient(t, l)
	tr := c.Transport.(*http.Transport)
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "CONNECT sts.amazonaws.com:443 HTTP/1.1\r\nHost: sts.amazonaws.com:443\r\n\r\n")
	status := make([]byte, len("HTTP/1.1 200 Connection Established\r\n\r\n"))
	if _, err := io.ReadFull(conn, status); err != nil || !strings.HasPrefix(string(status), "HTTP/1.1 200") {
		t.Fatalf("CONNECT sts.amazonaws.com:443 = %q (%v)", status, err)
	}
	tc := tls.Client(conn, &tls.Config{ServerName: "www.example.com", RootCAs: tr.TLSClientConfig.RootCAs})
	if err := tc.HandshakeContext(t.Context()); err == nil {
		t.Error("TLS handshake for www.example.com succeeded through the tunnel")
	}
}

// TestUpHTTPSKeepsCAInState: with --state, a restart serves certificates
// from the same CA, so the exported SSL_CERT_FILE stays valid.
func TestUpHTTPSKeepsCAInState(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	l := startUp(t, "--https", "--state", state)
	first, err := os.ReadFile(filepath.Join(state, caCertFile))
	if err != nil {
		t.Fatalf("no CA in --state: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(state, caKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("CA key in --state: %v, mode %v, want 0600", err, fi.Mode().Perm())
	}
	if err := l.stop(); err != nil {
		t.Fatal(err)
	}
	l = startUp(t, "--https", "--state", state)
	second, err := os.ReadFile(filepath.Join(state, caCertFile))
	if err != nil || !bytes.Equal(first, second) {
		t.Fatalf("CA changed across a restart (%v)", err)
	}
	cfg := l.config()
	cfg.HTTPClient = httpsClient(t, l)
	if _, err := stssdk.NewFromConfig(cfg).GetCallerIdentity(t.Context(), &stssdk.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity after restart: %v", err)
	}
}

// TestHTTPSProxyLoopbackOnly: a CONNECT from an address off the loopback is
// refused before anything else, even for a name samlab serves.
func TestHTTPSProxyLoopbackOnly(t *testing.T) {
	t.Parallel()
	m, err := newHTTPSMode("", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	h := m.wrap(http.NotFoundHandler())
	t.Cleanup(func() { _ = m.close(context.Background()) })
	for remote, want := range map[string]int{
		"192.0.2.10:40000":   http.StatusForbidden,
		"[2001:db8::1]:4000": http.StatusForbidden,
		"not-an-address":     http.StatusForbidden,
	} {
		req := httptest.NewRequest(http.MethodConnect, "http://sts.amazonaws.com:443", nil)
		req.Host, req.RemoteAddr = "sts.amazonaws.com:443", remote
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want || !strings.Contains(rec.Body.String(), "loopback clients only") {
			t.Errorf("CONNECT from %s = %d %q, want %d", remote, rec.Code, rec.Body.String(), want)
		}
	}
	if _, err := os.Stat(m.caFile); err != nil {
		t.Fatalf("CA file: %v", err)
	}
	if err := m.close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(m.tmpDir); !os.IsNotExist(err) {
		t.Errorf("temporary CA directory left behind: %v", err)
	}
}
