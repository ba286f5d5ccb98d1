#!/usr/bin/env bash
# The README's first command: on a fresh machine, installs what is needed, builds and starts the
# vSphere simulator (VMware's vcsim, extended in test/vcsim with export leases and real
# streamOptimized disks), and exports a VM with two disks as an OVA through hyperexport.config.ts
# into ./demo-output, exactly as against a real vCenter: GOVC_* in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
bash test/vcsim/build.sh

mkdir -p .tmp
ready=.tmp/vcsim-ready.json
rm -f "$ready"
test/vcsim/bin/vcsim-harness -disk-mb 64,32 >"$ready" 2>.tmp/vcsim.log &
harness=$!
trap 'kill "$harness" 2>/dev/null; wait "$harness" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  [ -s "$ready" ] && break
  kill -0 "$harness" 2>/dev/null || { echo "demo: the simulator failed to start:" >&2; cat .tmp/vcsim.log >&2; exit 1; }
  sleep 0.1
done
field() { node -e "process.stdout.write(String(JSON.parse(require('fs').readFileSync('$ready','utf8'))$1))"; }
export GOVC_URL="$(field .url)" GOVC_USERNAME="$(field .username)" GOVC_PASSWORD="$(field .password)" GOVC_INSECURE=1
vm="$(field '.vms[0].path')"
echo "demo: simulator at $GOVC_URL; exporting $vm" >&2

node cli/bin/hyperexport.js vms
node cli/bin/hyperexport.js export --vm "$vm" --format ova --output demo-output --overwrite
echo
echo "OVA members (descriptor, manifest, disks):"
tar -tvf "demo-output/$(basename "$vm").ova"
