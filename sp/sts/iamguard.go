package sts

import (
	"context"
	"fmt"
	"net/http"

	"github.com/samlab-dev/samlab/sp/awsapi"
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
//
// Everything else about IAM authorization is the IAM package's one path
// (its authorizer, with the session policies this package gives it through
// SessionPolicies): a role session denied by its role's policy, boundary or
// session policy, such as the console's AWSRevokeOlderSessions, is refused
// there with AWS's full wording, "on resource:" included.
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
	return nil
}
