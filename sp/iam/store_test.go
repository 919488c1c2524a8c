package iam_test

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

// testMetadata returns IdP metadata for entityID with n fresh fixture
// certificates.
func testMetadata(t testing.TB, keys *certstest.Keys, entityID string, n int) []byte {
	t.Helper()
	var cs []*x509.Certificate
	for range n {
		kp, err := certs.New(certs.WithKeySource(keys), certs.WithSubject(entityID))
		if err != nil {
			t.Fatalf("certs.New: %v", err)
		}
		cs = append(cs, kp.Cert)
	}
	md, err := metadata.Build(metadata.IDP{EntityID: entityID, SSOURL: "https://idp.example/sso", SigningCerts: cs})
	if err != nil {
		t.Fatalf("metadata.Build: %v", err)
	}
	return md
}

func openStore(t *testing.T, dir string) *iam.BoltStore {
	t.Helper()
	s, err := iam.OpenBoltStore(dir)
	if err != nil {
		t.Fatalf("OpenBoltStore: %v", err)
	}
	return s
}

// ignoreParsed leaves out the parsed forms, which are rebuilt on load.
var ignoreParsed = cmp.Options{
	cmpopts.IgnoreFields(iam.SAMLProvider{}, "Metadata"),
	cmpopts.IgnoreFields(iam.Role{}, "Trust"),
}

func TestBoltStoreSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keys := certstest.New()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg := iam.Config{Now: func() time.Time { return now }}

	store := openStore(t, dir)
	cfg.Store = store
	a, err := iam.OpenAccount(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateProvider(iam.CreateSAMLProviderInput{Name: "idp", MetadataDocument: testMetadata(t, keys, "https://idp.example", 1),
		Tags: []awsapi.Tag{{Key: "k", Value: "v"}}}); err != nil {
		t.Fatalf("CreateProvider: %v", err)
	}
	if _, err := a.CreateProvider(iam.CreateSAMLProviderInput{Name: "gone", MetadataDocument: testMetadata(t, keys, "https://gone.example", 1)}); err != nil {
		t.Fatalf("CreateProvider: %v", err)
	}
	if _, err := a.UpdateSAMLProvider(a.ProviderARN("idp"), testMetadata(t, keys, "https://idp.example", 2)); err != nil {
		t.Fatalf("UpdateSAMLProvider: %v", err)
	}
	if err := a.DeleteSAMLProvider(a.ProviderARN("gone")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateRole(iam.CreateRoleInput{Name: "r", AssumeRolePolicyDocument: iam.SAMLTrustPolicy(a.ProviderARN("idp"))}); err != nil {
		t.Fatal(err)
	}
	seven := 7200
	if err := a.UpdateRole(iam.UpdateRoleInput{Name: "r", MaxSessionDuration: &seven}); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	cfg.Store = openStore(t, dir)
	t.Cleanup(func() { cfg.Store.(*iam.BoltStore).Close() })
	b, err := iam.OpenAccount(cfg)
	if err != nil {
		t.Fatalf("OpenAccount after restart: %v", err)
	}
	if diff := cmp.Diff(a.SAMLProviders(), b.SAMLProviders(), ignoreParsed); diff != "" {
		t.Errorf("providers after restart (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(a.Roles(), b.Roles(), ignoreParsed); diff != "" {
		t.Errorf("roles after restart (-before +after):\n%s", diff)
	}
	p, err := b.SAMLProvider(b.ProviderARN("idp"))
	if err != nil || len(p.Metadata.SigningCerts) != 2 {
		t.Fatalf("reloaded provider = %v, %v; want the updated metadata with 2 certificates", p, err)
	}
	r, err := b.RoleByName("r")
	if err != nil || r.Trust == nil || r.MaxSessionDuration != 7200 {
		t.Fatalf("reloaded role = %+v, %v; want a parsed trust policy and 7200 s", r, err)
	}
}

func TestAttachStoreKeepsStoredState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keys := certstest.New()
	first := iam.NewAccount(iam.Config{})
	if _, err := first.CreateRole(iam.CreateRoleInput{Name: "default", AssumeRolePolicyDocument: iam.SAMLTrustPolicy(first.ProviderARN("p"))}); err != nil {
		t.Fatal(err)
	}
	store := openStore(t, dir)
	if err := first.AttachStore(store); err != nil {
		t.Fatalf("AttachStore: %v", err)
	}
	desc := "changed in run 1"
	if err := first.UpdateRole(iam.UpdateRoleInput{Name: "default", Description: &desc}); err != nil {
		t.Fatal(err)
	}
	if _, err := first.CreateSAMLProvider("p", testMetadata(t, keys, "https://p.example", 1)); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	// The second run starts from the same defaults, then attaches the store.
	second := iam.NewAccount(iam.Config{})
	if _, err := second.CreateRole(iam.CreateRoleInput{Name: "default", AssumeRolePolicyDocument: iam.SAMLTrustPolicy(second.ProviderARN("p"))}); err != nil {
		t.Fatal(err)
	}
	store = openStore(t, dir)
	t.Cleanup(func() { store.Close() })
	if err := second.AttachStore(store); err != nil {
		t.Fatalf("AttachStore: %v", err)
	}
	r, err := second.RoleByName("default")
	if err != nil || r.Description != desc {
		t.Errorf("role after restart = %+v, %v; want the stored description %q", r, err, desc)
	}
	if _, err := second.SAMLProvider(second.ProviderARN("p")); err != nil {
		t.Errorf("provider after restart: %v", err)
	}
}

// crashHelperEnv makes the test binary act as a process that updates one
// provider in a loop until it is killed.
const crashHelperEnv = "SAMLAB_IAM_CRASH_HELPER_DIR"

// TestCrashHelper is not a test: TestKillDuringUpdates runs the test binary
// with it selected, to have a process to kill -9.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(crashHelperEnv)
	if dir == "" {
		t.Skip("helper process for TestKillDuringUpdates")
	}
	keys := certstest.New()
	// Two documents of very different sizes, so a torn write would show.
	docs := [][]byte{testMetadata(t, keys, "https://idp.example", 1), testMetadata(t, keys, "https://idp.example", 8)}
	for i, d := range docs {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("doc%d.xml", i)), d, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	store, err := iam.OpenBoltStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := iam.OpenAccount(iam.Config{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateSAMLProvider("idp", docs[0]); err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	for i := 1; ; i++ {
		if _, err := a.UpdateSAMLProvider(a.ProviderARN("idp"), docs[i%2]); err != nil {
			t.Fatal(err)
		}
	}
}

// TestKillDuringUpdates kills a process with SIGKILL while it rewrites a
// provider as fast as it can, then checks that the state directory opens and
// holds one of the two complete documents, never a torn one.
func TestKillDuringUpdates(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for round := range 3 {
		dir := t.TempDir()
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashHelperEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 6)
		if _, err := out.Read(buf); err != nil || string(buf[:5]) != "ready" {
			t.Fatalf("helper did not start: %q %v", buf, err)
		}
		time.Sleep(time.Duration(20+round*37) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		var exitErr *exec.ExitError
		if err := cmd.Wait(); !errors.As(err, &exitErr) {
			t.Fatalf("helper exited with %v, want killed", err)
		}
		var want [2][]byte
		for i := range want {
			if want[i], err = os.ReadFile(filepath.Join(dir, fmt.Sprintf("doc%d.xml", i))); err != nil {
				t.Fatal(err)
			}
		}
		store := openStore(t, dir)
		a, err := iam.OpenAccount(iam.Config{Store: store})
		if err != nil {
			t.Fatalf("round %d: OpenAccount after kill -9: %v", round, err)
		}
		p, err := a.SAMLProvider(a.ProviderARN("idp"))
		if err != nil {
			t.Fatalf("round %d: provider after kill -9: %v", round, err)
		}
		if !bytes.Equal(p.MetadataDocument, want[0]) && !bytes.Equal(p.MetadataDocument, want[1]) {
			t.Errorf("round %d: stored metadata (%d bytes) is neither complete document", round, len(p.MetadataDocument))
		}
		if err := store.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: state intact after kill -9 (%d bytes)", round, len(p.MetadataDocument))
	}
}
