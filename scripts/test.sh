#!/usr/bin/env bash
# Runs every test: UI checks and unit tests (svelte-check, Vitest), Rust unit tests, the Key
# Vault emulator's protocol tests and Microsoft's Python clients against it, the app's Azure
# store against the emulator, the PDF report tests, and the end-to-end tests that drive the
# real window under Xvfb, the headless CLI against the emulator, and the .deb installed with
# apt and started; then the Windows lane (scripts/windows-lane.sh: the core and the CLI built
# for Windows with mingw-w64, their tests under Wine, the whole workspace type-checked for
# Windows) and actionlint over .github/workflows. Installs whatever is missing first.
# Artifacts (screenshots, PDFs) land in test-artifacts/.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${repo_root}"
# shellcheck source=scripts/toolchain-path.sh
source "${repo_root}/scripts/toolchain-path.sh"
started=$(date +%s)
step() { printf '\n\033[1;34m==> %s\033[0m (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

step "installing what is missing"
scripts/setup.sh

step "formatting (cargo fmt --check)"
if cargo fmt --version >/dev/null 2>&1; then
    cargo fmt --all -- --check
else
    # Debian's Rust (rustc-web) has no rustfmt, and rustup's cannot be fetched from a package
    # registry: say so rather than fail the run on a machine that has only Debian's Rust.
    printf '\033[1;33mrustfmt is not installed (Debian'"'"'s Rust has none): formatting NOT checked; with rustup: rustup component add rustfmt\033[0m\n'
fi

step "linting the workflows (actionlint)"
.venv/bin/actionlint .github/workflows/*.yml

step "UI type check (svelte-check)"
npm --prefix ui run check --silent

step "UI unit tests (Vitest)"
npm --prefix ui test --silent

step "building the UI"
npm --prefix ui run build --silent

step "building the app (UI embedded)"
cargo build --workspace --quiet

step "building the Linux packages (tauri build --debug --bundles deb,rpm)"
# --debug reuses the build above; `-- --workspace` builds with the workspace's unified features,
# as above, instead of the app package's own (which rebuilt a third of the dependencies, 3.5 min
# cold). Release packages: `ui/node_modules/.bin/tauri build` (see the README). The CLI is the
# UI's npm dev dependency @tauri-apps/cli.
# AKV_CLI_BUILT: the workspace build includes akv-console, which the packages ship as /usr/bin/akv-console.
AKV_CLI_BUILT=1 ui/node_modules/.bin/tauri build --debug --bundles deb,rpm -- --workspace

step "Rust tests: unit, emulator, Azure store, PDF, CLI, packages, end-to-end"
rm -rf test-artifacts && mkdir -p test-artifacts
cargo test --workspace --quiet -- --test-threads=2

step "the Windows lane (mingw-w64 build, tests under Wine, workspace check)"
# Its own target directory (target-windows/) and CARGO_HOME: nothing above is rebuilt.
scripts/windows-lane.sh

step "TypeScript bindings match the Rust types"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    if ! git diff --exit-code --stat -- ui/src/lib/bindings; then
        echo "The generated bindings in ui/src/lib/bindings changed: commit them." >&2
        exit 1
    fi
fi

step "all tests passed; artifacts in test-artifacts/"
