package cognito

import (
	"context"
	"maps"
	"slices"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// API is Amazon Cognito Identity's JSON 1.1 API: X-Amz-Target
// AWSCognitoIdentityService.<Operation>, signing name cognito-identity.
func API() awsapi.JSONService {
	return awsapi.JSONService{Name: "cognito-identity", TargetPrefix: "AWSCognitoIdentityService"}
}

// Operations returns the operations for an awsapi.Router. GetId,
// GetOpenIdToken and GetCredentialsForIdentity are anonymous, as in AWS
// (the SDKs send them unsigned); pool management is SigV4-signed.
func (s *Service) Operations() []awsapi.JSONOperation {
	op := func(name string, auth awsapi.Auth, h awsapi.JSONHandlerFunc) awsapi.JSONOperation {
		return awsapi.JSONOperation{Service: API(), Name: name, Auth: auth, Handle: h}
	}
	return []awsapi.JSONOperation{
		op("CreateIdentityPool", awsapi.AuthSigV4, s.handleCreate),
		op("DescribeIdentityPool", awsapi.AuthSigV4, s.handleDescribe),
		op("ListIdentityPools", awsapi.AuthSigV4, s.handleList),
		op("DeleteIdentityPool", awsapi.AuthSigV4, s.handleDelete),
		op("UpdateIdentityPool", awsapi.AuthSigV4, s.handleUpdate),
		op("DescribeIdentity", awsapi.AuthSigV4, s.handleDescribeIdentity),
		op("ListIdentities", awsapi.AuthSigV4, s.handleListIdentities),
		op("SetIdentityPoolRoles", awsapi.AuthSigV4, s.handleSetRoles),
		op("GetIdentityPoolRoles", awsapi.AuthSigV4, s.handleGetRoles),
		op("SetPrincipalTagAttributeMap", awsapi.AuthSigV4, s.handleSetPrincipalTags),
		op("GetPrincipalTagAttributeMap", awsapi.AuthSigV4, s.handleGetPrincipalTags),
		op("GetOpenIdTokenForDeveloperIdentity", awsapi.AuthSigV4, s.handleDeveloperToken),
		op("GetId", awsapi.AuthNone, s.handleGetID),
		op("GetOpenIdToken", awsapi.AuthNone, s.handleOpenIDToken),
		op("GetCredentialsForIdentity", awsapi.AuthNone, s.handleCredentials),
	}
}

// poolJSON is the IdentityPool shape of CreateIdentityPool's input and of
// Create/DescribeIdentityPool's output.
type poolJSON struct {
	IdentityPoolID                 string                    `json:"IdentityPoolId,omitempty"`
	IdentityPoolName               string                    `json:"IdentityPoolName"`
	AllowUnauthenticatedIdentities bool                      `json:"AllowUnauthenticatedIdentities"`
	AllowClassicFlow               *bool                     `json:"AllowClassicFlow,omitempty"`
	SupportedLoginProviders        map[string]string         `json:"SupportedLoginProviders,omitempty"`
	DeveloperProviderName          string                    `json:"DeveloperProviderName,omitempty"`
	OpenIDConnectProviderARNs      []string                  `json:"OpenIdConnectProviderARNs,omitempty"`
	CognitoIdentityProviders       []CognitoIdentityProvider `json:"CognitoIdentityProviders,omitempty"`
	SAMLProviderARNs               []string                  `json:"SamlProviderARNs,omitempty"`
	IdentityPoolTags               map[string]string         `json:"IdentityPoolTags,omitempty"`
}

func toJSON(p *Pool) poolJSON {
	return poolJSON{IdentityPoolID: p.ID, IdentityPoolName: p.Name, AllowUnauthenticatedIdentities: p.AllowUnauthenticated,
		AllowClassicFlow: p.AllowClassicFlow, SupportedLoginProviders: p.SupportedLoginProviders,
		DeveloperProviderName: p.DeveloperProviderName, OpenIDConnectProviderARNs: p.OIDCProviderARNs,
		CognitoIdentityProviders: p.CognitoIdentityProviders, SAMLProviderARNs: p.SAMLProviderARNs, IdentityPoolTags: p.Tags}
}

func (s *Service) handleCreate(_ context.Context, r *awsapi.Request, body []byte) (any, error) {
	var in poolJSON
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	r.Note("identityPoolName", in.IdentityPoolName)
	p, err := s.CreatePool(fromJSON(in))
	if err != nil {
		return nil, err
	}
	r.Note("identityPoolId", p.ID)
	return toJSON(p), nil
}

func fromJSON(in poolJSON) Pool {
	return Pool{ID: in.IdentityPoolID, Name: in.IdentityPoolName, AllowUnauthenticated: in.AllowUnauthenticatedIdentities,
		AllowClassicFlow: in.AllowClassicFlow, SupportedLoginProviders: in.SupportedLoginProviders,
		DeveloperProviderName: in.DeveloperProviderName, OIDCProviderARNs: in.OpenIDConnectProviderARNs,
		CognitoIdentityProviders: in.CognitoIdentityProviders, SAMLProviderARNs: in.SAMLProviderARNs, Tags: in.IdentityPoolTags}
}

func (s *Service) handleUpdate(_ context.Context, r *awsapi.Request, body []byte) (any, error) {
	var in poolJSON
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	r.Note("identityPoolId", in.IdentityPoolID)
	p, err := s.UpdatePool(fromJSON(in))
	if err != nil {
		return nil, err
	}
	return toJSON(p), nil
}

// identityJSON is IdentityDescription: Logins are the provider names.
type identityJSON struct {
	IdentityID       string   `json:"IdentityId"`
	Logins           []string `json:"Logins,omitempty"`
	CreationDate     int64    `json:"CreationDate"`
	LastModifiedDate int64    `json:"LastModifiedDate"`
}

func describeIdentity(i *Identity) identityJSON {
	names := slices.Sorted(maps.Keys(i.Logins))
	return identityJSON{IdentityID: i.ID, Logins: names, CreationDate: i.Created.Unix(), LastModifiedDate: i.Modified.Unix()}
}

func (s *Service) handleDescribeIdentity(_ context.Context, r *awsapi.Request, body []byte) (any, error) {
	var in struct {
		IdentityID string `json:"IdentityId"`
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	r.Note("identityId", in.IdentityID)
	i, err := s.Identity(in.IdentityID)
	if err != nil {
		return nil, err
	}
	return describeIdentity(i), nil
}

func (s *Service) handleListIdentities(_ context.Context, r *awsapi.Request, body []byte) (any, error) {
	var in struct {
		IdentityPoolID string `json:"IdentityPoolId"`
		MaxResults     *int   `json:"MaxResults"`
		NextToken      string `json:"NextToken"`
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	r.Note("identityPoolId", in.IdentityPoolID)
	if in.MaxResults == nil {
		return nil, apiError(CodeValidation, nil, "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null")
	}
	ids, next, err := s.Identities(in.IdentityPoolID, *in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := struct {
		IdentityPoolID string         `json:"IdentityPoolId"`
		Identities     []identityJSON `json:"Identities"`
		NextToken      string         `json:"NextToken,omitempty"`
	}{IdentityPoolID: in.IdentityPoolID, Identities: []identityJSON{}, NextToken: next}
	for _, i := range ids {
		out.Identities = append(out.Identities, describeIdentity(i))
	}
	return out, nil
}

type poolIDInput struct {
	IdentityPoolID string `json:"IdentityPoolId"`
}

func (s *Service) handleDescribe(_ context.Context, r *awsapi.Request, body []byte) (any, error) {
	var in poolIDInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	r.Note("identityPoolId", in.IdentityPoolID)
	p, err := s.DescribePool(in.IdentityPoolID)
	if err != nil {
		return nil, err
	}
	return toJSON(p), nil
}

func (s *Service) handleList(_ context.Context, _ *awsapi.Request, body []byte) (any, error) {
	var in struct {
		MaxResults *int   `json:"MaxResults"`
		NextToken  string `json:"NextToken"`
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if in.MaxResults == nil {
		return nil, apiError(CodeValidation, nil, "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null")
	}
	pools, next, err := s.ListPools(*in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	type short struct {
		IdentityPoolID   string `json:"IdentityPoolId"`
		IdentityPoolName string `json:"IdentityPoolName"`
	}
	out := struct {
		IdentityPools []short `json:"IdentityPools"`
		NextToken     string  `json:"NextToken,omitempty"`
	}{IdentityPools: []short{}, NextToken: next}
	for _, p := range pools {
		out.IdentityPools = append(out.IdentityPools, short{p.ID, p.Name})
	}
	return out, nil
}

func (s *Service) handleDelete(_ context.Context, r *awsapi.Request, body []byte) (any, error) {
	var in poolIDInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	r.Note("identityPoolId", in.IdentityPoolID)
	return nil, s.DeletePool(in.IdentityPoolID)
}

func (s *Service) handleSetRoles(_ context.Context, r *awsapi.Request, body []byte) (any, error) {
	var in struct {
		IdentityPoolID string                 `json:"IdentityPoolId"`
		Roles          map[string]string      `json:"Roles"`
		RoleMappings   map[string]RoleMapping `json:"RoleMappings"`
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	r.Note("identityPoolId", in.IdentityPoolID)
	if in.Roles == nil {
		return nil, apiError(CodeValidation, nil, "1 validation error detected: Value null at 'roles' failed to satisfy constraint: Member must not be null")
	}
	return nil, s.SetRoles(in.IdentityPoolID, in.Roles, in.RoleMappings)
}

func (s *Service) handleGetRoles(_ context.Context, r *awsapi.Request, body []byte) (any, error) {
	var in poolIDInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	r.Note("identityPoolId", in.IdentityPoolID)
	roles, mappings, err := s.Roles(in.IdentityPoolID)
	if err != nil {
		return nil, err
	}
	return struct {
		IdentityPoolID string                 `json:"IdentityPoolId"`
		Roles          map[string]string      `json:"Roles,omitempty"`
		RoleMappings   map[string]RoleMapping `json:"RoleMappings,omitempty"`
	}{in.IdentityPoolID, roles, mappings}, nil
}

// principalTagsJSON is the input of SetPrincipalTagAttributeMap and the
// output of both principal tag operations.
type principalTagsJSON struct {
	IdentityPoolID       string            `json:"IdentityPoolId"`
	IdentityProviderName string            `json:"IdentityProviderName"`
	UseDefaults          *bool             `json:"UseDefaults,omitempty"`
	PrincipalTags        map[string]string `json:"PrincipalTags,omitempty"`
}

func toTagsJSON(pool, provider string, m PrincipalTagMap) principalTagsJSON {
	return principalTagsJSON{IdentityPoolID: pool, IdentityProviderName: provider, UseDefaults: &m.UseDefaults, PrincipalTags: m.Tags}
}

func (s *Service) handleSetPrincipalTags(_ context.Context, r *awsapi.Request, body []byte) (any, error) {
	var in principalTagsJSON
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	r.Note("identityPoolId", in.IdentityPoolID)
	m, err := s.SetPrincipalTags(in.IdentityPoolID, in.IdentityProviderName,
		PrincipalTagMap{UseDefaults: in.UseDefaults != nil && *in.UseDefaults, Tags: in.PrincipalTags})
	if err != nil {
		return nil, err
	}
	return toTagsJSON(in.IdentityPoolID, in.IdentityProviderName, m), nil
}

func (s *Service) handleGetPrincipalTags(_ context.Context, r *awsapi.Request, body []byte) (any, error) {
	var in principalTagsJSON
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	r.Note("identityPoolId", in.IdentityPoolID)
	m, err := s.PrincipalTags(in.IdentityPoolID, in.IdentityProviderName)
	if err != nil {
		return nil, err
	}
	return toTagsJSON(in.IdentityPoolID, in.IdentityProviderName, m), nil
}

func (s *Service) handleDeveloperToken(ctx context.Context, r *awsapi.Request, body []byte) (any, error) {
	var in struct {
		IdentityPoolID string            `json:"IdentityPoolId"`
		IdentityID     string            `json:"IdentityId"`
		Logins         map[string]string `json:"Logins"`
		PrincipalTags  map[string]string `json:"PrincipalTags"`
		TokenDuration  *int64            `json:"TokenDuration"`
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	r.Note("identityPoolId", in.IdentityPoolID)
	if in.Logins == nil {
		return nil, apiError(CodeValidation, nil, "1 validation error detected: Value null at 'logins' failed to satisfy constraint: Member must not be null")
	}
	id, tok, err := s.DeveloperToken(ctx, DeveloperTokenInput{PoolID: in.IdentityPoolID, IdentityID: in.IdentityID,
		Logins: in.Logins, PrincipalTags: in.PrincipalTags, TokenDuration: in.TokenDuration})
	if err != nil {
		return nil, err
	}
	r.Note("identityId", id)
	return struct {
		IdentityID string `json:"IdentityId"`
		Token      string `json:"Token"`
	}{id, tok}, nil
}

func (s *Service) handleGetID(ctx context.Context, r *awsapi.Request, body []byte) (any, error) {
	var in struct {
		AccountID      string            `json:"AccountId"`
		IdentityPoolID string            `json:"IdentityPoolId"`
		Logins         map[string]string `json:"Logins"`
	}
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	r.Note("identityPoolId", in.IdentityPoolID)
	id, err := s.GetID(ctx, in.IdentityPoolID, in.Logins)
	if err != nil {
		return nil, err
	}
	r.Note("identityId", id)
	return struct {
		IdentityID string `json:"IdentityId"`
	}{id}, nil
}

type identityInput struct {
	IdentityID    string            `json:"IdentityId"`
	Logins        map[string]string `json:"Logins"`
	CustomRoleARN string            `json:"CustomRoleArn"`
}

func (s *Service) handleOpenIDToken(ctx context.Context, r *awsapi.Request, body []byte) (any, error) {
	var in identityInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	r.Note("identityId", in.IdentityID)
	tok, err := s.OpenIDToken(ctx, in.IdentityID, in.Logins)
	if err != nil {
		return nil, err
	}
	return struct {
		IdentityID string `json:"IdentityId"`
		Token      string `json:"Token"`
	}{in.IdentityID, tok}, nil
}

func (s *Service) handleCredentials(ctx context.Context, r *awsapi.Request, body []byte) (any, error) {
	var in identityInput
	if err := awsapi.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	r.Note("identityId", in.IdentityID)
	out, err := s.CredentialsForIdentity(ctx, in.IdentityID, in.Logins, in.CustomRoleARN)
	if err != nil {
		return nil, err
	}
	r.Note("assumedRoleArn", out.AssumedRoleUser.ARN)
	r.Note("accessKeyId", out.Credentials.AccessKeyID)
	type creds struct {
		AccessKeyID  string `json:"AccessKeyId"`
		SecretKey    string `json:"SecretKey"`
		SessionToken string `json:"SessionToken"`
		// Expiration is epoch seconds, as the JSON protocol sends
		// timestamps.
		Expiration int64 `json:"Expiration"`
	}
	return struct {
		IdentityID  string `json:"IdentityId"`
		Credentials creds  `json:"Credentials"`
	}{in.IdentityID, creds{out.Credentials.AccessKeyID, out.Credentials.SecretAccessKey,
		out.Credentials.SessionToken, out.Credentials.Expiration.Unix()}}, nil
}
