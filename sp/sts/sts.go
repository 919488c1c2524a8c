package sts

import (
	"context"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // NameQualifier is defined by AWS as SHA-1.
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"

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
	maxTags            = 50
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

var (
	arnRE         = regexp.MustCompile(`^arn:[\w-]+:iam::\d{12}:saml-provider/[\w._-]{1,128}$`)
	sessionNameRE = regexp.MustCompile(`^[a-zA-Z_0-9+=,.@-]{2,64}$`)
	tagKeyRE      = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)
	tagValueRE    = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$`)
	audienceRE    = regexp.MustCompile(`^https://([a-z0-9-]+\.)?signin\.aws\.amazon\.com/saml$`)
	recipientRE   = regexp.MustCompile(`^https://([a-z0-9-]+\.)?signin\.aws\.amazon\.com/(static/)?saml(/acs/[A-Za-z0-9]+)?$`)
	paramValueRE  = regexp.MustCompile("^[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]+$")
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

// validateParams implements row 1: required members and AWS's length and range
// constraints, reported all at once in AWS's "N validation errors detected"
// form.
func validateParams(in AssumeRoleWithSAMLInput) error {
	var problems []string
	arnParam := func(name, v string) {
		switch {
		case v == "":
			problems = append(problems, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", name))
		case len(v) < 20 || len(v) > 2048:
			problems = append(problems, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must have length between 20 and 2048", v, name))
		case !paramValueRE.MatchString(v):
			problems = append(problems, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+", v, name))
		}
	}
	arnParam("roleArn", in.RoleARN)
	arnParam("principalArn", in.PrincipalARN)
	switch n := len(in.SAMLAssertion); {
	case in.SAMLAssertion == "":
		problems = append(problems, "Value null at 'sAMLAssertion' failed to satisfy constraint: Member must not be null")
	case n < MinAssertionLength:
		problems = append(problems, fmt.Sprintf("Value at 'sAMLAssertion' failed to satisfy constraint: Member must have length greater than or equal to %d", MinAssertionLength))
	case n > MaxAssertionLength:
		problems = append(problems, fmt.Sprintf("Value at 'sAMLAssertion' failed to satisfy constraint: Member must have length less than or equal to %d", MaxAssertionLength))
	}
	if d := in.DurationSeconds; d != nil {
		if *d < MinDuration {
			problems = append(problems, fmt.Sprintf("Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to %d", *d, MinDuration))
		} else if *d > MaxDuration {
			problems = append(problems, fmt.Sprintf("Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to %d", *d, MaxDuration))
		}
	}
	if len(in.Policy) > 2048 {
		problems = append(problems, "Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048")
	}
	if len(in.PolicyARNs) > 10 {
		problems = append(problems, "Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10")
	}
	if len(problems) == 0 {
		return nil
	}
	noun := "error"
	if len(problems) > 1 {
		noun = "errors"
	}
	return awsapi.Errorf(awsapi.CodeValidation, http.StatusBadRequest, "%d validation %s detected: %s",
		len(problems), noun, strings.Join(problems, "; "))
}

// AssumeRoleWithSAML validates a SAML response against the provider's
// registered metadata and, if every check passes, issues temporary
// credentials. The checks run in the order of shared/spec §4; the first that
// fails returns an *awsapi.Error with AWS's code, status and message, whose
// Err says exactly what was wrong.
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
	// Row 1: parameters.
	if err := validateParams(in); err != nil {
		return nil, err
	}
	// Row 2: principal ARN syntax.
	if !arnRE.MatchString(in.PrincipalARN) {
		return nil, awsapi.Errorf(awsapi.CodeValidation, http.StatusBadRequest, msgPrincipalARN)
	}
	// Row 4 comes before decoding: an unknown provider is reported even for an
	// assertion that is not SAML at all (shared/spec §4).
	prov, err := s.acct.SAMLProvider(in.PrincipalARN)
	if err != nil {
		return nil, invalidToken(fmt.Sprintf(msgProviderNotFound, in.RequestID), err)
	}
	// Row 3: base64 and XML.
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(in.SAMLAssertion))
	if err != nil {
		return nil, invalidToken(fmt.Sprintf(msgInvalidBase64, in.RequestID), err)
	}
	doc, err := parseXML(raw)
	if err != nil {
		return nil, invalidToken(fmt.Sprintf(msgNotAResponse, in.RequestID), err)
	}
	// Row 5: the (still unverified) Issuer must name the provider's entity.
	// This only picks the provider; identity is read after verification.
	if iss := unverifiedIssuer(doc); iss != prov.Metadata.EntityID {
		return nil, invalidToken(fmt.Sprintf(msgIssuerNotPresent, in.RequestID),
			fmt.Errorf("issuer %q is not the provider's entityID %q", iss, prov.Metadata.EntityID))
	}
	// Row 6: signature, against the registered metadata's certificates only.
	el, err := verifiedAssertion(doc, prov.Metadata.SigningCerts, now, s.behavior)
	if err != nil {
		if errors.Is(err, ErrNotResponse) {
			return nil, invalidToken(fmt.Sprintf(msgNotAResponse, in.RequestID), err)
		}
		if errors.Is(err, ErrEncryptedAssertion) {
			return nil, invalidToken(msgEncryptedAssertion, err)
		}
		return nil, invalidToken(msgSignatureInvalid, err)
	}
	a, err := readAssertion(el)
	if err != nil {
		return nil, invalidToken(fmt.Sprintf(msgNotAResponse, in.RequestID), err)
	}
	// The verified assertion's own Issuer must also be the provider's.
	if a.Issuer != prov.Metadata.EntityID {
		return nil, invalidToken(fmt.Sprintf(msgIssuerNotPresent, in.RequestID),
			fmt.Errorf("signed assertion issuer %q is not the provider's entityID %q", a.Issuer, prov.Metadata.EntityID))
	}
	if err := s.checkTimes(a, now); err != nil {
		return nil, err
	}
	// Row 11: audience.
	if !hasAWSAudience(a.Audiences) {
		return nil, invalidToken(msgAudience, fmt.Errorf("audiences %q", a.Audiences))
	}
	// Row 12: recipient.
	if !a.HasSubjectConfirmation || a.Recipient == "" || a.SubjectNotOnOrAfter.IsZero() {
		return nil, invalidToken(msgRecipientMissing, errors.New("no bearer SubjectConfirmationData with Recipient and NotOnOrAfter"))
	}
	if !recipientRE.MatchString(a.Recipient) {
		return nil, invalidToken(msgRecipientWrong, fmt.Errorf("recipient %q", a.Recipient))
	}
	// Row 13: NameID.
	if a.NameID == "" {
		return nil, notAuthorized(errors.New("assertion has no Subject/NameID"))
	}
	// Rows 14-16: RoleSessionName and SourceIdentity.
	names := a.Attributes[attrRoleSessionName]
	if len(names) == 0 {
		return nil, invalidToken(msgSessionNameMissing, nil)
	}
	if len(names) != 1 || !sessionNameRE.MatchString(names[0]) {
		return nil, invalidToken(msgSessionNameBad, fmt.Errorf("RoleSessionName values %q", names))
	}
	sessionName := names[0]
	var sourceIdentity string
	if v, ok := a.Attributes[attrSourceIdentity]; ok {
		if len(v) != 1 || !sessionNameRE.MatchString(v[0]) || strings.HasPrefix(strings.ToLower(v[0]), "aws:") {
			return nil, invalidToken(msgSourceIdentityBad, fmt.Errorf("SourceIdentity values %q", v))
		}
		sourceIdentity = v[0]
	}
	// Row 17a: the requested (role, provider) pair must be in the Role attribute.
	if !hasRolePair(a.Attributes[attrRole], in.RoleARN, in.PrincipalARN) {
		return nil, invalidToken(msgRoleNotInAssertion, fmt.Errorf("Role values %q", a.Attributes[attrRole]))
	}
	// Row 17b: role exists and trusts the provider.
	role, err := s.acct.RoleByARN(in.RoleARN)
	if err != nil {
		return nil, notAuthorized(err)
	}
	tags, transitive, err := sessionTags(a)
	if err != nil {
		return nil, err
	}
	subjectType := subjectType(a.NameIDFormat)
	nameQualifier := NameQualifier(a.Issuer, s.acct.ID(), prov.Name)
	condCtx := map[string][]string{
		"SAML:aud": {a.Recipient}, "SAML:iss": {a.Issuer}, "SAML:sub": {a.NameID},
		"SAML:sub_type": {subjectType}, "SAML:namequalifier": {nameQualifier},
		"SAML:doc": {s.acct.ID() + "/" + prov.Name},
	}
	for _, act := range requiredActions(len(tags) > 0, sourceIdentity != "") {
		if !role.Trust.Allows(iam.Request{Federated: in.PrincipalARN, Action: act, Context: condCtx}) {
			return nil, notAuthorized(fmt.Errorf("trust policy of %s does not allow %s for %s", role.ARN, act, in.PrincipalARN))
		}
	}
	// Row 18: duration.
	dur := DefaultDuration
	if in.DurationSeconds != nil {
		dur = *in.DurationSeconds
	}
	if dur > role.MaxSessionDuration {
		return nil, awsapi.Errorf(awsapi.CodeValidation, http.StatusBadRequest, msgDurationExceedsMax)
	}
	expiresAt := now.Add(time.Duration(dur) * time.Second)
	if !a.SessionNotOnOrAfter.IsZero() && a.SessionNotOnOrAfter.Before(expiresAt) {
		expiresAt = a.SessionNotOnOrAfter
	}
	if v := a.Attributes[attrSessionDuration]; len(v) == 1 {
		if n, err := strconv.Atoi(v[0]); err == nil && n >= MinDuration && n <= MaxDuration {
			if t := now.Add(time.Duration(n) * time.Second); t.Before(expiresAt) {
				expiresAt = t // SessionDuration may shorten API credentials (UG-ASSERT).
			}
		}
	}
	// Rows 20-21: session policy.
	packed, err := packedSize(in.Policy, tags)
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

// checkTimes implements rows 8-10.
func (s *Service) checkTimes(a *Assertion, now time.Time) error {
	skew := s.behavior.ClockSkew
	for _, t := range []time.Time{a.NotOnOrAfter, a.SubjectNotOnOrAfter} {
		if !t.IsZero() && !now.Before(t.Add(skew)) {
			return expired(msgExpired, fmt.Errorf("NotOnOrAfter %s has passed (now %s)", t.Format(time.RFC3339), now.Format(time.RFC3339)))
		}
	}
	if !a.IssueInstant.IsZero() && now.After(a.IssueInstant.Add(s.behavior.RedeemWindow+skew)) {
		return expired(msgRedeemWindow, fmt.Errorf("IssueInstant %s", a.IssueInstant.Format(time.RFC3339)))
	}
	if !a.NotBefore.IsZero() && now.Add(skew).Before(a.NotBefore) {
		return invalidToken(msgNotYetValid, fmt.Errorf("NotBefore %s is in the future (now %s)", a.NotBefore.Format(time.RFC3339), now.Format(time.RFC3339)))
	}
	return nil
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

// unverifiedIssuer is the Issuer of the Response (or, without one, of its first
// Assertion). It only selects which provider entity the response claims.
func unverifiedIssuer(doc *etree.Document) string {
	root := doc.Root()
	if iss := childNS(root, nsAssertion, "Issuer"); iss != nil {
		return text(iss)
	}
	if a := childNS(root, nsAssertion, "Assertion"); a != nil {
		return text(childNS(a, nsAssertion, "Issuer"))
	}
	return ""
}

func hasAWSAudience(auds []string) bool {
	for _, a := range auds {
		if a == "urn:amazon:webservices" || audienceRE.MatchString(a) {
			return true
		}
	}
	return false
}

// hasRolePair reports whether some Role value names role and provider, in
// either order (Okta's AWS app puts the provider first).
func hasRolePair(values []string, role, provider string) bool {
	for _, v := range values {
		parts := strings.Split(v, ",")
		if len(parts) != 2 {
			continue
		}
		a, b := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
		if (a == role && b == provider) || (a == provider && b == role) {
			return true
		}
	}
	return false
}

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

// sessionTags reads PrincipalTag:* and TransitiveTagKeys (row 19).
func sessionTags(a *Assertion) (map[string]string, []string, error) {
	tags := map[string]string{}
	bad := func(format string, args ...any) error {
		return &awsapi.Error{Code: awsapi.CodeValidation, Status: http.StatusBadRequest, Message: msgTags, Err: fmt.Errorf(format, args...)}
	}
	for name, vals := range a.Attributes {
		key, ok := strings.CutPrefix(name, attrPrincipalTag)
		if !ok {
			continue
		}
		if len(vals) != 1 {
			return nil, nil, bad("PrincipalTag:%s has %d values, want 1", key, len(vals))
		}
		if !tagKeyRE.MatchString(key) || !tagValueRE.MatchString(vals[0]) {
			return nil, nil, bad("PrincipalTag:%s=%q violates the tag key or value pattern", key, vals[0])
		}
		for k := range tags {
			if strings.EqualFold(k, key) {
				return nil, nil, bad("duplicate tag key %q (keys are case-insensitive)", key)
			}
		}
		tags[key] = vals[0]
	}
	if len(tags) > maxTags {
		return nil, nil, bad("%d session tags, limit %d", len(tags), maxTags)
	}
	transitive := a.Attributes[attrTransitiveTagKeys]
	for _, k := range transitive {
		if _, ok := tags[k]; !ok {
			return nil, nil, bad("transitive tag key %q is not a session tag", k)
		}
	}
	return tags, transitive, nil
}

// packedSize computes PackedPolicySize as ceil(100 * plaintext / 2048) for the
// session policy plus tags (AWS's packing is not public: shared/spec §3). It
// returns nil when neither is present.
func packedSize(policy string, tags map[string]string) (*int, error) {
	if policy != "" {
		var v any
		if err := json.Unmarshal([]byte(policy), &v); err != nil {
			return nil, &awsapi.Error{Code: awsapi.CodeMalformedPolicyDocument, Status: http.StatusBadRequest,
				Message: "The policy is not in the valid JSON format.", Err: err}
		}
	}
	if policy == "" && len(tags) == 0 {
		return nil, nil
	}
	n := len(policy)
	for k, v := range tags {
		n += len(k) + len(v)
	}
	pct := int(math.Ceil(100 * float64(n) / 2048))
	if pct > 100 {
		return nil, awsapi.Errorf(awsapi.CodePackedPolicyTooLarge, http.StatusBadRequest,
			"Packed size of session policies and session tags consumes %d%% of allotted space, please use smaller policies and tags.", pct)
	}
	return &pct, nil
}

// subjectType is the NameID Format with the SAML 2.0 nameid-format prefix
// removed; other formats are returned unchanged (STS API reference).
func subjectType(format string) string {
	if format == "" {
		format = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
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
