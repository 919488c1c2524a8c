package idp

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzLoadUsers: a users file never panics the loader, and a file that
// loads resolves every user it names.
func FuzzLoadUsers(f *testing.F) {
	f.Add(DemoUsersYAML())
	f.Add([]byte("version: 1\nusers:\n  alice:\n    groups: [g]\ngroups:\n  g:\n    session_duration: 900\n"))
	f.Add([]byte("version: 1\nusers: {a: {principal_tags: {k: v}, transitive_tag_keys: [k]}}\n"))
	f.Add([]byte("users: [1, 2]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := LoadUsers("fuzz.yaml", data)
		if err != nil {
			return
		}
		for _, n := range d.Names() {
			if u, ok := d.User(n); !ok || u.Name != n {
				t.Fatalf("user %q listed but not resolvable", n)
			}
		}
	})
}

// FuzzAuthnRequest: any SAMLRequest, in either binding's encoding, is
// decoded and validated without a panic, and only a request from the
// registered SP is ever accepted.
func FuzzAuthnRequest(f *testing.F) {
	const spEntity = "https://sp.samlab.test/metadata"
	s := newTestServer(f, nil)
	if _, err := s.RegisterSP(spMetadataXML(spEntity, "https://sp.samlab.test/acs", nil)); err != nil {
		f.Fatal(err)
	}
	valid := `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1" Version="2.0" IssueInstant="` +
		s.now().UTC().Format("2006-01-02T15:04:05Z") + `"><saml:Issuer>` + spEntity + `</saml:Issuer></samlp:AuthnRequest>`
	f.Add([]byte(valid), false)
	f.Add([]byte(valid), true)
	f.Add([]byte(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1" Version="2.0"/>`), false)
	f.Add([]byte("\x00\xff<"), true)
	f.Fuzz(func(t *testing.T, xmlData []byte, deflated bool) {
		payload := xmlData
		if deflated {
			var b bytes.Buffer
			w, _ := flate.NewWriter(&b, flate.BestSpeed)
			w.Write(xmlData)
			w.Close()
			payload = b.Bytes()
		}
		data, err := decodeAuthnRequest(base64.StdEncoding.EncodeToString(payload), deflated)
		if err != nil {
			return
		}
		req, err := s.ParseAuthnRequest(data, "")
		if err != nil {
			return
		}
		if req.SP == nil || req.SP.EntityID != spEntity || req.ACSURL == "" {
			t.Fatalf("accepted a request without the registered SP: %+v", req)
		}
	})
}

// FuzzRedirectSignature: any query string is parsed without a panic, and
// without certificates nothing verifies.
func FuzzRedirectSignature(f *testing.F) {
	f.Add("SAMLRequest=abc&RelayState=x&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256&Signature=AAAA")
	f.Add("Signature=%zz&SigAlg=")
	f.Add("&&&=")
	f.Fuzz(func(t *testing.T, q string) {
		rs, err := redirectSignatureOf(q)
		if err != nil || rs == nil {
			return
		}
		if rs.verify(nil) == nil {
			t.Fatal("verified without certificates")
		}
	})
}

// FuzzParseLoginForm: any page is read without a panic, and a form it finds
// always has the password field it was chosen for.
func FuzzParseLoginForm(f *testing.F) {
	s := newTestServer(f, nil)
	for _, path := range []string{"/login?return=sso%2Faws", "/logout", "/nope"} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		f.Add(rec.Body.Bytes())
	}
	f.Add([]byte(`<form action="x"><input name="password"><input name="a" value="b"></form>`))
	f.Add([]byte(`<form><form><input name=password></form></form><input name=password>`))
	f.Fuzz(func(t *testing.T, page []byte) {
		_, fields, err := ParseLoginForm(page)
		if err == nil && !fields.Has("password") {
			t.Fatalf("ParseLoginForm accepted a form without a password field: %v", fields)
		}
	})
}
