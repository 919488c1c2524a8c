package idp

import (
	"bytes"
	"compress/flate"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/internal/xmlsec"
	"github.com/samlab-dev/samlab/metadata"
)

// Sentinel errors of SP-initiated SSO.
var (
	// ErrUnknownSP is returned for an AuthnRequest whose Issuer is not a
	// registered service provider.
	ErrUnknownSP = errors.New("unknown service provider")
	// ErrBadAuthnRequest is returned for an AuthnRequest that cannot be
	// decoded or fails validation; the wrapping error says why.
	ErrBadAuthnRequest = errors.New("bad AuthnRequest")
)

// maxAuthnRequestSize bounds a decoded (and inflated) AuthnRequest.
const maxAuthnRequestSize = 256 << 10

// authnRequestSkew is how far an AuthnRequest's IssueInstant may lie in the
// past or future.
const authnRequestSkew = 5 * time.Minute

// ServiceProvider is an SP registered from its metadata.
type ServiceProvider struct {
	// EntityID is the SP's entityID, matched against AuthnRequest Issuer and
	// used as the Audience.
	EntityID string
	// ACSURLs are the SP's HTTP-POST AssertionConsumerService locations, the
	// default (isDefault="true", else lowest index, else first) first.
	ACSURLs []string
	// ACSIndexes maps an ACS index to its location.
	ACSIndexes map[int]string
	// EncryptionCert, when the SP publishes a KeyDescriptor use="encryption",
	// makes the IdP encrypt assertions for it.
	EncryptionCert *x509.Certificate
	// NameIDFormats are the SP's declared NameID formats, in order.
	NameIDFormats []string
	// SigningCerts verify the SP's signed AuthnRequests (KeyDescriptors with
	// use="signing" or no use).
	SigningCerts []*x509.Certificate
	// AuthnRequestsSigned is the metadata's promise to sign every
	// AuthnRequest: unsigned ones are then refused.
	AuthnRequestsSigned bool
	// AWS is set for AWS's sign-in SP (entityID urn:amazon:webservices): its
	// responses carry the AWS attributes.
	AWS bool
}

// ParseServiceProvider reads SP metadata (an EntityDescriptor with an
// SPSSODescriptor). Only HTTP-POST ACS endpoints are used: the IdP answers
// with the POST binding only (SAML Bindings §3.5).
func ParseServiceProvider(md []byte) (*ServiceProvider, error) {
	if _, err := xmlsec.Parse(md, xmlsec.MetadataLimits()); err != nil {
		return nil, fmt.Errorf("sp metadata: %w", err)
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(md, &ed); err != nil {
		return nil, fmt.Errorf("parse sp metadata: %w", err)
	}
	if ed.EntityID == "" {
		return nil, errors.New("sp metadata has no entityID")
	}
	if len(ed.SPSSODescriptors) == 0 {
		return nil, fmt.Errorf("sp metadata %q has no SPSSODescriptor", ed.EntityID)
	}
	sp := &ServiceProvider{EntityID: ed.EntityID, ACSIndexes: map[int]string{}, AWS: ed.EntityID == AWSEntityID}
	type acs struct {
		url   string
		index int
		def   bool
	}
	var all []acs
	for _, d := range ed.SPSSODescriptors {
		for _, e := range d.AssertionConsumerServices {
			if e.Binding != metadata.BindingHTTPPost {
				continue
			}
			def := e.IsDefault != nil && *e.IsDefault
			all = append(all, acs{e.Location, e.Index, def})
			sp.ACSIndexes[e.Index] = e.Location
		}
		if d.AuthnRequestsSigned != nil && *d.AuthnRequestsSigned {
			sp.AuthnRequestsSigned = true
		}
		for _, kd := range d.KeyDescriptors {
			for _, xc := range kd.KeyInfo.X509Data.X509Certificates {
				c, err := certs.ParseCertBase64(xc.Data)
				if err != nil {
					return nil, fmt.Errorf("sp metadata %q: KeyDescriptor certificate: %w", ed.EntityID, err)
				}
				if kd.Use == "" || kd.Use == "signing" {
					sp.SigningCerts = append(sp.SigningCerts, c)
				}
				if kd.Use == "encryption" && sp.EncryptionCert == nil {
					sp.EncryptionCert = c
				}
			}
		}
		for _, f := range d.NameIDFormats {
			sp.NameIDFormats = append(sp.NameIDFormats, string(f))
		}
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("sp metadata %q has no HTTP-POST AssertionConsumerService", ed.EntityID)
	}
	if sp.AuthnRequestsSigned && len(sp.SigningCerts) == 0 {
		return nil, fmt.Errorf("sp metadata %q sets AuthnRequestsSigned but has no signing certificate", ed.EntityID)
	}
	slices.SortStableFunc(all, func(a, b acs) int {
		switch {
		case a.def != b.def:
			if a.def {
				return -1
			}
			return 1
		default:
			return a.index - b.index
		}
	})
	for _, a := range all {
		sp.ACSURLs = append(sp.ACSURLs, a.url)
	}
	return sp, nil
}

// RegisterSP registers (or replaces) a service provider from its metadata.
func (s *Server) RegisterSP(md []byte) (*ServiceProvider, error) {
	sp, err := ParseServiceProvider(md)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sps[sp.EntityID] = sp
	return sp, nil
}

// ServiceProvider returns the registered SP with the entityID, or an error
// wrapping ErrUnknownSP.
func (s *Server) ServiceProvider(entityID string) (*ServiceProvider, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sp, ok := s.sps[entityID]
	if !ok {
		return nil, fmt.Errorf("%w %q: register its metadata with the IdP first", ErrUnknownSP, entityID)
	}
	return sp, nil
}

// ServiceProviders returns the registered SPs' entityIDs, sorted.
func (s *Server) ServiceProviders() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedNames(s.sps)
}

