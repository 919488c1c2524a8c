package iam

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Assertion encryption modes of a SAML provider (IAM model enum
// assertionEncryptionModeType).
const (
	EncryptionRequired = "Required"
	EncryptionAllowed  = "Allowed"
)

// Limits of SAML-provider settings (IAM quotas and API reference).
const (
	MaxPrivateKeys   = 2
	MaxTags          = 50
	MaxPrivateKeyLen = 16384
)

const msgRequiredNeedsKey = "Unable to set assertion encryption mode to Required because no private key is provided."

func checkEncryptionMode(m string) error {
	if m == "" {
		return nil
	}
	return checkOne("AssertionEncryptionMode", shEncryption, m)
}

// checkTags merges add into cur (same key: new value wins), checks IAM's tag
// limits and returns the result sorted by key.
func checkTags(cur, add []awsapi.Tag) ([]awsapi.Tag, error) {
	out := slices.Clone(cur)
	p := url.Values{}
	for i, t := range add {
		p.Set(fmt.Sprintf("Tags.member.%d.Key", i+1), t.Key)
		p.Set(fmt.Sprintf("Tags.member.%d.Value", i+1), t.Value)
	}
	if cl := checkTagList(opt("Tags", shTags), p); len(cl) > 0 {
		return nil, validationError(cl)
	}
	for _, t := range add {
		if i := slices.IndexFunc(out, func(x awsapi.Tag) bool { return x.Key == t.Key }); i >= 0 {
			out[i].Value = t.Value
			continue
		}
		out = append(out, t)
	}
	if len(out) > MaxTags {
		return nil, awsapi.Errorf(awsapi.CodeLimitExceeded, http.StatusConflict,
			"The number of tags has reached the maximum limit of %d.", MaxTags)
	}
	slices.SortFunc(out, func(a, b awsapi.Tag) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// newPrivateKey checks an uploaded PEM private key and gives it a KeyId.
func (a *Account) newPrivateKey(pemText string, now time.Time) (PrivateKey, error) {
	invalid := func(err error) error {
		return &awsapi.Error{Code: awsapi.CodeInvalidInput, Status: http.StatusBadRequest, Message: "Invalid private key.", Err: err}
	}
	if err := checkOne("AddPrivateKey", shPrivateKey, pemText); err != nil {
		return PrivateKey{}, err
	}
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return PrivateKey{}, invalid(errors.New("no PEM block"))
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		if _, err1 := x509.ParsePKCS1PrivateKey(block.Bytes); err1 != nil {
			return PrivateKey{}, invalid(fmt.Errorf("parse %s: %w", block.Type, err))
		}
	}
	return PrivateKey{KeyID: a.newUUID(), Timestamp: now, PEM: pemText}, nil
}
