package sts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/policy"
	"github.com/samlab-dev/samlab/sp/sts/sessiontoken"
)

// AssumeRoleInput is the request of AssumeRole. Pointers are members that
// may be absent (nil) rather than empty.
type AssumeRoleInput struct {
	RoleARN, RoleSessionName *string
	DurationSeconds          *int
	Policy                   *string
	PolicyARNs               []string
	Tags                     []awsapi.Tag
	TransitiveTagKeys        []string
	ExternalID               *string
	SerialNumber, TokenCode  *string
	SourceIdentity           *string
	// SourceIP is the caller's address, aws:SourceIp.
	SourceIP string
}

// AssumeRoleOutput is the result of AssumeRole.
type AssumeRoleOutput struct {
	Credentials      Credentials
	AssumedRoleUser  AssumedRoleUser
	PackedPolicySize *int
	SourceIdentity   string
	Session          *Session
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// validateAssumeRole checks the members against the service model, all
// violations at once, in the model's member order.
func validateAssumeRole(in AssumeRoleInput) error {
	var c checks
	if c.required("roleArn", in.RoleARN != nil) {
		c.str("roleArn", *in.RoleARN, false, 20, 2048, arnValueRE, arnPattern)
	}
	if c.required("roleSessionName", in.RoleSessionName != nil) {
		c.str("roleSessionName", *in.RoleSessionName, false, 2, 64, fedSessionNameRE, namePattern)
	}
	c.policies(in.Policy, in.PolicyARNs)
	c.duration("durationSeconds", in.DurationSeconds, MinDuration, MaxDuration)
	c.tags(in.Tags)
	for i, k := range in.TransitiveTagKeys {
		c.str(fmt.Sprintf("transitiveTagKeys.%d.member", i+1), k, false, 1, 128, fedTagKeyRE, tagKeyPattern)
	}
	if len(in.TransitiveTagKeys) > maxSessionTags {
		c.addValue("", "transitiveTagKeys", "have length less than or equal to %d", maxSessionTags)
	}
	if in.ExternalID != nil {
		c.str("externalId", *in.ExternalID, false, 2, 1224, externalIDRE, externalIDPattern)
	}
	if in.SerialNumber != nil {
		c.str("serialNumber", *in.SerialNumber, false, 9, 256, serialNumberRE, serialPattern)
	}
	if in.TokenCode != nil {
		c.str("tokenCode", *in.TokenCode, false, 6, 6, tokenCodeRE, tokenCodePattern)
	}
	if in.SourceIdentity != nil {
		c.str("sourceIdentity", *in.SourceIdentity, false, 2, 64, fedSessionNameRE, namePattern)
	}
	return c.err()
}

// AssumeRole issues credentials for a role to the caller (an IAM user, or a
// session: role chaining). The role is of this account or, across accounts,
// of one FederationConfig.Accounts finds; the credentials then belong to
// that account, sealed with its session keys. The checks, in order:
//
//  1. the members, against the service model (ValidationError);
//  2. the caller: not the root user, not a federated user (AccessDenied);
//  3. the role ARN's form (ValidationError "Request ARN is invalid");
//  4. SerialNumber/TokenCode with the MFA verifier (AccessDenied);
//  5. SourceIdentity: no "aws:" prefix, and no change along a chain;
//  6. sts:AssumeRole (plus sts:TagSession with tags, sts:SetSourceIdentity
//     with a source identity, inherited ones included) evaluated with
//     sp/policy: the role's trust policy with the caller as principal, and
//     the caller's identity-based, boundary and session policies, with
//     sts:ExternalId, sts:RoleSessionName, sts:SourceIdentity,
//     aws:MultiFactorAuthPresent, aws:PrincipalTag/*, aws:RequestTag/*,
//     aws:TokenIssueTime and the rest (AccessDenied with AWS's message).
//     Across accounts both sides must allow: the caller's identity-based
//     policies in its account and the trust policy in the role's (the
//     cross-account rule of sp/policy). A role that does not exist, or is in
//     an account not served, is refused the same way, as AWS does not reveal
//     which roles exist;
//  7. DurationSeconds: at most 1 hour when chaining (temporary
//     credentials), then at most the role's MaxSessionDuration;
//  8. session tags merged with the transitive tags the caller passes on;
//  9. the session policy's JSON and PackedPolicySize.
func (f *Federation) AssumeRole(_ context.Context, caller *Caller, in AssumeRoleInput) (*AssumeRoleOutput, error) {
	now := f.svc.now().UTC()
	if err := validateAssumeRole(in); err != nil {
		return nil, err
	}
	roleARN, sessionName := *in.RoleARN, *in.RoleSessionName
	if caller.Root() {
		return nil, accessDenied(msgRootAssumeRole, fmt.Errorf("%s called AssumeRole", caller.ARN))
	}
	sess := caller.Session
	if sess != nil && sess.Kind == sessiontoken.KindFederatedUser {
		return nil, accessDenied(fmt.Sprintf(msgSessionSTS, "AssumeRole"), fmt.Errorf("%s is a federated user", caller.ARN))
	}
	if !fedRoleARNRE.MatchString(roleARN) {
		return nil, validationError(msgRoleARN, fmt.Errorf("%q is not a role ARN", roleARN))
	}
	mfa, err := f.checkMFA(caller, deref(in.SerialNumber), deref(in.TokenCode), now)
	if err != nil {
		return nil, err
	}
	sourceIdentity := deref(in.SourceIdentity)
	if strings.HasPrefix(strings.ToLower(sourceIdentity), "aws:") {
		return nil, validationError(msgSourceIdentityPrefix, fmt.Errorf("SourceIdentity %q", sourceIdentity))
	}
	if sess != nil && sess.SourceIdentity != "" {
		if sourceIdentity != "" && sourceIdentity != sess.SourceIdentity {
			return nil, validationError(msgSourceIdentityChanged,
				fmt.Errorf("SourceIdentity %q, the caller's session has %q", sourceIdentity, sess.SourceIdentity))
		}
		sourceIdentity = sess.SourceIdentity
	}
	tags, transitive, tagErr := mergeSessionTags(sess, in.Tags, in.TransitiveTagKeys)

	// Step 6: authorization.
	ctx := f.conditionKeys(caller, now, in.SourceIP)
	ctx["sts:RoleSessionName"] = []string{sessionName}
	if in.ExternalID != nil {
		ctx["sts:ExternalId"] = []string{*in.ExternalID}
	}
	if sourceIdentity != "" {
		ctx["sts:SourceIdentity"] = []string{sourceIdentity}
	}
	if mfa {
		ctx["aws:MultiFactorAuthPresent"] = []string{"true"}
		ctx["aws:MultiFactorAuthAge"] = []string{"0"}
	}
	requestTagKeys(ctx, in.Tags, in.TransitiveTagKeys)
	target, role := f.roleForARN(roleARN)
	var trust *policy.Policy
	if role != nil {
		if trust, err = policy.Parse(role.AssumeRolePolicyDocument, policy.KindTrust); err != nil {
			trust = nil
		}
	}
	if trust == nil {
		// No such role here, or an unreadable trust policy: nothing allows.
		trust = &policy.Policy{Name: roleARN, Kind: policy.KindTrust}
	}
	actions := []string{"sts:AssumeRole"}
	if len(in.Tags) > 0 || len(in.TransitiveTagKeys) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if sourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	for _, act := range actions {
		if err := f.authorize(caller, act, roleARN, trust, ctx); err != nil {
			return nil, err
		}
	}
	// Step 7: duration.
	chained := sess != nil
	dur := DefaultDuration
	if in.DurationSeconds != nil {
		dur = *in.DurationSeconds
	}
	if chained && dur > MaxChainedDuration {
		return nil, validationError(msgChainedDuration, fmt.Errorf("DurationSeconds %d with temporary credentials of %s", dur, caller.ARN))
	}
	if dur > role.MaxSessionDuration {
		return nil, validationError(msgDurationExceedsMax, fmt.Errorf("DurationSeconds %d > MaxSessionDuration %d", dur, role.MaxSessionDuration))
	}
	// Steps 8-9.
	if tagErr != nil {
		return nil, tagErr
	}
	packed, err := packedSize(deref(in.Policy), in.PolicyARNs, tags)
	if err != nil {
		return nil, err
	}
	if err := checkSessionPolicy(in.Policy); err != nil {
		return nil, err
	}
	if sess != nil && sess.MFA {
		mfa = true // unverified: MFA carries over to a chained session
	}
	issued, err := target.issueClaims(sessiontoken.Claims{RoleARN: role.ARN, RoleID: role.RoleID, SessionName: sessionName,
		SourceIdentity: sourceIdentity, Tags: tags, TransitiveTagKeys: transitive, MFA: mfa, Chained: chained,
		Policy: deref(in.Policy), PolicyARNs: in.PolicyARNs,
		IssuedAt: now.Truncate(time.Second), Expires: now.Add(time.Duration(dur) * time.Second).Truncate(time.Second)})
	if err != nil {
		return nil, err
	}
	f.svc.logger.Info("AssumeRole", "caller", caller.ARN, "role_arn", role.ARN, "assumed_role_arn", issued.ARN,
		"chained", chained, "mfa", mfa, "credentials", issued.Credentials)
	return &AssumeRoleOutput{Credentials: issued.Credentials, AssumedRoleUser: AssumedRoleUser{ARN: issued.ARN, AssumedRoleID: issued.UserID},
		PackedPolicySize: packed, SourceIdentity: sourceIdentity, Session: issued}, nil
}
