package sts

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts/sessiontoken"
)

// Session is an issued role session: its credentials and identity. STS keeps
// no copy: the session token carries it (package sessiontoken), and Session
// reads it back from the access key ID and the token.
type Session struct {
	Credentials Credentials
	// ARN is arn:aws:sts::ACCOUNT:assumed-role/ROLE-NAME/SESSION-NAME (the
	// role's path is not part of it).
	ARN string
	// UserID is ROLE-ID:SESSION-NAME, the aws:userid of the session.
	UserID            string
	Account           string
	RoleARN           string
	SessionName       string
	SourceIdentity    string
	Tags              map[string]string
	TransitiveTagKeys []string
	// TokenIssueTime is when the credentials were issued, the condition key
	// aws:TokenIssueTime (to the second).
	TokenIssueTime time.Time
	// MFA is aws:MultiFactorAuthPresent; Chained marks a role-chained
	// session. Both are false for AssumeRoleWithSAML sessions.
	MFA, Chained bool
	// Kind is "" for a role session, sessiontoken.KindFederatedUser for a
	// GetFederationToken session (ARN
	// arn:aws:sts::ACCOUNT:federated-user/NAME, UserID ACCOUNT:NAME) and
	// sessiontoken.KindUser for a GetSessionToken session (ARN and UserID
	// the IAM user's own). RoleARN is empty for both.
	Kind string
	// UserARN is the IAM user (or account root) behind a federated user or
	// GetSessionToken session.
	UserARN string
	// Policy and PolicyARNs are the session policies the session was issued
	// with.
	Policy     string
	PolicyARNs []string
}

// IsRole reports whether the session is a role session.
func (s *Session) IsRole() bool { return s.Kind == "" }

// Context returns the session as CloudTrail's sessionContext describes it;
// its creation date is aws:TokenIssueTime.
func (s *Session) Context() *awsapi.SessionContext {
	attrs := awsapi.SessionAttributes{CreationDate: s.TokenIssueTime, MFAAuthenticated: strconv.FormatBool(s.MFA)}
	if !s.IsRole() {
		// A federated user's issuer is the IAM user who called
		// GetFederationToken; a GetSessionToken session has no issuer.
		ctx := &awsapi.SessionContext{Attributes: attrs, SourceIdentity: s.SourceIdentity}
		if s.Kind == sessiontoken.KindFederatedUser {
			ctx.SessionIssuer = awsapi.SessionIssuer{Type: "IAMUser", ARN: s.UserARN, AccountID: s.Account,
				UserName: s.UserARN[strings.LastIndex(s.UserARN, "/")+1:]}
		}
		return ctx
	}
	roleName := s.RoleARN[strings.LastIndex(s.RoleARN, "/")+1:]
	roleID, _, _ := strings.Cut(s.UserID, ":")
	return &awsapi.SessionContext{
		SessionIssuer:  awsapi.SessionIssuer{Type: "Role", PrincipalID: roleID, ARN: s.RoleARN, AccountID: s.Account, UserName: roleName},
		Attributes:     attrs,
		SourceIdentity: s.SourceIdentity,
	}
}

// Expired reports whether the session's credentials have expired at t.
func (s *Session) Expired(t time.Time) bool { return !t.Before(s.Credentials.Expiration) }

// ErrUnknownAccessKey is returned by Session for credentials STS never
// issued: a session token that is malformed, truncated, sealed under another
// account's or an unknown key, or presented with another access key ID.
var ErrUnknownAccessKey = errors.New("unknown access key id")

// initSessionKeys sets the keys that seal session tokens: cfg's, or a fresh
// keyring for this process.
func (s *Service) initSessionKeys(cfg Config) error {
	if cfg.SessionKeys != nil {
		if cfg.SessionKeys.Account() != s.acct.ID() {
			return fmt.Errorf("sts: config: SessionKeys are account %s's, not %s's", cfg.SessionKeys.Account(), s.acct.ID())
		}
		s.keys = cfg.SessionKeys
		return nil
	}
	kr, err := sessiontoken.New(s.acct.ID(), s.rand, s.now())
	if err != nil {
		return fmt.Errorf("sts: session keys: %w", err)
	}
	s.keys = kr
	return nil
}

// SessionKeys returns the keyring that seals the service's session tokens.
func (s *Service) SessionKeys() *sessiontoken.Keyring { return s.keys }

// issue seals a role session of AssumeRoleWithSAML or
// AssumeRoleWithWebIdentity; its session policies (policy, policyARNs) limit
// what the session may do, IAM calls included.
func (s *Service) issue(role *iam.Role, sessionName string, expiresAt time.Time, sourceIdentity string,
	tags map[string]string, transitive []string, policy string, policyARNs []string) (*Session, error) {
	c := sessiontoken.Claims{RoleARN: role.ARN, RoleID: role.RoleID, SessionName: sessionName, SourceIdentity: sourceIdentity,
		Tags: tags, TransitiveTagKeys: transitive, Policy: policy, PolicyARNs: policyARNs, IssuedAt: s.now().UTC().Truncate(time.Second),
		Expires: expiresAt.UTC().Truncate(time.Second)}
	return s.issueClaims(c)
}

