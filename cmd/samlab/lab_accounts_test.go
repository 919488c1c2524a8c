package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/scenarios/labs"
)

var seatAccountRE = regexp.MustCompile(`account\s+(\d{12}) \((\w+)\)\n\s+admin access key id\s+(\S+)\n\s+admin secret access key\s+(\S+)`)

// TestLabFurtherAccountKeys: a lab whose scenario declares a further
// account serves it on the lab's endpoint; samlab lab start prints its admin
// key, which the aws CLI uses there (GetCallerIdentity answers that
// account, its user deployer exists only there), and the fix made with the
// lab's own key instead does not fix the lab.
func TestLabFurtherAccountKeys(t *testing.T) {
	requireAWSCLI(t)
	state := filepath.Join(t.TempDir(), "class")
	l := startClass(t, state, "cross-account-one-side-allows")
	seat, err := readManifest(t, state).Seat(1)
	if err != nil {
		t.Fatal(err)
	}
	m := seatAccountRE.FindStringSubmatch(l.out.String())
	if m == nil || m[1] != "777788889999" || m[2] != "dev" {
		t.Fatalf("lab start does not print the development account's key:\n%s", l.out)
	}
	dev := labs.Seat{Endpoint: seat.Endpoint, AccessKeyID: m[3], SecretAccessKey: m[4]}
	out, err := awsCall(t, dev, seat.Endpoint, "sts", "get-caller-identity")
	var who struct{ Account, Arn string }
	if err != nil || json.Unmarshal([]byte(out), &who) != nil || who.Account != "777788889999" {
		t.Fatalf("get-caller-identity with the development account's key = %s, %v", out, err)
	}
	if out, err := awsCall(t, dev, seat.Endpoint, "iam", "get-user", "--user-name", "deployer"); err != nil {
		t.Errorf("get-user deployer in the development account: %v\n%s", err, out)
	}
	// The lab's own key reaches the lab's account, where deployer is unknown.
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::` + seat.Account + `:role/Deploy"}]}`
	out, err = awsCall(t, seat, seat.Endpoint, "iam", "put-user-policy", "--user-name", "deployer", "--policy-name", "AssumeDeploy", "--policy-document", policy)
	if err == nil || !strings.Contains(out, "NoSuchEntity") {
		t.Errorf("put-user-policy with the lab's own key = %v\n%s; want NoSuchEntity", err, out)
	}
	out, err = run(t, "lab", "check", "--state", state)
	wantExit(t, "check after a fix in the wrong account", out, err, 1, "not fixed")
	if out, err := awsCall(t, dev, seat.Endpoint, "iam", "put-user-policy", "--user-name", "deployer", "--policy-name", "AssumeDeploy", "--policy-document", policy); err != nil {
		t.Fatalf("put-user-policy with the development account's key: %v\n%s", err, out)
	}
	out, err = run(t, "lab", "check", "--state", state)
	wantExit(t, "check after the fix in the development account", out, err, 0, "fixed")

	// The fix in the development account survives a restart, and the key
	// stays the same.
	if err := l.stop(); err != nil {
		t.Fatalf("lab stop: %v", err)
	}
	again := startClass(t, state, "cross-account-one-side-allows")
	if m2 := seatAccountRE.FindStringSubmatch(again.out.String()); m2 == nil || m2[3] != m[3] || m2[4] != m[4] {
		t.Fatalf("the development account's key changed over a restart:\n%s", again.out)
	}
	out, err = run(t, "lab", "check", "--state", state)
	wantExit(t, "check after a restart", out, err, 0, "fixed")
	out, err = awsCall(t, dev, seat.Endpoint, "iam", "list-user-policies", "--user-name", "deployer")
	if err != nil || !strings.Contains(out, "AssumeDeploy") {
		t.Errorf("list-user-policies after a restart = %v\n%s", err, out)
	}
}
