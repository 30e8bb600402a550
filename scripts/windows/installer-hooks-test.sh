#!/usr/bin/env bash
# Part of the Windows lane (scripts/windows-lane.sh): the NSIS installer's hooks that ship
# akv-console.exe and put it on the user's PATH (packaging/windows/cli-on-path.nsh), compiled
# with Debian's makensis into a minimal installer and run under Wine in the lane's prefix:
#   install -> akv-console.exe beside the app, the folder appended to HKCU\Environment\Path, and
#   `akv-console --help` works in a new console; a second install adds nothing; uninstall
#   restores the user's PATH exactly (or removes the one it created); a PATH too long for NSIS's
#   strings is left untouched.
# Tauri's own installer (WebView2 bootstrapper, shortcuts, signing) is built on the hosted runner.
#
#   scripts/windows/installer-hooks-test.sh <akv-console.exe> <bcryptprimitives.dll>
# with WINEPREFIX (and the lane's other Wine variables) exported.
set -euo pipefail

cli_exe="$1"
shim_dll="$2"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
wine=/usr/lib/wine/wine64
fail() { printf '\033[1;31merror:\033[0m installer hooks: %s\n' "$*" >&2; exit 1; }

command -v makensis >/dev/null || fail "makensis is missing: run scripts/setup.sh (Debian package nsis)"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
makensis -V2 -DAKV_CLI_EXE="${cli_exe}" -DOUTFILE="${work}/hooks-test.exe" \
    "${repo_root}/packaging/windows/tests/cli-on-path-test.nsi" >"${work}/makensis.log" 2>&1 \
    || fail "makensis could not compile the hooks: $(tail -5 "${work}/makensis.log")"

user_path() {
    "${wine}" reg query 'HKCU\Environment' /v Path 2>/dev/null | tr -d '\r' \
        | sed -n 's/^ *Path *REG_[A-Z_]*SZ *//p'
}
set_user_path() {
    "${wine}" reg add 'HKCU\Environment' /v Path /t REG_EXPAND_SZ /d "$1" /f >/dev/null 2>&1
}
run_and_wait() {
    "${wine}" "$@"
    /usr/lib/wine/wineserver -w
}

install_dir_win="C:\\users\\$(whoami)\\AppData\\Local\\AKV hook test"
install_dir="${WINEPREFIX}/drive_c/users/$(whoami)/AppData/Local/AKV hook test"
rm -rf "${install_dir}"

original='C:\tools;C:\Program Files\Other'
set_user_path "${original}"
run_and_wait "${work}/hooks-test.exe" /S
[ -f "${install_dir}/akv-console.exe" ] || fail "akv-console.exe was not installed in ${install_dir}"
[ "$(user_path)" = "${original};${install_dir_win}" ] \
    || fail "PATH after install is '$(user_path)', expected '${original};${install_dir_win}'"

# Only for Wine (see windows-lane.sh): the installed CLI needs the shim beside it.
cp "${shim_dll}" "${install_dir}/"
help="$("${wine}" cmd /c 'akv-console --help' 2>&1 | tr -d '\r')"
grep -q "Headless companion" <<<"${help}" \
    || fail "a new console did not find akv-console on PATH: ${help:0:300}"
rm -f "${install_dir}/$(basename "${shim_dll}")"

run_and_wait "${work}/hooks-test.exe" /S
[ "$(user_path)" = "${original};${install_dir_win}" ] \
    || fail "a second install changed PATH to '$(user_path)'"

run_and_wait "${install_dir}/uninstall.exe" /S "_?=${install_dir_win}"
[ "$(user_path)" = "${original}" ] || fail "PATH after uninstall is '$(user_path)', expected '${original}'"
[ ! -f "${install_dir}/akv-console.exe" ] || fail "the uninstaller left akv-console.exe behind"

# A PATH of 1,100 characters cannot be read whole into NSIS's 1,024-character strings.
long_path="C:\\$(printf 'x%.0s' $(seq 1 1100))"
set_user_path "${long_path}"
run_and_wait "${work}/hooks-test.exe" /S
[ -f "${install_dir}/akv-console.exe" ] || fail "akv-console.exe was not installed beside a long PATH"
[ "$(user_path)" = "${long_path}" ] || fail "a PATH too long for NSIS was rewritten (now $(user_path | wc -c) characters)"
run_and_wait "${install_dir}/uninstall.exe" /S "_?=${install_dir_win}"
[ "$(user_path)" = "${long_path}" ] || fail "the uninstaller rewrote a PATH too long for NSIS"

# No PATH of the user's own yet: the installer creates it, the uninstaller removes it again.
"${wine}" reg delete 'HKCU\Environment' /v Path /f >/dev/null 2>&1 || true
run_and_wait "${work}/hooks-test.exe" /S
[ "$(user_path)" = "${install_dir_win}" ] || fail "PATH created by the install is '$(user_path)'"
run_and_wait "${install_dir}/uninstall.exe" /S "_?=${install_dir_win}"
[ -z "$(user_path)" ] || fail "the uninstaller left PATH '$(user_path)'"

rm -rf "${install_dir}"
echo "installer hooks: akv-console installed, on PATH, removed; PATH restored; long PATH untouched"
