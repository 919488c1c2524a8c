package iam

import (
	"context"
	"net/http"
	"strconv"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// OIDCProviderOperations returns the IAM Query API actions for OpenID Connect
// providers, for an awsapi.Router beside Operations. All of them require
// SigV4. Results have the element names and order of the IAM API reference.
func (a *Account) OIDCProviderOperations() []awsapi.Operation {
	op := func(action string, h awsapi.HandlerFunc) awsapi.Operation {
		return awsapi.Operation{Service: awsapi.IAM(), Action: action, Auth: awsapi.AuthSigV4, Handle: h}
	}
	return []awsapi.Operation{
		op("CreateOpenIDConnectProvider", a.handleCreateOIDCProvider),
		op("GetOpenIDConnectProvider", a.handleGetOIDCProvider),
		op("ListOpenIDConnectProviders", a.handleListOIDCProviders),
		op("DeleteOpenIDConnectProvider", a.handleDeleteOIDCProvider),
		op("UpdateOpenIDConnectProviderThumbprint", a.handleUpdateOIDCThumbprint),
		op("AddClientIDToOpenIDConnectProvider", a.handleAddClientID),
		op("RemoveClientIDFromOpenIDConnectProvider", a.handleRemoveClientID),
		op("TagOpenIDConnectProvider", a.handleTagOIDCProvider),
		op("UntagOpenIDConnectProvider", a.handleUntagOIDCProvider),
		op("ListOpenIDConnectProviderTags", a.handleListOIDCProviderTags),
	}
}

// oidcARNParam reads OpenIDConnectProviderArn with the length check of the
// IAM model (arnType: 20–2048).
func oidcARNParam(r *awsapi.Request) (string, error) {
	arn, err := r.Required("OpenIDConnectProviderArn", "openIDConnectProviderArn")
	if err != nil {
		return "", err
	}
	var v validation
	v.length("openIDConnectProviderArn", arn, 20, 2048)
	if err := v.err(); err != nil {
		return "", err
	}
	r.Note("openIDConnectProviderArn", arn)
	return arn, nil
}

func (a *Account) handleCreateOIDCProvider(ctx context.Context, r *awsapi.Request) (any, error) {
	u, err := r.Required("Url", "url")
	if err != nil {
		return nil, err
	}
	tags, err := r.Tags("Tags")
	if err != nil {
		return nil, err
	}
	r.Note("url", u)
	p, err := a.CreateOIDCProvider(ctx, CreateOIDCProviderInput{URL: u, ClientIDs: r.List("ClientIDList", ""),
		Thumbprints: r.List("ThumbprintList", ""), Tags: tags})
	if err != nil {
		return nil, err
	}
	return struct {
		ARN  string   `xml:"OpenIDConnectProviderArn"`
		Tags *tagList `xml:"Tags,omitempty"`
	}{p.ARN, tagsOf(p.Tags)}, nil
}

func (a *Account) handleGetOIDCProvider(_ context.Context, r *awsapi.Request) (any, error) {
	arn, err := oidcARNParam(r)
	if err != nil {
		return nil, err
	}
	p, err := a.OIDCProvider(arn)
	if err != nil {
		return nil, err
	}
	// AWS returns Url without its scheme and the lists even when empty
	// (recorded).
	return struct {
		URL         string     `xml:"Url"`
		ClientIDs   memberList `xml:"ClientIDList"`
		Thumbprints memberList `xml:"ThumbprintList"`
		CreateDate  string     `xml:"CreateDate"`
		Tags        tagList    `xml:"Tags"`
	}{p.HostPath(), memberList{p.ClientIDs}, memberList{p.Thumbprints}, awsapi.Timestamp(p.CreateDate), tagList{p.Tags}}, nil
}

func (a *Account) handleListOIDCProviders(_ context.Context, _ *awsapi.Request) (any, error) {
	type entry struct {
		ARN string `xml:"Arn"`
	}
	var list struct {
		Members []entry `xml:"member"`
	}
	for _, p := range a.OIDCProviders() {
		list.Members = append(list.Members, entry{p.ARN})
	}
	return struct {
		List any `xml:"OpenIDConnectProviderList"`
	}{list}, nil
}

func (a *Account) handleDeleteOIDCProvider(_ context.Context, r *awsapi.Request) (any, error) {
	arn, err := oidcARNParam(r)
	if err != nil {
		return nil, err
	}
	return nil, a.DeleteOIDCProvider(arn)
}

func (a *Account) handleUpdateOIDCThumbprint(_ context.Context, r *awsapi.Request) (any, error) {
	arn, err := oidcARNParam(r)
	if err != nil {
		return nil, err
	}
	// An empty list is serialized as "ThumbprintList=" by the SDKs.
	if !r.Has("ThumbprintList") && len(r.List("ThumbprintList", "")) == 0 {
		return nil, awsapi.NullMember("thumbprintList")
	}
	return nil, a.UpdateOIDCProviderThumbprint(arn, r.List("ThumbprintList", ""))
}

func (a *Account) handleAddClientID(_ context.Context, r *awsapi.Request) (any, error) {
	arn, err := oidcARNParam(r)
	if err != nil {
		return nil, err
	}
	id, err := r.Required("ClientID", "clientID")
	if err != nil {
		return nil, err
	}
	return nil, a.AddClientIDToOIDCProvider(arn, id)
}

func (a *Account) handleRemoveClientID(_ context.Context, r *awsapi.Request) (any, error) {
	arn, err := oidcARNParam(r)
	if err != nil {
		return nil, err
	}
	id, err := r.Required("ClientID", "clientID")
	if err != nil {
		return nil, err
	}
	return nil, a.RemoveClientIDFromOIDCProvider(arn, id)
}

func (a *Account) handleTagOIDCProvider(_ context.Context, r *awsapi.Request) (any, error) {
	arn, err := oidcARNParam(r)
	if err != nil {
		return nil, err
	}
	tags, err := requiredTags(r)
	if err != nil {
		return nil, err
	}
	return nil, a.TagOIDCProvider(arn, tags)
}

func (a *Account) handleUntagOIDCProvider(_ context.Context, r *awsapi.Request) (any, error) {
	arn, err := oidcARNParam(r)
	if err != nil {
		return nil, err
	}
	keys, err := requiredTagKeys(r)
	if err != nil {
		return nil, err
	}
	return nil, a.UntagOIDCProvider(arn, keys)
}

// handleListOIDCProviderTags pages the tags (sorted by key) with MaxItems
// (1–1000, default 100) and Marker. The marker is the index of the next tag;
// AWS's markers are opaque.
func (a *Account) handleListOIDCProviderTags(_ context.Context, r *awsapi.Request) (any, error) {
	arn, err := oidcARNParam(r)
	if err != nil {
		return nil, err
	}
	maxItems, err := r.Int("MaxItems", "maxItems")
	if err != nil {
		return nil, err
	}
	n := 100
	if maxItems != nil {
		if *maxItems < 1 || *maxItems > 1000 {
			return nil, awsapi.Errorf(awsapi.CodeValidation, http.StatusBadRequest,
				"1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", *maxItems)
		}
		n = *maxItems
	}
	start := 0
	if r.Has("Marker") {
		start, err = strconv.Atoi(r.Get("Marker"))
		if err != nil || start < 0 {
			return nil, awsapi.Errorf(awsapi.CodeInvalidInput, http.StatusBadRequest, "Invalid Marker.") // unverified wording
		}
	}
	p, err := a.OIDCProvider(arn)
	if err != nil {
		return nil, err
	}
	tags := p.Tags
	if start > len(tags) {
		start = len(tags)
	}
	end := min(start+n, len(tags))
	out := struct {
		Tags        tagList `xml:"Tags"`
		IsTruncated bool    `xml:"IsTruncated"`
		Marker      string  `xml:"Marker,omitempty"`
	}{Tags: tagList{Members: tags[start:end]}}
	if end < len(tags) {
		out.IsTruncated, out.Marker = true, strconv.Itoa(end)
	}
	return out, nil
}
