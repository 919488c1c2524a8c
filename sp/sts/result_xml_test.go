package sts

import (
	"bytes"
	"encoding/xml"
	"testing"
)

// TestAssumeRoleWithSAMLResultXML checks that the result's hand-written
// rendering is byte for byte what encoding/xml writes for the struct.
func TestAssumeRoleWithSAMLResultXML(t *testing.T) {
	size := 7
	full := assumeRoleWithSAMLResult{Audience: "https://signin.aws.amazon.com/saml", Subject: "alice <&> \"o'neil\"\n",
		NameQualifier: "Xk2+/=", SubjectType: "persistent", Issuer: "https://idp.example/\xff\t", PackedPolicySize: &size,
		SourceIdentity: "é"}
	full.AssumedRoleUser.ARN, full.AssumedRoleUser.AssumedRoleID = "arn:aws:sts::123456789012:assumed-role/A/alice", "AROA:alice"
	full.Credentials.AccessKeyID, full.Credentials.SecretAccessKey = "ASIAEXAMPLE", "s/e+c="
	full.Credentials.SessionToken, full.Credentials.Expiration = "FwoG+/==", "2030-01-01T00:00:00Z"
	for _, r := range []assumeRoleWithSAMLResult{{}, full} {
		type plain assumeRoleWithSAMLResult // encoding/xml's rendering: no AppendXML method
		want, err := xml.Marshal(struct {
			XMLName xml.Name `xml:"R"`
			plain
		}{plain: plain(r)})
		if err != nil {
			t.Fatal(err)
		}
		want = bytes.TrimSuffix(bytes.TrimPrefix(want, []byte("<R>")), []byte("</R>"))
		if !bytes.HasPrefix(want, []byte("<Audience>")) || !bytes.Contains(want, []byte("<Credentials><AccessKeyId>")) {
			t.Fatalf("encoding/xml rendered an unexpected shape: %s", want)
		}
		if got := r.AppendXML(nil); !bytes.Equal(got, want) {
			t.Errorf("AppendXML:\n%s\nencoding/xml:\n%s", got, want)
		}
	}
}
