package labs

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/scenarios"
)

func openTrainee(t *testing.T, sc *scenarios.Scenario, dir string) *Trainee {
	t.Helper()
	if sc.Setup.OIDC != nil {
		return openServedTrainee(t, sc, dir)
	}
	admin, err := scenarios.NewAdminKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := OpenTrainee(context.Background(), TraineeConfig{Scenario: sc, Trainee: 1, Dir: dir,
		AccountID: "111122223333", BaseURL: "http://127.0.0.1:1", Admin: admin, ControlToken: "token", Keys: certstest.New()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

func TestLibraryHasGradedLabs(t *testing.T) {
	labs, err := Library()
	if err != nil {
		t.Fatal(err)
	}
	if len(labs) < 12 {
		t.Errorf("%d labs, want at least 12", len(labs))
	}
	byDifficulty := map[int]int{}
	for _, sc := range labs {
		byDifficulty[sc.Difficulty]++
		if sc.BrokenSteps() == 0 && sc.Lab.Broken == 0 && len(sc.Steps) > 0 && sc.Steps[0].Expect.Code == "" &&
			sc.Steps[0].Expect.PageErrorContains == "" {
			t.Errorf("%s: no broken state", sc.Name)
		}
	}
	for d := 1; d <= 3; d++ {
		if byDifficulty[d] == 0 {
			t.Errorf("no lab of difficulty %d (%v)", d, byDifficulty)
		}
	}
	if _, err := Find("cert-rotation"); err != nil {
		t.Error(err)
	}
	if _, err := Find("forged-signature"); err == nil || !strings.Contains(err.Error(), "is not a lab") {
		t.Errorf("Find of a scenario that is not a lab: %v", err)
	}
	if _, err := Find("cert-rotaton"); err == nil || !strings.Contains(err.Error(), "unknown lab") {
		t.Errorf("Find of an unknown lab: %v", err)
	}
}

// Every lab starts broken (its check fails), the task does not contain the
// solution's commands, and the scenario's own fix steps make the check pass.
func TestEveryLabIsBrokenThenFixedByItsFixSteps(t *testing.T) {
	labs, err := Library()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range labs {
		t.Run(sc.Name, func(t *testing.T) {
			for _, cmd := range []string{"update-saml-provider", "update-assume-role-policy", "create-saml-provider", "update-role", "43200"} {
				if strings.Contains(sc.Lab.Task, cmd) && strings.Contains(sc.Lab.Solution, cmd) && cmd != "43200" {
					t.Errorf("the task gives the fix away: %q", cmd)
				}
			}
			dir := t.TempDir()
			tr := openTrainee(t, sc, dir)
			md, err := tr.Lab().IDP.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			// Reopened from its directory, the lab's IdP is the same.
			if err := tr.Close(); err != nil {
				t.Fatal(err)
			}
			tr = openTrainee(t, sc, dir)
			if again, err := tr.Lab().IDP.Metadata(); err != nil || !bytes.Equal(md, again) {
				t.Fatalf("the reopened IdP publishes other metadata (%v):\n%s\n---\n%s", err, md, again)
			}
			res, err := tr.Check(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res.Fixed || res.Hint != sc.Hint || res.Attempts != 1 {
				t.Fatalf("broken lab: check says %+v", res)
			}
			checks := sc.CheckSteps()
			lab := tr.Lab()
			for i, st := range sc.Steps[sc.BrokenSteps():slices.Max(checks)] {
				if slices.Contains(checks, sc.BrokenSteps()+i+1) {
					continue
				}
				out := lab.Do(context.Background(), st)
				if out.Harness {
					t.Fatalf("fix step %s: %s", st.Action, out)
				}
			}
			if res, err = tr.Check(context.Background()); err != nil || !res.Fixed || res.Hint != "" || res.Attempts != 2 {
				t.Fatalf("after the fix steps: check says %+v, %v", res, err)
			}
		})
	}
}

// A lab reopened from its state directory is the same lab: same IdP
// metadata, broken while unfixed, fixed once fixed; Reset breaks it again.
func TestTraineeStateSurvivesReopenAndReset(t *testing.T) {
	sc, err := Find("cert-rotation")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tr := openTrainee(t, sc, dir)
	md1, err := tr.Lab().IDP.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	tr = openTrainee(t, sc, dir)
	md2, err := tr.Lab().IDP.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(md1, md2) {
		t.Fatalf("the reopened IdP publishes other metadata:\n%s\n---\n%s", md1, md2)
	}
	if res, err := tr.Check(context.Background()); err != nil || res.Fixed {
		t.Fatalf("reopened broken lab: %+v, %v", res, err)
	}
	if err := tr.Lab().UpdateProvider(); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	tr = openTrainee(t, sc, dir)
	if st := tr.Status(); st.Attempts != 1 || st.Fixed {
		t.Errorf("progress after reopen: %+v", st.Progress)
	}
	if res, err := tr.Check(context.Background()); err != nil || !res.Fixed || res.Attempts != 2 {
		t.Fatalf("reopened fixed lab: %+v, %v", res, err)
	}

	// Reset over HTTP: the token is required; then the lab is broken again.
	srv := httptest.NewServer(tr)
	defer srv.Close()
	post := func(path, token string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, v
	}
	if code, v := post(ControlPrefix+"/reset", "wrong"); code != http.StatusForbidden {
		t.Errorf("reset with a wrong token: %d %v", code, v)
	}
	if code, v := post(ControlPrefix+"/reset", "token"); code != http.StatusOK || v["attempts"] != float64(0) {
		t.Errorf("reset: %d %v", code, v)
	}
	if code, v := post(ControlPrefix+"/check", ""); code != http.StatusUnauthorized || v["error"] != scenarios.ErrNoToken.Error() {
		t.Errorf("check without a token: %d %v", code, v)
	}
	if code, v := post(ControlPrefix+"/check", "not-the-token"); code != http.StatusUnauthorized || v["error"] != scenarios.ErrBadToken.Error() {
		t.Errorf("check with a wrong token: %d %v", code, v)
	}
	if code, v := post(ControlPrefix+"/check", tr.cfg.Admin.Token()); code != http.StatusOK || v["fixed"] != false || v["hint"] != sc.Hint {
		t.Errorf("check after reset: %d %v", code, v)
	}
	md3, err := tr.Lab().IDP.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(md3, md2) {
		t.Error("reset kept the IdP's keys; it replays with new ones")
	}
}

// A lab block is checked when the file loads, every problem at once with its
// line.
func TestLabBlockProblems(t *testing.T) {
	src := `version: 2
name: broken-lab
title: t
steps:
  - action: create-provider
  - action: login
    expect: {code: AccessDenied, status: 403, message: x}
  - action: update-trust
    role: SAMLAdmin
    trust: {Version: "2012-10-17", Statement: []}
  - action: login
lab:
  broken: 4
  check: [3, 9, 2]
  solution: aws iam update-role --role-name ${role:Nope}
`
	_, err := scenarios.Parse("broken-lab.yaml", []byte(src))
	if err == nil {
		t.Fatal("a broken lab block loaded")
	}
	for _, want := range []string{
		"broken-lab.yaml:13:3: lab.task: is required",
		"lab.solution: ${role:Nope}: unknown role",
		"lab.check[0]: step 3 is update-trust; a check step must be a login, console-sign-in, web-identity-login, cognito-login",
		"lab.check[1]: is 9; the scenario has steps 1 to 4",
		"lab.check[2]: step 2 expects an error; a check step expects the fixed outcome",
		"lab.broken: the broken state (4 steps) must end before the last check step (step 3)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q:\n%v", want, err)
		}
	}
}
