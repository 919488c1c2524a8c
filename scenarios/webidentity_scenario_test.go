package scenarios_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/scenarios"
)

// wiHead is a scenario head with the lab's OpenID Connect provider
// registered in IAM and a role WebApp.
const wiHead = "version: 2\nname: x\nsetup:\n  oidc:\n    provider: {client_ids: [sts.amazonaws.com]}\n  roles:\n    WebApp: {}\n  identity_pools:\n    app: {}\nsteps:\n"

// TestParseWebIdentityProblems: every field the web identity steps and
// setup add is checked when the file is loaded, located at file:line:col
// and named by its path.
func TestParseWebIdentityProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		file  string
		wants []string
	}{
		{"step without setup.oidc", "version: 2\nname: x\nsteps:\n  - action: rotate-oidc-key\n",
			[]string{"t.yaml:4:13: steps[0].action: rotate-oidc-key needs the lab's OpenID Connect provider: add setup.oidc"}},
		{"variable without setup.oidc", "version: 2\nname: x\nsteps:\n  - action: update-trust\n    role: SAMLAdmin\n    trust: {Principal: \"${oidc_provider}\"}\n",
			[]string{"t.yaml:6:12: steps[0].trust: ${oidc_provider} names the lab's OpenID Connect provider: add setup.oidc"}},
		{"unknown token fault", wiHead + "  - action: web-identity-login\n    role: WebApp\n    token_fault: gremlins\n",
			[]string{"t.yaml:13:18: steps[0].token_fault: unknown fault \"gremlins\"", "stale-key"}},
		{"token fault on a SAML login", wiHead + "  - action: login\n    token_fault: expired\n",
			[]string{"t.yaml:12:5: steps[0].token_fault: does not apply to login"}},
		{"web identity login without a role", wiHead + "  - action: web-identity-login\n",
			[]string{"t.yaml:11:5: steps[0]: web-identity-login needs role or role_arn"}},
		{"unknown role", wiHead + "  - action: web-identity-login\n    role: Nope\n",
			[]string{"t.yaml:12:11: steps[0].role: unknown role \"Nope\""}},
		{"token never saved", wiHead + "  - action: web-identity-login\n    role: WebApp\n    token: t1\n  - action: web-identity-login\n    role: WebApp\n    save_token: t1\n",
			[]string{"t.yaml:13:12: steps[0].token: no earlier web-identity-login kept a token as \"t1\""}},
		{"saved token with a user", wiHead + "  - action: web-identity-login\n    role: WebApp\n    save_token: t1\n  - action: web-identity-login\n    role: WebApp\n    token: t1\n    user: bob\n",
			[]string{"t.yaml:17:11: steps[1].user: the saved token \"t1\" is sent as it is: user does not apply"}},
		{"bad client ID", wiHead + "  - action: add-client-id\n    client_id: \" app\"\n",
			[]string{"t.yaml:12:16: steps[0].client_id: client ID \" app\": 1 to 255 characters"}},
		{"add-client-id needs one", wiHead + "  - action: add-client-id\n",
			[]string{"steps[0]: add-client-id needs client_id"}},
		{"setup client IDs", "version: 2\nname: x\nsetup:\n  oidc:\n    provider: {client_ids: [ok, \"\"]}\nsteps:\n  - action: rotate-oidc-key\n",
			[]string{"t.yaml:5:33: setup.oidc.provider.client_ids[1]: client ID \"\""}},
		{"unknown algorithm", "version: 2\nname: x\nsetup:\n  oidc: {algorithm: HS256}\nsteps:\n  - action: rotate-oidc-key\n",
			[]string{"t.yaml:4:21: setup.oidc.algorithm:", "HS256"}},
		{"unknown oidc field", "version: 2\nname: x\nsetup:\n  oidc: {thumbprints: [x]}\nsteps:\n  - action: rotate-oidc-key\n",
			[]string{"t.yaml:4:10: setup.oidc.thumbprints: unknown field"}},
		{"unknown web identity switch", "version: 2\nname: x\nsetup:\n  oidc: {}\n  web_identity:\n    refetch: false\nsteps:\n  - action: rotate-oidc-key\n",
			[]string{"t.yaml:6:14: setup.web_identity.refetch: unknown WebIdentityBehavior switch \"refetch\"", "refetch_on_unknown_key"}},
		{"bad web identity value", "version: 2\nname: x\nsetup:\n  oidc: {}\n  web_identity:\n    jwks_cache_ttl: soon\nsteps:\n  - action: rotate-oidc-key\n",
			[]string{"setup.web_identity.jwks_cache_ttl: jwks_cache_ttl wants a duration"}},
		{"web identity switch not settable", "version: 2\nname: x\nsetup:\n  oidc: {}\n  web_identity:\n    trusted_roots: x\nsteps:\n  - action: rotate-oidc-key\n",
			[]string{"setup.web_identity.trusted_roots: trusted_roots cannot be set from a scenario"}},
		{"pools without a provider", "version: 2\nname: x\nsetup:\n  oidc: {}\n  identity_pools:\n    app: {}\nsteps:\n  - action: rotate-oidc-key\n",
			[]string{"setup.identity_pools: identity pools log users in through the lab's IAM OIDC provider"}},
		{"pool with unknown role", wiHead[:len(wiHead)-len("    app: {}\nsteps:\n")] + "    app: {authenticated_role: Nope}\nsteps:\n  - action: rotate-oidc-key\n",
			[]string{"setup.identity_pools.app.authenticated_role: unknown role \"Nope\""}},
		{"unknown pool", wiHead + "  - action: cognito-login\n    pool: other\n",
			[]string{"t.yaml:12:11: steps[0].pool: unknown identity pool \"other\" (known: app)"}},
		{"unknown pool variable", wiHead + "  - action: update-trust\n    role: WebApp\n    trust: {Condition: \"${pool:other}\"}\n",
			[]string{"steps[0].trust: ${pool:other}: unknown identity pool"}},
		{"guest with a token fault", wiHead + "  - action: cognito-login\n    pool: app\n    token_fault: expired\n",
			[]string{"steps[0]: a guest (no user) sends no token"}},
		{"custom role unknown", wiHead + "  - action: cognito-login\n    pool: app\n    user: alice\n    custom_role: Nope\n",
			[]string{"steps[0].custom_role: unknown role \"Nope\""}},
		{"custom role on another action", wiHead + "  - action: web-identity-login\n    role: WebApp\n    custom_role: WebApp\n",
			[]string{"steps[0].custom_role: does not apply to web-identity-login"}},
		{"role mapping with bad enums and roles", wiHead + "  - action: set-identity-pool-roles\n    pool: app\n    role_mapping:\n      type: Groups\n      ambiguous_role_resolution: Allow\n      rules: [{claim: dept, match_type: Like, value: x, role: Nope}]\n",
			[]string{"steps[0].role_mapping.type: is \"Groups\"; want Rules or Token", "steps[0].role_mapping.ambiguous_role_resolution: is \"Allow\"",
				"steps[0].role_mapping.rules[0].match_type: is \"Like\"", "steps[0].role_mapping.rules[0].role: unknown role \"Nope\""}},
		{"Rules mapping without rules", wiHead[:len(wiHead)-len("    app: {}\nsteps:\n")] + "    app: {role_mapping: {type: Rules, ambiguous_role_resolution: Deny}}\nsteps:\n  - action: rotate-oidc-key\n",
			[]string{"setup.identity_pools.app.role_mapping.rules: a Rules mapping needs at least one rule"}},
		{"principal tags need one form", wiHead[:len(wiHead)-len("    app: {}\nsteps:\n")] + "    app: {principal_tags: {use_defaults: true, tags: {a: b}}}\nsteps:\n  - action: rotate-oidc-key\n",
			[]string{"setup.identity_pools.app.principal_tags: give either use_defaults: true or tags"}},
		{"update-identity-pool needs the flag", wiHead + "  - action: update-identity-pool\n    pool: app\n",
			[]string{"steps[0]: update-identity-pool needs allow_unauthenticated"}},
		{"flag is a boolean", wiHead + "  - action: update-identity-pool\n    pool: app\n    allow_unauthenticated: sometimes\n",
			[]string{"t.yaml:13:28: steps[0].allow_unauthenticated: want true or false"}},
		{"bad thumbprint", wiHead + "  - action: update-oidc-thumbprint\n    thumbprints: [abc]\n",
			[]string{"t.yaml:12:19: steps[0].thumbprints[0]: thumbprint \"abc\" is not 40 hexadecimal digits"}},
		{"setup thumbprint", "version: 2\nname: x\nsetup:\n  oidc:\n    provider: {thumbprints: [xyz]}\nsteps:\n  - action: rotate-oidc-key\n",
			[]string{"setup.oidc.provider.thumbprints[0]: thumbprint \"xyz\""}},
		{"TLS rotation on an http issuer", wiHead + "  - action: rotate-oidc-tls-cert\n",
			[]string{"t.yaml:11:13: steps[0].action: the issuer is served over http: rotate-oidc-tls-cert needs setup.oidc.tls: true"}},
		{"negative token lifetime", "version: 2\nname: x\nsetup:\n  oidc: {token_lifetime: -1h}\nsteps:\n  - action: rotate-oidc-key\n",
			[]string{"t.yaml:4:26: setup.oidc.token_lifetime: want a duration"}},
		{"subject on a SAML login", wiHead + "  - action: login\n    expect: {subject: alice}\n",
			[]string{"steps[0].expect: subject and provider apply only to web-identity-login and cognito-login"}},
		{"provider variable without setup.oidc", "version: 2\nname: x\nsteps:\n  - action: login\n    expect: {provider: \"${oidc_provider}\"}\n",
			[]string{"steps[0].expect.provider: ${oidc_provider} names the lab's OpenID Connect provider"}},
		{"session properties on an IAM step", wiHead + "  - action: add-client-id\n    client_id: a\n    expect: {assumed_role_arn: \"arn:aws:sts::${account}:assumed-role/WebApp/alice\"}\n",
			[]string{"steps[0].expect: session properties (assumed_role_arn, ...) apply only to"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := scenarios.Parse("t.yaml", []byte(tt.file))
			if err == nil {
				t.Fatalf("Parse succeeded, want an error mentioning %q", tt.wants)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Parse error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestValidateWebIdentityInGo: a scenario built in Go gets the same checks.
func TestValidateWebIdentityInGo(t *testing.T) {
	t.Parallel()
	sc := &scenarios.Scenario{Version: 2, Name: "x", Steps: []scenarios.Step{{Action: scenarios.ActionWebIdentityLogin, Role: "SAMLAdmin", Snapshot: "old"}}}
	err := sc.Validate()
	var fe *scenarios.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("Validate = %v, want a *FileError", err)
	}
	for _, w := range []string{"steps[0].action: web-identity-login needs the lab's OpenID Connect provider", "steps[0].snapshot: does not apply to web-identity-login"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Validate error %q does not mention %q", err, w)
		}
	}
	sc.Setup.OIDC = &scenarios.OIDCSetup{}
	sc.Steps[0].Snapshot = ""
	if err := sc.Validate(); err != nil {
		t.Errorf("Validate with setup.oidc = %v, want nil", err)
	}
}

// TestLabOIDCServesOnLoopbackUntilClosed: the lab's issuer answers discovery
// on loopback (where STS fetches it), answers 503 while blocked, and stops
// with Close; web identity operations before StartOIDC fail with ErrNoOIDC.
func TestLabOIDCServesOnLoopbackUntilClosed(t *testing.T) {
	t.Parallel()
	lab, err := scenarios.NewLab(labConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.RotateOIDCKey(); !errors.Is(err, scenarios.ErrNoOIDC) {
		t.Errorf("RotateOIDCKey before StartOIDC = %v, want ErrNoOIDC", err)
	}
	if _, err := lab.StartOIDC(scenarios.OIDCSetup{}); err != nil {
		t.Fatal(err)
	}
	iss := lab.OIDCIssuer()
	if !strings.HasPrefix(iss, "http://127.0.0.1:") {
		t.Fatalf("OIDCIssuer = %q, want http://127.0.0.1:PORT", iss)
	}
	get := func() (int, error) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, iss+"/.well-known/openid-configuration", nil)
		if err != nil {
			return 0, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		return resp.StatusCode, nil
	}
	if code, err := get(); err != nil || code != http.StatusOK {
		t.Fatalf("discovery = %d, %v; want 200", code, err)
	}
	if err := lab.SetOIDCBlocked(true); err != nil {
		t.Fatal(err)
	}
	if code, err := get(); err != nil || code != http.StatusServiceUnavailable {
		t.Errorf("discovery while blocked = %d, %v; want 503", code, err)
	}
	if err := lab.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := get(); err == nil {
		t.Errorf("discovery after Close answered, want a connection error")
	}
}

// TestLabWebIdentityAPI drives the web identity Lab methods without a
// scenario file: provider, client IDs, login, pools.
func TestLabWebIdentityAPI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lab, err := scenarios.NewLabFor(ctx, labConfig(), scenarios.Setup{OIDC: &scenarios.OIDCSetup{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lab.Close() })
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"${oidc_provider}"},
		"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"${oidc_host}:sub":"alice"}}}]}`
	if err := lab.CreateRole(scenarios.RoleInput{Name: "Web", Trust: trust}); err != nil {
		t.Fatal(err)
	}
	if err := lab.CreateOIDCProvider(ctx, []string{"app"}, nil); err != nil {
		t.Fatal(err)
	}
	login := func(aud string) error {
		_, _, err := lab.WebIdentityLogin(ctx, scenarios.WebIdentityLoginInput{User: "alice", RoleARN: lab.Expand("${role:Web}"), Audience: aud})
		return err
	}
	if err := login("app"); err != nil {
		t.Fatalf("login for app: %v", err)
	}
	if err := login("other"); scenarios.OutcomeOf(err).Code != "InvalidIdentityToken" {
		t.Errorf("login for other = %v, want InvalidIdentityToken", err)
	}
	if err := lab.AddClientID("other"); err != nil {
		t.Fatal(err)
	}
	if err := login("other"); err != nil {
		t.Errorf("login for other after AddClientID: %v", err)
	}
	id, err := lab.CallerIdentity(ctx)
	if err != nil || id.ARN != "arn:aws:sts::123456789012:assumed-role/Web/alice" {
		t.Errorf("CallerIdentity = %+v, %v", id, err)
	}
	if err := lab.CreateIdentityPool("app", scenarios.IdentityPoolSetup{AllowUnauthenticated: true}); err != nil {
		t.Fatal(err)
	}
	if id := lab.IdentityPoolID("app"); !strings.HasPrefix(id, "us-east-1:") {
		t.Errorf("IdentityPoolID = %q, want a pool ID", id)
	}
	_, err = lab.CognitoLogin(ctx, scenarios.CognitoLoginInput{Pool: "app"})
	if o := scenarios.OutcomeOf(err); o.Code != "InvalidIdentityPoolConfigurationException" {
		t.Errorf("guest without an unauthenticated role = %v, want InvalidIdentityPoolConfigurationException", err)
	}
	if err := lab.DeleteOIDCProvider(); err != nil {
		t.Fatal(err)
	}
	if err := login("app"); !strings.Contains(scenarios.OutcomeOf(err).Message, "No OpenIDConnect provider found") {
		t.Errorf("login after DeleteOIDCProvider = %v", err)
	}
}
