package scenarios

import (
	"context"
	"fmt"
	"strings"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts"
)

// Account is one account served on a lab's endpoint: a lab (its IAM
// account, STS and the rest) and the admin key of its account.
type Account struct {
	Lab   *Lab
	Admin AdminKey
}

// serveAccounts combines the Query operations of several accounts into one
// set served on one endpoint, as AWS serves every account at
// iam.amazonaws.com and sts.amazonaws.com:
//
//   - an access key belongs to one account: the admin key, an IAM user's key
//     or a session's temporary credentials are looked up account by account,
//     and the account that knows the key serves the call, with its own IAM
//     state, so accounts never see each other's resources or keys;
//   - an anonymous call (AssumeRoleWithSAML, AssumeRoleWithWebIdentity) is
//     served by the account of the role ARN it names (the first account when
//     that account is not served);
//   - AssumeRole finds a role of another account through the other
//     account's STS: the caller's account decides its identity-based
//     policies, the role's account its trust policy, and the credentials are
//     the role's account's.
//
// The event of each call records the serving account as recipientAccountId.
func serveAccounts(members []Account) ([]awsapi.Operation, awsapi.CredentialSource, error) {
	byID := map[string]int{}
	for i, m := range members {
		if m.Lab == nil {
			return nil, nil, fmt.Errorf("lab server: account %d has no lab", i+1)
		}
		id := m.Lab.Account.ID()
		if _, dup := byID[id]; dup {
			return nil, nil, fmt.Errorf("lab server: account %s is served twice", id)
		}
		byID[id] = i
	}
	peer := func(id string) *sts.Service {
		if i, ok := byID[id]; ok {
			return members[i].Lab.STS
		}
		return nil
	}
	type opKey struct{ version, action string }
	var order []opKey
	handlers := map[opKey][]awsapi.HandlerFunc{}
	proto := map[opKey]awsapi.Operation{}
	var sources []awsapi.CredentialSource
	for _, m := range members {
		fed := m.Lab.Federation
		if len(members) > 1 {
			fed = fed.WithAccounts(peer)
		}
		ops, creds, err := m.Lab.accountOperations(m.Admin, fed)
		if err != nil {
			return nil, nil, err
		}
		sources = append(sources, creds)
		for _, op := range ops {
			k := opKey{op.Service.Version, op.Action}
			if _, ok := proto[k]; !ok {
				order = append(order, k)
				proto[k] = op
			}
			handlers[k] = append(handlers[k], op.Handle)
		}
	}
	if len(members) == 1 {
		ops := make([]awsapi.Operation, 0, len(order))
		for _, k := range order {
			ops = append(ops, proto[k])
		}
		return ops, sources[0], nil
	}
	// servedBy picks the account serving r.
	servedBy := func(r *awsapi.Request) int {
		if i, ok := byID[r.Caller.AccountID]; ok {
			return i
		}
		if i, ok := byID[arnAccount(r.Get("RoleArn"))]; ok {
			return i
		}
		return 0
	}
	ops := make([]awsapi.Operation, 0, len(order))
	for _, k := range order {
		op, hs := proto[k], handlers[k]
		op.Handle = func(ctx context.Context, r *awsapi.Request) (any, error) {
			i := servedBy(r)
			if i >= len(hs) {
				i = 0
			}
			r.Account = members[i].Lab.Account.ID()
			return hs[i](ctx, r)
		}
		ops = append(ops, op)
	}
	creds := func(ctx context.Context, id, token string) (awsapi.Credential, bool) {
		for _, src := range sources {
			if c, ok := src(ctx, id, token); ok {
				return c, true
			}
		}
		return awsapi.Credential{}, false
	}
	return ops, creds, nil
}

// iamAccounts are the IAM accounts of accounts, for the lab pages.
func iamAccounts(accounts []Account) []*iam.Account {
	var out []*iam.Account
	for _, a := range accounts {
		if a.Lab != nil {
			out = append(out, a.Lab.Account)
		}
	}
	return out
}

// arnAccount is the account field of an ARN, "" when arn is not one.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// crossAccountEvents records a successful AssumeRole into a role of another
// account in both accounts, as CloudTrail does: the caller's account's event
// as the router made it, and a copy for the role's account, with its own
// event ID, recipientAccountId the role's account and the sharedEventID both
// carry. Whether CloudTrail also records refused cross-account calls in the
// role's account is unverified; samlab records them in the caller's only.
type crossAccountEvents struct{ next awsapi.EventSink }

func (c crossAccountEvents) Record(e awsapi.Event) {
	owner := arnAccount(e.RequestParameters["roleArn"])
	if e.EventName != "AssumeRole" || e.Failed() || owner == "" || owner == e.RecipientAccountID {
		c.next.Record(e)
		return
	}
	e.SharedEventID = awsapi.NewRequestID(nil)
	c.next.Record(e)
	e.EventID = awsapi.NewRequestID(nil)
	e.RecipientAccountID = owner
	c.next.Record(e)
}
