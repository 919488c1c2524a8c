package sts

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/policy"
)

// TestGuardIAM pins what temporary credentials may not do in IAM: sessions
// from GetSessionToken without MFA and federated users are refused as an
// invalid token; long-term keys, MFA sessions, role sessions and other
// services pass to the operation, whose authorizer decides with the
// role's and the session's policies (the one refusal path for policies,
// tested over HTTP in scenarios). The sessions are real ones, issued by
// this STS.
func TestGuardIAM(t *testing.T) {
	t.Parallel()
	e := newPipelineEnv(t)
	// The user's own policy explicitly denies ListRoles: the guard must
	// still pass an MFA session of the user to the operation, whose
	// authorizer refuses it with the full AWS wording (one refusal path).
	denyListRoles, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:ListRoles","Resource":"*"}]}`, policy.KindIdentity)
	if err != nil {
		t.Fatal(err)
	}
	f := e.sts.NewFederation(FederationConfig{MFA: fixedMFA{device: true, valid: true},
		Users: UserPoliciesFunc(func(string) ([]*policy.Policy, *policy.Policy, error) {
			return []*policy.Policy{denyListRoles}, nil, nil
		})})
	ctx := t.Context()
	s := func(v string) *string { return &v }

	calls := 0
	next := func(context.Context, *awsapi.Request) (any, error) { calls++; return "ok", nil }
	ops := f.GuardIAM([]awsapi.Operation{
		{Service: awsapi.IAM(), Action: "ListRoles", Handle: next},
		{Service: awsapi.IAM(), Action: "DeleteRole", Handle: next},
		{Service: awsapi.STS(), Action: "GetCallerIdentity", Handle: next},
	})
	listRoles, deleteRole, getCaller := ops[0].Handle, ops[1].Handle, ops[2].Handle

	user := &Caller{ARN: "arn:aws:iam::123456789012:user/u", UserID: "AIDAU", Account: "123456789012"}
	root := &Caller{ARN: "arn:aws:iam::123456789012:root", UserID: "123456789012", Account: "123456789012"}
	noMFA, err := f.GetSessionToken(ctx, user, GetSessionTokenInput{})
	if err != nil {
		t.Fatalf("GetSessionToken: %v", err)
	}
	withMFA, err := f.GetSessionToken(ctx, user, GetSessionTokenInput{SerialNumber: s("arn:aws:iam::123456789012:mfa/u"), TokenCode: s("123456")})
	if err != nil {
		t.Fatalf("GetSessionToken with MFA: %v", err)
	}
	fed, err := f.GetFederationToken(ctx, root, GetFederationTokenInput{Name: s("ops")})
	if err != nil {
		t.Fatalf("GetFederationToken: %v", err)
	}
	role, err := e.assume(t, awsResponse{})
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML: %v", err)
	}
	// The role's own policy denies DeleteRole on every resource.
	if err := e.sts.acct.PutRolePolicy("SAMLAdmin", "NoDelete",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:DeleteRole","Resource":"*"}]}`); err != nil {
		t.Fatalf("PutRolePolicy: %v", err)
	}
	callerOf := func(c Credentials, arn string) awsapi.Caller {
		return awsapi.Caller{ARN: arn, AccountID: "123456789012", AccessKeyID: c.AccessKeyID, SessionToken: c.SessionToken}
	}

	tests := []struct {
		name   string
		handle awsapi.HandlerFunc
		caller awsapi.Caller
		code   awsapi.Code // "" passes to the operation
	}{
		{"long-term key", listRoles, awsapi.Caller{ARN: user.ARN, AccountID: "123456789012", AccessKeyID: "AKIAEXAMPLE"}, ""},
		{"session without MFA", listRoles, callerOf(noMFA.Credentials, user.ARN), awsapi.CodeInvalidClientTokenID},
		{"session without MFA, another service", getCaller, callerOf(noMFA.Credentials, user.ARN), ""},
		{"session with MFA, its user's policy denies the action", listRoles, callerOf(withMFA.Credentials, user.ARN), ""},
		{"federated user", listRoles, callerOf(fed.Credentials, fed.FederatedUserARN), awsapi.CodeInvalidClientTokenID},
		{"role session, allowed action", listRoles, callerOf(role.Credentials, role.AssumedRoleUser.ARN), ""},
		// Left to IAM's authorizer, which answers with "on resource:".
		{"role session, explicitly denied action", deleteRole, callerOf(role.Credentials, role.AssumedRoleUser.ARN), ""},
		{"unknown session token", listRoles, awsapi.Caller{ARN: user.ARN, AccessKeyID: "ASIAUNKNOWN", SessionToken: "bogus"}, awsapi.CodeInvalidClientTokenID},
	}
	for _, tt := range tests {
		before := calls
		_, err := tt.handle(ctx, &awsapi.Request{Caller: tt.caller})
		if tt.code == "" {
			if err != nil || calls != before+1 {
				t.Errorf("%s: %v (operation called %d times), want the operation to run", tt.name, err, calls-before)
			}
			continue
		}
		var apiErr *awsapi.Error
		if !errors.As(err, &apiErr) || apiErr.Code != tt.code || apiErr.Status != http.StatusForbidden {
			t.Errorf("%s: %v, want %s 403", tt.name, err, tt.code)
		}
		if calls != before {
			t.Errorf("%s: the operation ran although refused", tt.name)
		}
	}
}
