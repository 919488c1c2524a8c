package scenarios_test

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts"
)

// awsLab is a lab served over real HTTP on loopback, with SDK clients
// pointed at it through an endpoint override.
type awsLab struct {
	lab    *scenarios.Lab
	srv    *httptest.Server
	admin  scenarios.AdminKey
	events *awsapi.EventLog
}

func newAWSLab(t testing.TB, adjust func(*scenarios.ServerConfig)) *awsLab {
	t.Helper()
	lab, err := scenarios.NewLab(labConfig())
	if err != nil {
		t.Fatalf("NewLab: %v", err)
	}
	admin, err := scenarios.NewAdminKey(nil)
	if err != nil {
		t.Fatalf("NewAdminKey: %v", err)
	}
	events := &awsapi.EventLog{}
	cfg := scenarios.ServerConfig{Admin: admin, Events: events}
	if adjust != nil {
		adjust(&cfg)
	}
	h, err := lab.Handler(cfg)
	if err != nil {
		t.Fatalf("Handler: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &awsLab{lab: lab, srv: srv, admin: admin, events: events}
}

func (l *awsLab) config(creds aws.CredentialsProvider) aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: creds, HTTPClient: l.srv.Client()}
}

func (l *awsLab) iamClient(creds aws.CredentialsProvider) *iamsdk.Client {
	return iamsdk.NewFromConfig(l.config(creds), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(l.srv.URL) })
}

func (l *awsLab) stsClient(creds aws.CredentialsProvider) *stssdk.Client {
	return stssdk.NewFromConfig(l.config(creds), func(o *stssdk.Options) { o.BaseEndpoint = aws.String(l.srv.URL) })
}

func (l *awsLab) adminCreds() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(l.admin.AccessKeyID, l.admin.SecretAccessKey, "")
}

func (l *awsLab) metadata(t testing.TB) string {
	t.Helper()
	md, err := l.lab.IDP.Metadata()
	if err != nil {
		t.Fatalf("IDP.Metadata: %v", err)
	}
	return string(md)
}

func (l *awsLab) samlResponse(t testing.TB, u idp.User) string {
	t.Helper()
	resp, err := l.lab.IDP.AWSResponse(u, idp.ResponseOptions{})
	if err != nil {
		t.Fatalf("IDP.AWSResponse: %v", err)
	}
	return resp.Base64()
}

