package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/scenarios/labs"
)

// runningLab is a running `samlab lab start`.
type runningLab struct {
	out  *syncBuffer
	stop func() error
}

// startClass runs `samlab lab start` in-process on loopback with the class in
// state, and waits for its banner.
func startClass(t *testing.T, state string, args ...string) *runningLab {
	t.Helper()
	out, stop := startCommand(t, "samlab lab start", 20*time.Second,
		append([]string{"lab", "start", "--fixture-keys", "--listen", "127.0.0.1:0", "--state", state}, args...)...)
	return &runningLab{out: out, stop: stop}
}

// requireTool skips without the tool, except in CI, where it fails.
func requireTool(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", path, err)
		}
		t.Skipf("%s not installed: %v", path, err)
	}
}

// labAWSEnv is a clean environment for the aws CLI with a seat's admin key.
func labAWSEnv(t *testing.T, seat labs.Seat) []string {
	home := t.TempDir()
	return []string{"PATH=/usr/bin:/bin", "HOME=" + home, "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_ACCESS_KEY_ID=" + seat.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + seat.SecretAccessKey, "AWS_REGION=us-east-1"}
}

// samlabOnPath returns a PATH whose first directory holds a "samlab" that
// is this test binary, run as the samlab command (runAsSamlabEnv).
func samlabOnPath(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(bin, "samlab")); err != nil {
		t.Fatal(err)
	}
	return bin + ":/usr/bin:/bin"
}

// runSolution runs the commands `samlab lab solution` printed, as a trainee
// would paste them into a shell: curl, Debian's aws CLI v2 and samlab
// against the lab.
func runSolution(t *testing.T, script string, seat labs.Seat) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "/bin/sh", "-e", "-c", script)
	cmd.Dir = t.TempDir()
	cmd.Env = append(labAWSEnv(t, seat), "PATH="+samlabOnPath(t), runAsSamlabEnv+"=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the solution failed: %v\n%s\n--- script:\n%s", err, out, script)
	}
}

// awsCall runs one aws CLI command with the seat's key against endpoint.
func awsCall(t *testing.T, seat labs.Seat, endpoint string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), awsCLI, append([]string{"--endpoint-url", endpoint, "--output", "json"}, args...)...)
	cmd.Env = labAWSEnv(t, seat)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run %s: %v", awsCLI, err)
	}
	if err != nil {
		return stderr.String(), err
	}
	return stdout.String(), nil
}

