#!/usr/bin/env bash
# Builds the console and opens it in demo mode: 32 vendors with sample keys, fully offline,
# nothing written to disk. Installs whatever is missing first.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${repo_root}"
# shellcheck source=scripts/toolchain-path.sh
source "${repo_root}/scripts/toolchain-path.sh"

scripts/setup.sh --run
echo "==> building the UI"
npm --prefix ui run build --silent
echo "==> building the app"
cargo build --quiet

app=(target/debug/api-key-vault-console --demo)
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
    echo "==> starting API Key Vault Console in demo mode"
    exec "${app[@]}"
fi

# No desktop session (e.g. over SSH): run on a virtual display so the app still starts, and
# save a screenshot to show it did.
echo "==> no display found: running on a virtual display (Xvfb); close with Ctrl-C"
if ! command -v xvfb-run >/dev/null 2>&1; then
    scripts/setup.sh
fi
mkdir -p test-artifacts
xvfb-run -a -s "-screen 0 1440x900x24" bash -c '
    "$@" &
    app=$!
    sleep 12
    import -window root test-artifacts/demo-screenshot.png 2>/dev/null \
        && echo "==> screenshot of the running app: test-artifacts/demo-screenshot.png"
    wait "$app"
' bash "${app[@]}"
