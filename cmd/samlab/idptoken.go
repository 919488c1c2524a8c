package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/idp/oidc"
	"github.com/samlab-dev/samlab/scenarios"
)

// oidcPrefix is where samlab up serves the OpenID Connect provider: under
// the IdP's root, beside its login page.
const oidcPrefix = scenarios.IDPPrefix + "/" + oidc.MountPath

// Demo relying party registered by samlab up and samlab idp serve: a public
// client whose redirect URI is any port of 127.0.0.1 (RFC 8252 §7.3).
const (
	demoOIDCClientID    = "samlab-demo"
	demoOIDCRedirectURI = "http://127.0.0.1/callback"
)

// oidcServeOptions are the OIDC flags of the serving commands.
type oidcServeOptions struct {
	clients   []string
	algorithm string
}

func (o *oidcServeOptions) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&o.clients, "oidc-client", nil, "register an OIDC client as ID=REDIRECT_URI[,REDIRECT_URI...] (repeatable; "+
		demoOIDCClientID+" with "+demoOIDCRedirectURI+" is always registered)")
	f.StringVar(&o.algorithm, "oidc-algorithm", "", "OIDC signing algorithm for a generated key: "+strings.Join(oidc.Algorithms(), ", ")+" (default RS256)")
}

// parsedClients returns the demo client and those of --oidc-client.
func (o *oidcServeOptions) parsedClients() ([]oidc.Client, error) {
	out := []oidc.Client{{ID: demoOIDCClientID, RedirectURIs: []string{demoOIDCRedirectURI}}}
	for _, c := range o.clients {
		id, uris, ok := strings.Cut(c, "=")
		if !ok || id == "" || uris == "" {
			return nil, fmt.Errorf("--oidc-client %q: want ID=REDIRECT_URI[,REDIRECT_URI...]", c)
		}
		out = append(out, oidc.Client{ID: id, RedirectURIs: strings.Split(uris, ",")})
	}
	return out, nil
}

// withOIDC serves an OpenID Connect provider for the IdP's users beside h,
// under prefix (the IdP's mount point + "/oidc"), sharing the IdP's login.
func withOIDC(h http.Handler, prefix string, cfg oidc.Config) (http.Handler, *oidc.Provider, error) {
	p, err := oidc.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.Handle(prefix+"/", http.StripPrefix(prefix, p))
	return mux, p, nil
}

// oidcProviderConfig is the provider configuration of the serving
// commands: the IdP's users and login, the key directory's keys when one is
// given (the SAML signing key signs ID tokens too, as several commercial
// IdPs do), else a fresh key.
func oidcProviderConfig(o oidcServeOptions, issuer string, is *idp.Server, keyDir string, keys certs.KeySource,
	now func() time.Time, logger *slog.Logger) (oidc.Config, error) {
	clients, err := o.parsedClients()
	if err != nil {
		return oidc.Config{}, err
	}
	cfg := oidc.Config{Issuer: issuer, Algorithm: o.algorithm, Clients: clients, Users: is.Users(), Sessions: is,
		Keys: keys, Now: now, Logger: logger.With("component", "oidc")}
	if keyDir != "" {
		alg, err := oidc.ParseAlgorithm(o.algorithm)
		if err != nil {
			return cfg, fmt.Errorf("--oidc-algorithm: %w", err)
		}
		if cfg.Keyring, err = oidc.LoadKeyring(os.DirFS(keyDir), alg); err != nil {
			return cfg, fmt.Errorf("key directory %s: %w", keyDir, err)
		}
	}
	return cfg, nil
}

type tokenOptions struct {
	idpOptions
	user, audience, issuer  string
	algorithm, fault, nonce string
	endpoint, caFile        string
	lifetime, timeout       time.Duration
	passwordStdin, decode   bool
}

