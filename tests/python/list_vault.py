#!/usr/bin/env python3
"""The peer for the connect benchmark: Microsoft's Python client (azure-identity +
azure-keyvault-secrets) gets a token and lists every secret's properties of a vault, as fast as
it can. Prints one JSON line: {"seconds": ..., "secrets": ...} (seconds from start to the last
page, the interpreter's start-up and imports excluded).

    .venv/bin/python tests/python/list_vault.py --url https://127.0.0.1:PORT --ca ca.pem \
        --tenant <t> --client-id <c> --client-secret <s>
"""

import argparse
import json
import time
from urllib.parse import urlparse

from azure.identity import ClientSecretCredential
from azure.keyvault.secrets import SecretClient


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    args = parser.parse_args()

    started = time.perf_counter()
    credential = ClientSecretCredential(
        args.tenant,
        args.client_id,
        args.client_secret,
        authority=urlparse(args.url).netloc,
        disable_instance_discovery=True,
        connection_verify=args.ca,
    )
    client = SecretClient(
        args.url, credential, verify_challenge_resource=False, connection_verify=args.ca
    )
    count = sum(1 for _ in client.list_properties_of_secrets())
    elapsed = time.perf_counter() - started
    print(json.dumps({"seconds": elapsed, "secrets": count}))


if __name__ == "__main__":
    main()
