package idp

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"github.com/samlab-dev/samlab/certs"
)

// Role is one AWS role the user may assume through a SAML provider.
type Role struct {
	RoleARN     string `yaml:"role_arn"`
	ProviderARN string `yaml:"provider_arn"`
}

// Value returns the Role attribute value "role-arn,provider-arn"; with no
// ProviderARN, RoleARN alone (a value sent as it is, such as a malformed
// one a lab reproduces).
func (r Role) Value() string {
	if r.ProviderARN == "" {
		return r.RoleARN
	}
	return r.RoleARN + "," + r.ProviderARN
}

// User is the subject of an assertion: a user of the Directory with its
// groups' mappings merged in, or one built by hand.
type User struct {
	// Name is the NameID value (persistent, transient and unspecified
	// formats) and the default RoleSessionName.
	Name string `yaml:"name"`
	// Email is the NameID for the emailAddress format and the mail attribute
	// for generic SPs.
	Email string `yaml:"email"`
	// Groups are sent to generic SPs as the "groups" attribute.
	Groups []string `yaml:"groups"`
	// Attributes are sent as they are, one Attribute per key (use full URIs
	// such as urn:oid:… for AWS condition keys).
	Attributes map[string][]string `yaml:"attributes"`
	// Roles become values of the Role attribute.
	Roles []Role `yaml:"roles"`
	// RoleSessionName overrides Name as the RoleSessionName attribute.
	RoleSessionName string `yaml:"role_session_name"`
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
	// Destination (default AWSSignInURL for AWS responses, the SP's ACS for
	// others).
	Recipient string
	// Audience is the AudienceRestriction value (default AWSAudience for AWS
	// responses, the SP's entityID for others).
	Audience string
	// InResponseTo links the response to an AuthnRequest (SP-initiated SSO).
	InResponseTo string
	// RoleSessionName overrides the user's RoleSessionName.
	RoleSessionName string
	// Roles, when non-nil, replaces the user's roles in the Role attribute
	// (for example to send only the role a user chose).
	Roles []Role
	// NameIDFormat is the NameID Format (default persistent).
	NameIDFormat string
	// Lifetime is how long the assertion is valid (default 5 minutes).
	Lifetime time.Duration
	// SessionLifetime, when non-zero, sets AuthnStatement/@SessionNotOnOrAfter
	// to now plus it: AWS ends console sessions and credentials no later
	// than that (IAM UG, SessionDuration and SessionNotOnOrAfter).
	SessionLifetime time.Duration
	// Now, when non-zero, replaces the IdP clock for this response.
	Now time.Time
	// Signing overrides the IdP's signing configuration when non-nil.
	Signing *SigningOptions
	// Key signs instead of the current key when non-nil (for faults such as a
	// stale or foreign key).
	Key *certs.KeyPair
	// Encryption, when non-nil, encrypts the (signed) Assertion into an
	// EncryptedAssertion for its Cert.
	Encryption *EncryptionOptions
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

// AWSResponse builds and signs a SAML Response for AWS carrying u's roles and
// AWS's attributes (IAM UG "Configure SAML assertions for the authentication
// response").
func (s *Server) AWSResponse(u User, opts ResponseOptions) (*Response, error) {
	doc, resp, err := s.ResponseDocument(u, opts)
	if err != nil {
		return nil, err
	}
	return finish(doc, resp)
}

// ResponseDocument builds and signs the response like AWSResponse but returns
// the etree document, for callers (fault injection) that edit it after signing.
func (s *Server) ResponseDocument(u User, opts ResponseOptions) (*etree.Document, *Response, error) {
	if opts.Recipient == "" {
		opts.Recipient = AWSSignInURL
	}
	if opts.Audience == "" {
		opts.Audience = AWSAudience
	}
	sessionName := firstNonEmpty(opts.RoleSessionName, u.RoleSessionName, u.Name)
	roles := u.Roles
	if opts.Roles != nil {
		roles = opts.Roles
	}
	return s.build(u, opts, awsAttributes(u, roles, sessionName))
}

func finish(doc *etree.Document, resp *Response) (*Response, error) {
	out, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("idp: serialize response: %w", err)
	}
	resp.XML = out
	return resp, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// build makes the Response document: the Assertion (edited, signed,
// encrypted as opts say) inside the Response (edited, signed).
func (s *Server) build(u User, opts ResponseOptions, attrs []saml.Attribute) (*etree.Document, *Response, error) {
	if u.Name == "" {
		return nil, nil, errors.New("idp: user has no name")
	}
	if opts.Lifetime == 0 {
		opts.Lifetime = defaultAssertionLifetime
	}
	if opts.NameIDFormat == "" {
		opts.NameIDFormat = NameIDFormatPersistent
	}
	signing := s.cfg.Signing
	if opts.Signing != nil {
		signing = opts.Signing.withDefaults()
	}
	if err := signing.Validate(); err != nil {
		return nil, nil, err
	}
	key := opts.Key
	if key == nil {
		key = s.SigningKey()
	}
	now := opts.Now
	if now.IsZero() {
		now = s.now()
	}
	now = now.UTC()
	if !certs.ValidAt(key.Cert, now) && (*signing.SignAssertion || *signing.SignResponse) {
		// AWS's enforcement of certificate validity is unverified
		// (docs/aws-behavior.md §6.2): sign anyway, but say so.
		s.logger.Warn("signing with a certificate outside its validity window",
			"fingerprint_sha1", certs.FingerprintSHA1(key.Cert),
			"not_before", key.Cert.NotBefore, "not_after", key.Cert.NotAfter)
	}
	assertionID, err := newID(s.rand)
	if err != nil {
		return nil, nil, err
	}
	responseID, err := newID(s.rand)
	if err != nil {
		return nil, nil, err
	}
	nameID, err := nameIDValue(u, opts.NameIDFormat, s.rand)
	if err != nil {
		return nil, nil, err
	}
	notOnOrAfter := now.Add(opts.Lifetime)
	a := &saml.Assertion{
		ID:           assertionID,
		IssueInstant: now,
		Version:      "2.0",
		Issuer:       saml.Issuer{Format: nameIDFormatEntity, Value: s.cfg.EntityID},
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
	}
	if opts.SessionLifetime > 0 {
		end := now.Add(opts.SessionLifetime)
		a.AuthnStatements[0].SessionNotOnOrAfter = &end
	}
	if len(attrs) > 0 {
		a.AttributeStatements = []saml.AttributeStatement{{Attributes: attrs}}
	}
	assertionEl := a.Element()
	untypeAttributeValues(assertionEl)
	if opts.EditAssertion != nil {
		opts.EditAssertion(assertionEl)
	}
	if *signing.SignAssertion {
		if err := signElement(assertionEl, key, signing); err != nil {
			return nil, nil, fmt.Errorf("idp: sign assertion: %w", err)
		}
	}
	if opts.Encryption != nil {
		if assertionEl, err = encryptAssertion(assertionEl, *opts.Encryption); err != nil {
			return nil, nil, fmt.Errorf("idp: encrypt assertion: %w", err)
		}
	}

	r := &saml.Response{
		ID:           responseID,
		InResponseTo: opts.InResponseTo,
		Version:      "2.0",
		IssueInstant: now,
		Destination:  opts.Recipient,
		Issuer:       &saml.Issuer{Format: nameIDFormatEntity, Value: s.cfg.EntityID},
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

// nameIDValue picks the NameID for a format: the email for emailAddress, a
// fresh random value for transient, the user name otherwise.
func nameIDValue(u User, format string, r io.Reader) (string, error) {
	switch format {
	case NameIDFormatEmail:
		if u.Email == "" {
			return "", fmt.Errorf("idp: user %q has no email for NameID format %s", u.Name, format)
		}
		return u.Email, nil
	case NameIDFormatTransient:
		return newID(r)
	case NameIDFormatPersistent, NameIDFormatUnspecified:
		return u.Name, nil
	}
	return "", fmt.Errorf("idp: unsupported NameID format %q", format)
}

func stringValue(v string) saml.AttributeValue { return saml.AttributeValue{Value: v} }

// untypeAttributeValues removes crewjam's xsi:type and namespace
// declarations from AttributeValue elements. xsi:type="xs:string" names the
// xs prefix only inside an attribute value, which exclusive canonicalization
// does not count as a use: goxmldsig's in-place canonicalization then drops
// the declaration and leaves a schema-invalid document. Untyped values are
// valid (AttributeValue is xs:anyType) and every SP reads their text.
func untypeAttributeValues(assertion *etree.Element) {
	for _, v := range descendants(assertion, "AttributeValue") {
		v.RemoveAttr("xsi:type")
		v.RemoveAttr("xmlns:xsi")
		v.RemoveAttr("xmlns:xs")
	}
}

func attribute(name string, vals ...string) saml.Attribute {
	a := saml.Attribute{Name: name, NameFormat: AttrNameFormatURI}
	if !strings.Contains(name, ":") {
		a.NameFormat = AttrNameFormatBasic
	}
	for _, v := range vals {
		a.Values = append(a.Values, stringValue(v))
	}
	return a
}

func awsAttributes(u User, roles []Role, sessionName string) []saml.Attribute {
	vals := make([]string, 0, len(roles))
	for _, r := range roles {
		vals = append(vals, r.Value())
	}
	out := []saml.Attribute{attribute(AttrRole, vals...), attribute(AttrRoleSessionName, sessionName)}
	if u.SessionDuration != 0 {
		out = append(out, attribute(AttrSessionDuration, strconv.Itoa(u.SessionDuration)))
	}
	for _, k := range sortedKeys(u.PrincipalTags) {
		out = append(out, attribute(AttrPrincipalTagPrefix+k, u.PrincipalTags[k]))
	}
	if len(u.TransitiveTagKeys) > 0 {
		out = append(out, attribute(AttrTransitiveTagKeys, u.TransitiveTagKeys...))
	}
	if u.SourceIdentity != "" {
		out = append(out, attribute(AttrSourceIdentity, u.SourceIdentity))
	}
	return append(out, userAttributes(u)...)
}

// genericAttributes are what a non-AWS SP gets: uid, mail, groups and the
// user's own attributes.
func genericAttributes(u User) []saml.Attribute {
	uid := attribute(AttrUID, u.Name)
	uid.FriendlyName = "uid"
	out := []saml.Attribute{uid}
	if u.Email != "" {
		mail := attribute(AttrMail, u.Email)
		mail.FriendlyName = "mail"
		out = append(out, mail)
	}
	if len(u.Groups) > 0 {
		out = append(out, attribute("groups", u.Groups...))
	}
	return append(out, userAttributes(u)...)
}

func userAttributes(u User) []saml.Attribute {
	names := make([]string, 0, len(u.Attributes))
	for k := range u.Attributes {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]saml.Attribute, 0, len(names))
	for _, k := range names {
		out = append(out, attribute(k, u.Attributes[k]...))
	}
	return out
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

// certsOf returns the certificates of key pairs.
func certsOf(kps ...*certs.KeyPair) []*x509.Certificate {
	out := make([]*x509.Certificate, 0, len(kps))
	for _, kp := range kps {
		if kp != nil {
			out = append(out, kp.Cert)
		}
	}
	return out
}
