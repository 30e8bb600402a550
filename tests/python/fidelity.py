#!/usr/bin/env python3
"""Fidelity check: drive the local Key Vault + Entra emulator with Microsoft's own Python
clients (azure-identity + azure-keyvault-secrets) and fail loudly on any mismatch.

Run by tests/tests/emulator_fidelity.rs, which starts the emulator and registers the apps;
by hand:
    .venv/bin/python tests/python/fidelity.py --url https://127.0.0.1:8443 --ca emulator-ca.pem \
        --tenant <t> --client-id <c> --client-secret <s> \
        --expired-client-id <c2> --expired-client-secret <s2>

Prints one line per phase and, last, a JSON summary line starting with "SUMMARY ".
Exit status 0 = every check passed; 1 = a mismatch (message on stderr).
"""

import argparse
import json
import re
import sys
import time
import uuid
from urllib.parse import urlparse

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.identity import ClientSecretCredential
from azure.keyvault.secrets import SecretClient

VAULT_SCOPE = "https://vault.azure.net/.default"
SECRET_COUNT = 60
PREFIX = "fidelity-"


class Mismatch(Exception):
    """The emulator did not behave the way the official client expects."""


def check(condition, message):
    if not condition:
        raise Mismatch(message)


def expect_error(action, error_type, status, needle, what):
    """Run action and require it to raise error_type with this status and text."""
    try:
        action()
    except error_type as err:
        text = exception_text(err)
        if status is not None:
            check(
                getattr(err, "status_code", None) == status,
                f"{what}: expected HTTP {status}, got {getattr(err, 'status_code', None)}: {text}",
            )
        check(needle in text, f"{what}: expected '{needle}' in the error, got: {text}")
        return err
    except Exception as err:  # noqa: BLE001 - report what the client raised instead
        raise Mismatch(
            f"{what}: expected {error_type.__name__}, got {type(err).__name__}: {exception_text(err)}"
        ) from err
    raise Mismatch(f"{what}: expected {error_type.__name__}, but the call succeeded")


def exception_text(err):
    """Message of an exception and of everything it was raised from (MSAL wraps errors)."""
    parts = []
    seen = set()
    current = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(f"{type(current).__name__}: {current}")
        current = current.__cause__ or current.__context__
    return " <- ".join(parts)


