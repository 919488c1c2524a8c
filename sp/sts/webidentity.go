package sts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/samlab-dev/samlab/awssaml"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/policy"
	"github.com/samlab-dev/samlab/sp/sts/webidentity"
)

// WebIdentity serves AssumeRoleWithWebIdentity for a Service: it verifies
// OpenID Connect ID tokens against the IAM OIDC providers of the service's
// account and issues role sessions through the service. It keeps the JWKS
// cache. It is safe for concurrent use.
type WebIdentity struct {
	svc      *Service
	behavior WebIdentityBehavior
	keys     *webidentity.Keys
	builtin  builtins
}

// NewWebIdentity returns the web identity front of s. A nil behavior means
// DefaultWebIdentityBehavior().
func (s *Service) NewWebIdentity(behavior *WebIdentityBehavior) *WebIdentity {
	b := DefaultWebIdentityBehavior()
	if behavior != nil {
		b = *behavior
	}
	return &WebIdentity{svc: s, behavior: b, keys: webidentity.NewKeys(webidentity.KeysConfig{
		TTL: b.JWKSCacheTTL, Timeout: b.FetchTimeout, Now: s.now, TrustedRoots: b.TrustedRoots})}
}

// Behavior returns the web identity behaviour settings.
func (w *WebIdentity) Behavior() WebIdentityBehavior { return w.behavior }

// ForgetKeys drops the cached JWKS of issuer, as if STS had never fetched it.
func (w *WebIdentity) ForgetKeys(issuer string) { w.keys.Forget(issuer) }

// AssumeRoleWithWebIdentityInput is the request of AssumeRoleWithWebIdentity.
type AssumeRoleWithWebIdentityInput struct {
	RoleARN          string
	RoleSessionName  string
	WebIdentityToken string
	// ProviderID is only for OAuth 2.0 access tokens (www.amazon.com,
	// graph.facebook.com); empty for OpenID Connect ID tokens.
	ProviderID      string
	DurationSeconds *int
	Policy          string
	PolicyARNs      []string
	// RequestID is the request's ID (default: generated).
	RequestID string
}

// AssumeRoleWithWebIdentityOutput is the result of AssumeRoleWithWebIdentity,
// field for field as STS returns it.
type AssumeRoleWithWebIdentityOutput struct {
	Credentials     Credentials
	AssumedRoleUser AssumedRoleUser
	// SubjectFromWebIdentityToken is the token's sub.
	SubjectFromWebIdentityToken string
	// Provider is the IAM OIDC provider's ARN.
	Provider string
	// Audience is the client ID the token was accepted for.
	Audience         string
	SourceIdentity   string
	PackedPolicySize *int
	// Session is the issued session, for callers inside the process.
	Session *Session
}

var wiSessionNameRE = regexp.MustCompile(`^[\w+=,.@-]*$`)

const (
	wiSessionNamePattern = `[\w+=,.@-]*`
	tagsClaim            = "https://aws.amazon.com/tags"
	actionWebIdentity    = "sts:AssumeRoleWithWebIdentity"
)

