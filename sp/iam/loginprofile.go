package iam

import (
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// Login profiles: an IAM user's console password (docs/aws-behavior.md
// §8.3). samlab has no account password policy operations, so every
// password is checked against AWS's default password policy.

// codePasswordPolicyViolation is IAM's PasswordPolicyViolation error (400).
const codePasswordPolicyViolation awsapi.Code = "PasswordPolicyViolation"

// LoginProfile is an IAM user's console password.
type LoginProfile struct {
	CreateDate            time.Time
	PasswordResetRequired bool
	// PasswordHash is the password's bcrypt hash; the password itself is
	// never kept. Nothing signs in with it yet: the console knows only
	// federated sessions.
	PasswordHash []byte
}

// passwordSymbols are the non-alphanumeric characters AWS's password policy
// counts as symbols (IAM User Guide, "Set an account password policy for IAM
// users").
const passwordSymbols = "!@#$%^&*()_+-=[]{}|'"

// checkDefaultPasswordPolicy applies AWS's default password policy: 8 to 128
// characters, at least three of uppercase letters, lowercase letters, digits
// and symbols, and not the account's name (here: its alias or ID; samlab
// accounts have no email address).
func (a *Account) checkDefaultPasswordPolicy(password string) error {
	classes := 0
	for _, in := range []func(r rune) bool{
		func(r rune) bool { return 'A' <= r && r <= 'Z' },
		func(r rune) bool { return 'a' <= r && r <= 'z' },
		func(r rune) bool { return '0' <= r && r <= '9' },
		func(r rune) bool { return strings.ContainsRune(passwordSymbols, r) },
	} {
		if strings.IndexFunc(password, in) >= 0 {
			classes++
		}
	}
	a.mu.RLock()
	name := a.alias
	a.mu.RUnlock()
	n := utf16Len(password)
	if n < 8 || n > 128 || classes < 3 || password == a.id || (name != "" && password == name) {
		return awsapi.Errorf(codePasswordPolicyViolation, http.StatusBadRequest,
			"Password does not conform to the account password policy.")
	}
	return nil
}

func noSuchLoginProfile(user string) error {
	return awsapi.Errorf(awsapi.CodeNoSuchEntity, http.StatusNotFound, "Login Profile for User %s cannot be found.", user)
}

// hashPassword hashes a password with bcrypt: a well-reviewed, salted, slow
// hash from golang.org/x/crypto.
func hashPassword(password string) ([]byte, error) {
	// bcrypt reads at most 72 bytes; longer passwords (up to 128 characters
	// are allowed) are hashed by their first 72, as every bcrypt user does.
	b := []byte(password)
	if len(b) > 72 {
		b = b[:72]
	}
	return bcrypt.GenerateFromPassword(b, bcrypt.DefaultCost)
}

// CreateLoginProfile gives a user a console password (IAM
// CreateLoginProfile).
func (a *Account) CreateLoginProfile(userName, password string, resetRequired bool) (*LoginProfile, error) {
	if err := a.checkDefaultPasswordPolicy(password); err != nil {
		return nil, err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return nil, err
	}
	u, err := a.updateUser(userName, func(u *User) error {
		if u.LoginProfile != nil {
			// Wording unverified.
			return awsapi.Errorf(awsapi.CodeEntityAlreadyExists, http.StatusConflict, "Login Profile for user %s already exists.", userName)
		}
		u.LoginProfile = &LoginProfile{CreateDate: a.now().UTC().Truncate(time.Second), PasswordResetRequired: resetRequired, PasswordHash: hash}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u.LoginProfile, nil
}

// LoginProfileOf returns a user's login profile (IAM GetLoginProfile).
func (a *Account) LoginProfileOf(userName string) (*LoginProfile, error) {
	u, err := a.User(userName)
	if err != nil {
		return nil, err
	}
	if u.LoginProfile == nil {
		return nil, noSuchLoginProfile(userName)
	}
	return u.LoginProfile, nil
}

// UpdateLoginProfile changes a user's password and/or whether it must be
// reset at the next sign-in; nil leaves either as it is.
func (a *Account) UpdateLoginProfile(userName string, password *string, resetRequired *bool) error {
	var hash []byte
	if password != nil {
		if err := a.checkDefaultPasswordPolicy(*password); err != nil {
			return err
		}
		h, err := hashPassword(*password)
		if err != nil {
			return err
		}
		hash = h
	}
	_, err := a.updateUser(userName, func(u *User) error {
		if u.LoginProfile == nil {
			return noSuchLoginProfile(userName)
		}
		if hash != nil {
			u.LoginProfile.PasswordHash = hash
		}
		if resetRequired != nil {
			u.LoginProfile.PasswordResetRequired = *resetRequired
		}
		return nil
	})
	return err
}

// DeleteLoginProfile removes a user's console password.
func (a *Account) DeleteLoginProfile(userName string) error {
	_, err := a.updateUser(userName, func(u *User) error {
		if u.LoginProfile == nil {
			return noSuchLoginProfile(userName)
		}
		u.LoginProfile = nil
		return nil
	})
	return err
}