// TestSDKFederationStory drives the whole federation with the real
// aws-sdk-go-v2 IAM and STS clients: register the IdP, create a role, assume
// it with the IdP's response, call GetCallerIdentity with the issued
// credentials, rotate the IdP key, see "Response signature invalid", update
// the provider, and succeed again.
func TestSDKFederationStory(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	l := newAWSLab(t, nil)
	admin := l.iamClient(l.adminCreds())
	anon := l.stsClient(aws.AnonymousCredentials{})

	md := l.metadata(t)
	created, err := admin.CreateSAMLProvider(ctx, &iamsdk.CreateSAMLProviderInput{
		Name: aws.String(scenarios.DefaultProviderName), SAMLMetadataDocument: aws.String(md),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("platform")}},
	})
	if err != nil {
		t.Fatalf("CreateSAMLProvider: %v", err)
	}
	if got := aws.ToString(created.SAMLProviderArn); got != l.lab.ProviderARN {
		t.Fatalf("CreateSAMLProvider ARN = %q, want %q", got, l.lab.ProviderARN)
	}
	got, err := admin.GetSAMLProvider(ctx, &iamsdk.GetSAMLProviderInput{SAMLProviderArn: created.SAMLProviderArn})
	if err != nil {
		t.Fatalf("GetSAMLProvider: %v", err)
	}
	if aws.ToString(got.SAMLMetadataDocument) != md {
		t.Errorf("GetSAMLProvider metadata differs from the uploaded document:\n%s", aws.ToString(got.SAMLMetadataDocument))
	}
	if aws.ToString(got.SAMLProviderUUID) == "" || got.CreateDate == nil || got.ValidUntil == nil ||
		len(got.Tags) != 1 || aws.ToString(got.Tags[0].Key) != "team" {
		t.Errorf("GetSAMLProvider = uuid %q, created %v, valid until %v, tags %v; want all set",
			aws.ToString(got.SAMLProviderUUID), got.CreateDate, got.ValidUntil, got.Tags)
	}
	list, err := admin.ListSAMLProviders(ctx, &iamsdk.ListSAMLProvidersInput{})
	if err != nil || len(list.SAMLProviderList) != 1 || aws.ToString(list.SAMLProviderList[0].Arn) != l.lab.ProviderARN {
		t.Fatalf("ListSAMLProviders = %+v, %v; want the one provider", list, err)
	}

	role, err := admin.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("Federated"),
		AssumeRolePolicyDocument: aws.String(iam.SAMLTrustPolicy(l.lab.ProviderARN)), MaxSessionDuration: aws.Int32(7200)})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	roleARN := aws.ToString(role.Role.Arn)
	gr, err := admin.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("Federated")})
	if err != nil {
		t.Fatalf("GetRole: %v", err)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(gr.Role.AssumeRolePolicyDocument)); doc != iam.SAMLTrustPolicy(l.lab.ProviderARN) {
		t.Errorf("GetRole policy = %q, want the URL-encoded trust policy", aws.ToString(gr.Role.AssumeRolePolicyDocument))
	}
	if aws.ToInt32(gr.Role.MaxSessionDuration) != 7200 {
		t.Errorf("GetRole MaxSessionDuration = %d, want 7200", aws.ToInt32(gr.Role.MaxSessionDuration))
	}

	user := idp.User{Name: "alice", Email: "alice@example.com",
		Roles: []idp.Role{{RoleARN: roleARN, ProviderARN: l.lab.ProviderARN}}}
	assume := func() (*stssdk.AssumeRoleWithSAMLOutput, error) {
		return anon.AssumeRoleWithSAML(ctx, &stssdk.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN),
			PrincipalArn: aws.String(l.lab.ProviderARN), SAMLAssertion: aws.String(l.samlResponse(t, user)),
			DurationSeconds: aws.Int32(7200)})
	}
	out, err := assume()
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML: %v", err)
	}
	wantARN := "arn:aws:sts::" + scenarios.DefaultAccountID + ":assumed-role/Federated/alice"
	if aws.ToString(out.AssumedRoleUser.Arn) != wantARN || aws.ToString(out.Issuer) != l.lab.IDP.EntityID() ||
		aws.ToString(out.Subject) == "" || aws.ToString(out.SubjectType) == "" ||
		aws.ToString(out.Audience) != idp.AWSSignInURL || !strings.HasPrefix(aws.ToString(out.Credentials.AccessKeyId), "ASIA") {
		t.Errorf("AssumeRoleWithSAML = arn %q issuer %q subject %q/%q audience %q key %q",
			aws.ToString(out.AssumedRoleUser.Arn), aws.ToString(out.Issuer), aws.ToString(out.Subject),
			aws.ToString(out.SubjectType), aws.ToString(out.Audience), aws.ToString(out.Credentials.AccessKeyId))
	}
	if want := sts.NameQualifier(l.lab.IDP.EntityID(), scenarios.DefaultAccountID, scenarios.DefaultProviderName); aws.ToString(out.NameQualifier) != want {
		t.Errorf("NameQualifier = %q, want %q", aws.ToString(out.NameQualifier), want)
	}
	if exp := out.Credentials.Expiration.Sub(l.lab.Clock.Now()); exp < 7199*time.Second || exp > 7200*time.Second {
		t.Errorf("credentials expire in %s, want 2h", exp)
	}

	session := l.stsClient(credentials.NewStaticCredentialsProvider(aws.ToString(out.Credentials.AccessKeyId),
		aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken)))
	who, err := session.GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with session credentials: %v", err)
	}
	if aws.ToString(who.Arn) != wantARN || aws.ToString(who.Account) != scenarios.DefaultAccountID ||
		aws.ToString(who.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
		t.Errorf("GetCallerIdentity = %s %s %s, want %s", aws.ToString(who.Arn), aws.ToString(who.Account), aws.ToString(who.UserId), wantARN)
	}

	if _, err := l.lab.IDP.Rotate(); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	_, err = assume()
	var bad *ststypes.InvalidIdentityTokenException
	if !errors.As(err, &bad) || bad.ErrorMessage() != "Response signature invalid" {
		t.Fatalf("AssumeRoleWithSAML after rotation = %v, want InvalidIdentityTokenException \"Response signature invalid\"", err)
	}
	if _, err := admin.UpdateSAMLProvider(ctx, &iamsdk.UpdateSAMLProviderInput{SAMLProviderArn: created.SAMLProviderArn,
		SAMLMetadataDocument: aws.String(l.metadata(t))}); err != nil {
		t.Fatalf("UpdateSAMLProvider: %v", err)
	}
	if _, err := assume(); err != nil {
		t.Fatalf("AssumeRoleWithSAML after UpdateSAMLProvider: %v", err)
	}

	me, err := l.stsClient(l.adminCreds()).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(me.Arn), ":user/"+scenarios.AdminUserName) {
		t.Errorf("GetCallerIdentity as admin = %v, %v; want the admin user", me, err)
	}

	var failed []awsapi.Event
	for _, e := range l.events.Events() {
		if e.Failed() {
			failed = append(failed, e)
		}
	}
	if len(failed) != 1 || failed[0].EventName != "AssumeRoleWithSAML" || failed[0].ErrorCode != "InvalidIdentityToken" ||
		failed[0].Cause == "" || failed[0].SourceIPAddress != "127.0.0.1" {
		t.Errorf("failed events = %+v, want the one rejected AssumeRoleWithSAML with its cause", failed)
	}
}

