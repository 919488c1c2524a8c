package sts

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/policy"
	"github.com/samlab-dev/samlab/sp/sts/sessiontoken"
)

// MFA checks the codes of virtual MFA devices for STS's SerialNumber and
// TokenCode parameters. IAM's MFA devices implement it; STS only asks. It
// uses only basic types, so the IAM package implements it without
// importing this one.
type MFA interface {
	// VerifyTOTP checks the time-based one-time password code of the MFA
	// device serialNumber (its ARN) at now. device is false when no such
	// device is enabled for userARN, the IAM user calling; valid is false
	// when the code is wrong or was already used.
	VerifyTOTP(userARN, serialNumber, code string, now time.Time) (device, valid bool)
}

// UserPolicies finds the identity-based policies of IAM users: their inline
// and attached policies and their groups', and their permissions boundary
// (nil when none). IAM's users implement it.
type UserPolicies interface {
	UserPolicies(userARN string) (identity []*policy.Policy, boundary *policy.Policy, err error)
}

// UserPoliciesFunc adapts a function to UserPolicies.
type UserPoliciesFunc func(userARN string) ([]*policy.Policy, *policy.Policy, error)

// UserPolicies calls f.
func (f UserPoliciesFunc) UserPolicies(userARN string) ([]*policy.Policy, *policy.Policy, error) {
	return f(userARN)
}

// FederationConfig configures the STS operations that authenticate their
// caller: AssumeRole, GetSessionToken, GetFederationToken, GetAccessKeyInfo
// and DecodeAuthorizationMessage.
type FederationConfig struct {
	// MFA verifies SerialNumber/TokenCode (default: none, so every
	// SerialNumber is refused as not the caller's device).
	MFA MFA
	// Users gives the identity-based policies of IAM users (default: none,
	// so IAM users are allowed only what a resource or trust policy grants
	// them by name).
	Users UserPolicies
	// Accounts finds the STS of another account served beside this one, by
	// account ID, for AssumeRole on a role of that account (default: none,
	// so roles of other accounts cannot be assumed). It answers nil for an
	// account that is not served.
	Accounts func(accountID string) *Service
}

// Federation serves the STS operations called with an identity's own
// credentials. It is safe for concurrent use.
type Federation struct {
	svc      *Service
	mfa      MFA
	users    UserPolicies
	accounts func(accountID string) *Service
}

// NewFederation returns the caller-authenticated STS operations of s.
func (s *Service) NewFederation(cfg FederationConfig) *Federation {
	return &Federation{svc: s, mfa: cfg.MFA, users: cfg.Users, accounts: cfg.Accounts}
}

// Limits of the operations (STS API reference).
const (
	// MaxChainedDuration caps a role session obtained with temporary
	// credentials (role chaining).
	MaxChainedDuration = 3600
	// MaxUserSessionDuration is GetSessionToken's and GetFederationToken's
	// maximum; DefaultUserSessionDuration their default.
	MaxUserSessionDuration     = 129600
	DefaultUserSessionDuration = 43200
	// MaxRootSessionDuration caps both for the account root user (a longer
	// request is shortened, not refused).
	MaxRootSessionDuration = 3600
)

// Patterns of the service model (sts-2011-06-15), as regular expressions and
// as the text validation messages print.
var (
	fedSessionNameRE = regexp.MustCompile(`^[\w+=,.@-]*$`)
	externalIDRE     = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
	serialNumberRE   = regexp.MustCompile(`^[\w+=/:,.@-]*$`)
	tokenCodeRE      = regexp.MustCompile(`^\d*$`)
	fedTagKeyRE      = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	fedTagValueRE    = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	accessKeyIDRE    = regexp.MustCompile(`^\w*$`)
	fedRoleARNRE     = regexp.MustCompile(`^arn:aws[\w-]*:iam::\d{12}:role/([\x21-\x7E]+/)*[\w+=,.@-]{1,64}$`)
)

