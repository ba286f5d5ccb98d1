#!/usr/bin/env bash
# Builds test/vcsim/bin/vcsim-harness from Debian's Go toolchain and govmomi sources, in GOPATH
# mode (no network, no go.mod). Go's build cache makes a run with nothing changed take ~0.2 s.
#
#   test/vcsim/build.sh           build
#   test/vcsim/build.sh --test    build, then run the harness's own Go tests against the binary
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
govmomi=/usr/share/gocode/src/github.com/vmware/govmomi

missing=()
command -v go >/dev/null 2>&1 || missing+=(golang-go)
[ -d "$govmomi/simulator" ] || missing+=(golang-github-vmware-govmomi-dev)
command -v qemu-img >/dev/null 2>&1 || missing+=(qemu-utils) # the harness runs it at start-up
if [ ${#missing[@]} -gt 0 ]; then
  echo "build.sh: missing Debian packages: ${missing[*]}" >&2
  echo "build.sh: install them with: apt-get install -y golang-go golang-github-vmware-govmomi-dev qemu-utils" >&2
  exit 1
fi

# GOPATH mode: Debian's govmomi lives under /usr/share/gocode; the second entry only has to be
# writable. GOFLAGS is cleared so that an inherited -mod=mod cannot switch to module mode.
# CGO_ENABLED=0: Go 1.19 does not fall back by itself when no C compiler is installed.
export GO111MODULE=off GOFLAGS= CGO_ENABLED=0 GOPATH="/usr/share/gocode:$here/.gopath"
if [ -z "${GOCACHE:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ] && [ -z "${HOME:-}" ]; then
  export GOCACHE="$here/.gopath/cache"
fi
mkdir -p "$here/bin" "$here/.gopath"

cd "$here"
go build -o bin/vcsim-harness .

if [ "${1:-}" = "--test" ]; then
  go test -count=1 -timeout 300s .
fi
