package idp

import "testing"

func TestParseSigning(t *testing.T) {
	t.Parallel()
	so, err := ParseSigning("both", "rsa-sha1", "sha1")
	if err != nil {
		t.Fatal(err)
	}
	if so.SignAssertion == nil || !*so.SignAssertion || so.SignResponse == nil || !*so.SignResponse ||
		so.SignatureMethod != SignatureRSASHA1 || so.DigestMethod != DigestSHA1 {
		t.Errorf("ParseSigning(both, rsa-sha1, sha1) = %+v", so)
	}
	so, err = ParseSigning("response", "rsa-sha256", "sha256")
	if err != nil || *so.SignAssertion || !*so.SignResponse || so.SignatureMethod != SignatureRSASHA256 || so.DigestMethod != DigestSHA256 {
		t.Errorf("ParseSigning(response, rsa-sha256, sha256) = %+v, %v", so, err)
	}
	for _, bad := range [][3]string{{"everything", "rsa-sha256", "sha256"}, {"both", "dsa", "sha256"}, {"both", "rsa-sha256", "md5"}} {
		if _, err := ParseSigning(bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("ParseSigning(%q) = nil error, want one", bad)
		}
	}
}

func TestParseNameIDFormat(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"persistent": NameIDFormatPersistent, "transient": NameIDFormatTransient,
		"email": NameIDFormatEmail, "emailAddress": NameIDFormatEmail, "unspecified": NameIDFormatUnspecified,
		NameIDFormatPersistent: NameIDFormatPersistent} {
		if got, err := ParseNameIDFormat(in); err != nil || got != want {
			t.Errorf("ParseNameIDFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseNameIDFormat("kerberos"); err == nil {
		t.Error("ParseNameIDFormat(kerberos) = nil error, want one")
	}
}