const (
	namePattern       = `[\w+=,.@-]*`
	externalIDPattern = `[\w+=,.@:\/-]*`
	serialPattern     = `[\w+=/:,.@-]*`
	tokenCodePattern  = `[\d]*`
	tagKeyPattern     = `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`
	tagValuePattern   = `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
	accessKeyPattern  = `[\w]*`
	maxSessionTags    = 50
)

// Caller is who signed an STS request, as the operations need it: the IAM
// user or root user behind long-term keys, or the session behind temporary
// credentials.
type Caller struct {
	// ARN is the caller's own ARN (user, root, assumed-role or
	// federated-user session).
	ARN string
	// UserID is aws:userid.
	UserID  string
	Account string
	// Session is the session of temporary credentials; nil for long-term
	// keys.
	Session *Session
}

// Root reports whether the caller is the account root user.
func (c *Caller) Root() bool { return strings.HasSuffix(c.ARN, ":root") }

// CallerOf reads the caller of a SigV4-verified request: for temporary
// credentials, the session their token carries.
func (f *Federation) CallerOf(c awsapi.Caller) (*Caller, error) {
	out := &Caller{ARN: c.ARN, UserID: c.PrincipalID, Account: c.AccountID}
	if c.SessionToken == "" {
		return out, nil
	}
	sess, err := f.svc.Session(c.AccessKeyID, c.SessionToken)
	if err != nil {
		// The router verified the token a moment ago.
		return nil, &awsapi.Error{Code: awsapi.CodeInvalidClientTokenID, Status: http.StatusForbidden,
			Message: "The security token included in the request is invalid.", Err: err}
	}
	out.Session = sess
	return out, nil
}

// principal is the caller as policies name it.
func (c *Caller) principal() policy.Principal {
	p := policy.Principal{ARN: c.ARN, Account: c.Account}
	if s := c.Session; s != nil {
		switch s.Kind {
		case "":
			p.RoleARN = s.RoleARN
		case sessiontoken.KindFederatedUser:
			p.UserARN = s.UserARN
		}
	}
	return p
}

// conditionKeys are the global condition keys of the caller's request
// (IAM UG, "AWS global condition context keys"): aws:userid, the session's
// aws:TokenIssueTime, aws:MultiFactorAuthPresent and
// aws:MultiFactorAuthAge (temporary credentials only: they are absent for
// long-term keys), aws:SourceIdentity, aws:PrincipalTag/* (the role's tags
// overridden by the session's), and the request's time and address.
func (f *Federation) conditionKeys(c *Caller, now time.Time, sourceIP string) map[string][]string {
	ctx := map[string][]string{
		"aws:userid":                {c.UserID},
		"aws:CurrentTime":           {now.UTC().Format(time.RFC3339)},
		"aws:EpochTime":             {strconv.FormatInt(now.Unix(), 10)},
		"aws:SecureTransport":       {"false"},
		"aws:RequestedRegion":       {"us-east-1"},
		"aws:PrincipalIsAWSService": {"false"},
	}
	if sourceIP != "" {
		ctx["aws:SourceIp"] = []string{sourceIP}
	}
	s := c.Session
	if s == nil {
		return ctx
	}
	ctx["aws:TokenIssueTime"] = []string{s.TokenIssueTime.UTC().Format(time.RFC3339)}
	ctx["aws:MultiFactorAuthPresent"] = []string{strconv.FormatBool(s.MFA)}
	if s.MFA {
		ctx["aws:MultiFactorAuthAge"] = []string{strconv.FormatInt(int64(now.Sub(s.TokenIssueTime)/time.Second), 10)}
	}
	if s.SourceIdentity != "" {
		ctx["aws:SourceIdentity"] = []string{s.SourceIdentity}
	}
	tags := map[string]string{}
	if s.IsRole() {
		if role, err := f.svc.acct.RoleByARN(s.RoleARN); err == nil {
			for _, t := range role.Tags {
				tags[t.Key] = t.Value
			}
		}
	}
	for k, v := range s.Tags {
		tags[k] = v
	}
	for k, v := range tags {
		ctx["aws:PrincipalTag/"+k] = []string{v}
	}
	return ctx
}

// identityPolicies returns the caller's identity-based policies, boundary and
// session policies. A federated user gets its IAM user's policies and its
// session policies; a session without session policies has none, except a
// federated user's, which then allows nothing (STS API reference,
// GetFederationToken).
func (f *Federation) identityPolicies(c *Caller) (identity []*policy.Policy, boundary *policy.Policy, session []*policy.Policy, err error) {
	s := c.Session
	switch {
	case s != nil && s.IsRole():
		identity, boundary = f.rolePolicies(s.RoleARN)
	case c.Root():
		// The root user needs no policy; policy.Evaluate allows it in its
		// own account.
	default:
		userARN := c.ARN
		if s != nil {
			userARN = s.UserARN
		}
		if f.users != nil {
			if identity, boundary, err = f.users.UserPolicies(userARN); err != nil {
				return nil, nil, nil, err
			}
		}
	}
	if s != nil {
		session = f.sessionPolicies(s.Policy, s.PolicyARNs)
		if session == nil && s.Kind == sessiontoken.KindFederatedUser {
			session = []*policy.Policy{{Name: "no session policy", Kind: policy.KindIdentity}}
		}
	}
	return identity, boundary, session, nil
}

// rolePolicies parses a role's inline and attached policies and its
// permissions boundary. A deleted role has none, so its sessions are allowed
// nothing.
func (f *Federation) rolePolicies(roleARN string) (identity []*policy.Policy, boundary *policy.Policy) {
	role, err := f.svc.acct.RoleByARN(roleARN)
	if err != nil {
		return nil, nil
	}
	names := make([]string, 0, len(role.InlinePolicies))
	for name := range role.InlinePolicies {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if p, err := policy.Parse(role.InlinePolicies[name], policy.KindIdentity); err == nil {
			p.Name = name
			identity = append(identity, p)
		}
	}
	for _, arn := range role.AttachedPolicies {
		if p := f.managedPolicy(arn); p != nil {
			identity = append(identity, p)
		}
	}
	if role.PermissionsBoundary != "" {
		boundary = f.managedPolicy(role.PermissionsBoundary)
		if boundary == nil {
			boundary = &policy.Policy{Name: role.PermissionsBoundary, Kind: policy.KindIdentity}
		}
	}
	return identity, boundary
}

func (f *Federation) managedPolicy(arn string) *policy.Policy {
	mp, err := f.svc.acct.Policy(arn)
	if err != nil {
		return nil
	}
	p, err := policy.Parse(mp.Document, policy.KindIdentity)
	if err != nil {
		return nil
	}
	p.Name = arn
	return p
}

// sessionPolicies parses a session's inline and managed session policies;
// nil when it has none. A managed session policy that no longer exists
// allows nothing.
func (f *Federation) sessionPolicies(inline string, arns []string) []*policy.Policy {
	var out []*policy.Policy
	if inline != "" {
		p, err := policy.Parse(inline, policy.KindIdentity)
		if err != nil {
			p = &policy.Policy{Kind: policy.KindIdentity}
		}
		p.Name = "session policy"
		out = append(out, p)
	}
	for _, arn := range arns {
		p := f.managedPolicy(arn)
		if p == nil {
			p = &policy.Policy{Name: arn, Kind: policy.KindIdentity}
		}
		out = append(out, p)
	}
	return out
}

// authorize evaluates the caller's request for action on resource with
// sp/policy: the caller's identity-based policies, boundary and session
// policies, and resourcePolicy (a role's trust policy) when not nil. A
// refusal is AccessDenied (403) with AWS's message for the deciding policy.
// An inline policy such as AWSRevokeOlderSessions, which denies everything
// for sessions issued before a time, refuses here.
func (f *Federation) authorize(c *Caller, action, resource string, resourcePolicy *policy.Policy,
	ctx map[string][]string) error {
	identity, boundary, session, err := f.identityPolicies(c)
	if err != nil {
		return fmt.Errorf("policies of %s: %w", c.ARN, err)
	}
	d := policy.Evaluate(policy.Input{
		Request:  policy.Request{Principal: c.principal(), Action: action, Resource: resource, Context: ctx},
		Identity: identity, Boundary: boundary, Session: session, Resource: resourcePolicy,
	})
	if d.Allowed {
		return nil
	}
	return &awsapi.Error{Code: awsapi.CodeAccessDenied, Status: http.StatusForbidden, Message: d.Message(),
		Err: fmt.Errorf("%s %s on %s: %s", c.ARN, action, resource, d)}
}

func accessDenied(msg string, cause error) *awsapi.Error {
	return &awsapi.Error{Code: awsapi.CodeAccessDenied, Status: http.StatusForbidden, Message: msg, Err: cause}
}

// checkMFA verifies SerialNumber and TokenCode for the IAM user calling. Both
// or neither must be given; one without the other is refused like a wrong
// code or serial (unverified).
func (f *Federation) checkMFA(c *Caller, serial, code string, now time.Time) (bool, error) {
	if serial == "" && code == "" {
		return false, nil
	}
	userARN := c.ARN
	if c.Session != nil {
		userARN = c.Session.UserARN
	}
	if serial == "" || userARN == "" || f.mfa == nil {
		return false, accessDenied(msgMFASerial, fmt.Errorf("serial %q for %s: no MFA device can be checked", serial, c.ARN))
	}
	if code == "" {
		return false, accessDenied(msgMFACode, errors.New("SerialNumber without TokenCode"))
	}
	switch device, valid := f.mfa.VerifyTOTP(userARN, serial, code, now); {
	case !device:
		return false, accessDenied(msgMFASerial, fmt.Errorf("no MFA device %s enabled for %s", serial, userARN))
	case !valid:
		return false, accessDenied(msgMFACode, fmt.Errorf("wrong or reused code for %s", serial))
	}
	return true, nil
}

// checks collects constraint violations in the model's member order and
// renders them as one ValidationError, like validateParams.
type checks struct{ constraints }

func (c *checks) required(member string, present bool) bool {
	if !present {
		c.constraints = append(c.constraints, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", member))
	}
	return present
}

func (c *checks) duration(member string, d *int, lo, hi int) {
	if d == nil {
		return
	}
	if *d < lo {
		c.addValue(quoted(strconv.Itoa(*d)), member, "have value greater than or equal to %d", lo)
	}
	if *d > hi {
		c.addValue(quoted(strconv.Itoa(*d)), member, "have value less than or equal to %d", hi)
	}
}

func (c *checks) policies(policyDoc *string, arns []string) {
	for i, arn := range arns {
		c.str(fmt.Sprintf("policyArns.%d.member.arn", i+1), arn, false, 20, 2048, arnValueRE, arnPattern)
	}
	if len(arns) > maxPolicyARNs {
		c.addValue("", "policyArns", "have length less than or equal to %d", maxPolicyARNs)
	}
	if policyDoc != nil {
		c.str("policy", *policyDoc, false, 1, maxPolicyLen, policyValueRE, policyPattern)
	}
}

func (c *checks) tags(tags []awsapi.Tag) {
	for i, t := range tags {
		c.str(fmt.Sprintf("tags.%d.member.key", i+1), t.Key, false, 1, 128, fedTagKeyRE, tagKeyPattern)
		c.str(fmt.Sprintf("tags.%d.member.value", i+1), t.Value, false, 0, 256, fedTagValueRE, tagValuePattern)
	}
	if len(tags) > maxSessionTags {
		c.addValue("", "tags", "have length less than or equal to %d", maxSessionTags)
	}
}

func (c *checks) err() error {
	if len(c.constraints) == 0 {
		return nil
	}
	noun := "error"
	if len(c.constraints) > 1 {
		noun = "errors"
	}
	return validationError(fmt.Sprintf("%d validation %s detected: %s", len(c.constraints), noun, strings.Join(c.constraints, "; ")), nil)
}

func tagValidation(msg string, cause error) error { return validationError(msg, cause) }

// sessionTags merges the request's tags with the transitive tags the
// caller's session passes on (IAM UG, "Chaining roles with session tags"):
// inherited transitive tags cannot be overridden, keys are compared without
// case, at most 50 in all, no aws: prefix, and transitive keys must name
// requested tags. It returns the session's tags and transitive keys.
func mergeSessionTags(caller *Session, tags []awsapi.Tag, transitive []string) (map[string]string, []string, error) {
	out := map[string]string{}
	var keys []string
	lower := map[string]bool{}
	if caller != nil {
		for _, k := range caller.TransitiveTagKeys {
			if v, ok := caller.Tags[k]; ok {
				out[k] = v
				keys = append(keys, k)
				lower[strings.ToLower(k)] = true
			}
		}
	}
	inherited := lower
	requested := map[string]bool{}
	for _, t := range tags {
		lk := strings.ToLower(t.Key)
		if strings.HasPrefix(lk, "aws:") {
			return nil, nil, tagValidation(msgTagReservedPrefix, fmt.Errorf("tag key %q", t.Key))
		}
		if requested[lk] {
			return nil, nil, tagValidation(msgDuplicateTags, fmt.Errorf("tag key %q given twice", t.Key))
		}
		if inherited[lk] {
			return nil, nil, tagValidation(msgTransitiveOverride, fmt.Errorf("tag key %q is an inherited transitive tag", t.Key))
		}
		requested[lk] = true
		out[t.Key] = t.Value
	}
	for _, k := range transitive {
		found := slices.ContainsFunc(tags, func(t awsapi.Tag) bool { return t.Key == k })
		if !found {
			return nil, nil, tagValidation(msgTransitiveNotTag, fmt.Errorf("transitive tag key %q is not a requested tag", k))
		}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if len(out) > maxSessionTags {
		return nil, nil, tagValidation(msgTooManyTags, fmt.Errorf("%d session tags", len(out)))
	}
	if len(out) == 0 {
		out = nil
	}
	return out, keys, nil
}

// requestTagKeys adds aws:RequestTag/*, aws:TagKeys and sts:TransitiveTagKeys
// for the tags a request passes.
func requestTagKeys(ctx map[string][]string, tags []awsapi.Tag, transitive []string) {
	if len(tags) == 0 {
		return
	}
	keys := make([]string, 0, len(tags))
	for _, t := range tags {
		ctx["aws:RequestTag/"+t.Key] = []string{t.Value}
		keys = append(keys, t.Key)
	}
	ctx["aws:TagKeys"] = keys
	if len(transitive) > 0 {
		ctx["sts:TransitiveTagKeys"] = transitive
	}
}

// roleForARN returns the STS of the account that arn names (this one, or
// another one served beside it) and the role arn names there; a nil role
// when there is no such role, and a nil service too when the account is not
// served.
func (f *Federation) roleForARN(arn string) (*Service, *iam.Role) {
	svc := f.svc
	if acct := arnAccount(arn); acct != svc.acct.ID() {
		svc = nil
		if f.accounts != nil {
			svc = f.accounts(acct)
		}
		if svc == nil {
			return nil, nil
		}
	}
	role, err := svc.acct.RoleByARN(arn)
	if err != nil {
		return svc, nil
	}
	return svc, role
}

// arnAccount is the account field of an ARN, "" when arn is not one.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// checkSessionPolicy refuses a session policy that is not a valid identity
// policy with MalformedPolicyDocument (400) and IAM's message for the fault
// (sp/policy), after packedSize has checked it is JSON.
func checkSessionPolicy(doc *string) error {
	if doc == nil {
		return nil
	}
	if _, err := policy.Parse(*doc, policy.KindIdentity); err != nil {
		msg := msgMalformedPolicy
		var pe *policy.ParseError
		if errors.As(err, &pe) && pe.Message != "" {
			msg = pe.Message
		}
		return &awsapi.Error{Code: awsapi.CodeMalformedPolicyDocument, Status: http.StatusBadRequest, Message: msg, Err: err}
	}
	return nil
}

// WithAccounts returns a copy of f that finds the roles of other accounts
// through accounts, as FederationConfig.Accounts.
func (f *Federation) WithAccounts(accounts func(accountID string) *Service) *Federation {
	c := *f
	c.accounts = accounts
	return &c
}

// SessionPolicies returns the session policies and session tags of the
// session c signs with (none for long-term keys), so that IAM limits the
// session's IAM calls by them (it implements iam.Sessions).
func (f *Federation) SessionPolicies(c awsapi.Caller) ([]*policy.Policy, map[string]string, error) {
	caller, err := f.CallerOf(c)
	if err != nil || caller.Session == nil {
		return nil, nil, err
	}
	s := caller.Session
	session := f.sessionPolicies(s.Policy, s.PolicyARNs)
	if session == nil && s.Kind == sessiontoken.KindFederatedUser {
		session = []*policy.Policy{{Name: "no session policy", Kind: policy.KindIdentity}}
	}
	return session, s.Tags, nil
}
