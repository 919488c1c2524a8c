package iam

import (
	"context"
	"crypto/hmac"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/policy"
)

// What the account's users give to STS: their MFA devices, for the
// SerialNumber and TokenCode of AssumeRole and GetSessionToken, and their
// identity-based policies, which authorize their STS calls. The methods use
// only basic types and sp/policy, so STS names them by interfaces of its own
// and this package does not import STS.

// VerifyTOTP checks code against the virtual MFA device serialNumber enabled
// for the IAM user userARN, at now. device is false when no such device is
// enabled for that user; valid is false when the code is not the device's
// code for the time step holding now or one step either side (a clock a step
// off, as authenticator apps drift), or when a code of that step or a later
// one was already accepted: a code is used once, as AWS uses it.
func (a *Account) VerifyTOTP(userARN, serialNumber, code string, now time.Time) (device, valid bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.userByARNLocked(userARN)
	if u == nil {
		return false, false
	}
	d, ok := a.ids.mfa[serialNumber]
	if !ok || d.UserName != u.Name {
		return false, false
	}
	return true, a.useCodeLocked(d, code, now)
}

// useCodeLocked accepts code if it is d's code within one step of now and
// newer than the last code accepted, and records its step. The caller holds
// a.mu for writing.
func (a *Account) useCodeLocked(d *MFADevice, code string, now time.Time) bool {
	cur := now.Unix() / int64(TOTPStep/time.Second)
	for s := cur + 1; s >= cur-1; s-- {
		if s > d.LastStep && hmac.Equal([]byte(totpAt(d.Seed, s)), []byte(code)) {
			nd := d.clone()
			nd.LastStep = s
			return a.putMFA(nd) == nil
		}
	}
	return false
}

// userByARNLocked finds a user by ARN (path included); nil when none.
func (a *Account) userByARNLocked(arn string) *User {
	i := strings.LastIndexByte(arn, '/')
	if i < 0 {
		return nil
	}
	if u, ok := a.ids.users[arn[i+1:]]; ok && u.ARN == arn {
		return u
	}
	return nil
}

// UserPolicies returns the identity-based policies of the IAM user userARN
// as STS evaluates them: the user's inline and attached policies, then its
// groups', and its permissions boundary (nil when none). An administrator
// named by SetAdministrators that is not a user of the account (a lab's
// admin key) has AdministratorAccess; a stored user with the same ARN is an
// ordinary user, since STS knows the caller by ARN only. Any other unknown
// user (deleted since it signed in) has no policy, so is allowed nothing.
//
// A stored policy that sp/policy cannot read refuses the caller (AccessDenied)
// rather than being skipped, since skipping it could skip a Deny: the same
// fail-closed rule as IAM calls follow.
func (a *Account) UserPolicies(userARN string) ([]*policy.Policy, *policy.Policy, error) {
	a.mu.RLock()
	u := a.userByARNLocked(userARN)
	var pp principalPolicies
	switch {
	case u != nil:
		pp = a.userPoliciesLocked(u)
	case slices.Contains(a.ids.admins, userARN):
		arn := fmt.Sprintf("arn:%s:iam::aws:policy/AdministratorAccess", a.partition)
		mp, err := a.policyLocked(arn, policyNotFound)
		a.mu.RUnlock()
		if err != nil {
			return nil, nil, fmt.Errorf("administrator %s: %w", userARN, err)
		}
		p, err := parseCached(mp.Document, policy.KindIdentity, arn)
		if err != nil {
			return nil, nil, fmt.Errorf("administrator %s: %w", userARN, err)
		}
		return []*policy.Policy{p}, nil, nil
	}
	a.mu.RUnlock()
	in, err := pp.input()
	if err != nil {
		// samlab's own wording: AWS cannot hold a policy it cannot read.
		return nil, nil, &awsapi.Error{Code: awsapi.CodeAccessDenied, Status: http.StatusForbidden,
			Message: fmt.Sprintf("User: %s is not authorized to perform this action because one of its policies cannot be evaluated", userARN),
			Err:     err}
	}
	return in.Identity, in.Boundary, nil
}

// RecordKeyUse wraps operations of other services than IAM (STS's) so that
// a call signed with an access key of one of the account's users updates the
// key's last-used record (GetAccessKeyLastUsed), as every call signed with a
// key does on AWS. IAM's own operations record it when they authorize the
// call. The region is us-east-1, the only one samlab serves.
func (a *Account) RecordKeyUse(ops []awsapi.Operation) []awsapi.Operation {
	out := make([]awsapi.Operation, len(ops))
	for i, op := range ops {
		out[i] = op
		if op.Service.Name == awsapi.IAM().Name || op.Auth != awsapi.AuthSigV4 {
			continue
		}
		next, service := op.Handle, op.Service.Name
		out[i].Handle = func(ctx context.Context, r *awsapi.Request) (any, error) {
			if r.Caller.Type == "IAMUser" && r.Caller.SessionToken == "" && r.Caller.AccessKeyID != "" {
				a.noteKeyUse(r.Caller.AccessKeyID, service, "us-east-1", r.Time)
			}
			return next(ctx, r)
		}
	}
	return out
}
