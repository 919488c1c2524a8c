package sts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/sts/sessiontoken"
)

// GetSessionTokenInput is the request of GetSessionToken.
type GetSessionTokenInput struct {
	DurationSeconds         *int
	SerialNumber, TokenCode *string
}

// GetSessionToken issues temporary credentials for the IAM user (or root
// user) calling with long-term keys, marked MFA-authenticated when
// SerialNumber/TokenCode verify. Durations are 900 to 129,600 seconds
// (default 43,200); the root user's are cut to 3,600. No policy is
// evaluated: AWS requires no permission for it. Temporary credentials are
// refused with AccessDenied "Cannot call GetSessionToken with session
// credentials".
func (f *Federation) GetSessionToken(_ context.Context, caller *Caller, in GetSessionTokenInput) (*Session, error) {
	now := f.svc.now().UTC()
	var c checks
	c.duration("durationSeconds", in.DurationSeconds, MinDuration, MaxUserSessionDuration)
	if in.SerialNumber != nil {
		c.str("serialNumber", *in.SerialNumber, false, 9, 256, serialNumberRE, serialPattern)
	}
	if in.TokenCode != nil {
		c.str("tokenCode", *in.TokenCode, false, 6, 6, tokenCodeRE, tokenCodePattern)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	if caller.Session != nil {
		return nil, accessDenied(msgGSTWithSession, fmt.Errorf("%s called with temporary credentials", caller.ARN))
	}
	mfa, err := f.checkMFA(caller, deref(in.SerialNumber), deref(in.TokenCode), now)
	if err != nil {
		return nil, err
	}
	dur := userSessionDuration(caller, in.DurationSeconds)
	sess, err := f.svc.issueClaims(sessiontoken.Claims{Kind: sessiontoken.KindUser, UserARN: caller.ARN, UserID: caller.UserID,
		MFA: mfa, IssuedAt: now.Truncate(time.Second), Expires: now.Add(dur).Truncate(time.Second)})
	if err != nil {
		return nil, err
	}
	f.svc.logger.Info("GetSessionToken", "caller", caller.ARN, "mfa", mfa, "credentials", sess.Credentials)
	return sess, nil
}

// userSessionDuration applies GetSessionToken's and GetFederationToken's
// default and the root user's one-hour cap.
func userSessionDuration(caller *Caller, d *int) time.Duration {
	n := DefaultUserSessionDuration
	if d != nil {
		n = *d
	}
	if caller.Root() && n > MaxRootSessionDuration {
		n = MaxRootSessionDuration
	}
	return time.Duration(n) * time.Second
}

// GetFederationTokenInput is the request of GetFederationToken.
type GetFederationTokenInput struct {
	Name            *string
	Policy          *string
	PolicyARNs      []string
	DurationSeconds *int
	Tags            []awsapi.Tag
	SourceIP        string
}

// GetFederationTokenOutput is the result of GetFederationToken.
type GetFederationTokenOutput struct {
	Credentials Credentials
	// FederatedUserARN is arn:aws:sts::ACCOUNT:federated-user/NAME and
	// FederatedUserID is ACCOUNT:NAME.
	FederatedUserARN, FederatedUserID string
	PackedPolicySize                  *int
	Session                           *Session
}

// GetFederationToken issues a federated user session for the IAM user (or
// root user) calling with long-term keys. The caller's identity-based
// policies must allow sts:GetFederationToken on the federated user's ARN
// (and sts:TagSession when Tags are passed). The session's permissions are
// the intersection of the user's policies and the session policies passed;
// without session policies it has none (STS API reference).
func (f *Federation) GetFederationToken(_ context.Context, caller *Caller, in GetFederationTokenInput) (*GetFederationTokenOutput, error) {
	now := f.svc.now().UTC()
	var c checks
	if c.required("name", in.Name != nil) {
		c.str("name", *in.Name, false, 2, 32, fedSessionNameRE, namePattern)
	}
	c.policies(in.Policy, in.PolicyARNs)
	c.duration("durationSeconds", in.DurationSeconds, MinDuration, MaxUserSessionDuration)
	c.tags(in.Tags)
	if err := c.err(); err != nil {
		return nil, err
	}
	if caller.Session != nil {
		return nil, accessDenied(msgGFTWithSession, fmt.Errorf("%s called with temporary credentials", caller.ARN))
	}
	name := *in.Name
	partition, account := arnPartition(caller.ARN), caller.Account
	fedARN := fmt.Sprintf("arn:%s:sts::%s:federated-user/%s", partition, account, name)
	ctx := f.conditionKeys(caller, now, in.SourceIP)
	requestTagKeys(ctx, in.Tags, nil)
	if err := f.authorize(caller, "sts:GetFederationToken", fedARN, nil, ctx); err != nil {
		return nil, err
	}
	if len(in.Tags) > 0 {
		if err := f.authorize(caller, "sts:TagSession", fedARN, nil, ctx); err != nil {
			return nil, err
		}
	}
	tags, _, err := mergeSessionTags(nil, in.Tags, nil)
	if err != nil {
		return nil, err
	}
	packed, err := packedSize(deref(in.Policy), in.PolicyARNs, tags)
	if err != nil {
		return nil, err
	}
	if err := checkSessionPolicy(in.Policy); err != nil {
		return nil, err
	}
	dur := userSessionDuration(caller, in.DurationSeconds)
	sess, err := f.svc.issueClaims(sessiontoken.Claims{Kind: sessiontoken.KindFederatedUser, UserARN: caller.ARN, UserID: caller.UserID,
		SessionName: name, Tags: tags, Policy: deref(in.Policy), PolicyARNs: in.PolicyARNs,
		IssuedAt: now.Truncate(time.Second), Expires: now.Add(dur).Truncate(time.Second)})
	if err != nil {
		return nil, err
	}
	f.svc.logger.Info("GetFederationToken", "caller", caller.ARN, "federated_user", sess.ARN, "credentials", sess.Credentials)
	return &GetFederationTokenOutput{Credentials: sess.Credentials, FederatedUserARN: sess.ARN, FederatedUserID: sess.UserID,
		PackedPolicySize: packed, Session: sess}, nil
}

// arnPartition returns the partition of an ARN ("aws" when it has none).
func arnPartition(arn string) string {
	if parts := strings.SplitN(arn, ":", 3); len(parts) == 3 && parts[1] != "" {
		return parts[1]
	}
	return "aws"
}

// GetAccessKeyInfo returns the account an access key ID belongs to, read from
// the key ID itself as AWS does: it works for any well-formed key ID, even
// one of another account or one never issued. The caller needs
// sts:GetAccessKeyInfo.
func (f *Federation) GetAccessKeyInfo(_ context.Context, caller *Caller, accessKeyID *string, sourceIP string) (string, error) {
	var c checks
	if c.required("accessKeyId", accessKeyID != nil) {
		c.str("accessKeyId", *accessKeyID, false, 16, 128, accessKeyIDRE, accessKeyPattern)
	}
	if err := c.err(); err != nil {
		return "", err
	}
	if err := f.denyFederatedUser(caller, "GetAccessKeyInfo"); err != nil {
		return "", err
	}
	if err := f.authorize(caller, "sts:GetAccessKeyInfo", "", nil, f.conditionKeys(caller, f.svc.now(), sourceIP)); err != nil {
		return "", err
	}
	acct, ok := awsapi.AccountOfAccessKeyID(*accessKeyID)
	if !ok {
		// AWS's answer for a key ID that is not 20 characters of its
		// alphabet is unverified; the model's constraints pass it.
		return "", validationError(fmt.Sprintf("Invalid AccessKeyId %s", *accessKeyID), fmt.Errorf("%q does not decode", *accessKeyID)) // unverified
	}
	return acct, nil
}

// denyFederatedUser refuses STS operations to federated users, which may only
// call GetCallerIdentity (STS API reference, GetFederationToken), and to
// GetSessionToken sessions without MFA, which may only call AssumeRole and
// GetCallerIdentity.
func (f *Federation) denyFederatedUser(caller *Caller, op string) error {
	if s := caller.Session; s != nil && (s.Kind == sessiontoken.KindFederatedUser || s.Kind == sessiontoken.KindUser) {
		return accessDenied(fmt.Sprintf(msgSessionSTS, op), fmt.Errorf("%s session of %s", s.Kind, caller.ARN))
	}
	return nil
}
