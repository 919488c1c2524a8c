// Command samlab is a SAML 2.0 IdP plus a local stand-in for AWS's side of
// SAML federation, and a scenario harness on top of both.

// AWS registers IdPs whose certificates have negative serial numbers (.NET
// IdPs write 16 random bytes as the serial); Go's crypto/x509 refuses them
// unless this setting is on (docs/aws-behavior.md §6.2).
//
//go:debug x509negativeserial=1
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := NewRootCommand().ExecuteContext(ctx)
	stop()
	if err != nil {
		if !isSilent(err) {
			fmt.Fprintln(os.Stderr, "samlab:", err)
		}
		os.Exit(exitCode(err))
	}
}
