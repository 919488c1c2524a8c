#!/bin/sh
# Regenerates the embedded fixture keys (test-only keys; they are public).
set -e
cd "$(dirname "$0")"
rm -f keys/*.pem
go run gen.go