func readManifest(t *testing.T, state string) *labs.Manifest {
	t.Helper()
	m, err := labs.ReadManifest(state)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func wantExit(t *testing.T, what string, out string, err error, code int, contains ...string) {
	t.Helper()
	if exitCode(err) != code && !(code == 0 && err == nil) {
		t.Errorf("%s: exit %d (%v), want %d\n%s", what, exitCode(err), err, code, out)
	}
	if code == 0 && err != nil {
		t.Errorf("%s: %v\n%s", what, err, out)
	}
	for _, c := range contains {
		if !strings.Contains(out, c) {
			t.Errorf("%s: output lacks %q:\n%s", what, c, out)
		}
	}
}

// TestLabFixedWithAWSCLI starts cert-rotation, sees check fail, runs the
// printed solution with curl and Debian's aws CLI v2 against the endpoint,
// sees check pass; the fixed state survives a restart, reset breaks the lab
// again, and the broken state survives a restart too.
func TestLabFixedWithAWSCLI(t *testing.T) {
	requireAWSCLI(t)
	requireTool(t, "/usr/bin/curl")
	sc, err := labs.Find("cert-rotation")
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "class")
	l := startClass(t, state, "cert-rotation")
	banner := l.out.String()
	m := readManifest(t, state)
	seat, _ := m.Seat(1)
	for _, want := range []string{"Task:\n  Logins of alice", seat.Endpoint + "/idp/metadata", "export AWS_ACCESS_KEY_ID=" + seat.AccessKeyID,
		"samlab lab check --state " + state} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	solution := labs.Solution(sc, seat.Endpoint, seat.Account)
	for _, giveaway := range []string{"update-saml-provider", sc.Fix, sc.Hint} {
		if strings.Contains(banner, giveaway) {
			t.Errorf("the banner gives the fix away (%q):\n%s", giveaway, banner)
		}
	}

	out, err := run(t, "lab", "check", "--state", state)
	wantExit(t, "check of the broken lab", out, err, 1, "not fixed (check 1)\n  FAIL login works again\n       want: success\n"+
		"       got:  InvalidIdentityToken (400): Response signature invalid\n\nhint: "+sc.Hint)
	out, err = run(t, "lab", "hint", "--state", state)
	wantExit(t, "hint", out, err, 0, sc.Hint)
	out, err = run(t, "lab", "solution", "--state", state)
	wantExit(t, "solution", out, err, 0, "curl -s "+seat.Endpoint+"/idp/metadata -o metadata.xml",
		"aws --endpoint-url "+seat.Endpoint+" iam update-saml-provider --saml-provider-arn arn:aws:iam::"+seat.Account+":saml-provider/samlab")
	if out != solution {
		t.Errorf("solution printed %q, want %q", out, solution)
	}

	runSolution(t, out, seat)
	// As a trainee without the state: with the admin key in the environment.
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	out, err = run(t, "lab", "check", "--endpoint", seat.Endpoint)
	wantExit(t, "check without the admin key", withErr(out, err), err, 2, "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to the lab's admin key")
	t.Setenv("AWS_ACCESS_KEY_ID", seat.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
	out, err = run(t, "lab", "check", "--endpoint", seat.Endpoint)
	wantExit(t, "check with a wrong admin key", withErr(out, err), err, 2, "the token is not this lab's")
	t.Setenv("AWS_SECRET_ACCESS_KEY", seat.SecretAccessKey)
	out, err = run(t, "lab", "check", "--endpoint", seat.Endpoint)
	wantExit(t, "check after the fix", out, err, 0, "fixed (check 2)\n  ok   login works again\n"+
		"       got:  success as arn:aws:sts::"+seat.Account+":assumed-role/SAMLAdmin/alice")
	out, err = run(t, "lab", "status", "--state", state)
	wantExit(t, "status", out, err, 0, "lab           cert-rotation (difficulty 1)", "trainee       1",
		"endpoint      "+seat.Endpoint, "account       "+seat.Account, "IdP users     alice, bob", "checks        2 (fixed at the last check")

	// The trainee's calls are in the trainee's event log.
	out, err = run(t, "events", filepath.Join(state, "trainee-1", labs.EventsFile))
	wantExit(t, "events", out, err, 0, "UpdateSAMLProvider")

	// Restart: fixed stays fixed, at the same address.
	if err := l.stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, l.out)
	}
	l = startClass(t, state, "cert-rotation")
	out, err = run(t, "lab", "check", "--state", state)
	wantExit(t, "check after a restart", out, err, 0, "fixed (check 3)")

	// Reset: broken again, and still broken after a restart.
	out, err = run(t, "lab", "reset", "--state", state)
	wantExit(t, "reset", out, err, 0, "trainee 1: cert-rotation is broken again at "+seat.Endpoint)
	out, err = run(t, "lab", "check", "--state", state)
	wantExit(t, "check after reset", out, err, 1, "not fixed (check 1)")
	if err := l.stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, l.out)
	}
	startClass(t, state, "cert-rotation")
	out, err = run(t, "lab", "check", "--state", state)
	wantExit(t, "check of the reset lab after a restart", out, err, 1, "not fixed (check 2)", "Response signature invalid")
	// The admin key survived the reset and the restart.
	if out, err := awsCall(t, seat, seat.Endpoint, "iam", "list-saml-providers"); err != nil {
		t.Errorf("the admin key after reset and restart: %v\n%s", err, out)
	}
}

