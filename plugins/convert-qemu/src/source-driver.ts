// Which qemu block driver reads an exported disk, told from its header. qemu-img could probe the
// format itself, but not through the raw driver that reads a disk in place inside an OVA, and
// probing is what lets a raw image pretend to be another format; a sniff of a few magic numbers is
// explicit and cheap. OVF packages carry VMDKs almost always; the others come from hand-made OVFs.
import { open } from 'node:fs/promises';
import { ExportError } from '@hyperexport/core';
import type { ImageLocation } from '@hyperexport/core';

const HEADER_BYTES = 512;
const VDI_SIGNATURE = 0xbeda107f;
const VDI_SIGNATURE_OFFSET = 0x40;

/** The qemu driver for the image at `location`: vmdk, qcow2, vhdx, vpc, vdi, or raw when none matches. */
export async function detectSourceDriver(location: ImageLocation, label: string): Promise<string> {
  const file = await open(location.path, 'r');
  try {
    const start = location.offset ?? 0;
    const size = location.size ?? (await file.stat()).size - start;
    const head = Buffer.alloc(Math.min(HEADER_BYTES, size));
    await file.read(head, 0, head.length, start);
    const ascii = (at: number, length: number) => head.subarray(at, at + length).toString('latin1');
    if (ascii(0, 4) === 'KDMV') return 'vmdk';
    if (ascii(0, 4) === 'QFI\xfb') return 'qcow2';
    if (ascii(0, 8) === 'vhdxfile') return 'vhdx';
    if (ascii(0, 8) === 'conectix') return 'vpc'; // a dynamic VHD starts with a copy of its footer
    if (head.length >= VDI_SIGNATURE_OFFSET + 4 && head.readUInt32LE(VDI_SIGNATURE_OFFSET) === VDI_SIGNATURE) return 'vdi';
    if (ascii(0, 21) === '# Disk DescriptorFile') {
      throw new ExportError(`${label} is a VMDK descriptor that points at other files, not a disk image; it cannot be converted on its own`, {
        code: 'CONVERT_SOURCE',
        hint: 'export the VM from its folder (source-local converts descriptors to streamOptimized disks) and convert that export',
      });
    }
    if (size >= HEADER_BYTES) {
      // A fixed VHD is the raw disk followed by a 512-byte footer.
      const foot = Buffer.alloc(8);
      await file.read(foot, 0, foot.length, start + size - HEADER_BYTES);
      if (foot.toString('latin1') === 'conectix') return 'vpc';
    }
    return 'raw';
  } finally {
    await file.close();
  }
}
