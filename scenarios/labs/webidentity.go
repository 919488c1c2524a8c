package labs

import (
	"errors"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/samlab-dev/samlab/idp/oidc"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/cognito"
)

// OIDCPath is where a served lab serves its OpenID Connect provider (the
// scenario's setup.oidc), under its own address: the IdP's mount point +
// "/oidc", as samlab up does.
const OIDCPath = scenarios.IDPPrefix + "/" + oidc.MountPath

// Issuer returns the issuer URL of the OpenID Connect provider of a lab
// served at endpoint.
func Issuer(endpoint string) string { return strings.TrimSuffix(endpoint, "/") + OIDCPath }

// expandOIDC replaces ${oidc_host} (the issuer without its scheme: the IAM
// provider's name and the prefix of its condition keys) and
// ${oidc_provider} (its IAM ARN in account) for a lab served at endpoint.
func expandOIDC(text, endpoint, account string) string {
	if account == "" {
		account = scenarios.DefaultAccountID
	}
	iss := Issuer(endpoint)
	host := strings.TrimPrefix(strings.TrimPrefix(iss, "https://"), "http://")
	return strings.NewReplacer("${oidc_host}", host,
		"${oidc_provider}", "arn:aws:iam::"+account+":oidc-provider/"+host).Replace(text)
}

// oidcBox holds the handler of the OpenID Connect provider of the lab being
// served or replayed (nil for a lab without one).
type oidcBox struct{ h http.Handler }

// serveOIDC serves a request under OIDCPath with the lab's OpenID Connect
// provider, and reports whether it did. It takes no lock: while the broken
// state is replayed (t.mu held by a reset), STS fetches the provider's keys
// through here.
func (t *Trainee) serveOIDC(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Path != OIDCPath && !strings.HasPrefix(r.URL.Path, OIDCPath+"/") {
		return false
	}
	b := t.oidc.Load()
	if b == nil || b.h == nil {
		return false
	}
	http.StripPrefix(OIDCPath, b.h).ServeHTTP(w, r)
	return true
}

// publishOIDC makes lab's OpenID Connect provider the one served (none when
// the scenario has no setup.oidc).
func (t *Trainee) publishOIDC(lab *scenarios.Lab) {
	h, err := lab.OIDCHandler()
	if err != nil {
		h = nil
	}
	t.oidc.Store(&oidcBox{h: h})
}

// cognitoStateFile is the identity pools' state file in a trainee's store
// directory (a file of its own: IAM's store locks its file).
const cognitoStateFile = "cognito.db"

// attachCognito keeps the lab's identity pools in the trainee's store
// directory: pools the trainee changed are loaded over the replayed ones,
// and later changes are kept, so a fix survives restarts. t.mu is held or
// the trainee not yet shared.
func (t *Trainee) attachCognito(lab *scenarios.Lab) error {
	st, err := cognito.OpenBoltStore(filepath.Join(t.storeDir(), cognitoStateFile))
	if err != nil {
		return err
	}
	if err := lab.Cognito.Attach(st); err != nil {
		return errors.Join(err, st.Close())
	}
	t.cognito = st
	return nil
}

// closeCognito closes the identity pools' state file. t.mu is held.
func (t *Trainee) closeCognito() error {
	if t.cognito == nil {
		return nil
	}
	err := t.cognito.Close()
	t.cognito = nil
	return err
}

// oidcConfig says where the lab's OpenID Connect provider is served: at the
// lab's own address + OIDCPath over http; or, for an https issuer
// (setup.oidc.tls, whose certificate chain IAM's thumbprints name), on a
// loopback listener of its own, at the address recorded when the lab was
// first opened, so that the issuer (and the IAM provider named after it)
// stays the same over restarts (and a reset, which replays with new keys
// but keeps the address). The certificate is the same over restarts too: the
// replay makes it from the recorded keys, seed and start time.
func (t *Trainee) oidcConfig(cfg scenarios.LabConfig, rec replayRecord) scenarios.LabConfig {
	if o := t.cfg.Scenario.Setup.OIDC; o != nil && o.TLS {
		cfg.OIDCListen = rec.OIDCAddr
		if cfg.OIDCListen == "" {
			cfg.OIDCListen = t.oidcAt
		}
		return cfg
	}
	cfg.OIDCIssuer = Issuer(t.cfg.BaseURL)
	return cfg
}

// oidcAddr returns the address of the lab's own https issuer listener, to
// record ("" when the lab's address serves the issuer).
func oidcAddr(sc *scenarios.Scenario, lab *scenarios.Lab) string {
	if o := sc.Setup.OIDC; o == nil || !o.TLS {
		return ""
	}
	host := strings.TrimPrefix(lab.OIDCIssuer(), "https://")
	if i := strings.IndexByte(host, '/'); i >= 0 {
		host = host[:i]
	}
	return host
}
