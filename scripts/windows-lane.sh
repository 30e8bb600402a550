#!/usr/bin/env bash
# The Windows lane of the test command, on this Linux machine: builds the core library and the
# headless CLI for x86_64-pc-windows-gnu (mingw-w64), runs akv-core's unit tests and the CLI's
# integration test (tests/tests/cli.rs, the emulator staying a Linux process) under Wine, and
# type-checks the whole workspace, the Tauri app included, for Windows.
#
# What it cannot show: WebView2 (the window never runs), the real Credential Manager (Wine has
# its own), SmartScreen and code signing, Tauri's MSI and NSIS installers themselves (the NSIS
# hooks that add akv-console.exe and its PATH entry are compiled with makensis and run here).
# The hosted workflow (.github/workflows/release.yml) builds the installers on a Windows runner.
#
# Rust for Windows comes from Debian's rustc-web, cargo-web and rust-web-src (the standard
# library's source, compiled for the target with -Zbuild-std, which needs RUSTC_BOOTSTRAP):
# rustup's download server, which ships a prebuilt Windows standard library, is out of reach
# here. Everything goes to target-windows/ and a CARGO_HOME of its own, so the Linux build in
# target/ is never rebuilt, and --locked keeps the newer cargo from rewriting Cargo.lock.
#
#   scripts/windows-lane.sh          build, test and check
#   AKV_WINDOWS_CARGO_HOME=DIR       where the lane's crates are downloaded (default
#                                    ~/.cache/akv-windows-cargo)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${repo_root}"
started=$(date +%s)
step() { printf '\n\033[1;35m==> [windows] %s\033[0m (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }
fail() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

triple=x86_64-pc-windows-gnu
wine=/usr/lib/wine/wine64
target_dir="${repo_root}/target-windows"
debug_dir="${target_dir}/${triple}/debug"

for tool in /usr/bin/cargo /usr/bin/rustc "${wine}" /usr/bin/x86_64-w64-mingw32-gcc; do
    [ -x "${tool}" ] || fail "${tool} is missing: run scripts/setup.sh (Debian packages rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 wine64)"
done
[ -d /usr/lib/rustlib/src/rust/library/std ] \
    || fail "the standard library's source is missing: run scripts/setup.sh (Debian package rust-web-src)"

# Debian's cargo and rustc for every Windows build (rustup's proxies come first on PATH otherwise).
windows_env=(
    env
    PATH="/usr/bin:${PATH}"
    CARGO_HOME="${AKV_WINDOWS_CARGO_HOME:-${HOME}/.cache/akv-windows-cargo}"
    CARGO_TARGET_DIR="${target_dir}"
    RUSTC=/usr/bin/rustc
    RUSTDOC=/usr/bin/rustdoc
    RUSTC_BOOTSTRAP=1
    CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
    # printpdf also builds as a DLL (cdylib); exporting every symbol of a debug build
    # overflows the mingw linker's 65,535-entry ordinal table.
    CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUSTFLAGS="-C link-arg=-Wl,--exclude-all-symbols"
    CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="${wine}"
)
# `test` is in -Zbuild-std even for builds: cargo adds it to every test build, and a build
# without it compiled every dependency a second time (21 minutes of a cold lane).
windows_cargo() {
    local command="$1"
    shift
    "${windows_env[@]}" "${wine_env[@]}" cargo "${command}" --locked --quiet \
        -Zbuild-std=std,panic_abort,test --target "${triple}" "$@"
}

# A Wine prefix of its own, without a display (console programs need none) and without the
# Mono/Gecko installers a first start would offer.
wine_env=(
    WINEPREFIX="${target_dir}/wine"
    WINEDEBUG=-all
    WINEDLLOVERRIDES="mscoree,mshtml="
    DISPLAY=
    WAYLAND_DISPLAY=
)

step "Wine shims (bcryptprimitives.dll, credwrite.exe)"
mkdir -p "${debug_dir}/deps"
# Wine 8 has no bcryptprimitives.dll, where Rust's standard library gets its random numbers.
x86_64-w64-mingw32-gcc -O2 -shared -o "${debug_dir}/bcryptprimitives.dll" \
    scripts/windows/bcryptprimitives.c -ladvapi32
cp "${debug_dir}/bcryptprimitives.dll" "${debug_dir}/deps/"
# Writes the CLI test's remembered secret into Wine's Credential Manager.
x86_64-w64-mingw32-gcc -O2 -municode -o "${debug_dir}/credwrite.exe" \
    scripts/windows/credwrite.c -ladvapi32

if [ ! -f "${target_dir}/wine/system.reg" ]; then
    step "creating the Wine prefix (target-windows/wine)"
    env "${wine_env[@]}" "${wine}" wineboot --init >/dev/null 2>&1 || true
    # wineboot returns before the prefix is written out; wait for its wineserver to finish.
    env "${wine_env[@]}" /usr/lib/wine/wineserver -w || true
    [ -f "${target_dir}/wine/system.reg" ] || fail "wineboot did not create the Wine prefix in ${target_dir}/wine"
fi

step "building akv-core and akv-console for ${triple}"
windows_cargo build -p akv-core -p akv-console
cli_exe="${debug_dir}/akv-console.exe"
[ -f "${cli_exe}" ] || fail "${cli_exe} was not built"

step "akv-core unit tests under Wine"
# Skipped here only: the test deletes the open audit log and expects the next read to fail.
# Windows 10+ (NTFS, POSIX delete semantics) removes the name at once; Wine 8 keeps the file
# readable until its last handle closes, so the test would fail on Wine's account.
windows_cargo test -p akv-core --lib -- --test-threads=2 \
    --skip audit::tests::file::a_missing_file_is_reported_not_verified

step "akv-console.exe --demo under Wine"
demo_dir="$(mktemp -d)"
trap 'rm -rf "${demo_dir}"' EXIT
# The demo's fictitious keys include overdue ones: status exits 2 (critical) by design.
set +e
env "${wine_env[@]}" "${wine}" "${cli_exe}" --demo status --json > "${demo_dir}/status.json"
code=$?
set -e
[ "${code}" -eq 2 ] || fail "akv-console.exe --demo status --json exited ${code}, expected 2 (critical)"
grep -q '"schema": *"akv-console.status/[0-9][0-9]*"' "${demo_dir}/status.json" \
    || fail "akv-console.exe --demo status --json printed no status document: $(head -c 400 "${demo_dir}/status.json")"
env "${wine_env[@]}" "${wine}" "${cli_exe}" --demo report --pdf "${demo_dir}/report.pdf"
[ "$(head -c 4 "${demo_dir}/report.pdf")" = "%PDF" ] || fail "akv-console.exe --demo report wrote no PDF"

step "the NSIS installer hooks: akv-console.exe installed and on PATH, under Wine"
env "${wine_env[@]}" scripts/windows/installer-hooks-test.sh "${cli_exe}" "${debug_dir}/bcryptprimitives.dll"

step "the CLI integration test (tests/tests/cli.rs) with akv-console.exe under Wine"
# The test binary and its emulator are Linux programs (the ordinary build in target/); only
# the CLI it drives is the Windows one. The prefix outlives a run: the test starts without the
# console's files of the last one.
rm -rf "${target_dir}"/wine/drive_c/users/*/AppData/Roaming/com.msp.apikeyvaultconsole \
    "${target_dir}"/wine/drive_c/users/*/AppData/Local/com.msp.apikeyvaultconsole
# ... and without the last run's Credential Manager entries (the prefix is the lane's own): a
# stale installation id kept there would win over the window's installation.json.
env "${wine_env[@]}" "${wine}" reg delete 'HKCU\Software\Wine\Credential Manager' /f >/dev/null 2>&1 || true
env "${wine_env[@]}" AKV_CLI_EXE="${cli_exe}" AKV_CLI_RUNNER="${wine}" \
    AKV_CLI_CREDWRITE="${debug_dir}/credwrite.exe" \
    cargo test --quiet -p akv-tests --test cli -- --test-threads=2

step "type-checking the workspace for ${triple} (the Tauri app included)"
windows_cargo check --workspace

step "Windows lane passed"
