package iam

import (
	"fmt"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/policy"
)

// Sessions tells the IAM authorizer what temporary credentials carry beyond
// their role: the session policies passed to AssumeRole,
// AssumeRoleWithSAML, AssumeRoleWithWebIdentity or GetFederationToken, and
// the session tags. STS implements it; it uses only types of sp/awsapi and
// sp/policy, so this package does not import STS.
type Sessions interface {
	// SessionPolicies returns the session policies of the session c signs
	// with (none when it was created without them) and its session tags.
	// An error means the session cannot be read, and refuses the call.
	SessionPolicies(c awsapi.Caller) (policies []*policy.Policy, tags map[string]string, err error)
}

// SetSessions makes IAM calls made with temporary credentials subject to
// their session policies, read through s (default: none, so only the
// role's policies and boundary limit a role session).
func (a *Account) SetSessions(s Sessions) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sessions = s
}

// sessionInfo is what a caller's session adds to its authorization.
type sessionInfo struct {
	Policies []*policy.Policy
	Tags     map[string]string
}

// sessionOf reads the session of temporary credentials; the zero value for
// long-term keys.
func (a *Account) sessionOf(c awsapi.Caller) (sessionInfo, error) {
	if c.SessionToken == "" {
		return sessionInfo{}, nil
	}
	a.mu.RLock()
	s := a.sessions
	a.mu.RUnlock()
	if s == nil {
		return sessionInfo{}, nil
	}
	pols, tags, err := s.SessionPolicies(c)
	if err != nil {
		// Fail closed: a session policy that cannot be read could have
		// denied the call.
		return sessionInfo{Policies: []*policy.Policy{{Name: "unreadable session", Kind: policy.KindIdentity}}},
			fmt.Errorf("session of %s: %w", c.ARN, err)
	}
	return sessionInfo{Policies: pols, Tags: tags}, nil
}
