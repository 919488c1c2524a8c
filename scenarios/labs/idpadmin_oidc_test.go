package labs

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/scenarios"
)

// oidcAdminCall sends an IdP admin request to the lab served at base.
func oidcAdminCall(t *testing.T, base, token string, change *scenarios.IDPChange) (int, scenarios.IDPState, string) {
	t.Helper()
	method, body := http.MethodGet, io.Reader(nil)
	if change != nil {
		raw, _ := json.Marshal(change)
		method, body = http.MethodPost, bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, base+scenarios.IDPAdminPath, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var st scenarios.IDPState
	_ = json.Unmarshal(raw, &st)
	return resp.StatusCode, st, string(raw)
}

func oidcSlots(st scenarios.IDPState) string {
	var parts []string
	for _, k := range st.OIDCKeys {
		parts = append(parts, k.Slot+"="+k.KeyID)
	}
	return strings.Join(parts, " ")
}

// The JWKS rotation lab over the IdP admin endpoint: unauthenticated calls
// are refused; the admin state lists the OpenID Connect keys; switching
// again, or staging a key, leaves the lab broken (STS holds only the first
// key); reverting to the key STS cached fixes it, and the fix survives a
// restart, where the stored keys are restored over the replayed broken state.
func TestOIDCKeyRevertOverHTTPSurvivesReopen(t *testing.T) {
	sc, err := Find("oidc-key-switched-before-publishing")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tr := openServedTrainee(t, sc, dir)
	base := tr.cfg.BaseURL
	token := tr.cfg.Admin.Token()

	if code, _, body := oidcAdminCall(t, base, "", &scenarios.IDPChange{Op: scenarios.IDPOpRotate, OIDC: true, Revert: true}); code != http.StatusUnauthorized ||
		!strings.Contains(body, scenarios.ErrNoToken.Error()) {
		t.Fatalf("unauthenticated revert: %d %s", code, body)
	}
	if code, _, body := oidcAdminCall(t, base, "wrong", &scenarios.IDPChange{Op: scenarios.IDPOpRotate, OIDC: true, Revert: true}); code != http.StatusUnauthorized ||
		!strings.Contains(body, scenarios.ErrBadToken.Error()) {
		t.Fatalf("revert with a wrong token: %d %s", code, body)
	}
	mustCheck(t, tr, false) // the refused calls changed nothing

	code, st, body := oidcAdminCall(t, base, token, nil)
	if code != http.StatusOK || len(st.OIDCKeys) != 2 || st.OIDCKeys[0].Slot != "current" || !st.OIDCKeys[0].Published ||
		st.OIDCKeys[0].Algorithm != "RS256" || st.OIDCKeys[1].Slot != "previous-1" || st.OIDCKeys[1].Published {
		t.Fatalf("GET: %d %s", code, body)
	}
	cached := st.OIDCKeys[1].KeyID // the key STS fetched before the switch

	// Staging a key publishes it, but the current key still is one STS lacks.
	code, st, body = oidcAdminCall(t, base, token, &scenarios.IDPChange{Op: scenarios.IDPOpRotate, OIDC: true, Rollover: true})
	if code != http.StatusOK || len(st.OIDCKeys) != 3 || st.OIDCKeys[1].Slot != "next" || !st.OIDCKeys[1].Published ||
		!strings.HasPrefix(st.Change, "staged the OpenID Connect key") {
		t.Fatalf("rollover: %d %s", code, body)
	}
	mustCheck(t, tr, false)
	// A revert with a next key staged has nowhere to put the current key.
	if code, _, body := oidcAdminCall(t, base, token, &scenarios.IDPChange{Op: scenarios.IDPOpRotate, OIDC: true, Revert: true}); code != http.StatusConflict ||
		!strings.Contains(body, "a next key is already staged") {
		t.Fatalf("revert with a staged key: %d %s", code, body)
	}
	// Switching to the staged key: still a key STS has not cached.
	code, st, body = oidcAdminCall(t, base, token, &scenarios.IDPChange{Op: scenarios.IDPOpRotate, OIDC: true})
	if code != http.StatusOK || !strings.Contains(st.Change, "switched to the staged key") {
		t.Fatalf("switch: %d %s", code, body)
	}
	mustCheck(t, tr, false)
	// The most recent retired key is not the one STS holds either.
	if code, _, body := oidcAdminCall(t, base, token, &scenarios.IDPChange{Op: scenarios.IDPOpRotate, OIDC: true, Revert: true, KeyID: "nope"}); code != http.StatusConflict ||
		!strings.Contains(body, "no retired key has this kid") {
		t.Fatalf("revert to an unknown kid: %d %s", code, body)
	}
	code, st, body = oidcAdminCall(t, base, token, &scenarios.IDPChange{Op: scenarios.IDPOpRotate, OIDC: true, Revert: true, KeyID: cached})
	if code != http.StatusOK || st.OIDCKeys[0].KeyID != cached || st.OIDCKeys[1].Slot != "next" ||
		!strings.Contains(st.Change, "signs with its previous key "+cached+" again") {
		t.Fatalf("revert to %s: %d %s", cached, code, body)
	}
	mustCheck(t, tr, true)
	slots := oidcSlots(st)

	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	tr = openServedTrainee(t, sc, dir)
	token = tr.cfg.Admin.Token()
	if _, st, body = oidcAdminCall(t, base, token, nil); oidcSlots(st) != slots {
		t.Fatalf("after a restart the OpenID Connect keys are %q, the trainee left %q: %s", oidcSlots(st), slots, body)
	}
	mustCheck(t, tr, true)
	if err := tr.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, tr, false)
}

// Without the fix, a restarted lab is still broken: the replay switches the
// key again while STS holds the first one. Nothing in IAM fixes it: STS
// keeps the JWKS per issuer, so even a re-registered IAM provider leaves
// the cached keys in place.
func TestOIDCKeyLabBrokenAfterReopen(t *testing.T) {
	sc, err := Find("oidc-key-switched-before-publishing")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tr := openServedTrainee(t, sc, dir)
	mustCheck(t, tr, false)
	if err := tr.Lab().DeleteOIDCProvider(); err != nil {
		t.Fatal(err)
	}
	if err := tr.Lab().CreateOIDCProvider(context.Background(), []string{"sts.amazonaws.com"}, nil); err != nil {
		t.Fatal(err)
	}
	if res, err := tr.Check(context.Background()); err != nil || res.Fixed || !strings.Contains(res.Steps[0].Actual, "Couldn't retrieve verification key") {
		t.Fatalf("after re-registering the IAM provider: %+v %v", res, err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	tr = openServedTrainee(t, sc, dir)
	mustCheck(t, tr, false)
	// On a lab without an OpenID Connect provider the change is refused
	// with what is missing.
	cr, err := Find("cert-rotation")
	if err != nil {
		t.Fatal(err)
	}
	saml := openServedTrainee(t, cr, t.TempDir())
	if code, _, body := oidcAdminCall(t, saml.cfg.BaseURL, saml.cfg.Admin.Token(), &scenarios.IDPChange{Op: scenarios.IDPOpRotate, OIDC: true}); code != http.StatusConflict ||
		!strings.Contains(body, "the OpenID Connect provider is not started") {
		t.Fatalf("OIDC rotate on a SAML lab: %d %s", code, body)
	}
}
