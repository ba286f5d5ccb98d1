#!/usr/bin/env bash
# The README's first command: on a fresh machine, installs what is needed, makes a real VMware
# VM folder (a .vmx and two streamOptimized disks made by qemu-img), and exports it as an OVA
# through hyperexport.config.ts into ./demo-output.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
rm -rf .tmp/demo-vm
node test/support/make-vm-folder.ts .tmp/demo-vm demo-vm 64 32 >/dev/null
node core/bin/hyperexport.js export --source .tmp/demo-vm --format ova --output demo-output --overwrite
echo
echo "OVA members (descriptor, manifest, disks):"
tar -tvf demo-output/demo-vm.ova
