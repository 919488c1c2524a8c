package scenarios_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
	"github.com/samlab-dev/samlab/sp/sts"
)

// These tests pin AssumeRoleWithSAML to the validation table of
// docs/aws-behavior.md (§4, plus §3 and §5-§7): for every row, a request that only
// just passes the check and one that fails it, with AWS's code, HTTP status
// and message compared exactly. Wrong responses are built by editing the
// Assertion before the IdP signs it, so every rejection below other than
// row 6's is of a validly signed response.

// rowStart is the lab clock's start for these tests.
var rowStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// rowRequestID is the request ID sent with every call, so that messages
// carrying one are deterministic.
const rowRequestID = "c6104cbe-af31-11e0-8154-cbc7ccf896c7"

const (
	nsSAML         = "urn:oasis:names:tc:SAML:2.0:assertion"
	attrRole       = "https://aws.amazon.com/SAML/Attributes/Role"
	attrSession    = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	attrSourceID   = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
	attrDuration   = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	attrTagPrefix  = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
	attrTransitive = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
	msgDenied      = "Not authorized to perform sts:AssumeRoleWithSAML"
)

// rowCase is one request against a fresh lab.
type rowCase struct {
	row, name string
	// behavior replaces sts.DefaultBehavior() when non-nil.
	behavior *sts.Behavior
	// setup runs after the provider is registered (roles, provider changes).
	setup func(t *testing.T, l *scenarios.Lab)
	// user and opts adjust the IdP's response; edit is its EditAssertion.
	user func(l *scenarios.Lab, u *idp.User)
	opts func(l *scenarios.Lab, o *idp.ResponseOptions)
	edit func(a *etree.Element)
	// advance moves the lab clock between issuing and redeeming.
	advance time.Duration
	// input adjusts the AssumeRoleWithSAML request.
	input func(l *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput)
	// want is the expected error; nil means the request must succeed.
	want *awsapi.Error
	// check inspects a successful result.
	check func(t *testing.T, l *scenarios.Lab, out *sts.AssumeRoleWithSAMLOutput)
}

func rejected(code awsapi.Code, status int, msg string) *awsapi.Error {
	return &awsapi.Error{Code: code, Status: status, Message: msg}
}

func invalidToken(msg string) *awsapi.Error {
	return rejected(awsapi.CodeInvalidIdentityToken, http.StatusBadRequest, msg)
}

// discovery is a message of AWS's discovery back end, which carries a
// Java-SDK-style suffix with the request ID.
func discovery(msg, exception string) *awsapi.Error {
	return invalidToken(msg + " (Service: AWSOpenIdDiscoveryService; Status Code: 400; Error Code: " + exception +
		"; Request ID: " + rowRequestID + "; Proxy: null)")
}

// call makes the AssumeRoleWithSAML request, in process or over HTTP.
type call func(t *testing.T, l *scenarios.Lab, in sts.AssumeRoleWithSAMLInput) (*sts.AssumeRoleWithSAMLOutput, *awsapi.Error, error)

// direct calls the service in process.
func direct(t *testing.T, l *scenarios.Lab, in sts.AssumeRoleWithSAMLInput) (*sts.AssumeRoleWithSAMLOutput, *awsapi.Error, error) {
	out, err := l.STS.AssumeRoleWithSAML(t.Context(), in)
	var apiErr *awsapi.Error
	if err != nil && !errors.As(err, &apiErr) {
		return nil, nil, err
	}
	return out, apiErr, nil
}

