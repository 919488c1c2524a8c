package sts

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/awssaml"
	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/internal/xmlsec"
	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/sp/awsapi"
)

// ExplainInput is a captured response and the metadata it is judged against.
type ExplainInput struct {
	// Metadata is the metadata document registered in IAM (for example the
	// SAMLMetadataDocument of `aws iam get-saml-provider`). Required.
	Metadata []byte
	// SAMLResponse is the captured response: base64 (the SAMLResponse form
	// value) or the XML itself. Required.
	SAMLResponse string
	// RoleARN and ProviderARN are the pair to assume (default: the first Role
	// attribute value of the response).
	RoleARN, ProviderARN string
	// At is the moment to judge the response at (default: now).
	At time.Time
	// Behavior configures the validator (default DefaultBehavior()).
	Behavior *Behavior

	// TrustPolicy is the role's trust policy (AssumeRolePolicyDocument, as
	// `aws iam get-role` shows it). When empty the trust policy is not
	// judged: the replay lets the provider assume the role unconditionally,
	// and the report says so (and what AWS's standard SAML trust policy
	// would decide) instead of implying success.
	TrustPolicy string
	// MaxSessionDuration is the role's, in seconds (default: not known; the
	// replay then allows the maximum, 43200, and the finding says so).
	MaxSessionDuration int
	// DurationSeconds is the DurationSeconds of the call being explained
	// (default: none, which STS takes as 3600).
	DurationSeconds *int
	// PrivateKeys are the provider's assertion-decryption keys, PEM. They
	// let the replay and the findings read an EncryptedAssertion.
	PrivateKeys []string
	// AssertionEncryptionMode is the provider's ("Required", "Allowed" or
	// "" when unset).
	AssertionEncryptionMode string
	// IDPMetadata is the IdP's current metadata (optional). With it, a
	// signature by an unregistered key is told apart: a rotation when the
	// IdP publishes the key, a foreign signer when it does not.
	IDPMetadata []byte
	// RegisteredFile is the file name the fix commands use for the
	// registered metadata (default "registered.xml").
	RegisteredFile string
	// NoProvider says the SAML provider does not exist in the account (as
	// read from a running samlab or its state): Metadata is then ignored
	// and the replay registers none.
	NoProvider bool
	// NoRole says the role does not exist in the account (as read from a
	// running samlab or its state): the replay then creates none.
	NoRole bool
	// MetadataFile is the file name the fix commands use for the IdP's
	// current metadata (default "idp-metadata.xml").
	MetadataFile string
}

// Finding is one diagnostic of an explanation.
type Finding struct {
	Check  string `json:"check"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	// NotJudged is set when the input lacked what the check needs (no
	// trust policy, no decryption key): OK is then false and means nothing.
	NotJudged bool `json:"not_judged,omitempty"`
}

// Explanation is the verdict of AssumeRoleWithSAML on a captured response,
// with diagnostics that say why.
type Explanation struct {
	// Accepted is true when AssumeRoleWithSAML would succeed.
	Accepted bool `json:"accepted"`
	// Code, Status and Message are the AWS error AssumeRoleWithSAML returns;
	// Cause is the internal reason behind it.
	Code    string `json:"code,omitempty"`
	Status  int    `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	Cause   string `json:"cause,omitempty"`
	// AssumedRoleARN is the session ARN on acceptance.
	AssumedRoleARN string `json:"assumed_role_arn,omitempty"`
	RoleARN        string `json:"role_arn"`
	ProviderARN    string `json:"provider_arn"`
	At             string `json:"at"`
	// Findings are independent checks, so one failure does not hide another
	// (an expired response may also be signed by the wrong key).
	Findings []Finding `json:"findings"`
	// NotJudged lists what the verdict could not take into account for lack
	// of input (the trust policy, the role's MaxSessionDuration, the
	// decryption key); an acceptance is only as good as this list is short.
	NotJudged []string `json:"not_judged"`
	// Diagnosis names the failure class, after the built-in scenario that
	// reproduces it where one exists (cert-rotation, stale-signing-node,
	// forged-signature, wrong-entity-id, stale-assertion, idp-clock-ahead,
	// role-not-in-assertion, session-name-claim, ...); "" when accepted.
	Diagnosis string `json:"diagnosis,omitempty"`
	// Fixes are what to change, most likely first.
	Fixes []Fix `json:"fixes"`
}

