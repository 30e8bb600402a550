# Sourced by setup.sh, test.sh, run-demo.sh and bench.sh: puts the toolchains setup.sh may have
# installed on PATH. Node.js 20.19+ comes from the npm registry (package node-linux-<arch>) into
# .tools/node when the system's is missing or too old (Debian 12 ships 18); Rust, when rustup's
# is not installed, is Debian's rustc-web/cargo-web in /usr/bin, already on PATH.
# shellcheck shell=bash
akv_node_bin="${repo_root}/.tools/node/node_modules/node-linux-$(uname -m | sed -e 's/x86_64/x64/' -e 's/aarch64/arm64/')/bin"
if [ -x "${akv_node_bin}/node" ]; then
    PATH="${akv_node_bin}:${PATH}"
    export PATH
fi
unset akv_node_bin