func (c rowCase) run(t *testing.T, do call) {
	t.Helper()
	cfg := labConfig()
	cfg.Start = rowStart
	cfg.Behavior = c.behavior
	l, err := scenarios.NewLab(cfg)
	if err != nil {
		t.Fatalf("NewLab: %v", err)
	}
	if err := l.RegisterProvider(); err != nil {
		t.Fatalf("RegisterProvider: %v", err)
	}
	if c.setup != nil {
		c.setup(t, l)
	}
	u := l.Users[scenarios.DefaultUser]
	if c.user != nil {
		c.user(l, &u)
	}
	opts := idp.ResponseOptions{EditAssertion: c.edit}
	if c.opts != nil {
		c.opts(l, &opts)
	}
	resp, err := l.IDP.AWSResponse(u, opts)
	if err != nil {
		t.Fatalf("AWSResponse: %v", err)
	}
	l.Clock.Advance(c.advance)
	in := sts.AssumeRoleWithSAMLInput{RoleARN: l.RoleARN, PrincipalARN: l.ProviderARN,
		SAMLAssertion: resp.Base64(), RequestID: rowRequestID}
	if c.input != nil {
		c.input(l, &in)
	}
	out, got, err := do(t, l, in)
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML() = %v, want an AWS error or success", err)
	}
	if c.want == nil {
		if got != nil {
			t.Fatalf("AssumeRoleWithSAML() = %v, want success", got)
		}
		if c.check != nil && out != nil {
			c.check(t, l, out)
		}
		return
	}
	if got == nil {
		t.Fatalf("AssumeRoleWithSAML() succeeded, want %s %q", c.want.Code, c.want.Message)
	}
	if got.Code != c.want.Code || got.Status != c.want.Status || got.Message != c.want.Message {
		t.Errorf("AssumeRoleWithSAML() = %s %d %q\nwant                   %s %d %q\ncause: %v",
			got.Code, got.Status, got.Message, c.want.Code, c.want.Status, c.want.Message, got.Err)
	}
}

// runRows runs every case in process and through the real aws-sdk-go-v2 STS
// client against the lab served over HTTP, which must see the same code,
// status and message (with the server's request ID in the suffix).
func runRows(t *testing.T, cases []rowCase) {
	t.Helper()
	for _, c := range cases {
		t.Run("row "+c.row+"/"+c.name, func(t *testing.T) {
			t.Parallel()
			t.Run("direct", func(t *testing.T) { t.Parallel(); c.run(t, direct) })
			t.Run("sdk", func(t *testing.T) { t.Parallel(); c.run(t, viaSDK) })
		})
	}
}

// Assertion surgery, applied before signing.

func firstChild(el *etree.Element, local string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if c.Tag == local {
			return c
		}
	}
	return nil
}

func path(el *etree.Element, locals ...string) *etree.Element {
	for _, l := range locals {
		el = firstChild(el, l)
	}
	return el
}

func scd(a *etree.Element) *etree.Element {
	return path(a, "Subject", "SubjectConfirmation", "SubjectConfirmationData")
}

// setAttribute replaces (or adds) the AttributeStatement's attribute name
// with vals.
func setAttribute(a *etree.Element, name string, vals ...string) {
	st := firstChild(a, "AttributeStatement")
	if st == nil {
		st = a.CreateElement("saml:AttributeStatement")
	}
	var at *etree.Element
	for _, c := range st.ChildElements() {
		if c.SelectAttrValue("Name", "") == name {
			at = c
		}
	}
	if at == nil {
		at = st.CreateElement("saml:Attribute")
		at.CreateAttr("Name", name)
	}
	for _, v := range at.ChildElements() {
		at.RemoveChild(v)
	}
	for _, v := range vals {
		at.CreateElement("saml:AttributeValue").SetText(v)
	}
}

