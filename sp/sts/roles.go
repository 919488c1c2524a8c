package sts

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// RolePair is one value of the Role attribute: a role and the SAML provider
// through which it may be assumed.
type RolePair struct {
	RoleARN     string
	ProviderARN string
}

// ErrNoRoles is wrapped by SignInRoles when the response carries no usable
// Role attribute value.
var ErrNoRoles = errors.New("no valid Role attribute values")

// SignInRoles is what the console sign-in endpoint does before it shows the
// role chooser: it reads the Role attribute pairs of a base64 SAMLResponse,
// but only from an assertion whose signature verifies against the registered
// metadata of the provider the pairs name. Pairs naming other providers are
// dropped. Errors are *awsapi.Error values, as AssumeRoleWithSAML returns.
func (s *Service) SignInRoles(_ context.Context, samlResponse string) ([]RolePair, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(samlResponse))
	if err != nil {
		return nil, invalidToken(fmt.Sprintf(msgInvalidBase64, s.newRequestID()), err)
	}
	doc, err := parseXML(raw)
	if err != nil {
		return nil, invalidToken(fmt.Sprintf(msgNotAResponse, s.newRequestID()), err)
	}
	// The unverified pairs only say which providers to try.
	var providers []string
	seen := map[string]bool{}
	for _, p := range unverifiedRolePairs(doc) {
		if !seen[p.ProviderARN] {
			seen[p.ProviderARN] = true
			providers = append(providers, p.ProviderARN)
		}
	}
	if len(providers) == 0 {
		return nil, &awsapi.Error{Code: awsapi.CodeInvalidIdentityToken, Status: http.StatusBadRequest,
			Message: msgRoleNotInAssertion, Err: ErrNoRoles}
	}
	var lastErr error
	for _, arn := range providers {
		prov, err := s.acct.SAMLProvider(arn)
		if err != nil {
			lastErr = invalidToken(fmt.Sprintf(msgProviderNotFound, s.newRequestID()), err)
			continue
		}
		el, err := verifiedAssertion(doc, prov.Metadata.SigningCerts, s.now().UTC(), s.behavior)
		if err != nil {
			lastErr = invalidToken(msgSignatureInvalid, err)
			continue
		}
		a, err := readAssertion(el)
		if err != nil {
			lastErr = invalidToken(fmt.Sprintf(msgNotAResponse, s.newRequestID()), err)
			continue
		}
		var out []RolePair
		for _, v := range a.Attributes[attrRole] {
			if p, ok := splitRolePair(v); ok && p.ProviderARN == arn {
				out = append(out, p)
			}
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	if lastErr == nil {
		lastErr = &awsapi.Error{Code: awsapi.CodeInvalidIdentityToken, Status: http.StatusBadRequest,
			Message: msgRoleNotInAssertion, Err: ErrNoRoles}
	}
	return nil, lastErr
}

// unverifiedRolePairs reads Role values from the unverified document; the
// result only selects which providers' certificates to try.
func unverifiedRolePairs(doc *etree.Document) []RolePair {
	var out []RolePair
	root := doc.Root()
	for _, a := range childrenNS(root, nsAssertion, "Assertion") {
		for _, st := range childrenNS(a, nsAssertion, "AttributeStatement") {
			for _, at := range childrenNS(st, nsAssertion, "Attribute") {
				if at.SelectAttrValue("Name", "") != attrRole {
					continue
				}
				for _, v := range childrenNS(at, nsAssertion, "AttributeValue") {
					if p, ok := splitRolePair(text(v)); ok {
						out = append(out, p)
					}
				}
			}
		}
	}
	return out
}

// splitRolePair splits "role-arn,provider-arn" in either order (Okta's AWS
// app puts the provider first).
func splitRolePair(v string) (RolePair, bool) {
	parts := strings.Split(v, ",")
	if len(parts) != 2 {
		return RolePair{}, false
	}
	a, b := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
	switch {
	case strings.Contains(a, ":role/") && strings.Contains(b, ":saml-provider/"):
		return RolePair{RoleARN: a, ProviderARN: b}, true
	case strings.Contains(b, ":role/") && strings.Contains(a, ":saml-provider/"):
		return RolePair{RoleARN: b, ProviderARN: a}, true
	}
	return RolePair{}, false
}
