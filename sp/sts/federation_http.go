package sts

import (
	"context"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Operations returns the caller-authenticated STS actions for an
// awsapi.Router. All are SigV4-signed.
func (f *Federation) Operations() []awsapi.Operation {
	op := func(action string, h awsapi.HandlerFunc) awsapi.Operation {
		return awsapi.Operation{Service: awsapi.STS(), Action: action, Auth: awsapi.AuthSigV4, Handle: h}
	}
	return []awsapi.Operation{
		op("AssumeRole", f.handleAssumeRole),
		op("GetSessionToken", f.handleGetSessionToken),
		op("GetFederationToken", f.handleGetFederationToken),
		op("GetAccessKeyInfo", f.handleGetAccessKeyInfo),
		op("DecodeAuthorizationMessage", f.handleDecodeAuthorizationMessage),
	}
}

// optional returns the parameter name, nil when absent.
func optional(r *awsapi.Request, name string) *string {
	if !r.Has(name) {
		return nil
	}
	v := r.Get(name)
	return &v
}

// credentialsXML is <Credentials>.
type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

func credentialsOf(c Credentials) credentialsXML {
	return credentialsXML{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
		Expiration: awsapi.Timestamp(c.Expiration)}
}

// assumeRoleResult is <AssumeRoleResult>, members in the order of the STS
// API reference's example response.
type assumeRoleResult struct {
	SourceIdentity  string `xml:"SourceIdentity,omitempty"`
	AssumedRoleUser struct {
		ARN           string `xml:"Arn"`
		AssumedRoleID string `xml:"AssumedRoleId"`
	} `xml:"AssumedRoleUser"`
	Credentials      credentialsXML `xml:"Credentials"`
	PackedPolicySize *int           `xml:"PackedPolicySize,omitempty"`
}

func (f *Federation) handleAssumeRole(ctx context.Context, r *awsapi.Request) (any, error) {
	dur, err := r.Int("DurationSeconds", "durationSeconds")
	if err != nil {
		return nil, err
	}
	tags, err := r.Tags("Tags")
	if err != nil {
		return nil, err
	}
	in := AssumeRoleInput{RoleARN: optional(r, "RoleArn"), RoleSessionName: optional(r, "RoleSessionName"),
		DurationSeconds: dur, Policy: optional(r, "Policy"), PolicyARNs: r.List("PolicyArns", "arn"), Tags: tags,
		TransitiveTagKeys: r.List("TransitiveTagKeys", ""), ExternalID: optional(r, "ExternalId"),
		SerialNumber: optional(r, "SerialNumber"), TokenCode: optional(r, "TokenCode"),
		SourceIdentity: optional(r, "SourceIdentity"), SourceIP: r.SourceIP}
	r.Note("roleArn", deref(in.RoleARN))
	r.Note("roleSessionName", deref(in.RoleSessionName))
	r.Note("externalId", deref(in.ExternalID))
	r.Note("serialNumber", deref(in.SerialNumber))
	caller, err := f.CallerOf(r.Caller)
	if err != nil {
		return nil, err
	}
	out, err := f.AssumeRole(ctx, caller, in)
	if err != nil {
		return nil, err
	}
	r.Note("assumedRoleArn", out.AssumedRoleUser.ARN)
	r.Note("accessKeyId", out.Credentials.AccessKeyID)
	var res assumeRoleResult
	res.SourceIdentity = out.SourceIdentity
	res.AssumedRoleUser.ARN, res.AssumedRoleUser.AssumedRoleID = out.AssumedRoleUser.ARN, out.AssumedRoleUser.AssumedRoleID
	res.Credentials = credentialsOf(out.Credentials)
	res.PackedPolicySize = out.PackedPolicySize
	return res, nil
}

func (f *Federation) handleGetSessionToken(ctx context.Context, r *awsapi.Request) (any, error) {
	dur, err := r.Int("DurationSeconds", "durationSeconds")
	if err != nil {
		return nil, err
	}
	in := GetSessionTokenInput{DurationSeconds: dur, SerialNumber: optional(r, "SerialNumber"), TokenCode: optional(r, "TokenCode")}
	r.Note("serialNumber", deref(in.SerialNumber))
	caller, err := f.CallerOf(r.Caller)
	if err != nil {
		return nil, err
	}
	sess, err := f.GetSessionToken(ctx, caller, in)
	if err != nil {
		return nil, err
	}
	r.Note("accessKeyId", sess.Credentials.AccessKeyID)
	return struct {
		Credentials credentialsXML `xml:"Credentials"`
	}{credentialsOf(sess.Credentials)}, nil
}

// getFederationTokenResult is <GetFederationTokenResult>, members in the
// order of the STS API reference's example response.
type getFederationTokenResult struct {
	Credentials   credentialsXML `xml:"Credentials"`
	FederatedUser struct {
		ARN             string `xml:"Arn"`
		FederatedUserID string `xml:"FederatedUserId"`
	} `xml:"FederatedUser"`
	PackedPolicySize *int `xml:"PackedPolicySize,omitempty"`
}

func (f *Federation) handleGetFederationToken(ctx context.Context, r *awsapi.Request) (any, error) {
	dur, err := r.Int("DurationSeconds", "durationSeconds")
	if err != nil {
		return nil, err
	}
	tags, err := r.Tags("Tags")
	if err != nil {
		return nil, err
	}
	in := GetFederationTokenInput{Name: optional(r, "Name"), Policy: optional(r, "Policy"), PolicyARNs: r.List("PolicyArns", "arn"),
		DurationSeconds: dur, Tags: tags, SourceIP: r.SourceIP}
	r.Note("name", deref(in.Name))
	caller, err := f.CallerOf(r.Caller)
	if err != nil {
		return nil, err
	}
	out, err := f.GetFederationToken(ctx, caller, in)
	if err != nil {
		return nil, err
	}
	r.Note("federatedUserArn", out.FederatedUserARN)
	r.Note("accessKeyId", out.Credentials.AccessKeyID)
	var res getFederationTokenResult
	res.Credentials = credentialsOf(out.Credentials)
	res.FederatedUser.ARN, res.FederatedUser.FederatedUserID = out.FederatedUserARN, out.FederatedUserID
	res.PackedPolicySize = out.PackedPolicySize
	return res, nil
}

func (f *Federation) handleGetAccessKeyInfo(ctx context.Context, r *awsapi.Request) (any, error) {
	id := optional(r, "AccessKeyId")
	r.Note("accessKeyId", deref(id))
	caller, err := f.CallerOf(r.Caller)
	if err != nil {
		return nil, err
	}
	acct, err := f.GetAccessKeyInfo(ctx, caller, id, r.SourceIP)
	if err != nil {
		return nil, err
	}
	return struct {
		Account string `xml:"Account"`
	}{acct}, nil
}
