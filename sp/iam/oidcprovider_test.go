package iam_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

var created = time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)

// oidcIAMClient serves the account's OIDC-provider operations over loopback
// HTTP and returns an SDK IAM client pointed at it.
func oidcIAMClient(t *testing.T, a *iam.Account) *iamsdk.Client {
	t.Helper()
	creds := func(_ context.Context, id, _ string) (awsapi.Credential, bool) {
		if id != testKeyID {
			return awsapi.Credential{}, false
		}
		return awsapi.Credential{AccessKeyID: testKeyID, SecretAccessKey: testSecret,
			Caller: awsapi.Caller{Type: "IAMUser", ARN: "arn:aws:iam::123456789012:user/admin", AccountID: a.ID()}}, true
	}
	rt, err := awsapi.NewRouter(awsapi.RouterConfig{Operations: a.OIDCProviderOperations(), Credentials: creds})
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return iamsdk.NewFromConfig(aws.Config{Region: "us-east-1", HTTPClient: srv.Client(),
		Credentials: credentials.NewStaticCredentialsProvider(testKeyID, testSecret, "")},
		func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(srv.URL) })
}

func newOIDCAccount(t *testing.T) *iam.Account {
	t.Helper()
	return iam.NewAccount(iam.Config{Now: func() time.Time { return created }})
}

// oidcAPIErr returns the AWS code, message and HTTP status the SDK saw.
func oidcAPIErr(err error) (code, msg string, status int) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg = ae.ErrorCode(), ae.ErrorMessage()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, msg, status
}

func thumb(c byte) string { return strings.Repeat(string(c), 40) }

func TestOIDCProviderLifecycleSDK(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a := newOIDCAccount(t)
	c := oidcIAMClient(t, a)

	out, err := c.CreateOpenIDConnectProvider(ctx, &iamsdk.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://token.example.com/org"), ClientIDList: []string{"sts.amazonaws.com"},
		ThumbprintList: []string{strings.ToUpper(thumb('a'))}, Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	if err != nil {
		t.Fatalf("CreateOpenIDConnectProvider: %v", err)
	}
	arn := "arn:aws:iam::123456789012:oidc-provider/token.example.com/org"
	if got := aws.ToString(out.OpenIDConnectProviderArn); got != arn {
		t.Errorf("ARN = %q, want %q", got, arn)
	}
	if len(out.Tags) != 1 || aws.ToString(out.Tags[0].Key) != "team" {
		t.Errorf("Create Tags = %v, want team=blue", out.Tags)
	}

	for _, step := range []func() error{
		func() error {
			_, err := c.AddClientIDToOpenIDConnectProvider(ctx, &iamsdk.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: aws.String("app-1")})
			return err
		},
		func() error { // idempotent
			_, err := c.AddClientIDToOpenIDConnectProvider(ctx, &iamsdk.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: aws.String("app-1")})
			return err
		},
		func() error {
			_, err := c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iamsdk.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: aws.String("sts.amazonaws.com")})
			return err
		},
		func() error { // idempotent
			_, err := c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iamsdk.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: aws.String("never-added")})
			return err
		},
		func() error {
			_, err := c.UpdateOpenIDConnectProviderThumbprint(ctx, &iamsdk.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: &arn, ThumbprintList: []string{thumb('c'), thumb('d')}})
			return err
		},
		func() error {
			_, err := c.TagOpenIDConnectProvider(ctx, &iamsdk.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn,
				Tags: []iamtypes.Tag{{Key: aws.String("env"), Value: aws.String("ci")}, {Key: aws.String("team"), Value: aws.String("red")}}})
			return err
		},
	} {
		if err := step(); err != nil {
			t.Fatalf("update: %v", err)
		}
	}
	got, err := c.GetOpenIDConnectProvider(ctx, &iamsdk.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn})
	if err != nil {
		t.Fatalf("GetOpenIDConnectProvider: %v", err)
	}
	if u := aws.ToString(got.Url); u != "token.example.com/org" {
		t.Errorf("Url = %q, want it without the scheme, as AWS returns it", u)
	}
	if diff := cmp.Diff([]string{"app-1"}, got.ClientIDList); diff != "" {
		t.Errorf("ClientIDList (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{thumb('c'), thumb('d')}, got.ThumbprintList); diff != "" {
		t.Errorf("ThumbprintList (-want +got):\n%s", diff)
	}
	if !aws.ToTime(got.CreateDate).Equal(created) {
		t.Errorf("CreateDate = %v, want %v", got.CreateDate, created)
	}
	var tags []string
	for _, tg := range got.Tags {
		tags = append(tags, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	if diff := cmp.Diff([]string{"env=ci", "team=red"}, tags); diff != "" {
		t.Errorf("Tags (-want +got):\n%s", diff)
	}

	if _, err := c.UntagOpenIDConnectProvider(ctx, &iamsdk.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, TagKeys: []string{"env"}}); err != nil {
		t.Fatalf("Untag: %v", err)
	}
	lt, err := c.ListOpenIDConnectProviderTags(ctx, &iamsdk.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: &arn})
	if err != nil || len(lt.Tags) != 1 || aws.ToString(lt.Tags[0].Key) != "team" || lt.IsTruncated {
		t.Errorf("ListOpenIDConnectProviderTags = %+v, %v; want only team, not truncated", lt, err)
	}

	list, err := c.ListOpenIDConnectProviders(ctx, &iamsdk.ListOpenIDConnectProvidersInput{})
	if err != nil || len(list.OpenIDConnectProviderList) != 1 || aws.ToString(list.OpenIDConnectProviderList[0].Arn) != arn {
		t.Fatalf("ListOpenIDConnectProviders = %+v, %v; want [%s]", list, err, arn)
	}
	if _, err := c.DeleteOpenIDConnectProvider(ctx, &iamsdk.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err = c.GetOpenIDConnectProvider(ctx, &iamsdk.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Fatalf("Get after delete = %v, want NoSuchEntityException", err)
	}
	code, msg, status := oidcAPIErr(err)
	if code != "NoSuchEntity" || status != http.StatusNotFound || msg != "OpenIDConnect Provider not found for arn "+arn {
		t.Errorf("Get after delete = %s %d %q", code, status, msg)
	}
	_, err = c.DeleteOpenIDConnectProvider(ctx, &iamsdk.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn})
	if code, msg, status := oidcAPIErr(err); code != "NoSuchEntity" || status != 404 || msg != "OpenId connect Provider "+arn+" cannot be found." {
		t.Errorf("second Delete = %s %d %q, want AWS's recorded NoSuchEntity", code, status, msg)
	}
}

