package sts

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // NameQualifier is defined by AWS as SHA-1.
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/awssaml"
	"github.com/samlab-dev/samlab/internal/xmlsec"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

// Limits of AssumeRoleWithSAML (STS API reference, shared/spec §2).
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
}

// Service is the mock STS. It is safe for concurrent use.
type Service struct {
	acct     *iam.Account
	behavior Behavior
	now      func() time.Time
	rand     io.Reader
	logger   *slog.Logger

	mu       sync.RWMutex
	sessions map[string]*Session // by access key ID
	redeemed map[string]time.Time

	verifications atomic.Int64
}

// New returns a Service for cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Account == nil {
		return nil, errors.New("sts: config: Account is required")
	}
	s := &Service{acct: cfg.Account, behavior: DefaultBehavior(), now: cfg.Now, rand: cfg.Rand, logger: cfg.Logger,
		sessions: map[string]*Session{}, redeemed: map[string]time.Time{}}
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

// Patterns of the checks (STS API reference, IAM UG; shared/spec §2, §4, §6).
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

func invalidToken(msg string, cause error) *awsapi.Error {
	return &awsapi.Error{Code: awsapi.CodeInvalidIdentityToken, Status: http.StatusBadRequest, Message: msg, Err: cause}
}

func notAuthorized(cause error) *awsapi.Error {
	return &awsapi.Error{Code: awsapi.CodeAccessDenied, Status: http.StatusForbidden, Message: msgNotAuthorized, Err: cause}
}

func expired(msg string, cause error) *awsapi.Error {
	return &awsapi.Error{Code: awsapi.CodeExpiredTokenException, Status: http.StatusBadRequest, Message: msg, Err: cause}
}

func validationError(msg string, cause error) *awsapi.Error {
	return &awsapi.Error{Code: awsapi.CodeValidation, Status: http.StatusBadRequest, Message: msg, Err: cause}
}

// constraints collects AWS's per-member constraint violations (row 1).
type constraints []string

// quoted renders a member value as AWS does in validation messages.
func quoted(v string) string { return "'" + v + "'" }

// str checks a string member: pattern first, then length, as AWS lists them.
// A sensitive member's value is never echoed.
func (c *constraints) str(member, v string, sensitive bool, minLen, maxLen int, re *regexp.Regexp, pattern string) {
	n := utf8.RuneCountInString(v)
	badPattern := re != nil && !re.MatchString(v)
	if !badPattern && n >= minLen && n <= maxLen {
		return
	}
	shown := quoted(v)
	if sensitive {
		shown = ""
	}
	if badPattern {
		c.addValue(shown, member, "satisfy regular expression pattern: %s", pattern)
	}
	if n < minLen {
		c.addValue(shown, member, "have length greater than or equal to %d", minLen)
	}
	if n > maxLen {
		c.addValue(shown, member, "have length less than or equal to %d", maxLen)
	}
}

// addValue records one violation, with the value shown or not: "Value 'x' at" or "Value at".
func (c *constraints) addValue(value, member, constraint string, args ...any) {
	v := "Value"
	if value != "" {
		v += " " + value
	}
	*c = append(*c, fmt.Sprintf("%s at '%s' failed to satisfy constraint: Member must %s",
		v, member, fmt.Sprintf(constraint, args...)))
}

// validateParams implements row 1: AWS's length, pattern and range
// constraints of the service model, reported all at once in AWS's "N
// validation error(s) detected: …; …" form, members in the model's order.
// Observed from the Go SDK with both ARNs empty:
//
//	4 validation errors detected: Value '' at 'roleArn' failed to satisfy
//	constraint: Member must satisfy regular expression pattern: […]+; Value ''
//	at 'roleArn' failed to satisfy constraint: Member must have length greater
//	than or equal to 20; …
func validateParams(in AssumeRoleWithSAMLInput) error {
	var c constraints
	c.str("roleArn", in.RoleARN, false, 20, 2048, arnValueRE, arnPattern)
	c.str("principalArn", in.PrincipalARN, false, 20, 2048, arnValueRE, arnPattern)
	c.str("sAMLAssertion", in.SAMLAssertion, true, MinAssertionLength, MaxAssertionLength, nil, "")
	for i, arn := range in.PolicyARNs {
		c.str(fmt.Sprintf("policyArns.%d.member.arn", i+1), arn, false, 20, 2048, arnValueRE, arnPattern)
	}
	if n := len(in.PolicyARNs); n > maxPolicyARNs {
		c.addValue("", "policyArns", "have length less than or equal to %d", maxPolicyARNs)
	}
	if in.Policy != "" {
		c.str("policy", in.Policy, false, 1, maxPolicyLen, policyValueRE, policyPattern)
	}
	if d := in.DurationSeconds; d != nil {
		if *d < MinDuration {
			c.addValue(quoted(strconv.Itoa(*d)), "durationSeconds", "have value greater than or equal to %d", MinDuration)
		}
		if *d > MaxDuration {
			c.addValue(quoted(strconv.Itoa(*d)), "durationSeconds", "have value less than or equal to %d", MaxDuration)
		}
	}
	if len(c) == 0 {
		return nil
	}
	noun := "error"
	if len(c) > 1 {
		noun = "errors"
	}
	return validationError(fmt.Sprintf("%d validation %s detected: %s", len(c), noun, strings.Join(c, "; ")), nil)
}