// validateWebIdentityParams is row 1 for AssumeRoleWithWebIdentity: the
// service model's constraints, all reported at once, members in the model's
// order.
func validateWebIdentityParams(in AssumeRoleWithWebIdentityInput) error {
	var c constraints
	c.str("roleArn", in.RoleARN, false, 20, 2048, arnValueRE, arnPattern)
	c.str("roleSessionName", in.RoleSessionName, false, 2, 64, wiSessionNameRE, wiSessionNamePattern)
	c.str("webIdentityToken", in.WebIdentityToken, true, 4, webidentity.MaxTokenLength, nil, "")
	if in.ProviderID != "" {
		c.str("providerId", in.ProviderID, false, 4, 2048, nil, "")
	}
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

// AssumeRoleWithWebIdentity verifies an OpenID Connect ID token and, if
// every check passes, issues temporary credentials for the role. The checks,
// in order (the order among them is samlab's choice where AWS's is unknown):
//
//  1. parameters (service model constraints) and the role ARN's syntax;
//  2. the token's form: compact JWS, JSON, an algorithm STS accepts;
//  3. iss names a registered IAM OIDC provider (matched on the URL without
//     its scheme);
//  4. aud holds one of the provider's client IDs;
//  5. exp has not passed; nbf and iat are not in the future (ClockSkew);
//     iat is not older than MaxTokenAge when set;
//  6. the signature verifies with the issuer's JWKS, fetched through its
//     discovery document over loopback, an https issuer's certificate
//     matching the provider's thumbprints;
//  7. sub is present;
//  8. the role exists and its trust policy allows sts:AssumeRoleWithWebIdentity
//     (and sts:TagSession, sts:SetSourceIdentity when used) for the provider,
//     with the condition keys <provider>:aud, :oaud, :sub, :amr;
//  9. DurationSeconds within the role's MaxSessionDuration;
//  10. session tags from the https://aws.amazon.com/tags claim, session
//     policy and packed size.
//
// Errors are *awsapi.Error with AWS's code, status and message; Err says
// exactly what was wrong.
func (w *WebIdentity) AssumeRoleWithWebIdentity(ctx context.Context, in AssumeRoleWithWebIdentityInput) (*AssumeRoleWithWebIdentityOutput, error) {
	out, err := w.assume(ctx, in)
	logger := w.svc.logger
	if err != nil {
		logger.InfoContext(ctx, "AssumeRoleWithWebIdentity rejected", "role_arn", in.RoleARN, "error", err)
		return nil, err
	}
	logger.InfoContext(ctx, "AssumeRoleWithWebIdentity", "role_arn", in.RoleARN, "provider", out.Provider,
		"subject", out.SubjectFromWebIdentityToken, "assumed_role_arn", out.AssumedRoleUser.ARN, "credentials", out.Credentials)
	return out, nil
}

func (w *WebIdentity) assume(ctx context.Context, in AssumeRoleWithWebIdentityInput) (*AssumeRoleWithWebIdentityOutput, error) {
	s := w.svc
	now := s.now().UTC()
	if err := validateWebIdentityParams(in); err != nil {
		return nil, err
	}
	if !awssaml.ValidRoleARN(in.RoleARN) {
		return nil, validationError(msgRoleARN, fmt.Errorf("%q is not a role ARN", in.RoleARN))
	}
	if in.ProviderID == "www.amazon.com" || in.ProviderID == "graph.facebook.com" {
		return nil, &awsapi.Error{Code: codeIDPCommunicationError, Status: http.StatusBadRequest,
			Message: fmt.Sprintf(msgWIOAuthProvider, in.ProviderID), Err: errors.New("OAuth 2.0 providers are not emulated")}
	}
	// 2.–7. Form, issuer, audience, times, signature, subject.
	v, err := w.VerifyToken(ctx, in.WebIdentityToken)
	if err != nil {
		return nil, err
	}
	tok, prov, audience, c := v.Token, v.Provider, v.Audience, v.Token.Claims
	var sourceIdentity string
	if c.SourceIdentity != nil {
		v := *c.SourceIdentity
		if !awssaml.ValidSessionName(v) || strings.HasPrefix(strings.ToLower(v), "aws:") {
			return nil, invalidToken(msgSourceIdentityBad, fmt.Errorf("source_identity claim %q", v))
		}
		sourceIdentity = v
	}
	tags, transitive, tagAttrs := webIdentityTags(c.Tags)
	// 8. Role and trust policy.
	role, err := s.acct.RoleByARN(in.RoleARN)
	if err != nil {
		return nil, &awsapi.Error{Code: awsapi.CodeAccessDenied, Status: http.StatusForbidden, Message: msgWINotAuthorized, Err: err}
	}
	if err := w.checkTrust(role, prov, tok, audience, in.RoleSessionName, sourceIdentity, tags, transitive); err != nil {
		return nil, err
	}
	// 9. Duration. The credentials' lifetime does not depend on the token's
	// exp (STS API reference: DurationSeconds alone).
	dur := DefaultDuration
	if in.DurationSeconds != nil {
		dur = *in.DurationSeconds
	}
	if dur > role.MaxSessionDuration {
		return nil, validationError(msgDurationExceedsMax, fmt.Errorf("DurationSeconds %d > MaxSessionDuration %d", dur, role.MaxSessionDuration))
	}
	// 10. Tags, session policy, packed size.
	if c.Tags != nil {
		if err := checkTags(tags, transitive, tagAttrs); err != nil {
			return nil, err
		}
	}
	packed, err := packedSize(in.Policy, in.PolicyARNs, tags)
	if err != nil {
		return nil, err
	}
	sess, err := w.issueSession(role, in.RoleSessionName, now.Add(time.Duration(dur)*time.Second), sourceIdentity, tags, transitive, in.Policy, in.PolicyARNs)
	if err != nil {
		return nil, err
	}
	return &AssumeRoleWithWebIdentityOutput{
		Credentials:                 sess.Credentials,
		AssumedRoleUser:             AssumedRoleUser{ARN: sess.ARN, AssumedRoleID: sess.UserID},
		SubjectFromWebIdentityToken: c.Subject,
		Provider:                    prov.ARN,
		Audience:                    audience,
		SourceIdentity:              sourceIdentity,
		PackedPolicySize:            packed,
		Session:                     sess,
	}, nil
}

// issueSession is the one place web identity sessions are issued.
func (w *WebIdentity) issueSession(role *iam.Role, sessionName string, expiresAt time.Time, sourceIdentity string,
	tags map[string]string, transitive []string, policy string, policyARNs []string) (*Session, error) {
	return w.svc.issue(role, sessionName, expiresAt, sourceIdentity, tags, transitive, policy, policyARNs)
}

func (w *WebIdentity) checkTimes(c webidentity.Claims, now time.Time) error {
	if c.Expiry == nil {
		return invalidToken(fmt.Sprintf(msgWIMissingClaim, "exp"), errors.New("token has no exp claim"))
	}
	if !now.Before(c.Expiry.Time()) {
		return expired(fmt.Sprintf(msgWIExpired, now.Unix(), int64(*c.Expiry)),
			fmt.Errorf("exp %s is not after now %s", c.Expiry.Time().Format(time.RFC3339), now.Format(time.RFC3339)))
	}
	skew := w.behavior.ClockSkew
	for _, t := range []struct {
		name string
		at   *webidentity.Timestamp
	}{{"nbf", c.NotBefore}, {"iat", c.IssuedAt}} {
		if t.at != nil && t.at.Time().After(now.Add(skew)) {
			return invalidToken(msgWINotYetValid, fmt.Errorf("%s %s is after now %s + skew %s", t.name,
				t.at.Time().Format(time.RFC3339), now.Format(time.RFC3339), skew))
		}
	}
	if limit := w.behavior.MaxTokenAge; limit > 0 && c.IssuedAt != nil {
		if age := now.Sub(c.IssuedAt.Time()); age > limit {
			return expired(fmt.Sprintf(msgWITooOld, int64(age/time.Second)), fmt.Errorf("iat is %s old, limit %s", age, limit))
		}
	}
	return nil
}

// verifySignature fetches (or reuses) the issuer's keys and checks the
// signature. A kid that is not among cached keys triggers one fresh fetch
// when Behavior.RefetchOnUnknownKey is set.
func (w *WebIdentity) verifySignature(ctx context.Context, tok *webidentity.Token, prov *iam.OIDCProvider) error {
	issuer := tok.Claims.Issuer
	if b, ok := w.builtinFor(issuer); ok {
		return verifyBuiltin(tok, b)
	}
	keys, fetched, err := w.keys.Get(ctx, issuer, prov.Thumbprints, false)
	if err != nil {
		return keyError(err)
	}
	err = tok.Verify(keys)
	if errors.Is(err, webidentity.ErrUnknownKey) && !fetched && w.behavior.RefetchOnUnknownKey {
		if keys, _, err = w.keys.Get(ctx, issuer, prov.Thumbprints, true); err != nil {
			return keyError(err)
		}
		err = tok.Verify(keys)
	}
	switch {
	case errors.Is(err, webidentity.ErrUnknownKey):
		return invalidToken(msgWIRetrieveKey, err)
	case err != nil:
		return invalidToken(msgWISignature, err)
	}
	return nil
}

func keyError(err error) error {
	switch {
	case errors.Is(err, webidentity.ErrThumbprint):
		return invalidToken(msgWIThumbprint, err)
	case errors.Is(err, webidentity.ErrTimeout):
		return &awsapi.Error{Code: codeIDPCommunicationError, Status: http.StatusBadRequest, Message: msgWIIDPTimeout, Err: err}
	}
	return invalidToken(msgWIRetrieveKey, err)
}

// webIdentityTags reads the tags claim: the first value of each principal
// tag (a tag with another number of values fails checkTags, through the
// attribute map built here in the SAML shape checkTags reads).
func webIdentityTags(t *webidentity.SessionTags) (map[string]string, []string, map[string][]string) {
	if t == nil {
		return nil, nil, nil
	}
	tags := make(map[string]string, len(t.PrincipalTags))
	attrs := make(map[string][]string, len(t.PrincipalTags))
	for k, vals := range t.PrincipalTags {
		attrs[attrPrincipalTag+k] = vals
		if len(vals) > 0 {
			tags[k] = vals[0]
		} else {
			tags[k] = ""
		}
	}
	return tags, t.TransitiveTagKeys, attrs
}

// checkTrust evaluates the role's trust policy with sp/policy, which
// implements every condition operator (ForAnyValue: on the multivalued amr
// and oaud keys, IfExists, Null…) and policy variables such as
// ${host/path:sub}.
func (w *WebIdentity) checkTrust(role *iam.Role, prov *iam.OIDCProvider, tok *webidentity.Token, audience, sessionName,
	sourceIdentity string, tags map[string]string, transitive []string) error {
	denied := func(cause error) error {
		return &awsapi.Error{Code: awsapi.CodeAccessDenied, Status: http.StatusForbidden, Message: msgWINotAuthorized, Err: cause}
	}
	trust, err := policy.Parse(role.AssumeRolePolicyDocument, policy.KindTrust)
	if err != nil {
		return denied(fmt.Errorf("trust policy of %s: %w", role.ARN, err))
	}
	c := tok.Claims
	p := prov.HostPath()
	// <provider>:aud is azp when the token has one, else the accepted aud;
	// :oaud is the aud claim (IAM User Guide, keys for web identity
	// federation, documented for Google; applied to every provider here,
	// unverified for the others).
	aud := audience
	if c.AuthorizedParty != "" {
		aud = c.AuthorizedParty
	}
	ctx := map[string][]string{
		p + ":aud":              {aud},
		p + ":oaud":             c.Audience,
		p + ":sub":              {c.Subject},
		"aws:FederatedProvider": {prov.ARN},
		"sts:RoleSessionName":   {sessionName},
	}
	if len(c.AMR) > 0 {
		ctx[p+":amr"] = c.AMR
	}
	if len(tags) > 0 {
		keys := make([]string, 0, len(tags))
		for k, v := range tags {
			ctx["aws:RequestTag/"+k] = []string{v}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		ctx["aws:TagKeys"] = keys
	}
	if len(transitive) > 0 {
		ctx["sts:TransitiveTagKeys"] = transitive
	}
	if sourceIdentity != "" {
		ctx["sts:SourceIdentity"] = []string{sourceIdentity}
	}
	acts := []string{actionWebIdentity}
	if len(tags) > 0 || len(transitive) > 0 {
		acts = append(acts, "sts:TagSession")
	}
	if sourceIdentity != "" {
		acts = append(acts, "sts:SetSourceIdentity")
	}
	for _, act := range acts {
		res := trust.Check(policy.Request{Principal: policy.Principal{Federated: prov.ARN}, Action: act,
			Resource: role.ARN, Context: ctx})
		if !res.Allowed {
			why := "no statement allows it"
			if res.Denied {
				why = "a Deny statement matches"
			}
			return denied(fmt.Errorf("trust policy of %s does not allow %s for %s (%s; sub %q, aud %q)", role.ARN, act, prov.ARN, why, c.Subject, aud))
		}
	}
	return nil
}

// Operations returns AssumeRoleWithWebIdentity for an awsapi.Router. Like
// AssumeRoleWithSAML it is anonymous: SDKs and the aws CLI send it unsigned.
func (w *WebIdentity) Operations() []awsapi.Operation {
	return []awsapi.Operation{
		{Service: awsapi.STS(), Action: "AssumeRoleWithWebIdentity", Auth: awsapi.AuthNone, Handle: w.handle},
	}
}

// assumeRoleWithWebIdentityResult is <AssumeRoleWithWebIdentityResult>,
// members in the order of the STS API reference's example response.
type assumeRoleWithWebIdentityResult struct {
	SubjectFromWebIdentityToken string `xml:"SubjectFromWebIdentityToken"`
	Audience                    string `xml:"Audience"`
	AssumedRoleUser             struct {
		ARN           string `xml:"Arn"`
		AssumedRoleID string `xml:"AssumedRoleId"`
	} `xml:"AssumedRoleUser"`
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	} `xml:"Credentials"`
	PackedPolicySize *int   `xml:"PackedPolicySize,omitempty"`
	SourceIdentity   string `xml:"SourceIdentity,omitempty"`
	Provider         string `xml:"Provider"`
}

func (w *WebIdentity) handle(ctx context.Context, r *awsapi.Request) (any, error) {
	dur, err := r.Int("DurationSeconds", "durationSeconds")
	if err != nil {
		return nil, err
	}
	in := AssumeRoleWithWebIdentityInput{RoleARN: r.Get("RoleArn"), RoleSessionName: r.Get("RoleSessionName"),
		WebIdentityToken: r.Get("WebIdentityToken"), ProviderID: r.Get("ProviderId"), DurationSeconds: dur,
		Policy: r.Get("Policy"), PolicyARNs: r.List("PolicyArns", "arn"), RequestID: r.RequestID}
	r.Note("roleArn", in.RoleARN)
	r.Note("roleSessionName", in.RoleSessionName)
	out, err := w.AssumeRoleWithWebIdentity(ctx, in)
	if err != nil {
		return nil, err
	}
	r.Caller = awsapi.Caller{Type: "WebIdentityUser", PrincipalID: strings.TrimPrefix(out.Provider, "arn:"+w.svc.acct.Partition()+":iam::"+w.svc.acct.ID()+":oidc-provider/") + ":" + out.Audience + ":" + out.SubjectFromWebIdentityToken,
		AccountID: w.svc.acct.ID(), UserName: out.SubjectFromWebIdentityToken}
	r.Note("provider", out.Provider)
	r.Note("assumedRoleArn", out.AssumedRoleUser.ARN)
	r.Note("accessKeyId", out.Credentials.AccessKeyID)
	var res assumeRoleWithWebIdentityResult
	res.SubjectFromWebIdentityToken, res.Audience, res.Provider = out.SubjectFromWebIdentityToken, out.Audience, out.Provider
	res.AssumedRoleUser.ARN, res.AssumedRoleUser.AssumedRoleID = out.AssumedRoleUser.ARN, out.AssumedRoleUser.AssumedRoleID
	res.Credentials.AccessKeyID = out.Credentials.AccessKeyID
	res.Credentials.SecretAccessKey = out.Credentials.SecretAccessKey
	res.Credentials.SessionToken = out.Credentials.SessionToken
	res.Credentials.Expiration = awsapi.Timestamp(out.Credentials.Expiration)
	res.PackedPolicySize, res.SourceIdentity = out.PackedPolicySize, out.SourceIdentity
	return res, nil
}
