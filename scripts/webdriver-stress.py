#!/usr/bin/env python3
"""Run many WebDriver sessions against the app in demo mode and count the ones that break.

This is the tool behind the README's "WebKitWebDriver deaths" finding. It drives tauri-driver the
way a plain WebDriver client does (standard library only: raw W3C WebDriver over HTTP), in one of
two ways of starting and stopping the driver:

  naive    tauri-driver on its default ports (4444, native 4445), stopped with SIGKILL after each
           session, its output read through a pipe that is closed when the session ends: what a
           quick script (or the console's own harness before 969c0b1) does;
  grouped  fresh ports per session, tauri-driver in its own process group, the whole group killed
           at the end: what tests/src/e2e.rs does now.

Each session opens the Add Key modal, types, runs a script and closes the modal, several times.
With --load K, K busy processes compete for the CPU. The summary names, for every failed
session, which command failed and which processes were alive at that moment.

  scripts/webdriver-stress.py --app target/debug/api-key-vault-console --mode naive --sessions 12
"""

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

SELECTOR = "css selector"
LOG_DIR = os.environ.get("STRESS_LOG_DIR", "/tmp/webdriver-stress")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pids_named(name):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm", encoding="utf-8") as comm:
                if comm.read().strip() == name[:15]:
                    found.append(int(entry))
        except OSError:
            continue
    return sorted(found)


