package iam

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/policy"
)

// Authorization of the IAM calls the account serves, with sp/policy, as AWS
// decides them (IAM User Guide, "Policy evaluation logic"):
//
//   - the account root user, and the callers named by SetAdministrators, may
//     do everything;
//   - an IAM user is allowed what its inline and attached policies and those
//     of its groups allow, within its permissions boundary;
//   - a role session is allowed what its role's policies allow, within the
//     role's boundary (session policies passed to AssumeRole* are not known
//     here and are not applied);
//   - everyone else (a user or role that no longer exists) is refused.
//
// Refusals are AccessDenied (403) with AWS's current message.

// SetAdministrators names IAM principals (by ARN) that no policy restricts,
// like the account root user: a lab's own admin key. They need not be users
// of the account.
func (a *Account) SetAdministrators(arns ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ids.admins = slices.Clone(arns)
}

// isAdmin reports whether c is the root user or a named administrator. A
// key of one of the account's users is never an administrator's, even when
// the user has an administrator's name.
func (a *Account) isAdmin(c awsapi.Caller) bool {
	if c.ARN == fmt.Sprintf("arn:%s:iam::%s:root", a.partition, a.id) {
		return true
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	if u, _ := a.keyOwnerLocked(c.AccessKeyID); u != nil {
		return false
	}
	return slices.Contains(a.ids.admins, c.ARN)
}

// parsed caches parsed stored policy documents: parsing costs hundreds of
// evaluations, and the same few documents are evaluated on every call. It is
// emptied when it reaches maxParsed entries, so documents that come and go
// cannot grow it without bound.
var parsed = struct {
	sync.Mutex
	m map[string]*policy.Policy
}{m: map[string]*policy.Policy{}}

const maxParsed = 4096

func parseCached(doc string, kind policy.Kind, name string) (*policy.Policy, error) {
	key := strconv.Itoa(int(kind)) + "\x00" + name + "\x00" + doc
	parsed.Lock()
	p, ok := parsed.m[key]
	parsed.Unlock()
	if ok {
		return p, nil
	}
	p, err := policy.Parse(doc, kind)
	if err != nil {
		return nil, err
	}
	p.Name = name
	parsed.Lock()
	if len(parsed.m) >= maxParsed {
		parsed.m = map[string]*policy.Policy{}
	}
	parsed.m[key] = p
	parsed.Unlock()
	return p, nil
}

// namedPolicy is a policy document with the name and type a simulation
// reports it under.
type namedPolicy struct {
	id, typ, doc string
	parsed       *policy.Policy
}

// principalPolicies are the policies that apply to a principal.
type principalPolicies struct {
	principal policy.Principal
	identity  []namedPolicy
	boundary  *namedPolicy
	tags      []awsapi.Tag
	userID    string
}

// policiesLocked gathers p's identity policies (inline first, then attached,
// as IAM lists them) under owner type typ ("user", "group", "role"). The
// caller holds a.mu.
func (a *Account) policiesLocked(p Policies, typ string, out *[]namedPolicy) {
	for _, n := range p.names() {
		*out = append(*out, namedPolicy{id: n, typ: typ, doc: p.InlinePolicies[n]})
	}
	for _, arn := range p.AttachedPolicies {
		if mp, err := a.policyLocked(arn, policyNotFound); err == nil {
			t := "user-managed"
			if mp.AWSManaged() {
				t = "aws-managed"
			}
			*out = append(*out, namedPolicy{id: mp.Name, typ: t, doc: mp.Document})
		}
	}
}

func (a *Account) boundaryLocked(arn string) *namedPolicy {
	if arn == "" {
		return nil
	}
	mp, err := a.policyLocked(arn, policyNotFound)
	if err != nil {
		return nil
	}
	t := "user-managed"
	if mp.AWSManaged() {
		t = "aws-managed"
	}
	return &namedPolicy{id: mp.Name, typ: t, doc: mp.Document}
}

// userPoliciesLocked returns the policies of user u and its groups.
func (a *Account) userPoliciesLocked(u *User) principalPolicies {
	pp := principalPolicies{principal: policy.Principal{ARN: u.ARN, Account: a.id}, tags: u.Tags, userID: u.UserID}
	a.policiesLocked(u.Policies, "user", &pp.identity)
	for _, gn := range u.Groups {
		if g, ok := a.ids.groups[gn]; ok {
			a.policiesLocked(g.Policies, "group", &pp.identity)
		}
	}
	pp.boundary = a.boundaryLocked(u.PermissionsBoundary)
	return pp
}

func (a *Account) rolePoliciesLocked(r *Role, principalARN string) principalPolicies {
	pp := principalPolicies{principal: policy.Principal{ARN: principalARN, RoleARN: r.ARN, Account: a.id}, tags: r.Tags, userID: r.RoleID}
	a.policiesLocked(Policies{InlinePolicies: r.InlinePolicies, AttachedPolicies: r.AttachedPolicies}, "role", &pp.identity)
	pp.boundary = a.boundaryLocked(r.PermissionsBoundary)
	return pp
}

// callerPolicies resolves a caller to the policies that apply to it. A
// caller that names no existing user or role gets none, so is refused.
func (a *Account) callerPolicies(c awsapi.Caller) principalPolicies {
	a.mu.RLock()
	defer a.mu.RUnlock()
	switch c.Type {
	case "IAMUser":
		if name, ok := callerUserName(c); ok {
			if u, ok := a.ids.users[name]; ok && u.ARN == c.ARN {
				return a.userPoliciesLocked(u)
			}
		}
	case "AssumedRole":
		// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
		rest, _ := strings.CutPrefix(c.ARN, fmt.Sprintf("arn:%s:sts::%s:assumed-role/", a.partition, a.id))
		if name, session, ok := strings.Cut(rest, "/"); ok {
			if r, ok := a.roles[name]; ok {
				pp := a.rolePoliciesLocked(r, c.ARN)
				pp.userID = r.RoleID + ":" + session
				return pp
			}
		}
	}
	return principalPolicies{principal: policy.Principal{ARN: c.ARN, Account: a.id}}
}

// input parses the policies into an evaluation input. Stored documents were
// checked when stored; one that sp/policy nevertheless refuses (IAM's older
// checks let it in) makes the whole input unusable, since skipping it could
// skip a Deny: the caller is then refused (fail closed).
func (pp principalPolicies) input() (policy.Input, error) {
	var in policy.Input
	for i := range pp.identity {
		np := &pp.identity[i]
		p, err := parseCached(np.doc, policy.KindIdentity, np.id)
		if err != nil {
			return in, fmt.Errorf("policy %s does not parse: %w", np.id, err)
		}
		np.parsed = p
		in.Identity = append(in.Identity, p)
	}
	if pp.boundary != nil {
		p, err := parseCached(pp.boundary.doc, policy.KindIdentity, pp.boundary.id)
		if err != nil {
			return in, fmt.Errorf("permissions boundary %s does not parse: %w", pp.boundary.id, err)
		}
		pp.boundary.parsed = p
		in.Boundary = p
	}
	return in, nil
}

// authorize decides whether r's caller may perform action, and returns
// AccessDenied when it may not.
func (a *Account) authorize(action string, r *awsapi.Request) error {
	if r.Caller.Type == "" || a.isAdmin(r.Caller) {
		return nil
	}
	pp := a.callerPolicies(r.Caller)
	in, perr := pp.input()
	resource := a.resourceOf(action, r)
	in.Request = policy.Request{Principal: pp.principal, Action: "iam:" + action, Resource: resource,
		Context: a.requestContext(action, r, pp)}
	if perr != nil {
		// Refused with the implicit-deny message of an empty policy set; the
		// cause goes to the event log.
		in = policy.Input{Request: in.Request}
	}
	d := policy.Evaluate(in)
	if r.Caller.Type == "IAMUser" {
		a.noteKeyUse(r.Caller.AccessKeyID, "iam", "us-east-1", r.Time)
	}
	if perr != nil {
		return &awsapi.Error{Code: awsapi.CodeAccessDenied, Status: http.StatusForbidden, Message: d.Message(), Err: perr}
	}
	if !d.Allowed {
		return awsapi.Errorf(awsapi.CodeAccessDenied, http.StatusForbidden, "%s", d.Message())
	}
	return nil
}

// requestContext is the condition keys of an IAM request: the global keys
// AWS sets on every call, the caller's tags, the request's tags and the IAM
// keys of the action (Service Authorization Reference, IAM).
func (a *Account) requestContext(action string, r *awsapi.Request, pp principalPolicies) map[string][]string {
	t := r.Time
	if t.IsZero() {
		t = a.now()
	}
	ctx := map[string][]string{
		"aws:CurrentTime":     {t.UTC().Format(time.RFC3339)},
		"aws:EpochTime":       {strconv.FormatInt(t.Unix(), 10)},
		"aws:SecureTransport": {"false"},
		"aws:RequestedRegion": {"us-east-1"},
	}
	if r.SourceIP != "" {
		ctx["aws:SourceIp"] = []string{r.SourceIP}
	}
	if pp.userID != "" {
		ctx["aws:userid"] = []string{pp.userID}
	}
	for _, tag := range pp.tags {
		ctx["aws:PrincipalTag/"+tag.Key] = []string{tag.Value}
	}
	// Temporary credentials carry their session's keys (IAM User Guide,
	// global condition keys); long-term keys have none of them.
	if sc := r.Caller.SessionContext; sc != nil {
		ctx["aws:TokenIssueTime"] = []string{sc.Attributes.CreationDate.UTC().Format(time.RFC3339)}
		mfa := sc.Attributes.MFAAuthenticated == "true"
		ctx["aws:MultiFactorAuthPresent"] = []string{strconv.FormatBool(mfa)}
		if mfa {
			ctx["aws:MultiFactorAuthAge"] = []string{strconv.FormatInt(int64(t.Sub(sc.Attributes.CreationDate)/time.Second), 10)}
		}
		if sc.SourceIdentity != "" {
			ctx["aws:SourceIdentity"] = []string{sc.SourceIdentity}
		}
	}
	if tags, err := r.Tags("Tags"); err == nil && len(tags) > 0 {
		for _, tag := range tags {
			ctx["aws:RequestTag/"+tag.Key] = []string{tag.Value}
			ctx["aws:TagKeys"] = append(ctx["aws:TagKeys"], tag.Key)
		}
	}
	if keys := r.List("TagKeys", ""); len(keys) > 0 {
		ctx["aws:TagKeys"] = keys
	}
	if arn := r.Get("PolicyArn"); arn != "" {
		ctx["iam:PolicyARN"] = []string{arn}
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	boundary := r.Get("PermissionsBoundary")
	var resourceTags []awsapi.Tag
	if name := r.Get("UserName"); name != "" && !strings.HasPrefix(action, "CreateUser") {
		if u, ok := a.ids.users[name]; ok {
			resourceTags = u.Tags
			if boundary == "" {
				boundary = u.PermissionsBoundary
			}
		}
	} else if name := r.Get("RoleName"); name != "" && action != "CreateRole" {
		if role, ok := a.roles[name]; ok {
			resourceTags = role.Tags
			if boundary == "" {
				boundary = role.PermissionsBoundary
			}
		}
	}
	for _, tag := range resourceTags {
		ctx["aws:ResourceTag/"+tag.Key] = []string{tag.Value}
	}
	if boundary != "" {
		ctx["iam:PermissionsBoundary"] = []string{boundary}
	}
	return ctx
}

// resourceOf is the ARN an IAM action is authorized on: the user, group,
// role, policy, provider or MFA device it names (a user's own, for the
// operations that default to the caller). List operations over a kind of
// entity are authorized on the kind's ARN prefix, as AWS's messages show for
// ListUsers and ListRoles ("on resource: arn:aws:iam::123456789012:user/");
// for the others that form is unverified.
func (a *Account) resourceOf(action string, r *awsapi.Request) string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	prefix := fmt.Sprintf("arn:%s:iam::%s:", a.partition, a.id)
	user := func() string {
		name := r.Get("UserName")
		if name == "" {
			if !r.Has("UserName") && r.Caller.Type == "IAMUser" {
				return r.Caller.ARN
			}
		}
		if u, ok := a.ids.users[name]; ok {
			return u.ARN
		}
		path := r.Get("Path")
		if path == "" || action != "CreateUser" {
			path = "/"
		}
		return prefix + "user" + path + name
	}
	group := func() string {
		name := r.Get("GroupName")
		if g, ok := a.ids.groups[name]; ok {
			return g.ARN
		}
		path := r.Get("Path")
		if path == "" || action != "CreateGroup" {
			path = "/"
		}
		return prefix + "group" + path + name
	}
	switch action {
	case "ListUsers":
		return prefix + "user/"
	case "ListGroups":
		return prefix + "group/"
	case "ListRoles":
		return prefix + "role/"
	case "ListPolicies":
		return prefix + "policy/"
	case "ListVirtualMFADevices":
		return prefix + "mfa/"
	case "ListSAMLProviders":
		return prefix + "saml-provider/*"
	case "CreateAccountAlias", "DeleteAccountAlias", "ListAccountAliases", "SimulateCustomPolicy",
		"GetAccountSummary", "GetAccountAuthorizationDetails":
		return "*"
	case "SimulatePrincipalPolicy":
		return r.Get("PolicySourceArn")
	case "GetAccessKeyLastUsed":
		if u, _ := a.keyOwnerLocked(r.Get("AccessKeyId")); u != nil {
			return u.ARN
		}
		return prefix + "user/"
	case "CreateVirtualMFADevice", "DeleteVirtualMFADevice":
		if s := r.Get("SerialNumber"); s != "" {
			return s
		}
		path := r.Get("Path")
		if path == "" {
			path = "/"
		}
		return prefix + "mfa" + path + r.Get("VirtualMFADeviceName")
	case "CreatePolicy":
		path := r.Get("Path")
		if path == "" {
			path = "/"
		}
		return prefix + "policy" + path + r.Get("PolicyName")
	case "GetPolicy", "GetPolicyVersion", "CreatePolicyVersion", "ListPolicyVersions", "SetDefaultPolicyVersion",
		"DeletePolicyVersion", "DeletePolicy", "ListEntitiesForPolicy", "TagPolicy", "UntagPolicy", "ListPolicyTags":
		return r.Get("PolicyArn")
	case "CreateSAMLProvider":
		return prefix + "saml-provider/" + r.Get("Name")
	}
	switch {
	case r.Has("SAMLProviderArn"):
		return r.Get("SAMLProviderArn")
	case r.Has("GroupName"):
		return group()
	case r.Has("RoleName"):
		name := r.Get("RoleName")
		if role, ok := a.roles[name]; ok {
			return role.ARN
		}
		path := r.Get("Path")
		if path == "" || action != "CreateRole" {
			path = "/"
		}
		return prefix + "role" + path + name
	}
	return user()
}

// checkEvaluable refuses a permissions policy the policy engine cannot
// evaluate (an unknown condition operator, a Resource not in ARN form…)
// with MalformedPolicyDocument and the engine's message, as IAM validates
// policies when they are stored.
func checkEvaluable(doc string) error {
	if _, err := policy.Parse(doc, policy.KindIdentity); err != nil {
		msg := err.Error()
		var pe *policy.ParseError
		if errors.As(err, &pe) {
			msg = pe.Message
		}
		return &awsapi.Error{Code: awsapi.CodeMalformedPolicy, Status: http.StatusBadRequest, Message: msg, Err: err}
	}
	return nil
}
