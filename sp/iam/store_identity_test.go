package iam_test

import (
	"slices"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

// TestStoreKeepsIdentities reopens a BoltStore and finds users (renamed,
// tagged, with keys, policies and a boundary), groups with members and
// policies, and MFA devices, enabled or not; deleted ones stay deleted.
func TestStoreKeepsIdentities(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openStore(t, dir)
	clock := time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC)
	now := func() time.Time { return clock }
	a, err := iam.OpenAccount(iam.Config{Store: s, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	mustOK := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = a.CreateUser(iam.CreateUserInput{Name: "al", Path: "/eng/", Tags: []awsapi.Tag{{Key: "team", Value: "dev"}}})
	mustOK(err)
	_, err = a.CreateUser(iam.CreateUserInput{Name: "gone"})
	mustOK(err)
	_, err = a.CreateGroup("Developers", "/")
	mustOK(err)
	key, err := a.CreateAccessKey("al")
	mustOK(err)
	mustOK(a.UpdateAccessKey("al", key.AccessKeyID, iam.KeyInactive))
	mustOK(a.UpdateUser("al", "", "alice"))
	mustOK(a.AddUserToGroup("Developers", "alice"))
	mustOK(a.PutUserPolicy("alice", "inline", permissions))
	mustOK(a.AttachUserPolicy("alice", "arn:aws:iam::aws:policy/ReadOnlyAccess"))
	mustOK(a.PutUserPermissionsBoundary("alice", "arn:aws:iam::aws:policy/PowerUserAccess"))
	mustOK(a.PutGroupPolicy("Developers", "g", permissions))
	mustOK(a.AttachGroupPolicy("Developers", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"))
	d, _, err := a.CreateVirtualMFADevice("/", "alice", nil)
	mustOK(err)
	mustOK(a.EnableMFADevice("alice", d.SerialNumber, iam.TOTP(d.Seed, clock.Add(-30*time.Second)), iam.TOTP(d.Seed, clock)))
	_, _, err = a.CreateVirtualMFADevice("/spare/", "spare", nil)
	mustOK(err)
	mustOK(a.DeleteUser("gone"))
	mustOK(s.Close())

	s = openStore(t, dir)
	defer s.Close()
	b, err := iam.OpenAccount(iam.Config{Store: s, Now: now})
	mustOK(err)
	u, err := b.User("alice")
	mustOK(err)
	if u.ARN != "arn:aws:iam::123456789012:user/eng/alice" || len(u.Tags) != 1 || !slices.Equal(u.Groups, []string{"Developers"}) ||
		u.InlinePolicies["inline"] != permissions || len(u.AttachedPolicies) != 1 || u.PermissionsBoundary == "" ||
		len(u.AccessKeys) != 1 || u.AccessKeys[0].Status != iam.KeyInactive || u.AccessKeys[0].SecretAccessKey != key.SecretAccessKey {
		t.Errorf("alice after reopen = %+v", u)
	}
	if _, err := b.User("al"); err == nil {
		t.Error("the old name of a renamed user came back")
	}
	if _, err := b.User("gone"); err == nil {
		t.Error("a deleted user came back")
	}
	g, members, err := b.Group("Developers")
	mustOK(err)
	if len(members) != 1 || g.InlinePolicies["g"] != permissions || len(g.AttachedPolicies) != 1 {
		t.Errorf("Developers after reopen = %+v, members %d", g, len(members))
	}
	devices, err := b.MFADevices("alice")
	mustOK(err)
	if len(devices) != 1 || devices[0].SerialNumber != d.SerialNumber || !slices.Equal(devices[0].Seed, d.Seed) {
		t.Errorf("MFA devices after reopen = %+v", devices)
	}
	if all := b.VirtualMFADevices("Unassigned"); len(all) != 1 || all[0].Name != "spare" {
		t.Errorf("unassigned devices after reopen = %+v", all)
	}
	// The stored key works once active again.
	mustOK(b.UpdateAccessKey("alice", key.AccessKeyID, iam.KeyActive))
	if c, ok := b.Credential(t.Context(), key.AccessKeyID); !ok || c.Caller.ARN != u.ARN {
		t.Errorf("Credential after reopen = %+v, %v", c, ok)
	}
}

// TestAttachStoreKeepsIdentities: identities created in memory before a
// store is attached are written to it.
func TestAttachStoreKeepsIdentities(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := iam.NewAccount(iam.Config{})
	a.SetAdministrators("arn:aws:iam::123456789012:user/admin")
	if _, err := a.CreateUser(iam.CreateUserInput{Name: "early"}); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, dir)
	if err := a.AttachStore(s); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateGroup("Late", "/"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir)
	defer s.Close()
	b, err := iam.OpenAccount(iam.Config{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.User("early"); err != nil {
		t.Errorf("user created before AttachStore: %v", err)
	}
	if _, _, err := b.Group("Late"); err != nil {
		t.Errorf("group created after AttachStore: %v", err)
	}
}
