package iam_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

func TestBoltStoreMeta(t *testing.T) {
	t.Parallel()
	s := openStore(t, t.TempDir())
	defer s.Close()
	if v, err := s.Meta("admin-key"); err != nil || v != nil {
		t.Errorf("Meta of an absent key = %q, %v, want nil, nil", v, err)
	}
	if err := s.SetMeta("admin-key", []byte("AKIA…")); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Meta("admin-key"); err != nil || !bytes.Equal(v, []byte("AKIA…")) {
		t.Errorf("Meta = %q, %v, want the value set", v, err)
	}
}

// TestStoreFailures: a store that cannot write makes the change fail with
// ServiceFailure and leaves the account as it was.
func TestStoreFailures(t *testing.T) {
	t.Parallel()
	s := openStore(t, t.TempDir())
	a := iam.NewAccount(iam.Config{Store: s})
	if _, err := a.CreateRole(iam.CreateRoleInput{Name: "Admin", AssumeRolePolicyDocument: iam.SAMLTrustPolicy(a.ProviderARN("idp"))}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "DeleteRole on a closed store", a.DeleteRole("Admin"), awsapi.CodeServiceFailure)
	if _, err := a.RoleByName("Admin"); err != nil {
		t.Errorf("role after a failed DeleteRole: %v, want it kept", err)
	}
}

// failingPuts is a BoltStore whose PutProvider fails, as a full disk would.
type failingPuts struct{ *iam.BoltStore }

var errDiskFull = errors.New("disk full")

func (failingPuts) PutProvider(*iam.SAMLProvider) error { return errDiskFull }

func TestAttachStoreFailure(t *testing.T) {
	t.Parallel()
	a := iam.NewAccount(iam.Config{})
	if _, err := a.CreateSAMLProvider("idp", testMetadata(t, certstest.New(), "https://idp.example", 1)); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, t.TempDir())
	defer s.Close()
	err := a.AttachStore(failingPuts{s})
	if !errors.Is(err, errDiskFull) || !strings.Contains(err.Error(), a.ProviderARN("idp")) {
		t.Errorf("AttachStore with a failing store = %v, want the cause and the provider", err)
	}
	if _, err := a.SAMLProvider(a.ProviderARN("idp")); err != nil {
		t.Errorf("provider after a failed AttachStore: %v, want it kept", err)
	}
}
