#!/usr/bin/env bash
# Creates (or refreshes) the repository's Python virtualenv used by the emulator fidelity
# tests: $(repo)/.venv with Microsoft's azure-identity, azure-keyvault-secrets, -certificates,
# -keys and MSAL pinned in
# tests/python/requirements.txt. Safe to run repeatedly; it only installs what is missing.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv_dir="${repo_root}/.venv"
requirements="${repo_root}/tests/python/requirements.txt"
python_bin="${PYTHON:-python3}"

if ! command -v "${python_bin}" >/dev/null 2>&1; then
    echo "error: ${python_bin} not found; install Python 3.9+ (or set PYTHON=/path/to/python3)" >&2
    exit 1
fi

if [ ! -x "${venv_dir}/bin/python" ]; then
    echo "creating virtualenv in ${venv_dir}"
    "${python_bin}" -m venv "${venv_dir}"
fi

# Skip pip entirely when every pinned requirement is already satisfied (fast re-runs).
stamp="${venv_dir}/.requirements.sha256"
wanted="$(sha256sum "${requirements}" | cut -d' ' -f1)"
if [ -f "${stamp}" ] && [ "$(cat "${stamp}")" = "${wanted}" ] \
    && "${venv_dir}/bin/python" -c 'import azure.identity, azure.keyvault.secrets, azure.keyvault.certificates, azure.keyvault.keys, msal' >/dev/null 2>&1; then
    echo "virtualenv ${venv_dir} is up to date"
    exit 0
fi

"${venv_dir}/bin/python" -m pip install --disable-pip-version-check --quiet --upgrade pip
"${venv_dir}/bin/python" -m pip install --disable-pip-version-check --quiet -r "${requirements}"
"${venv_dir}/bin/python" -c 'import azure.identity, azure.keyvault.secrets, azure.keyvault.certificates, azure.keyvault.keys, msal' 
echo "${wanted}" > "${stamp}"
echo "virtualenv ready: ${venv_dir}"
"${venv_dir}/bin/python" -m pip freeze --disable-pip-version-check | grep -iE '^(azure-|msal)' || true
