package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/iam"
)

// awsHostRE matches the AWS host names that `samlab up --https` answers for:
// STS (global and regional), IAM and the console sign-in endpoint, the
// names saml2aws and the aws CLI call with no endpoint override.
var awsHostRE = regexp.MustCompile(`^(sts(\.[a-z]{2}(-[a-z]+)+-[0-9])?\.amazonaws\.com|iam\.amazonaws\.com|signin\.aws\.amazon\.com)$`)

// HTTPS mode files in --state (or a temporary directory).
const (
	caCertFile = "https-ca.pem"
	caKeyFile  = "https-ca-key.pem"
)

// maxLeaves bounds the per-host certificate cache.
const maxLeaves = 64

// httpsMode makes samlab answer HTTPS for AWS's own host names: the
// listener also acts as an HTTP CONNECT proxy (HTTPS_PROXY) that accepts
// only loopback clients and only those names on port 443, and terminates
// each tunnel itself with a certificate from a local CA, so nothing is ever
// sent elsewhere. Clients trust the CA through SSL_CERT_FILE / AWS_CA_BUNDLE.
type httpsMode struct {
	ca     *certs.CA
	caFile string
	tmpDir string // removed by close; empty when the CA lives in --state
	logger *slog.Logger

	mu     sync.Mutex // guards leaves
	leaves map[string]*tls.Certificate

	tunnels *connListener
	srv     *http.Server
}

// newHTTPSMode loads the CA from stateDir (creating it on first use), or
// makes a throw-away CA in a temporary directory when stateDir is empty.
func newHTTPSMode(stateDir string, logger *slog.Logger) (*httpsMode, error) {
	m := &httpsMode{logger: logger, leaves: map[string]*tls.Certificate{}}
	dir := stateDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "samlab-https-")
		if err != nil {
			return nil, fmt.Errorf("https: %w", err)
		}
		dir, m.tmpDir = tmp, tmp
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("https: %w", err)
	}
	ca, err := loadOrCreateCA(dir)
	if err != nil {
		if m.tmpDir != "" {
			_ = os.RemoveAll(m.tmpDir)
		}
		return nil, err
	}
	m.ca, m.caFile = ca, filepath.Join(dir, caCertFile)
	return m, nil
}

// sibling returns another proxy with m's CA, for another listener (each
// trainee of a class is its own proxy).
func (m *httpsMode) sibling() *httpsMode {
	return &httpsMode{ca: m.ca, caFile: m.caFile, logger: m.logger, leaves: map[string]*tls.Certificate{}}
}

func loadOrCreateCA(dir string) (*certs.CA, error) {
	certPath, keyPath := filepath.Join(dir, caCertFile), filepath.Join(dir, caKeyFile)
	certPEM, errC := os.ReadFile(certPath)
	keyPEM, errK := os.ReadFile(keyPath)
	if errC == nil && errK == nil {
		ca, err := certs.LoadCA(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("https: %s: %w", dir, err)
		}
		return ca, nil
	}
	if !errors.Is(errC, fs.ErrNotExist) || !errors.Is(errK, fs.ErrNotExist) {
		return nil, fmt.Errorf("https: read the CA in %s: %w", dir, errors.Join(errC, errK))
	}
	ca, err := certs.NewCA(certs.WithSubject("samlab local CA (loopback only)"))
	if err != nil {
		return nil, fmt.Errorf("https: %w", err)
	}
	keyPEM, err = ca.KeyPEM()
	if err != nil {
		return nil, fmt.Errorf("https: %w", err)
	}
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		return nil, fmt.Errorf("https: %w", err)
	}
	if err := os.WriteFile(certPath, ca.CertPEM(), 0o644); err != nil { //nolint:gosec // a certificate is public
		return nil, fmt.Errorf("https: %w", err)
	}
	return ca, nil
}

// certificate issues (once per name) the server certificate for a TLS
// ClientHello's server name; names outside awsHostRE get none.
func (m *httpsMode) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := hello.ServerName
	if !awsHostRE.MatchString(name) {
		return nil, fmt.Errorf("samlab serves no certificate for %q", name)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.leaves[name]; ok {
		return c, nil
	}
	c, err := m.ca.IssueTLS(name)
	if err != nil {
		return nil, err
	}
	if len(m.leaves) < maxLeaves {
		m.leaves[name] = c
	}
	return c, nil
}

// wrap returns h answering CONNECT as the loopback-only proxy, and starts
// serving the tunnels' HTTPS with h.
func (m *httpsMode) wrap(h http.Handler) http.Handler {
	m.tunnels = newConnListener()
	m.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.logger.Handler(), slog.LevelWarn),
	}
	go func() { _ = m.srv.Serve(m.tunnels) }()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			m.connect(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// connect answers an HTTP CONNECT (RFC 9110 §9.3.6). It never dials out:
// an accepted tunnel ends in samlab's own TLS server.
func (m *httpsMode) connect(w http.ResponseWriter, r *http.Request) {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err != nil || !net.ParseIP(host).IsLoopback() {
		m.logger.WarnContext(r.Context(), "proxy refused: client not on loopback", "remote", r.RemoteAddr)
		http.Error(w, "samlab's proxy serves loopback clients only", http.StatusForbidden)
		return
	}
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil || port != "443" || !awsHostRE.MatchString(host) {
		m.logger.WarnContext(r.Context(), "proxy refused: not an AWS endpoint samlab serves", "target", r.Host)
		http.Error(w, fmt.Sprintf("samlab's proxy only tunnels to the AWS endpoints it serves itself "+
			"(sts.amazonaws.com, sts.REGION.amazonaws.com, iam.amazonaws.com, signin.aws.amazon.com on port 443), not to %q", r.Host),
			http.StatusForbidden)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "this connection cannot be tunnelled", http.StatusInternalServerError)
		return
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		m.logger.WarnContext(r.Context(), "proxy: hijack", "error", err)
		return
	}
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection Established\r\n\r\n"); err != nil {
		conn.Close()
		return
	}
	// Bytes the client sent after the CONNECT header (the ClientHello) may
	// already sit in the server's read buffer.
	var c net.Conn = conn
	if n := brw.Reader.Buffered(); n > 0 {
		c = &prefixConn{Conn: conn, r: io.MultiReader(io.LimitReader(brw.Reader, int64(n)), conn)}
	}
	if !m.tunnels.put(tls.Server(c, &tls.Config{GetCertificate: m.certificate, MinVersion: tls.VersionTLS12})) {
		conn.Close()
	}
}

