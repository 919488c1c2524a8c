package sts

import (
	"context"
	"fmt"
	"net/http"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/policy"
	"github.com/samlab-dev/samlab/sp/sts/sessiontoken"
)

// GuardIAM wraps IAM operations with what temporary credentials may not do
// there, before the operation runs:
//
//   - GetSessionToken credentials without MFA get InvalidClientTokenId (403)
//     "The security token included in the request is invalid." (seen:
//     cloudyr/aws.iam#15, aws/aws-sdk-js#460; the IAM User Guide: IAM calls
//     need MFA in the GetSessionToken request);
//   - federated users (GetFederationToken) get the same answer: the STS
//     reference says they cannot call IAM at all (the code is unverified);
//   - a role session is refused when one of its role's policies, its
//     boundary or its session policies explicitly denies the action with a
//     Resource of "*" (such as the console's AWSRevokeOlderSessions), with
//     AWS's explicit-deny AccessDenied. Other IAM authorization (allows,
//     resource-specific statements) is the IAM package's.
//
// Long-term keys, and operations of services other than IAM, pass through
// unchanged.
func (f *Federation) GuardIAM(ops []awsapi.Operation) []awsapi.Operation {
	out := make([]awsapi.Operation, len(ops))
	for i, op := range ops {
		out[i] = op
		if op.Service.Name != awsapi.IAM().Name {
			continue
		}
		next := op.Handle
		action := "iam:" + op.Action
		op.Handle = func(ctx context.Context, r *awsapi.Request) (any, error) {
			if r.Caller.SessionToken != "" {
				if err := f.guard(r, action); err != nil {
					return nil, err
				}
			}
			return next(ctx, r)
		}
		out[i] = op
	}
	return out
}

func (f *Federation) guard(r *awsapi.Request, action string) error {
	caller, err := f.CallerOf(r.Caller)
	if err != nil {
		return err
	}
	s := caller.Session
	if (s.Kind == sessiontoken.KindUser && !s.MFA) || s.Kind == sessiontoken.KindFederatedUser {
		return &awsapi.Error{Code: awsapi.CodeInvalidClientTokenID, Status: http.StatusForbidden,
			Message: "The security token included in the request is invalid.",
			Err:     fmt.Errorf("%s credentials of %s cannot call IAM", s.Kind, caller.ARN)}
	}
	if !s.IsRole() {
		return nil
	}
	identity, boundary, session, err := f.identityPolicies(caller)
	if err != nil {
		return err
	}
	// Only explicit denies are decided here: evaluate as if everything were
	// allowed, so that the only way to be refused is a Deny.
	allowAll, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, policy.KindIdentity)
	if err != nil {
		return fmt.Errorf("allow-all policy: %w", err)
	}
	sessionAll := session
	if len(session) > 0 {
		sessionAll = append(append([]*policy.Policy{}, session...), allowAll)
	}
	var boundaryAll *policy.Policy
	if boundary != nil {
		b := *boundary
		b.Statements = append(append([]policy.Statement{}, boundary.Statements...), allowAll.Statements...)
		boundaryAll = &b
	}
	d := policy.Evaluate(policy.Input{
		Request:  policy.Request{Principal: caller.principal(), Action: action, Context: f.conditionKeys(caller, f.svc.now(), r.SourceIP)},
		Identity: append(append([]*policy.Policy{}, identity...), allowAll), Boundary: boundaryAll, Session: sessionAll,
	})
	if d.Allowed || !d.Explicit {
		return nil
	}
	return &awsapi.Error{Code: awsapi.CodeAccessDenied, Status: http.StatusForbidden, Message: d.Message(),
		Err: fmt.Errorf("%s %s: %s", caller.ARN, action, d)}
}
