package cognito_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/cognito"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts"
)

const account = "123456789012"

func newService(t testing.TB) *cognito.Service {
	t.Helper()
	now := func() time.Time { return time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC) }
	acct := iam.NewAccount(iam.Config{ID: account, Now: now})
	svc, err := sts.New(sts.Config{Account: acct, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	key, err := certstest.New().Key(2048)
	if err != nil {
		t.Fatal(err)
	}
	s, err := cognito.New(cognito.Config{WebIdentity: svc.NewWebIdentity(nil), AccountID: account, Key: key, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func code(err error) awsapi.Code {
	var e *awsapi.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	err := cognito.Config{}.Validate()
	if err == nil {
		t.Fatal("Validate of an empty config passed")
	}
	for _, want := range []string{"WebIdentity is required", "AccountID is required"} {
		if !bytes.Contains([]byte(err.Error()), []byte(want)) {
			t.Errorf("Validate() = %v; want it to say %q", err, want)
		}
	}
}

func TestPools(t *testing.T) {
	t.Parallel()
	s := newService(t)
	var ids []string
	for i := range 5 {
		p, err := s.CreatePool(cognito.Pool{Name: fmt.Sprintf("pool %d", i)})
		if err != nil {
			t.Fatalf("CreatePool: %v", err)
		}
		ids = append(ids, p.ID)
	}
	var got []string
	next := ""
	for pages := 0; ; pages++ {
		ps, n, err := s.ListPools(2, next)
		if err != nil {
			t.Fatalf("ListPools: %v", err)
		}
		for _, p := range ps {
			got = append(got, p.ID)
		}
		if next = n; next == "" {
			if pages != 2 {
				t.Errorf("%d pages, want 3", pages+1)
			}
			break
		}
	}
	if !slices.Equal(got, ids) {
		t.Errorf("ListPools = %v, want %v (creation order)", got, ids)
	}
	for _, tc := range []struct {
		name string
		err  error
		want awsapi.Code
	}{
		{"MaxResults 0", func() error { _, _, err := s.ListPools(0, ""); return err }(), cognito.CodeValidation},
		{"MaxResults 61", func() error { _, _, err := s.ListPools(61, ""); return err }(), cognito.CodeValidation},
		{"bad token", func() error { _, _, err := s.ListPools(1, "us-east-1:ffff"); return err }(), cognito.CodeInvalidParameter},
		{"no name", func() error { _, err := s.CreatePool(cognito.Pool{}); return err }(), cognito.CodeValidation},
		{"long name", func() error {
			_, err := s.CreatePool(cognito.Pool{Name: string(bytes.Repeat([]byte("a"), 129))})
			return err
		}(), cognito.CodeValidation},
		{"bad OIDC ARN", func() error {
			_, err := s.CreatePool(cognito.Pool{Name: "x", OIDCProviderARNs: []string{"example.com"}})
			return err
		}(), cognito.CodeInvalidParameter},
		{"unknown pool", s.DeletePool("us-east-1:0000"), cognito.CodeResourceNotFound},
		{"update unknown pool", func() error { _, err := s.UpdatePool(cognito.Pool{ID: "us-east-1:0000", Name: "x"}); return err }(), cognito.CodeResourceNotFound},
		{"update without name", func() error { _, err := s.UpdatePool(cognito.Pool{ID: ids[0]}); return err }(), cognito.CodeValidation},
		{"identities MaxResults 0", func() error { _, _, err := s.Identities(ids[0], 0, ""); return err }(), cognito.CodeValidation},
		{"unknown identity", func() error { _, err := s.Identity("us-east-1:0000"); return err }(), cognito.CodeResourceNotFound},
		{"malformed pool ID", s.DeletePool("pool"), cognito.CodeValidation},
		{"role key", s.SetRoles(ids[0], map[string]string{"admin": "arn:aws:iam::123456789012:role/R"}, nil), cognito.CodeValidation},
		{"role not an ARN", s.SetRoles(ids[0], map[string]string{"authenticated": "not-a-role-arn-at-all"}, nil), cognito.CodeInvalidParameter},
		{"role mappings", s.SetRoles(ids[0], map[string]string{}, map[string]cognito.RoleMapping{"accounts.example.com": {Type: cognito.MappingToken, AmbiguousRoleResolution: cognito.ResolveDeny}}), cognito.CodeInvalidParameter},
	} {
		if got := code(tc.err); got != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, tc.err, tc.want)
		}
	}
	if err := s.DeletePool(ids[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DescribePool(ids[1]); code(err) != cognito.CodeResourceNotFound {
		t.Errorf("DescribePool after delete: %v", err)
	}
}

// TestBoltStore: pools, roles, identities and the signing key survive
// closing and reopening the state file.
func TestBoltStore(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cognito.db")
	st, err := cognito.OpenBoltStore(path)
	if err != nil {
		t.Fatal(err)
	}
	key, err := certstest.New().Key(2048)
	if err != nil {
		t.Fatal(err)
	}
	k1, err := st.SigningKey(func() (*rsa.PrivateKey, error) { return key, nil })
	if err != nil || !k1.Equal(key) {
		t.Fatalf("SigningKey = %v", err)
	}
	s := newService(t)
	if err := s.Attach(st); err != nil {
		t.Fatal(err)
	}
	a, _ := s.CreatePool(cognito.Pool{Name: "a", AllowUnauthenticated: true})
	b, _ := s.CreatePool(cognito.Pool{Name: "b", AllowUnauthenticated: true})
	c, _ := s.CreatePool(cognito.Pool{Name: "c", OIDCProviderARNs: []string{"arn:aws:iam::123456789012:oidc-provider/op.example"}})
	if err := s.SetRoles(b.ID, map[string]string{"unauthenticated": "arn:aws:iam::123456789012:role/Guest"}, nil); err != nil {
		t.Fatal(err)
	}
	mapping := cognito.RoleMapping{Type: cognito.MappingRules, AmbiguousRoleResolution: cognito.ResolveDeny,
		RulesConfiguration: &cognito.RulesConfiguration{Rules: []cognito.MappingRule{{Claim: "groups", MatchType: cognito.MatchContains,
			Value: "readers", RoleARN: "arn:aws:iam::123456789012:role/Reader"}}}}
	if err := s.SetRoles(c.ID, nil, map[string]cognito.RoleMapping{"op.example": mapping}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetPrincipalTags(c.ID, "op.example", cognito.PrincipalTagMap{Tags: map[string]string{"dept": "department"}}); err != nil {
		t.Fatal(err)
	}
	id, err := s.GetID(t.Context(), b.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePool(a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdatePool(cognito.Pool{ID: c.ID, Name: "c renamed", AllowUnauthenticated: true,
		OIDCProviderARNs: []string{"arn:aws:iam::123456789012:oidc-provider/op.example"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = cognito.OpenBoltStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	k2, err := st.SigningKey(func() (*rsa.PrivateKey, error) { return nil, errors.New("the stored key must be used") })
	if err != nil || !k2.Equal(key) {
		t.Fatalf("SigningKey after reopen = %v", err)
	}
	s2 := newService(t)
	if err := s2.Attach(st); err != nil {
		t.Fatal(err)
	}
	ps, _, err := s2.ListPools(60, "")
	if err != nil || len(ps) != 2 || ps[0].ID != b.ID || ps[1].ID != c.ID || ps[1].Name != "c renamed" || !ps[1].AllowUnauthenticated {
		t.Fatalf("pools after reopen = %v, %v", ps, err)
	}
	if roles, _, err := s2.Roles(b.ID); err != nil || roles["unauthenticated"] != "arn:aws:iam::123456789012:role/Guest" {
		t.Errorf("roles after reopen = %v, %v", roles, err)
	}
	if _, err := s2.OpenIDToken(t.Context(), id, nil); err != nil {
		t.Errorf("OpenIDToken for the stored identity: %v", err)
	}
	if _, mappings, err := s2.Roles(c.ID); err != nil || len(mappings) != 1 || mappings["op.example"].RulesConfiguration == nil ||
		mappings["op.example"].RulesConfiguration.Rules[0] != mapping.RulesConfiguration.Rules[0] || mappings["op.example"].Type != cognito.MappingRules {
		t.Errorf("role mappings after reopen and UpdatePool = %+v, %v", mappings, err)
	}
	if tags, err := s2.PrincipalTags(c.ID, "op.example"); err != nil || tags.UseDefaults || tags.Tags["dept"] != "department" {
		t.Errorf("principal tags after reopen = %+v, %v", tags, err)
	}
}

// FuzzOperations sends arbitrary bodies to every anonymous operation through
// a real router: never a panic or a 500, always JSON with a known error
// type or a result.
func FuzzOperations(f *testing.F) {
	s := newService(f)
	p, err := s.CreatePool(cognito.Pool{Name: "fuzz", AllowUnauthenticated: true,
		OIDCProviderARNs: []string{"arn:aws:iam::123456789012:oidc-provider/127.0.0.1:1/oidc"}})
	if err != nil {
		f.Fatal(err)
	}
	if err := s.SetRoles(p.ID, map[string]string{"unauthenticated": "arn:aws:iam::123456789012:role/Guest"}, nil); err != nil {
		f.Fatal(err)
	}
	id, err := s.GetID(f.Context(), p.ID, nil)
	if err != nil {
		f.Fatal(err)
	}
	rt, err := awsapi.NewRouter(awsapi.RouterConfig{JSONOperations: s.Operations(),
		Credentials: func(context.Context, string, string) (awsapi.Credential, bool) { return awsapi.Credential{}, false }})
	if err != nil {
		f.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	f.Cleanup(srv.Close)
	for i, body := range []string{
		`{"IdentityPoolId":"` + p.ID + `"}`,
		`{"IdentityId":"` + id + `"}`,
		`{"IdentityId":"` + id + `","Logins":{"127.0.0.1:1/oidc":"a.b.c"}}`,
		`{"IdentityPoolId":"` + p.ID + `","Logins":{"127.0.0.1:1/oidc":"eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjEvb2lkYyJ9."}}`,
		`{"IdentityId":"` + id + `","CustomRoleArn":"arn:aws:iam::123456789012:role/X"}`,
		`{"IdentityPoolId":5}`, `[]`, ``,
	} {
		f.Add(uint8(i), []byte(body))
	}
	ops := []string{"GetId", "GetOpenIdToken", "GetCredentialsForIdentity"}
	known := []string{"NotAuthorizedException", "ResourceNotFoundException", "InvalidParameterException", "ValidationException",
		"InvalidIdentityPoolConfigurationException", "ResourceConflictException", "SerializationException"}
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService."+ops[int(op)%len(ops)])
		req.Header.Set("Content-Type", awsapi.JSONContentType)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %q: response is not JSON: %s", ops[int(op)%len(ops)], body, raw)
		}
		if resp.StatusCode == http.StatusOK {
			return
		}
		typ, _ := out["__type"].(string)
		if resp.StatusCode != http.StatusBadRequest || !slices.Contains(known, typ) || out["message"] == "" {
			t.Fatalf("%s %q: %d %s", ops[int(op)%len(ops)], body, resp.StatusCode, raw)
		}
	})
}

// TestConcurrentUse exercises the service from many goroutines (run with
// -race): guests, tokens, roles and listings at once.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s := newService(t)
	p, err := s.CreatePool(cognito.Pool{Name: "busy", AllowUnauthenticated: true})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 40)
	for i := range 40 {
		go func() {
			var err error
			switch i % 4 {
			case 0:
				var id string
				if id, err = s.GetID(t.Context(), p.ID, nil); err == nil {
					_, err = s.OpenIDToken(t.Context(), id, nil)
				}
			case 1:
				_, _, err = s.ListPools(60, "")
			case 2:
				err = s.SetRoles(p.ID, map[string]string{"unauthenticated": "arn:aws:iam::123456789012:role/Guest"}, nil)
			case 3:
				_, err = s.CreatePool(cognito.Pool{Name: fmt.Sprintf("pool %d", i)})
			}
			errs <- err
		}()
	}
	for range 40 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	ps, _, err := s.ListPools(60, "")
	if err != nil || len(ps) != 11 {
		t.Errorf("ListPools = %d pools, %v; want 11", len(ps), err)
	}
}
