package scenarios_test

import (
	"errors"
	"testing"

	"github.com/beevik/etree"

	"github.com/samlab-dev/samlab/idp"
	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/sts"
)

// SAML's attributes are unprefixed: a namespaced look-alike such as x:Name
// on the RoleSessionName attribute, signed by the real IdP, must not be read
// as its Name.
func TestPrefixedAttributeLookAlikesAreIgnored(t *testing.T) {
	t.Parallel()
	lab, err := scenarios.NewLab(labConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.RegisterProvider(); err != nil {
		t.Fatal(err)
	}
	resp, err := lab.IDP.AWSResponse(lab.Users[scenarios.DefaultUser], idp.ResponseOptions{
		EditAssertion: func(a *etree.Element) {
			for _, at := range a.FindElements(".//Attribute") {
				if at.SelectAttrValue("Name", "") == idp.AttrRoleSessionName {
					at.RemoveAttr("Name")
					at.CreateAttr("xmlns:x", "urn:example:lookalike")
					at.CreateAttr("x:Name", idp.AttrRoleSessionName)
				}
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = lab.STS.AssumeRoleWithSAML(t.Context(), sts.AssumeRoleWithSAMLInput{RoleARN: lab.RoleARN,
		PrincipalARN: lab.ProviderARN, SAMLAssertion: resp.Base64()})
	var ae *awsapi.Error
	if !errors.As(err, &ae) || ae.Code != awsapi.CodeInvalidIdentityToken || ae.Message != "RoleSessionName is required in AuthnResponse" {
		t.Fatalf("AssumeRoleWithSAML = %v, want InvalidIdentityToken \"RoleSessionName is required in AuthnResponse\"", err)
	}
}
