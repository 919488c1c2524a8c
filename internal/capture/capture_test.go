package capture

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func seed(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestResponsesForms(t *testing.T) {
	t.Parallel()
	b64 := strings.TrimSpace(string(seed(t, "response.b64")))
	xmlDoc, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	var wrapped strings.Builder
	for i := 0; i < len(b64); i += 64 {
		wrapped.WriteString(b64[i:min(i+64, len(b64))] + "\r\n")
	}
	tests := []struct {
		name     string
		in       []byte
		want     int
		postedTo string
	}{
		{"base64", []byte(b64), 1, ""},
		{"base64 wrapped in lines", []byte(wrapped.String()), 1, ""},
		{"xml", xmlDoc, 1, ""},
		{"xml with BOM", append([]byte("\xef\xbb\xbf"), xmlDoc...), 1, ""},
		{"form body", seed(t, "form.txt"), 1, ""},
		{"curl command", []byte("curl -X POST https://signin.aws.amazon.com/saml --data 'SAMLResponse=" + strings.TrimPrefix(string(seed(t, "form.txt")), "RelayState=&SAMLResponse=") + "'"), 1, ""},
		{"auto-post page", seed(t, "autopost.html"), 1, "https://signin.aws.amazon.com/saml"},
		{"HAR", seed(t, "signin.har"), 2, "http://127.0.0.1:"},
		{"XML in a log line", append(append([]byte("2026-03-14 09:00:01 INFO saml.py:80 - SAML login response for IdP x. XML is:\n"), xmlDoc...), []byte("\n2026-03-14 09:00:02 INFO next line\n")...), 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Responses("in", tt.in)
			if err != nil {
				t.Fatalf("Responses = %v", err)
			}
			if len(got) != tt.want {
				t.Fatalf("Responses found %d, want %d", len(got), tt.want)
			}
			r := got[len(got)-1]
			switch tt.name {
			case "HAR":
			case "XML in a log line": // the XML declaration stays behind
				if !bytes.HasSuffix(xmlDoc, r.XML) {
					t.Errorf("XML is not the logged document")
				}
			default:
				if r.Base64 != b64 {
					t.Errorf("Base64 differs from the captured value")
				}
			}
			if !bytes.Contains(r.XML, []byte("Response")) {
				t.Errorf("XML = %.60q…", r.XML)
			}
			if !strings.HasPrefix(r.PostedTo, tt.postedTo) {
				t.Errorf("PostedTo = %q, want prefix %q", r.PostedTo, tt.postedTo)
			}
			if tt.name == "HAR" && (r.PostedAt.IsZero() || !strings.Contains(r.Source, "entry")) {
				t.Errorf("HAR response %+v lacks its entry and time", r)
			}
		})
	}
}

func TestResponsesErrors(t *testing.T) {
	t.Parallel()
	b64 := strings.TrimSpace(string(seed(t, "response.b64")))
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "  \n", "empty input"},
		{"truncated base64", b64[:len(b64)-5], "truncated"},
		{"garbage", "hello world!", "not base64"},
		{"XML cut in the middle", base64.StdEncoding.EncodeToString(mustDecode(b64)[:len(mustDecode(b64))/2]), "truncated"},
		{"base64 of html", base64.StdEncoding.EncodeToString([]byte("<html></html>")), "<html>"},
		{"base64 of text", base64.StdEncoding.EncodeToString([]byte("just text")), "not XML"},
		{"HAR without posts", `{"log":{"entries":[{"request":{"method":"GET","url":"https://x/"}}]}}`, "none a POST carrying a SAMLResponse"},
		{"JSON that is no HAR", `{"foo":1}`, `without a "log"`},
		{"broken JSON", `{"log":`, "does not parse"},
		{"form without value", "SAMLResponse", "SAMLResponse=VALUE"},
		{"HAR with a bad value", `{"log":{"entries":[{"request":{"method":"POST","url":"https://signin.aws.amazon.com/saml","postData":{"text":"SAMLResponse=%%%"}}}]}}`, "entry 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Responses("capture.txt", []byte(tt.in))
			if err == nil {
				t.Fatal("Responses succeeded")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "capture.txt") || !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("Responses error = %q, want one line naming capture.txt and %q", msg, tt.want)
			}
		})
	}
}

