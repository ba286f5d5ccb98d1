// Tells what kind of VMDK a file is by reading its header only. An export can carry a VMDK as is
// only when the file holds the whole disk: a binary sparse extent (streamOptimized, the format
// OVF packages use, or monolithicSparse). A text descriptor (monolithicFlat, twoGbMaxExtent*,
// vmfs) merely points at other files and must be converted first.
import { open } from 'node:fs/promises';

export type VmdkKind = 'streamOptimized' | 'monolithicSparse' | 'descriptor';

export interface VmdkInfo {
  readonly kind: VmdkKind;
  /** The descriptor's createType (e.g. streamOptimized, monolithicFlat), when there is one. */
  readonly createType?: string | undefined;
  /** Virtual disk size as the guest sees it. */
  readonly capacityBytes?: number | undefined;
}

/** The OVF ovf:format URL of each kind a package can carry. */
export const VMDK_FORMAT_URL = Object.freeze({
  streamOptimized: 'http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized',
  monolithicSparse: 'http://www.vmware.com/interfaces/specifications/vmdk.html#sparse',
});

const SECTOR = 512;
const SPARSE_MAGIC = 0x564d444b; // "KDMV" read little-endian
const FLAG_COMPRESSED = 1 << 16;
const FLAG_MARKERS = 1 << 17;
const COMPRESSION_DEFLATE = 1;
/** Descriptors are a few hundred bytes; we never read more than this of one. */
const MAX_DESCRIPTOR_BYTES = 64 * 1024;

/** Reads the header of the VMDK at `path`. Throws when the file is not a VMDK we know. */
export async function inspectVmdk(path: string): Promise<VmdkInfo> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(MAX_DESCRIPTOR_BYTES);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    const header = head.subarray(0, bytesRead);

    if (header.length >= SECTOR && header.readUInt32LE(0) === SPARSE_MAGIC) {
      // SparseExtentHeader (VMware's "Virtual Disk Format 5.0"), little-endian.
      const flags = header.readUInt32LE(8);
      const capacitySectors = header.readBigUInt64LE(12);
      const descriptorOffset = header.readBigUInt64LE(28);
      const descriptorSectors = header.readBigUInt64LE(36);
      const compressAlgorithm = header.readUInt16LE(77);
      const streamOptimized = compressAlgorithm === COMPRESSION_DEFLATE || (flags & (FLAG_COMPRESSED | FLAG_MARKERS)) !== 0;

      let createType: string | undefined;
      if (descriptorOffset > 0n && descriptorSectors > 0n) {
        const length = Math.min(Number(descriptorSectors) * SECTOR, MAX_DESCRIPTOR_BYTES);
        const embedded = Buffer.alloc(length);
        const read = await file.read(embedded, 0, length, Number(descriptorOffset) * SECTOR);
        createType = parseDescriptor(embedded.subarray(0, read.bytesRead).toString('latin1')).createType;
      }
      return {
        kind: streamOptimized ? 'streamOptimized' : 'monolithicSparse',
        createType,
        capacityBytes: Number(capacitySectors * BigInt(SECTOR)),
      };
    }

    const text = header.toString('latin1');
    if (/^\s*#\s*Disk DescriptorFile/i.test(text)) {
      const descriptor = parseDescriptor(text);
      return { kind: 'descriptor', createType: descriptor.createType, capacityBytes: descriptor.capacityBytes };
    }
    throw new Error(`${path} is not a VMDK this tool can read (neither a sparse extent with the KDMV magic nor a text descriptor)`);
  } finally {
    await file.close();
  }
}

/** createType and the sum of the extents' sizes, from descriptor text. */
function parseDescriptor(text: string): { createType?: string; capacityBytes?: number } {
  const createType = /^\s*createType\s*=\s*"([^"]*)"/im.exec(text)?.[1];
  // Extent lines: `RW 16777216 SPARSE "disk-s001.vmdk"` (access, size in sectors, type, file).
  let sectors = 0;
  let extents = 0;
  for (const match of text.matchAll(/^\s*(?:RW|RDONLY|NOACCESS)\s+(\d+)\s+\w+/gim)) {
    sectors += Number(match[1]);
    extents++;
  }
  return {
    ...(createType !== undefined ? { createType } : {}),
    ...(extents > 0 ? { capacityBytes: sectors * SECTOR } : {}),
  };
}
