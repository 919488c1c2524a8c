package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/scenarios/labs"
)

// TestOIDCKeyLabCommands fixes oidc-key-switched-before-publishing with
// samlab idp against the running lab, as a trainee with the endpoint and the
// admin key: calls without the key, or with a wrong one, are refused; the
// aws CLI's AssumeRoleWithWebIdentity fails with AWS's error until the
// provider signs with the key STS cached again; switching to another key or
// only staging one does not fix it; the fix survives a restart.
func TestOIDCKeyLabCommands(t *testing.T) {
	requireAWSCLI(t)
	t.Setenv(PasswordEnv, labs.DemoPassword)
	state := filepath.Join(t.TempDir(), "class")
	l := startClass(t, state, "oidc-key-switched-before-publishing")
	seat, _ := readManifest(t, state).Seat(1)
	if want := "Administer the IdP and its OIDC signing keys (with the admin key above; see samlab idp --help):\n  samlab idp status --endpoint " +
		seat.Endpoint + "\n"; !strings.Contains(l.out.String(), want) {
		t.Errorf("the banner lacks %q:\n%s", want, l.out)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	out, err := run(t, "idp", "rotate", "--oidc", "--revert", "--endpoint", seat.Endpoint)
	wantExit(t, "idp rotate --oidc without the admin key", withErr(out, err), err, 2, "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	t.Setenv("AWS_ACCESS_KEY_ID", seat.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", seat.SecretAccessKey+"x")
	out, err = run(t, "idp", "rotate", "--oidc", "--revert", "--endpoint", seat.Endpoint)
	wantExit(t, "idp rotate --oidc with a wrong key", withErr(out, err), err, 2, "the token is not this lab's")
	t.Setenv("AWS_SECRET_ACCESS_KEY", seat.SecretAccessKey)

	out, err = run(t, "idp", "status", "--endpoint", seat.Endpoint)
	wantExit(t, "idp status", out, err, 0, "OIDC SLOT   IN JWKS  ALG    KID", "current     yes      RS256", "previous-1  no       RS256")
	tok := labToken(t, seat.Endpoint, "alice", "sts.amazonaws.com")
	out, err = assumeWithWebIdentity(t, seat, seat.Endpoint, "WebApp", "alice", tok)
	if err == nil || !strings.Contains(out, "An error occurred (InvalidIdentityToken) when calling the AssumeRoleWithWebIdentity operation: "+
		"Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements") {
		t.Errorf("assume before the fix: %v\n%s", err, out)
	}
	out, err = run(t, "lab", "check", "--endpoint", seat.Endpoint)
	wantExit(t, "check before the fix", out, err, 1, "not fixed (check 1)")

	out, err = run(t, "idp", "rotate", "--revert", "--endpoint", seat.Endpoint)
	wantExit(t, "idp rotate --revert without --oidc", withErr(out, err), err, 2, "--revert is for the OpenID Connect keys: give --oidc too")
	out, err = run(t, "idp", "rotate", "--oidc", "--kid", "x", "--endpoint", seat.Endpoint)
	wantExit(t, "idp rotate --kid without --revert", withErr(out, err), err, 2, "give --revert too")
	out, err = run(t, "idp", "rotate", "--oidc", "--keys", t.TempDir())
	if err == nil || !strings.Contains(withErr(out, err), "none of the others can be") {
		t.Errorf("idp rotate --oidc --keys: %v\n%s", err, out)
	}
	// Switching again: another key STS has not fetched.
	out, err = run(t, "idp", "rotate", "--oidc", "--endpoint", seat.Endpoint)
	wantExit(t, "idp rotate --oidc", out, err, 0, "switched to the new key", "at once")
	out, err = run(t, "lab", "check", "--endpoint", seat.Endpoint)
	wantExit(t, "check after a second switch", out, err, 1, "not fixed (check 2)")
	// Reverting now goes back to the key of the first switch, which STS
	// does not hold either.
	out, err = run(t, "idp", "rotate", "--oidc", "--revert", "--endpoint", seat.Endpoint)
	wantExit(t, "idp rotate --oidc --revert", out, err, 0, "signs with its previous key", "next        yes")
	out, err = run(t, "lab", "check", "--endpoint", seat.Endpoint)
	wantExit(t, "check after reverting one switch of two", out, err, 1, "not fixed (check 3)")
	// Naming the first key by its kid: the one STS cached.
	out, err = run(t, "idp", "status", "--endpoint", seat.Endpoint, "-o", "json")
	wantExit(t, "idp status -o json", out, err, 0, `"oidc_keys"`)
	kid := oidcKeyIn(t, out, "previous-1")
	out, err = run(t, "idp", "rotate", "--oidc", "--revert", "--kid", kid, "--endpoint", seat.Endpoint)
	wantExit(t, "idp rotate --oidc --revert with a staged key", withErr(out, err), err, 2, "a next key is already staged")
	out, err = run(t, "idp", "rotate", "--oidc", "--endpoint", seat.Endpoint) // switch to the staged key
	wantExit(t, "idp rotate --oidc to the staged key", out, err, 0, "switched to the staged key")
	out, err = run(t, "idp", "rotate", "--oidc", "--revert", "--kid", kid, "--endpoint", seat.Endpoint)
	wantExit(t, "idp rotate --oidc --revert --kid", out, err, 0, "signs with its previous key "+kid+" again")
	out, err = run(t, "lab", "check", "--endpoint", seat.Endpoint)
	wantExit(t, "check after the fix", out, err, 0, "fixed (check 4)", "assumed-role/WebApp/alice")
	out, err = assumeWithWebIdentity(t, seat, seat.Endpoint, "WebApp", "alice", labToken(t, seat.Endpoint, "alice", "sts.amazonaws.com"))
	wantExit(t, "assume after the fix", out, err, 0, "assumed-role/WebApp/alice")

	if err := l.stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, l.out)
	}
	startClass(t, state, "oidc-key-switched-before-publishing")
	out, err = run(t, "lab", "check", "--endpoint", seat.Endpoint)
	wantExit(t, "check after a restart", out, err, 0, "fixed (check 5)")
	out, err = run(t, "idp", "status", "--endpoint", seat.Endpoint)
	wantExit(t, "idp status after a restart", out, err, 0, "current     yes      RS256  "+kid)
}

// oidcKeyIn returns the kid of the OpenID Connect key in slot from samlab
// idp status -o json output.
func oidcKeyIn(t *testing.T, out, slot string) string {
	t.Helper()
	var st scenarios.IDPState
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("idp status -o json: %v\n%s", err, out)
	}
	for _, k := range st.OIDCKeys {
		if k.Slot == slot {
			return k.KeyID
		}
	}
	t.Fatalf("no OpenID Connect key in slot %s: %s", slot, out)
	return ""
}
