#!/usr/bin/env bash
# Builds test/vcsim/bin/vcsim-harness from Debian's Go toolchain and govmomi sources, in GOPATH
# mode (no network, no go.mod). Go's build cache makes a second run take about a second.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
govmomi=/usr/share/gocode/src/github.com/vmware/govmomi

missing=()
command -v go >/dev/null 2>&1 || missing+=(golang-go)
[ -d "$govmomi/simulator" ] || missing+=(golang-github-vmware-govmomi-dev)
command -v qemu-img >/dev/null 2>&1 || missing+=(qemu-utils)
if [ ${#missing[@]} -gt 0 ]; then
  echo "build.sh: missing Debian packages: ${missing[*]}" >&2
  echo "build.sh: install them with: apt-get install -y golang-go golang-github-vmware-govmomi-dev qemu-utils" >&2
  exit 1
fi

# GOPATH mode: Debian's govmomi lives under /usr/share/gocode; the second entry only has to be
# writable. Clear GOFLAGS so that an inherited -mod=mod cannot switch to module mode.
export GO111MODULE=off GOFLAGS= GOPATH="/usr/share/gocode:$here/.gopath"
export GOCACHE="${GOCACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/go-build}"
mkdir -p "$here/bin" "$here/.gopath"

cd "$here"
go build -o bin/vcsim-harness .
