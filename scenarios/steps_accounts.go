package scenarios

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts"
)

// Scenarios with several accounts: setup.accounts declares further accounts
// (their IDs, roles and IAM users), served on the lab's endpoint beside the
// lab's own exactly as `samlab up --accounts` serves them (serveAccounts),
// and a step's `account` runs it in one of them.

// AccountSetup is a further account of a scenario: an empty account (no
// SAML provider, no demo roles) with its own admin key, the roles and the
// IAM users given here.
type AccountSetup struct {
	// ID is the account's 12-digit ID (required; not the lab's own).
	ID string `yaml:"id" json:"id"`
	// Roles are created in the account, by name. Each needs a trust policy
	// (the account has no SAML provider to trust by default).
	Roles map[string]RoleSetup `yaml:"roles" json:"roles,omitempty"`
	// Users are IAM users of the account, each with an access key: a step
	// with `account` may name one as its caller.
	Users map[string]IAMUserSetup `yaml:"users" json:"users,omitempty"`
}

// IAMUserSetup is an IAM user of a further account.
type IAMUserSetup struct {
	// Policies are the user's inline policies, by name.
	Policies map[string]*PolicyDoc `yaml:"policies" json:"policies,omitempty"`
}

// ActionPutUserPolicy gives an IAM user of a further account an inline
// policy (aws iam put-user-policy).
const ActionPutUserPolicy = "put-user-policy"

// accountActions are the actions a step may run in a further account.
var accountActions = []string{ActionAssumeRole, ActionCreateRole, ActionUpdateRole, ActionUpdateTrust, ActionDeleteRole, ActionPutUserPolicy}

func init() {
	actions[ActionPutUserPolicy] = actionSpec{"put an inline policy on `user`, an IAM user of the further account `account` (aws iam put-user-policy)",
		[]string{"account", "user", "policy_name", "policy"}, []string{"account", "user", "policy"}}
	for _, a := range accountActions {
		spec := actions[a]
		if !slices.Contains(spec.fields, "account") {
			spec.fields = append(slices.Clone(spec.fields), "account")
			actions[a] = spec
		}
	}
}

// namedAccount is one further account of a lab.
type namedAccount struct {
	name  string
	lab   *Lab
	admin AdminKey
}

// NewAccountLab builds a further account served beside a lab's own (samlab
// up --accounts, scenarios' setup.accounts): an account with its own IAM
// state, STS and session keys, and none of the demo SAML roles, whose trust
// would name a SAML provider the account does not have (the IdP and its
// provider belong to the lab's own account).
func NewAccountLab(cfg LabConfig) (*Lab, error) {
	l, err := NewLab(cfg)
	if err != nil {
		return nil, err
	}
	if err := l.RemoveDemoRoles(); err != nil {
		return nil, err
	}
	return l, nil
}

// RemoveDemoRoles deletes the demo roles (DefaultRoleName, ReadOnlyRoleName)
// of a further account whose trust policy is still the one NewLab gave
// them, naming the lab's SAML provider, while the account has no such
// provider: roles nobody can assume, as an account's state written by an
// older samlab may still hold. Roles whose trust was changed, and the roles
// of an account that has the provider, are kept.
func (l *Lab) RemoveDemoRoles() error {
	if _, err := l.Account.SAMLProvider(l.ProviderARN); err == nil {
		return nil
	}
	for _, name := range []string{DefaultRoleName, ReadOnlyRoleName} {
		r, err := l.Account.RoleByName(name)
		if err != nil || r.AssumeRolePolicyDocument != iam.SAMLTrustPolicy(l.ProviderARN) {
			continue
		}
		if err := l.replaceRole(name); err != nil {
			return fmt.Errorf("account %s: remove demo role %s: %w", l.Account.ID(), name, err)
		}
	}
	l.RoleARN = ""
	return nil
}

