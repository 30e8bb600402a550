#!/usr/bin/env python3
"""Fidelity check for technician sign-in: Microsoft's MSAL for Python
(msal.PublicClientApplication) signs users in against the local Entra emulator with the device
code flow and with authorization code + PKCE (the "browser" is driven from here), then
Microsoft's Key Vault client uses the signed-in user's token.

Run by tests/tests/emulator_fidelity.rs, which starts the emulator with the users and the
public client; by hand:
    .venv/bin/python tests/python/signin_fidelity.py --authority-host https://127.0.0.1:8443 \
        --ca emulator-ca.pem --tenant <t> --client-id <console> --vault-url https://127.0.0.1:8443 \
        --admin <upn of a Console.Admin + Secrets Officer> --tech <upn of a Console.L1 + Secrets User> \
        --seeded <name of a secret in the vault>

Prints one line per phase and, last, a JSON summary line starting with "SUMMARY ".
Exit status 0 = every check passed; 1 = a mismatch (message on stderr).
"""

import argparse
import base64
import html
import json
import re
import socket
import sys
import threading
import time
import webbrowser
from urllib.parse import parse_qsl, urlparse

import msal
import requests
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.keyvault.secrets import SecretClient

VAULT_SCOPE = "https://vault.azure.net/.default"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class Mismatch(Exception):
    """The emulator did not behave the way MSAL or the Key Vault client expects."""


def check(condition, message):
    if not condition:
        raise Mismatch(message)


def jwt_claims(token):
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MsalUserCredential:
    """azure-core TokenCredential backed by MSAL's cache for one signed-in account: every call
    goes through acquire_token_silent, which refreshes with the refresh token when needed."""

    def __init__(self, app, account):
        self.app = app
        self.account = account
        self.calls = 0

    def get_token(self, *scopes, claims=None, tenant_id=None, enable_cae=False, **kwargs):
        self.calls += 1
        result = self.app.acquire_token_silent(list(scopes), account=self.account)
        check(result and "access_token" in result, f"silent token for {scopes}: {result}")
        return AccessToken(result["access_token"], int(time.time()) + int(result["expires_in"]))


class ScriptedBrowser(webbrowser.BaseBrowser):
    """Stands in for the system browser: follows the authorize URL to the loopback redirect,
    as a person clicking through the sign-in would. MSAL asks for response_mode=form_post, so
    the answer is Entra's auto-submitting form, which a browser posts to the redirect URI."""

    def __init__(self, ca):
        super().__init__("emulator-scripted-browser")
        self.ca = ca
        self.visited = []
        self.errors = []

    def open(self, url, new=0, autoraise=True):
        def visit():
            try:
                with requests.Session() as session:
                    session.trust_env = False  # no proxy, no CA bundle from the environment
                    reply = session.get(url, allow_redirects=False, verify=self.ca, timeout=10)
                    if reply.status_code == 302:
                        target = reply.headers["Location"]
                        self.visited.append(target)
                        session.get(target, timeout=10)  # MSAL's loopback listener
                        return
                    action = re.search(r'<form[^>]*action="([^"]+)"', reply.text)
                    fields = dict(re.findall(
                        r'<input type="hidden" name="([^"]+)" value="([^"]*)"', reply.text))
                    if not action:
                        self.errors.append(f"no redirect and no form: {reply.status_code}")
                        return
                    target = html.unescape(action.group(1))
                    self.visited.append(target)
                    fields = {html.unescape(k): html.unescape(v) for k, v in fields.items()}
                    session.post(target, data=fields, timeout=10)
            except Exception as err:  # noqa: BLE001 - reported by the caller
                self.errors.append(repr(err))
        threading.Thread(target=visit, daemon=True).start()
        return True