// TestSDKProviderAndRoleAdmin covers the remaining IAM operations through the
// SDK: bad metadata, duplicate names, tags, UpdateRole, delete.
func TestSDKProviderAndRoleAdmin(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	l := newAWSLab(t, nil)
	admin := l.iamClient(l.adminCreds())
	md := l.metadata(t)

	_, err := admin.CreateSAMLProvider(ctx, &iamsdk.CreateSAMLProviderInput{Name: aws.String("broken"),
		SAMLMetadataDocument: aws.String("<EntityDescriptor" + strings.Repeat(" ", 1000) + ">")})
	var invalid *iamtypes.InvalidInputException
	if !errors.As(err, &invalid) {
		t.Errorf("CreateSAMLProvider(unparsable) = %v, want InvalidInputException", err)
	}
	_, err = admin.CreateSAMLProvider(ctx, &iamsdk.CreateSAMLProviderInput{Name: aws.String("tiny"),
		SAMLMetadataDocument: aws.String("<x/>")})
	if code := errorCode(err); code != "ValidationError" {
		t.Errorf("CreateSAMLProvider(too small) code = %q (%v), want ValidationError", code, err)
	}
	if _, err := admin.CreateSAMLProvider(ctx, &iamsdk.CreateSAMLProviderInput{Name: aws.String("p1"), SAMLMetadataDocument: aws.String(md)}); err != nil {
		t.Fatalf("CreateSAMLProvider: %v", err)
	}
	_, err = admin.CreateSAMLProvider(ctx, &iamsdk.CreateSAMLProviderInput{Name: aws.String("p1"), SAMLMetadataDocument: aws.String(md)})
	var exists *iamtypes.EntityAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("CreateSAMLProvider(duplicate) = %v, want EntityAlreadyExistsException", err)
	}
	arn := aws.String("arn:aws:iam::" + scenarios.DefaultAccountID + ":saml-provider/p1")
	if _, err := admin.TagSAMLProvider(ctx, &iamsdk.TagSAMLProviderInput{SAMLProviderArn: arn,
		Tags: []iamtypes.Tag{{Key: aws.String("b"), Value: aws.String("2")}, {Key: aws.String("a"), Value: aws.String("1")}}}); err != nil {
		t.Fatalf("TagSAMLProvider: %v", err)
	}
	if _, err := admin.UntagSAMLProvider(ctx, &iamsdk.UntagSAMLProviderInput{SAMLProviderArn: arn, TagKeys: []string{"b"}}); err != nil {
		t.Fatalf("UntagSAMLProvider: %v", err)
	}
	tags, err := admin.ListSAMLProviderTags(ctx, &iamsdk.ListSAMLProviderTagsInput{SAMLProviderArn: arn})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "a" {
		t.Errorf("ListSAMLProviderTags = %+v, %v; want [a=1]", tags, err)
	}
	_, err = admin.UpdateSAMLProvider(ctx, &iamsdk.UpdateSAMLProviderInput{SAMLProviderArn: arn,
		AssertionEncryptionMode: iamtypes.AssertionEncryptionModeTypeRequired})
	if !errors.As(err, &invalid) {
		t.Errorf("UpdateSAMLProvider(Required without key) = %v, want InvalidInputException", err)
	}
	if _, err := admin.DeleteSAMLProvider(ctx, &iamsdk.DeleteSAMLProviderInput{SAMLProviderArn: arn}); err != nil {
		t.Fatalf("DeleteSAMLProvider: %v", err)
	}
	_, err = admin.GetSAMLProvider(ctx, &iamsdk.GetSAMLProviderInput{SAMLProviderArn: arn})
	var missing *iamtypes.NoSuchEntityException
	if !errors.As(err, &missing) || httpStatus(err) != http.StatusNotFound {
		t.Errorf("GetSAMLProvider(deleted) = %v, want NoSuchEntityException (404)", err)
	}

	if _, err := admin.UpdateRole(ctx, &iamsdk.UpdateRoleInput{RoleName: aws.String(scenarios.DefaultRoleName),
		MaxSessionDuration: aws.Int32(43200), Description: aws.String("lab role")}); err != nil {
		t.Fatalf("UpdateRole: %v", err)
	}
	_, err = admin.UpdateRole(ctx, &iamsdk.UpdateRoleInput{RoleName: aws.String(scenarios.DefaultRoleName), MaxSessionDuration: aws.Int32(60)})
	if code := errorCode(err); code != "ValidationError" {
		t.Errorf("UpdateRole(60s) code = %q, want ValidationError", code)
	}
	_, err = admin.UpdateAssumeRolePolicy(ctx, &iamsdk.UpdateAssumeRolePolicyInput{RoleName: aws.String(scenarios.DefaultRoleName),
		PolicyDocument: aws.String("{not json")})
	var malformed *iamtypes.MalformedPolicyDocumentException
	if !errors.As(err, &malformed) {
		t.Errorf("UpdateAssumeRolePolicy(bad JSON) = %v, want MalformedPolicyDocumentException", err)
	}
	roles, err := admin.ListRoles(ctx, &iamsdk.ListRolesInput{})
	if err != nil || len(roles.Roles) != 2 {
		t.Fatalf("ListRoles = %+v, %v; want the lab's two roles", roles, err)
	}
	var updated bool
	for _, r := range roles.Roles {
		if aws.ToString(r.RoleName) == scenarios.DefaultRoleName {
			updated = aws.ToInt32(r.MaxSessionDuration) == 43200 && aws.ToString(r.Description) == "lab role"
		}
	}
	if !updated {
		t.Fatalf("ListRoles = %+v; want the updated lab role", roles.Roles)
	}
	// The lab role has AdministratorAccess attached: IAM refuses to delete a
	// role with policies.
	if _, err := admin.DetachRolePolicy(ctx, &iamsdk.DetachRolePolicyInput{RoleName: aws.String(scenarios.DefaultRoleName),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatalf("DetachRolePolicy: %v", err)
	}
	if _, err := admin.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String(scenarios.DefaultRoleName)}); err != nil {
		t.Fatalf("DeleteRole: %v", err)
	}
	_, err = admin.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String(scenarios.DefaultRoleName)})
	if !errors.As(err, &missing) {
		t.Errorf("GetRole(deleted) = %v, want NoSuchEntityException", err)
	}
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// TestSDKSigV4Rejections checks that signed operations reject what AWS
// rejects, with AWS's codes and statuses, as the SDK sees them.
func TestSDKSigV4Rejections(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	l := newAWSLab(t, nil)
	if err := l.lab.RegisterProvider(); err != nil {
		t.Fatalf("RegisterProvider: %v", err)
	}
	out, err := l.stsClient(aws.AnonymousCredentials{}).AssumeRoleWithSAML(ctx, &stssdk.AssumeRoleWithSAMLInput{
		RoleArn: aws.String(l.lab.RoleARN), PrincipalArn: aws.String(l.lab.ProviderARN),
		SAMLAssertion: aws.String(l.samlResponse(t, l.lab.Users[scenarios.DefaultUser]))})
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML: %v", err)
	}
	c := out.Credentials
	static := credentials.NewStaticCredentialsProvider
	tests := []struct {
		name       string
		creds      aws.CredentialsProvider
		advance    time.Duration
		wantCode   string
		wantStatus int
		wantMsg    string
	}{
		{"unsigned", aws.AnonymousCredentials{}, 0, "MissingAuthenticationToken", 403, "Request is missing Authentication Token"},
		{"wrong secret", static(l.admin.AccessKeyID, "not-the-secret", ""), 0, "SignatureDoesNotMatch", 403, ""},
		{"unknown key", static("AKIAUNKNOWNUNKNOWN00", "whatever", ""), 0, "InvalidClientTokenId", 403,
			"The security token included in the request is invalid."},
		{"session key without its token", static(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), ""), 0,
			"InvalidClientTokenId", 403, ""},
		{"session key with a wrong secret", static(aws.ToString(c.AccessKeyId), "x", aws.ToString(c.SessionToken)), 0,
			"SignatureDoesNotMatch", 403, ""},
		// Last: it advances the lab clock past the credentials' expiry. The
		// SDK first signs with its own clock, gets "Signature expired" with
		// the lab time in the Date header, corrects its skew and retries.
		{"expired session", static(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)),
			2 * time.Hour, "ExpiredToken", 403, "The security token included in the request is expired"},
	}
	for _, tt := range tests {
		l.lab.Clock.Advance(tt.advance)
		_, err := l.stsClient(tt.creds).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
		if code := errorCode(err); code != tt.wantCode || httpStatus(err) != tt.wantStatus {
			t.Errorf("%s: GetCallerIdentity = %v (code %q, status %d), want %s (%d)", tt.name, err, code, httpStatus(err), tt.wantCode, tt.wantStatus)
			continue
		}
		var ae smithy.APIError
		if errors.As(err, &ae) && tt.wantMsg != "" && ae.ErrorMessage() != tt.wantMsg {
			t.Errorf("%s: message = %q, want %q", tt.name, ae.ErrorMessage(), tt.wantMsg)
		}
	}
	// IAM is signed too.
	_, err = l.iamClient(aws.AnonymousCredentials{}).ListSAMLProviders(ctx, &iamsdk.ListSAMLProvidersInput{})
	if code := errorCode(err); code != "MissingAuthenticationToken" {
		t.Errorf("unsigned ListSAMLProviders code = %q, want MissingAuthenticationToken", code)
	}
}