// applyAccounts builds the further accounts of a scenario's setup on the
// lab's clock, with their roles and IAM users.
func (l *Lab) applyAccounts(accounts map[string]AccountSetup) error {
	for _, name := range sortedKeys(accounts) {
		s := accounts[name]
		cfg := l.state.cfg
		cfg.AccountID, cfg.Clock, cfg.SessionKeys, cfg.MFA, cfg.UserPolicies = s.ID, l.Clock, nil, nil, nil
		cfg.OIDCIssuer, cfg.OIDCListen = "", ""
		acct, err := NewAccountLab(cfg)
		if err != nil {
			return fmt.Errorf("setup: account %s: %w", name, err)
		}
		admin, err := NewAdminKeyFor(cfg.Rand, s.ID)
		if err != nil {
			return fmt.Errorf("setup: account %s: %w", name, err)
		}
		na := &namedAccount{name: name, lab: acct, admin: admin}
		l.state.mu.Lock()
		if l.state.aws != nil {
			l.state.mu.Unlock()
			return errors.New("setup: accounts must be set up before the lab's endpoint is used")
		}
		l.state.accounts = append(l.state.accounts, na)
		l.state.mu.Unlock()
	}
	// Roles and policies may name any account (${account:NAME}).
	for _, name := range sortedKeys(accounts) {
		s := accounts[name]
		na, err := l.namedAccountOf(name)
		if err != nil {
			return err
		}
		acct, admin := na.lab, na.admin
		for _, rn := range sortedKeys(s.Roles) {
			r := s.Roles[rn]
			in := RoleInput{Name: rn, MaxSessionDuration: r.MaxSessionDuration, Path: r.Path, Tags: r.Tags}
			if r.Trust != nil {
				in.Trust = l.Expand(r.Trust.JSON)
			}
			if err := acct.CreateRole(in); err != nil {
				return fmt.Errorf("setup: account %s: role %s: %w", name, rn, err)
			}
		}
		for _, un := range sortedKeys(s.Users) {
			if _, err := acct.Account.CreateUser(iam.CreateUserInput{Name: un}); err != nil {
				return fmt.Errorf("setup: account %s: user %s: %w", name, un, err)
			}
			for _, pn := range sortedKeys(s.Users[un].Policies) {
				if err := acct.Account.PutUserPolicy(un, pn, l.Expand(s.Users[un].Policies[pn].JSON)); err != nil {
					return fmt.Errorf("setup: account %s: user %s: policy %s: %w", name, un, pn, err)
				}
			}
			k, err := acct.Account.CreateAccessKey(un)
			if err != nil {
				return fmt.Errorf("setup: account %s: user %s: %w", name, un, err)
			}
			l.fed().saved[accountCaller(name, un)] = aws.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}
		}
		l.fed().saved[accountCaller(name, CallerAdmin)] = aws.Credentials{AccessKeyID: admin.AccessKeyID, SecretAccessKey: admin.SecretAccessKey}
	}
	return nil
}

// AccountAdminKey derives the admin key of the further account accountID
// from the admin key of the lab's own account (HKDF-SHA256 over its secret):
// whoever holds a served lab's admin key can compute the keys of the lab's
// further accounts, and the lab needs to store none.
func AccountAdminKey(own AdminKey, accountID string) (AdminKey, error) {
	if own.SecretAccessKey == "" {
		return AdminKey{}, errors.New("account admin key: the lab's admin key has no secret")
	}
	seed, err := hkdf.Key(sha256.New, []byte(own.SecretAccessKey), []byte(own.AccessKeyID), "samlab further account admin key "+accountID, 256)
	if err != nil {
		return AdminKey{}, fmt.Errorf("account admin key: %w", err)
	}
	return NewAdminKeyFor(bytes.NewReader(seed), accountID)
}

