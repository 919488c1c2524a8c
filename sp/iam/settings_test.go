package iam_test

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"

	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/sp/awsapi"
	"github.com/samlab-dev/samlab/sp/iam"
)

func privateKeyPEM(t *testing.T, keys *certstest.Keys) string {
	t.Helper()
	k, err := keys.Key(2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func apiCode(err error) awsapi.Code {
	var e *awsapi.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// TestUpdateProviderRules walks UpdateSAMLProvider's rules for encryption
// mode and private keys (docs/aws-behavior.md §8) in order, each step on the state the
// previous one left.
func TestUpdateProviderRules(t *testing.T) {
	t.Parallel()
	keys := certstest.New()
	a := iam.NewAccount(iam.Config{})
	p, err := a.CreateProvider(iam.CreateSAMLProviderInput{Name: "p", MetadataDocument: testMetadata(t, keys, "https://p.example", 1)})
	if err != nil {
		t.Fatal(err)
	}
	k1, k2, k3 := privateKeyPEM(t, keys), privateKeyPEM(t, keys), privateKeyPEM(t, keys)
	var firstKeyID string
	steps := []struct {
		name     string
		in       iam.UpdateSAMLProviderInput
		wantCode awsapi.Code
		wantKeys int
	}{
		{"nothing to update", iam.UpdateSAMLProviderInput{}, awsapi.CodeInvalidInput, 0},
		{"Required without a key", iam.UpdateSAMLProviderInput{AssertionEncryptionMode: iam.EncryptionRequired}, awsapi.CodeInvalidInput, 0},
		{"unknown mode", iam.UpdateSAMLProviderInput{AssertionEncryptionMode: "Sometimes"}, awsapi.CodeValidation, 0},
		{"not a key", iam.UpdateSAMLProviderInput{AddPrivateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}, awsapi.CodeInvalidInput, 0},
		{"add a key", iam.UpdateSAMLProviderInput{AddPrivateKey: k1}, "", 1},
		{"Required with a key", iam.UpdateSAMLProviderInput{AssertionEncryptionMode: iam.EncryptionRequired}, "", 1},
		{"add a second key", iam.UpdateSAMLProviderInput{AddPrivateKey: k2}, "", 2},
		{"a third key", iam.UpdateSAMLProviderInput{AddPrivateKey: k3}, awsapi.CodeLimitExceeded, 2},
		{"add and remove at once", iam.UpdateSAMLProviderInput{AddPrivateKey: k3, RemovePrivateKey: "X"}, awsapi.CodeInvalidInput, 2},
		{"remove an unknown key", iam.UpdateSAMLProviderInput{RemovePrivateKey: "NOSUCHKEY0000000000000"}, awsapi.CodeInvalidInput, 2},
		{"remove the first key", iam.UpdateSAMLProviderInput{RemovePrivateKey: "first"}, "", 1},
	}
	for _, st := range steps {
		st.in.ARN = p.ARN
		if st.in.RemovePrivateKey == "first" {
			st.in.RemovePrivateKey = firstKeyID
		}
		got, err := a.UpdateProvider(st.in)
		if code := apiCode(err); code != st.wantCode {
			t.Fatalf("%s: UpdateProvider = %v, want code %q", st.name, err, st.wantCode)
		}
		cur, err := a.SAMLProvider(p.ARN)
		if err != nil {
			t.Fatal(err)
		}
		if len(cur.PrivateKeys) != st.wantKeys {
			t.Fatalf("%s: %d private keys, want %d", st.name, len(cur.PrivateKeys), st.wantKeys)
		}
		if got != nil && firstKeyID == "" && len(got.PrivateKeys) > 0 {
			firstKeyID = got.PrivateKeys[0].KeyID
		}
	}
	cur, _ := a.SAMLProvider(p.ARN)
	if cur.AssertionEncryptionMode != iam.EncryptionRequired || cur.PrivateKeys[0].KeyID == firstKeyID {
		t.Errorf("final provider: mode %q keys %v, want Required with only the second key", cur.AssertionEncryptionMode, cur.PrivateKeys)
	}
}

func TestCreateProviderRejectsBadMetadata(t *testing.T) {
	t.Parallel()
	keys := certstest.New()
	good := testMetadata(t, keys, "https://p.example", 1)
	tests := []struct {
		name string
		doc  []byte
		want awsapi.Code
	}{
		{"too short", []byte("<EntityDescriptor/>"), awsapi.CodeValidation},
		{"truncated XML", good[:len(good)-40], awsapi.CodeInvalidInput},
		{"not metadata", append([]byte("<html><body>"), make([]byte, 1200)...), awsapi.CodeInvalidInput},
		{"DTD", append([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>`), good[len(`<?xml version="1.0" encoding="UTF-8"?>`):]...), awsapi.CodeInvalidInput},
		{"no signing certificate", noSigningCert(good), awsapi.CodeInvalidInput},
		{"too large", append(good, make([]byte, iam.MaxMetadataSize)...), awsapi.CodeValidation},
	}
	for _, tt := range tests {
		a := iam.NewAccount(iam.Config{})
		if _, err := a.CreateSAMLProvider("p", tt.doc); apiCode(err) != tt.want {
			t.Errorf("%s: CreateSAMLProvider = %v, want %s", tt.name, err, tt.want)
		}
	}
}

// noSigningCert turns every signing KeyDescriptor into an encryption one.
func noSigningCert(doc []byte) []byte {
	out := []byte(nil)
	const from, to = `use="signing"`, `use="encryption"`
	for i := 0; i < len(doc); {
		if i+len(from) <= len(doc) && string(doc[i:i+len(from)]) == from {
			out = append(out, to...)
			i += len(from)
			continue
		}
		out = append(out, doc[i])
		i++
	}
	return out
}