// issueClaims seals c into fresh temporary credentials, whose ASIA… access
// key ID carries the account as AWS's do (GetAccessKeyInfo).
func (s *Service) issueClaims(c sessiontoken.Claims) (*Session, error) {
	akid, err := awsapi.NewAccessKeyIDFor(s.rand, "ASIA", s.acct.ID())
	if err != nil {
		return nil, err
	}
	token, secret, err := s.keys.Issue(akid, c)
	if err != nil {
		return nil, fmt.Errorf("sts: issue session token: %w", err)
	}
	return sessionOf(akid, secret, token, c), nil
}

// sessionOf builds the Session the claims of a token describe.
func sessionOf(akid, secret, token string, c sessiontoken.Claims) *Session {
	if c.Kind != "" {
		return userSessionOf(akid, secret, token, c)
	}
	// arn:PARTITION:iam::ACCOUNT:role/PATH/NAME
	parts := strings.SplitN(c.RoleARN, ":", 6)
	for len(parts) < 6 {
		parts = append(parts, "")
	}
	partition, account := parts[1], parts[4]
	roleName := c.RoleARN[strings.LastIndex(c.RoleARN, "/")+1:]
	return &Session{
		Credentials: Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: token, Expiration: c.Expires},
		ARN:         fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", partition, account, roleName, c.SessionName),
		UserID:      c.RoleID + ":" + c.SessionName,
		Account:     account, RoleARN: c.RoleARN, SessionName: c.SessionName, SourceIdentity: c.SourceIdentity,
		Tags: c.Tags, TransitiveTagKeys: c.TransitiveTagKeys, TokenIssueTime: c.IssuedAt, MFA: c.MFA, Chained: c.Chained,
		Policy: c.Policy, PolicyARNs: c.PolicyARNs,
	}
}

// userSessionOf builds a federated user or GetSessionToken session.
func userSessionOf(akid, secret, token string, c sessiontoken.Claims) *Session {
	parts := strings.SplitN(c.UserARN, ":", 6)
	for len(parts) < 6 {
		parts = append(parts, "")
	}
	partition, account := parts[1], parts[4]
	sess := &Session{
		Credentials: Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: token, Expiration: c.Expires},
		ARN:         c.UserARN, UserID: c.UserID, Account: account, SessionName: c.SessionName,
		SourceIdentity: c.SourceIdentity, Tags: c.Tags, TransitiveTagKeys: c.TransitiveTagKeys,
		TokenIssueTime: c.IssuedAt, MFA: c.MFA, Chained: c.Chained, Kind: c.Kind, UserARN: c.UserARN,
		Policy: c.Policy, PolicyARNs: c.PolicyARNs,
	}
	if c.Kind == sessiontoken.KindFederatedUser {
		sess.ARN = fmt.Sprintf("arn:%s:sts::%s:federated-user/%s", partition, account, c.SessionName)
		sess.UserID = account + ":" + c.SessionName
	}
	return sess
}

// Session returns the session of the temporary credentials (accessKeyID,
// sessionToken), expired or not, read from the token. Credentials this
// account's STS did not issue get an error wrapping ErrUnknownAccessKey and
// the token's defect (sessiontoken.ErrMalformed, ErrUnknownKey, ErrForged).
func (s *Service) Session(accessKeyID, sessionToken string) (*Session, error) {
	c, secret, err := s.keys.Open(accessKeyID, sessionToken)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrUnknownAccessKey, accessKeyID, err)
	}
	return sessionOf(accessKeyID, secret, sessionToken, c), nil
}

// CallerIdentity is the result of GetCallerIdentity.
type CallerIdentity struct {
	UserID, Account, ARN string
}

// GetCallerIdentity returns the identity of the temporary credentials
// (accessKeyID, sessionToken). Expired credentials get ExpiredToken (403),
// ones STS did not issue InvalidClientTokenId (403). Over HTTP the SigV4
// verifier makes both checks before the operation runs.
func (s *Service) GetCallerIdentity(accessKeyID, sessionToken string) (*CallerIdentity, error) {
	sess, err := s.Session(accessKeyID, sessionToken)
	if err != nil {
		return nil, &awsapi.Error{Code: awsapi.CodeInvalidClientTokenID, Status: http.StatusForbidden,
			Message: "The security token included in the request is invalid.", Err: err}
	}
	if sess.Expired(s.now()) {
		return nil, awsapi.Errorf(awsapi.CodeExpiredToken, http.StatusForbidden, "The security token included in the request is expired")
	}
	return &CallerIdentity{UserID: sess.UserID, Account: sess.Account, ARN: sess.ARN}, nil
}

func (s *Service) newRequestID() string { return awsapi.NewRequestID(s.rand) }
