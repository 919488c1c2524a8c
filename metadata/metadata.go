package metadata

import (
	"bytes"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/internal/xmlsec"
)

// Binding URIs (SAML Bindings §3).
const (
	BindingHTTPPost     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	BindingHTTPRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
)

// MaxSize is the largest metadata document Parse accepts: IAM's limit for
// SAMLMetadataDocument (10,000,000 characters).
const MaxSize = 10_000_000

// Sentinel errors callers branch on.
var (
	ErrNoIDPDescriptor = errors.New("metadata has no IDPSSODescriptor")
	ErrNoSigningCert   = errors.New("metadata has no signing certificate")
	ErrDTD             = errors.New("metadata contains a DTD or entity declaration")
	ErrTooLarge        = errors.New("metadata document is too large")
	// ErrBOM: IAM refuses metadata that starts with a UTF-8 byte order mark
	// ("Unable to parse metadata", IAM UG troubleshooting).
	ErrBOM = errors.New("metadata starts with a byte order mark; IAM requires UTF-8 without one")
)

// IDP describes the IdP metadata to build.
type IDP struct {
	// EntityID is the IdP's entityID; it becomes the Issuer of its responses.
	EntityID string
	// SSOURL is the SingleSignOnService location, published for the
	// HTTP-Redirect and HTTP-POST bindings.
	SSOURL string
	// SigningCerts are published as one KeyDescriptor use="signing" each, in
	// order (several during a key rollover).
	SigningCerts []*x509.Certificate
	// EncryptionCerts are published as KeyDescriptor use="encryption".
	EncryptionCerts []*x509.Certificate
	// NameIDFormats lists supported NameID formats (optional).
	NameIDFormats []string
	// ValidUntil sets validUntil when non-zero.
	ValidUntil time.Time
}

// Build returns the IdP's metadata as an indented XML document.
func Build(m IDP) ([]byte, error) {
	if m.EntityID == "" {
		return nil, errors.New("build metadata: empty entityID")
	}
	if len(m.SigningCerts) == 0 {
		return nil, fmt.Errorf("build metadata %q: %w", m.EntityID, ErrNoSigningCert)
	}
	var kds []saml.KeyDescriptor
	add := func(use string, cs []*x509.Certificate) {
		for _, c := range cs {
			kds = append(kds, saml.KeyDescriptor{
				Use: use,
				KeyInfo: saml.KeyInfo{X509Data: saml.X509Data{
					X509Certificates: []saml.X509Certificate{{Data: certs.Base64(c)}},
				}},
			})
		}
	}
	add("signing", m.SigningCerts)
	add("encryption", m.EncryptionCerts)

	var formats []saml.NameIDFormat
	for _, f := range m.NameIDFormats {
		formats = append(formats, saml.NameIDFormat(f))
	}
	var sso []saml.Endpoint
	if m.SSOURL != "" {
		sso = []saml.Endpoint{
			{Binding: BindingHTTPRedirect, Location: m.SSOURL},
			{Binding: BindingHTTPPost, Location: m.SSOURL},
		}
	}
	ed := saml.EntityDescriptor{
		EntityID:   m.EntityID,
		ValidUntil: m.ValidUntil.UTC(),
		IDPSSODescriptors: []saml.IDPSSODescriptor{{
			SSODescriptor: saml.SSODescriptor{
				RoleDescriptor: saml.RoleDescriptor{
					ProtocolSupportEnumeration: "urn:oasis:names:tc:SAML:2.0:protocol",
					KeyDescriptors:             kds,
				},
				NameIDFormats: formats,
			},
			SingleSignOnServices: sso,
		}},
	}
	out, err := xml.Marshal(ed)
	if err != nil {
		return nil, fmt.Errorf("build metadata %q: %w", m.EntityID, err)
	}
	// crewjam/saml writes validUntil even when it is zero; drop it then.
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(out); err != nil {
		return nil, fmt.Errorf("build metadata %q: %w", m.EntityID, err)
	}
	if m.ValidUntil.IsZero() {
		doc.Root().RemoveAttr("validUntil")
	}
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.InsertChildAt(0, doc.Child[len(doc.Child)-1]) // the declaration goes first
	doc.Indent(2)
	return doc.WriteToBytes()
}