class Phases:
    def __init__(self):
        self.timings = {}
        self.started = time.perf_counter()

    def run(self, name, function):
        start = time.perf_counter()
        detail = function()
        elapsed = time.perf_counter() - start
        self.timings[name] = round(elapsed, 3)
        print(f"ok   {name:<28} {elapsed * 1000:8.0f} ms  {detail or ''}", flush=True)

    def total(self):
        return round(time.perf_counter() - self.started, 3)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="vault URL, e.g. https://127.0.0.1:8443")
    parser.add_argument("--ca", required=True, help="CA PEM to trust")
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--expired-client-id", required=True, help="app whose secret has expired")
    parser.add_argument("--expired-client-secret", required=True)
    args = parser.parse_args()

    authority = urlparse(args.url).netloc  # "127.0.0.1:PORT"; Entra shares the listener

    def credential(tenant, client_id, secret):
        return ClientSecretCredential(
            tenant,
            client_id,
            secret,
            authority=authority,
            disable_instance_discovery=True,
            connection_verify=args.ca,
        )

    cred = credential(args.tenant, args.client_id, args.client_secret)
    client = SecretClient(
        args.url, cred, verify_challenge_resource=False, connection_verify=args.ca
    )
    phases = Phases()
    names = [f"{PREFIX}{index:03d}" for index in range(SECRET_COUNT)]
    first = names[0]
    state = {}

    def set_many():
        for index, name in enumerate(names):
            secret = client.set_secret(name, f"value-{index}", content_type="text/plain")
            check(secret.name == name, f"set {name}: returned name {secret.name}")
            check(secret.value == f"value-{index}", f"set {name}: returned value {secret.value!r}")
            check(
                re.fullmatch(r"[0-9a-f]{32}", secret.properties.version or ""),
                f"set {name}: version {secret.properties.version!r} is not 32 hex digits",
            )
            check(secret.properties.created_on is not None, f"set {name}: no created time")
            check(secret.properties.enabled is True, f"set {name}: not enabled")
            check(
                secret.properties.recovery_level == "Recoverable+Purgeable",
                f"set {name}: recoveryLevel {secret.properties.recovery_level!r}",
            )
            check(
                secret.properties.vault_url.rstrip("/") == args.url.rstrip("/"),
                f"set {name}: vault_url {secret.properties.vault_url!r}",
            )
        state["first_version"] = client.get_secret(first).properties.version
        return f"{len(names)} secrets"

    def get_many():
        for index, name in enumerate(names):
            secret = client.get_secret(name)
            check(secret.value == f"value-{index}", f"get {name}: value {secret.value!r}")
            check(secret.properties.content_type == "text/plain", f"get {name}: content type")
        expect_error(
            lambda: client.get_secret(f"{PREFIX}missing"),
            ResourceNotFoundError,
            404,
            "SecretNotFound",
            "get of a missing secret",
        )
        return f"{len(names)} gets + 404"

    def list_paged():
        pages = list(client.list_properties_of_secrets().by_page())
        listed = []
        page_sizes = []
        for page in pages:
            items = list(page)
            page_sizes.append(len(items))
            listed.extend(items)
        ours = sorted(p.name for p in listed if p.name.startswith(PREFIX))
        check(ours == names, f"list: expected {len(names)} secrets, got {len(ours)}")
        check(len(page_sizes) >= 3, f"list: expected >= 3 pages of <= 25, got {page_sizes}")
        check(max(page_sizes) <= 25, f"list: a page exceeded 25 items: {page_sizes}")
        check(all(p.version is None for p in listed), "list: items must not carry a version")
        small = list(client.list_properties_of_secrets(max_page_size=7).by_page())
        small_count = sum(len(list(page)) for page in small)
        check(small_count == len(listed), f"list max_page_size=7: {small_count} != {len(listed)}")
        check(len(small) >= 9, f"list max_page_size=7: only {len(small)} pages")
        return f"pages {page_sizes}, max_page_size=7 -> {len(small)} pages"

    def versions():
        updated = client.set_secret(first, "value-0-second")
        check(updated.properties.version != state["first_version"], "second set kept the version")
        latest = client.get_secret(first)
        check(latest.value == "value-0-second", f"latest value {latest.value!r}")
        listed = list(client.list_properties_of_secret_versions(first))
        check(len(listed) == 2, f"list versions: {len(listed)} versions, expected 2")
        check(
            {p.version for p in listed} == {state["first_version"], updated.properties.version},
            "list versions: wrong version ids",
        )
        old = client.get_secret(first, state["first_version"])
        check(old.value == "value-0", f"get by version: {old.value!r}")
        return "2 versions, get by version"

    def update_tags():
        props = client.update_secret_properties(
            first, tags={"vendor": "ninjaone", "owner": "ops"}, content_type="application/json"
        )
        check(props.tags == {"vendor": "ninjaone", "owner": "ops"}, f"update tags: {props.tags}")
        check(props.content_type == "application/json", "update content type")
        props = client.update_secret_properties(first, tags={"vendor": "pax8"})
        check(props.tags == {"vendor": "pax8"}, f"tags must be replaced, got {props.tags}")
        secret = client.get_secret(first)
        check(secret.properties.tags == {"vendor": "pax8"}, "get after update: tags")
        check(secret.value == "value-0-second", "update must not change the value")
        client.update_secret_properties(first, enabled=False)
        expect_error(
            lambda: client.get_secret(first),
            HttpResponseError,
            403,
            "disabled",
            "get of a disabled secret",
        )
        client.update_secret_properties(first, enabled=True)
        check(client.get_secret(first).value == "value-0-second", "re-enabled get")
        return "tags replaced, disable/enable"

    def delete_and_recover():
        target = names[1]
        deleted = client.begin_delete_secret(target).result()
        check(deleted.name == target, f"delete: name {deleted.name}")
        check(deleted.recovery_id and deleted.recovery_id.endswith(f"/deletedsecrets/{target}"),
              f"delete: recovery id {deleted.recovery_id!r}")
        check(deleted.deleted_date is not None, "delete: no deletedDate")
        check(deleted.scheduled_purge_date is not None, "delete: no scheduledPurgeDate")
        fetched = client.get_deleted_secret(target)
        check(fetched.name == target, "get deleted")
        listed = [d.name for d in client.list_deleted_secrets()]
        check(target in listed, f"list deleted: {target} missing from {listed}")
        expect_error(
            lambda: client.get_secret(target),
            ResourceNotFoundError,
            404,
            "SecretNotFound",
            "get of a deleted secret",
        )
        expect_error(
            lambda: client.set_secret(target, "reuse"),
            ResourceExistsError,
            409,
            "ObjectIsDeletedButRecoverable",
            "set on a soft-deleted name",
        )
        recovered = client.begin_recover_deleted_secret(target).result()
        check(recovered.name == target, "recover: name")
        check(client.get_secret(target).value == "value-1", "recovered value")
        return "delete poller, list deleted, 409, recover poller"

    def purge():
        target = names[2]
        client.begin_delete_secret(target).result()
        client.purge_deleted_secret(target)
        expect_error(
            lambda: client.get_deleted_secret(target),
            ResourceNotFoundError,
            404,
            "not found",
            "get deleted after purge",
        )
        check(target not in [d.name for d in client.list_deleted_secrets()], "purged still listed")
        client.set_secret(target, "value-2-again")  # the name is free again
        return "purge 204, name reusable"

    def backup_restore():
        target = names[3]
        blob = client.backup_secret(target)
        check(isinstance(blob, (bytes, bytearray)) and len(blob) > 0, "backup: empty blob")
        client.begin_delete_secret(target).result()
        client.purge_deleted_secret(target)
        restored = client.restore_secret_backup(blob)
        check(restored.name == target, "restore: name")
        check(client.get_secret(target).value == "value-3", "restored value")
        return f"blob {len(blob)} bytes"

    def token_errors():
        cases = [
            ("wrong secret", args.tenant, args.client_id, "not-the-secret", "AADSTS7000215"),
            ("expired secret", args.tenant, args.expired_client_id, args.expired_client_secret,
             "AADSTS7000222"),
            ("unknown app", args.tenant, str(uuid.uuid4()), "whatever", "AADSTS700016"),
            ("unknown tenant", str(uuid.uuid4()), args.client_id, args.client_secret,
             "AADSTS90002"),
        ]
        for label, tenant, client_id, secret, code in cases:
            expect_error(
                lambda: credential(tenant, client_id, secret).get_token(VAULT_SCOPE),
                ClientAuthenticationError,
                None,
                code,
                f"token with {label}",
            )
        return "7000215 7000222 700016 90002"

    try:
        phases.run("set 60", set_many)
        phases.run("get 60", get_many)
        phases.run("list across pages", list_paged)
        phases.run("versions", versions)
        phases.run("update tags", update_tags)
        phases.run("delete + recover", delete_and_recover)
        phases.run("purge", purge)
        phases.run("backup + restore", backup_restore)
        phases.run("token errors", token_errors)
    except Mismatch as err:
        print(f"FIDELITY MISMATCH: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # noqa: BLE001 - any client exception is a fidelity failure
        print(f"FIDELITY FAILURE (unexpected {type(err).__name__}): {exception_text(err)}",
              file=sys.stderr)
        return 1
    summary = {"secrets": SECRET_COUNT, "total_secs": phases.total(), "phases": phases.timings}
    print("SUMMARY " + json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