// errorEnvelope is AWS's <ErrorResponse>, decoded strictly by namespace.
type errorEnvelope struct {
	XMLName xml.Name
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}

// TestQueryProtocolBadInput sends raw HTTP requests that no SDK would and
// checks that each gets a 4xx AWS error envelope, never a 500.
func TestQueryProtocolBadInput(t *testing.T) {
	t.Parallel()
	l := newAWSLab(t, func(c *scenarios.ServerConfig) { c.MaxBodyBytes = 64 << 10 })
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name, method, query, contentType, body string
		wantStatus                             int
		wantCode                               string
	}{
		{"bad percent escape", "POST", "", form, "Action=%zz&Version=2011-06-15", 404, "MalformedQueryString"},
		{"bad query string", "GET", "Action=%zz", "", "", 404, "MalformedQueryString"},
		{"unknown action", "POST", "", form, "Action=DescribeEverything&Version=2011-06-15", 400, "InvalidAction"},
		{"action of the other version", "POST", "", form, "Action=GetCallerIdentity&Version=2010-05-08", 400, "InvalidAction"},
		{"no action", "POST", "", form, "Version=2011-06-15", 400, "MissingAction"},
		{"empty body", "POST", "", form, "", 400, "MissingAction"},
		{"missing SAML parameters", "POST", "", form, "Action=AssumeRoleWithSAML&Version=2011-06-15", 400, "ValidationError"},
		{"missing SAML parameters as GET", "GET", "Action=AssumeRoleWithSAML&Version=2011-06-15", "", "", 400, "ValidationError"},
		{"duration not a number", "POST", "", form, "Action=AssumeRoleWithSAML&Version=2011-06-15&DurationSeconds=ten", 400, "ValidationError"},
		{"garbage assertion", "POST", "", form, "Action=AssumeRoleWithSAML&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/SAMLAdmin" +
			"&PrincipalArn=arn:aws:iam::123456789012:saml-provider/samlab&SAMLAssertion=%00%01%02%03", 400, "InvalidIdentityToken"},
		{"JSON body", "POST", "", "application/json", `{"Action":"GetCallerIdentity"}`, 404, "MalformedQueryString"},
		{"binary body", "POST", "", form, "\x00\xff\xfe%%%&&==", 404, "MalformedQueryString"},
		{"oversized body", "POST", "", form, "Action=AssumeRoleWithSAML&Version=2011-06-15&SAMLAssertion=" + strings.Repeat("A", 70<<10), 413, "RequestEntityTooLarge"},
		{"malformed authorization", "POST", "", form, "Action=ListRoles&Version=2010-05-08", 400, "IncompleteSignature"},
	}
	for _, tt := range tests {
		u := l.srv.URL + "/"
		if tt.query != "" {
			u += "?" + tt.query
		}
		req, err := http.NewRequestWithContext(t.Context(), tt.method, u, strings.NewReader(tt.body))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if tt.contentType != "" {
			req.Header.Set("Content-Type", tt.contentType)
		}
		if tt.name == "malformed authorization" {
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/iam/aws4_request")
		}
		resp, err := l.srv.Client().Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var env errorEnvelope
		if err := xml.Unmarshal(body, &env); err != nil {
			t.Errorf("%s: body is not an error envelope: %v\n%s", tt.name, err, body)
			continue
		}
		if resp.StatusCode != tt.wantStatus || env.Error.Code != tt.wantCode || env.Error.Type != "Sender" ||
			env.XMLName.Local != "ErrorResponse" || env.RequestID == "" || env.RequestID != resp.Header.Get("X-Amzn-Requestid") ||
			resp.Header.Get("Content-Type") != "text/xml" {
			t.Errorf("%s: got %d %s %+v (Content-Type %q), want %d %s", tt.name, resp.StatusCode, env.XMLName.Space, env.Error,
				resp.Header.Get("Content-Type"), tt.wantStatus, tt.wantCode)
		}
	}
	for _, e := range l.events.Events() {
		if e.HTTPStatus >= 500 {
			t.Errorf("event %s %s: status %d", e.EventName, e.ErrorCode, e.HTTPStatus)
		}
	}
}

