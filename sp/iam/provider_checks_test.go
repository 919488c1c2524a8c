package iam_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

const (
	adminKeyID  = "AKIAIAMTESTADMIN0001"
	adminSecret = "iam-test-secret"
)

// iamAPI is the account's Query API on loopback, called with SigV4.
type iamAPI struct {
	acct *iam.Account
	srv  *httptest.Server
	now  time.Time
}

func newIAMAPI(t *testing.T) *iamAPI {
	t.Helper()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	acct := iam.NewAccount(iam.Config{Now: func() time.Time { return now }})
	acct.SetAdministrators("arn:aws:iam::" + iam.DefaultAccountID + ":user/admin")
	creds := func(_ context.Context, id, _ string) (awsapi.Credential, bool) {
		if id != adminKeyID {
			return awsapi.Credential{}, false
		}
		return awsapi.Credential{AccessKeyID: id, SecretAccessKey: adminSecret,
			Caller: awsapi.Caller{Type: "IAMUser", ARN: "arn:aws:iam::" + iam.DefaultAccountID + ":user/admin"}}, true
	}
	rt, err := awsapi.NewRouter(awsapi.RouterConfig{Operations: acct.Operations(), Credentials: creds,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return &iamAPI{acct: acct, srv: srv, now: now}
}

// call sends action with params; code is the error code ("" on success)
// and result the inner XML of <actionResult>.
func (api *iamAPI) call(t *testing.T, action string, params url.Values) (code string, result []byte) {
	t.Helper()
	form := url.Values{"Action": {action}, "Version": {awsapi.IAMVersion}}
	for k, v := range params {
		form[k] = v
	}
	body := form.Encode()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, api.srv.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(t.Context(), aws.Credentials{AccessKeyID: adminKeyID, SecretAccessKey: adminSecret},
		req, hex.EncodeToString(sum[:]), "iam", "us-east-1", api.now); err != nil {
		t.Fatal(err)
	}
	resp, err := api.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		var env struct {
			Error struct{ Code string }
		}
		if err := xml.Unmarshal(raw, &env); err != nil || env.Error.Code == "" {
			t.Fatalf("%s: status %d with an unreadable error body: %v\n%s", action, resp.StatusCode, err, raw)
		}
		if resp.StatusCode >= 500 {
			t.Errorf("%s: status %d (%s), want a client error", action, resp.StatusCode, env.Error.Code)
		}
		return env.Error.Code, nil
	}
	var env struct {
		Result struct {
			Inner []byte `xml:",innerxml"`
		} `xml:"Result"`
	}
	// The result element is <ActionResult>; read it whatever its name.
	var root struct {
		XMLName  xml.Name
		Children []struct {
			XMLName xml.Name
			Inner   []byte `xml:",innerxml"`
		} `xml:",any"`
	}
	if err := xml.Unmarshal(raw, &root); err != nil {
		t.Fatalf("%s: result does not parse: %v\n%s", action, err, raw)
	}
	if root.XMLName.Local != action+"Response" {
		t.Errorf("%s: root element %s, want %sResponse", action, root.XMLName.Local, action)
	}
	for _, c := range root.Children {
		if c.XMLName.Local == action+"Result" {
			env.Result.Inner = c.Inner
		}
	}
	return "", env.Result.Inner
}

// mustCall calls action and fails the test on an error code.
func (api *iamAPI) mustCall(t *testing.T, action string, params url.Values, out any) {
	t.Helper()
	code, res := api.call(t, action, params)
	if code != "" {
		t.Fatalf("%s %v: %s, want success", action, params, code)
	}
	if out != nil {
		reflect.ValueOf(out).Elem().SetZero() // Unmarshal would keep what an absent element held
		if err := xml.Unmarshal(append(append([]byte("<r>"), res...), "</r>"...), out); err != nil {
			t.Fatalf("%s: result does not parse: %v\n%s", action, err, res)
		}
	}
}

type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type providerResult struct {
	UUID             string   `xml:"SAMLProviderUUID"`
	MetadataDocument string   `xml:"SAMLMetadataDocument"`
	CreateDate       string   `xml:"CreateDate"`
	ValidUntil       string   `xml:"ValidUntil"`
	Tags             []xmlTag `xml:"Tags>member"`
	EncryptionMode   string   `xml:"AssertionEncryptionMode"`
	PrivateKeys      []struct {
		KeyID     string `xml:"KeyId"`
		Timestamp string `xml:"Timestamp"`
	} `xml:"PrivateKeyList>member"`
}

func TestHTTPSAMLProviderLifecycle(t *testing.T) {
	t.Parallel()
	api := newIAMAPI(t)
	keys := certstest.New()
	md1 := string(testMetadata(t, keys, "https://idp.example", 1))
	md2 := string(testMetadata(t, keys, "https://idp.example", 2))
	arn := "arn:aws:iam::" + iam.DefaultAccountID + ":saml-provider/idp"

	var created struct {
		ARN  string   `xml:"SAMLProviderArn"`
		Tags []xmlTag `xml:"Tags>member"`
	}
	api.mustCall(t, "CreateSAMLProvider", url.Values{"Name": {"idp"}, "SAMLMetadataDocument": {md1},
		"Tags.member.1.Key": {"team"}, "Tags.member.1.Value": {"sec"}}, &created)
	if created.ARN != arn || !cmp.Equal(created.Tags, []xmlTag{{"team", "sec"}}) {
		t.Errorf("CreateSAMLProvider = %+v, want %s with its tag", created, arn)
	}
	if code, _ := api.call(t, "CreateSAMLProvider", url.Values{"Name": {"idp"}, "SAMLMetadataDocument": {md1}}); code != "EntityAlreadyExists" {
		t.Errorf("second CreateSAMLProvider idp = %q, want EntityAlreadyExists", code)
	}

	var got providerResult
	api.mustCall(t, "GetSAMLProvider", url.Values{"SAMLProviderArn": {arn}}, &got)
	if got.MetadataDocument != md1 || len(got.UUID) != 32 || got.CreateDate != "2030-01-02T03:04:05Z" ||
		got.ValidUntil != "2130-01-02T03:04:05Z" || !cmp.Equal(got.Tags, []xmlTag{{"team", "sec"}}) ||
		got.EncryptionMode != "Allowed" || len(got.PrivateKeys) != 0 {
		t.Errorf("GetSAMLProvider = UUID %q created %s valid until %s tags %v mode %q keys %v, same document %v",
			got.UUID, got.CreateDate, got.ValidUntil, got.Tags, got.EncryptionMode, got.PrivateKeys, got.MetadataDocument == md1)
	}

	var list struct {
		Members []struct{ Arn, ValidUntil, CreateDate string } `xml:"SAMLProviderList>member"`
	}
	api.mustCall(t, "ListSAMLProviders", nil, &list)
	if len(list.Members) != 1 || list.Members[0].Arn != arn || list.Members[0].CreateDate != "2030-01-02T03:04:05Z" ||
		list.Members[0].ValidUntil != "2130-01-02T03:04:05Z" {
		t.Errorf("ListSAMLProviders = %+v, want idp alone", list.Members)
	}

	// Tags: add, replace, remove; both calls refuse an empty list.
	api.mustCall(t, "TagSAMLProvider", url.Values{"SAMLProviderArn": {arn}, "Tags.member.1.Key": {"env"},
		"Tags.member.1.Value": {"lab"}, "Tags.member.2.Key": {"team"}, "Tags.member.2.Value": {"iam"}}, nil)
	var tags struct {
		Tags        []xmlTag `xml:"Tags>member"`
		IsTruncated string   `xml:"IsTruncated"`
	}
	api.mustCall(t, "ListSAMLProviderTags", url.Values{"SAMLProviderArn": {arn}}, &tags)
	if want := []xmlTag{{"env", "lab"}, {"team", "iam"}}; !cmp.Equal(tags.Tags, want) || tags.IsTruncated != "false" {
		t.Errorf("tags after TagSAMLProvider = %v truncated %s, want %v", tags.Tags, tags.IsTruncated, want)
	}
	api.mustCall(t, "UntagSAMLProvider", url.Values{"SAMLProviderArn": {arn}, "TagKeys.member.1": {"team"}}, nil)
	api.mustCall(t, "ListSAMLProviderTags", url.Values{"SAMLProviderArn": {arn}}, &tags)
	if want := []xmlTag{{"env", "lab"}}; !cmp.Equal(tags.Tags, want) {
		t.Errorf("tags after UntagSAMLProvider = %v, want %v", tags.Tags, want)
	}
	if code, _ := api.call(t, "TagSAMLProvider", url.Values{"SAMLProviderArn": {arn}}); code != "ValidationError" {
		t.Errorf("TagSAMLProvider without tags = %q, want ValidationError", code)
	}
	if code, _ := api.call(t, "UntagSAMLProvider", url.Values{"SAMLProviderArn": {arn}}); code != "ValidationError" {
		t.Errorf("UntagSAMLProvider without keys = %q, want ValidationError", code)
	}

	// Update: metadata, then a private key and the encryption mode.
	api.mustCall(t, "UpdateSAMLProvider", url.Values{"SAMLProviderArn": {arn}, "SAMLMetadataDocument": {md2}}, nil)
	api.mustCall(t, "GetSAMLProvider", url.Values{"SAMLProviderArn": {arn}}, &got)
	if got.MetadataDocument != md2 {
		t.Error("GetSAMLProvider after UpdateSAMLProvider returns the old document")
	}
	if code, _ := api.call(t, "UpdateSAMLProvider", url.Values{"SAMLProviderArn": {arn}}); code != "InvalidInput" {
		t.Errorf("UpdateSAMLProvider with nothing to update = %q, want InvalidInput", code)
	}
	if code, _ := api.call(t, "UpdateSAMLProvider", url.Values{"SAMLProviderArn": {arn}, "SAMLMetadataDocument": {""}}); code != "ValidationError" {
		t.Errorf("UpdateSAMLProvider with an empty document = %q, want ValidationError", code)
	}
	key, err := keys.Key(0)
	if err != nil {
		t.Fatal(err)
	}
	pemKey, err := certs.EncodeKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	api.mustCall(t, "UpdateSAMLProvider", url.Values{"SAMLProviderArn": {arn}, "AddPrivateKey": {string(pemKey)},
		"AssertionEncryptionMode": {"Required"}}, nil)
	api.mustCall(t, "GetSAMLProvider", url.Values{"SAMLProviderArn": {arn}}, &got)
	if got.EncryptionMode != "Required" || len(got.PrivateKeys) != 1 || got.PrivateKeys[0].KeyID == "" ||
		got.PrivateKeys[0].Timestamp != "2030-01-02T03:04:05Z" {
		t.Errorf("after adding a key: mode %q keys %+v, want Required and one key", got.EncryptionMode, got.PrivateKeys)
	}

	// Delete.
	api.mustCall(t, "DeleteSAMLProvider", url.Values{"SAMLProviderArn": {arn}}, nil)
	for _, action := range []string{"GetSAMLProvider", "DeleteSAMLProvider", "ListSAMLProviderTags"} {
		if code, _ := api.call(t, action, url.Values{"SAMLProviderArn": {arn}}); code != "NoSuchEntity" {
			t.Errorf("%s after delete = %q, want NoSuchEntity", action, code)
		}
	}
	api.mustCall(t, "ListSAMLProviders", nil, &list)
	if len(list.Members) != 0 {
		t.Errorf("ListSAMLProviders after delete = %+v, want none", list.Members)
	}
}

func TestHTTPProviderParameters(t *testing.T) {
	t.Parallel()
	api := newIAMAPI(t)
	md := string(testMetadata(t, certstest.New(), "https://idp.example", 1))
	arn20 := "arn:aws:iam::1:saml-" // 20 characters
	for _, tt := range []struct {
		action string
		params url.Values
		want   string
	}{
		{"CreateSAMLProvider", url.Values{"SAMLMetadataDocument": {md}}, "ValidationError"},
		{"CreateSAMLProvider", url.Values{"Name": {"x"}}, "ValidationError"},
		{"CreateSAMLProvider", url.Values{"Name": {"x"}, "SAMLMetadataDocument": {md}, "Tags.member.1.Value": {"v"}}, "ValidationError"},
		{"CreateSAMLProvider", url.Values{"Name": {"x"}, "SAMLMetadataDocument": {md}, "AssertionEncryptionMode": {"Sometimes"}}, "ValidationError"},
		{"GetSAMLProvider", nil, "ValidationError"},
		{"GetSAMLProvider", url.Values{"SAMLProviderArn": {arn20[:19]}}, "ValidationError"},
		{"GetSAMLProvider", url.Values{"SAMLProviderArn": {arn20}}, "NoSuchEntity"},
		{"GetSAMLProvider", url.Values{"SAMLProviderArn": {arn20 + strings.Repeat("x", 2048-20)}}, "NoSuchEntity"},
		{"GetSAMLProvider", url.Values{"SAMLProviderArn": {arn20 + strings.Repeat("x", 2049-20)}}, "ValidationError"},
		{"UpdateSAMLProvider", url.Values{"SAMLMetadataDocument": {md}}, "ValidationError"},
		{"UpdateSAMLProvider", url.Values{"SAMLProviderArn": {arn20}, "SAMLMetadataDocument": {md}}, "NoSuchEntity"},
		{"DeleteSAMLProvider", url.Values{"SAMLProviderArn": {"short"}}, "ValidationError"},
		{"TagSAMLProvider", url.Values{"Tags.member.1.Key": {"k"}}, "ValidationError"},
		{"TagSAMLProvider", url.Values{"SAMLProviderArn": {arn20}, "Tags.member.1.Value": {"v"}}, "ValidationError"},
		{"TagSAMLProvider", url.Values{"SAMLProviderArn": {arn20}, "Tags.member.1.Key": {"k"}}, "ValidationError"}, // a tag's Value is required
		{"TagSAMLProvider", url.Values{"SAMLProviderArn": {arn20}, "Tags.member.1.Key": {"k"}, "Tags.member.1.Value": {"v"}}, "NoSuchEntity"},
		{"UntagSAMLProvider", url.Values{"TagKeys.member.1": {"k"}}, "ValidationError"},
		{"UntagSAMLProvider", url.Values{"SAMLProviderArn": {arn20}, "TagKeys.member.1": {"k"}}, "NoSuchEntity"},
		{"ListSAMLProviderTags", nil, "ValidationError"},
	} {
		if code, _ := api.call(t, tt.action, tt.params); code != tt.want {
			t.Errorf("%s %v = %q, want %s", tt.action, tt.params, code, tt.want)
		}
	}
	if n := len(api.acct.SAMLProviders()); n != 0 {
		t.Errorf("%d providers after refused calls, want 0", n)
	}
}

type roleResult struct {
	Path                     string   `xml:"Role>Path"`
	RoleName                 string   `xml:"Role>RoleName"`
	RoleID                   string   `xml:"Role>RoleId"`
	ARN                      string   `xml:"Role>Arn"`
	CreateDate               string   `xml:"Role>CreateDate"`
	AssumeRolePolicyDocument string   `xml:"Role>AssumeRolePolicyDocument"`
	Description              string   `xml:"Role>Description"`
	MaxSessionDuration       int      `xml:"Role>MaxSessionDuration"`
	Tags                     []xmlTag `xml:"Role>Tags>member"`
}

func TestHTTPRoles(t *testing.T) {
	t.Parallel()
	api := newIAMAPI(t)
	provider := "arn:aws:iam::" + iam.DefaultAccountID + ":saml-provider/idp"
	trust := iam.SAMLTrustPolicy(provider)

	var created roleResult
	api.mustCall(t, "CreateRole", url.Values{"RoleName": {"Admin"}, "Path": {"/saml/"}, "AssumeRolePolicyDocument": {trust},
		"Description": {"lab admin"}, "MaxSessionDuration": {"43200"}, "Tags.member.1.Key": {"k"}, "Tags.member.1.Value": {"v"}}, &created)
	want := roleResult{Path: "/saml/", RoleName: "Admin", ARN: "arn:aws:iam::" + iam.DefaultAccountID + ":role/saml/Admin",
		CreateDate: "2030-01-02T03:04:05Z", AssumeRolePolicyDocument: iam.URLEncodePolicy(trust), Description: "lab admin",
		MaxSessionDuration: 43200, Tags: []xmlTag{{"k", "v"}}}
	want.RoleID = created.RoleID
	if diff := cmp.Diff(want, created); diff != "" || !strings.HasPrefix(created.RoleID, "AROA") {
		t.Errorf("CreateRole (-want +got):\n%s\nRoleId %q", diff, created.RoleID)
	}
	if doc, err := url.QueryUnescape(created.AssumeRolePolicyDocument); err != nil || doc != trust {
		t.Errorf("AssumeRolePolicyDocument decodes to %q (%v), want the policy sent", doc, err)
	}
	var got roleResult
	api.mustCall(t, "GetRole", url.Values{"RoleName": {"Admin"}}, &got)
	if diff := cmp.Diff(created, got); diff != "" {
		t.Errorf("GetRole differs from CreateRole (-create +get):\n%s", diff)
	}

	// MaxSessionDuration bounds, on CreateRole and UpdateRole.
	for _, tt := range []struct {
		v    string
		want string
	}{{"3599", "ValidationError"}, {"3600", ""}, {"43200", ""}, {"43201", "ValidationError"}, {"1h", "ValidationError"}} {
		name := "R" + tt.v
		code, _ := api.call(t, "CreateRole", url.Values{"RoleName": {name}, "AssumeRolePolicyDocument": {trust}, "MaxSessionDuration": {tt.v}})
		if code != tt.want {
			t.Errorf("CreateRole MaxSessionDuration=%s = %q, want %q", tt.v, code, tt.want)
		}
		if code, _ := api.call(t, "UpdateRole", url.Values{"RoleName": {"Admin"}, "MaxSessionDuration": {tt.v}}); code != tt.want {
			t.Errorf("UpdateRole MaxSessionDuration=%s = %q, want %q", tt.v, code, tt.want)
		}
	}
	api.mustCall(t, "UpdateRole", url.Values{"RoleName": {"Admin"}, "MaxSessionDuration": {"7200"}, "Description": {""}}, nil)
	api.mustCall(t, "GetRole", url.Values{"RoleName": {"Admin"}}, &got)
	if got.MaxSessionDuration != 7200 || got.Description != "" {
		t.Errorf("after UpdateRole: MaxSessionDuration %d Description %q, want 7200 and empty", got.MaxSessionDuration, got.Description)
	}
	api.mustCall(t, "UpdateRole", url.Values{"RoleName": {"Admin"}, "Description": {"again"}}, nil)
	api.mustCall(t, "GetRole", url.Values{"RoleName": {"Admin"}}, &got)
	if got.MaxSessionDuration != 7200 || got.Description != "again" {
		t.Errorf("after UpdateRole Description: MaxSessionDuration %d Description %q, want 7200 unchanged and again", got.MaxSessionDuration, got.Description)
	}

	// Trust policy.
	other := iam.SAMLTrustPolicy("arn:aws:iam::" + iam.DefaultAccountID + ":saml-provider/other")
	api.mustCall(t, "UpdateAssumeRolePolicy", url.Values{"RoleName": {"Admin"}, "PolicyDocument": {other}}, nil)
	api.mustCall(t, "GetRole", url.Values{"RoleName": {"Admin"}}, &got)
	if got.AssumeRolePolicyDocument != iam.URLEncodePolicy(other) {
		t.Errorf("trust policy after UpdateAssumeRolePolicy = %s, want the new one", got.AssumeRolePolicyDocument)
	}
	for _, tt := range []struct {
		action string
		params url.Values
		want   string
	}{
		{"UpdateAssumeRolePolicy", url.Values{"RoleName": {"Admin"}, "PolicyDocument": {"{"}}, "MalformedPolicyDocument"},
		{"UpdateAssumeRolePolicy", url.Values{"RoleName": {"Admin"}}, "ValidationError"},
		{"UpdateAssumeRolePolicy", url.Values{"PolicyDocument": {other}}, "ValidationError"},
		{"UpdateAssumeRolePolicy", url.Values{"RoleName": {"Nobody"}, "PolicyDocument": {other}}, "NoSuchEntity"},
		{"CreateRole", url.Values{"RoleName": {"NoPolicy"}}, "ValidationError"},
		{"CreateRole", url.Values{"AssumeRolePolicyDocument": {trust}}, "ValidationError"},
		{"CreateRole", url.Values{"RoleName": {"Admin"}, "AssumeRolePolicyDocument": {trust}}, "EntityAlreadyExists"},
		{"CreateRole", url.Values{"RoleName": {"BadTags"}, "AssumeRolePolicyDocument": {trust}, "Tags.member.1.Value": {"v"}}, "ValidationError"},
		{"GetRole", url.Values{}, "ValidationError"},
		{"GetRole", url.Values{"RoleName": {"Nobody"}}, "NoSuchEntity"},
		{"UpdateRole", url.Values{"RoleName": {"Nobody"}, "Description": {"x"}}, "NoSuchEntity"},
		{"UpdateRole", url.Values{}, "ValidationError"},
		{"DeleteRole", url.Values{}, "ValidationError"},
	} {
		if code, _ := api.call(t, tt.action, tt.params); code != tt.want {
			t.Errorf("%s %v = %q, want %s", tt.action, tt.params, code, tt.want)
		}
	}
	api.mustCall(t, "GetRole", url.Values{"RoleName": {"Admin"}}, &got)
	if got.AssumeRolePolicyDocument != iam.URLEncodePolicy(other) {
		t.Error("a refused UpdateAssumeRolePolicy changed the trust policy")
	}

	// ListRoles, with and without PathPrefix (roles without tags).
	var roles struct {
		Names       []string   `xml:"Roles>member>RoleName"`
		Tags        [][]xmlTag `xml:"Roles>member>Tags"`
		IsTruncated string     `xml:"IsTruncated"`
	}
	api.mustCall(t, "ListRoles", nil, &roles)
	if want := []string{"Admin", "R3600", "R43200"}; !cmp.Equal(roles.Names, want) || roles.IsTruncated != "false" || roles.Tags != nil {
		t.Errorf("ListRoles = %v truncated %s tags %v, want %v, no tags", roles.Names, roles.IsTruncated, roles.Tags, want)
	}
	api.mustCall(t, "ListRoles", url.Values{"PathPrefix": {"/saml/"}}, &roles)
	if want := []string{"Admin"}; !cmp.Equal(roles.Names, want) {
		t.Errorf("ListRoles /saml/ = %v, want %v", roles.Names, want)
	}

	api.mustCall(t, "DeleteRole", url.Values{"RoleName": {"Admin"}}, nil)
	if code, _ := api.call(t, "GetRole", url.Values{"RoleName": {"Admin"}}); code != "NoSuchEntity" {
		t.Errorf("GetRole after DeleteRole = %q, want NoSuchEntity", code)
	}
	if code, _ := api.call(t, "DeleteRole", url.Values{"RoleName": {"Admin"}}); code != "NoSuchEntity" {
		t.Errorf("second DeleteRole = %q, want NoSuchEntity", code)
	}
}

func TestURLEncodePolicy(t *testing.T) {
	t.Parallel()
	// RFC 3986 unreserved characters stay; every other byte is %XX in upper case.
	var in, want strings.Builder
	for c := 0; c < 256; c++ {
		in.WriteByte(byte(c))
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", byte(c)) >= 0 {
			want.WriteByte(byte(c))
		} else {
			want.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(c)+0x100, 16)[1:]))
		}
	}
	if got := iam.URLEncodePolicy(in.String()); got != want.String() {
		t.Errorf("URLEncodePolicy(all bytes) =\n%s\nwant\n%s", got, want.String())
	}
	if got := iam.URLEncodePolicy(`{"a": "é"}`); got != "%7B%22a%22%3A%20%22%C3%A9%22%7D" {
		t.Errorf("URLEncodePolicy = %s", got)
	}
}

