package webidentity_test

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts/webidentity"
)

// chainIssuer serves discovery and a JWKS over TLS with the given chain
// (leaf first).
func chainIssuer(t *testing.T, chain *tls.Certificate, key jose.JSONWebKey) string {
	t.Helper()
	var url string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": url, "jwks_uri": url + "/jwks"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{key}})
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{*chain}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	url = srv.URL
	return url
}

func newTestCA(t *testing.T, name string) *certs.CA {
	t.Helper()
	ca, err := certs.NewCA(certs.WithSubject(name))
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// leafWithCA issues a leaf for hosts from issuer and appends top's
// certificate to the chain, as a server sending its CA does.
func leafWithCA(t *testing.T, issuer, top *certs.CA, hosts ...string) *tls.Certificate {
	t.Helper()
	leaf, err := issuer.IssueTLS(hosts...)
	if err != nil {
		t.Fatal(err)
	}
	leaf.Certificate = append(leaf.Certificate, top.Cert.Raw)
	return leaf
}

// TestKeysThumbprintChain: a thumbprint names the top CA; the chain must
// verify up to it for the issuer's host, as IAM's "any certificate issued
// by that CA with the same DNS name" says.
func TestKeysThumbprintChain(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	key := rsaSigner(t, "k").jwk()
	ca, other := newTestCA(t, "issuer CA"), newTestCA(t, "other CA")
	k := webidentity.NewKeys(webidentity.KeysConfig{})
	caThumb := iam.Thumbprint(ca.Cert.Raw)

	good := chainIssuer(t, leafWithCA(t, ca, ca, "127.0.0.1"), key)
	if _, _, err := k.Get(ctx, good, []string{caThumb}, true); err != nil {
		t.Errorf("leaf for 127.0.0.1 + its CA, CA thumbprint: %v", err)
	}
	if _, _, err := k.Get(ctx, good, []string{strings.Repeat("1", 40)}, true); !errors.Is(err, webidentity.ErrThumbprint) {
		t.Errorf("wrong thumbprint: %v, want ErrThumbprint", err)
	}
	// The top certificate matches, but the leaf is another CA's.
	grafted := chainIssuer(t, leafWithCA(t, other, ca, "127.0.0.1"), key)
	if _, _, err := k.Get(ctx, grafted, []string{caThumb}, true); !errors.Is(err, webidentity.ErrThumbprint) ||
		!strings.Contains(err.Error(), "does not verify") {
		t.Errorf("leaf of another CA under the registered CA: %v, want ErrThumbprint (chain does not verify)", err)
	}
	// The right CA, but a certificate for another name.
	renamed := chainIssuer(t, leafWithCA(t, ca, ca, "idp.example.org"), key)
	if _, _, err := k.Get(ctx, renamed, []string{caThumb}, true); !errors.Is(err, webidentity.ErrThumbprint) ||
		!strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("leaf for another name: %v, want ErrThumbprint naming 127.0.0.1", err)
	}
}