// AssumeRoleWithSAML validates a SAML response against the provider's
// registered metadata and, if every check passes, issues temporary
// credentials. The checks run in the order of shared/spec §4 (see Behavior
// for where that order is a choice); the first that fails returns an
// *awsapi.Error with AWS's code, status and message, whose Err says exactly
// what was wrong. See the STS API reference, AssumeRoleWithSAML.
func (s *Service) AssumeRoleWithSAML(ctx context.Context, in AssumeRoleWithSAMLInput) (*AssumeRoleWithSAMLOutput, error) {
	out, err := s.assumeRoleWithSAML(ctx, in)
	if err != nil {
		s.logger.InfoContext(ctx, "AssumeRoleWithSAML rejected", "role_arn", in.RoleARN, "principal_arn", in.PrincipalARN, "error", err)
		return nil, err
	}
	s.logger.InfoContext(ctx, "AssumeRoleWithSAML", "role_arn", in.RoleARN, "principal_arn", in.PrincipalARN,
		"assumed_role_arn", out.AssumedRoleUser.ARN, "credentials", out.Credentials)
	return out, nil
}

func (s *Service) assumeRoleWithSAML(_ context.Context, in AssumeRoleWithSAMLInput) (*AssumeRoleWithSAMLOutput, error) {
	now := s.now().UTC()
	if in.RequestID == "" {
		in.RequestID = s.newRequestID()
	}
	if err := s.checkRequest(in); err != nil {
		return nil, err
	}
	// Row 4 comes before decoding: an unknown provider is reported even for an
	// assertion that is not SAML at all (shared/spec §4).
	prov, err := s.acct.SAMLProvider(in.PrincipalARN)
	if err != nil {
		return nil, invalidToken(fmt.Sprintf(msgProviderNotFound, in.RequestID), err)
	}
	// Row 3: base64, XML, and a samlp:Response root.
	doc, err := decodeResponse(in.SAMLAssertion, in.RequestID)
	if err != nil {
		return nil, err
	}
	// Rows 5-7: the verifier decrypts an EncryptedAssertion with the
	// provider's private keys, checks the (unverified) Issuer against the
	// provider's entityID, verifies the signature against the registered
	// metadata's certificates only, and checks the signed Issuer (see
	// xmlsec.Verifier.Verify for the order under encryption).
	verified, err := s.verifier(prov, now).Verify(doc)
	if err != nil {
		return nil, verifyError(err, in.RequestID)
	}
	return s.assumeVerified(in, prov, verified, now)
}

