package iam

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

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
	if m == "" || m == EncryptionRequired || m == EncryptionAllowed {
		return nil
	}
	return awsapi.Errorf(awsapi.CodeValidation, http.StatusBadRequest,
		"1 validation error detected: Value '%s' at 'assertionEncryptionMode' failed to satisfy constraint: Member must satisfy enum value set: [Allowed, Required]", m)
}

// checkTags merges add into cur (same key: new value wins), checks IAM's tag
// limits and returns the result sorted by key.
func checkTags(cur, add []awsapi.Tag) ([]awsapi.Tag, error) {
	out := slices.Clone(cur)
	for _, t := range add {
		if n := utf8.RuneCountInString(t.Key); n < 1 || n > 128 {
			return nil, awsapi.Errorf(awsapi.CodeValidation, http.StatusBadRequest,
				"1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128", t.Key)
		}
		if utf8.RuneCountInString(t.Value) > 256 {
			return nil, awsapi.Errorf(awsapi.CodeValidation, http.StatusBadRequest,
				"1 validation error detected: Value '%s' at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256", t.Value)
		}
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
	if len(pemText) > MaxPrivateKeyLen {
		return PrivateKey{}, awsapi.Errorf(awsapi.CodeValidation, http.StatusBadRequest,
			"1 validation error detected: Value at 'addPrivateKey' failed to satisfy constraint: Member must have length less than or equal to %d", MaxPrivateKeyLen)
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