// SPResponse builds a signed Response for a generic SP: Audience is the SP's
// entityID, Recipient its default ACS (unless opts say otherwise), and the
// attributes are uid, mail, groups and the user's attributes — or AWS's
// attributes when the SP is AWS. The assertion is encrypted when the SP
// publishes an encryption certificate and opts.Encryption is nil.
func (s *Server) SPResponse(u User, sp *ServiceProvider, opts ResponseOptions) (*Response, error) {
	if opts.Recipient == "" {
		opts.Recipient = sp.ACSURLs[0]
	}
	if opts.Audience == "" {
		opts.Audience = sp.EntityID
	}
	if opts.Encryption == nil && sp.EncryptionCert != nil {
		opts.Encryption = &EncryptionOptions{Cert: sp.EncryptionCert}
	}
	if sp.AWS {
		return s.AWSResponse(u, opts)
	}
	doc, resp, err := s.build(u, opts, genericAttributes(u))
	if err != nil {
		return nil, err
	}
	return finish(doc, resp)
}

// AuthnRequest is a decoded, validated AuthnRequest and the SP that sent it.
type AuthnRequest struct {
	Request    saml.AuthnRequest
	SP         *ServiceProvider
	ACSURL     string // where the response goes
	RelayState string
}

// decodeAuthnRequest decodes SAMLRequest as the binding requires: base64 of
// raw DEFLATE for HTTP-Redirect (SAML Bindings §3.4.4.1), base64 for
// HTTP-POST (§3.5.4).
func decodeAuthnRequest(samlRequest string, deflated bool) ([]byte, error) {
	if samlRequest == "" {
		return nil, fmt.Errorf("%w: no SAMLRequest parameter", ErrBadAuthnRequest)
	}
	raw, err := base64.StdEncoding.DecodeString(samlRequest)
	if err != nil {
		return nil, fmt.Errorf("%w: SAMLRequest is not base64: %v", ErrBadAuthnRequest, err)
	}
	if !deflated {
		return raw, nil
	}
	out, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(raw)), maxAuthnRequestSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: SAMLRequest is not DEFLATE-compressed (HTTP-Redirect binding): %v", ErrBadAuthnRequest, err)
	}
	if len(out) > maxAuthnRequestSize {
		return nil, fmt.Errorf("%w: SAMLRequest inflates beyond %d bytes", ErrBadAuthnRequest, maxAuthnRequestSize)
	}
	return out, nil
}

// ParseAuthnRequest validates a decoded AuthnRequest (SAML Core §3.4.1) from
// a registered SP and picks the ACS: the AssertionConsumerServiceURL when it
// is one of the SP's (never an unregistered URL), the indexed one, or the
// SP's default. An enveloped signature (HTTP-POST binding) must verify with
// one of the SP's signing certificates, and an SP whose metadata sets
// AuthnRequestsSigned must sign. Errors wrap ErrBadAuthnRequest or
// ErrUnknownSP.
func (s *Server) ParseAuthnRequest(data []byte, relayState string) (*AuthnRequest, error) {
	return s.parseAuthnRequest(data, relayState, nil)
}

