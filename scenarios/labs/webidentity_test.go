package labs

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/scenarios"
)

// traineeHost serves the trainee opened last on a state directory at one
// loopback URL, so that a lab reopened from the directory is served where
// its replay record says.
type traineeHost struct {
	url string
	cur atomic.Pointer[Trainee]
}

var traineeHosts sync.Map // state directory → *traineeHost

// openServedTrainee opens a web identity lab as a class does: served while
// its broken state is replayed, since STS fetches the keys of the lab's
// OpenID Connect provider from the lab's own address.
func openServedTrainee(t *testing.T, sc *scenarios.Scenario, dir string) *Trainee {
	t.Helper()
	v, loaded := traineeHosts.LoadOrStore(dir, &traineeHost{})
	host := v.(*traineeHost)
	if !loaded {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tr := host.cur.Load(); tr != nil {
				tr.ServeHTTP(w, r)
				return
			}
			http.Error(w, "no trainee", http.StatusServiceUnavailable)
		}))
		host.url = srv.URL
		t.Cleanup(func() { srv.Close(); traineeHosts.Delete(dir) })
	}
	admin, err := scenarios.NewAdminKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := newTrainee(TraineeConfig{Scenario: sc, Trainee: 1, Dir: dir, AccountID: "111122223333", BaseURL: host.url,
		Admin: admin, ControlToken: "token", Keys: certstest.New()})
	if err != nil {
		t.Fatal(err)
	}
	host.cur.Store(tr)
	if err := tr.openServed(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

// A web identity lab serves its OpenID Connect provider at its own address:
// the issuer IAM knows is the lab's URL + /idp/oidc, discovery names it, and
// the provider's solution placeholders expand to it.
func TestWebIdentityLabServesItsIssuer(t *testing.T) {
	sc, err := Find("oidc-client-id-missing")
	if err != nil {
		t.Fatal(err)
	}
	tr := openServedTrainee(t, sc, t.TempDir())
	base := tr.Status().Endpoint
	lab := tr.Lab()
	if got, want := lab.OIDCIssuer(), base+"/idp/oidc"; got != want {
		t.Errorf("issuer %q, want %q", got, want)
	}
	if _, err := lab.Account.OIDCProvider(lab.OIDCProviderARN()); err != nil {
		t.Errorf("IAM has no provider for the lab's issuer: %v", err)
	}
	resp, err := http.Get(base + "/idp/oidc/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&disc); err != nil || resp.StatusCode != http.StatusOK ||
		disc.Issuer != base+"/idp/oidc" || !strings.HasPrefix(disc.JWKSURI, base+"/idp/oidc/") {
		t.Errorf("discovery: %s %v %+v", resp.Status, err, disc)
	}
	sol := Solution(sc, base, "111122223333")
	host := strings.TrimPrefix(base, "http://") + "/idp/oidc"
	if !strings.Contains(sol, "--open-id-connect-provider-arn arn:aws:iam::111122223333:oidc-provider/"+host+" ") ||
		strings.Contains(sol, "${") {
		t.Errorf("solution:\n%s", sol)
	}
	if lab.OIDCProviderARN() != "arn:aws:iam::111122223333:oidc-provider/"+host {
		t.Errorf("provider ARN %s", lab.OIDCProviderARN())
	}
}

// Reset replays a web identity lab's broken state anew, with STS fetching
// the keys of the new provider from the lab's own address while the lab is
// served; the https issuer of oidc-issuer-new-ca keeps its address over a
// reopen and a reset (so the manifest's issuer stays right), with the same
// chain over the reopen and a new one after the reset.
func TestWebIdentityLabReset(t *testing.T) {
	for _, name := range []string{"oidc-client-id-missing", "oidc-issuer-new-ca"} {
		t.Run(name, func(t *testing.T) {
			sc, err := Find(name)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			tr := openServedTrainee(t, sc, dir)
			issuer := tr.Lab().OIDCIssuer()
			fixLab(t, sc, tr)
			if res, err := tr.Check(context.Background()); err != nil || !res.Fixed {
				t.Fatalf("after the fix steps: %+v %v", res, err)
			}
			thumb := tr.Lab().OIDCThumbprint()
			if err := tr.Close(); err != nil {
				t.Fatal(err)
			}
			tr = openServedTrainee(t, sc, dir)
			if got := tr.Lab().OIDCIssuer(); got != issuer {
				t.Errorf("reopened: issuer %s, was %s", got, issuer)
			}
			if got := tr.Lab().OIDCThumbprint(); got != thumb {
				t.Errorf("reopened: thumbprint %s, was %s", got, thumb)
			}
			if res, err := tr.Check(context.Background()); err != nil || !res.Fixed {
				t.Fatalf("reopened fixed lab: %+v %v", res, err)
			}
			if err := tr.Reset(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := tr.Lab().OIDCIssuer(); got != issuer {
				t.Errorf("after reset: issuer %s, was %s", got, issuer)
			}
			if thumb != "" && tr.Lab().OIDCThumbprint() == thumb {
				t.Error("after reset: the same certificate chain; reset replays with new keys")
			}
			res, err := tr.Check(context.Background())
			if err != nil || res.Fixed || res.Hint != sc.Hint || !strings.Contains(res.Steps[0].Actual, "InvalidIdentityToken") {
				t.Fatalf("after reset: %+v %v", res, err)
			}
		})
	}
}

// fixLab plays the scenario's fix steps (those between the broken state and
// the last check step that are not check steps) against the live lab.
func fixLab(t *testing.T, sc *scenarios.Scenario, tr *Trainee) {
	t.Helper()
	checks := sc.CheckSteps()
	last := 0
	for _, c := range checks {
		last = max(last, c)
	}
	for i := sc.BrokenSteps(); i < last; i++ {
		if slices.Contains(checks, i+1) {
			continue
		}
		if out := tr.Lab().Do(context.Background(), sc.Steps[i]); out.Harness {
			t.Fatalf("fix step %d (%s): %s", i+1, sc.Steps[i].Action, out)
		}
	}
}
