package iam_test

import (
	"testing"

	"github.com/samlab-dev/samlab/sp/iam"
)

// TestStoreKeepsPoliciesAndAlias reopens a BoltStore with OpenAccount and
// finds the customer managed policy, the role's policies and the alias.
func TestStoreKeepsPoliciesAndAlias(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openStore(t, dir)
	a, err := iam.OpenAccount(iam.Config{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateRole(iam.CreateRoleInput{Name: "R", AssumeRolePolicyDocument: trust}); err != nil {
		t.Fatal(err)
	}
	p, err := a.CreatePolicy(iam.CreatePolicyInput{Name: "mine", Document: permissions})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{a.AttachRolePolicy("R", p.ARN), a.PutRolePolicy("R", "inline", permissions),
		a.PutRolePermissionsBoundary("R", "arn:aws:iam::aws:policy/AdministratorAccess"), a.CreateAccountAlias("kept-alias")} {
		if err != nil {
			t.Fatal(err)
		}
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
	if got, err := b.Policy(p.ARN); err != nil || got.Document != permissions || got.PolicyID != p.PolicyID {
		t.Errorf("Policy after reopen = %+v, %v", got, err)
	}
	r, err := b.RoleByName("R")
	if err != nil || len(r.AttachedPolicies) != 1 || r.InlinePolicies["inline"] != permissions ||
		r.PermissionsBoundary != "arn:aws:iam::aws:policy/AdministratorAccess" {
		t.Errorf("role after reopen = %+v, %v", r, err)
	}
	if got := b.AccountAlias(); got != "kept-alias" {
		t.Errorf("AccountAlias after reopen = %q", got)
	}
}
