package metadata_test

import (
	"crypto/x509"

	"fmt"

	"github.com/samlab-dev/samlab/certs"
	"github.com/samlab-dev/samlab/certs/certstest"
	"github.com/samlab-dev/samlab/metadata"
)

// The gap behind "Response signature invalid": the copy registered in IAM
// holds the old certificate, the IdP now publishes a new one.
func ExampleCompare() {
	keys := certstest.New()
	oldKey, _ := certs.New(certs.WithKeySource(keys))
	newKey, _ := certs.New(certs.WithKeySource(keys))

	registeredDoc, _ := metadata.Build(metadata.IDP{EntityID: "https://idp.example/md", SigningCerts: []*x509.Certificate{oldKey.Cert}})
	currentDoc, _ := metadata.Build(metadata.IDP{EntityID: "https://idp.example/md", SigningCerts: []*x509.Certificate{newKey.Cert}})
	registered, _ := metadata.Parse(registeredDoc)
	current, _ := metadata.Parse(currentDoc)

	d := metadata.Compare(registered, current)
	fmt.Println("in sync:", d.Equal())
	fmt.Println("only registered:", len(d.OnlyInA), "only published:", len(d.OnlyInB))
	// Output:
	// in sync: false
	// only registered: 1 only published: 1
}
