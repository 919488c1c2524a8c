package scenarios_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"testing"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/sts"
)

// A Response signature covers the EncryptedAssertion's ciphertext: STS checks
// it before decrypting, and the decrypted Assertion needs no signature of its
// own. These cases are built by the real IdP (sign the Response, encrypt the
// Assertion to the provider's uploaded key) and, for the attacks, changed
// after signing.
func TestResponseSignedOverEncryptedAssertion(t *testing.T) {
	t.Parallel()
	responseOnly, both := idp.Sign(false, true), idp.Sign(true, true)
	strict := sts.DefaultBehavior()
	strict.AcceptResponseSignature = false
	flipCipher := func(doc *etree.Document) {
		cv := doc.FindElement("//EncryptedData/CipherData/CipherValue")
		raw, _ := base64.StdEncoding.DecodeString(cv.Text())
		raw[len(raw)-20] ^= 0x01
		cv.SetText(base64.StdEncoding.EncodeToString(raw))
	}
	tests := []struct {
		name     string
		signing  idp.SigningOptions
		foreign  bool // the IdP signs with a key IAM never saw
		after    func(*etree.Document)
		behavior *sts.Behavior
		wantErr  string // "" accepts
	}{
		{name: "accept: Response signed, Assertion encrypted and unsigned", signing: responseOnly},
		{name: "accept: Response and Assertion both signed, Assertion encrypted", signing: both},
		{name: "reject: ciphertext changed after signing", signing: responseOnly, after: flipCipher, wantErr: "Response signature invalid"},
		{name: "reject: Response signed by a foreign key", signing: responseOnly, foreign: true, wantErr: "Response signature invalid"},
		{name: "reject: Response-only signature when assertions must be signed", signing: responseOnly, behavior: &strict, wantErr: "Response signature invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := labConfig()
			cfg.Behavior = tt.behavior
			lab, err := scenarios.NewLab(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := lab.RegisterProvider(); err != nil {
				t.Fatal(err)
			}
			target := uploadDecryptionKey(t, lab, "Required")
			signing := tt.signing
			opts := idp.ResponseOptions{Signing: &signing,
				Encryption: &idp.EncryptionOptions{Cert: target.Cert, Cipher: idp.CipherAES256CBC}}
			if tt.foreign {
				if opts.Key, err = lab.IDP.NewKeyPair(); err != nil {
					t.Fatal(err)
				}
			}
			doc, _, err := lab.IDP.ResponseDocument(lab.Users[scenarios.DefaultUser], opts)
			if err != nil {
				t.Fatal(err)
			}
			if doc.FindElement("//EncryptedAssertion") == nil || doc.FindElement("//Assertion") != nil {
				t.Fatalf("the IdP did not encrypt the assertion")
			}
			if tt.after != nil {
				tt.after(doc)
			}
			raw, err := doc.WriteToBytes()
			if err != nil {
				t.Fatal(err)
			}
			out, err := lab.STS.AssumeRoleWithSAML(t.Context(), sts.AssumeRoleWithSAMLInput{RoleARN: lab.RoleARN,
				PrincipalARN: lab.ProviderARN, SAMLAssertion: base64.StdEncoding.EncodeToString(raw)})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("AssumeRoleWithSAML = %v, want success", err)
				}
				if out.Subject != scenarios.DefaultUser {
					t.Errorf("Subject = %q, want %q from the decrypted assertion", out.Subject, scenarios.DefaultUser)
				}
				return
			}
			var ae *awsapi.Error
			if !errors.As(err, &ae) || ae.Code != awsapi.CodeInvalidIdentityToken || ae.Status != http.StatusBadRequest || ae.Message != tt.wantErr {
				t.Fatalf("AssumeRoleWithSAML = %v, want InvalidIdentityToken 400 %q", err, tt.wantErr)
			}
		})
	}
}
