package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/samlab-dev/samlab/scenarios"
	"github.com/samlab-dev/samlab/scenarios/labs"
)

// printWebIdentityTry prints how a trainee of a web identity lab uses it: the
// aws CLI with the admin key, an ID token from the lab's OpenID Connect
// provider, and AssumeRoleWithWebIdentity with it.
func printWebIdentityTry(w io.Writer, s labs.Seat) {
	caFile := ""
	if strings.HasPrefix(s.OIDCIssuer, "https://") {
		caFile = " --ca-file CA.pem"
	}
	fmt.Fprintf(w, `
Use the aws CLI against the lab:
  export AWS_ACCESS_KEY_ID=%s
  export AWS_SECRET_ACCESS_KEY=%s
  export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  aws --endpoint-url %s iam list-open-id-connect-providers

Sign in as an app does (an ID token from the OIDC issuer, then AssumeRoleWithWebIdentity):
  TOKEN=$(SAMLAB_PASSWORD=%s samlab idp token --endpoint %s%s --user %s --audience CLIENT_ID)
  aws --endpoint-url %s sts assume-role-with-web-identity --role-arn arn:aws:iam::%s:role/ROLE --role-session-name %s --web-identity-token "$TOKEN"

Administer the IdP and its OIDC signing keys (with the admin key above; see samlab idp --help):
  samlab idp status --endpoint %s
`, s.AccessKeyID, s.SecretAccessKey, s.Endpoint, labs.DemoPassword, s.OIDCIssuer, caFile, scenarios.DefaultUser,
		s.Endpoint, s.Account, scenarios.DefaultUser, s.Endpoint)
}
