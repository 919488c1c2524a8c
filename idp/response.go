package idp

import (
	"crypto"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/samlab-dev/samlab/certs"
)

// Signature and digest algorithm identifiers (XML Signature §6).
const (
	SignatureRSASHA256 = dsig.RSASHA256SignatureMethod
	SignatureRSASHA1   = dsig.RSASHA1SignatureMethod
	DigestSHA256       = "http://www.w3.org/2001/04/xmlenc#sha256"
	DigestSHA1         = "http://www.w3.org/2000/09/xmldsig#sha1"
)

// SigningOptions choose what is signed and how.
type SigningOptions struct {
	// SignAssertion signs the Assertion (default true unless SignResponse is
	// set explicitly and SignAssertion is not).
	SignAssertion *bool `yaml:"sign_assertion"`
	// SignResponse signs the Response element (default false).
	SignResponse *bool `yaml:"sign_response"`
	// SignatureMethod is SignatureRSASHA256 (default) or SignatureRSASHA1.
	SignatureMethod string `yaml:"signature_method"`
	// DigestMethod is DigestSHA256 (default) or DigestSHA1.
	DigestMethod string `yaml:"digest_method"`
}

func (o SigningOptions) withDefaults() SigningOptions {
	t, f := true, false
	if o.SignAssertion == nil && o.SignResponse == nil {
		o.SignAssertion, o.SignResponse = &t, &f
	}
	if o.SignAssertion == nil {
		o.SignAssertion = &f
	}
	if o.SignResponse == nil {
		o.SignResponse = &f
	}
	if o.SignatureMethod == "" {
		o.SignatureMethod = SignatureRSASHA256
	}
	if o.DigestMethod == "" {
		o.DigestMethod = DigestSHA256
	}
	return o
}

// Role is one AWS role the user may assume through a SAML provider.
type Role struct {
	RoleARN     string `yaml:"role_arn"`
	ProviderARN string `yaml:"provider_arn"`
}

// Value returns the Role attribute value "role-arn,provider-arn".
func (r Role) Value() string { return r.RoleARN + "," + r.ProviderARN }

// User is the subject of an assertion.
type User struct {
	// Name is the NameID value and the default RoleSessionName.
	Name string `yaml:"name"`
	// Email is used as the NameID when NameIDFormat is the email format.
	Email string `yaml:"email"`
	// Roles become values of the Role attribute.
	Roles []Role `yaml:"roles"`
	// SessionDuration, when non-zero, is sent as the SessionDuration attribute
	// (seconds).
	SessionDuration int `yaml:"session_duration"`
	// PrincipalTags become PrincipalTag:<key> attributes.
	PrincipalTags map[string]string `yaml:"principal_tags"`
	// TransitiveTagKeys becomes the TransitiveTagKeys attribute.
	TransitiveTagKeys []string `yaml:"transitive_tag_keys"`
	// SourceIdentity becomes the SourceIdentity attribute when non-empty.
	SourceIdentity string `yaml:"source_identity"`
}

// ResponseOptions adjust one response. Zero values take defaults.
type ResponseOptions struct {
	// Recipient is SubjectConfirmationData/@Recipient and the Response
	// Destination (default AWSSignInURL).
	Recipient string
	// Audience is the AudienceRestriction value (default AWSAudience).
	Audience string
	// InResponseTo links the response to an AuthnRequest (SP-initiated SSO).
	InResponseTo string
	// RoleSessionName overrides the user's name as RoleSessionName.
	RoleSessionName string
	// NameIDFormat is the NameID Format (default persistent).
	NameIDFormat string
	// Lifetime is how long the assertion is valid (default 5 minutes).
	Lifetime time.Duration
	// Signing overrides the IdP's signing configuration when non-nil.
	Signing *SigningOptions
	// Key signs instead of the current key when non-nil (for faults such as a
	// stale or foreign key).
	Key *certs.KeyPair
	// EditAssertion, when non-nil, is called with the Assertion element before
	// it is signed: a way to build validly signed but deliberately wrong
	// responses (wrong audience, missing attributes, …).
	EditAssertion func(assertion *etree.Element)
	// EditResponse, when non-nil, is called with the Response element (the
	// signed Assertion already inside) before the Response is signed.
	EditResponse func(response *etree.Element)
}

// Response is a built SAML Response.
type Response struct {
	// XML is the serialized samlp:Response.
	XML []byte
	// AssertionID and ResponseID are the elements' ID attributes.
	AssertionID, ResponseID string
}

// Base64 returns the response as the SAMLResponse form value and the
// SAMLAssertion parameter of AssumeRoleWithSAML.
func (r *Response) Base64() string { return base64.StdEncoding.EncodeToString(r.XML) }

// AWSResponse builds and signs a SAML Response for AWS carrying u's roles.
func (s *Server) AWSResponse(u User, opts ResponseOptions) (*Response, error) {
	doc, resp, err := s.ResponseDocument(u, opts)
	if err != nil {
		return nil, err
	}
	out, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("idp: serialize response: %w", err)
	}
	resp.XML = out
	return resp, nil
}

