package scenarios_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/sts"
)

// signer produces responses and metadata the way one IdP implementation
// does. Explain must give the same diagnosis and fix whoever signed.
type signer interface {
	// metadata is the IdP's metadata with the signing certificate of key i.
	metadata(t *testing.T, key int) []byte
	// response is a response signed with key i, its Role attribute naming
	// roles, its Issuer issuer ("" for the IdP's own).
	response(t *testing.T, key int, issuer string, roles []string) []byte
}

const (
	signerEntityID = "https://idp.example.test/metadata"
	awsRole        = "arn:aws:iam::123456789012:role/SAMLAdmin"
	awsProvider    = "arn:aws:iam::123456789012:saml-provider/samlab"
)

func keyPair(t *testing.T, i int, notBefore time.Time) *certs.KeyPair {
	t.Helper()
	kp, err := certs.New(certs.WithKeySource(certstest.New()), certs.WithSubject(signerEntityID),
		certs.WithValidity(notBefore.Add(time.Duration(i)*24*time.Hour), notBefore.Add(3650*24*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func buildMetadata(t *testing.T, c *x509.Certificate) []byte {
	t.Helper()
	md, err := metadata.Build(metadata.IDP{EntityID: signerEntityID, SSOURL: "https://idp.example.test/sso", SigningCerts: []*x509.Certificate{c}})
	if err != nil {
		t.Fatal(err)
	}
	return md
}

// crewjamSigner is crewjam/saml's IdentityProvider: its assertion maker,
// its signing (MakeAssertionEl) and its metadata.
type crewjamSigner struct{ keys []*certs.KeyPair }

func (c *crewjamSigner) idp(key int, issuer string) *saml.IdentityProvider {
	mdURL, _ := url.Parse(signerEntityID)
	if issuer != "" {
		mdURL, _ = url.Parse(issuer)
	}
	sso, _ := url.Parse("https://idp.example.test/sso")
	return &saml.IdentityProvider{Key: c.keys[key].Key, Certificate: c.keys[key].Cert, MetadataURL: *mdURL, SSOURL: *sso,
		SignatureMethod: dsig.RSASHA256SignatureMethod}
}

func (c *crewjamSigner) metadata(t *testing.T, key int) []byte {
	t.Helper()
	b, err := xml.MarshalIndent(c.idp(key, "").Metadata(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (c *crewjamSigner) response(t *testing.T, key int, issuer string, roles []string) []byte {
	t.Helper()
	p := c.idp(key, issuer)
	acs := saml.IndexedEndpoint{Binding: saml.HTTPPostBinding, Location: "https://signin.aws.amazon.com/saml"}
	spMD := &saml.EntityDescriptor{EntityID: "urn:amazon:webservices",
		SPSSODescriptors: []saml.SPSSODescriptor{{AssertionConsumerServices: []saml.IndexedEndpoint{acs}}}}
	// IdP-initiated: crewjam reads the client address from the HTTP request.
	hr := httptest.NewRequest("POST", "https://idp.example.test/sso", nil)
	req := &saml.IdpAuthnRequest{IDP: p, HTTPRequest: hr, ServiceProviderMetadata: spMD, SPSSODescriptor: &spMD.SPSSODescriptors[0],
		ACSEndpoint: &acs, Now: time.Now().UTC()}
	session := &saml.Session{ID: "s1", NameID: "alice", UserName: "alice", CreateTime: req.Now, ExpireTime: req.Now.Add(time.Hour)}
	if err := (saml.DefaultAssertionMaker{}).MakeAssertion(req, session); err != nil {
		t.Fatalf("crewjam MakeAssertion: %v", err)
	}
	attr := func(name string, vals ...string) saml.Attribute {
		a := saml.Attribute{Name: name, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"}
		for _, v := range vals {
			a.Values = append(a.Values, saml.AttributeValue{Type: "xs:string", Value: v})
		}
		return a
	}
	req.Assertion.AttributeStatements = []saml.AttributeStatement{{Attributes: []saml.Attribute{
		attr("https://aws.amazon.com/SAML/Attributes/Role", roles...),
		attr("https://aws.amazon.com/SAML/Attributes/RoleSessionName", "alice"),
	}}}
	if err := req.MakeAssertionEl(); err != nil {
		t.Fatalf("crewjam MakeAssertionEl: %v", err)
	}
	if err := req.MakeResponse(); err != nil {
		t.Fatalf("crewjam MakeResponse: %v", err)
	}
	doc := etree.NewDocument()
	doc.SetRoot(req.ResponseEl)
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// xmlsecSigner builds the unsigned response with samlab's IdP, inserts a
// signature template into the Assertion and has xmlsec1 sign it.
type xmlsecSigner struct {
	lab  *scenarios.Lab
	keys []*certs.KeyPair
	bin  string
}

func (x *xmlsecSigner) metadata(t *testing.T, key int) []byte {
	return buildMetadata(t, x.keys[key].Cert)
}

const sigTemplate = `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
	`<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
	`<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>` +
	`<ds:Reference URI="#ID"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>` +
	`<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>` +
	`<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>` +
	`<ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>`

func (x *xmlsecSigner) response(t *testing.T, key int, issuer string, roles []string) []byte {
	t.Helper()
	unsigned := idp.Sign(false, false)
	var pairs []idp.Role
	for _, r := range roles {
		role, provider, _ := strings.Cut(r, ",")
		pairs = append(pairs, idp.Role{RoleARN: role, ProviderARN: provider})
	}
	opts := idp.ResponseOptions{Signing: &unsigned, Roles: pairs}
	if issuer != "" {
		opts.EditAssertion = func(a *etree.Element) {
			for _, el := range a.FindElements("//Issuer") {
				el.SetText(issuer)
			}
		}
		opts.EditResponse = opts.EditAssertion
	}
	resp, err := x.lab.IDP.AWSResponse(x.lab.Users[scenarios.DefaultUser], opts)
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(resp.XML); err != nil {
		t.Fatal(err)
	}
	a := doc.FindElement("//Assertion")
	tmpl := etree.NewDocument()
	if err := tmpl.ReadFromString(strings.Replace(sigTemplate, "#ID", "#"+a.SelectAttrValue("ID", ""), 1)); err != nil {
		t.Fatal(err)
	}
	a.InsertChildAt(a.FindElement("Issuer").Index()+1, tmpl.Root())
	in, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyPEM, err := certs.EncodeKeyPEM(x.keys[key].Key)
	if err != nil {
		t.Fatal(err)
	}
	kf, cf, inf, outf := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "in.xml"), filepath.Join(dir, "out.xml")
	for f, data := range map[string][]byte{kf: keyPEM, cf: certs.EncodeCertPEM(x.keys[key].Cert), inf: in} {
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.CommandContext(t.Context(), x.bin, "--sign", "--privkey-pem", kf+","+cf,
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", "--output", outf, inf).CombinedOutput()
	if err != nil {
		t.Fatalf("xmlsec1 --sign: %v\n%s", err, out)
	}
	signed, err := os.ReadFile(outf)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// samlabSigner is samlab's own IdP with a chosen key.
type samlabSigner struct {
	lab  *scenarios.Lab
	keys []*certs.KeyPair
}

func (s *samlabSigner) metadata(t *testing.T, key int) []byte {
	return buildMetadata(t, s.keys[key].Cert)
}

func (s *samlabSigner) response(t *testing.T, key int, issuer string, roles []string) []byte {
	t.Helper()
	var pairs []idp.Role
	for _, r := range roles {
		role, provider, _ := strings.Cut(r, ",")
		pairs = append(pairs, idp.Role{RoleARN: role, ProviderARN: provider})
	}
	opts := idp.ResponseOptions{Key: s.keys[key], Roles: pairs}
	if issuer != "" {
		opts.EditAssertion = func(a *etree.Element) { a.FindElement("Issuer").SetText(issuer) }
		opts.EditResponse = func(r *etree.Element) { r.FindElement("Issuer").SetText(issuer) }
	}
	resp, err := s.lab.IDP.AWSResponse(s.lab.Users[scenarios.DefaultUser], opts)
	if err != nil {
		t.Fatal(err)
	}
	return resp.XML
}

// requireXMLSec returns xmlsec1's path; CI=true makes its absence a failure.
func requireXMLSec(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("xmlsec1")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("xmlsec1 is required in CI (Debian package xmlsec1): %v", err)
		}
		t.Skipf("xmlsec1 not installed: %v", err)
	}
	return p
}

// TestExplainThreeSigners: responses and metadata from samlab's IdP,
// crewjam/saml's IdP and xmlsec1, explained for each failure class they can
// produce; the diagnosis and the first fix must not depend on the signer.
func TestExplainThreeSigners(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	keys := []*certs.KeyPair{keyPair(t, 0, now.Add(-48*time.Hour)), keyPair(t, 1, now.Add(-48*time.Hour))}
	// The samlab lab issues under signerEntityID so all three share the
	// registered entityID.
	cfg := labConfig()
	cfg.EntityID = signerEntityID
	cfg.WallClock = true
	lab, err := scenarios.NewLab(cfg)
	if err != nil {
		t.Fatal(err)
	}
	signers := map[string]signer{
		"samlab":  &samlabSigner{lab: lab, keys: keys},
		"crewjam": &crewjamSigner{keys: keys},
		"xmlsec1": &xmlsecSigner{lab: lab, keys: keys, bin: requireXMLSec(t)},
	}
	granted := []string{awsRole + "," + awsProvider}
	cases := []struct {
		name          string
		registeredKey int
		signKey       int
		issuer        string
		roles         []string
		role          string
		late          time.Duration
		wantCode      string
		wantDiagnosis string
		wantFix       string
	}{
		{name: "accepted", wantCode: ""},
		{name: "cert-rotation", signKey: 1, wantCode: "InvalidIdentityToken", wantDiagnosis: "cert-rotation",
			wantFix: "aws iam update-saml-provider --saml-provider-arn " + awsProvider + " --saml-metadata-document file://idp-metadata.xml"},
		{name: "stale-signing-node", registeredKey: 1, signKey: 0, wantCode: "InvalidIdentityToken", wantDiagnosis: "stale-signing-node",
			wantFix: "signing certificate on every node"},
		{name: "wrong-entity-id", issuer: "https://new-idp.example.test/metadata", wantCode: "InvalidIdentityToken", wantDiagnosis: "wrong-entity-id",
			wantFix: "aws iam update-saml-provider"},
		{name: "stale-assertion", late: 20 * time.Minute, wantCode: "ExpiredTokenException", wantDiagnosis: "stale-assertion", wantFix: "sign in again"},
		{name: "role-not-in-assertion", role: "arn:aws:iam::123456789012:role/ReadOnly", wantCode: "InvalidIdentityToken",
			wantDiagnosis: "role-not-in-assertion", wantFix: "Role += arn:aws:iam::123456789012:role/ReadOnly," + awsProvider},
	}
	for sname, sg := range signers {
		for _, tc := range cases {
			t.Run(sname+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				roles := tc.roles
				if roles == nil {
					roles = granted
				}
				resp := sg.response(t, tc.signKey, tc.issuer, roles)
				in := sts.ExplainInput{Metadata: sg.metadata(t, tc.registeredKey), SAMLResponse: base64.StdEncoding.EncodeToString(resp),
					At: time.Now().Add(tc.late)}
				if tc.role != "" {
					in.RoleARN, in.ProviderARN = tc.role, awsProvider
				}
				ex, err := sts.Explain(t.Context(), in)
				if err != nil {
					t.Fatalf("Explain: %v", err)
				}
				if tc.wantCode == "" {
					if !ex.Accepted {
						t.Fatalf("rejected: %s %s (%s)\n%s", ex.Code, ex.Message, ex.Cause, resp)
					}
					return
				}
				if ex.Accepted || ex.Code != tc.wantCode || ex.Diagnosis != tc.wantDiagnosis {
					t.Fatalf("verdict %v %s %q, diagnosis %q (cause %s); want %s, %s", ex.Accepted, ex.Code, ex.Message, ex.Diagnosis, ex.Cause, tc.wantCode, tc.wantDiagnosis)
				}
				if len(ex.Fixes) == 0 || !strings.Contains(strings.ToLower(fixText(ex.Fixes[0])+ex.Fixes[0].Title), strings.ToLower(tc.wantFix)) {
					t.Errorf("first fix %+v lacks %q", ex.Fixes, tc.wantFix)
				}
			})
		}
	}
}
