package sts

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/awssaml"
	"github.com/samlab-dev/samlab/internal/xmlsec"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

// RolePair is one value of the Role attribute: a role and the SAML provider
// through which it may be assumed (awssaml.RolePair).
type RolePair = awssaml.RolePair

// Errors of SignIn that are not AWS API errors.
var (
	// ErrNoRoles is wrapped when the response carries no usable Role
	// attribute value.
	ErrNoRoles = errors.New("no valid Role attribute values")
	// ErrRoleNotOffered: the role chosen on the role chooser is not one of
	// the verified assertion's roles.
	ErrRoleNotOffered = errors.New("the chosen role is not one of the response's Role values")
)

// SignInInput is a SAMLResponse posted to the console sign-in endpoint.
type SignInInput struct {
	// SAMLResponse is the base64 samlp:Response.
	SAMLResponse string
	// RoleARN is the role picked on the role chooser; "" on the first POST.
	RoleARN string
}

// SignInOutput is the outcome of SignIn: either the roles to choose from, or
// the assumed role.
type SignInOutput struct {
	// Roles are the verified assertion's roles through the provider that
	// signed it, set when the user must choose (more than one, none chosen).
	Roles []RolePair
	// Assumed is set when a role was assumed.
	Assumed *AssumeRoleWithSAMLOutput
	// Chosen is the role pair AssumeRoleWithSAML ran with (the one role, or
	// the one picked on the chooser). It is also set, beside the error, when
	// a verified response failed a later check for that pair.
	Chosen *RolePair
}

// SignIn is what the console sign-in endpoint does with a posted
// SAMLResponse: it parses and verifies the response once, against the
// provider whose registered entityID its Issuer names, and then either
// returns the verified assertion's roles for the role chooser or, when there
// is one role or one was chosen, runs the rest of AssumeRoleWithSAML on the
// same verified assertion. Errors are *awsapi.Error values, as
// AssumeRoleWithSAML returns, or wrap ErrRoleNotOffered; with an error, the
// output is nil or carries only Chosen.
func (s *Service) SignIn(ctx context.Context, in SignInInput) (*SignInOutput, error) {
	out, err := s.signIn(in)
	if err != nil {
		s.logger.InfoContext(ctx, "console sign-in rejected", "role_arn", in.RoleARN, "error", err)
		return out, err
	}
	if out.Assumed != nil {
		s.logger.InfoContext(ctx, "AssumeRoleWithSAML", "role_arn", out.Assumed.Session.RoleARN,
			"assumed_role_arn", out.Assumed.AssumedRoleUser.ARN, "credentials", out.Assumed.Credentials)
	}
	return out, nil
}