func TestOIDCProviderErrorsSDK(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a := newOIDCAccount(t)
	c := oidcIAMClient(t, a)
	many := func(n int, f func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	if _, err := c.CreateOpenIDConnectProvider(ctx, &iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String("https://dup.example.com"), ThumbprintList: []string{thumb('a')}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		in         iamsdk.CreateOpenIDConnectProviderInput
		wantCode   string
		wantStatus int
		wantMsg    string
	}{
		{"no scheme", iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String("example.org"), ThumbprintList: []string{thumb('a')}},
			"ValidationError", 400, "Invalid Open ID Connect Provider URL"},
		{"http off loopback", iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String("http://idp.example.org")},
			"ValidationError", 400, "Invalid Open ID Connect Provider URL"},
		{"http on loopback without the switch", iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String("http://127.0.0.1:8765/idp/oidc")},
			"ValidationError", 400, "Invalid Open ID Connect Provider URL"},
		{"query", iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String("https://idp.example.org/?tenant=1")},
			"ValidationError", 400, "Invalid Open ID Connect Provider URL"},
		{"duplicate", iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String("https://dup.example.com"), ThumbprintList: []string{thumb('a')}},
			"EntityAlreadyExists", 409, "Provider with url https://dup.example.com already exists."},
		{"six thumbprints", iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String("https://t.example.com"),
			ThumbprintList: many(6, func(i int) string { return thumb(byte('a' + i)) })},
			"InvalidInput", 400, "Thumbprint list must contain fewer than 5 entries."},
		{"101 client IDs", iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String("https://c.example.com"), ThumbprintList: []string{thumb('a')},
			ClientIDList: many(101, func(i int) string { return fmt.Sprint(i) })},
			"LimitExceeded", 409, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100"},
		{"three lengths", iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String(strings.Repeat("b", 256)),
			ThumbprintList: []string{strings.Repeat("b", 41)}, ClientIDList: []string{strings.Repeat("b", 256)}},
			"ValidationError", 400, "3 validation errors detected: Value at 'clientIDList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 1]; Value at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]; Value at 'url' failed to satisfy constraint: Member must have length less than or equal to 255"},
	}
	for _, tt := range tests {
		_, err := c.CreateOpenIDConnectProvider(ctx, &tt.in)
		code, msg, status := oidcAPIErr(err)
		if code != tt.wantCode || status != tt.wantStatus || msg != tt.wantMsg {
			t.Errorf("%s: Create = %s %d %q, want %s %d %q", tt.name, code, status, msg, tt.wantCode, tt.wantStatus, tt.wantMsg)
		}
	}
	if n := len(a.OIDCProviders()); n != 1 {
		t.Errorf("%d providers after the refused creates, want 1", n)
	}

	arn := a.OIDCProviderARN("https://dup.example.com")
	for i := range 99 {
		if _, err := c.AddClientIDToOpenIDConnectProvider(ctx, &iamsdk.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: aws.String(fmt.Sprint("c", i))}); err != nil {
			t.Fatalf("AddClientID %d: %v", i, err)
		}
	}
	_, err := c.AddClientIDToOpenIDConnectProvider(ctx, &iamsdk.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: aws.String("one-too-many")})
	if err == nil { // 99 added: one more is the 100th and fits
		_, err = c.AddClientIDToOpenIDConnectProvider(ctx, &iamsdk.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: aws.String("101st")})
	}
	var le *iamtypes.LimitExceededException
	if !errors.As(err, &le) {
		t.Errorf("101st client ID: %v, want LimitExceededException", err)
	}
	_, err = c.UpdateOpenIDConnectProviderThumbprint(ctx, &iamsdk.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: &arn,
		ThumbprintList: many(6, func(i int) string { return thumb(byte('a' + i)) })})
	if code, _, status := oidcAPIErr(err); code != "InvalidInput" || status != 400 {
		t.Errorf("Update with 6 thumbprints = %v, want InvalidInput 400", err)
	}
	missing := "arn:aws:iam::123456789012:oidc-provider/nowhere.example.com"
	_, err = c.TagOpenIDConnectProvider(ctx, &iamsdk.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: &missing, Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	if !errors.As(err, new(*iamtypes.NoSuchEntityException)) {
		t.Errorf("Tag missing provider = %v, want NoSuchEntityException", err)
	}
}

