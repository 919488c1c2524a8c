package labs

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/scenarios"
)

// idpCall sends an IdP admin request to the trainee's lab.
func idpCall(t *testing.T, srv *httptest.Server, token string, change *scenarios.IDPChange) (int, scenarios.IDPState, string) {
	t.Helper()
	method, body := http.MethodGet, io.Reader(nil)
	if change != nil {
		raw, _ := json.Marshal(change)
		method, body = http.MethodPost, bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, srv.URL+scenarios.IDPAdminPath, body)
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

func mustCheck(t *testing.T, tr *Trainee, fixed bool) {
	t.Helper()
	res, err := tr.Check(context.Background())
	if err != nil || res.Fixed != fixed {
		t.Fatalf("check: fixed %v, want %v (%v): %+v", res.Fixed, fixed, err, res)
	}
}

// The key rollover lab fixed over the IdP admin endpoint (and IAM), and the
// IdP's keys as the trainee left them after a restart.
func TestIDPRolloverOverHTTPSurvivesReopen(t *testing.T) {
	sc, err := Find("idp-key-rollover")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tr := openTrainee(t, sc, dir)
	srv := httptest.NewServer(tr)
	defer srv.Close()
	token := tr.cfg.Admin.Token()

	if code, _, body := idpCall(t, srv, "", nil); code != http.StatusUnauthorized || !strings.Contains(body, scenarios.ErrNoToken.Error()) {
		t.Errorf("unauthenticated GET: %d %s", code, body)
	}
	if code, _, body := idpCall(t, srv, "wrong", &scenarios.IDPChange{Op: scenarios.IDPOpRotate}); code != http.StatusUnauthorized ||
		!strings.Contains(body, scenarios.ErrBadToken.Error()) {
		t.Errorf("POST with a wrong token: %d %s", code, body)
	}
	if code, _, body := idpCall(t, srv, token, &scenarios.IDPChange{Op: "shred"}); code != http.StatusBadRequest ||
		!strings.Contains(body, `unknown op \"shred\" (ops: rotate, set-user, set-fault)`) {
		t.Errorf("unknown op: %d %s", code, body)
	}
	mustCheck(t, tr, false)
	code, st, body := idpCall(t, srv, token, &scenarios.IDPChange{Op: scenarios.IDPOpRotate, Rollover: true})
	if code != http.StatusOK || len(st.Keys) != 2 || st.Keys[1].Slot != "next" || !st.Keys[1].Published ||
		!strings.HasPrefix(st.Change, "staged a next key") {
		t.Fatalf("rollover: %d %s", code, body)
	}
	if err := tr.Lab().UpdateProvider(); err != nil { // what the trainee does with the aws CLI
		t.Fatal(err)
	}
	code, st, body = idpCall(t, srv, token, &scenarios.IDPChange{Op: scenarios.IDPOpRotate})
	if code != http.StatusOK || st.Change != "switched to the staged key; the old certificate is no longer published" ||
		len(st.Keys) != 2 || st.Keys[1].Slot != "previous-1" {
		t.Fatalf("rotate: %d %s", code, body)
	}
	mustCheck(t, tr, true)
	md, err := tr.Lab().IDP.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	tr = openTrainee(t, sc, dir)
	if again, _ := tr.Lab().IDP.Metadata(); !bytes.Equal(md, again) {
		t.Fatal("after a restart the IdP publishes other metadata than the trainee left")
	}
	mustCheck(t, tr, true)
	if err := tr.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, tr, false)
}

// The wrong-provider-arn lab fixed by changing the user at the IdP; the
// change survives a restart. The index page shows the task, never the fix.
func TestIDPSetUserOverHTTPSurvivesReopen(t *testing.T) {
	sc, err := Find("wrong-provider-arn-in-idp")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tr := openTrainee(t, sc, dir)
	srv := httptest.NewServer(tr)
	defer srv.Close()
	token := tr.cfg.Admin.Token()

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	req.Header.Set("Accept", "text/html")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	index := html.UnescapeString(string(page))
	for _, want := range []string{`<b id="task-title">` + sc.Title + `</b>`, `<span id="task-id">` + sc.Name + `</span>`,
		`difficulty <span id="task-difficulty">1</span>`, strings.Split(sc.Lab.Task, "\n")[0],
		`<pre id="task-check">samlab lab check --endpoint http://127.0.0.1:1</pre>`} {
		if !strings.Contains(index, want) {
			t.Errorf("index lacks %q:\n%s", want, index)
		}
	}
	for _, giveaway := range []string{"set-user", sc.Hint, sc.Fix} {
		if strings.Contains(index, giveaway) {
			t.Errorf("the index gives the fix away (%q)", giveaway)
		}
	}

	_, st, _ := idpCall(t, srv, token, nil)
	var rosa scenarios.IDPUser
	for _, u := range st.Users {
		if u.Name == "rosa" {
			rosa = u
		}
	}
	if len(rosa.Roles) != 1 || !strings.HasSuffix(rosa.Roles[0], ":saml-provider/Samlab") {
		t.Fatalf("rosa at the IdP: %+v", rosa)
	}
	mustCheck(t, tr, false)
	bad := &scenarios.IDPChange{Op: scenarios.IDPOpSetUser, User: "rosa", With: &scenarios.UserSetup{
		Roles: []scenarios.RoleRef{{Role: "arn:aws:iam::111122223333:role/SAMLAdmin"}}}}
	if code, _, body := idpCall(t, srv, token, bad); code != http.StatusBadRequest || !strings.Contains(body, "with.roles[0]: role and provider are names") {
		t.Errorf("set-user with an ARN as role name: %d %s", code, body)
	}
	fix := &scenarios.IDPChange{Op: scenarios.IDPOpSetUser, User: "rosa", With: &scenarios.UserSetup{Roles: []scenarios.RoleRef{{Role: "SAMLAdmin"}}}}
	code, st, body := idpCall(t, srv, token, fix)
	if code != http.StatusOK || st.Change != "replaced user rosa" {
		t.Fatalf("set-user: %d %s", code, body)
	}
	mustCheck(t, tr, true)
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	tr = openTrainee(t, sc, dir)
	mustCheck(t, tr, true)
}