// ResponseDocument builds and signs the response like AWSResponse but returns
// the etree document, for callers (fault injection) that edit it after signing.
func (s *Server) ResponseDocument(u User, opts ResponseOptions) (*etree.Document, *Response, error) {
	if u.Name == "" {
		return nil, nil, errors.New("idp: user has no name")
	}
	if opts.Recipient == "" {
		opts.Recipient = AWSSignInURL
	}
	if opts.Audience == "" {
		opts.Audience = AWSAudience
	}
	if opts.Lifetime == 0 {
		opts.Lifetime = defaultAssertionLifetime
	}
	if opts.NameIDFormat == "" {
		opts.NameIDFormat = NameIDFormatPersistent
	}
	sessionName := opts.RoleSessionName
	if sessionName == "" {
		sessionName = u.Name
	}
	signing := s.cfg.Signing
	if opts.Signing != nil {
		signing = opts.Signing.withDefaults()
	}
	key := opts.Key
	if key == nil {
		key = s.SigningKey()
	}

	now := s.now().UTC()
	assertionID, err := newID(s.rand)
	if err != nil {
		return nil, nil, err
	}
	responseID, err := newID(s.rand)
	if err != nil {
		return nil, nil, err
	}
	nameID := u.Name
	if opts.NameIDFormat == NameIDFormatEmail && u.Email != "" {
		nameID = u.Email
	}
	notOnOrAfter := now.Add(opts.Lifetime)
	a := &saml.Assertion{
		ID:           assertionID,
		IssueInstant: now,
		Version:      "2.0",
		Issuer:       saml.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: s.cfg.EntityID},
		Subject: &saml.Subject{
			NameID: &saml.NameID{Format: opts.NameIDFormat, Value: nameID},
			SubjectConfirmations: []saml.SubjectConfirmation{{
				Method: "urn:oasis:names:tc:SAML:2.0:cm:bearer",
				SubjectConfirmationData: &saml.SubjectConfirmationData{
					InResponseTo: opts.InResponseTo,
					NotOnOrAfter: notOnOrAfter,
					Recipient:    opts.Recipient,
				},
			}},
		},
		Conditions: &saml.Conditions{
			NotBefore:    now,
			NotOnOrAfter: notOnOrAfter,
			AudienceRestrictions: []saml.AudienceRestriction{{
				Audience: saml.Audience{Value: opts.Audience},
			}},
		},
		AuthnStatements: []saml.AuthnStatement{{
			AuthnInstant: now,
			SessionIndex: assertionID,
			AuthnContext: saml.AuthnContext{AuthnContextClassRef: &saml.AuthnContextClassRef{
				Value: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
			}},
		}},
		AttributeStatements: []saml.AttributeStatement{{Attributes: awsAttributes(u, sessionName)}},
	}
	assertionEl := a.Element()
	if opts.EditAssertion != nil {
		opts.EditAssertion(assertionEl)
	}
	if *signing.SignAssertion {
		if err := signElement(assertionEl, key, signing); err != nil {
			return nil, nil, fmt.Errorf("idp: sign assertion: %w", err)
		}
	}

	r := &saml.Response{
		ID:           responseID,
		InResponseTo: opts.InResponseTo,
		Version:      "2.0",
		IssueInstant: now,
		Destination:  opts.Recipient,
		Issuer:       &saml.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: s.cfg.EntityID},
		Status:       saml.Status{StatusCode: saml.StatusCode{Value: saml.StatusSuccess}},
	}
	responseEl := r.Element()
	responseEl.AddChild(assertionEl)
	if opts.EditResponse != nil {
		opts.EditResponse(responseEl)
	}
	if *signing.SignResponse {
		if err := signElement(responseEl, key, signing); err != nil {
			return nil, nil, fmt.Errorf("idp: sign response: %w", err)
		}
	}
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.SetRoot(responseEl)
	return doc, &Response{AssertionID: assertionID, ResponseID: responseID}, nil
}

func awsAttributes(u User, sessionName string) []saml.Attribute {
	str := func(v string) saml.AttributeValue { return saml.AttributeValue{Type: "xs:string", Value: v} }
	attr := func(name string, vals ...string) saml.Attribute {
		a := saml.Attribute{Name: name, NameFormat: AttrNameFormatURI}
		for _, v := range vals {
			a.Values = append(a.Values, str(v))
		}
		return a
	}
	var roles []string
	for _, r := range u.Roles {
		roles = append(roles, r.Value())
	}
	out := []saml.Attribute{attr(AttrRole, roles...), attr(AttrRoleSessionName, sessionName)}
	if u.SessionDuration != 0 {
		out = append(out, attr(AttrSessionDuration, strconv.Itoa(u.SessionDuration)))
	}
	for _, k := range sortedKeys(u.PrincipalTags) {
		out = append(out, attr(AttrPrincipalTagPrefix+k, u.PrincipalTags[k]))
	}
	if len(u.TransitiveTagKeys) > 0 {
		out = append(out, attr(AttrTransitiveTagKeys, u.TransitiveTagKeys...))
	}
	if u.SourceIdentity != "" {
		out = append(out, attr(AttrSourceIdentity, u.SourceIdentity))
	}
	return out
}

// signElement adds an enveloped XML signature to el, placed right after its
// Issuer child as the SAML schema requires (SAML Core §2.3.3, §3.2.2).
func signElement(el *etree.Element, kp *certs.KeyPair, o SigningOptions) error {
	ctx, err := dsig.NewSigningContext(kp.Key, [][]byte{kp.Cert.Raw})
	if err != nil {
		return err
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(o.SignatureMethod); err != nil {
		return err
	}
	// goxmldsig uses one hash for the digest and the signature.
	want := map[string]crypto.Hash{DigestSHA256: crypto.SHA256, DigestSHA1: crypto.SHA1}[o.DigestMethod]
	if want != ctx.Hash {
		return fmt.Errorf("digest method %q with signature method %q is not supported", o.DigestMethod, o.SignatureMethod)
	}
	sig, err := ctx.ConstructSignature(el, true)
	if err != nil {
		return err
	}
	pos := 0
	for _, c := range el.ChildElements() {
		if c.Tag == "Issuer" {
			pos = c.Index() + 1
			break
		}
	}
	el.InsertChildAt(pos, sig)
	return nil
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func newID(r io.Reader) (string, error) {
	b := make([]byte, 20)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("idp: random id: %w", err)
	}
	return "_" + hex.EncodeToString(b), nil
}