// assumeVerified runs the rows after the signature check on a verified
// assertion: encryption mode, validity window, audience, recipient, NameID,
// session name and source identity, the Role pair, the trust policy,
// duration, tags, session policy, and issues the session.
func (s *Service) assumeVerified(in AssumeRoleWithSAMLInput, prov *iam.SAMLProvider, verified *xmlsec.Verified, now time.Time) (*AssumeRoleWithSAMLOutput, error) {
	// Row 7, second half: a provider whose AssertionEncryptionMode is
	// Required refuses a plaintext assertion (Behavior; unverified).
	if prov.AssertionEncryptionMode == encryptionRequired && !verified.Encrypted {
		return nil, invalidToken(msgEncryptionRequired, errors.New("provider requires encrypted assertions; the response carries a plaintext Assertion"))
	}
	a, err := readAssertion(verified.Assertion)
	if err != nil {
		return nil, invalidToken(fmt.Sprintf(msgNotAResponse, in.RequestID), err)
	}
	// Rows 8-10: validity window.
	if err := s.checkTimes(a, now); err != nil {
		return nil, err
	}
	// Row 11: audience.
	if err := checkAudience(a.AudienceRestrictions); err != nil {
		return nil, invalidToken(msgAudience, err)
	}
	// Row 12: recipient.
	if !a.HasSubjectConfirmation || a.Recipient == "" || a.SubjectNotOnOrAfter.IsZero() {
		return nil, invalidToken(msgRecipientMissing, errors.New("no bearer SubjectConfirmationData with Recipient and NotOnOrAfter"))
	}
	if !recipientRE.MatchString(a.Recipient) {
		return nil, invalidToken(msgRecipientWrong, fmt.Errorf("recipient %q is not an AWS sign-in SAML endpoint", a.Recipient))
	}
	// Row 13: NameID.
	if a.NameID == "" {
		return nil, notAuthorized(errors.New("assertion has no Subject/NameID"))
	}
	// Rows 14-16: RoleSessionName and SourceIdentity.
	names := a.Attributes[attrRoleSessionName]
	if len(names) == 0 {
		return nil, invalidToken(msgSessionNameMissing, errors.New("no RoleSessionName attribute value"))
	}
	if len(names) != 1 || !awssaml.ValidSessionName(names[0]) {
		return nil, invalidToken(msgSessionNameBad, fmt.Errorf("RoleSessionName values %q", names))
	}
	sessionName := names[0]
	var sourceIdentity string
	if v, ok := a.Attributes[attrSourceIdentity]; ok {
		if len(v) != 1 || !awssaml.ValidSourceIdentity(v[0]) {
			return nil, invalidToken(msgSourceIdentityBad, fmt.Errorf("SourceIdentity values %q", v))
		}
		sourceIdentity = v[0]
	}
	// Row 17a: the requested (role, provider) pair must be in the Role attribute.
	if !awssaml.HasRolePair(a.Attributes[attrRole], in.RoleARN, in.PrincipalARN) {
		return nil, invalidToken(msgRoleNotInAssertion, fmt.Errorf("the Role values %q do not pair %s with %s",
			a.Attributes[attrRole], in.RoleARN, in.PrincipalARN))
	}
	// Row 17b: role exists and its trust policy allows every action the
	// request needs.
	role, err := s.acct.RoleByARN(in.RoleARN)
	if err != nil {
		return nil, notAuthorized(err)
	}
	if strings.HasPrefix(role.Name, "AWSReservedSSO_") {
		return nil, notAuthorized(fmt.Errorf("role %s is managed by IAM Identity Center", role.Name))
	}
	tags, transitive := sessionTags(a)
	subjectType := subjectType(a.NameIDFormat, s.behavior.SubjectTypeShortensAll)
	nameQualifier := NameQualifier(a.Issuer, s.acct.ID(), prov.Name)
	condCtx := conditionContext(a, requestContext{subjectType: subjectType, nameQualifier: nameQualifier,
		doc: s.acct.ID() + "/" + prov.Name, tags: tags, transitive: transitive, sourceIdentity: sourceIdentity})
	for _, act := range requiredActions(len(tags) > 0 || len(transitive) > 0, sourceIdentity != "") {
		if role.Trust == nil || !role.Trust.Allows(iam.Request{Federated: in.PrincipalARN, Action: act, Context: condCtx}) {
			return nil, notAuthorized(fmt.Errorf("trust policy of %s does not allow %s for %s", role.ARN, act, in.PrincipalARN))
		}
	}
	// Row 18 and §5: duration.
	expiresAt, err := s.expiration(in.DurationSeconds, role.MaxSessionDuration, a, now)
	if err != nil {
		return nil, err
	}
	// Row 19: session tags.
	if err := checkTags(tags, transitive, a.Attributes); err != nil {
		return nil, err
	}
	// Rows 20-21: session policy and packed size.
	packed, err := packedSize(in.Policy, in.PolicyARNs, tags)
	if err != nil {
		return nil, err
	}
	if s.behavior.SingleUse {
		if err := s.redeem(a, now); err != nil {
			return nil, err
		}
	}
	sess, err := s.issue(role, sessionName, expiresAt, sourceIdentity, tags, transitive)
	if err != nil {
		return nil, err
	}
	return &AssumeRoleWithSAMLOutput{
		Credentials:      sess.Credentials,
		AssumedRoleUser:  AssumedRoleUser{ARN: sess.ARN, AssumedRoleID: sess.UserID},
		Audience:         a.Recipient,
		Issuer:           a.Issuer,
		Subject:          a.NameID,
		SubjectType:      subjectType,
		NameQualifier:    nameQualifier,
		SourceIdentity:   sourceIdentity,
		PackedPolicySize: packed,
		Session:          sess,
	}, nil
}

// checkRequest implements rows 1 and 2: the parameters' constraints, then
// the ARNs' syntax.
func (s *Service) checkRequest(in AssumeRoleWithSAMLInput) error {
	// Row 1: parameters.
	if err := validateParams(in); err != nil {
		return err
	}
	// Row 2: ARN syntax, PrincipalArn first (Behavior).
	if !awssaml.ValidProviderARN(in.PrincipalARN) {
		return validationError(msgPrincipalARN, fmt.Errorf("%q is not a SAML provider ARN", in.PrincipalARN))
	}
	if !awssaml.ValidRoleARN(in.RoleARN) {
		return validationError(msgRoleARN, fmt.Errorf("%q is not a role ARN", in.RoleARN))
	}
	return nil
}

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

