#!/usr/bin/env bash
# Installs the external tools samlab's tests drive, when they are missing:
# Debian's aws CLI v2 (awscli), xmlsec1, python3-onelogin-saml2, curl and chromium
# (the browser end-to-end test drives it headless). Runs
# apt-get only as root; otherwise it says what is missing and carries on (the
# tests that need a tool then skip outside CI and fail in CI).
set -euo pipefail
need=()
[ -x /usr/bin/aws ] || need+=(awscli)
command -v xmlsec1 >/dev/null 2>&1 || need+=(xmlsec1)
python3 -c 'import onelogin.saml2' >/dev/null 2>&1 || /usr/bin/python3 -c 'import onelogin.saml2' >/dev/null 2>&1 || need+=(python3-onelogin-saml2)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -x /usr/bin/curl ] || need+=(curl)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "missing (install as root with apt-get): ${need[*]}" >&2
fi
