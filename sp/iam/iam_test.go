package iam_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

// wantCode checks that err is an *awsapi.Error with the given code (messages
// are not part of these tests' contract).
func wantCode(t *testing.T, what string, err error, code awsapi.Code) {
	t.Helper()
	var ae *awsapi.Error
	switch {
	case code == "" && err != nil:
		t.Errorf("%s: %v, want success", what, err)
	case code == "":
	case !errors.As(err, &ae):
		t.Errorf("%s: error %v, want an *awsapi.Error %s", what, err, code)
	case ae.Code != code:
		t.Errorf("%s: code %s (%s), want %s", what, ae.Code, ae.Message, code)
	}
}

func TestProviderName(t *testing.T) {
	t.Parallel()
	keys := certstest.New()
	md := testMetadata(t, keys, "https://idp.example", 1)
	tests := []struct {
		name string
		want awsapi.Code
	}{
		{"samlab", ""},
		{"a", ""},
		{"Okta_prod-2.x", ""},
		{strings.Repeat("n", 128), ""},
		{strings.Repeat("n", 129), awsapi.CodeValidation},
		{"", awsapi.CodeValidation},
		{"bad name", awsapi.CodeValidation},
		{" leading", awsapi.CodeValidation},
		{"trailing ", awsapi.CodeValidation},
		{"idp\n", awsapi.CodeValidation},
		{"a/b", awsapi.CodeValidation},
		{"../etc", awsapi.CodeValidation},
		{"name:with:colons", awsapi.CodeValidation},
	}
	a := iam.NewAccount(iam.Config{})
	for _, tt := range tests {
		_, err := a.CreateProvider(iam.CreateSAMLProviderInput{Name: tt.name, MetadataDocument: md})
		wantCode(t, "CreateProvider name "+tt.name, err, tt.want)
		if _, gerr := a.SAMLProvider(a.ProviderARN(tt.name)); (gerr == nil) != (tt.want == "") {
			t.Errorf("provider %q registered = %v, want %v", tt.name, gerr == nil, tt.want == "")
		}
	}
}

// TestMetadataChecksOnCreateAndUpdate pins that UpdateSAMLProvider applies the
// checks CreateSAMLProvider does, and that a refused update leaves the
// registered metadata alone.
func TestMetadataChecksOnCreateAndUpdate(t *testing.T) {
	t.Parallel()
	keys := certstest.New()
	good := testMetadata(t, keys, "https://idp.example", 1)
	noSigning := bytes.ReplaceAll(good, []byte(`use="signing"`), []byte(`use="encryption"`))
	if bytes.Equal(noSigning, good) {
		t.Fatal("fixture metadata has no use=\"signing\" KeyDescriptor to remove")
	}
	padded := func(n int) []byte { // valid metadata, padded with a comment to n bytes
		pad := n - len(good) - len("<!---->")
		return append(append([]byte(nil), good...), []byte("<!--"+strings.Repeat("x", pad)+"-->")...)
	}
	tests := []struct {
		name string
		doc  []byte
		want awsapi.Code
	}{
		{"valid", good, ""},
		{"too short", []byte(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>`), awsapi.CodeValidation},
		{"999 bytes", good[:iam.MinMetadataSize-1], awsapi.CodeValidation},
		{"padded to the maximum", padded(iam.MaxMetadataSize), ""},
		{"a byte over the maximum", padded(iam.MaxMetadataSize + 1), awsapi.CodeValidation},
		{"not XML", bytes.Repeat([]byte("x"), 2000), awsapi.CodeInvalidInput},
		{"no signing certificate", noSigning, awsapi.CodeInvalidInput},
	}
	a := iam.NewAccount(iam.Config{})
	for i, tt := range tests {
		name := "p" + string(rune('a'+i))
		_, err := a.CreateProvider(iam.CreateSAMLProviderInput{Name: name, MetadataDocument: tt.doc})
		wantCode(t, "CreateProvider "+tt.name, err, tt.want)
	}
	p, err := a.CreateProvider(iam.CreateSAMLProviderInput{Name: "target", MetadataDocument: good})
	if err != nil {
		t.Fatal(err)
	}
	current := good
	for _, tt := range tests {
		_, err := a.UpdateSAMLProvider(p.ARN, tt.doc)
		wantCode(t, "UpdateSAMLProvider "+tt.name, err, tt.want)
		if tt.want == "" {
			current = tt.doc
		}
		got, err := a.SAMLProvider(p.ARN)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.MetadataDocument, current) {
			t.Errorf("after update %s the provider holds %d bytes, want the %d of the last accepted document", tt.name, len(got.MetadataDocument), len(current))
		}
	}
}
