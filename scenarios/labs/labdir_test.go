package labs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The expired token file lab: the task names the trainee's own token file
// and role (no ${...} left), in Status and on the index page's task; the
// file holds the broken state's token; a reopen keeps the trainee's file,
// and a reset writes the broken one again.
func TestTokenFileLabTaskAndFile(t *testing.T) {
	sc, err := Find("oidc-expired-token-reuse")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tr := openTrainee(t, sc, dir)
	file := filepath.Join(dir, "token")
	for where, task := range map[string]string{"status": tr.Status().Task, "index": tr.task().Text} {
		for _, want := range []string{"AWS_WEB_IDENTITY_TOKEN_FILE=" + file, "AWS_ROLE_ARN=arn:aws:iam::111122223333:role/WebApp"} {
			if !strings.Contains(task, want) {
				t.Errorf("%s task lacks %q:\n%s", where, want, task)
			}
		}
		if strings.Contains(task, "${") {
			t.Errorf("%s task has a variable left:\n%s", where, task)
		}
	}
	broken, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, tr, false)
	if err := tr.Lab().WriteTokenFile("token", "alice", "", ""); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, tr, true)
	fixed, err := os.ReadFile(file)
	if err != nil || string(fixed) == string(broken) {
		t.Fatalf("the fix left the token file as it was (%v)", err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	tr = openTrainee(t, sc, dir)
	if again, err := os.ReadFile(file); err != nil || string(again) != string(fixed) {
		t.Errorf("a reopen changed the trainee's token file (%v)", err)
	}
	mustCheck(t, tr, true)
	if err := tr.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	if again, err := os.ReadFile(file); err != nil || string(again) == string(fixed) || len(again) == 0 {
		t.Errorf("reset left the trainee's token file as fixed (%v)", err)
	}
	mustCheck(t, tr, false)
}
