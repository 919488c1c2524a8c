package sts_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts"
)

// TestVerifyTokenChecks: each refusal of VerifyToken names its check, with
// the compared times for an expired token, and the same AWS error
// AssumeRoleWithWebIdentity returns.
func TestVerifyTokenChecks(t *testing.T) {
	t.Parallel()
	e := newWIEnv(t, false, nil, nil)
	good := e.sign(t, e.claims(nil))
	v, err := e.wi.VerifyToken(t.Context(), good)
	if err != nil || v.Audience != "app" || v.Provider.ARN != e.prov.ARN || v.Token.Claims.Subject != "user-0001" {
		t.Fatalf("VerifyToken(good) = %+v, %v", v, err)
	}
	tampered := good[:len(good)-4] + "AAAA"
	cases := []struct {
		name  string
		token string
		check sts.TokenCheck
		claim string
	}{
		{"not a JWT", "abc.def", sts.CheckForm, ""},
		{"no iss", e.sign(t, e.claims(map[string]any{"iss": nil})), sts.CheckIssuer, "iss"},
		{"unknown issuer", e.sign(t, e.claims(map[string]any{"iss": "https://other.example"})), sts.CheckIssuer, ""},
		{"no aud", e.sign(t, e.claims(map[string]any{"aud": nil})), sts.CheckAudience, "aud"},
		{"wrong aud", e.sign(t, e.claims(map[string]any{"aud": "other"})), sts.CheckAudience, ""},
		{"no exp", e.sign(t, e.claims(map[string]any{"exp": nil})), sts.CheckExpired, "exp"},
		{"expired", e.sign(t, e.claims(map[string]any{"exp": wiNow.Unix() - 1})), sts.CheckExpired, ""},
		{"future nbf", e.sign(t, e.claims(map[string]any{"nbf": wiNow.Unix() + 3600})), sts.CheckNotYetValid, ""},
		{"tampered", tampered, sts.CheckSignature, ""},
		{"no sub", e.sign(t, e.claims(map[string]any{"sub": nil})), sts.CheckSubject, "sub"},
	}
	for _, tc := range cases {
		_, err := e.wi.VerifyToken(t.Context(), tc.token)
		var te *sts.TokenError
		if !errors.As(err, &te) || te.Check != tc.check || te.Claim != tc.claim {
			t.Errorf("%s: %v (%+v), want check %d claim %q", tc.name, err, te, tc.check, tc.claim)
			continue
		}
		if tc.name == "expired" && (te.Now != wiNow.Unix() || te.Expiry != wiNow.Unix()-1) {
			t.Errorf("expired: Now %d Expiry %d", te.Now, te.Expiry)
		}
		// AssumeRoleWithWebIdentity answers with the same error.
		_, aerr := e.assume(t, "arn:aws:iam::123456789012:role/Any", tc.token)
		if aerr == nil || aerr.Error() != err.Error() {
			t.Errorf("%s: AssumeRoleWithWebIdentity %v, VerifyToken %v", tc.name, aerr, err)
		}
	}
}

// TestBuiltinProvider: a built-in provider's tokens verify against its
// in-process keys with no IAM OIDC provider, the trust policy names it by
// its Name, and any aud reaches the trust policy.
func TestBuiltinProvider(t *testing.T) {
	t.Parallel()
	e := newWIEnv(t, false, nil, nil)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const issuer, name = "https://builtin.example", "builtin.example"
	e.wi.TrustBuiltin(sts.BuiltinProvider{Issuer: issuer, Name: name,
		Keys: func() []jose.JSONWebKey { return []jose.JSONWebKey{{Key: key.Public(), KeyID: "b1", Use: "sig"}} }})
	sign := func(k *ecdsa.PrivateKey, aud string) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, (&jose.SignerOptions{}).WithHeader("kid", "b1"))
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := json.Marshal(map[string]any{"iss": issuer, "sub": "id-1", "aud": aud, "amr": []string{"authenticated"},
			"iat": wiNow.Unix(), "exp": wiNow.Unix() + 900})
		jws, err := s.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := jws.CompactSerialize()
		return out
	}
	r, err := e.acct.CreateRole(iam.CreateRoleInput{Name: "Builtin", AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":"builtin.example"},"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"builtin.example:aud":"pool-1"},"ForAnyValue:StringEquals":{"builtin.example:amr":"authenticated"}}}]}`})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.assume(t, r.ARN, sign(key, "pool-1"))
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity with a built-in provider's token: %v", err)
	}
	if out.Provider != name || out.Audience != "pool-1" || out.SubjectFromWebIdentityToken != "id-1" {
		t.Errorf("result = provider %s audience %s subject %s", out.Provider, out.Audience, out.SubjectFromWebIdentityToken)
	}
	_, err = e.assume(t, r.ARN, sign(key, "pool-2"))
	wantAPIError(t, "other aud", err, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	foreign, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.assume(t, r.ARN, sign(foreign, "pool-1"))
	wantAPIError(t, "foreign key", err, "InvalidIdentityToken", 400, "")
}
