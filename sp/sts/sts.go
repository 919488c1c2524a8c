package sts

import (
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // NameQualifier is defined by AWS as SHA-1.
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/awssaml"
	"github.com/samlab-dev/samlab/internal/xmlsec"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts/sessiontoken"
)

// Limits of AssumeRoleWithSAML (STS API reference, docs/aws-behavior.md §2).
const (
	MaxAssertionLength = 100_000
	MinAssertionLength = 4
	MinDuration        = 900
	MaxDuration        = 43200
	DefaultDuration    = 3600
	maxTags            = awssaml.MaxTags
)

// Config configures a Service.
type Config struct {
	// Account is the IAM account whose providers and roles are used. Required.
	Account *iam.Account
	// Behavior holds the choices made where AWS is unverified
	// (default DefaultBehavior()).
	Behavior *Behavior
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand supplies credentials and request IDs (default crypto/rand).
	Rand io.Reader
	// Logger receives a line per decision (default: discard).
	Logger *slog.Logger
	// SessionKeys seals and opens session tokens; it must be Account's
	// (default: a fresh keyring, so credentials die with the process).
	SessionKeys *sessiontoken.Keyring
}

// Service is the mock STS. It is safe for concurrent use.
type Service struct {
	acct     *iam.Account
	behavior Behavior
	now      func() time.Time
	rand     io.Reader
	logger   *slog.Logger

	keys     *sessiontoken.Keyring
	mu       sync.RWMutex
	redeemed map[string]time.Time

	verifications atomic.Int64
}

// New returns a Service for cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Account == nil {
		return nil, errors.New("sts: config: Account is required")
	}
	s := &Service{acct: cfg.Account, behavior: DefaultBehavior(), now: cfg.Now, rand: cfg.Rand, logger: cfg.Logger,
		redeemed: map[string]time.Time{}}
	if cfg.Behavior != nil {
		s.behavior = *cfg.Behavior
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if err := s.initSessionKeys(cfg); err != nil {
		return nil, err
	}
	return s, nil
}

// Behavior returns the service's behaviour settings.
func (s *Service) Behavior() Behavior { return s.behavior }

// AssumeRoleWithSAMLInput is the request of AssumeRoleWithSAML.
type AssumeRoleWithSAMLInput struct {
	RoleARN         string
	PrincipalARN    string
	SAMLAssertion   string // base64 of the whole samlp:Response
	DurationSeconds *int
	Policy          string
	PolicyARNs      []string
	// PolicySet says Policy was sent even if empty: AWS refuses Policy=''
	// (the model's minimum length is 1), while a request without Policy has
	// no session policy. A non-empty Policy counts as sent either way.
	PolicySet bool
	// Missing lists the required members the request left out, spelled as
	// AWS's messages spell them ("roleArn", "principalArn",
	// "sAMLAssertion"): AWS reports such a member as "Value null", not as an
	// empty string. The wire handler sets it; for Go callers an empty string
	// is an empty value.
	Missing []string
	// RequestID is echoed in messages that carry one (default: generated).
	RequestID string
}

// AssumeRoleWithSAMLOutput is the result of AssumeRoleWithSAML, field for
// field as STS returns it.
type AssumeRoleWithSAMLOutput struct {
	Credentials      Credentials
	AssumedRoleUser  AssumedRoleUser
	Audience         string
	Issuer           string
	Subject          string
	SubjectType      string
	NameQualifier    string
	SourceIdentity   string
	PackedPolicySize *int
	// Session is the issued session, for callers inside the process.
	Session *Session
}

// Credentials are temporary security credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// LogValue redacts the secret parts.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_key_id", c.AccessKeyID), slog.Time("expiration", c.Expiration))
}

// AssumedRoleUser identifies the role session.
type AssumedRoleUser struct {
	ARN           string
	AssumedRoleID string
}

// Patterns of the checks (STS API reference, IAM UG; docs/aws-behavior.md §2, §4, §6).
var (
	regionRE      = `([a-z]{2}(-[a-z]+)+-\d+\.)?`
	audienceRE    = regexp.MustCompile(`^https://` + regionRE + `signin\.(aws\.amazon\.com|amazonaws\.cn|amazonaws-us-gov\.com)/saml$`)
	recipientRE   = regexp.MustCompile(`^https://` + regionRE + `signin\.(aws\.amazon\.com|amazonaws\.cn|amazonaws-us-gov\.com)/(static/saml|saml(/acs/[A-Za-z0-9]+)?)$`)
	arnValueRE    = regexp.MustCompile("^[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]+$")
	policyValueRE = regexp.MustCompile("^[\u0009\u000A\u000D\u0020-\u00FF]+$")
)

// Constraint texts of the service model, as AWS prints them.
const (
	arnPattern    = `[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`
	policyPattern = `[\u0009\u000A\u000D\u0020-\u00FF]+`
	maxPolicyLen  = 2048
	maxPolicyARNs = 10
	// encryptionRequired is the AssertionEncryptionMode that refuses
	// plaintext assertions (IAM API reference).
	encryptionRequired = "Required"
)