func TestOIDCProviderInsecureHTTPSwitch(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a := newOIDCAccount(t)
	a.SetInsecureHTTPIssuers(true)
	p, err := a.CreateOIDCProvider(ctx, iam.CreateOIDCProviderInput{URL: "http://127.0.0.1:8765/idp/oidc", ClientIDs: []string{"app"}})
	if err != nil {
		t.Fatalf("CreateOIDCProvider(http loopback) with the switch: %v", err)
	}
	if p.ARN != "arn:aws:iam::123456789012:oidc-provider/127.0.0.1:8765/idp/oidc" || len(p.Thumbprints) != 0 {
		t.Errorf("provider = %+v", p)
	}
	if _, err := a.CreateOIDCProvider(ctx, iam.CreateOIDCProviderInput{URL: "http://idp.example.org"}); err == nil {
		t.Errorf("http:// off loopback was accepted with the switch on")
	}
	if got, ok := a.OIDCProviderForIssuer("http://127.0.0.1:8765/idp/oidc"); !ok || got.ARN != p.ARN {
		t.Errorf("OIDCProviderForIssuer(http) = %v, %v", got, ok)
	}
	if _, ok := a.OIDCProviderForIssuer("https://127.0.0.1:8765/idp/oidc"); ok {
		t.Errorf("an https issuer matched a provider registered with http://")
	}
	if _, ok := a.OIDCProviderForIssuer("http://127.0.0.1:8765/idp/oidc/"); ok {
		t.Errorf("an issuer with a trailing slash matched")
	}
}