// TestPresignedGetCallerIdentity checks query-string SigV4, as tools such as
// aws-iam-authenticator use it: the SDK presigns GetCallerIdentity, and a
// plain GET of the URL must authenticate until X-Amz-Expires has passed.
func TestPresignedGetCallerIdentity(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	l := newAWSLab(t, nil)
	if err := l.lab.RegisterProvider(); err != nil {
		t.Fatal(err)
	}
	out, err := l.stsClient(aws.AnonymousCredentials{}).AssumeRoleWithSAML(ctx, &stssdk.AssumeRoleWithSAMLInput{
		RoleArn: aws.String(l.lab.RoleARN), PrincipalArn: aws.String(l.lab.ProviderARN),
		SAMLAssertion: aws.String(l.samlResponse(t, l.lab.Users[scenarios.DefaultUser]))})
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML: %v", err)
	}
	c := out.Credentials
	session := credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	get := func(creds aws.CredentialsProvider) (int, string) {
		t.Helper()
		p, err := stssdk.NewPresignClient(l.stsClient(creds)).PresignGetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("PresignGetCallerIdentity: %v", err)
		}
		req, err := http.NewRequestWithContext(ctx, p.Method, p.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range p.SignedHeader {
			if !strings.EqualFold(k, "Host") {
				req.Header[k] = v
			}
		}
		resp, err := l.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := get(session); status != http.StatusOK || !strings.Contains(body, "<Arn>"+aws.ToString(out.AssumedRoleUser.Arn)+"</Arn>") {
		t.Errorf("presigned GetCallerIdentity = %d\n%s\nwant 200 with the session ARN", status, body)
	}
	if status, body := get(credentials.NewStaticCredentialsProvider(l.admin.AccessKeyID, "wrong", "")); status != http.StatusForbidden ||
		!strings.Contains(body, "<Code>SignatureDoesNotMatch</Code>") {
		t.Errorf("presigned with a wrong secret = %d\n%s\nwant 403 SignatureDoesNotMatch", status, body)
	}
	// A URL presigned now, used after its 15-minute expiry.
	p, err := stssdk.NewPresignClient(l.stsClient(l.adminCreds())).PresignGetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	l.lab.Clock.Advance(16 * time.Minute)
	resp, err := l.srv.Client().Get(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "<Code>RequestExpired</Code>") {
		t.Errorf("expired presigned URL = %d\n%s\nwant 400 RequestExpired", resp.StatusCode, body)
	}
}