// EntityDescriptor is parsed IdP metadata: the parts AWS reads.
type EntityDescriptor struct {
	EntityID        string
	ValidUntil      time.Time // zero when absent
	SigningCerts    []*x509.Certificate
	EncryptionCerts []*x509.Certificate
	SSOURLs         []string
	// Raw is the underlying crewjam/saml value, for callers that need more.
	Raw *saml.EntityDescriptor
}

// Parse reads IdP metadata. The root must be an md:EntityDescriptor (or an
// md:EntitiesDescriptor holding exactly one) with an IDPSSODescriptor. A
// KeyDescriptor without a use attribute counts as both signing and encryption,
// as SAML Metadata §2.4.1.1 says. Errors name what was wrong.
func Parse(data []byte) (*EntityDescriptor, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), MaxSize)
	}
	if bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		return nil, ErrBOM
	}
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '<' {
		return nil, errors.New("metadata is not well-formed XML: it must start with '<' (an XML declaration or the root element)")
	}
	// The hardened parser STS uses for responses refuses DTDs, entity
	// declarations, processing instructions and malformed XML.
	if _, err := xmlsec.Parse(data, xmlsec.MetadataLimits()); err != nil {
		if errors.Is(err, xmlsec.ErrDTD) {
			return nil, fmt.Errorf("%w: %w", ErrDTD, err)
		}
		return nil, fmt.Errorf("metadata is not well-formed XML: %w", err)
	}
	var probe struct{ XMLName xml.Name }
	if err := xml.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("metadata is not well-formed XML: %w", err)
	}
	var ed saml.EntityDescriptor
	switch probe.XMLName {
	case xml.Name{Space: "urn:oasis:names:tc:SAML:2.0:metadata", Local: "EntityDescriptor"}:
		if err := xml.Unmarshal(data, &ed); err != nil {
			return nil, fmt.Errorf("parse EntityDescriptor: %w", err)
		}
	case xml.Name{Space: "urn:oasis:names:tc:SAML:2.0:metadata", Local: "EntitiesDescriptor"}:
		var eds saml.EntitiesDescriptor
		if err := xml.Unmarshal(data, &eds); err != nil {
			return nil, fmt.Errorf("parse EntitiesDescriptor: %w", err)
		}
		if len(eds.EntityDescriptors) != 1 {
			return nil, fmt.Errorf("EntitiesDescriptor holds %d EntityDescriptors, want exactly 1", len(eds.EntityDescriptors))
		}
		ed = eds.EntityDescriptors[0]
	default:
		return nil, fmt.Errorf("root element is {%s}%s, want {urn:oasis:names:tc:SAML:2.0:metadata}EntityDescriptor",
			probe.XMLName.Space, probe.XMLName.Local)
	}
	if ed.EntityID == "" {
		return nil, errors.New("EntityDescriptor has no entityID")
	}
	if len(ed.IDPSSODescriptors) == 0 {
		return nil, fmt.Errorf("entity %q: %w", ed.EntityID, ErrNoIDPDescriptor)
	}
	out := &EntityDescriptor{EntityID: ed.EntityID, ValidUntil: ed.ValidUntil, Raw: &ed}
	for i, d := range ed.IDPSSODescriptors {
		for j, kd := range d.KeyDescriptors {
			for k, xc := range kd.KeyInfo.X509Data.X509Certificates {
				c, err := certs.ParseCertBase64(xc.Data)
				if err != nil {
					return nil, fmt.Errorf("entity %q: IDPSSODescriptor[%d] KeyDescriptor[%d] X509Certificate[%d]: %w", ed.EntityID, i, j, k, err)
				}
				if kd.Use == "" || kd.Use == "signing" {
					out.SigningCerts = append(out.SigningCerts, c)
				}
				if kd.Use == "" || kd.Use == "encryption" {
					out.EncryptionCerts = append(out.EncryptionCerts, c)
				}
			}
		}
		for _, s := range d.SingleSignOnServices {
			out.SSOURLs = append(out.SSOURLs, s.Location)
		}
	}
	return out, nil
}
