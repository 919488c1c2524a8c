package sts

import (
	"context"
	"strconv"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/sts/sessiontoken"
)

// Operations returns the STS Query API actions, for an awsapi.Router:
// AssumeRoleWithSAML (anonymous, as SDKs call it) and GetCallerIdentity
// (SigV4-signed).
func (s *Service) Operations() []awsapi.Operation {
	return []awsapi.Operation{
		{Service: awsapi.STS(), Action: "AssumeRoleWithSAML", Auth: awsapi.AuthNone, Handle: s.handleAssumeRoleWithSAML},
		{Service: awsapi.STS(), Action: "GetCallerIdentity", Auth: awsapi.AuthSigV4, Handle: s.handleGetCallerIdentity},
	}
}

// callerType is CloudTrail's userIdentity.type for a session.
func callerType(sess *Session) string {
	switch sess.Kind {
	case sessiontoken.KindFederatedUser:
		return "FederatedUser"
	case sessiontoken.KindUser:
		return "IAMUser"
	}
	return "AssumedRole"
}

// Credential reads the temporary credentials (accessKeyID, sessionToken)
// from the token, for SigV4 verification (an awsapi.CredentialSource).
// Expired sessions are returned too: the verifier reports them as
// ExpiredToken.
func (s *Service) Credential(_ context.Context, accessKeyID, sessionToken string) (awsapi.Credential, bool) {
	sess, err := s.Session(accessKeyID, sessionToken)
	if err != nil {
		return awsapi.Credential{}, false
	}
	c := sess.Credentials
	return awsapi.Credential{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
		Expiration: c.Expiration, Caller: awsapi.Caller{Type: callerType(sess), PrincipalID: sess.UserID, ARN: sess.ARN,
			AccountID: sess.Account, SessionContext: sess.Context()}}, true
}

// assumeRoleWithSAMLResult is <AssumeRoleWithSAMLResult>, members in the
// order a real STS response has them (docs/aws-behavior.md §1.1).
type assumeRoleWithSAMLResult struct {
	Audience        string `xml:"Audience"`
	AssumedRoleUser struct {
		ARN           string `xml:"Arn"`
		AssumedRoleID string `xml:"AssumedRoleId"`
	} `xml:"AssumedRoleUser"`
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	} `xml:"Credentials"`
	Subject          string `xml:"Subject"`
	NameQualifier    string `xml:"NameQualifier"`
	SubjectType      string `xml:"SubjectType"`
	Issuer           string `xml:"Issuer"`
	PackedPolicySize *int   `xml:"PackedPolicySize,omitempty"`
	SourceIdentity   string `xml:"SourceIdentity,omitempty"`
}

// AppendXML renders r as encoding/xml renders it (TestAssumeRoleWithSAMLResultXML):
// AssumeRoleWithSAML is the call the mock serves most, and reflection was a
// measurable share of it over HTTP.
func (r assumeRoleWithSAMLResult) AppendXML(b []byte) []byte {
	b = awsapi.AppendXMLElement(b, "Audience", r.Audience)
	b = append(b, "<AssumedRoleUser>"...)
	b = awsapi.AppendXMLElement(b, "Arn", r.AssumedRoleUser.ARN)
	b = awsapi.AppendXMLElement(b, "AssumedRoleId", r.AssumedRoleUser.AssumedRoleID)
	b = append(b, "</AssumedRoleUser><Credentials>"...)
	b = awsapi.AppendXMLElement(b, "AccessKeyId", r.Credentials.AccessKeyID)
	b = awsapi.AppendXMLElement(b, "SecretAccessKey", r.Credentials.SecretAccessKey)
	b = awsapi.AppendXMLElement(b, "SessionToken", r.Credentials.SessionToken)
	b = awsapi.AppendXMLElement(b, "Expiration", r.Credentials.Expiration)
	b = append(b, "</Credentials>"...)
	b = awsapi.AppendXMLElement(b, "Subject", r.Subject)
	b = awsapi.AppendXMLElement(b, "NameQualifier", r.NameQualifier)
	b = awsapi.AppendXMLElement(b, "SubjectType", r.SubjectType)
	b = awsapi.AppendXMLElement(b, "Issuer", r.Issuer)
	if r.PackedPolicySize != nil {
		b = awsapi.AppendXMLElement(b, "PackedPolicySize", strconv.Itoa(*r.PackedPolicySize))
	}
	if r.SourceIdentity != "" {
		b = awsapi.AppendXMLElement(b, "SourceIdentity", r.SourceIdentity)
	}
	return b
}

func (s *Service) handleAssumeRoleWithSAML(ctx context.Context, r *awsapi.Request) (any, error) {
	dur, err := r.Int("DurationSeconds", "durationSeconds")
	if err != nil {
		return nil, err
	}
	in := AssumeRoleWithSAMLInput{RoleARN: r.Get("RoleArn"), PrincipalARN: r.Get("PrincipalArn"),
		SAMLAssertion: r.Get("SAMLAssertion"), DurationSeconds: dur, Policy: r.Get("Policy"),
		PolicyARNs: r.List("PolicyArns", "arn"), PolicySet: r.Has("Policy"), RequestID: r.RequestID}
	for _, m := range [...]struct{ param, member string }{{"RoleArn", "roleArn"}, {"PrincipalArn", "principalArn"},
		{"SAMLAssertion", "sAMLAssertion"}} {
		if !r.Has(m.param) {
			in.Missing = append(in.Missing, m.member)
		}
	}
	r.Note("roleArn", in.RoleARN)
	r.Note("principalArn", in.PrincipalARN)
	out, err := s.AssumeRoleWithSAML(ctx, in)
	if err != nil {
		return nil, err
	}
	r.Caller = awsapi.Caller{Type: "SAMLUser", PrincipalID: out.NameQualifier + ":" + out.Subject,
		AccountID: s.acct.ID(), UserName: out.Subject}
	r.Note("assumedRoleArn", out.AssumedRoleUser.ARN)
	r.Note("accessKeyId", out.Credentials.AccessKeyID)

	var res assumeRoleWithSAMLResult
	res.Audience = out.Audience
	res.AssumedRoleUser.ARN = out.AssumedRoleUser.ARN
	res.AssumedRoleUser.AssumedRoleID = out.AssumedRoleUser.AssumedRoleID
	res.Credentials.AccessKeyID = out.Credentials.AccessKeyID
	res.Credentials.SecretAccessKey = out.Credentials.SecretAccessKey
	res.Credentials.SessionToken = out.Credentials.SessionToken
	res.Credentials.Expiration = awsapi.Timestamp(out.Credentials.Expiration)
	res.Subject, res.NameQualifier, res.SubjectType, res.Issuer = out.Subject, out.NameQualifier, out.SubjectType, out.Issuer
	res.PackedPolicySize, res.SourceIdentity = out.PackedPolicySize, out.SourceIdentity
	return res, nil
}

func (s *Service) handleGetCallerIdentity(_ context.Context, r *awsapi.Request) (any, error) {
	type result struct {
		ARN     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	}
	// The router authenticated the caller, reading temporary credentials
	// from their session token and rejecting expired ones.
	c := r.Caller
	return result{ARN: c.ARN, UserID: c.PrincipalID, Account: c.AccountID}, nil
}