// Explain replays AssumeRoleWithSAML for a captured response against the given
// registered metadata, in a throwaway account whose role trusts the provider
// with AWS's standard SAML trust policy, and explains the outcome. The
// verdict is the real validator's; the findings read the response's claims
// (unverified, and labelled so) to point at the cause. It returns an error
// only for unusable input (unparseable metadata, no role to try).
func Explain(ctx context.Context, in ExplainInput) (*Explanation, error) {
	md, err := registeredMetadata(in)
	if err != nil {
		return nil, err
	}
	samlResponse := strings.TrimSpace(in.SAMLResponse)
	if strings.HasPrefix(samlResponse, "<") {
		samlResponse = base64.StdEncoding.EncodeToString([]byte(samlResponse))
	}
	at := in.At
	if at.IsZero() {
		at = time.Now()
	}
	at = at.UTC()
	b := DefaultBehavior()
	if in.Behavior != nil {
		b = *in.Behavior
	}
	ex := &Explanation{At: at.Format(time.RFC3339), RoleARN: in.RoleARN, ProviderARN: in.ProviderARN}

	var doc *etree.Document
	raw, derr := base64.StdEncoding.DecodeString(samlResponse)
	if derr == nil {
		doc, derr = parseXML(raw)
	}
	var claims *Assertion
	if derr != nil {
		ex.add("xml", false, "the response does not decode to a safe, well-formed SAML Response: %v", derr)
	} else {
		if ex.RoleARN == "" || ex.ProviderARN == "" {
			if pairs := unverifiedRolePairs(doc); len(pairs) > 0 {
				ex.RoleARN, ex.ProviderARN = pairs[0].RoleARN, pairs[0].ProviderARN
			}
		}
		claims = ex.readClaims(doc, in.PrivateKeys)
	}
	if ex.RoleARN == "" || ex.ProviderARN == "" {
		return nil, errors.New("no role to try: give the role and provider ARNs, or a response with a Role attribute")
	}
	prov, err := awssaml.SplitARN(ex.ProviderARN)
	if err != nil || prov.Type != "saml-provider" {
		return nil, fmt.Errorf("%q is not a SAML provider ARN (arn:aws:iam::ACCOUNT:saml-provider/NAME)", ex.ProviderARN)
	}
	account, providerName := prov.Account, prov.Name

	if in.NoProvider {
		ex.noProviderFindings()
	} else {
		ex.issuerFinding(doc, md)
		ex.signatureFinding(doc, md.SigningCerts, at, b)
	}
	if claims != nil {
		ex.claimFindings(claims, at, b, ex.RoleARN, ex.ProviderARN)
	}

	ex.captureFindings(doc, md, claims, in, at, b)

	// The verdict: the real pipeline, in a throwaway account.
	acct, err := ex.replayAccount(in, account, providerName, at)
	if err != nil {
		return nil, err
	}
	svc, err := New(Config{Account: acct, Behavior: &b, Now: func() time.Time { return at }})
	if err != nil {
		return nil, err
	}
	out, err := svc.AssumeRoleWithSAML(ctx, AssumeRoleWithSAMLInput{RoleARN: ex.RoleARN, PrincipalARN: ex.ProviderARN,
		SAMLAssertion: samlResponse, DurationSeconds: in.DurationSeconds})
	if err == nil {
		ex.Accepted, ex.AssumedRoleARN = true, out.AssumedRoleUser.ARN
		ex.addFixes(doc, md, claims, in)
		return ex, nil
	}
	var ae *awsapi.Error
	if !errors.As(err, &ae) {
		return nil, err
	}
	ex.Code, ex.Status, ex.Message = string(ae.Code), ae.Status, ae.Message
	if ae.Err != nil {
		ex.Cause = ae.Err.Error()
	}
	ex.addFixes(doc, md, claims, in)
	return ex, nil
}

