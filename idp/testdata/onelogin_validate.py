"""Validate a SAML Response with python3-saml (OneLogin's toolkit).

Usage: onelogin_validate.py IDP_ENTITY IDP_CERT_PEM SP_ENTITY ACS_URL RESPONSE_FILE [SP_KEY_PEM SP_CERT_PEM]

Prints the NameID and attributes as JSON and exits 0 when the response is
valid in strict mode; prints the reason and exits 1 otherwise.
"""
import base64
import json
import sys
from urllib.parse import urlparse

from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings


def main():
    idp_entity, idp_cert_file, sp_entity, acs, resp_file = sys.argv[1:6]
    sp_key = sp_cert = ""
    if len(sys.argv) > 7:
        sp_key = open(sys.argv[6]).read()
        sp_cert = open(sys.argv[7]).read()
    settings = OneLogin_Saml2_Settings({
        "strict": True,
        "sp": {
            "entityId": sp_entity,
            "assertionConsumerService": {"url": acs, "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"},
            "x509cert": sp_cert,
            "privateKey": sp_key,
        },
        "idp": {
            "entityId": idp_entity,
            "singleSignOnService": {"url": "https://idp.invalid/sso", "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"},
            "x509cert": open(idp_cert_file).read(),
        },
        "security": {
            "wantAssertionsEncrypted": bool(sp_key),
            "rejectDeprecatedAlgorithm": False,
        },
    }, sp_validation_only=True)
    data = base64.b64encode(open(resp_file, "rb").read()).decode()
    u = urlparse(acs)
    request = {"https": "on" if u.scheme == "https" else "off", "http_host": u.hostname,
               "script_name": u.path, "server_port": str(u.port or (443 if u.scheme == "https" else 80))}
    resp = OneLogin_Saml2_Response(settings, data)
    try:
        resp.is_valid(request, raise_exceptions=True)
    except Exception as e:  # the toolkit raises its own error types
        print("invalid:", e)
        sys.exit(1)
    print(json.dumps({"name_id": resp.get_nameid(), "attributes": resp.get_attributes()}))


if __name__ == "__main__":
    main()
