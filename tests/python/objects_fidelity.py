#!/usr/bin/env python3
"""Fidelity check for certificates and keys: drive the local Key Vault emulator with
Microsoft's own azure-keyvault-certificates and azure-keyvault-keys clients and fail loudly on
any mismatch.

Run by tests/tests/emulator_fidelity.rs, which starts the emulator, creates the certificates
and keys (control methods) and registers two apps: a reader, and one with only a secrets role.

Prints one line per phase and, last, a line starting with "SUMMARY ".
Exit status 0 = every check passed; 1 = a mismatch (message on stderr).
"""

import argparse
import sys
from urllib.parse import urlparse

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.keyvault.certificates import CertificateClient, CertificatePolicyAction
from azure.keyvault.keys import KeyClient, KeyRotationPolicyAction


class Mismatch(Exception):
    """The emulator did not behave the way the official client expects."""


def check(condition, message):
    if not condition:
        raise Mismatch(message)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--client-id", required=True, help="app with Key Vault Reader")
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--secrets-only-id", required=True, help="app with Secrets Officer only")
    parser.add_argument("--secrets-only-secret", required=True)
    parser.add_argument("--certificates", type=int, required=True)
    parser.add_argument("--keys", type=int, required=True)
    args = parser.parse_args()
    authority = urlparse(args.url).netloc

    def credential(client_id, secret):
        return ClientSecretCredential(
            args.tenant,
            client_id,
            secret,
            authority=authority,
            disable_instance_discovery=True,
            connection_verify=args.ca,
        )

    reader = credential(args.client_id, args.client_secret)
    options = dict(verify_challenge_resource=False, connection_verify=args.ca)
    certificates = CertificateClient(args.url, reader, **options)
    keys = KeyClient(args.url, reader, **options)

    # Listing pages through nextLink; each item carries id, attributes and x5t only.
    listed = list(certificates.list_properties_of_certificates())
    check(
        len(listed) == args.certificates,
        f"listed {len(listed)} certificates, expected {args.certificates}",
    )
    names = sorted(c.name for c in listed)
    check(all(c.expires_on is not None for c in listed), "a certificate without expiry")
    check(all(c.x509_thumbprint for c in listed), "a certificate without a thumbprint")
    print(f"list certificates: {len(listed)} ok")

    # The policy: issuer and lifetime actions, as the console reads them.
    policy = certificates.get_certificate_policy("renewing")
    check(policy.issuer_name == "Self", f"issuer {policy.issuer_name!r}")
    actions = policy.lifetime_actions or []
    check(len(actions) == 1, f"lifetime actions {actions!r}")
    check(
        actions[0].action == CertificatePolicyAction.auto_renew,
        f"action {actions[0].action!r}",
    )
    check(actions[0].days_before_expiry == 7, f"trigger {actions[0].days_before_expiry!r}")
    check(policy.subject == "CN=test", f"subject {policy.subject!r}")
    manual = certificates.get_certificate_policy("manual")
    check(manual.issuer_name == "Unknown", f"manual issuer {manual.issuer_name!r}")
    print("certificate policy: ok")

    cert = certificates.get_certificate("renewing")
    check(cert.name == "renewing", f"name {cert.name!r}")
    check(cert.properties.version, "a certificate without a version")
    check(cert.key_id and "/keys/renewing/" in cert.key_id, f"kid {cert.key_id!r}")
    check(cert.secret_id and "/secrets/renewing/" in cert.secret_id, f"sid {cert.secret_id!r}")
    check(cert.policy is not None and cert.policy.issuer_name == "Self", "policy in the bundle")
    try:
        certificates.get_certificate("no-such-certificate")
        raise Mismatch("a missing certificate was found")
    except ResourceNotFoundError as err:
        check(err.status_code == 404, f"missing certificate: HTTP {err.status_code}")
    print("get certificate: ok")

    # Keys: the certificates' managed keys are listed as managed, the others not.
    all_keys = list(keys.list_properties_of_keys())
    managed = [k for k in all_keys if k.managed]
    own = [k for k in all_keys if not k.managed]
    check(len(managed) == args.certificates, f"{len(managed)} managed keys")
    check(len(own) == args.keys, f"{len(own)} own keys, expected {args.keys}")
    key = keys.get_key("cmk-rsa")
    check(key.key_type == "RSA", f"key type {key.key_type!r}")
    check(len(key.key.n) == 384, f"RSA modulus of {len(key.key.n)} bytes, expected 384")
    check(getattr(key.key, "d", None) in (None, b""), "private exponent returned")
    check(key.key.e == b"\x01\x00\x01", f"RSA exponent {key.key.e!r}")
    check(key.key.n[0] & 0x80, "RSA modulus without its top bit: not a 3072-bit key")
    check(
        set(key.key_operations or []) >= {"sign", "verify", "wrapKey", "unwrapKey"},
        f"key_ops {key.key_operations!r}",
    )
    check(key.properties.version, "a key without a version")
    check(key.properties.updated_on is not None, "a key without updated")
    check(key.properties.exportable is False, f"exportable {key.properties.exportable!r}")
    same = keys.get_key("cmk-rsa", key.properties.version)
    check(same.id == key.id, f"get by version: {same.id!r} != {key.id!r}")
    # The listing's item carries no JWK and no version: only a GET gives the type.
    listed_rsa = [k for k in own if k.name == "cmk-rsa"][0]
    check(listed_rsa.version is None, f"list item with a version {listed_rsa.version!r}")
    ec = keys.get_key("cmk-ec")
    check(ec.key_type == "EC" and ec.key.crv == "P-256", f"EC key {ec.key_type!r} {ec.key.crv!r}")
    check(len(ec.key.x) == 32 and len(ec.key.y) == 32, "P-256 coordinates of 32 bytes")
    check(getattr(ec.key, "d", None) in (None, b""), "EC private key returned")
    hsm = keys.get_key("cmk-hsm")
    check(hsm.key_type == "EC-HSM" and hsm.key.crv == "P-384", f"HSM key {hsm.key_type!r}")
    check(len(hsm.key.x) == 48, f"P-384 x of {len(hsm.key.x)} bytes")
    try:
        keys.get_key("no-such-key")
        raise Mismatch("a missing key was found")
    except ResourceNotFoundError as err:
        check(err.status_code == 404, f"missing key: HTTP {err.status_code}")
        check("KeyNotFound" in str(err), f"missing key: {err}")
    rotating = keys.get_key_rotation_policy("cmk-rotating")
    rotate = [a for a in rotating.lifetime_actions if a.action == KeyRotationPolicyAction.rotate]
    check(len(rotate) == 1, f"rotation policy actions {rotating.lifetime_actions!r}")
    check(rotate[0].time_before_expiry == "P7D", f"trigger {rotate[0].time_before_expiry!r}")
    default = keys.get_key_rotation_policy("cmk-rsa")
    check(
        [a.action for a in default.lifetime_actions] == [KeyRotationPolicyAction.notify],
        f"default policy {default.lifetime_actions!r}",
    )
    print(f"keys: {len(own)} own + {len(managed)} managed, rotation policies ok")

    # A role with no certificate or key rights: 403 ForbiddenByRbac, as Azure answers.
    outsider = credential(args.secrets_only_id, args.secrets_only_secret)
    for what, action in [
        ("certificates", lambda: list(CertificateClient(args.url, outsider, **options).list_properties_of_certificates())),
        ("keys", lambda: list(KeyClient(args.url, outsider, **options).list_properties_of_keys())),
    ]:
        try:
            action()
            raise Mismatch(f"a secrets-only role listed {what}")
        except HttpResponseError as err:
            check(err.status_code == 403, f"{what}: HTTP {err.status_code}")
            check("ForbiddenByRbac" in str(err), f"{what}: {err}")
    print("refusals: ok")
    print(f"SUMMARY certificates={len(listed)} keys={len(own)} managed={len(managed)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Mismatch as mismatch:
        print(f"MISMATCH: {mismatch}", file=sys.stderr)
        sys.exit(1)
