#!/usr/bin/env bash
# Builds the release app and prints every headline figure against the local emulator, each next
# to its target (and the ratio where a peer is measured in the same run):
#   - release binary sizes (app and akv-console);
#   - the Clients figures (tests/benches/connect.rs): list calls, connect → rows vs Microsoft's
#     Python client, 10 clients in parallel;
#   - one sign-in → 20 clients in 20 client tenants connected, next to one client alone
#     (tests/benches/tenants.rs);
#   - the rest (tests/benches/headline.rs): Rotate All Due with 429s vs one by one, PDF of 1,000
#     keys, audit verify of 100,000 entries, cold start and memory of the release window.
# Exits non-zero only if something could not be measured, never because a number is slow.
set -uo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${repo_root}"
# shellcheck source=scripts/toolchain-path.sh
source "${repo_root}/scripts/toolchain-path.sh"
say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
failed=0
rows=()

scripts/setup.sh >&2 || exit 1
say "building the UI and the release binaries"
npm --prefix ui run build --silent >&2 || exit 1
cargo build --release --quiet -p api-key-vault-console -p akv-console >&2 || exit 1

target="${CARGO_TARGET_DIR:-${repo_root}/target}"
for binary in api-key-vault-console akv-console; do
    bytes=$(stat -c %s "${target}/release/${binary}") || { failed=1; continue; }
    rows+=("$(printf '| %-58s | %-22s | %-34s |' "release binary size (${binary})" "< 20 MB" \
        "$(awk -v b="${bytes}" 'BEGIN { printf "%.1f MB", b / 1048576 }')")")
done

# Each bench prints its rows as "| figure | target | measured |"; its other output goes to stderr.
run_bench() {
    local output
    if ! output="$("$@")"; then
        failed=1
        say "could not measure: $*"
    fi
    while IFS= read -r line; do
        case "${line}" in
            "| figure"*|"|---"*|"|-"*) ;;
            "| "*) rows+=("${line}") ;;
        esac
    done <<< "${output}"
}
say "Clients figures (cargo bench --bench connect)"
run_bench cargo bench --quiet -p akv-tests --bench connect
say "Client tenants figure (cargo bench --bench tenants)"
run_bench cargo bench --quiet -p akv-tests --bench tenants
say "Rotate All Due, PDF, audit verify, cold start and memory (cargo bench --bench headline)"
run_bench env AKV_BENCH_APP="${target}/release/api-key-vault-console" \
    cargo bench --quiet -p akv-tests --bench headline

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo
echo "Headline figures, $(date -u +%Y-%m-%d), release build, $(nproc) cores (${cpu}), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
echo
printf '| %-58s | %-22s | %-34s |\n' "figure" "target" "measured"
printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..60})" "$(printf -- '-%.0s' {1..24})" "$(printf -- '-%.0s' {1..36})"
printf '%s\n' "${rows[@]}"
if [ "${failed}" -ne 0 ]; then
    echo "Some figures could not be measured (see the messages above)." >&2
fi
exit "${failed}"
