package sts

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

// Session is an issued role session: its credentials and identity.
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
}

// Expired reports whether the session's credentials have expired at t.
func (s *Session) Expired(t time.Time) bool { return !t.Before(s.Credentials.Expiration) }

// ErrUnknownAccessKey is returned by Session for an access key ID STS never
// issued.
var ErrUnknownAccessKey = errors.New("unknown access key id")

func (s *Service) issue(role *iam.Role, sessionName string, expiresAt time.Time, sourceIdentity string,
	tags map[string]string, transitive []string) (*Session, error) {
	akid, err := awsapi.NewAccessKeyID(s.rand, "ASIA")
	if err != nil {
		return nil, err
	}
	secret, err := s.randomBase64(30)
	if err != nil {
		return nil, err
	}
	token, err := s.randomBase64(96)
	if err != nil {
		return nil, err
	}
	sess := &Session{
		Credentials: Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: "IQoJb3JpZ2luX2Vj" + token,
			Expiration: expiresAt.UTC().Truncate(time.Second)},
		ARN:               fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", s.acct.Partition(), s.acct.ID(), role.Name, sessionName),
		UserID:            role.RoleID + ":" + sessionName,
		Account:           s.acct.ID(),
		RoleARN:           role.ARN,
		SessionName:       sessionName,
		SourceIdentity:    sourceIdentity,
		Tags:              tags,
		TransitiveTagKeys: transitive,
	}
	s.mu.Lock()
	s.sessions[akid] = sess
	s.mu.Unlock()
	return sess, nil
}

// Session returns the session that owns accessKeyID, expired or not.
func (s *Service) Session(accessKeyID string) (*Session, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sess, ok := s.sessions[accessKeyID]
	if !ok {
		return nil, ErrUnknownAccessKey
	}
	c := *sess
	return &c, nil
}

// CallerIdentity is the result of GetCallerIdentity.
type CallerIdentity struct {
	UserID, Account, ARN string
}

// GetCallerIdentity returns the identity of the session that owns accessKeyID.
// The caller has already verified the request's SigV4 signature. Expired
// credentials get ExpiredToken (403), unknown ones InvalidClientTokenId (403).
func (s *Service) GetCallerIdentity(accessKeyID string) (*CallerIdentity, error) {
	sess, err := s.Session(accessKeyID)
	if err != nil {
		return nil, &awsapi.Error{Code: awsapi.CodeInvalidClientTokenID, Status: http.StatusForbidden,
			Message: "The security token included in the request is invalid.", Err: err}
	}
	if sess.Expired(s.now()) {
		return nil, awsapi.Errorf(awsapi.CodeExpiredToken, http.StatusForbidden, "The security token included in the request is expired")
	}
	return &CallerIdentity{UserID: sess.UserID, Account: sess.Account, ARN: sess.ARN}, nil
}

func (s *Service) randomBase64(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("sts: random: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func (s *Service) newRequestID() string { return awsapi.NewRequestID(s.rand) }
