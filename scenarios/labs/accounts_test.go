package labs

import (
	"bytes"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/scenarios"
)

// TestRosterListsFurtherAccountKeys: the roster of a class whose lab has a
// further account lists every trainee's admin key there, the key the
// trainee's lab derives from the trainee's own, and SeatSolution puts it in
// the solution; a lab without further accounts adds nothing.
func TestRosterListsFurtherAccountKeys(t *testing.T) {
	var seats []Seat
	for k := 1; k <= 2; k++ {
		key, err := scenarios.NewAdminKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		seats = append(seats, Seat{Trainee: k, Endpoint: "http://127.0.0.1:1", Account: accountFor(k, 2), AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey})
	}
	var buf bytes.Buffer
	if err := WriteRoster(&buf, &Manifest{Lab: "cross-account-one-side-allows", Trainees: seats}); err != nil {
		t.Fatal(err)
	}
	sc, err := Find("cross-account-one-side-allows")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range seats {
		want, err := scenarios.AccountAdminKey(scenarios.AdminKey{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey}, "777788889999")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), want.AccessKeyID) || !strings.Contains(buf.String(), want.SecretAccessKey) {
			t.Errorf("roster lacks trainee %d's key in 777788889999:\n%s", s.Trainee, buf.String())
		}
		sol, err := SeatSolution(sc, s)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(sol, "AWS_ACCESS_KEY_ID="+want.AccessKeyID+" ") || strings.Contains(sol, "${") ||
			!strings.Contains(sol, "arn:aws:iam::"+s.Account+":role/Deploy") {
			t.Errorf("trainee %d's solution:\n%s", s.Trainee, sol)
		}
	}
	buf.Reset()
	if err := WriteRoster(&buf, &Manifest{Lab: "cert-rotation", Trainees: seats}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "More accounts") {
		t.Errorf("roster of a one-account lab lists more accounts:\n%s", buf.String())
	}
}
