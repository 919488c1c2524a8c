// Package oidc is an OpenID Connect provider beside the SAML IdP (package
// idp), for the same users: the web-identity half of federation, whose ID
// tokens a relying party, or AWS's AssumeRoleWithWebIdentity, verifies
// against the provider's published keys.
//
// # Endpoints
//
// Provider is an http.Handler serving, relative to its issuer URL:
// /.well-known/openid-configuration (discovery), /jwks (the published keys),
// /authorize (the authorization-code flow, PKCE with S256 required),
// /token (the authorization_code grant, and the password grant for scripts)
// and /userinfo. Errors follow OAuth 2.0: JSON bodies from the token
// endpoint, error redirects to registered redirect URIs, and a plain page
// for a bad client_id or redirect_uri. Token responses are never cached.
//
// The browser flow shares the SAML IdP's login: mounted at MountPath under
// the IdP's root, the provider reads the IdP's session (Sessions, which
// *idp.Server implements) and sends a browser without one to the IdP's
// login page, which brings it back.
//
// # Tokens
//
// ID tokens carry sub (the user name), email, groups, the session-tags claim
// AWS reads (AWSTagsClaim, from principal_tags and transitive_tag_keys) and
// the user's attributes as custom claims (UserClaims). Faults (expired,
// wrong audience or issuer, a foreign, retired or unknown key, tampering,
// alg "none", HS256 with the public key) reproduce what a verifier must
// refuse.
//
// # Keys
//
// A Keyring holds the current signing key, a next key published in the JWKS
// ahead of a switch (StageRollover) and retired keys (Rotate), as the SAML
// keyring does. Key IDs are RFC 7638 thumbprints. RS256 is the default;
// RS384/512, PS256/384/512, ES256/384/512 and EdDSA are selectable. Keyrings
// round-trip through a directory of PKCS#8 PEM files, the SAML IdP's key
// directory included.
//
// go-jose signs and parses tokens; go-oidc, an independent client, verifies
// them in the tests.
package oidc
