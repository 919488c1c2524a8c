package iam

import (
	"context"
	"strings"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Operations returns the IAM Query API actions served for the account, for an
// awsapi.Router. All of them require SigV4. Each validates its parameters
// against the constraints of IAM's model first (validate.go), then authorizes
// the caller with the account's policies (authz.go). Results have
// the element names and order of the IAM API reference (iam-2010-05-08).
func (a *Account) Operations() []awsapi.Operation {
	op := func(action string, h awsapi.HandlerFunc) awsapi.Operation {
		validated := func(ctx context.Context, r *awsapi.Request) (any, error) {
			if err := validateInput(action, r.Params); err != nil {
				return nil, err
			}
			if err := a.authorize(action, r); err != nil {
				return nil, err
			}
			return h(ctx, r)
		}
		return awsapi.Operation{Service: awsapi.IAM(), Action: action, Auth: awsapi.AuthSigV4, Handle: validated}
	}
	return append([]awsapi.Operation{
		op("CreateSAMLProvider", a.handleCreateSAMLProvider),
		op("UpdateSAMLProvider", a.handleUpdateSAMLProvider),
		op("GetSAMLProvider", a.handleGetSAMLProvider),
		op("ListSAMLProviders", a.handleListSAMLProviders),
		op("DeleteSAMLProvider", a.handleDeleteSAMLProvider),
		op("TagSAMLProvider", a.handleTagSAMLProvider),
		op("UntagSAMLProvider", a.handleUntagSAMLProvider),
		op("ListSAMLProviderTags", a.handleListSAMLProviderTags),
		op("CreateRole", a.handleCreateRole),
		op("GetRole", a.handleGetRole),
		op("UpdateRole", a.handleUpdateRole),
		op("UpdateAssumeRolePolicy", a.handleUpdateAssumeRolePolicy),
		op("DeleteRole", a.handleDeleteRole),
		op("ListRoles", a.handleListRoles),
		op("UpdateRoleDescription", a.handleUpdateRoleDescription),
		op("TagRole", a.handleTagRole),
		op("UntagRole", a.handleUntagRole),
		op("ListRoleTags", a.handleListRoleTags),
		op("PutRolePolicy", a.handlePutRolePolicy),
		op("GetRolePolicy", a.handleGetRolePolicy),
		op("DeleteRolePolicy", a.handleDeleteRolePolicy),
		op("ListRolePolicies", a.handleListRolePolicies),
		op("AttachRolePolicy", a.handleAttachRolePolicy),
		op("DetachRolePolicy", a.handleDetachRolePolicy),
		op("ListAttachedRolePolicies", a.handleListAttachedRolePolicies),
		op("PutRolePermissionsBoundary", a.handlePutRolePermissionsBoundary),
		op("DeleteRolePermissionsBoundary", a.handleDeleteRolePermissionsBoundary),
		op("CreatePolicy", a.handleCreatePolicy),
		op("GetPolicy", a.handleGetPolicy),
		op("GetPolicyVersion", a.handleGetPolicyVersion),
		op("ListPolicies", a.handleListPolicies),
		op("CreateAccountAlias", a.handleCreateAccountAlias),
		op("DeleteAccountAlias", a.handleDeleteAccountAlias),
		op("ListAccountAliases", a.handleListAccountAliases),
	}, append(a.identityOperations(op), a.lifecycleOperations(op)...)...)
}

// tagList renders tags as <member><Key/><Value/></member> elements.
type tagList struct {
	Members []awsapi.Tag `xml:"member"`
}

func tagsOf(ts []awsapi.Tag) *tagList {
	if len(ts) == 0 {
		return nil
	}
	return &tagList{Members: ts}
}

type privateKeyList struct {
	Members []privateKeyEntry `xml:"member"`
}

type privateKeyEntry struct {
	KeyID     string `xml:"KeyId"`
	Timestamp string `xml:"Timestamp"`
}

// providerARNParam reads SAMLProviderArn (validated by the operation's
// model constraints).
func providerARNParam(r *awsapi.Request) (string, error) {
	arn, err := r.Required("SAMLProviderArn", "sAMLProviderArn")
	if err != nil {
		return "", err
	}
	r.Note("samlProviderArn", arn)
	return arn, nil
}

func (a *Account) handleCreateSAMLProvider(_ context.Context, r *awsapi.Request) (any, error) {
	doc, err := r.Required("SAMLMetadataDocument", "sAMLMetadataDocument")
	if err != nil {
		return nil, err
	}
	name, err := r.Required("Name", "name")
	if err != nil {
		return nil, err
	}
	tags, err := r.Tags("Tags")
	if err != nil {
		return nil, err
	}
	r.Note("name", name)
	p, err := a.CreateProvider(CreateSAMLProviderInput{Name: name, MetadataDocument: []byte(doc), Tags: tags,
		AssertionEncryptionMode: r.Get("AssertionEncryptionMode"), AddPrivateKey: r.Get("AddPrivateKey")})
	if err != nil {
		return nil, err
	}
	return struct {
		SAMLProviderARN string   `xml:"SAMLProviderArn"`
		Tags            *tagList `xml:"Tags,omitempty"`
	}{p.ARN, tagsOf(p.Tags)}, nil
}

func (a *Account) handleUpdateSAMLProvider(_ context.Context, r *awsapi.Request) (any, error) {
	arn, err := providerARNParam(r)
	if err != nil {
		return nil, err
	}
	in := UpdateSAMLProviderInput{ARN: arn, AssertionEncryptionMode: r.Get("AssertionEncryptionMode"),
		AddPrivateKey: r.Get("AddPrivateKey"), RemovePrivateKey: r.Get("RemovePrivateKey")}
	if r.Has("SAMLMetadataDocument") {
		in.MetadataDocument = []byte(r.Get("SAMLMetadataDocument"))
	}
	p, err := a.UpdateProvider(in)
	if err != nil {
		return nil, err
	}
	return struct {
		SAMLProviderARN string `xml:"SAMLProviderArn"`
	}{p.ARN}, nil
}

func (a *Account) handleGetSAMLProvider(_ context.Context, r *awsapi.Request) (any, error) {
	arn, err := providerARNParam(r)
	if err != nil {
		return nil, err
	}
	p, err := a.SAMLProvider(arn)
	if err != nil {
		return nil, err
	}
	// AWS shows a provider never given a mode as Allowed, and empty Tags and
	// PrivateKeyList elements (docs/aws-behavior.md §15.1 row 12).
	var keys privateKeyList
	for _, k := range p.PrivateKeys {
		keys.Members = append(keys.Members, privateKeyEntry{KeyID: k.KeyID, Timestamp: awsapi.Timestamp(k.Timestamp)})
	}
	mode := p.AssertionEncryptionMode
	if mode == "" {
		mode = EncryptionAllowed
	}
	// encoding/xml escapes the string, so the document travels as text: the
	// Go SDK rejects a metadata document sent as raw child elements.
	return struct {
		UUID                    string         `xml:"SAMLProviderUUID"`
		MetadataDocument        string         `xml:"SAMLMetadataDocument"`
		CreateDate              string         `xml:"CreateDate"`
		ValidUntil              string         `xml:"ValidUntil"`
		Tags                    tagList        `xml:"Tags"`
		AssertionEncryptionMode string         `xml:"AssertionEncryptionMode"`
		PrivateKeyList          privateKeyList `xml:"PrivateKeyList"`
	}{p.UUID, string(p.MetadataDocument), awsapi.Timestamp(p.CreateDate), awsapi.Timestamp(p.ValidUntil),
		tagList{Members: p.Tags}, mode, keys}, nil
}

func (a *Account) handleListSAMLProviders(_ context.Context, _ *awsapi.Request) (any, error) {
	type entry struct {
		ARN        string `xml:"Arn"`
		ValidUntil string `xml:"ValidUntil"`
		CreateDate string `xml:"CreateDate"`
	}
	var list struct {
		Members []entry `xml:"member"`
	}
	for _, p := range a.SAMLProviders() {
		list.Members = append(list.Members, entry{p.ARN, awsapi.Timestamp(p.ValidUntil), awsapi.Timestamp(p.CreateDate)})
	}
	return struct {
		List any `xml:"SAMLProviderList"`
	}{list}, nil
}

func (a *Account) handleDeleteSAMLProvider(_ context.Context, r *awsapi.Request) (any, error) {
	arn, err := providerARNParam(r)
	if err != nil {
		return nil, err
	}
	return nil, a.DeleteSAMLProvider(arn)
}

func (a *Account) handleTagSAMLProvider(_ context.Context, r *awsapi.Request) (any, error) {
	arn, err := providerARNParam(r)
	if err != nil {
		return nil, err
	}
	tags, err := requiredTags(r)
	if err != nil {
		return nil, err
	}
	return nil, a.TagSAMLProvider(arn, tags)
}

func (a *Account) handleUntagSAMLProvider(_ context.Context, r *awsapi.Request) (any, error) {
	arn, err := providerARNParam(r)
	if err != nil {
		return nil, err
	}
	keys, err := requiredTagKeys(r)
	if err != nil {
		return nil, err
	}
	return nil, a.UntagSAMLProvider(arn, keys)
}

func (a *Account) handleListSAMLProviderTags(_ context.Context, r *awsapi.Request) (any, error) {
	arn, err := providerARNParam(r)
	if err != nil {
		return nil, err
	}
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	p, err := a.SAMLProvider(arn)
	if err != nil {
		return nil, err
	}
	return tagsResult(pg, p.Tags)
}

// roleXML is IAM's Role shape.
type roleXML struct {
	Path                     string       `xml:"Path"`
	RoleName                 string       `xml:"RoleName"`
	RoleID                   string       `xml:"RoleId"`
	ARN                      string       `xml:"Arn"`
	CreateDate               string       `xml:"CreateDate"`
	AssumeRolePolicyDocument string       `xml:"AssumeRolePolicyDocument"`
	Description              string       `xml:"Description,omitempty"`
	MaxSessionDuration       int          `xml:"MaxSessionDuration"`
	PermissionsBoundary      *boundaryXML `xml:"PermissionsBoundary,omitempty"`
	Tags                     *tagList     `xml:"Tags,omitempty"`
}

// boundaryXML is IAM's AttachedPermissionsBoundary shape.
type boundaryXML struct {
	Type string `xml:"PermissionsBoundaryType"`
	ARN  string `xml:"PermissionsBoundaryArn"`
}

func roleOf(r *Role, withTags bool) roleXML {
	x := roleXML{Path: r.Path, RoleName: r.Name, RoleID: r.RoleID, ARN: r.ARN, CreateDate: awsapi.Timestamp(r.CreateDate),
		AssumeRolePolicyDocument: URLEncodePolicy(r.AssumeRolePolicyDocument), Description: r.Description,
		MaxSessionDuration: r.MaxSessionDuration}
	// GetRole and CreateRole show the boundary and tags; ListRoles does not.
	if withTags {
		x.Tags = tagsOf(r.Tags)
		if r.PermissionsBoundary != "" {
			x.PermissionsBoundary = &boundaryXML{"PermissionsBoundaryPolicy", r.PermissionsBoundary}
		}
	}
	return x
}

// URLEncodePolicy encodes a policy document as IAM returns it: percent-encoded
// per RFC 3986 (the aws CLI decodes it; SDK users call url.QueryUnescape).
func URLEncodePolicy(doc string) string {
	var b strings.Builder
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func roleNameParam(r *awsapi.Request) (string, error) {
	name, err := r.Required("RoleName", "roleName")
	if err != nil {
		return "", err
	}
	r.Note("roleName", name)
	return name, nil
}

func (a *Account) handleCreateRole(_ context.Context, r *awsapi.Request) (any, error) {
	name, err := roleNameParam(r)
	if err != nil {
		return nil, err
	}
	doc, err := r.Required("AssumeRolePolicyDocument", "assumeRolePolicyDocument")
	if err != nil {
		return nil, err
	}
	maxSession, err := r.Int("MaxSessionDuration", "maxSessionDuration")
	if err != nil {
		return nil, err
	}
	tags, err := r.Tags("Tags")
	if err != nil {
		return nil, err
	}
	in := CreateRoleInput{Name: name, Path: r.Get("Path"), AssumeRolePolicyDocument: doc,
		Description: r.Get("Description"), Tags: tags, PermissionsBoundary: r.Get("PermissionsBoundary")}
	if maxSession != nil {
		if err := checkMaxSession(*maxSession); err != nil {
			return nil, err
		}
		in.MaxSessionDuration = *maxSession
	}
	role, err := a.CreateRole(in)
	if err != nil {
		return nil, err
	}
	return roleResult{roleOf(role, true)}, nil
}

// roleResult is the result of CreateRole and GetRole.
type roleResult struct {
	Role roleXML `xml:"Role"`
}

func (a *Account) handleGetRole(_ context.Context, r *awsapi.Request) (any, error) {
	name, err := roleNameParam(r)
	if err != nil {
		return nil, err
	}
	role, err := a.RoleByName(name)
	if err != nil {
		return nil, err
	}
	return roleResult{roleOf(role, true)}, nil
}

func (a *Account) handleUpdateRole(_ context.Context, r *awsapi.Request) (any, error) {
	name, err := roleNameParam(r)
	if err != nil {
		return nil, err
	}
	in := UpdateRoleInput{Name: name}
	if in.MaxSessionDuration, err = r.Int("MaxSessionDuration", "maxSessionDuration"); err != nil {
		return nil, err
	}
	if r.Has("Description") {
		d := r.Get("Description")
		in.Description = &d
	}
	if err := a.UpdateRole(in); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *Account) handleUpdateAssumeRolePolicy(_ context.Context, r *awsapi.Request) (any, error) {
	name, err := roleNameParam(r)
	if err != nil {
		return nil, err
	}
	doc, err := r.Required("PolicyDocument", "policyDocument")
	if err != nil {
		return nil, err
	}
	return nil, a.UpdateAssumeRolePolicy(name, doc)
}

func (a *Account) handleDeleteRole(_ context.Context, r *awsapi.Request) (any, error) {
	name, err := roleNameParam(r)
	if err != nil {
		return nil, err
	}
	return nil, a.DeleteRole(name)
}

func (a *Account) handleListRoles(_ context.Context, r *awsapi.Request) (any, error) {
	pg, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	prefix := r.Get("PathPrefix")
	var roles []*Role
	for _, role := range a.Roles() {
		if prefix == "" || strings.HasPrefix(role.Path, prefix) {
			roles = append(roles, role)
		}
	}
	roles, next, err := paginate(pg, roles, func(r *Role) string { return r.Name })
	if err != nil {
		return nil, err
	}
	var list struct {
		Members []roleXML `xml:"member"`
	}
	for _, role := range roles {
		list.Members = append(list.Members, roleOf(role, false))
	}
	return struct {
		Roles       any    `xml:"Roles"`
		IsTruncated bool   `xml:"IsTruncated"`
		Marker      string `xml:"Marker,omitempty"`
	}{list, next != "", next}, nil
}

// requiredTags reads the Tags of a Tag* call, which needs at least one.
func requiredTags(r *awsapi.Request) ([]awsapi.Tag, error) {
	tags, err := r.Tags("Tags")
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, awsapi.NullMember("tags")
	}
	return tags, nil
}

// requiredTagKeys reads the TagKeys of an Untag* call, which needs at least
// one.
func requiredTagKeys(r *awsapi.Request) ([]string, error) {
	keys := r.List("TagKeys", "")
	if len(keys) == 0 {
		return nil, awsapi.NullMember("tagKeys")
	}
	return keys, nil
}
