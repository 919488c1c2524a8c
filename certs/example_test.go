package certs_test

import (
	"fmt"
	"time"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
)

// An IdP signing key whose certificate expired last year, as found in
// long-neglected federation set-ups.
func ExampleNew_expired() {
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	kp, err := certs.New(
		certs.WithKeySource(certstest.New()), // fixture keys: fast, for tests only
		certs.WithSubject("idp.example.com"),
		certs.WithValidity(now.AddDate(-3, 0, 0), now.AddDate(-1, 0, 0)),
	)
	if err != nil {
		panic(err)
	}
	fmt.Println(kp.Cert.Subject.CommonName, kp.Key.N.BitLen(), certs.ValidAt(kp.Cert, now))
	// Output: idp.example.com 2048 false
}
