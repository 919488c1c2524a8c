package sts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/samlab-dev/samlab/awssaml"
	"github.com/samlab-dev/samlab/internal/xmlsec"
	"github.com/samlab-dev/samlab/sp/iam"
)

// AssumeRoleWithSAML validates a SAML response against the provider's
// registered metadata and, if every check passes, issues temporary
// credentials. The checks run as named stages in the order of
// docs/aws-behavior.md §4 (see Behavior for where that order is a choice):
// parameters, provider lookup, decode and parse, decrypt and verify (with
// the Issuer), then the stages of assumeStages. The first that fails returns an *awsapi.Error with
// AWS's code, status and message, whose Err says exactly what was wrong. See
// the STS API reference, AssumeRoleWithSAML.
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
	// Rows 1-2: parameters and ARN syntax.
	if err := s.checkRequest(in); err != nil {
		return nil, err
	}
	// Rows 3 and 4: base64, XML and a samlp:Response root; the provider
	// exists. Which AWS checks first varies between reports
	// (docs/aws-behavior.md §4): by default the provider, so an unknown
	// provider is reported even for an assertion that is not SAML at all.
	var prov *iam.SAMLProvider
	lookup := func() error {
		var err error
		if prov, err = s.acct.SAMLProvider(in.PrincipalARN); err != nil {
			return invalidToken(fmt.Sprintf(msgProviderNotFound, in.RequestID), err)
		}
		return nil
	}
	if !s.behavior.DecodeBeforeProviderLookup {
		if err := lookup(); err != nil {
			return nil, err
		}
	}
	doc, err := decodeResponse(in.SAMLAssertion, in.RequestID)
	if err != nil {
		return nil, err
	}
	if s.behavior.DecodeBeforeProviderLookup {
		if err := lookup(); err != nil {
			return nil, err
		}
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

// assumption is one AssumeRoleWithSAML request as the stages after the
// signature check see it; each stage reads what earlier ones set.
type assumption struct {
	in       AssumeRoleWithSAMLInput
	prov     *iam.SAMLProvider
	verified *xmlsec.Verified
	now      time.Time

	a                           *Assertion // set by stageRead
	sessionName, sourceIdentity string     // stageSessionName
	role                        *iam.Role  // stageTrustPolicy
	tags                        map[string]string
	transitive                  []string
	subjectType, nameQualifier  string
	expiresAt                   time.Time // stageDuration
	packed                      *int      // stageSessionPolicy
}

// stage is one named check of AssumeRoleWithSAML.
type stage struct {
	name string
	run  func(*assumption) error
}

// assumeStages are the stages after the signature check, in AWS's order
// (docs/aws-behavior.md §4, rows 7-21).
func (s *Service) assumeStages() []stage {
	return []stage{
		{"status", s.stageStatus},                  // Behavior.AcceptNonSuccessStatus
		{"encryption-mode", s.stageEncryptionMode}, // row 7, second half
		{"read", stageRead},
		{"validity", s.stageValidity},          // rows 8-10
		{"audience", stageAudience},            // row 11
		{"recipient", stageRecipient},          // row 12
		{"subject", stageSubject},              // row 13
		{"session-name", stageSessionName},     // rows 14-16
		{"role-pair", stageRolePair},           // row 17a
		{"trust-policy", s.stageTrustPolicy},   // row 17b
		{"duration", s.stageDuration},          // row 18, §5
		{"tags", stageTags},                    // row 19
		{"session-policy", stageSessionPolicy}, // rows 20-21
		{"single-use", s.stageSingleUse},       // Behavior.SingleUse
	}
}

// assumeVerified runs assumeStages on a verified assertion and issues the
// session.
func (s *Service) assumeVerified(in AssumeRoleWithSAMLInput, prov *iam.SAMLProvider, verified *xmlsec.Verified, now time.Time) (*AssumeRoleWithSAMLOutput, error) {
	r := &assumption{in: in, prov: prov, verified: verified, now: now}
	for _, st := range s.assumeStages() {
		if err := st.run(r); err != nil {
			return nil, err
		}
	}
	sess, err := s.issue(r.role, r.sessionName, r.expiresAt, r.sourceIdentity, r.tags, r.transitive, r.in.Policy, r.in.PolicyARNs)
	if err != nil {
		return nil, err
	}
	return &AssumeRoleWithSAMLOutput{
		Credentials:      sess.Credentials,
		AssumedRoleUser:  AssumedRoleUser{ARN: sess.ARN, AssumedRoleID: sess.UserID},
		Audience:         r.a.Recipient,
		Issuer:           r.a.Issuer,
		Subject:          r.a.NameID,
		SubjectType:      r.subjectType,
		NameQualifier:    r.nameQualifier,
		SourceIdentity:   r.sourceIdentity,
		PackedPolicySize: r.packed,
		Session:          sess,
	}, nil
}

// stageStatus refuses a Response whose StatusCode is not Success, unless
// Behavior.AcceptNonSuccessStatus (unverified).
func (s *Service) stageStatus(r *assumption) error {
	return s.checkStatus(r.verified)
}

func (s *Service) checkStatus(v *xmlsec.Verified) error {
	if s.behavior.AcceptNonSuccessStatus || (len(v.Status) > 0 && v.Status[0] == xmlsec.StatusSuccess) {
		return nil
	}
	codes := "none"
	if len(v.Status) > 0 {
		codes = strings.Join(v.Status, ", ")
	}
	return invalidToken(fmt.Sprintf(msgStatusNotSuccess, codes),
		fmt.Errorf("the Response's StatusCode is %s, not %s", codes, xmlsec.StatusSuccess))
}

// stageEncryptionMode: a provider whose AssertionEncryptionMode is Required
// refuses a plaintext assertion (Behavior; unverified).
func (s *Service) stageEncryptionMode(r *assumption) error {
	if r.prov.AssertionEncryptionMode == encryptionRequired && !r.verified.Encrypted {
		return invalidToken(msgEncryptionRequired, errors.New("provider requires encrypted assertions; the response carries a plaintext Assertion"))
	}
	return nil
}

// stageRead reads the verified assertion's claims.
func stageRead(r *assumption) error {
	a, err := readAssertion(r.verified.Assertion)
	if err != nil {
		return invalidToken(fmt.Sprintf(msgNotAResponse, r.in.RequestID), err)
	}
	r.a = a
	return nil
}

func (s *Service) stageValidity(r *assumption) error { return s.checkTimes(r.a, r.now) }

func stageAudience(r *assumption) error {
	if err := checkAudience(r.a.AudienceRestrictions); err != nil {
		return invalidToken(msgAudience, err)
	}
	return nil
}

// stageRecipient: a bearer SubjectConfirmationData with NotOnOrAfter and a
// Recipient that is an AWS sign-in SAML endpoint, matched exactly.
func stageRecipient(r *assumption) error {
	a := r.a
	if !a.HasSubjectConfirmation || a.Recipient == "" || a.SubjectNotOnOrAfter.IsZero() {
		return invalidToken(msgRecipientMissing, errors.New("no bearer SubjectConfirmationData with Recipient and NotOnOrAfter"))
	}
	if !recipientRE.MatchString(a.Recipient) {
		return invalidToken(msgRecipientWrong, fmt.Errorf("recipient %q is not an AWS sign-in SAML endpoint", a.Recipient))
	}
	return nil
}

func stageSubject(r *assumption) error {
	if r.a.NameID == "" {
		return notAuthorized(errors.New("assertion has no Subject/NameID"))
	}
	return nil
}

// stageSessionName: exactly one valid RoleSessionName, and at most one valid
// SourceIdentity.
func stageSessionName(r *assumption) error {
	names := r.a.Attributes[attrRoleSessionName]
	if len(names) == 0 {
		return invalidToken(msgSessionNameMissing, errors.New("no RoleSessionName attribute value"))
	}
	if len(names) != 1 || !awssaml.ValidSessionName(names[0]) {
		return invalidToken(msgSessionNameBad, fmt.Errorf("RoleSessionName values %q", names))
	}
	r.sessionName = names[0]
	if v, ok := r.a.Attributes[attrSourceIdentity]; ok {
		if len(v) != 1 || !awssaml.ValidSourceIdentity(v[0]) {
			return invalidToken(msgSourceIdentityBad, fmt.Errorf("SourceIdentity values %q", v))
		}
		r.sourceIdentity = v[0]
	}
	return nil
}

// stageRolePair: the requested (role, provider) pair must be a Role value.
func stageRolePair(r *assumption) error {
	if !awssaml.HasRolePair(r.a.Attributes[attrRole], r.in.RoleARN, r.in.PrincipalARN) {
		return invalidToken(msgRoleNotInAssertion, fmt.Errorf("the Role values %q do not pair %s with %s",
			r.a.Attributes[attrRole], r.in.RoleARN, r.in.PrincipalARN))
	}
	return nil
}

// stageTrustPolicy: the role exists, is not managed by IAM Identity Center,
// and its trust policy allows every action the request needs.
func (s *Service) stageTrustPolicy(r *assumption) error {
	role, err := s.acct.RoleByARN(r.in.RoleARN)
	if err != nil {
		return notAuthorized(err)
	}
	if strings.HasPrefix(role.Name, "AWSReservedSSO_") {
		return notAuthorized(fmt.Errorf("role %s is managed by IAM Identity Center", role.Name))
	}
	r.role = role
	r.tags, r.transitive = sessionTags(r.a)
	r.subjectType = subjectType(r.a.NameIDFormat, s.behavior.SubjectTypeShortensAll)
	r.nameQualifier = NameQualifier(r.a.Issuer, s.acct.ID(), r.prov.Name)
	condCtx := conditionContext(r.a, requestContext{subjectType: r.subjectType, nameQualifier: r.nameQualifier,
		doc: s.acct.ID() + "/" + r.prov.Name, tags: r.tags, transitive: r.transitive, sourceIdentity: r.sourceIdentity})
	for _, act := range requiredActions(len(r.tags) > 0 || len(r.transitive) > 0, r.sourceIdentity != "") {
		if role.Trust == nil || !role.Trust.Allows(iam.Request{Federated: r.in.PrincipalARN, Action: act, Context: condCtx}) {
			return notAuthorized(fmt.Errorf("trust policy of %s does not allow %s for %s", role.ARN, act, r.in.PrincipalARN))
		}
	}
	return nil
}

func (s *Service) stageDuration(r *assumption) error {
	var err error
	r.expiresAt, err = s.expiration(r.in.DurationSeconds, r.role.MaxSessionDuration, r.a, r.now)
	return err
}

func stageTags(r *assumption) error { return checkTags(r.tags, r.transitive, r.a.Attributes) }

func stageSessionPolicy(r *assumption) error {
	var err error
	r.packed, err = packedSize(r.in.Policy, r.in.PolicyARNs, r.tags)
	return err
}

func (s *Service) stageSingleUse(r *assumption) error {
	if !s.behavior.SingleUse {
		return nil
	}
	return s.redeem(r.a, r.now)
}