func TestRoleByARN(t *testing.T) {
	t.Parallel()
	a := iam.NewAccount(iam.Config{})
	trust := iam.SAMLTrustPolicy(a.ProviderARN("idp"))
	role, err := a.CreateRole(iam.CreateRoleInput{Name: "Admin", Path: "/saml/", AssumeRolePolicyDocument: trust})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := a.RoleByARN(role.ARN); err != nil || got.Name != "Admin" {
		t.Errorf("RoleByARN(%s) = %v, %v, want Admin", role.ARN, got, err)
	}
	prefix := "arn:aws:iam::" + iam.DefaultAccountID + ":role/"
	for _, arn := range []string{prefix + "Admin", prefix + "other/Admin", prefix + "saml/Nobody", "Admin", "", "arn:aws:iam::999999999999:role/saml/Admin"} {
		_, err := a.RoleByARN(arn)
		wantCode(t, "RoleByARN "+arn, err, awsapi.CodeNoSuchEntity)
		if !errors.Is(err, iam.ErrNoSuchRole) {
			t.Errorf("RoleByARN(%q) = %v, want it to wrap ErrNoSuchRole", arn, err)
		}
	}
}

func TestHTTPProviderListAndKeys(t *testing.T) {
	t.Parallel()
	api := newIAMAPI(t)
	keys := certstest.New()
	for _, name := range []string{"b-idp", "c-idp", "a-idp"} {
		api.mustCall(t, "CreateSAMLProvider", url.Values{"Name": {name}, "SAMLMetadataDocument": {string(testMetadata(t, keys, "https://"+name, 1))}}, nil)
	}
	var list struct {
		ARNs []string `xml:"SAMLProviderList>member>Arn"`
	}
	api.mustCall(t, "ListSAMLProviders", nil, &list)
	prefix := "arn:aws:iam::" + iam.DefaultAccountID + ":saml-provider/"
	if want := []string{prefix + "a-idp", prefix + "b-idp", prefix + "c-idp"}; !cmp.Equal(list.ARNs, want) {
		t.Errorf("ListSAMLProviders = %v, want %v (sorted)", list.ARNs, want)
	}
	md := string(testMetadata(t, keys, "https://d-idp", 1))
	for _, tt := range []struct {
		params url.Values
		want   string
	}{
		{url.Values{"AddPrivateKey": {"not a key"}}, "InvalidInput"},
		{url.Values{"AssertionEncryptionMode": {"Required"}}, "InvalidInput"},
	} {
		params := url.Values{"Name": {"d-idp"}, "SAMLMetadataDocument": {md}}
		for k, v := range tt.params {
			params[k] = v
		}
		if code, _ := api.call(t, "CreateSAMLProvider", params); code != tt.want {
			t.Errorf("CreateSAMLProvider %v = %q, want %s", tt.params, code, tt.want)
		}
	}
	if n := len(api.acct.SAMLProviders()); n != 3 {
		t.Errorf("%d providers after refused creates, want 3", n)
	}
}