func (s *Service) signIn(in SignInInput) (*SignInOutput, error) {
	now := s.now().UTC()
	requestID := s.newRequestID()
	doc, err := decodeResponse(in.SAMLResponse, requestID)
	if err != nil {
		return nil, err
	}
	candidates, err := s.signInProviders(doc, requestID)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for i, prov := range candidates {
		d := doc
		if i < len(candidates)-1 {
			d = doc.Copy() // the verifier owns what it verifies
		}
		verified, err := s.verifier(prov, now).Verify(d)
		if err != nil {
			lastErr = verifyError(err, requestID)
			continue
		}
		// A failure status is refused before the role chooser is shown.
		if err := s.checkStatus(verified); err != nil {
			return nil, err
		}
		a, err := readAssertion(verified.Assertion)
		if err != nil {
			return nil, invalidToken(fmt.Sprintf(msgNotAResponse, requestID), err)
		}
		var roles []RolePair
		for _, v := range a.Attributes[attrRole] {
			if p, ok := awssaml.ParseRolePair(v); ok && p.ProviderARN == prov.ARN {
				roles = append(roles, p)
			}
		}
		var chosen *RolePair
		switch {
		case in.RoleARN != "":
			for i := range roles {
				if roles[i].RoleARN == in.RoleARN {
					chosen = &roles[i]
				}
			}
			if chosen == nil {
				return nil, fmt.Errorf("%w: %s", ErrRoleNotOffered, in.RoleARN)
			}
		case len(roles) == 0:
			lastErr = &awsapi.Error{Code: awsapi.CodeInvalidIdentityToken, Status: http.StatusBadRequest,
				Message: msgRoleNotInAssertion, Err: ErrNoRoles}
			continue
		case len(roles) == 1:
			chosen = &roles[0] // AWS signs straight in when there is one role.
		default:
			return &SignInOutput{Roles: roles}, nil
		}
		assumeIn := AssumeRoleWithSAMLInput{RoleARN: chosen.RoleARN, PrincipalARN: chosen.ProviderARN,
			SAMLAssertion: in.SAMLResponse, RequestID: requestID}
		if err := s.checkRequest(assumeIn); err != nil {
			return &SignInOutput{Chosen: chosen}, err
		}
		assumed, err := s.assumeVerified(assumeIn, prov, verified, now)
		if err != nil {
			return &SignInOutput{Chosen: chosen}, err
		}
		return &SignInOutput{Assumed: assumed, Chosen: chosen}, nil
	}
	return nil, lastErr
}

// signInProviders returns the providers to verify a console sign-in with:
// those whose registered entityID is the response's (unverified) Issuer, or,
// when there is none, those its (unverified) Role values name, so that the
// error says what AssumeRoleWithSAML would.
func (s *Service) signInProviders(doc *etree.Document, requestID string) ([]*iam.SAMLProvider, error) {
	pairs := unverifiedRolePairs(doc)
	if len(pairs) == 0 && len(childrenNS(doc.Root(), nsAssertion, "EncryptedAssertion")) == 0 {
		// A plaintext response without Role values is refused before any
		// signature check, as the sign-in page always has.
		return nil, &awsapi.Error{Code: awsapi.CodeInvalidIdentityToken, Status: http.StatusBadRequest,
			Message: msgRoleNotInAssertion, Err: ErrNoRoles}
	}
	issuer := xmlsec.UnverifiedIssuer(doc)
	var out []*iam.SAMLProvider
	for _, p := range s.acct.SAMLProviders() {
		if issuer != "" && p.Metadata.EntityID == issuer {
			out = append(out, p)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	seen := map[string]bool{}
	var lastErr error
	for _, pair := range pairs {
		if seen[pair.ProviderARN] {
			continue
		}
		seen[pair.ProviderARN] = true
		p, err := s.acct.SAMLProvider(pair.ProviderARN)
		if err != nil {
			lastErr = invalidToken(fmt.Sprintf(msgProviderNotFound, requestID), err)
			continue
		}
		out = append(out, p)
	}
	switch {
	case len(out) > 0:
		return out, nil
	case lastErr != nil:
		return nil, lastErr
	}
	return nil, &awsapi.Error{Code: awsapi.CodeInvalidIdentityToken, Status: http.StatusBadRequest,
		Message: msgRoleNotInAssertion, Err: ErrNoRoles}
}

// unverifiedRolePairs reads Role values from the unverified document; the
// result only selects which providers' certificates to try.
func unverifiedRolePairs(doc *etree.Document) []RolePair {
	var out []RolePair
	root := doc.Root()
	for _, a := range childrenNS(root, nsAssertion, "Assertion") {
		for _, st := range childrenNS(a, nsAssertion, "AttributeStatement") {
			for _, at := range childrenNS(st, nsAssertion, "Attribute") {
				if attrValue(at, "Name") != attrRole {
					continue
				}
				for _, v := range childrenNS(at, nsAssertion, "AttributeValue") {
					if p, ok := awssaml.ParseRolePair(text(v)); ok {
						out = append(out, p)
					}
				}
			}
		}
	}
	return out
}