func (ex *Explanation) add(check string, ok bool, format string, args ...any) {
	ex.Findings = append(ex.Findings, Finding{Check: check, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

func (ex *Explanation) issuerFinding(doc *etree.Document, md *metadata.EntityDescriptor) {
	if doc == nil {
		return
	}
	iss := xmlsec.UnverifiedIssuer(doc)
	if iss == md.EntityID {
		ex.add("issuer", true, "the response's Issuer %q is the registered entityID", iss)
		return
	}
	ex.add("issuer", false, "the response's Issuer %q is not the registered entityID %q", iss, md.EntityID)
}

// signatureFinding runs the real verifier, then names the certificate the
// response says it was signed with and compares it to the registered ones.
func (ex *Explanation) signatureFinding(doc *etree.Document, registered []*x509.Certificate, at time.Time, b Behavior) {
	var reg []string
	for _, c := range registered {
		state := "valid"
		if !certs.ValidAt(c, at) {
			state = "outside its validity window"
		}
		reg = append(reg, fmt.Sprintf("%s (CN=%s, %s, until %s)", certs.FingerprintSHA1(c), c.Subject.CommonName, state,
			c.NotAfter.UTC().Format("2006-01-02")))
	}
	ex.add("registered-certs", len(registered) > 0, "the registered metadata holds %d signing certificate(s): %s",
		len(registered), strings.Join(reg, "; "))
	if doc == nil {
		return
	}
	var signedWith []string
	for _, sig := range doc.FindElements("//Signature") {
		if sig.NamespaceURI() != xmlsec.NSDSig {
			continue
		}
		where := "an element"
		if p := sig.Parent(); p != nil {
			where = "the " + p.Tag
		}
		x := sig.FindElement(".//X509Certificate")
		if x == nil {
			signedWith = append(signedWith, where+" (no certificate in KeyInfo)")
			continue
		}
		c, err := certs.ParseCertBase64(x.Text())
		if err != nil {
			signedWith = append(signedWith, where+" (unreadable KeyInfo certificate)")
			continue
		}
		known := "NOT in the registered metadata"
		for _, r := range registered {
			if r.Equal(c) {
				known = "in the registered metadata"
			}
		}
		signedWith = append(signedWith, fmt.Sprintf("%s by %s (CN=%s), %s", where, certs.FingerprintSHA1(c), c.Subject.CommonName, known))
	}
	if len(signedWith) > 0 {
		ex.add("signed-with", !strings.Contains(strings.Join(signedWith, " "), "NOT in"), "claimed in KeyInfo: %s", strings.Join(signedWith, "; "))
	}
	// The verifier owns what it verifies: give it a copy.
	vdoc := doc.Copy()
	if _, err := newVerifier(registered, nil, "", at, b, nil).Verify(vdoc); err != nil {
		ex.add("signature", false, "no registered certificate verifies the response: %v", err)
		return
	}
	ex.add("signature", true, "the signature verifies with a registered certificate")
}

func (ex *Explanation) claimFindings(a *Assertion, at time.Time, b Behavior, roleARN, providerARN string) {
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	if !a.NotOnOrAfter.IsZero() {
		ok := at.Before(a.NotOnOrAfter.Add(b.ClockSkew))
		ex.add("not-on-or-after", ok, "Conditions NotOnOrAfter %s (judged at %s, clock skew %s) — unverified claim", ts(a.NotOnOrAfter), ts(at), b.ClockSkew)
	}
	if !a.NotBefore.IsZero() {
		ok := !at.Add(b.ClockSkew).Before(a.NotBefore)
		ex.add("not-before", ok, "Conditions NotBefore %s — unverified claim", ts(a.NotBefore))
	}
	if !a.IssueInstant.IsZero() {
		ok := !at.After(a.IssueInstant.Add(b.RedeemWindow))
		ex.add("issue-instant", ok, "Assertion IssueInstant %s; AWS wants it redeemed within %s — unverified claim", ts(a.IssueInstant), b.RedeemWindow)
	}
	audErr := checkAudience(a.AudienceRestrictions)
	ex.add("audience", audErr == nil, "Audience values %q; AWS wants urn:amazon:webservices or a sign-in SAML endpoint in every AudienceRestriction — unverified claim", a.Audiences())
	ex.add("recipient", recipientRE.MatchString(a.Recipient), "SubjectConfirmationData Recipient %q (%s; becomes the result's Audience and SAML:aud) — unverified claim",
		a.Recipient, endpointName(a.Recipient))
	roles := a.Attributes[attrRole]
	ex.add("role", awssaml.HasRolePair(roles, roleARN, providerARN), "Role values %q; requested %s via %s — unverified claim", roles, roleARN, providerARN)
	ex.add("role-session-name", len(a.Attributes[attrRoleSessionName]) == 1, "RoleSessionName values %q — unverified claim", a.Attributes[attrRoleSessionName])
}

// IssueInstant returns the IssueInstant of the response's Assertion (or of the
// Response when the Assertion has none), read without verification: it only
// chooses the moment at which Explain judges a captured response.
func IssueInstant(samlResponse string) (time.Time, error) {
	s := strings.TrimSpace(samlResponse)
	raw := []byte(s)
	if !strings.HasPrefix(s, "<") {
		var err error
		if raw, err = base64.StdEncoding.DecodeString(s); err != nil {
			return time.Time{}, fmt.Errorf("response is neither XML nor base64: %w", err)
		}
	}
	doc, err := parseXML(raw)
	if err != nil {
		return time.Time{}, err
	}
	for _, el := range append(childrenNS(doc.Root(), nsAssertion, "Assertion"), doc.Root()) {
		if t, err := parseTime(el, "IssueInstant"); err == nil && !t.IsZero() {
			return t, nil
		}
	}
	return time.Time{}, errors.New("response has no IssueInstant")
}