// TestOIDCProviderThumbprintFromTLS creates a provider without thumbprints:
// IAM takes the thumbprint of the top certificate the host presents.
func TestOIDCProviderThumbprintFromTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	a := newOIDCAccount(t)
	p, err := a.CreateOIDCProvider(t.Context(), iam.CreateOIDCProviderInput{URL: srv.URL})
	if err != nil {
		t.Fatalf("CreateOIDCProvider: %v", err)
	}
	want := iam.Thumbprint(srv.Certificate().Raw)
	if diff := cmp.Diff([]string{want}, p.Thumbprints); diff != "" {
		t.Errorf("Thumbprints (-want +got):\n%s", diff)
	}
}

func TestOIDCProviderTagPaging(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a := newOIDCAccount(t)
	c := oidcIAMClient(t, a)
	var tags []iamtypes.Tag
	for i := range 10 {
		tags = append(tags, iamtypes.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
	}
	out, err := c.CreateOpenIDConnectProvider(ctx, &iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String("https://p.example.com"), ThumbprintList: []string{thumb('a')}, Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	pg := iamsdk.NewListOpenIDConnectProviderTagsPaginator(c, &iamsdk.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: out.OpenIDConnectProviderArn, MaxItems: aws.Int32(4)})
	pages := 0
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		pages++
		for _, tg := range page.Tags {
			seen = append(seen, aws.ToString(tg.Key))
		}
	}
	if pages != 3 || len(seen) != 10 || seen[0] != "k00" || seen[9] != "k09" {
		t.Errorf("paged %d pages, tags %v; want 3 pages of k00..k09", pages, seen)
	}
}

func TestOIDCProviderStoreSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := t.Context()
	store := openStore(t, dir)
	a, err := iam.OpenAccount(iam.Config{Store: store, Now: func() time.Time { return created }})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.CreateOIDCProvider(ctx, iam.CreateOIDCProviderInput{URL: "https://keep.example.com", ClientIDs: []string{"a"}, Thumbprints: []string{thumb('a')}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateOIDCProvider(ctx, iam.CreateOIDCProviderInput{URL: "https://gone.example.com", Thumbprints: []string{thumb('a')}}); err != nil {
		t.Fatal(err)
	}
	if err := a.AddClientIDToOIDCProvider(p.ARN, "b"); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteOIDCProvider(a.OIDCProviderARN("https://gone.example.com")); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	// A lab that starts with a provider of its own in memory and then
	// attaches the state directory keeps both.
	fresh := iam.NewAccount(iam.Config{Now: func() time.Time { return created }})
	if _, err := fresh.CreateOIDCProvider(ctx, iam.CreateOIDCProviderInput{URL: "https://memory.example.com", Thumbprints: []string{thumb('b')}}); err != nil {
		t.Fatal(err)
	}
	store2 := openStore(t, dir)
	t.Cleanup(func() { _ = store2.Close() })
	if err := fresh.AttachStore(store2); err != nil {
		t.Fatalf("AttachStore: %v", err)
	}
	var urls []string
	for _, q := range fresh.OIDCProviders() {
		urls = append(urls, q.URL)
	}
	if diff := cmp.Diff([]string{"https://keep.example.com", "https://memory.example.com"}, urls); diff != "" {
		t.Errorf("providers after restart (-want +got):\n%s", diff)
	}
	got, err := fresh.OIDCProvider(p.ARN)
	if err != nil || !cmp.Equal(got.ClientIDs, []string{"a", "b"}) || !got.CreateDate.Equal(created) {
		t.Errorf("reloaded provider = %+v, %v", got, err)
	}
	// The attached store now persists changes: reopen once more.
	if err := fresh.RemoveClientIDFromOIDCProvider(p.ARN, "a"); err != nil {
		t.Fatal(err)
	}
	if err := store2.Close(); err != nil {
		t.Fatal(err)
	}
	store3 := openStore(t, dir)
	t.Cleanup(func() { _ = store3.Close() })
	again, err := iam.OpenAccount(iam.Config{Store: store3})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.OIDCProvider(p.ARN); err != nil || !cmp.Equal(got.ClientIDs, []string{"b"}) {
		t.Errorf("after the second reopen = %+v, %v; want client IDs [b]", got, err)
	}
	if len(again.OIDCProviders()) != 2 {
		t.Errorf("second reopen has %d providers, want 2", len(again.OIDCProviders()))
	}
}