// checkTimes implements rows 8-10. NotOnOrAfter (Conditions and
// SubjectConfirmationData) and NotBefore get Behavior.ClockSkew; the redeem
// window counts from the Assertion's IssueInstant without skew.
func (s *Service) checkTimes(a *Assertion, now time.Time) error {
	skew := s.behavior.ClockSkew
	for _, t := range []time.Time{a.NotOnOrAfter, a.SubjectNotOnOrAfter} {
		if !t.IsZero() && !now.Before(t.Add(skew)) {
			return expired(msgExpired, fmt.Errorf("NotOnOrAfter %s has passed (now %s, skew %s)",
				t.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano), skew))
		}
	}
	if !a.IssueInstant.IsZero() && now.After(a.IssueInstant.Add(s.behavior.RedeemWindow)) {
		return expired(msgRedeemWindow, fmt.Errorf("IssueInstant %s is more than %s before %s",
			a.IssueInstant.Format(time.RFC3339Nano), s.behavior.RedeemWindow, now.Format(time.RFC3339Nano)))
	}
	if !a.NotBefore.IsZero() && now.Add(skew).Before(a.NotBefore) {
		return invalidToken(msgNotYetValid, fmt.Errorf("NotBefore %s is in the future (now %s, skew %s)",
			a.NotBefore.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano), skew))
	}
	return nil
}

// expiration implements row 18 and §5: DurationSeconds (default 3600) may not
// exceed the role's MaxSessionDuration; the credentials then expire at the
// earliest of now+DurationSeconds, SessionNotOnOrAfter and, when
// Behavior.SessionDurationShortens, now+SessionDuration. A SessionDuration
// value that is not an integer in 900..43200 is ignored.
func (s *Service) expiration(durationSeconds *int, maxSession int, a *Assertion, now time.Time) (time.Time, error) {
	dur := DefaultDuration
	if durationSeconds != nil {
		dur = *durationSeconds
	}
	if dur > maxSession {
		return time.Time{}, validationError(msgDurationExceedsMax, fmt.Errorf("DurationSeconds %d > MaxSessionDuration %d", dur, maxSession))
	}
	expiresAt := now.Add(time.Duration(dur) * time.Second)
	if t := a.SessionNotOnOrAfter; !t.IsZero() {
		if !t.After(now) {
			return time.Time{}, expired(msgExpired, fmt.Errorf("SessionNotOnOrAfter %s has passed", t.Format(time.RFC3339Nano)))
		}
		if t.Before(expiresAt) {
			expiresAt = t
		}
	}
	if v := a.Attributes[attrSessionDuration]; s.behavior.SessionDurationShortens && len(v) == 1 {
		if n, err := strconv.Atoi(v[0]); err == nil && n >= MinDuration && n <= MaxDuration {
			if t := now.Add(time.Duration(n) * time.Second); t.Before(expiresAt) {
				expiresAt = t
			}
		}
	}
	return expiresAt, nil
}

func (s *Service) redeem(a *Assertion, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, exp := range s.redeemed {
		if now.After(exp) {
			delete(s.redeemed, id)
		}
	}
	if _, ok := s.redeemed[a.ID]; ok {
		return invalidToken(msgAlreadyRedeemed, fmt.Errorf("assertion %s", a.ID))
	}
	exp := a.NotOnOrAfter
	if exp.IsZero() {
		exp = now.Add(time.Hour)
	}
	s.redeemed[a.ID] = exp
	return nil
}

func isResponse(root *etree.Element) bool {
	return xmlsec.Is(root, nsProtocol, "Response")
}

// checkAudience implements row 11: there is at least one AudienceRestriction,
// and each names an AWS audience (SAML Core §2.5.1.4: every restriction must
// be satisfied).
func checkAudience(restrictions [][]string) error {
	if len(restrictions) == 0 {
		return errors.New("no AudienceRestriction")
	}
	for _, r := range restrictions {
		ok := false
		for _, au := range r {
			if au == "urn:amazon:webservices" || audienceRE.MatchString(au) {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("AudienceRestriction %q names no AWS audience", r)
		}
	}
	return nil
}

// subjectType is SubjectType (STS API reference): the NameID Format with the
// "urn:oasis:names:tc:SAML:2.0:nameid-format:" prefix removed, other formats
// unchanged, or with any SAML version's prefix removed when all is set
// (Behavior.SubjectTypeShortensAll). A NameID without Format has SAML's
// default, urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified (SAML Core
// §8.3.1).
func subjectType(format string, all bool) string {
	if format == "" {
		format = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
	}
	if all {
		for _, v := range []string{"1.1", "2.0"} {
			if rest, ok := strings.CutPrefix(format, "urn:oasis:names:tc:SAML:"+v+":nameid-format:"); ok {
				return rest
			}
		}
		return format
	}
	return strings.TrimPrefix(format, "urn:oasis:names:tc:SAML:2.0:nameid-format:")
}

// NameQualifier computes AWS's NameQualifier:
// BASE64(SHA1(issuer + accountID + "/" + providerName)), checked against a real
// AWS response (docs/aws-behavior.md §3).
func NameQualifier(issuer, accountID, providerName string) string {
	sum := sha1.Sum([]byte(issuer + accountID + "/" + providerName)) //nolint:gosec // AWS's definition
	return base64.StdEncoding.EncodeToString(sum[:])
}