class Phases:
    def __init__(self):
        self.timings = {}
        self.started = time.perf_counter()

    def run(self, name, function):
        start = time.perf_counter()
        detail = function()
        elapsed = time.perf_counter() - start
        self.timings[name] = round(elapsed, 3)
        print(f"ok   {name:<32} {elapsed * 1000:8.0f} ms  {detail or ''}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--authority-host", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--vault-url", required=True)
    parser.add_argument("--admin", required=True)
    parser.add_argument("--tech", required=True)
    parser.add_argument("--seeded", required=True)
    args = parser.parse_args()

    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's `verify`, so a
    # machine with those set would not trust the emulator's CA: keep the environment out.
    http = requests.Session()
    http.verify = args.ca
    http.trust_env = False
    app = msal.PublicClientApplication(
        args.client_id,
        authority=f"{args.authority_host}/{args.tenant}",
        instance_discovery=False,
        http_client=http,
    )
    state = {}

    def vault_client(account):
        credential = MsalUserCredential(app, account)
        client = SecretClient(
            args.vault_url, credential, verify_challenge_resource=False, connection_verify=args.ca
        )
        return client, credential

    def device_code():
        flow = app.initiate_device_flow(scopes=[VAULT_SCOPE])
        check("user_code" in flow, f"device flow: {flow}")
        check(flow["user_code"] in flow["message"], "message names the user code")
        # One poll before anyone approved: MSAL sees authorization_pending.
        pending = app.acquire_token_by_device_flow(flow, exit_condition=lambda f: True)
        check(pending.get("error") == "authorization_pending", f"first poll: {pending}")
        check(70016 in pending.get("error_codes", []), f"AADSTS70016 expected: {pending}")
        # The person enters the code on the verification page.
        page = http.get(flow["verification_uri"], timeout=10)
        check(page.status_code == 200 and "user_code" in page.text, "verification page")
        done = http.post(
            flow["verification_uri"],
            data={"user_code": flow["user_code"], "upn": args.tech, "action": "approve"},
            timeout=30,
        )
        check(done.status_code == 200, f"approving the code: {done.status_code} {done.text}")
        result = app.acquire_token_by_device_flow(flow)
        check("access_token" in result, f"device flow tokens: {result}")
        claims = result["id_token_claims"]
        check(claims.get("preferred_username") == args.tech, f"device user: {claims}")
        check(claims.get("roles") == ["Console.L1"], f"device roles: {claims}")
        check(claims.get("tid") == args.tenant, f"tid: {claims}")
        check("refresh_token" in result, "offline_access gives a refresh token")
        state["tech_account"] = app.get_accounts(username=args.tech)[0]
        return f"user code {flow['user_code']}, roles {claims['roles']}"

    def vault_as_tech():
        client, credential = vault_client(state["tech_account"])
        names = [p.name for p in client.list_properties_of_secrets()]
        check(args.seeded in names, f"list as the tech: {names}")
        try:
            client.set_secret("msal-tech-tried", "nope")
        except HttpResponseError as err:
            text = str(err)
            check(err.status_code == 403, f"set as Secrets User: {err.status_code}")
            check("ForbiddenByRbac" in text and args.tech in text, f"403 names the user: {text}")
        else:
            raise Mismatch("a Secrets User could write")
        check(credential.calls >= 1, "the Key Vault client asked MSAL for the token")
        return f"{len(names)} secrets listed, write refused naming {args.tech}"

    def auth_code_pkce():
        redirect_uri = f"http://localhost:{free_port()}"
        flow = app.initiate_auth_code_flow(
            [VAULT_SCOPE], redirect_uri=redirect_uri, login_hint=args.admin
        )
        check("code_challenge=" in flow["auth_uri"], "MSAL sends PKCE")
        reply = http.get(flow["auth_uri"], allow_redirects=False, timeout=10)
        check(reply.status_code == 302, f"authorize: {reply.status_code} {reply.text[:300]}")
        location = reply.headers["Location"]
        check(location.startswith(redirect_uri), f"redirect to {location}")
        auth_response = dict(parse_qsl(urlparse(location).query))
        result = app.acquire_token_by_auth_code_flow(flow, auth_response)
        check("access_token" in result, f"auth code tokens: {result}")
        claims = result["id_token_claims"]  # MSAL has checked the nonce against the flow
        check(claims.get("preferred_username") == args.admin, f"auth code user: {claims}")
        check(claims.get("roles") == ["Console.Admin"], f"auth code roles: {claims}")
        state["admin_account"] = app.get_accounts(username=args.admin)[0]
        client, _ = vault_client(state["admin_account"])
        client.set_secret("msal-admin-wrote", "written-by-admin")
        check(client.get_secret("msal-admin-wrote").value == "written-by-admin", "admin read back")

        # A flow whose verifier does not match its challenge is refused by the emulator.
        bad = app.initiate_auth_code_flow([VAULT_SCOPE], redirect_uri=redirect_uri, login_hint=args.admin)
        reply = http.get(bad["auth_uri"], allow_redirects=False, timeout=10)
        bad["code_verifier"] = "x" * 64
        refused = app.acquire_token_by_auth_code_flow(
            bad, dict(parse_qsl(urlparse(reply.headers["Location"]).query))
        )
        check(refused.get("error") == "invalid_grant", f"wrong verifier: {refused}")
        check(501481 in refused.get("error_codes", []), f"AADSTS501481 expected: {refused}")
        return "admin signed in, wrote a secret; wrong verifier → 501481"

    def interactive_loopback():
        browser = ScriptedBrowser(args.ca)
        webbrowser.register(browser.name, None, browser, preferred=True)
        try:
            result = app.acquire_token_interactive(
                [VAULT_SCOPE], login_hint=args.tech, timeout=30,
                success_template="signed in", error_template="failed: {error}",
            )
        except Exception as err:  # noqa: BLE001 - say what the scripted browser saw
            raise Mismatch(
                f"interactive sign-in: {err!r}; browser visited {browser.visited}, "
                f"errors {browser.errors}"
            ) from err
        check(not browser.errors, f"scripted browser: {browser.errors}")
        check("access_token" in result, f"interactive tokens: {result}")
        check(result["id_token_claims"].get("preferred_username") == args.tech, "interactive user")
        redirect = browser.visited[0] if browser.visited else ""
        check(redirect.startswith("http://localhost:"), f"loopback redirect: {redirect}")
        return f"loopback redirect {redirect.split('?')[0]}"

    def refresh_for_graph_and_force_refresh():
        account = state["admin_account"]
        graph = app.acquire_token_silent([GRAPH_SCOPE], account=account)
        check(graph and "access_token" in graph, f"Graph token by refresh: {graph}")
        check(jwt_claims(graph["access_token"])["aud"] == "https://graph.microsoft.com", "Graph aud")
        first = app.acquire_token_silent([VAULT_SCOPE], account=account)
        again = app.acquire_token_silent([VAULT_SCOPE], account=account, force_refresh=True)
        check(again and "access_token" in again, f"forced refresh: {again}")
        check(again["access_token"] != first["access_token"], "a forced refresh gives a new token")
        claims = jwt_claims(again["access_token"])
        check(claims["upn"] == args.admin and claims["aud"] == "https://vault.azure.net", f"{claims}")
        return "Graph token and a forced vault refresh from the rotating refresh token"

    phases = Phases()
    try:
        phases.run("device code", device_code)
        phases.run("key vault as the tech", vault_as_tech)
        phases.run("auth code + PKCE", auth_code_pkce)
        phases.run("interactive (loopback)", interactive_loopback)
        phases.run("refresh: graph + forced", refresh_for_graph_and_force_refresh)
    except Mismatch as err:
        print(f"FIDELITY MISMATCH: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # noqa: BLE001 - any client exception is a fidelity failure
        print(f"FIDELITY FAILURE (unexpected {type(err).__name__}): {err!r}", file=sys.stderr)
        return 1
    total = round(time.perf_counter() - phases.started, 3)
    print("SUMMARY " + json.dumps({"total_secs": total, "phases": phases.timings}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
