package idp

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/crewjam/saml"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
)

// pythonOneLogin is the system python that has python3-onelogin-saml2; a
// python3 earlier on PATH may lack it.
const pythonOneLogin = "/usr/bin/python3"

// newCrewjamSP returns crewjam/saml's own ServiceProvider trusting the IdP's
// metadata.
func newCrewjamSP(t *testing.T, s *Server, entityID, acs string, kp *certs.KeyPair) *saml.ServiceProvider {
	t.Helper()
	md, err := s.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(md, &ed); err != nil {
		t.Fatal(err)
	}
	acsURL, _ := url.Parse(acs)
	mdURL, _ := url.Parse(entityID)
	return &saml.ServiceProvider{
		EntityID: entityID, Key: kp.Key, Certificate: kp.Cert,
		AcsURL: *acsURL, MetadataURL: *mdURL, IDPMetadata: &ed,
	}
}

// registeredSP returns crewjam's ServiceProvider with a fixture key, adjusted
// by edit (when non-nil) and registered with the IdP from its own metadata.
func registeredSP(t *testing.T, s *Server, entityID, acs string, edit func(*saml.ServiceProvider)) *saml.ServiceProvider {
	t.Helper()
	kp, err := certs.New(certs.WithKeySource(certstest.New()))
	if err != nil {
		t.Fatal(err)
	}
	sp := newCrewjamSP(t, s, entityID, acs, kp)
	if edit != nil {
		edit(sp)
	}
	if _, err := s.RegisterSP(spMetadata(t, sp)); err != nil {
		t.Fatalf("RegisterSP: %v", err)
	}
	return sp
}

