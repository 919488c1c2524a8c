//go:debug x509negativeserial=1

package scenarios_test

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/metadata"
	"github.com/samlab-dev/samlab/scenarios"
)

// TestNegativeSerialIdP registers an IdP whose signing certificate has a
// negative serial number (shaped like a .NET IdP's) and assumes a role with
// a response it signed, the certificate in the signature's KeyInfo: both the
// metadata and the signature must be read. The directive above is the
// setting the samlab program carries in cmd/samlab.
func TestNegativeSerialIdP(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	l := newAWSLab(t, nil)
	key, err := certstest.New().Key(2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := certstest.NegativeSerialCertDER(key, "ADFS Signing - adfs.example.com", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil || cert.SerialNumber.Sign() >= 0 {
		t.Fatalf("negative-serial certificate: %v, serial %v", err, cert)
	}
	md, err := metadata.Build(metadata.IDP{EntityID: l.lab.IDP.EntityID(), SSOURL: "https://adfs.example.com/adfs/ls/",
		SigningCerts: []*x509.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	admin := l.iamClient(l.adminCreds())
	if _, err := admin.CreateSAMLProvider(ctx, &iamsdk.CreateSAMLProviderInput{Name: aws.String(scenarios.DefaultProviderName),
		SAMLMetadataDocument: aws.String(string(md))}); err != nil {
		t.Fatalf("CreateSAMLProvider with a negative-serial certificate: %v", err)
	}
	resp, err := l.lab.IDP.AWSResponse(l.lab.Users[scenarios.DefaultUser], idp.ResponseOptions{Key: &certs.KeyPair{Key: key, Cert: cert}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := l.stsClient(aws.AnonymousCredentials{}).AssumeRoleWithSAML(ctx, &stssdk.AssumeRoleWithSAMLInput{
		RoleArn: aws.String(l.lab.RoleARN), PrincipalArn: aws.String(l.lab.ProviderARN), SAMLAssertion: aws.String(resp.Base64())})
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML signed by the negative-serial key: %v", err)
	}
	if out.Credentials == nil || aws.ToString(out.Credentials.AccessKeyId) == "" {
		t.Errorf("AssumeRoleWithSAML issued no credentials: %+v", out)
	}
}
