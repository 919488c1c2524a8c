package iam

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/samlab-dev/samlab/sp/awsapi"
)

// FuzzPasswordPolicy feeds arbitrary passwords to AWS's default password
// policy: it never panics, refuses only with PasswordPolicyViolation 400,
// and what it accepts has 8 to 128 characters of at least three kinds and
// is not the account's ID or alias.
func FuzzPasswordPolicy(f *testing.F) {
	for _, s := range []string{"", "Passw0rd!", "password", "PASSWORD1", "pass-word", "my-lab-2026", "123456789012", "Ünïcödé1!", strings.Repeat("Aa1", 43)} {
		f.Add(s)
	}
	a := NewAccount(Config{})
	if err := a.CreateAccountAlias("my-lab-2026"); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, password string) {
		err := a.checkDefaultPasswordPolicy(password)
		if err != nil {
			var ae *awsapi.Error
			if !errors.As(err, &ae) || ae.Code != codePasswordPolicyViolation || ae.Status != http.StatusBadRequest {
				t.Fatalf("refused %q with %v", password, err)
			}
			return
		}
		n := len(utf16.Encode([]rune(password)))
		kinds := 0
		for _, set := range []string{"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "0123456789", passwordSymbols} {
			if strings.ContainsAny(password, set) {
				kinds++
			}
		}
		if n < 8 || n > 128 || kinds < 3 || password == "my-lab-2026" || password == DefaultAccountID {
			t.Fatalf("accepted %q (%d UTF-16 units, %d kinds)", password, n, kinds)
		}
	})
}