// TestLabClassIsolation serves a class of two: each trainee has an account
// and a key of their own, one's keys are refused by the other's lab, and one
// trainee's fix leaves the other's lab broken.
func TestLabClassIsolation(t *testing.T) {
	requireAWSCLI(t)
	state := filepath.Join(t.TempDir(), "class")
	startClass(t, state, "saml-aud-wrong-host", "--trainees", "2")
	m := readManifest(t, state)
	if len(m.Trainees) != 2 {
		t.Fatalf("manifest: %d trainees", len(m.Trainees))
	}
	one, two := m.Trainees[0], m.Trainees[1]
	if one.Account == two.Account || one.Endpoint == two.Endpoint || one.AccessKeyID == two.AccessKeyID {
		t.Fatalf("trainees share an account, endpoint or key: %+v %+v", one, two)
	}
	roster, err := os.ReadFile(filepath.Join(state, labs.RosterFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range m.Trainees {
		for _, want := range []string{s.Endpoint, s.Account, s.AccessKeyID, s.SecretAccessKey, "alice,bob"} {
			if !strings.Contains(string(roster), want) {
				t.Errorf("roster lacks %q:\n%s", want, roster)
			}
		}
	}

	// Each key works on its own lab, as its own account, and not on the other.
	out, err := awsCall(t, one, one.Endpoint, "sts", "get-caller-identity")
	if err != nil || !strings.Contains(out, `"Account": "`+one.Account+`"`) {
		t.Errorf("trainee 1 on their lab: %v\n%s", err, out)
	}
	out, err = awsCall(t, one, two.Endpoint, "iam", "list-saml-providers")
	if err == nil || !strings.Contains(out, "An error occurred (InvalidClientTokenId) when calling the ListSAMLProviders operation") {
		t.Errorf("trainee 1's key on trainee 2's lab: %v\n%s", err, out)
	}

	out, err = run(t, "lab", "solution", "--state", state, "--trainee", "1")
	wantExit(t, "solution for trainee 1", out, err, 0, "arn:aws:iam::"+one.Account+":saml-provider/samlab", one.Endpoint)
	runSolution(t, out, one)
	out, err = run(t, "lab", "check", "--state", state, "--trainee", "1")
	wantExit(t, "trainee 1's check", out, err, 0, "fixed (check 1)", "assumed-role/SAMLAdmin/alice")
	out, err = run(t, "lab", "check", "--state", state, "--trainee", "2")
	wantExit(t, "trainee 2's check", out, err, 1, "not fixed (check 1)", "AccessDenied (403)")
	out, err = run(t, "lab", "status", "--state", state, "--all")
	wantExit(t, "status of the class", out, err, 0, "lab saml-aud-wrong-host, 2 trainees",
		"1        "+one.Endpoint+"  1       fixed", "2        "+two.Endpoint+"  1       not fixed")
	out, err = run(t, "lab", "status", "--state", state, "--trainee", "2", "--output", "json")
	var st labs.Status
	if jerr := json.Unmarshal([]byte(out), &st); err != nil || jerr != nil || st.Trainee != 2 || st.Account != two.Account ||
		st.Attempts != 1 || st.Fixed {
		t.Errorf("trainee 2's status: %v %v %+v\n%s", err, jerr, st, out)
	}
}

func TestLabCommandErrors(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "none")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"lab", "start", "no-such-lab", "--state", missing}, 2, `unknown lab "no-such-lab"`},
		{[]string{"lab", "start", "forged-signature", "--state", missing}, 2, `scenario "forged-signature" is not a lab`},
		{[]string{"lab", "check", "--state", missing}, 2, "no lab in " + missing},
		{[]string{"lab", "status", "--state", missing}, 2, "no lab in " + missing},
		{[]string{"lab", "hint", "--state", missing}, 2, "name a lab (samlab lab list) or a class's --state"},
	} {
		out, err := run(t, c.args...)
		if exitCode(err) != c.code || err == nil || !strings.Contains(err.Error()+out, c.want) {
			t.Errorf("samlab %s: exit %d, %v, want %d and %q\n%s", strings.Join(c.args, " "), exitCode(err), err, c.code, c.want, out)
		}
	}
	out, err := run(t, "lab", "list")
	wantExit(t, "list", out, err, 0, "cert-rotation                        1", "trust-condition-not-met              3")
}

// TestEverySolutionFixesItsLab serves every library lab and runs the
// commands `samlab lab solution` prints, with curl and Debian's aws CLI v2
// against the lab: each lab is broken before and fixed after.
func TestEverySolutionFixesItsLab(t *testing.T) {
	requireAWSCLI(t)
	requireTool(t, "/usr/bin/curl")
	requireTool(t, "/usr/bin/openssl") // oidc-issuer-new-ca computes a thumbprint
	all, err := labs.Library()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range all {
		t.Run(sc.Name, func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "class")
			startClass(t, state, sc.Name)
			seat, err := readManifest(t, state).Seat(1)
			if err != nil {
				t.Fatal(err)
			}
			out, err := run(t, "lab", "check", "--state", state)
			wantExit(t, "check before the fix", out, err, 1, "not fixed (check 1)", "hint: "+sc.Hint)
			out, err = run(t, "lab", "solution", "--state", state)
			if err != nil {
				t.Fatalf("solution: %v\n%s", err, out)
			}
			runSolution(t, out, seat)
			out, err = run(t, "lab", "check", "--state", state)
			wantExit(t, "check after the solution", out, err, 0, "fixed (check 2)")
		})
	}
}