// TestAssumeRoleWithSAMLWireShape checks the raw response against the shape
// of a captured real STS response (docs/aws-behavior.md §1.1): namespace, envelope,
// and the result's members in AWS's order.
func TestAssumeRoleWithSAMLWireShape(t *testing.T) {
	t.Parallel()
	l := newAWSLab(t, nil)
	if err := l.lab.RegisterProvider(); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"Action": {"AssumeRoleWithSAML"}, "Version": {"2011-06-15"}, "RoleArn": {l.lab.RoleARN},
		"PrincipalArn": {l.lab.ProviderARN}, "SAMLAssertion": {l.samlResponse(t, l.lab.Users[scenarios.DefaultUser])}}
	resp, err := l.srv.Client().PostForm(l.srv.URL+"/", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/xml" {
		t.Fatalf("status %d, Content-Type %q\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	// Element paths in document order, namespaces included on the root.
	var paths []string
	var stack []string
	dec := xml.NewDecoder(strings.NewReader(string(body)))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("response XML: %v\n%s", err, body)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			name := el.Name.Local
			if len(stack) == 0 {
				name = el.Name.Space + " " + name
			}
			stack = append(stack, el.Name.Local)
			paths = append(paths, strings.Join(append(stack[:len(stack)-1:len(stack)-1], name), "/"))
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	r, res := "AssumeRoleWithSAMLResponse", "AssumeRoleWithSAMLResponse/AssumeRoleWithSAMLResult"
	want := []string{
		"https://sts.amazonaws.com/doc/2011-06-15/ " + r,
		res, res + "/Audience", res + "/AssumedRoleUser", res + "/AssumedRoleUser/Arn", res + "/AssumedRoleUser/AssumedRoleId",
		res + "/Credentials", res + "/Credentials/AccessKeyId", res + "/Credentials/SecretAccessKey",
		res + "/Credentials/SessionToken", res + "/Credentials/Expiration",
		res + "/Subject", res + "/NameQualifier", res + "/SubjectType", res + "/Issuer",
		r + "/ResponseMetadata", r + "/ResponseMetadata/RequestId",
	}
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Errorf("elements:\n%s\nwant:\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
	if !regexpMatch(`<Expiration>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ</Expiration>`, string(body)) {
		t.Errorf("Expiration is not ISO 8601 UTC seconds:\n%s", body)
	}
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