func spMetadata(t *testing.T, sp *saml.ServiceProvider) []byte {
	t.Helper()
	b, err := xml.Marshal(sp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var returnRE = regexp.MustCompile(`name="return" value="([^"]*)"`)

// TestSPInitiatedCrewjam runs SP-initiated SSO for crewjam/saml's
// ServiceProvider over both request bindings and real HTTP: the SP's
// AuthnRequest, the login form, the response (encrypted, since crewjam
// publishes an encryption key) and the SP's own validation, InResponseTo
// included.
func TestSPInitiatedCrewjam(t *testing.T) {
	t.Parallel()
	for _, binding := range []string{saml.HTTPRedirectBinding, saml.HTTPPostBinding} {
		t.Run(binding[strings.LastIndex(binding, ":")+1:], func(t *testing.T) {
			t.Parallel()
			s, ts := startIDP(t, nil)
			const acs = "https://sp.samlab.test/saml/acs"
			sp := registeredSP(t, s, "https://sp.samlab.test/saml/metadata", acs, nil)
			req, err := sp.MakeAuthenticationRequest(ts.URL+"/sso", binding, saml.HTTPPostBinding)
			if err != nil {
				t.Fatal(err)
			}
			c := browser(t, ts)
			var body []byte
			if binding == saml.HTTPRedirectBinding {
				u, err := req.Redirect("relay-1", sp)
				if err != nil {
					t.Fatal(err)
				}
				_, body = do(t, c, http.MethodGet, u.String(), nil)
			} else {
				_, fields, err := ParsePostForm(req.Post("relay-1"))
				if err != nil {
					t.Fatal(err)
				}
				_, body = do(t, c, http.MethodPost, ts.URL+"/sso", fields)
			}
			m := returnRE.FindSubmatch(body)
			if m == nil {
				t.Fatalf("no login form for an unauthenticated AuthnRequest:\n%s", body)
			}
			resp, body := login(t, c, ts, "alice", "samlab", html.UnescapeString(string(m[1])))
			action, fields, err := ParsePostForm(body)
			if err != nil {
				t.Fatalf("after login (%d): %v\n%s", resp.StatusCode, err, body)
			}
			if action != acs || fields.Get("RelayState") != "relay-1" {
				t.Errorf("form to %q with RelayState %q, want %q and relay-1", action, fields.Get("RelayState"), acs)
			}
			raw, err := base64.StdEncoding.DecodeString(fields.Get("SAMLResponse"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(raw), "EncryptedAssertion") {
				t.Errorf("response for an SP with an encryption key is not encrypted")
			}
			acsURL, _ := url.Parse(acs)
			a, err := sp.ParseXMLResponse(raw, []string{req.ID}, *acsURL)
			if err != nil {
				var ire *saml.InvalidResponseError
				if e, ok := err.(*saml.InvalidResponseError); ok {
					ire = e
				}
				t.Fatalf("crewjam ParseXMLResponse: %v (%v)", err, ire.PrivateErr)
			}
			// crewjam asks for a transient NameID; uid carries the name.
			if f := a.Subject.NameID.Format; f != NameIDFormatTransient {
				t.Errorf("NameID Format = %q, want the requested transient", f)
			}
			if got := attrValues(a, AttrUID); !slices.Equal(got, []string{"alice"}) {
				t.Errorf("uid = %q, want alice", got)
			}
			if got := attrValues(a, AttrMail); !slices.Equal(got, []string{"alice@example.com"}) {
				t.Errorf("mail = %q", got)
			}
			if got := attrValues(a, "groups"); !slices.Equal(got, []string{"admins"}) {
				t.Errorf("groups = %q", got)
			}
			// A different request ID must be refused: the check can fail.
			if _, err := sp.ParseXMLResponse(raw, []string{"_other"}, *acsURL); err == nil {
				t.Error("crewjam accepted the response for another request ID")
			}
		})
	}
}

// spMetadataXML is minimal SP metadata, with an encryption key when enc is
// non-nil.
func spMetadataXML(entityID, acs string, enc *x509.Certificate) []byte {
	kd := ""
	if enc != nil {
		kd = `<md:KeyDescriptor use="encryption"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>` +
			certs.Base64(enc) + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`
	}
	return []byte(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="` + entityID + `">` +
		`<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` + kd +
		`<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="` + acs + `" index="0"/>` +
		`</md:SPSSODescriptor></md:EntityDescriptor>`)
}

// TestOneLoginAccepts has python3-saml validate responses in strict mode.
func TestOneLoginAccepts(t *testing.T) {
	t.Parallel()
	py := requireTool(t, pythonOneLogin)
	if out, err := run(t, py, "-c", "import onelogin.saml2"); err != nil {
		if strings.Contains(string(out), "ModuleNotFoundError") {
			requireTool(t, "python3-onelogin-saml2-is-not-installed")
		}
		t.Fatalf("python: %v\n%s", err, out)
	}
	const spEntity, acs = "https://sp.samlab.test/metadata", "https://sp.samlab.test/acs"
	tests := []struct {
		name    string
		signing SigningOptions
		encrypt bool
		fault   Fault
		wantOK  bool
	}{
		{name: "assertion signed", signing: Sign(true, false), wantOK: true},
		{name: "response signed", signing: Sign(false, true), wantOK: true},
		{name: "both signed sha1", signing: SigningOptions{SignAssertion: ptr(true), SignResponse: ptr(true), SignatureMethod: SignatureRSASHA1, DigestMethod: DigestSHA1}, wantOK: true},
		{name: "rsa-sha256 with sha1 digest", signing: SigningOptions{SignAssertion: ptr(true), SignatureMethod: SignatureRSASHA256, DigestMethod: DigestSHA1}, wantOK: true},
		{name: "encrypted", signing: Sign(true, false), encrypt: true, wantOK: true},
		{name: "unsigned is refused", signing: Sign(false, false), wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTestServer(t, nil)
			spKP, err := certs.New(certs.WithKeySource(certstest.New()))
			if err != nil {
				t.Fatal(err)
			}
			var enc *x509.Certificate
			if tt.encrypt {
				enc = spKP.Cert
			}
			sp, err := s.RegisterSP(spMetadataXML(spEntity, acs, enc))
			if err != nil {
				t.Fatal(err)
			}
			signing := tt.signing
			resp, err := s.SPResponse(demoUser(t, "bob"), sp, ResponseOptions{Signing: &signing})
			if err != nil {
				t.Fatal(err)
			}
			args := []string{"testdata/onelogin_validate.py", testEntityID, exportedCertPEM(t, s), spEntity, acs, writeTemp(t, "resp.xml", resp.XML)}
			if tt.encrypt {
				kp, _ := certs.EncodeKeyPEM(spKP.Key)
				args = append(args, writeTemp(t, "sp.key", kp), writeTemp(t, "sp.crt", certs.EncodeCertPEM(spKP.Cert)))
			}
			out, err := run(t, py, args...)
			if (err == nil) != tt.wantOK {
				t.Fatalf("onelogin valid = %v, want %v:\n%s", err == nil, tt.wantOK, out)
			}
			if !tt.wantOK {
				return
			}
			var got struct {
				NameID     string              `json:"name_id"`
				Attributes map[string][]string `json:"attributes"`
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("onelogin output %q: %v", out, err)
			}
			if got.NameID != "bob" || !slices.Equal(got.Attributes["groups"], []string{"admins", "readers"}) {
				t.Errorf("onelogin saw NameID %q attributes %v", got.NameID, got.Attributes)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestEncryptedAssertionXMLSecDecrypt decrypts EncryptedAssertion with
// xmlsec1 and the SP's key, for every cipher.
func TestEncryptedAssertionXMLSecDecrypt(t *testing.T) {
	t.Parallel()
	for _, cipher := range Ciphers() {
		t.Run(cipher, func(t *testing.T) {
			t.Parallel()
			xmlsec := requireTool(t, "xmlsec1")
			s := newTestServer(t, nil)
			spKP, err := certs.New(certs.WithKeySource(certstest.New()))
			if err != nil {
				t.Fatal(err)
			}
			both := Sign(true, true)
			resp, err := s.AWSResponse(demoUser(t, "alice"), ResponseOptions{Signing: &both,
				Encryption: &EncryptionOptions{Cert: spKP.Cert, Cipher: cipher}})
			if err != nil {
				t.Fatal(err)
			}
			// The Response signature covers the EncryptedAssertion.
			if err := xmlsecVerify(t, resp.XML, exportedCertPEM(t, s), responseXPath); err != nil {
				t.Errorf("response signature over the encrypted assertion: %v", err)
			}
			if strings.Contains(string(resp.XML), "RoleSessionName") {
				t.Fatal("plaintext attribute visible in an encrypted response")
			}
			keyPEM, _ := certs.EncodeKeyPEM(spKP.Key)
			out, err := run(t, xmlsec, "--decrypt", "--privkey-pem", writeTemp(t, "sp.key", keyPEM), writeTemp(t, "resp.xml", resp.XML))
			if err != nil {
				t.Fatalf("xmlsec1 --decrypt: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), AttrRoleSessionName) {
				t.Errorf("decrypted document lacks the assertion:\n%s", out)
			}
			// The decrypted assertion's own signature still verifies.
			start := strings.Index(string(out), "<saml:Assertion")
			if start < 0 {
				t.Fatalf("no Assertion in decrypted output:\n%s", out)
			}
			if err := xmlsecVerify(t, out, exportedCertPEM(t, s), assertionXPath); err != nil {
				t.Error(err)
			}
			// A wrong key cannot decrypt.
			other, _ := certs.New(certs.WithKeySource(certstest.New()), certs.WithBits(3072))
			otherPEM, _ := certs.EncodeKeyPEM(other.Key)
			if _, err := run(t, xmlsec, "--decrypt", "--privkey-pem", writeTemp(t, "other.key", otherPEM), writeTemp(t, "resp.xml", resp.XML)); err == nil {
				t.Error("xmlsec1 decrypted with the wrong key")
			}
		})
	}
}

// TestSignedAuthnRequests: crewjam's SP signs its AuthnRequests (query-string
// signature for HTTP-Redirect, enveloped for HTTP-POST); the IdP verifies
// them with the SP's metadata, refuses a broken or missing signature, and
// logs the user in for a good one.
func TestSignedAuthnRequests(t *testing.T) {
	t.Parallel()
	type tc struct {
		name       string
		binding    string
		mutate     func(u *url.URL, fields url.Values, sp *saml.ServiceProvider)
		wantStatus int
		wantReason string
	}
	tests := []tc{
		{name: "redirect signed", binding: saml.HTTPRedirectBinding, wantStatus: 200},
		{name: "post signed", binding: saml.HTTPPostBinding, wantStatus: 200},
		{name: "redirect relay state changed", binding: saml.HTTPRedirectBinding, wantStatus: 400, wantReason: "signature",
			mutate: func(u *url.URL, _ url.Values, _ *saml.ServiceProvider) {
				u.RawQuery = strings.Replace(u.RawQuery, "RelayState=relay-1", "RelayState=relay-2", 1)
			}},
		{name: "redirect signature dropped", binding: saml.HTTPRedirectBinding, wantStatus: 400, wantReason: "AuthnRequestsSigned",
			mutate: func(u *url.URL, _ url.Values, _ *saml.ServiceProvider) {
				q := u.RawQuery
				u.RawQuery = q[:strings.Index(q, "&SigAlg=")]
			}},
		{name: "post tampered", binding: saml.HTTPPostBinding, wantStatus: 400, wantReason: "signature",
			mutate: func(_ *url.URL, f url.Values, _ *saml.ServiceProvider) {
				raw, _ := base64.StdEncoding.DecodeString(f.Get("SAMLRequest"))
				raw = []byte(strings.Replace(string(raw), `Version="2.0"`, `Version="2.0" ForceAuthn="true"`, 1))
				f.Set("SAMLRequest", base64.StdEncoding.EncodeToString(raw))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, ts := startIDP(t, nil)
			sp := registeredSP(t, s, "https://sp.samlab.test/saml/metadata", "https://sp.samlab.test/saml/acs",
				func(sp *saml.ServiceProvider) { sp.SignatureMethod = SignatureRSASHA256 })
			req, err := sp.MakeAuthenticationRequest(ts.URL+"/sso", tt.binding, saml.HTTPPostBinding)
			if err != nil {
				t.Fatal(err)
			}
			c := browser(t, ts)
			login(t, c, ts, "alice", "samlab", "")
			var resp *http.Response
			var body []byte
			if tt.binding == saml.HTTPRedirectBinding {
				u, err := req.Redirect("relay-1", sp)
				if err != nil {
					t.Fatal(err)
				}
				if tt.mutate != nil {
					tt.mutate(u, nil, sp)
				}
				resp, body = do(t, c, http.MethodGet, u.String(), nil)
			} else {
				_, fields, err := ParsePostForm(req.Post("relay-1"))
				if err != nil {
					t.Fatal(err)
				}
				if tt.mutate != nil {
					tt.mutate(nil, fields, sp)
				}
				resp, body = do(t, c, http.MethodPost, ts.URL+"/sso", fields)
			}
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.wantReason) {
				t.Fatalf("status %d, want %d with %q:\n%s", resp.StatusCode, tt.wantStatus, tt.wantReason, body)
			}
			if tt.wantStatus != 200 {
				return
			}
			_, fields, err := ParsePostForm(body)
			if err != nil {
				t.Fatalf("no response form: %v\n%s", err, body)
			}
			raw, _ := base64.StdEncoding.DecodeString(fields.Get("SAMLResponse"))
			acsURL, _ := url.Parse("https://sp.samlab.test/saml/acs")
			if _, err := sp.ParseXMLResponse(raw, []string{req.ID}, *acsURL); err != nil {
				t.Errorf("crewjam refused the response: %v", err)
			}
		})
	}
}