// TestLabIDPCommands fixes an IdP-side lab with samlab idp against the
// running lab, as a trainee with only the endpoint and the admin key: the
// IdP change survives a restart, and calls without the key are refused.
func TestLabIDPCommands(t *testing.T) {
	state := filepath.Join(t.TempDir(), "class")
	l := startClass(t, state, "wrong-provider-arn-in-idp")
	seat, _ := readManifest(t, state).Seat(1)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	out, err := run(t, "idp", "status", "--endpoint", seat.Endpoint)
	wantExit(t, "idp status without the admin key", withErr(out, err), err, 2, "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	t.Setenv("AWS_ACCESS_KEY_ID", seat.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", seat.SecretAccessKey+"x")
	out, err = run(t, "idp", "set-user", "--endpoint", seat.Endpoint, "--user", "rosa", "--role", "SAMLAdmin")
	wantExit(t, "idp set-user with a wrong key", withErr(out, err), err, 2, "the token is not this lab's")
	t.Setenv("AWS_SECRET_ACCESS_KEY", seat.SecretAccessKey)

	out, err = run(t, "idp", "status", "--endpoint", seat.Endpoint)
	wantExit(t, "idp status", out, err, 0, "SLOT     PUBLISHED  SHA-1 FINGERPRINT", "current  yes",
		"rosa   rosa             arn:aws:iam::"+seat.Account+":role/SAMLAdmin,arn:aws:iam::"+seat.Account+":saml-provider/Samlab")
	out, err = run(t, "lab", "check", "--endpoint", seat.Endpoint)
	wantExit(t, "check before the fix", out, err, 1, "not fixed (check 1)")
	// rosa logs in at the lab's IdP over HTTP, as her tool does.
	t.Setenv("SAMLAB_PASSWORD", labs.DemoPassword)
	login := []string{"login", "--idp-url", seat.Endpoint + "/idp", "--endpoint-url", seat.Endpoint, "--username", "rosa"}
	out, err = run(t, login...)
	wantExit(t, "rosa's login before the fix", withErr(out, err), err, 1, "InvalidIdentityToken: Specified provider doesn't exist")
	out, err = run(t, "idp", "set-user", "--endpoint", seat.Endpoint, "--user", "rosa")
	wantExit(t, "idp set-user without roles", withErr(out, err), err, 2, "say which roles the user gets")
	out, err = run(t, "idp", "set-user", "--endpoint", seat.Endpoint, "--user", "rosa", "--role", "SAMLAdmin")
	wantExit(t, "idp set-user", out, err, 0, "replaced user rosa.",
		"rosa   rosa             arn:aws:iam::"+seat.Account+":role/SAMLAdmin,arn:aws:iam::"+seat.Account+":saml-provider/samlab")
	out, err = run(t, "lab", "check", "--endpoint", seat.Endpoint)
	wantExit(t, "check after the fix", out, err, 0, "fixed (check 2)", "assumed-role/SAMLAdmin/rosa")
	out, err = run(t, login...)
	wantExit(t, "rosa's login after the fix", withErr(out, err), err, 0, "export AWS_SESSION_TOKEN=")

	if err := l.stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, l.out)
	}
	startClass(t, state, "wrong-provider-arn-in-idp")
	out, err = run(t, "lab", "check", "--endpoint", seat.Endpoint)
	wantExit(t, "check after a restart", out, err, 0, "fixed (check 3)")
	out, err = run(t, "idp", "rotate", "--endpoint", seat.Endpoint, "--rollover")
	wantExit(t, "idp rotate --rollover", out, err, 0, "staged a next key", "next     yes")
	out, err = run(t, "idp", "rotate", "--endpoint", seat.Endpoint, "--bits", "3072")
	wantExit(t, "idp rotate --endpoint --bits", withErr(out, err), err, 2, "--bits, --entity-id, --valid-for and --not-before/--not-after are for --keys")
	out, err = run(t, "idp", "set-fault", "--endpoint", seat.Endpoint, "no-such-fault")
	wantExit(t, "idp set-fault unknown", withErr(out, err), err, 2, `unknown fault "no-such-fault"`)
	out, err = run(t, "lab", "check", "--endpoint", "http://127.0.0.1:1")
	wantExit(t, "check of no lab", withErr(out, err), err, 2, "the lab does not answer")
	out, err = run(t, "idp", "status", "--endpoint", "http://127.0.0.1:1")
	wantExit(t, "idp status of no lab", withErr(out, err), err, 1, "the lab does not answer at http://127.0.0.1:1")
}

// withErr is a command's output followed by its error, as main prints it.
func withErr(out string, err error) string {
	if err != nil {
		return out + "samlab: " + err.Error() + "\n"
	}
	return out
}