// DeriveAccountAdminKeys gives the further accounts the admin keys
// AccountAdminKey derives from own, the admin key the lab is served with (a
// served lab's trainee then knows them). Call it before the lab's endpoint
// is first used.
func (l *Lab) DeriveAccountAdminKeys(own AdminKey) error {
	l.state.mu.Lock()
	if l.state.aws != nil {
		l.state.mu.Unlock()
		return errors.New("lab: the further accounts' admin keys must be set before the lab's endpoint is used")
	}
	accounts := slices.Clone(l.state.accounts)
	l.state.mu.Unlock()
	for _, a := range accounts {
		k, err := AccountAdminKey(own, a.lab.Account.ID())
		if err != nil {
			return err
		}
		l.state.mu.Lock()
		a.admin = k
		l.state.mu.Unlock()
		l.fed().saved[accountCaller(a.name, CallerAdmin)] = aws.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}
	}
	return nil
}

// accountCaller is the key under which a further account's caller's
// credentials are kept ("/" never appears in a saved name).
func accountCaller(account, caller string) string { return account + "/" + caller }

// servedAccountsLocked returns the further accounts to serve beside the
// lab's own; l.state.mu is held.
func (l *Lab) servedAccountsLocked() []Account {
	var out []Account
	for _, a := range l.state.accounts {
		out = append(out, Account{Lab: a.lab, Admin: a.admin})
	}
	return out
}

// ServedAccounts returns the further accounts of the lab's scenario
// (setup.accounts), to serve beside the lab's own (ServerConfig.Accounts).
func (l *Lab) ServedAccounts() []Account {
	l.state.mu.Lock()
	defer l.state.mu.Unlock()
	return l.servedAccountsLocked()
}

// namedAccountOf returns the further account called name.
func (l *Lab) namedAccountOf(name string) (*namedAccount, error) {
	l.state.mu.Lock()
	defer l.state.mu.Unlock()
	for _, a := range l.state.accounts {
		if a.name == name {
			return a, nil
		}
	}
	return nil, fmt.Errorf("lab: no account %q in setup.accounts", name)
}

// stsOf is the STS of the account of arn, which issued its sessions: a
// further account's, or the lab's own.
func (l *Lab) stsOf(arn string) *sts.Service {
	id := arnAccount(arn)
	l.state.mu.Lock()
	defer l.state.mu.Unlock()
	for _, a := range l.state.accounts {
		if a.lab.Account.ID() == id {
			return a.lab.STS
		}
	}
	return l.STS
}

// accountID is the ID of the further account called name ("" when none).
func (l *Lab) accountID(name string) string {
	a, err := l.namedAccountOf(name)
	if err != nil {
		return ""
	}
	return a.lab.Account.ID()
}

// doInAccount runs a step that names a further account: assume-role as that
// account's admin or IAM user (role: names a role of the lab's own account;
// role_arn may name any), or an IAM change to that account's roles and
// users. ok is false for steps without an account.
func (l *Lab) doInAccount(ctx context.Context, st Step) (out Outcome, ok bool, err error) {
	if st.Account == "" {
		return Outcome{}, false, nil
	}
	a, err := l.namedAccountOf(st.Account)
	if err != nil {
		return Outcome{}, true, err
	}
	switch st.Action {
	case ActionAssumeRole:
		caller := st.Caller
		if caller == "" {
			caller = CallerAdmin
		}
		st.Caller, st.Account = accountCaller(a.name, caller), ""
		if st.SessionName == "" {
			st.SessionName = caller
		}
		out, err = l.doFederation(ctx, st)
		return out, true, err
	case ActionCreateRole:
		in := RoleInput{Name: st.Role, MaxSessionDuration: st.MaxSessionDuration, Path: st.Path, Tags: st.Tags}
		if st.Trust != nil {
			in.Trust = l.Expand(st.Trust.JSON)
		}
		return Outcome{}, true, a.lab.CreateRole(in)
	case ActionUpdateRole:
		return Outcome{}, true, a.lab.UpdateRoleMaxSession(st.Role, st.MaxSessionDuration)
	case ActionUpdateTrust:
		if st.Trust == nil {
			return Outcome{}, true, errors.New("update-trust needs a trust policy")
		}
		return Outcome{}, true, a.lab.UpdateTrust(st.Role, l.Expand(st.Trust.JSON))
	case ActionDeleteRole:
		return Outcome{}, true, a.lab.DeleteRole(st.Role)
	case ActionPutUserPolicy:
		if st.Policy == nil {
			return Outcome{}, true, errors.New("put-user-policy needs a policy")
		}
		name := st.PolicyName
		if name == "" {
			name = "inline"
		}
		return Outcome{}, true, a.lab.Account.PutUserPolicy(st.User, name, l.Expand(st.Policy.JSON))
	}
	return Outcome{}, true, fmt.Errorf("%s cannot run in account %s", st.Action, st.Account)
}

