package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/samlab-dev/samlab/scenarios"
)

// printOIDCKeys prints the OpenID Connect provider's keys of a lab's IdP
// state (nothing for a lab without one).
func printOIDCKeys(w io.Writer, keys []scenarios.IDPOIDCKey) error {
	if len(keys) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OIDC SLOT\tIN JWKS\tALG\tKID")
	for _, k := range keys {
		pub := "no"
		if k.Published {
			pub = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.Slot, pub, k.Algorithm, k.KeyID)
	}
	return tw.Flush()
}