// parseAuthnRequest is ParseAuthnRequest; rs, when non-nil, is the
// HTTP-Redirect binding's query-string signature.
func (s *Server) parseAuthnRequest(data []byte, relayState string, rs *redirectSignature) (*AuthnRequest, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadAuthnRequest, fmt.Sprintf(format, args...))
	}
	// The hardened parser refuses DTDs, entity declarations, processing
	// instructions and malformed or oversized XML before anything reads it.
	doc, err := xmlsec.Parse(data, xmlsec.ResponseLimits())
	if err != nil {
		return nil, bad("not a samlp:AuthnRequest: %v", err)
	}
	req := &AuthnRequest{RelayState: relayState}
	if err := xml.Unmarshal(data, &req.Request); err != nil {
		return nil, bad("not a samlp:AuthnRequest: %v", err)
	}
	r := &req.Request
	switch {
	case r.Version != "2.0":
		return nil, bad("Version is %q, want 2.0", r.Version)
	case r.ID == "":
		return nil, bad("no ID")
	case r.Issuer == nil || r.Issuer.Value == "":
		return nil, bad("no Issuer")
	case r.IssueInstant.IsZero():
		return nil, bad("no IssueInstant")
	}
	now := s.now()
	if d := now.Sub(r.IssueInstant); d > authnRequestSkew || d < -authnRequestSkew {
		return nil, bad("IssueInstant %s is more than %s from the IdP's time %s",
			r.IssueInstant.UTC().Format(time.RFC3339), authnRequestSkew, now.UTC().Format(time.RFC3339))
	}
	if r.Destination != "" && s.SSOURL() != "" && r.Destination != s.SSOURL() {
		return nil, bad("Destination %q is not this IdP's SSO URL %q", r.Destination, s.SSOURL())
	}
	if r.ProtocolBinding != "" && r.ProtocolBinding != metadata.BindingHTTPPost {
		return nil, bad("ProtocolBinding %q is not supported (only HTTP-POST)", r.ProtocolBinding)
	}
	sp, err := s.ServiceProvider(r.Issuer.Value)
	if err != nil {
		return nil, err
	}
	req.SP = sp
	switch {
	case rs != nil:
		if err := rs.verify(sp.SigningCerts); err != nil {
			return nil, bad("signature: %v", err)
		}
	case r.Signature != nil:
		// Read the request again from what the signature covers only.
		signed, err := verifyEnveloped(doc, sp.SigningCerts, s.now)
		if err != nil {
			return nil, bad("signature: %v", err)
		}
		req.Request = saml.AuthnRequest{}
		if err := xml.Unmarshal(signed, &req.Request); err != nil {
			return nil, bad("signed content is not a samlp:AuthnRequest: %v", err)
		}
		r = &req.Request
		if r.Issuer == nil || r.Issuer.Value != sp.EntityID {
			return nil, bad("signed content names another Issuer")
		}
	case sp.AuthnRequestsSigned:
		return nil, bad("unsigned, but the metadata of %q says AuthnRequestsSigned", sp.EntityID)
	}
	switch {
	case r.AssertionConsumerServiceURL != "":
		if !slices.Contains(sp.ACSURLs, r.AssertionConsumerServiceURL) {
			return nil, bad("AssertionConsumerServiceURL %q is not an HTTP-POST ACS in the metadata of %q", r.AssertionConsumerServiceURL, sp.EntityID)
		}
		req.ACSURL = r.AssertionConsumerServiceURL
	case r.AssertionConsumerServiceIndex != "":
		var i int
		if _, err := fmt.Sscanf(r.AssertionConsumerServiceIndex, "%d", &i); err != nil {
			return nil, bad("AssertionConsumerServiceIndex %q is not a number", r.AssertionConsumerServiceIndex)
		}
		u, ok := sp.ACSIndexes[i]
		if !ok {
			return nil, bad("AssertionConsumerServiceIndex %d is not in the metadata of %q", i, sp.EntityID)
		}
		req.ACSURL = u
	default:
		req.ACSURL = sp.ACSURLs[0]
	}
	return req, nil
}

// nameIDFormatFor picks the NameID format for a request: the requested one,
// else the SP's first supported one, else persistent.
func nameIDFormatFor(req *AuthnRequest) string {
	if p := req.Request.NameIDPolicy; p != nil && p.Format != nil && *p.Format != "" &&
		*p.Format != NameIDFormatUnspecified {
		return *p.Format
	}
	for _, f := range req.SP.NameIDFormats {
		if slices.Contains(NameIDFormats(), f) {
			return f
		}
	}
	return NameIDFormatPersistent
}

// unsupportedNameIDPolicy reports a NameIDPolicy Format the IdP cannot
// issue.
func unsupportedNameIDPolicy(req *AuthnRequest) (string, bool) {
	if p := req.Request.NameIDPolicy; p != nil && p.Format != nil && *p.Format != "" &&
		*p.Format != NameIDFormatUnspecified && !slices.Contains(NameIDFormats(), *p.Format) {
		return *p.Format, true
	}
	return "", false
}