// requiredActions lists the trust-policy actions a request needs (UG-TAGS,
// UG-TS): sts:TagSession when it carries session tags or transitive keys,
// sts:SetSourceIdentity when it carries a SourceIdentity.
func requiredActions(tags, sourceIdentity bool) []string {
	acts := []string{"sts:AssumeRoleWithSAML"}
	if tags {
		acts = append(acts, "sts:TagSession")
	}
	if sourceIdentity {
		acts = append(acts, "sts:SetSourceIdentity")
	}
	return acts
}

// sessionTags reads the PrincipalTag:* attributes (first value each) and
// TransitiveTagKeys; checkTags validates them.
func sessionTags(a *Assertion) (map[string]string, []string) {
	tags := map[string]string{}
	for name, vals := range a.Attributes {
		if key, ok := strings.CutPrefix(name, attrPrincipalTag); ok && len(vals) > 0 {
			tags[key] = vals[0]
		}
	}
	return tags, a.Attributes[attrTransitiveTagKeys]
}

// checkTags implements row 19 with the limits of §6: at most 50 tags, one
// value each, key 1-128 and value 0-256 characters of the tag alphabet, no
// "aws:" prefix, no two keys equal regardless of case, and transitive keys
// that name session tags.
func checkTags(tags map[string]string, transitive []string, attrs map[string][]string) error {
	bad := func(format string, args ...any) error {
		return validationError(msgTags, fmt.Errorf(format, args...))
	}
	if len(tags) > maxTags {
		return bad("%d session tags, limit %d", len(tags), maxTags)
	}
	lower := make(map[string]string, len(tags))
	for key, val := range tags {
		if n := len(attrs[attrPrincipalTag+key]); n != 1 {
			return bad("PrincipalTag:%s has %d values, want 1", key, n)
		}
		if strings.HasPrefix(strings.ToLower(key), "aws:") {
			return bad("tag key %q uses the reserved prefix aws:", key)
		}
		if !awssaml.ValidTagKey(key) || !awssaml.ValidTagValue(val) {
			return bad("PrincipalTag:%s=%q violates the tag key or value constraints", key, val)
		}
		if other, ok := lower[strings.ToLower(key)]; ok {
			return bad("tag keys %q and %q differ only in case", other, key)
		}
		lower[strings.ToLower(key)] = key
	}
	for _, k := range transitive {
		if _, ok := tags[k]; !ok {
			return bad("transitive tag key %q is not a session tag", k)
		}
	}
	return nil
}

// packedSize implements rows 20-21. The session policy must be a JSON object
// (MalformedPolicyDocument otherwise). PackedPolicySize is
// ceil(100 × plaintext / 2048), plaintext being the compacted policy, the
// policy ARNs and the tag keys and values (AWS's packing is not public:
// shared/spec §3); over 100 is PackedPolicyTooLarge. It returns nil when
// nothing was sent that is packed.
func packedSize(policy string, policyARNs []string, tags map[string]string) (*int, error) {
	n := 0
	if policy != "" {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(policy), &obj); err != nil {
			return nil, &awsapi.Error{Code: awsapi.CodeMalformedPolicyDocument, Status: http.StatusBadRequest,
				Message: msgMalformedPolicy, Err: err}
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(policy)); err != nil {
			return nil, &awsapi.Error{Code: awsapi.CodeMalformedPolicyDocument, Status: http.StatusBadRequest,
				Message: msgMalformedPolicy, Err: err}
		}
		n += buf.Len()
	}
	for _, arn := range policyARNs {
		n += len(arn)
	}
	tagBytes := 0
	for k, v := range tags {
		tagBytes += len(k) + len(v)
	}
	n += tagBytes
	if policy == "" && len(policyARNs) == 0 && len(tags) == 0 {
		return nil, nil
	}
	pct := (100*n + maxPolicyLen - 1) / maxPolicyLen
	if pct > 100 {
		msg := msgPackedPolicy
		if policy == "" && len(policyARNs) == 0 {
			msg = msgPackedTags
		}
		return nil, &awsapi.Error{Code: awsapi.CodePackedPolicyTooLarge, Status: http.StatusBadRequest,
			Message: fmt.Sprintf(msg, pct), Err: fmt.Errorf("%d packed bytes, limit %d", n, maxPolicyLen)}
	}
	return &pct, nil
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
// AWS response (shared/spec §3).
func NameQualifier(issuer, accountID, providerName string) string {
	sum := sha1.Sum([]byte(issuer + accountID + "/" + providerName)) //nolint:gosec // AWS's definition
	return base64.StdEncoding.EncodeToString(sum[:])
}
