package scenarios_test

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/sts"
)

// dotNetIssuer is the entityID of the .NET IdP the response below imitates.
const dotNetIssuer = "http://sts.contoso.example/adfs/services/trust"

// dotNetTemplate is a response shaped like the one a .NET IdP signing with
// SignedXml's defaults sends: every namespace declared once on the Response
// (xsi and xsd too, used only inside attribute values), no whitespace
// between elements, the Assertion signed after its Issuer by an unprefixed
// Signature in the default namespace, and a comment inside the Assertion.
// Inclusive c14n signs the Response's declarations into the Assertion's
// digest; an exclusive-only verifier computes another digest.
const dotNetTemplate = `<samlp:Response ID="_6c3a4f8b-5b1e-4d1e-9c0a-1f2e3d4c5b6a" Version="2.0" IssueInstant="%[1]s" ` +
	`Destination="https://signin.aws.amazon.com/saml" xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ` +
	`xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
	`xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
	`<saml:Issuer>` + dotNetIssuer + `</saml:Issuer>` +
	`<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
	`<saml:Assertion ID="_d71a3a8e-9fcc-45c9-9d24-8ef7049393fc" Version="2.0" IssueInstant="%[1]s">` +
	`<saml:Issuer>` + dotNetIssuer + `</saml:Issuer>` +
	`<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">CONTOSO\alice</saml:NameID>` +
	`<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
	`<saml:SubjectConfirmationData NotOnOrAfter="%[2]s" Recipient="https://signin.aws.amazon.com/saml"/></saml:SubjectConfirmation></saml:Subject>` +
	`<saml:Conditions NotBefore="%[1]s" NotOnOrAfter="%[2]s"><saml:AudienceRestriction>` +
	`<saml:Audience>urn:amazon:webservices</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
	`<saml:AttributeStatement><!-- Contoso STS claim rules v2 -->` +
	`<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">` +
	`<saml:AttributeValue xsi:type="xsd:string">%[3]s</saml:AttributeValue></saml:Attribute>` +
	`<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">` +
	`<saml:AttributeValue xsi:type="xsd:string">alice@contoso.example</saml:AttributeValue></saml:Attribute>` +
	`</saml:AttributeStatement>` +
	`<saml:AuthnStatement AuthnInstant="%[1]s"><saml:AuthnContext><saml:AuthnContextClassRef>` +
	`urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
	`</saml:Assertion></samlp:Response>`

// dotNetResponse builds dotNetTemplate at now for role,provider and signs
// its Assertion with key (certificate der in KeyInfo) using inclusive
// C14N 1.0 for SignedInfo and the Reference, as SignedXml does. With
// comments, both algorithms are the WithComments variant; the digest still
// leaves the comment out, because a same-document Reference ("#id")
// selects its element without comments (XML Signature §4.4.3.3).
func dotNetResponse(t *testing.T, now time.Time, rolePair string, key *rsa.PrivateKey, der []byte, comments bool) []byte {
	t.Helper()
	doc := etree.NewDocument()
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
	if err := doc.ReadFromString(fmt.Sprintf(dotNetTemplate, ts(now), ts(now.Add(5*time.Minute)), rolePair)); err != nil {
		t.Fatal(err)
	}
	a := first(t, doc.Root(), "Assertion")
	ctx, err := dsig.NewSigningContext(key, [][]byte{der})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Prefix = ""
	ctx.Canonicalizer = dsig.MakeC14N10RecCanonicalizer()
	sig, err := ctx.ConstructSignature(a, true)
	if err != nil {
		t.Fatal(err)
	}
	a.InsertChildAt(first(t, a, "Issuer").Index()+1, sig)
	if comments {
		first(t, sig, "CanonicalizationMethod").CreateAttr("Algorithm", string(dsig.CanonicalXML10WithCommentsAlgorithmId))
		trs := all(sig, "Transform")
		trs[len(trs)-1].CreateAttr("Algorithm", string(dsig.CanonicalXML10WithCommentsAlgorithmId))
		// SignedInfo, canonicalized where it sits (goxmldsig's inclusive
		// canonicalizer adds the namespaces in scope), signed again.
		canonical, err := dsig.MakeC14N10WithCommentsCanonicalizer().Canonicalize(first(t, sig, "SignedInfo"))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := ctx.SignString(string(canonical))
		if err != nil {
			t.Fatal(err)
		}
		first(t, sig, "SignatureValue").SetText(base64.StdEncoding.EncodeToString(raw))
	}
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// xmlsecVerifyAssertion has xmlsec1 (libxml2's canonicalization, an
// implementation independent of samlab's and goxmldsig's) verify the
// Assertion's signature with the certificate's key.
func xmlsecVerifyAssertion(t *testing.T, bin string, doc, certDER []byte) error {
	t.Helper()
	dir := t.TempDir()
	certFile, docFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "response.xml")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(docFile, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), bin, "--verify", "--pubkey-cert-pem", certFile,
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", docFile).CombinedOutput()
	if err != nil {
		return fmt.Errorf("xmlsec1 --verify: %w\n%s", err, out)
	}
	return nil
}

// TestInclusiveC14NDotNetIdP registers a .NET-shaped IdP (negative-serial
// token-signing certificate) over the IAM API and assumes a role over the
// STS API (the AWS SDK against the lab on loopback) with a response signed
// with inclusive C14N 1.0, with and without comments. xmlsec1 first proves
// each response genuinely valid. With Behavior.InclusiveC14N off the same
// response is refused as AWS refuses a bad signature.
func TestInclusiveC14NDotNetIdP(t *testing.T) {
	t.Parallel()
	bin := requireXMLSec(t)
	key, err := certstest.New().Key(2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := certstest.NegativeSerialCertDER(key, "ADFS Signing - sts.contoso.example", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	md, err := metadata.Build(metadata.IDP{EntityID: dotNetIssuer, SSOURL: "https://sts.contoso.example/adfs/ls/",
		SigningCerts: []*x509.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	for _, comments := range []bool{false, true} {
		t.Run(fmt.Sprintf("comments=%v", comments), func(t *testing.T) {
			t.Parallel()
			l := newAWSLab(t, nil)
			if _, err := l.iamClient(l.adminCreds()).CreateSAMLProvider(t.Context(), &iamsdk.CreateSAMLProviderInput{
				Name: aws.String(scenarios.DefaultProviderName), SAMLMetadataDocument: aws.String(string(md))}); err != nil {
				t.Fatalf("CreateSAMLProvider: %v", err)
			}
			resp := dotNetResponse(t, l.lab.Clock.Now(), l.lab.RoleARN+","+l.lab.ProviderARN, key, der, comments)
			for _, want := range []string{`<CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315`,
				`<Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315`, `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">`} {
				if !strings.Contains(string(resp), want) {
					t.Fatalf("response lacks %s:\n%s", want, resp)
				}
			}
			if err := xmlsecVerifyAssertion(t, bin, []byte(strings.Replace(string(resp), "alice@contoso", "admin@contoso", 1)), der); err == nil {
				t.Fatal("xmlsec1 accepted the response with its RoleSessionName changed: it is not checking")
			}
			if err := xmlsecVerifyAssertion(t, bin, resp, der); err != nil {
				t.Fatalf("the test response is not a valid signature: %v", err)
			}
			out, err := l.stsClient(aws.AnonymousCredentials{}).AssumeRoleWithSAML(t.Context(), &stssdk.AssumeRoleWithSAMLInput{
				RoleArn: aws.String(l.lab.RoleARN), PrincipalArn: aws.String(l.lab.ProviderARN),
				SAMLAssertion: aws.String(base64.StdEncoding.EncodeToString(resp))})
			if err != nil {
				t.Fatalf("AssumeRoleWithSAML with an inclusive-c14n signature: %v", err)
			}
			if aws.ToString(out.Subject) != `CONTOSO\alice` || !strings.HasSuffix(aws.ToString(out.AssumedRoleUser.Arn), "/alice@contoso.example") {
				t.Errorf("AssumeRoleWithSAML = subject %q, ARN %q", aws.ToString(out.Subject), aws.ToString(out.AssumedRoleUser.Arn))
			}

			// The switch off: refused before any cryptography.
			b := sts.DefaultBehavior()
			b.InclusiveC14N = false
			cfg := labConfig()
			cfg.Behavior = &b
			strict, err := scenarios.NewLab(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := strict.Account.CreateSAMLProvider(scenarios.DefaultProviderName, md); err != nil {
				t.Fatal(err)
			}
			resp = dotNetResponse(t, strict.Clock.Now(), strict.RoleARN+","+strict.ProviderARN, key, der, comments)
			_, err = strict.STS.AssumeRoleWithSAML(t.Context(), sts.AssumeRoleWithSAMLInput{RoleARN: strict.RoleARN,
				PrincipalARN: strict.ProviderARN, SAMLAssertion: base64.StdEncoding.EncodeToString(resp)})
			var apiErr *awsapi.Error
			if !errors.As(err, &apiErr) || apiErr.Code != awsapi.CodeInvalidIdentityToken || apiErr.Message != "Response signature invalid" ||
				!errors.Is(err, sts.ErrAlgorithm) {
				t.Errorf("InclusiveC14N=false: AssumeRoleWithSAML = %v, want InvalidIdentityToken \"Response signature invalid\" (%v)", err, sts.ErrAlgorithm)
			}
		})
	}
}
