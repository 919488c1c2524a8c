package signin_test

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/signin"
	"github.com/samlab-dev/samlab/sp/sts"
)

const (
	accountID = "123456789012"
	entityID  = "https://idp.example/metadata"
	signInURL = "https://signin.aws.amazon.com/saml"
)

// clock is a settable clock shared by the account, STS and sign-in.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// lab is a real IAM account and STS behind the sign-in endpoint, served on
// loopback, with an IdP key whose metadata is registered as the provider.
type lab struct {
	clock       *clock
	log         *syncBuffer // the sign-in endpoint's log
	key         *certs.KeyPair
	sts         *sts.Service
	srv         *httptest.Server
	providerARN string
	admin       string // role ARNs
	readOnly    string
}

// newLab builds a lab; stsRand, when non-nil, is STS's source of randomness.
func newLab(t *testing.T, cfg signin.Config, stsRand ...io.Reader) *lab {
	t.Helper()
	keys := certstest.New()
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	kp, err := certs.New(certs.WithKeySource(keys), certs.WithSubject(entityID), certs.WithNow(clk.Now))
	if err != nil {
		t.Fatalf("certs.New: %v", err)
	}
	md, err := metadata.Build(metadata.IDP{EntityID: entityID, SSOURL: "https://idp.example/sso", SigningCerts: []*x509.Certificate{kp.Cert}})
	if err != nil {
		t.Fatalf("metadata.Build: %v", err)
	}
	acct := iam.NewAccount(iam.Config{ID: accountID, Now: clk.Now})
	prov, err := acct.CreateSAMLProvider("samlab", md)
	if err != nil {
		t.Fatalf("CreateSAMLProvider: %v", err)
	}
	l := &lab{clock: clk, key: kp, providerARN: prov.ARN, log: &syncBuffer{}}
	for _, name := range []string{"Admin", "ReadOnly"} {
		r, err := acct.CreateRole(iam.CreateRoleInput{Name: name, AssumeRolePolicyDocument: iam.SAMLTrustPolicy(prov.ARN)})
		if err != nil {
			t.Fatalf("CreateRole: %v", err)
		}
		if name == "Admin" {
			l.admin = r.ARN
		} else {
			l.readOnly = r.ARN
		}
	}
	sc := sts.Config{Account: acct, Now: clk.Now}
	if len(stsRand) > 0 {
		sc.Rand = stsRand[0]
	}
	if l.sts, err = sts.New(sc); err != nil {
		t.Fatalf("sts.New: %v", err)
	}
	cfg.STS = l.sts
	if cfg.Account == nil {
		cfg.Account = acct
	}
	cfg.Now = clk.Now
	cfg.Logger = slog.New(slog.NewTextHandler(l.log, nil))
	s, err := signin.New(cfg)
	if err != nil {
		t.Fatalf("signin.New: %v", err)
	}
	l.srv = httptest.NewServer(s)
	t.Cleanup(l.srv.Close)
	return l
}

// response returns a SAML Response for alice carrying the given role ARNs
// (each paired with the lab's provider), its Assertion signed by key (the
// registered key when nil), base64-encoded as the SAMLResponse form value.
func (l *lab) response(t *testing.T, key *certs.KeyPair, roles ...string) string {
	t.Helper()
	if key == nil {
		key = l.key
	}
	now := l.clock.Now()
	ts := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	var values strings.Builder
	for _, r := range roles {
		fmt.Fprintf(&values, `<saml:AttributeValue>%s,%s</saml:AttributeValue>`, r, l.providerARN)
	}
	doc := etree.NewDocument()
	err := doc.ReadFromString(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"` +
		` ID="` + newID(t) + `" Version="2.0" IssueInstant="` + ts(0) + `" Destination="` + signInURL + `">` +
		`<saml:Issuer>` + entityID + `</saml:Issuer>` +
		`<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
		`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="` + newID(t) + `" Version="2.0" IssueInstant="` + ts(0) + `">` +
		`<saml:Issuer>` + entityID + `</saml:Issuer>` +
		`<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">alice</saml:NameID>` +
		`<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
		`<saml:SubjectConfirmationData NotOnOrAfter="` + ts(5*time.Minute) + `" Recipient="` + signInURL + `"/></saml:SubjectConfirmation></saml:Subject>` +
		`<saml:Conditions NotBefore="` + ts(-time.Minute) + `" NotOnOrAfter="` + ts(5*time.Minute) + `">` +
		`<saml:AudienceRestriction><saml:Audience>https://signin.aws.amazon.com/saml</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
		`<saml:AuthnStatement AuthnInstant="` + ts(0) + `"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
		`<saml:AttributeStatement>` +
		`<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>alice</saml:AttributeValue></saml:Attribute>` +
		`<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">` + values.String() + `</saml:Attribute>` +
		`</saml:AttributeStatement></saml:Assertion></samlp:Response>`)
	if err != nil {
		t.Fatalf("parse response template: %v", err)
	}
	a := doc.Root().SelectElement("Assertion")
	ctx, err := dsig.NewSigningContext(key.Key, [][]byte{key.Cert.Raw})
	if err != nil {
		t.Fatalf("signing context: %v", err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	sig, err := ctx.ConstructSignature(a, true)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	a.InsertChildAt(a.SelectElement("Issuer").Index()+1, sig)
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return base64.StdEncoding.EncodeToString(out)
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

func newID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "_" + hex.EncodeToString(b)
}

// browser keeps cookies like a browser and does not follow redirects. It
// sends requests through the transport directly: http.Client refuses to
// return a response whose Location does not parse, and the open-redirect
// tests need to see exactly such a Location.
type browser struct {
	t   *testing.T
	jar http.CookieJar
	rt  http.RoundTripper
	srv *httptest.Server
}

func (l *lab) browser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, jar: jar, rt: l.srv.Client().Transport, srv: l.srv}
}

type page struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (b *browser) do(method, path string, form url.Values) page {
	b.t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(form.Encode())
	} else if form != nil {
		path += "?" + form.Encode()
	}
	req, err := http.NewRequestWithContext(b.t.Context(), method, b.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range b.jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	resp, err := b.rt.RoundTrip(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	b.jar.SetCookies(req.URL, resp.Cookies())
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(out), header: resp.Header}
}

func (b *browser) post(path string, form url.Values) page { return b.do(http.MethodPost, path, form) }
func (b *browser) get(path string, form url.Values) page  { return b.do(http.MethodGet, path, form) }