func removeAttribute(a *etree.Element, name string) {
	st := firstChild(a, "AttributeStatement")
	for _, c := range st.ChildElements() {
		if c.SelectAttrValue("Name", "") == name {
			st.RemoveChild(c)
		}
	}
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// addRole creates a role the default user may assume through the lab's
// provider, and returns its ARN.
func addRole(t *testing.T, l *scenarios.Lab, in iam.CreateRoleInput) string {
	t.Helper()
	if in.AssumeRolePolicyDocument == "" {
		in.AssumeRolePolicyDocument = iam.SAMLTrustPolicy(l.ProviderARN)
	}
	r, err := l.Account.CreateRole(in)
	if err != nil {
		t.Fatalf("CreateRole(%s): %v", in.Name, err)
	}
	return r.ARN
}

// trustPolicy is a one-statement trust policy for the provider.
func trustPolicy(provider, actions, condition string) string {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":` + actions
	if condition != "" {
		doc += `,"Condition":` + condition
	}
	return doc + `}]}`
}

// withRole makes the request and the user's Role attribute use a role
// created by setup under name.
func withRole(name string, in iam.CreateRoleInput) (func(*testing.T, *scenarios.Lab), func(*scenarios.Lab, *idp.User), func(*scenarios.Lab, *sts.AssumeRoleWithSAMLInput)) {
	in.Name = name
	setup := func(t *testing.T, l *scenarios.Lab) {
		role := in // each run gets its own copy: cases run in parallel
		role.AssumeRolePolicyDocument = strings.ReplaceAll(role.AssumeRolePolicyDocument, "PROVIDER", l.ProviderARN)
		addRole(t, l, role)
	}
	path := in.Path
	if path == "" {
		path = "/"
	}
	user := func(l *scenarios.Lab, u *idp.User) {
		u.Roles = []idp.Role{{RoleARN: l.Account.RoleARN(path, name), ProviderARN: l.ProviderARN}}
	}
	input := func(l *scenarios.Lab, r *sts.AssumeRoleWithSAMLInput) { r.RoleARN = l.Account.RoleARN(path, name) }
	return setup, user, input
}

// uploadDecryptionKey gives the lab's SAML provider a new private key for
// encrypted assertions (UpdateSAMLProvider AddPrivateKey) and sets its
// AssertionEncryptionMode; it returns the key pair whose certificate the IdP
// should encrypt to.
func uploadDecryptionKey(t *testing.T, l *scenarios.Lab, mode string) *certs.KeyPair {
	t.Helper()
	kp, err := l.IDP.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	pemKey, err := encodeKey(kp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Account.UpdateProvider(iam.UpdateSAMLProviderInput{ARN: l.ProviderARN, AddPrivateKey: pemKey}); err != nil {
		t.Fatalf("add private key: %v", err)
	}
	if _, err := l.Account.UpdateProvider(iam.UpdateSAMLProviderInput{ARN: l.ProviderARN, AssertionEncryptionMode: mode}); err != nil {
		t.Fatalf("set %s: %v", mode, err)
	}
	return kp
}

func encodeKey(kp *certs.KeyPair) (string, error) {
	b, err := certs.EncodeKeyPEM(kp.Key)
	return string(b), err
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func behavior(edit func(*sts.Behavior)) *sts.Behavior {
	b := sts.DefaultBehavior()
	edit(&b)
	return &b
}

func TestAssumeRoleWithSAMLRequestRows(t *testing.T) {
	t.Parallel()
	otherProvider := "arn:aws:iam::123456789012:saml-provider/nobody"
	runRows(t, []rowCase{
		{row: "1", name: "accept: DurationSeconds 900, the minimum",
			input: func(_ *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) { d := 900; in.DurationSeconds = &d },
			check: func(t *testing.T, l *scenarios.Lab, out *sts.AssumeRoleWithSAMLOutput) {
				if got, want := out.Credentials.Expiration, l.Clock.Now().Add(900*time.Second); !got.Equal(want) {
					t.Errorf("Expiration = %s, want %s", got, want)
				}
			}},
		{row: "1", name: "reject: DurationSeconds 600",
			input: func(_ *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) { d := 600; in.DurationSeconds = &d },
			want: rejected(awsapi.CodeValidation, http.StatusBadRequest,
				"1 validation error detected: Value '600' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900")},
		{row: "1", name: "reject: SAMLAssertion shorter than 4",
			input: func(_ *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) { in.SAMLAssertion = "PD4" },
			want: rejected(awsapi.CodeValidation, http.StatusBadRequest,
				"1 validation error detected: Value at 'sAMLAssertion' failed to satisfy constraint: Member must have length greater than or equal to 4")},
		{row: "2", name: "reject: PrincipalArn is a role ARN",
			input: func(l *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) { in.PrincipalARN = l.RoleARN },
			want:  rejected(awsapi.CodeValidation, http.StatusBadRequest, "Principal ARN is invalid")},
		{row: "2", name: "reject: role and provider swapped reports the principal first",
			input: func(l *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) {
				in.RoleARN, in.PrincipalARN = in.PrincipalARN, in.RoleARN
			},
			want: rejected(awsapi.CodeValidation, http.StatusBadRequest, "Principal ARN is invalid")},
		{row: "2", name: "reject: RoleArn is a provider ARN",
			input: func(l *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) { in.RoleARN = l.ProviderARN },
			want:  rejected(awsapi.CodeValidation, http.StatusBadRequest, "Request ARN is invalid")},
		{row: "3", name: "accept: base64 wrapped at 76 characters with CRLF",
			input: func(_ *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) {
				var sb strings.Builder
				for v := in.SAMLAssertion; v != ""; {
					n := min(76, len(v))
					sb.WriteString(v[:n] + "\r\n")
					v = v[n:]
				}
				in.SAMLAssertion = sb.String()
			}},
		{row: "3", name: "reject: not base64",
			input: func(_ *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) { in.SAMLAssertion = "base64SAML!" },
			want:  discovery("Invalid base64 SAMLResponse", "AuthSamlInvalidSamlResponseException")},
		{row: "3", name: "reject: base64 of text that is not XML",
			input: func(_ *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) { in.SAMLAssertion = b64("hello, AWS") },
			want:  discovery("Invalid SAML Response", "AuthSamlInvalidSamlResponseException")},
		{row: "3", name: "reject: a bare Assertion, not a Response",
			input: func(_ *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) {
				raw, _ := base64.StdEncoding.DecodeString(in.SAMLAssertion)
				doc := etree.NewDocument()
				if err := doc.ReadFromBytes(raw); err == nil {
					a := firstChild(doc.Root(), "Assertion")
					out := etree.NewDocument()
					out.SetRoot(a.Copy())
					s, _ := out.WriteToString()
					in.SAMLAssertion = b64(s)
				}
			},
			want: discovery("Invalid SAML Response", "AuthSamlInvalidSamlResponseException")},
		{row: "4", name: "reject: unknown provider is reported before the assertion is decoded",
			input: func(_ *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) {
				in.PrincipalARN, in.SAMLAssertion = otherProvider, "base64SAML"
			},
			want: discovery("Specified provider doesn't exist", "AuthSamlManifestNotFoundException")},
		{row: "4", name: "reject: unknown provider with a valid response",
			input: func(_ *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) { in.PrincipalARN = otherProvider },
			want:  discovery("Specified provider doesn't exist", "AuthSamlManifestNotFoundException")},
		{row: "4", name: "reject: provider deleted after the role was made",
			setup: func(t *testing.T, l *scenarios.Lab) {
				if err := l.Account.DeleteSAMLProvider(l.ProviderARN); err != nil {
					t.Fatal(err)
				}
			},
			want: discovery("Specified provider doesn't exist", "AuthSamlManifestNotFoundException")},
		{row: "21", name: "accept: session policy and policy ARNs give PackedPolicySize",
			input: func(_ *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) {
				in.Policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
				in.PolicyARNs = []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}
			},
			check: func(t *testing.T, _ *scenarios.Lab, out *sts.AssumeRoleWithSAMLOutput) {
				// 88 compacted policy bytes + 38 ARN bytes of 2048.
				if out.PackedPolicySize == nil || *out.PackedPolicySize != 7 {
					t.Errorf("PackedPolicySize = %v, want 7", out.PackedPolicySize)
				}
			}},
		{row: "20", name: "reject: session policy is not JSON",
			input: func(_ *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) { in.Policy = `{"Version":"2012-10-17",` },
			want:  rejected(awsapi.CodeMalformedPolicyDocument, http.StatusBadRequest, "The policy is not in the valid JSON format.")},
		{row: "21", name: "reject: policy and tags over the packed limit",
			user: func(_ *scenarios.Lab, u *idp.User) {
				u.PrincipalTags = map[string]string{"team": strings.Repeat("b", 200)}
			},
			input: func(_ *scenarios.Lab, in *sts.AssumeRoleWithSAMLInput) {
				in.Policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` +
					strings.Repeat("x", 1900) + `"}]}`
			},
			want: rejected(awsapi.CodePackedPolicyTooLarge, http.StatusBadRequest,
				"Packed policy consumes 109% of allotted space, please use smaller policy.")},
		{row: "21", name: "reject: tags alone over the packed limit",
			user: func(_ *scenarios.Lab, u *idp.User) {
				u.PrincipalTags = map[string]string{}
				for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"} {
					u.PrincipalTags[k] = strings.Repeat("v", 250)
				}
			},
			want: rejected(awsapi.CodePackedPolicyTooLarge, http.StatusBadRequest, "Packed size of session tags consumes 111% of allotted space.")},
	})
}

func TestAssumeRoleWithSAMLDocumentRows(t *testing.T) {
	t.Parallel()
	setIssuer := func(v string) func(*etree.Element) {
		return func(a *etree.Element) { firstChild(a, "Issuer").SetText(v) }
	}
	runRows(t, []rowCase{
		{row: "5", name: "reject: Response and Assertion issued by another entity",
			edit: setIssuer("https://other.example/idp"),
			opts: func(_ *scenarios.Lab, o *idp.ResponseOptions) {
				o.EditResponse = func(r *etree.Element) { firstChild(r, "Issuer").SetText("https://other.example/idp") }
			},
			want: discovery("Issuer not present in specified provider", "AuthSamlInvalidSamlResponseException")},
		{row: "5", name: "reject: signed Assertion issued by another entity under the right Response Issuer",
			edit: setIssuer("https://other.example/idp"),
			want: discovery("Issuer not present in specified provider", "AuthSamlInvalidSamlResponseException")},
		{row: "5", name: "accept: Response without an Issuer, Assertion's is the provider's",
			opts: func(_ *scenarios.Lab, o *idp.ResponseOptions) {
				o.EditResponse = func(r *etree.Element) { r.RemoveChild(firstChild(r, "Issuer")) }
			},
			check: func(t *testing.T, _ *scenarios.Lab, out *sts.AssumeRoleWithSAMLOutput) {
				if out.Issuer != scenarios.DefaultEntityID {
					t.Errorf("Issuer = %q, want %q", out.Issuer, scenarios.DefaultEntityID)
				}
			}},
		{row: "6", name: "reject: signed with a key the metadata never published",
			opts: func(l *scenarios.Lab, o *idp.ResponseOptions) {
				kp, err := l.IDP.NewKeyPair()
				if err == nil {
					o.Key = kp
				}
			},
			want: invalidToken("Response signature invalid")},
		{row: "6", name: "reject: signed value changed afterwards",
			opts: func(_ *scenarios.Lab, o *idp.ResponseOptions) {
				o.EditResponse = func(r *etree.Element) {
					a := firstChild(r, "Assertion")
					for _, at := range firstChild(a, "AttributeStatement").ChildElements() {
						if at.SelectAttrValue("Name", "") == attrSession {
							firstChild(at, "AttributeValue").SetText("mallory")
						}
					}
				}
			},
			want: invalidToken("Response signature invalid")},
		{row: "6", name: "reject: nothing signed",
			opts: func(_ *scenarios.Lab, o *idp.ResponseOptions) {
				f := false
				o.Signing = &idp.SigningOptions{SignAssertion: &f, SignResponse: &f}
			},
			want: invalidToken("Response signature invalid")},
		{row: "6", name: "accept: Response signed, Assertion not",
			opts: func(_ *scenarios.Lab, o *idp.ResponseOptions) {
				f, tr := false, true
				o.Signing = &idp.SigningOptions{SignAssertion: &f, SignResponse: &tr}
			}},
		{row: "6", name: "reject: Response-only signature when the assertion must be signed",
			behavior: behavior(func(b *sts.Behavior) { b.AcceptResponseSignature = false }),
			opts: func(_ *scenarios.Lab, o *idp.ResponseOptions) {
				f, tr := false, true
				o.Signing = &idp.SigningOptions{SignAssertion: &f, SignResponse: &tr}
			},
			want: invalidToken("Response signature invalid")},
		{row: "6", name: "accept: RSA-SHA1 by default",
			opts: func(_ *scenarios.Lab, o *idp.ResponseOptions) {
				o.Signing = &idp.SigningOptions{SignatureMethod: idp.SignatureRSASHA1, DigestMethod: idp.DigestSHA1}
			}},
		{row: "6", name: "reject: RSA-SHA1 when SHA-1 is refused",
			behavior: behavior(func(b *sts.Behavior) { b.AllowSHA1 = false }),
			opts: func(_ *scenarios.Lab, o *idp.ResponseOptions) {
				o.Signing = &idp.SigningOptions{SignatureMethod: idp.SignatureRSASHA1, DigestMethod: idp.DigestSHA1}
			},
			want: invalidToken("Response signature invalid")},
		{row: "7", name: "reject: plaintext assertion to a provider that requires encryption",
			setup: func(t *testing.T, l *scenarios.Lab) { uploadDecryptionKey(t, l, "Required") },
			want:  invalidToken("Assertion must be encrypted for this provider")},
		{row: "7", name: "accept: plaintext assertion when encryption is Allowed",
			setup: func(t *testing.T, l *scenarios.Lab) {
				if _, err := l.Account.UpdateProvider(iam.UpdateSAMLProviderInput{ARN: l.ProviderARN, AssertionEncryptionMode: "Allowed"}); err != nil {
					t.Fatalf("set Allowed: %v", err)
				}
			}},
		encrypted("accept: encrypted with AES-256-CBC to a provider that requires encryption", idp.CipherAES256CBC, "Required", true, nil),
		encrypted("accept: encrypted with AES-128-GCM, encryption Allowed", idp.CipherAES128GCM, "Allowed", true, nil),
		encrypted("reject: encrypted for a key the provider does not hold", idp.CipherAES256CBC, "Allowed", false,
			invalidToken("Failed to decrypt the encrypted assertion")),
		{row: "7", name: "reject: encrypted assertion to a provider without private keys",
			opts: func(l *scenarios.Lab, o *idp.ResponseOptions) {
				kp, err := l.IDP.NewKeyPair()
				if err == nil {
					o.Encryption = &idp.EncryptionOptions{Cert: kp.Cert, Cipher: idp.CipherAES256CBC}
				}
			},
			want: invalidToken("Encrypted assertions are not supported by this provider")},
	})
}

// encrypted is a row-7 case: the provider gets a private key and the given
// AssertionEncryptionMode; the IdP encrypts the signed Assertion for that
// key's certificate (uploaded) or for another one (!uploaded).
func encrypted(name, cipher, mode string, uploaded bool, want *awsapi.Error) rowCase {
	var targets sync.Map // *scenarios.Lab → *certs.KeyPair: runs are parallel
	return rowCase{row: "7", name: name, want: want,
		setup: func(t *testing.T, l *scenarios.Lab) {
			kp := uploadDecryptionKey(t, l, mode)
			target := kp
			var err error
			if !uploaded {
				if target, err = l.IDP.NewKeyPair(); err != nil {
					t.Fatal(err)
				}
			}
			targets.Store(l, target)
		},
		opts: func(l *scenarios.Lab, o *idp.ResponseOptions) {
			v, _ := targets.Load(l)
			o.Encryption = &idp.EncryptionOptions{Cert: v.(*certs.KeyPair).Cert, Cipher: cipher}
		},
		check: func(t *testing.T, _ *scenarios.Lab, out *sts.AssumeRoleWithSAMLOutput) {
			if out.Subject != scenarios.DefaultUser {
				t.Errorf("Subject = %q, want %q from the decrypted assertion", out.Subject, scenarios.DefaultUser)
			}
		}}
}

func TestAssumeRoleWithSAMLTimeRows(t *testing.T) {
	t.Parallel()
	lifetime := func(d time.Duration) func(*scenarios.Lab, *idp.ResponseOptions) {
		return func(_ *scenarios.Lab, o *idp.ResponseOptions) { o.Lifetime = d }
	}
	expired := rejected(awsapi.CodeExpiredTokenException, http.StatusBadRequest, "Response has expired")
	redeem := rejected(awsapi.CodeExpiredTokenException, http.StatusBadRequest, "Token must be redeemed within 5 minutes of issuance")
	runRows(t, []rowCase{
		{row: "8", name: "accept: Conditions NotOnOrAfter passed by less than the clock skew",
			opts: lifetime(2 * time.Minute), advance: 2*time.Minute + 59*time.Second},
		{row: "8", name: "reject: Conditions NotOnOrAfter passed by the clock skew",
			opts: lifetime(2 * time.Minute), advance: 3 * time.Minute, want: expired},
		{row: "8", name: "reject: SubjectConfirmationData NotOnOrAfter passed, Conditions still valid",
			opts:    lifetime(time.Hour),
			edit:    func(a *etree.Element) { scd(a).CreateAttr("NotOnOrAfter", stamp(rowStart.Add(time.Minute))) },
			advance: 2 * time.Minute, want: expired},
		{row: "8", name: "reject: with zero skew, NotOnOrAfter itself is too late",
			behavior: behavior(func(b *sts.Behavior) { b.ClockSkew = 0 }),
			opts:     lifetime(2 * time.Minute), advance: 2 * time.Minute, want: expired},
		{row: "8", name: "reject: a 60-second Keycloak assertion reused within a 5-minute cache",
			opts: lifetime(time.Minute), advance: 4 * time.Minute, want: expired},
		{row: "9", name: "accept: redeemed exactly 5 minutes after issuance",
			opts: lifetime(time.Hour), advance: 5 * time.Minute},
		{row: "9", name: "reject: redeemed 5 minutes and 1 second after issuance",
			opts: lifetime(time.Hour), advance: 5*time.Minute + time.Second, want: redeem},
		{row: "9", name: "reject: the default 5-minute assertion reports expiry first",
			advance: 6 * time.Minute, want: expired},
		{row: "10", name: "accept: NotBefore in the future within the clock skew",
			edit: func(a *etree.Element) {
				firstChild(a, "Conditions").CreateAttr("NotBefore", stamp(rowStart.Add(59*time.Second)))
			}},
		{row: "10", name: "reject: NotBefore in the future beyond the clock skew",
			edit: func(a *etree.Element) {
				firstChild(a, "Conditions").CreateAttr("NotBefore", stamp(rowStart.Add(2*time.Minute)))
			},
			want: invalidToken("Response is not yet valid")},
	})
}

func TestAssumeRoleWithSAMLReplay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		b    *sts.Behavior
		want *awsapi.Error
	}{
		{"accept: reused within its validity window (AWS default)", nil, nil},
		{"reject: reused under Behavior.SingleUse", behavior(func(b *sts.Behavior) { b.SingleUse = true }),
			invalidToken("Assertion has already been redeemed")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := labConfig()
			cfg.Start, cfg.Behavior = rowStart, tt.b
			l, err := scenarios.NewLab(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.RegisterProvider(); err != nil {
				t.Fatal(err)
			}
			resp, err := l.IDP.AWSResponse(l.Users[scenarios.DefaultUser], idp.ResponseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			in := sts.AssumeRoleWithSAMLInput{RoleARN: l.RoleARN, PrincipalARN: l.ProviderARN, SAMLAssertion: resp.Base64(), RequestID: rowRequestID}
			first, err := l.STS.AssumeRoleWithSAML(t.Context(), in)
			if err != nil {
				t.Fatalf("first AssumeRoleWithSAML() = %v", err)
			}
			l.Clock.Advance(time.Minute)
			second, err := l.STS.AssumeRoleWithSAML(t.Context(), in)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("second AssumeRoleWithSAML() = %v, want success", err)
				}
				if first.Credentials.AccessKeyID == second.Credentials.AccessKeyID {
					t.Errorf("both calls returned access key %s, want distinct sessions", first.Credentials.AccessKeyID)
				}
				return
			}
			var got *awsapi.Error
			if !errors.As(err, &got) || got.Code != tt.want.Code || got.Status != tt.want.Status || got.Message != tt.want.Message {
				t.Errorf("second AssumeRoleWithSAML() = %v, want %s %d %q", err, tt.want.Code, tt.want.Status, tt.want.Message)
			}
		})
	}
}
