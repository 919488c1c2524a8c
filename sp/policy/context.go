package policy

import "strings"

// PrincipalKeys returns the global condition keys AWS derives from the
// principal alone (IAM User Guide, "AWS global condition context keys" and
// the principal table of "Policy variables"):
//
//   - aws:PrincipalArn: the IAM user, the account root, the federated user —
//     and for a role session the role's ARN, not the session's;
//   - aws:PrincipalAccount;
//   - aws:PrincipalType: "Account", "User", "FederatedUser" or "AssumedRole";
//   - aws:username: for IAM users only.
//
// aws:userid needs the entity's unique ID, which only the store knows, so it
// is left to the caller. Callers without an IAM identity (web identity, SAML,
// services) get no keys. Evaluate and Policy.Check add these keys to a
// request's context unless the context already has them.
func (p Principal) PrincipalKeys() map[string][]string {
	parts, ok := splitARN(p.ARN)
	if !ok {
		return nil
	}
	keys := map[string][]string{}
	if acct := p.account(); acct != "" {
		keys["aws:PrincipalAccount"] = []string{acct}
	}
	service, resource := parts[2], parts[5]
	switch {
	case service == "iam" && resource == "root":
		keys["aws:PrincipalArn"] = []string{p.ARN}
		keys["aws:PrincipalType"] = []string{"Account"}
	case service == "iam" && strings.HasPrefix(resource, "user/"):
		keys["aws:PrincipalArn"] = []string{p.ARN}
		keys["aws:PrincipalType"] = []string{"User"}
		keys["aws:username"] = []string{resource[strings.LastIndexByte(resource, '/')+1:]}
	case service == "sts" && strings.HasPrefix(resource, "federated-user/"):
		keys["aws:PrincipalArn"] = []string{p.ARN}
		keys["aws:PrincipalType"] = []string{"FederatedUser"}
	case service == "sts" && strings.HasPrefix(resource, "assumed-role/"):
		keys["aws:PrincipalType"] = []string{"AssumedRole"}
		if p.RoleARN != "" {
			keys["aws:PrincipalArn"] = []string{p.RoleARN}
		}
	}
	return keys
}

// withPrincipalKeys returns the request context with PrincipalKeys added
// where absent (keys compared case-insensitively).
func withPrincipalKeys(ctx map[string][]string, p Principal) map[string][]string {
	pk := p.PrincipalKeys()
	if len(pk) == 0 {
		return ctx
	}
	have := make(map[string]bool, len(ctx))
	for k := range ctx {
		have[strings.ToLower(k)] = true
	}
	out := make(map[string][]string, len(ctx)+len(pk))
	for k, v := range ctx {
		out[k] = v
	}
	for k, v := range pk {
		if !have[strings.ToLower(k)] {
			out[k] = v
		}
	}
	return out
}