// close stops the tunnels' server and removes a temporary CA.
func (m *httpsMode) close(ctx context.Context) error {
	var err error
	if m.srv != nil {
		if err = m.srv.Shutdown(ctx); err != nil {
			err = errors.Join(err, m.srv.Close())
		}
		m.tunnels.Close()
	}
	if m.tmpDir != "" {
		err = errors.Join(err, os.RemoveAll(m.tmpDir))
	}
	return err
}

// printEnv writes the settings clients need: trust the CA, use samlab as
// the HTTPS proxy; with the IdP, the saml2aws login that uses them.
func (m *httpsMode) printEnv(w io.Writer, base string, withIDP bool) {
	fmt.Fprintf(w, `
HTTPS mode: samlab answers for sts.amazonaws.com, sts.REGION.amazonaws.com, iam.amazonaws.com and
signin.aws.amazon.com through its own proxy (loopback clients only; every other name is refused), with
certificates from its local CA %s
  export SSL_CERT_FILE=%s AWS_CA_BUNDLE=%s
  export HTTPS_PROXY=%s NO_PROXY=127.0.0.1,localhost
`, m.caFile, m.caFile, m.caFile, base)
	if withIDP {
		fmt.Fprintf(w, `  saml2aws login --idp-provider KeyCloak --mfa Auto --url %s%s/sso/aws --username alice --password samlab \
    --skip-prompt --disable-keychain --region us-east-1 --profile samlab
  aws --profile samlab sts get-caller-identity
`, base, scenarios.IDPPrefix)
	}
}

// prefixConn is a net.Conn whose first reads come from r.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// connListener is a net.Listener fed with connections by put: the tunnels
// that the CONNECT handler accepted.
type connListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newConnListener() *connListener {
	return &connListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *connListener) put(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return tunnelAddr{} }

type tunnelAddr struct{}

func (tunnelAddr) Network() string { return "tunnel" }
func (tunnelAddr) String() string  { return "samlab-https-tunnel" }

// issuerAddr is where the https OIDC issuer listens: the host of --listen
// when it is a loopback IP address, else 127.0.0.1 (STS fetches keys from
// loopback only), and the next port (so the issuer URL, which IAM providers
// kept in --state name, is the same at every start), or any free port when
// --listen's is 0.
func issuerAddr(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("--listen %q: %w", listen, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65534 {
		return "", fmt.Errorf("--listen %q: port %q leaves no next port for the https OIDC issuer", listen, port)
	}
	if p > 0 {
		p++
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), nil
}

// listenIssuer opens the TLS listener of the https OIDC issuer on a loopback
// address. Its certificate names the address's IP (and localhost) and comes
// with the CA's certificate after it, so the top of the chain it presents
// is the CA: the certificate whose SHA-1 IAM wants as the thumbprint (IAM
// "requires the thumbprint for the top intermediate certificate authority
// (CA) that signed the certificate used by the external identity
// provider"). The thumbprint thus survives restarts with --state.
func (m *httpsMode) listenIssuer(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("https OIDC issuer: %q is not a loopback IP address (--listen)", host)
	}
	leaf, err := m.ca.IssueTLS(host, "localhost")
	if err != nil {
		return nil, fmt.Errorf("https OIDC issuer: %w", err)
	}
	leaf.Certificate = append(leaf.Certificate, m.ca.Cert.Raw)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("https OIDC issuer: %w", err)
	}
	return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*leaf}, MinVersion: tls.VersionTLS12}), nil
}

// thumbprint is what to register with IAM for the https issuer: the SHA-1
// of the CA certificate, in IAM's lower-case hex.
func (m *httpsMode) thumbprint() string { return iam.Thumbprint(m.ca.Cert.Raw) }

// printIssuer writes the https issuer, its thumbprint and the commands that
// federate with it.
func (m *httpsMode) printIssuer(w io.Writer, issuer string) {
	fmt.Fprintf(w, `
OIDC issuer over HTTPS: %s (certificate from the local CA; register thumbprint %s)
  SAMLAB_PASSWORD=samlab samlab idp token --endpoint %s --ca-file %s --user alice --audience sts.amazonaws.com > token.jwt
  aws iam create-open-id-connect-provider --url %s --thumbprint-list %s --client-id-list sts.amazonaws.com
`, issuer, m.thumbprint(), issuer, m.caFile, issuer, m.thumbprint())
}
