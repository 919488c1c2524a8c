#!/bin/sh
# Regenerates signin.har, registered.xml and idp-metadata.xml: a real sign-in
# to a samlab lab over loopback HTTP, recorded in HAR 1.2 form (one login
# before an unannounced signing-key rotation, one after), with the metadata
# registered in IAM before the rotation and the IdP's metadata after it.
set -e
cd "$(dirname "$0")/../.."
go test . -run '^TestExplainHARFromLoopbackSignIn$' -update-har -count=1