// TestLabStartHTTPSAndEvents: samlab lab start --https answers for STS's
// real name through the trainee's endpoint, as samlab up --https does, and
// --events records the lab's AWS calls where asked; a class of two refuses
// one events file.
func TestLabStartHTTPSAndEvents(t *testing.T) {
	state := filepath.Join(t.TempDir(), "class")
	events := filepath.Join(t.TempDir(), "events.jsonl")
	l := startClass(t, state, "cert-rotation", "--https", "--events", events)
	seat, _ := readManifest(t, state).Seat(1)
	banner := l.out.String()
	for _, want := range []string{"HTTPS mode: samlab answers for sts.amazonaws.com", "export HTTPS_PROXY=" + seat.Endpoint,
		"The lab's AWS calls are appended to " + events} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	c := httpsClient(t, &upLab{out: l.out, endpoint: seat.Endpoint})
	cfg := aws.Config{Region: "us-east-1", HTTPClient: c, BaseEndpoint: aws.String("https://sts.amazonaws.com"),
		Credentials: credentials.NewStaticCredentialsProvider(seat.AccessKeyID, seat.SecretAccessKey, "")}
	out, err := stssdk.NewFromConfig(cfg).GetCallerIdentity(t.Context(), &stssdk.GetCallerIdentityInput{})
	if err != nil || aws.ToString(out.Account) != seat.Account {
		t.Fatalf("GetCallerIdentity at sts.amazonaws.com through the lab: %v %+v", err, out)
	}
	if err := l.stop(); err != nil {
		t.Fatal(err)
	}
	got, err := run(t, "events", events)
	wantExit(t, "events", got, err, 0, "GetCallerIdentity")
	if _, err := os.Stat(filepath.Join(state, "trainee-1", labs.EventsFile)); err == nil {
		t.Error("with --events the trainee's default events file was written too")
	}

	got, err = run(t, "lab", "start", "cert-rotation", "--fixture-keys", "--listen", "127.0.0.1:0", "--trainees", "2",
		"--state", filepath.Join(t.TempDir(), "class2"), "--events", events)
	wantExit(t, "a class of two with one events file", withErr(got, err), err, 1, "one events file for 2 trainees")
}

// TestUpIDPChangesSurviveRestart: samlab up serves the IdP admin endpoint
// with its admin key, refuses calls without it, and with --state keeps the
// IdP's rotated key and changed users across a restart.
func TestUpIDPChangesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	l := startUp(t, "--state", dir)
	resp, err := http.Get(l.endpoint + scenarios.IDPAdminPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), scenarios.ErrNoToken.Error()) {
		t.Errorf("unauthenticated GET %s: %d %s", scenarios.IDPAdminPath, resp.StatusCode, body)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", l.keyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", l.secret)
	out, err := run(t, "idp", "rotate", "--endpoint", l.endpoint, "--output", "json")
	var st scenarios.IDPState
	if jerr := json.Unmarshal([]byte(out), &st); err != nil || jerr != nil || len(st.Keys) != 2 || st.Keys[1].Slot != "previous-1" {
		t.Fatalf("idp rotate: %v %v\n%s", err, jerr, out)
	}
	rotated := st.Keys[0].FingerprintSHA1
	out, err = run(t, "idp", "set-user", "--endpoint", l.endpoint, "--user", "carol", "--role", "SAMLReadOnly")
	wantExit(t, "idp set-user", out, err, 0, "added user carol.")
	if err := l.stop(); err != nil {
		t.Fatal(err)
	}

	l = startUp(t, "--state", dir)
	t.Setenv("AWS_ACCESS_KEY_ID", l.keyID) // the same key, kept in the state
	out, err = run(t, "idp", "status", "--endpoint", l.endpoint, "--output", "json")
	st = scenarios.IDPState{}
	if jerr := json.Unmarshal([]byte(out), &st); err != nil || jerr != nil || len(st.Keys) != 2 || st.Keys[0].FingerprintSHA1 != rotated {
		t.Fatalf("after a restart the IdP signs with another key than the rotated %s: %v %v\n%s", rotated, err, jerr, out)
	}
	found := false
	for _, u := range st.Users {
		found = found || (u.Name == "carol" && len(u.Roles) == 1 && strings.Contains(u.Roles[0], ":role/SAMLReadOnly,"))
	}
	if !found {
		t.Errorf("carol is gone after a restart: %+v", st.Users)
	}
	// carol logs in at the IdP over HTTP with the demo password; STS then
	// refuses the response, signed by the rotated key that IAM (registered
	// before the rotation, never updated) does not hold.
	t.Setenv("SAMLAB_PASSWORD", "samlab")
	out, err = run(t, "login", "--idp-url", l.endpoint+"/idp", "--endpoint-url", l.endpoint, "--username", "carol")
	wantExit(t, "carol's login", withErr(out, err), err, 1, "InvalidIdentityToken: Response signature invalid")
}