// StatusResponse builds a signed Response that carries no assertion, only a
// Status: the way to tell an SP that its request failed (SAML Core §3.2.2),
// e.g. saml.StatusResponder with saml.StatusNoPassive.
func (s *Server) StatusResponse(req *AuthnRequest, top, second, message string) (*Response, error) {
	id, err := newID(s.rand)
	if err != nil {
		return nil, err
	}
	st := saml.Status{StatusCode: saml.StatusCode{Value: top}}
	if second != "" {
		st.StatusCode.StatusCode = &saml.StatusCode{Value: second}
	}
	if message != "" {
		st.StatusMessage = &saml.StatusMessage{Value: message}
	}
	r := &saml.Response{
		ID: id, InResponseTo: req.Request.ID, Version: "2.0", IssueInstant: s.now().UTC(),
		Destination: req.ACSURL, Status: st,
		Issuer: &saml.Issuer{Format: nameIDFormatEntity, Value: s.cfg.EntityID},
	}
	el := r.Element()
	if err := signElement(el, s.SigningKey(), s.cfg.Signing); err != nil {
		return nil, fmt.Errorf("idp: sign status response: %w", err)
	}
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.SetRoot(el)
	return finish(doc, &Response{ResponseID: id})
}

// redirectSignature is the signature of an HTTP-Redirect binding message:
// over "SAMLRequest=…&RelayState=…&SigAlg=…" exactly as the parameters were
// URL-encoded in the query (SAML Bindings §3.4.4.1).
type redirectSignature struct {
	signed    string
	sigAlg    string
	signature string
}

// redirectSignatureOf extracts the signature parameters from a raw query,
// or returns nil when the query carries no Signature.
func redirectSignatureOf(rawQuery string) (*redirectSignature, error) {
	raw := map[string]string{}
	for _, kv := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := raw[k]; !dup {
			raw[k] = v
		}
	}
	sig, ok := raw["Signature"]
	if !ok {
		return nil, nil
	}
	alg, ok := raw["SigAlg"]
	if !ok {
		return nil, fmt.Errorf("%w: Signature without SigAlg", ErrBadAuthnRequest)
	}
	signed := "SAMLRequest=" + raw["SAMLRequest"]
	if rs, ok := raw["RelayState"]; ok {
		signed += "&RelayState=" + rs
	}
	signed += "&SigAlg=" + alg
	rs := &redirectSignature{signed: signed}
	var err error
	if rs.sigAlg, err = url.QueryUnescape(alg); err != nil {
		return nil, fmt.Errorf("%w: SigAlg: %v", ErrBadAuthnRequest, err)
	}
	if rs.signature, err = url.QueryUnescape(sig); err != nil {
		return nil, fmt.Errorf("%w: Signature: %v", ErrBadAuthnRequest, err)
	}
	return rs, nil
}

func (rs *redirectSignature) verify(roots []*x509.Certificate) error {
	h, ok := signatureHashes[rs.sigAlg]
	if !ok {
		return fmt.Errorf("unsupported SigAlg %q", rs.sigAlg)
	}
	sig, err := base64.StdEncoding.DecodeString(rs.signature)
	if err != nil {
		return fmt.Errorf("signature is not base64: %v", err)
	}
	if len(roots) == 0 {
		return errors.New("the SP's metadata has no signing certificate")
	}
	d := h.New()
	d.Write([]byte(rs.signed))
	sum := d.Sum(nil)
	for _, c := range roots {
		if pub, ok := c.PublicKey.(*rsa.PublicKey); ok && rsa.VerifyPKCS1v15(pub, h, sum, sig) == nil {
			return nil
		}
	}
	return errors.New("no signing certificate of the SP verifies it")
}

// verifyEnveloped checks the enveloped signature of the document's root with
// the same verifier STS uses (ID, placement, algorithm and certificate
// checks, expiry enforced at now) and returns the signed element, serialized.
func verifyEnveloped(doc *etree.Document, roots []*x509.Certificate, now func() time.Time) ([]byte, error) {
	if len(roots) == 0 {
		return nil, errors.New("the SP's metadata has no signing certificate")
	}
	v := xmlsec.NewVerifier(xmlsec.Config{Certs: roots, AllowSHA1: true, EnforceCertExpiry: true, Now: now})
	signed, err := v.VerifyEnveloped(doc)
	if err != nil {
		return nil, err
	}
	out := etree.NewDocument()
	out.SetRoot(signed)
	return out.WriteToBytes()
}
