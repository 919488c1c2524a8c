package signin_test

import (
	"crypto/x509"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/sp/signin"
)

// TestWhyPanel: with Config.Why a failed sign-in keeps AWS's words and adds
// the explanation — which certificate signed against which IAM holds, the
// diagnosis from the IdP's current metadata, the fix naming the provider —
// open, or closed with WhyClosed; without it the page is AWS's alone.
func TestWhyPanel(t *testing.T) {
	t.Parallel()
	// Issued an hour before the registered key (each lab's clock starts at
	// the current second) and published by the IdP: an older node still
	// signing, which the panel names stale-signing-node.
	issued := time.Now().Add(-time.Hour)
	rotated, err := certs.New(certs.WithKeySource(certstest.New()), certs.WithSubject(entityID), certs.WithNow(func() time.Time { return issued }))
	if err != nil {
		t.Fatal(err)
	}
	current, err := metadata.Build(metadata.IDP{EntityID: entityID, SSOURL: "https://idp.example/sso", SigningCerts: []*x509.Certificate{rotated.Cert}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		cfg         signin.Config
		panel, open bool
	}{
		{"open", signin.Config{Why: true}, true, true},
		{"closed", signin.Config{Why: true, WhyClosed: true}, true, false},
		{"off", signin.Config{}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := tc.cfg
			cfg.IDPMetadata = func() ([]byte, error) { return current, nil }
			cfg.IDPMetadataURL = "/idp/metadata"
			l := newLab(t, cfg)
			b := l.browser(t)
			p := b.post("/saml", url.Values{"SAMLResponse": {l.response(t, rotated, l.admin)}})
			if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Response signature invalid (Service: AWSSecurityTokenService; Status Code: 400; Error Code: InvalidIdentityToken; Request ID: ") {
				t.Fatalf("status %d, page lacks AWS's words:\n%s", p.status, p.body)
			}
			if got := strings.Contains(p.body, `id="why"`); got != tc.panel {
				t.Fatalf("why panel shown = %v, want %v:\n%s", got, tc.panel, p.body)
			}
			if !tc.panel {
				if strings.Contains(p.body, "update-saml-provider") {
					t.Errorf("the page without the panel explains:\n%s", p.body)
				}
				return
			}
			if got := strings.Contains(p.body, `<details class="why" id="why" open>`); got != tc.open {
				t.Errorf("panel open = %v, want %v", got, tc.open)
			}
			for _, want := range []string{
				"stale-signing-node",
				certs.FingerprintSHA1(rotated.Cert),
				certs.FingerprintSHA1(l.key.Cert),
				"aws iam update-saml-provider --saml-provider-arn " + l.providerARN,
				"curl -so idp-metadata.xml " + l.srv.URL + "/idp/metadata",
				l.admin,
			} {
				if !strings.Contains(p.body, want) {
					t.Errorf("why panel lacks %q:\n%s", want, p.body)
				}
			}

			// Not base64: no replay possible, and the panel says why.
			p = b.post("/saml", url.Values{"SAMLResponse": {"%%%"}})
			if !strings.Contains(p.body, `id="why-unavailable"`) {
				t.Errorf("an undecodable response: no explanation note:\n%s", p.body)
			}
		})
	}
}
