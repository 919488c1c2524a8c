#!/bin/sh
# Regenerates signin.har, provider.json and idp-metadata.xml: headless
# Chromium signs in to `samlab up` over loopback, then again after a restart
# on the same state has given the IdP a new signing key that IAM does not
# hold, and the tab's network log is saved as a HAR 1.2 file, as from the
# developer tools. provider.json is what IAM holds, as `aws iam
# get-saml-provider` prints it; idp-metadata.xml is the IdP's metadata after
# the restart. Needs Debian's chromium.
set -e
cd "$(dirname "$0")/../.."
go test . -run '^TestBrowserSignInHAR$' -update-har -count=1
