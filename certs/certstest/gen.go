//go:build ignore

// gen.go writes the fixture keys embedded by package certstest. Run gen.sh.
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log"
	"os"
)

func main() {
	sizes := []struct{ bits, n int }{{1024, 4}, {2048, 32}, {3072, 4}, {4096, 4}}
	for _, s := range sizes {
		for i := range s.n {
			k, err := rsa.GenerateKey(rand.Reader, s.bits)
			if err != nil {
				log.Fatal(err)
			}
			der, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				log.Fatal(err)
			}
			name := fmt.Sprintf("keys/rsa%d-%02d.pem", s.bits, i)
			if err := os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o644); err != nil {
				log.Fatal(err)
			}
		}
	}
}
