// Command samlab is a SAML 2.0 IdP plus a local stand-in for AWS's side of
// SAML federation, and a scenario harness on top of both.
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