// checkAccounts checks setup.accounts: 12-digit IDs, none the lab's own or
// given twice, roles with a trust policy, and the variables of policies.
func (sc *Scenario) checkAccounts(at func(string, string, ...any), n names) {
	own := sc.Setup.Account
	if own == "" {
		own = DefaultAccountID
	}
	ids := map[string]string{}
	for _, name := range sortedKeys(sc.Setup.Accounts) {
		s := sc.Setup.Accounts[name]
		p := "setup.accounts." + name
		if !saveNameRE.MatchString(name) {
			at(p, "account name %q: use lower-case letters, digits and dashes", name)
		}
		switch {
		case !accountRE.MatchString(s.ID):
			at(p+".id", "%q is not a 12-digit AWS account ID", s.ID)
		case s.ID == own:
			at(p+".id", "%s is the lab's own account (setup.account); give another ID", s.ID)
		case ids[s.ID] != "":
			at(p+".id", "%s is also the ID of account %s", s.ID, ids[s.ID])
		}
		ids[s.ID] = name
		for _, rn := range sortedKeys(s.Roles) {
			r := s.Roles[rn]
			if r.Trust == nil {
				at(p+".roles."+rn+".trust", "is required: a further account has no SAML provider to trust by default")
				continue
			}
			checkVars(at, p+".roles."+rn+".trust", r.Trust.JSON, n)
		}
		for _, un := range sortedKeys(s.Users) {
			if un == CallerAdmin || un == CallerLast {
				at(p+".users."+un, "%q is a caller every account has; choose another name", un)
			}
			for _, pn := range sortedKeys(s.Users[un].Policies) {
				if doc := s.Users[un].Policies[pn]; doc != nil {
					checkVars(at, p+".users."+un+".policies."+pn, doc.JSON, n)
				}
			}
		}
	}
}

// checkAccountStep checks a step's account: a declared account, an action
// that may run there, and callers, roles and users of that account.
func (sc *Scenario) checkAccountStep(at func(string, string, ...any), p string, st Step, n names) {
	if st.Account == "" {
		return
	}
	s, ok := sc.Setup.Accounts[st.Account]
	if !ok {
		at(p+".account", "unknown account %q (setup.accounts has: %s)", st.Account, known(n.accounts))
		return
	}
	users := set(sortedKeys(s.Users)...)
	roles := set(sortedKeys(s.Roles)...)
	for _, x := range sc.Steps {
		if x.Action == ActionCreateRole && x.Account == st.Account {
			roles[x.Role] = true
		}
	}
	switch st.Action {
	case ActionAssumeRole:
		if c := st.Caller; c != "" && c != CallerAdmin && !users[c] {
			at(p+".caller", "unknown caller %q of account %s: use admin or one of its users (%s)", c, st.Account, known(users))
		}
	case ActionUpdateRole, ActionUpdateTrust, ActionDeleteRole:
		if !roles[st.Role] {
			at(p+".role", "unknown role %q of account %s (known: %s)", st.Role, st.Account, known(roles))
		}
	case ActionCreateRole:
		if st.Trust == nil {
			at(p+".trust", "is required: a further account has no SAML provider to trust by default")
		}
	case ActionPutUserPolicy:
		if !users[st.User] {
			at(p+".user", "unknown IAM user %q of account %s (known: %s)", st.User, st.Account, known(users))
		}
	}
}