func newIDPTokenCommand() *cobra.Command {
	var o tokenOptions
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print a signed OpenID Connect ID token for a user, for scripts",
		Long: `Print an ID token (a JWT) for one user of the users file, with the audience
(aud) a relying party or an IAM OIDC provider expects: sub is the user name;
email, groups, the AWS session-tags claim https://aws.amazon.com/tags and the
user's attributes come from the users file.

Without --endpoint the token is signed locally with the keys of --keys (a key
directory of "samlab idp rotate"; RSA keys sign with RS256 unless --algorithm
says otherwise), or with a key that exists only for this command.

With --endpoint the token comes from a running samlab (samlab up, samlab idp
serve): the command finds the token endpoint by discovery and uses the
password grant, so the token is signed with the keys the server publishes in
its JWKS. The password comes from $` + PasswordEnv + `, else from standard
input (--password-stdin, or a prompt). --endpoint is the issuer URL; a URL
without a path means samlab up's issuer, URL` + oidcPrefix + ` (or, when nothing
answers there, an issuer at URL itself, as a web identity lab's https issuer).`,
		Example: `  samlab idp token --user alice --audience sts.amazonaws.com --keys ./idp-keys
  samlab idp token --user alice --audience my-app --algorithm ES256 --decode
  SAMLAB_PASSWORD=samlab samlab idp token --endpoint http://127.0.0.1:8765 --user alice --audience sts.amazonaws.com > token.jwt
  samlab idp token --endpoint http://127.0.0.1:8765 --user alice --audience my-app --fault expired --password-stdin <<< samlab
  samlab idp token --endpoint https://127.0.0.1:8766/idp/oidc --ca-file ./lab/https-ca.pem --user alice --audience sts.amazonaws.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runIDPToken(cmd, o) },
	}
	o.userFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.keys, "keys", "", "key directory (see \"samlab idp rotate\"); default: a fresh key that lives only for this command")
	f.BoolVar(&o.fixtureKeys, "fixture-keys", false, "use samlab's built-in test RSA keys when no --keys is given (the keys are public)")
	f.StringVar(&o.user, "user", "", "user name (required)")
	f.StringVar(&o.audience, "audience", "", "aud claim: the client ID the relying party expects (required)")
	f.StringVar(&o.issuer, "issuer", "http://"+DefaultListen+oidcPrefix, "iss claim of a locally signed token")
	f.StringVar(&o.algorithm, "algorithm", "", "signing algorithm: "+strings.Join(oidc.Algorithms(), ", ")+" (default RS256)")
	f.StringVar(&o.fault, "fault", "", "inject a fault (see \"samlab idp token --help\"): "+strings.Join(oidc.FaultNames(), ", "))
	f.StringVar(&o.nonce, "nonce", "", "nonce claim of a locally signed token")
	f.DurationVar(&o.lifetime, "lifetime", oidc.DefaultIDTokenLifetime, "validity of a locally signed token")
	f.StringVar(&o.endpoint, "endpoint", "", "issuer URL of a running samlab to get the token from")
	f.StringVar(&o.caFile, "ca-file", "", "with --endpoint: also trust the CA certificates in this PEM file (samlab up --https prints its CA's)")
	f.BoolVar(&o.passwordStdin, "password-stdin", false, "with --endpoint: read the password from the first line of standard input")
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "with --endpoint: time limit of the HTTP requests")
	f.BoolVar(&o.decode, "decode", false, "print the token's header and claims as JSON instead of the token")
	_ = cmd.MarkFlagRequired("user")
	_ = cmd.MarkFlagRequired("audience")
	cmd.MarkFlagsMutuallyExclusive("endpoint", "keys")
	cmd.MarkFlagsMutuallyExclusive("endpoint", "issuer")
	cmd.MarkFlagsMutuallyExclusive("endpoint", "algorithm")
	cmd.MarkFlagsMutuallyExclusive("endpoint", "nonce")
	cmd.MarkFlagsMutuallyExclusive("endpoint", "lifetime")
	cmd.MarkFlagsMutuallyExclusive("ca-file", "keys")
	return cmd
}

func runIDPToken(cmd *cobra.Command, o tokenOptions) error {
	fault, err := oidc.ParseFault(o.fault)
	if err != nil {
		return err
	}
	var tok string
	if o.endpoint != "" {
		tok, err = endpointToken(cmd, o, fault)
	} else {
		tok, err = localToken(cmd, o, fault)
	}
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if !o.decode {
		_, err = fmt.Fprintln(out, tok)
		return err
	}
	parts := strings.Split(tok, ".")
	decoded := map[string]json.RawMessage{}
	for i, name := range []string{"header", "claims"} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || !json.Valid(raw) {
			return fmt.Errorf("the token's %s is not base64url JSON", name)
		}
		decoded[name] = raw
	}
	return writeJSON(out, decoded)
}

func localToken(cmd *cobra.Command, o tokenOptions, fault oidc.Fault) (string, error) {
	users, err := o.loadUsers()
	if err != nil {
		return "", err
	}
	u, ok := users.User(o.user)
	if !ok {
		return "", fmt.Errorf("unknown user %q (users: %s)", o.user, strings.Join(users.Names(), ", "))
	}
	cfg := oidc.Config{Issuer: strings.TrimSuffix(o.issuer, "/"), Algorithm: o.algorithm, Users: users}
	if o.fixtureKeys {
		cfg.Keys = certstest.New()
	}
	if o.keys != "" {
		alg, err := oidc.ParseAlgorithm(o.algorithm)
		if err != nil {
			return "", fmt.Errorf("--algorithm: %w", err)
		}
		if cfg.Keyring, err = oidc.LoadKeyring(os.DirFS(o.keys), alg); err != nil {
			return "", fmt.Errorf("key directory %s: %w", o.keys, err)
		}
	} else {
		fmt.Fprintln(cmd.ErrOrStderr(), "samlab: note: no --keys directory; signing with a key no relying party knows")
	}
	p, err := oidc.New(cfg)
	if err != nil {
		return "", err
	}
	return p.IDToken(u, oidc.TokenOptions{Audience: o.audience, Nonce: o.nonce, Lifetime: o.lifetime, Fault: fault})
}

// endpointClient is the HTTP client of --endpoint: the system's roots, and
// with caFile the CA certificates in that PEM file too.
func endpointClient(caFile string, timeout time.Duration) (*http.Client, error) {
	if caFile == "" {
		return &http.Client{Timeout: timeout}, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-file %s: no PEM certificate in it", caFile)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return &http.Client{Timeout: timeout, Transport: t}, nil
}

// endpointToken gets the token from a running provider: discovery, then the
// password grant at its token endpoint.
func endpointToken(cmd *cobra.Command, o tokenOptions, fault oidc.Fault) (string, error) {
	issuer := strings.TrimSuffix(o.endpoint, "/")
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--endpoint %q is not an http(s) URL", o.endpoint)
	}
	bare := u.Path == "" // samlab up's issuer is under oidcPrefix; a lab's https issuer is at the root
	if bare {
		issuer += oidcPrefix
	}
	password := os.Getenv(PasswordEnv)
	if o.passwordStdin || password == "" {
		if password, err = readPassword(cmd.InOrStdin(), bufio.NewReader(cmd.InOrStdin()), cmd.ErrOrStderr(), !o.passwordStdin); err != nil {
			return "", err
		}
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
	defer cancel()
	client, err := endpointClient(o.caFile, o.timeout)
	if err != nil {
		return "", err
	}
	var disc oidc.Discovery
	if err := getJSON(ctx, client, issuer+"/.well-known/openid-configuration", &disc); err != nil {
		root := strings.TrimSuffix(issuer, oidcPrefix)
		if !bare || getJSON(ctx, client, root+"/.well-known/openid-configuration", &disc) != nil {
			return "", fmt.Errorf("discovery at %s: %w", issuer, err)
		}
		issuer = root
	}
	if disc.Issuer != issuer && disc.Issuer != "" {
		// samlab up --https: the http listener serves the https issuer's
		// discovery document.
		return "", fmt.Errorf("discovery at %s names issuer %q: use --endpoint %s (with --ca-file for a local CA)", issuer, disc.Issuer, disc.Issuer)
	}
	if disc.Issuer != issuer || disc.TokenEndpoint == "" {
		return "", fmt.Errorf("discovery at %s names issuer %q and token endpoint %q", issuer, disc.Issuer, disc.TokenEndpoint)
	}
	form := url.Values{"grant_type": {"password"}, "client_id": {o.audience}, "username": {o.user},
		"password": {password}, "scope": {"openid"}}
	if fault != oidc.FaultNone {
		form.Set("fault", string(fault))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, disc.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		var oe oidc.Error
		if json.Unmarshal(body, &oe) == nil && oe.Code != "" {
			return "", fmt.Errorf("token endpoint %s: %s: %s", disc.TokenEndpoint, oe.Code, oe.Description)
		}
		return "", fmt.Errorf("token endpoint %s: %s", disc.TokenEndpoint, resp.Status)
	}
	var tr oidc.TokenResponse
	if err := json.Unmarshal(body, &tr); err != nil || tr.IDToken == "" {
		return "", fmt.Errorf("token endpoint %s: no id_token in the response", disc.TokenEndpoint)
	}
	return tr.IDToken, nil
}

func getJSON(ctx context.Context, c *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}