func TestProviderMetadata(t *testing.T) {
	t.Parallel()
	md := seed(t, "metadata.xml")
	var esc bytes.Buffer
	_ = xmlEscape(&esc, md)
	apiXML := `<GetSAMLProviderResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetSAMLProviderResult><SAMLMetadataDocument>` +
		esc.String() + `</SAMLMetadataDocument><AssertionEncryptionMode>Required</AssertionEncryptionMode><PrivateKeyList><member><KeyId>K1</KeyId></member></PrivateKeyList></GetSAMLProviderResult></GetSAMLProviderResponse>`
	for _, tt := range []struct {
		name, form, mode string
		in               []byte
	}{
		{"xml", "metadata", "", md},
		{"cli json", "get-saml-provider-json", "Allowed", seed(t, "get-saml-provider.json")},
		{"api xml", "get-saml-provider-xml", "Required", []byte(apiXML)},
	} {
		p, err := ProviderMetadata("md", tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if p.Form != tt.form || p.AssertionEncryptionMode != tt.mode || !bytes.Equal(bytes.TrimSpace(p.Metadata), bytes.TrimSpace(md)) {
			t.Errorf("%s: form %q mode %q, metadata equal %v", tt.name, p.Form, p.AssertionEncryptionMode, bytes.Equal(bytes.TrimSpace(p.Metadata), bytes.TrimSpace(md)))
		}
	}
	for _, bad := range []string{"", "hello", "<html/>", `{"a":1}`, `{"SAMLMetadataDocument":"<x/>"}`, "<EntitiesDescriptor/>", "<EntityDescriptor"} {
		_, err := ProviderMetadata("md.xml", []byte(bad))
		if !errors.Is(err, ErrNotMetadata) || !strings.HasPrefix(err.Error(), "md.xml") {
			t.Errorf("ProviderMetadata(%q) = %v, want ErrNotMetadata naming md.xml", bad, err)
		}
	}
}

func TestRoleOrPolicy(t *testing.T) {
	t.Parallel()
	r, err := RoleOrPolicy("role.json", seed(t, "get-role.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "SAMLAdmin" || r.MaxSessionDuration != 3600 || !strings.Contains(r.TrustPolicy, `"SAML:aud"`) {
		t.Errorf("RoleOrPolicy = %+v", r)
	}
	enc := `{"Role":{"RoleName":"R","Arn":"arn:aws:iam::1:role/R","AssumeRolePolicyDocument":"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D"}}`
	if r, err := RoleOrPolicy("raw.json", []byte(enc)); err != nil || r.TrustPolicy != `{"Version":"2012-10-17","Statement":[]}` {
		t.Errorf("URL-encoded policy: %+v, %v", r, err)
	}
	if r, err := RoleOrPolicy("p.json", []byte(`{"Version":"2012-10-17","Statement":[]}`)); err != nil || r.TrustPolicy == "" {
		t.Errorf("bare policy: %+v, %v", r, err)
	}
	for _, bad := range []string{"", "Admin", `{"x":1}`, `{"Role":{"RoleName":"R"}}`, `{"Role":`} {
		if _, err := RoleOrPolicy("role.json", []byte(bad)); !errors.Is(err, ErrNotRole) {
			t.Errorf("RoleOrPolicy(%q) = %v, want ErrNotRole", bad, err)
		}
	}
}

func TestReadBounds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(500 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := ReadFile(big, 0); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), big) {
		t.Errorf("ReadFile(500 MB) = %v, want ErrTooLarge naming the file", err)
	}
	if _, err := ReadAll("stdin", strings.NewReader(strings.Repeat("x", 11)), 10); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadAll over the limit = %v", err)
	}
	if b, err := ReadAll("stdin", strings.NewReader("0123456789"), 10); err != nil || len(b) != 10 {
		t.Errorf("ReadAll at the limit = %d bytes, %v", len(b), err)
	}
	if _, err := ReadFile(dir, 0); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("ReadFile(dir) = %v", err)
	}
}

func TestFetchLoopback(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("<EntityDescriptor/>"))
	}))
	t.Cleanup(srv.Close)
	if b, err := FetchLoopback(t.Context(), srv.URL+"/metadata", 0); err != nil || string(b) != "<EntityDescriptor/>" {
		t.Errorf("FetchLoopback = %q, %v", b, err)
	}
	if _, err := FetchLoopback(t.Context(), srv.URL+"/missing", 0); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("FetchLoopback(404) = %v", err)
	}
	// 192.0.2.1 is TEST-NET-1: the dial is refused before any packet leaves.
	if _, err := FetchLoopback(t.Context(), "http://192.0.2.1/metadata", 0); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("FetchLoopback(off loopback) = %v, want ErrNotLoopback", err)
	}
}

// FuzzResponses: no input panics, and every response found decodes to an
// XML document whose root is a Response.
func FuzzResponses(f *testing.F) {
	for _, s := range []string{"response.b64", "form.txt", "autopost.html", "signin.har"} {
		f.Add(seed(f, s))
	}
	f.Add([]byte(`{"log":{"entries":[{"request":{"method":"POST","url":"u","postData":{"params":[{"name":"SAMLResponse","value":"PA=="}]}}}]}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		rs, err := Responses("fuzz", in)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz") {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		for _, r := range rs {
			raw, err := base64.StdEncoding.DecodeString(r.Base64)
			if err != nil || !bytes.Equal(raw, r.XML) || rootName(bytes.TrimSpace(raw)) != "Response" {
				t.Fatalf("response %q does not decode to a Response (%v)", r.Source, err)
			}
		}
	})
}

// FuzzProviderMetadata: no input panics; success means an EntityDescriptor.
func FuzzProviderMetadata(f *testing.F) {
	f.Add(seed(f, "metadata.xml"))
	f.Add(seed(f, "get-saml-provider.json"))
	f.Add(seed(f, "get-role.json"))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := ProviderMetadata("fuzz", in)
		if err == nil && rootName(bytes.TrimSpace(p.Metadata)) != "EntityDescriptor" {
			t.Fatalf("accepted metadata whose root is not EntityDescriptor")
		}
		_, _ = RoleOrPolicy("fuzz", in)
		_, _ = PrivateKeys("fuzz", in)
	})
}

func xmlEscape(w *bytes.Buffer, b []byte) error {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	_, err := w.WriteString(r.Replace(string(b)))
	return err
}

func mustDecode(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
