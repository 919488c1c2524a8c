package main

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"path/filepath"

	"github.com/samlab-dev/samlab/sp/cognito"
)

// cognitoStateFile is the identity pools' state file in a --state directory.
// It is a file of its own: the IAM state file is locked by IAM's store.
const cognitoStateFile = "cognito.db"

// openCognitoState opens the identity pools' state in dir and returns it with
// the key that signs Cognito OpenID tokens, created on first use, so pools,
// identities and tokens survive restarts.
func openCognitoState(dir string) (*cognito.BoltStore, *rsa.PrivateKey, error) {
	st, err := cognito.OpenBoltStore(filepath.Join(dir, cognitoStateFile))
	if err != nil {
		return nil, nil, err
	}
	key, err := st.SigningKey(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
	if err != nil {
		return nil, nil, errors.Join(err, st.Close())
	}
	return st, key, nil
}