def who_listens(port):
    """The pids holding a listening socket on 127.0.0.1:port (from /proc/net/tcp)."""
    inodes = set()
    with open("/proc/net/tcp", encoding="utf-8") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.split(":")[1], 16) == port:
                inodes.add(inode)
    holders = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{entry}/fd"):
                link = os.readlink(f"/proc/{entry}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    holders.append(int(entry))
                    break
        except OSError:
            continue
    return sorted(set(holders))


class WebDriverError(Exception):
    pass


class Session:
    def __init__(self, port, timeout, keep_alive=False):
        self.base = f"http://127.0.0.1:{port}"
        self.port = port
        self.keep_alive = keep_alive
        self.connection = None
        self.timeout = timeout
        self.id = None

    def call(self, method, path, body=None):
        if self.keep_alive:
            return self.call_keep_alive(method, path, body)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path, data=data, method=method,
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                return json.loads(reply.read() or b"{}").get("value")
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")[:300]
            raise WebDriverError(f"HTTP {error.code}: {text}") from None
        except (urllib.error.URLError, OSError) as error:
            raise WebDriverError(f"transport: {error}") from None

    def call_keep_alive(self, method, path, body):
        """One persistent connection, no `Connection: close` (what Selenium and fantoccini do)."""
        data = None if body is None else json.dumps(body)
        for attempt in range(2):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection(
                        "127.0.0.1", self.port, timeout=self.timeout)
                self.connection.request(method, path, body=data,
                                        headers={"Content-Type": "application/json"})
                reply = self.connection.getresponse()
                text = reply.read()
                break
            except (http.client.HTTPException, OSError) as error:
                self.connection = None
                # Only a connection that was never answered may be retried: our own idle one.
                if attempt or isinstance(error, TimeoutError):
                    raise WebDriverError(f"transport: {error}") from None
        if reply.status >= 400:
            raise WebDriverError(f"HTTP {reply.status}: {text.decode(errors='replace')[:300]}")
        return json.loads(text or b"{}").get("value")

    def start(self, app, args):
        capabilities = {"capabilities": {"alwaysMatch": {
            "browserName": "wry",
            "tauri:options": {"application": app, "args": args}}}}
        deadline = time.time() + 30
        while True:
            try:
                self.id = self.call("POST", "/session", capabilities)["sessionId"]
                return
            except WebDriverError as error:
                # tauri-driver answers before the native driver behind it listens.
                if time.time() > deadline or "HTTP" in str(error):
                    raise
                time.sleep(0.2)

    def find(self, css, wait=15):
        deadline = time.time() + wait
        while True:
            found = self.call("POST", f"/session/{self.id}/elements",
                              {"using": SELECTOR, "value": css})
            if found:
                return list(found[0].values())[0]
            if time.time() > deadline:
                raise WebDriverError(f"no element {css}")
            time.sleep(0.1)

    def wait_gone(self, css, wait=15):
        deadline = time.time() + wait
        while self.call("POST", f"/session/{self.id}/elements",
                        {"using": SELECTOR, "value": css}):
            if time.time() > deadline:
                raise WebDriverError(f"{css} still there")
            time.sleep(0.1)

    def click(self, css):
        self.call("POST", f"/session/{self.id}/element/{self.find(css)}/click", {})

    def type_into(self, css, text):
        self.call("POST", f"/session/{self.id}/element/{self.find(css)}/value", {"text": text})

    def script(self, source):
        return self.call("POST", f"/session/{self.id}/execute/sync",
                         {"script": source, "args": []})

    def close(self):
        if self.id:
            try:
                self.call("DELETE", f"/session/{self.id}")
            except WebDriverError:
                pass


def exercise(session, rounds):
    session.find("[data-testid=connection-badge]", wait=30)
    for round_number in range(rounds):
        yield "click add-key", lambda: session.click("[data-testid=add-key]")
        yield "find modal", lambda: session.find("[data-testid=add-key-modal]")
        yield "type owner", lambda: session.type_into("[data-testid=add-owner]",
                                                      f"stress {round_number}")
        yield "script", lambda: session.script(
            "return document.querySelectorAll('[data-testid=vault-row]').length")
        yield "escape", lambda: session.type_into("[data-testid=add-owner]", "\ue00c")
        yield "modal closed", lambda: session.wait_gone("[data-testid=add-key-modal]")
        yield "search", lambda: session.type_into("[data-testid=vault-search]", "a")


def start_driver(mode, display, env):
    if mode == "naive":
        port, native_port = 4444, 4445
        driver = subprocess.Popen(
            ["tauri-driver"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        # Read the output like a harness that shows it on failure.
        threading.Thread(target=lambda: driver.stdout.read(), daemon=True).start()
    else:
        port, native_port = free_port(), free_port()
        log = open(os.path.join(LOG_DIR, f"driver-{port}.log"), "wb")
        driver = subprocess.Popen(
            ["tauri-driver", "--port", str(port), "--native-port", str(native_port)],
            env=env, stdout=log, stderr=log, start_new_session=True)
    return driver, port, native_port


def stop_driver(mode, driver):
    if mode == "naive":
        driver.kill()
        driver.wait()
        driver.stdout.close()
    else:
        try:
            os.killpg(driver.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        driver.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", required=True)
    parser.add_argument("--mode", choices=["naive", "grouped"], default="naive")
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--load", type=int, default=0, help="busy processes competing for CPU")
    parser.add_argument("--client", choices=["close", "keep-alive"], default="close",
                        help="one connection per command with 'Connection: close' (urllib, curl)"
                        " or one kept-alive connection (Selenium, fantoccini)")
    parser.add_argument("--verbose", action="store_true", help="print every command")
    parser.add_argument("--timeout", type=float, default=30, help="seconds per WebDriver call")
    options = parser.parse_args()
    app = os.path.abspath(options.app)
    os.makedirs(LOG_DIR, exist_ok=True)

    display = ":" + str(170 + os.getpid() % 50)
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    load = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(options.load)]
    env = dict(os.environ, DISPLAY=display)
    time.sleep(0.5)
    results = []
    try:
        for number in range(1, options.sessions + 1):
            before = pids_named("WebKitWebDriver")
            driver, port, native_port = start_driver(options.mode, display, env)
            session = Session(port, options.timeout, options.client == "keep-alive")
            step, failure = "new session", None
            started = time.time()
            try:
                session.start(app, ["--demo"])
                for step, command in exercise(session, options.rounds):
                    if options.verbose:
                        print(f"  {time.time() - started:6.2f} s  {step}", flush=True)
                    command()
            except WebDriverError as error:
                failure = str(error)
                # Is the session still there? (A reset connection is not a dead driver.)
                try:
                    session.script("return 1")
                    failure += "; the next command worked"
                except WebDriverError as again:
                    failure += f"; the next command failed too ({again})"
                failure += f"; app processes {pids_named('api-key-vault-c')}"
            alive = pids_named("WebKitWebDriver")
            holders = who_listens(native_port)
            session.close()
            stop_driver(options.mode, driver)
            time.sleep(0.3)
            left = pids_named("WebKitWebDriver")
            results.append((number, failure))
            status = "ok" if failure is None else f"FAILED at '{step}': {failure}"
            if failure and options.mode == "grouped":
                status += f" (driver log {LOG_DIR}/driver-{port}.log)"
            print(f"session {number:2}: {status} ({time.time() - started:.1f} s); "
                  f"WebKitWebDriver before {before}, at end {alive}, "
                  f"native port {native_port} held by {holders}, left after stop {left}",
                  flush=True)
    finally:
        for busy in load:
            busy.kill()
        xvfb.terminate()
        for pid in pids_named("WebKitWebDriver") if options.mode == "grouped" else []:
            print(f"note: WebKitWebDriver {pid} still running", flush=True)
    failed = [number for number, failure in results if failure]
    print(f"{options.mode}: {len(results) - len(failed)} of {len(results)} sessions passed"
          + (f"; failed: {failed}" if failed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
