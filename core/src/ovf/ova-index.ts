// Lists the members of an OVA file by reading its tar headers and seeking over the bodies, so a
// 100 GiB OVA is indexed with a few reads and nothing is extracted. Each member can then be read
// in place as a byte range of the file. Only regular files with plain names are accepted: an OVA
// never needs links, devices or directories, and such members are how archives attack readers.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { assertSafeFileName } from './safe-name.ts';
import { BLOCK_SIZE, decodeTarHeader, paddingSize, parseGnuLongName, parsePaxRecords, TarType } from './tar.ts';

/** A regular file inside an OVA: where its bytes start and how many there are. */
export interface OvaMember {
  readonly name: string;
  /** Byte offset of the body in the OVA file. */
  readonly offset: number;
  readonly size: number;
}

/** PAX and GNU long-name bodies are small; a huge one means a corrupt or hostile archive. */
const MAX_EXTENSION_BODY = 1024 * 1024;

const TYPE_NAMES: Readonly<Record<string, string>> = {
  [TarType.HARD_LINK]: 'a hard link',
  [TarType.SYMLINK]: 'a symbolic link',
  [TarType.CHAR_DEVICE]: 'a character device',
  [TarType.BLOCK_DEVICE]: 'a block device',
  [TarType.DIRECTORY]: 'a directory',
  [TarType.FIFO]: 'a FIFO',
};

/** Reads the member list of the OVA at `path`, in archive order. */
export async function indexOva(path: string): Promise<OvaMember[]> {
  const file = await open(path, 'r');
  try {
    const fileSize = (await file.stat()).size;
    const members: OvaMember[] = [];
    const names = new Set<string>();
    const block = Buffer.alloc(BLOCK_SIZE);
    // Overrides that PAX 'x' and GNU 'L' members set for the member that follows them.
    let pending: { name?: string; size?: number } = {};
    let position = 0;

    const readExactly = async (buffer: Buffer, at: number, what: string): Promise<void> => {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, at);
      if (bytesRead !== buffer.length) throw new Error(`${path}: truncated OVA (${what} at byte ${at} is cut off)`);
    };

    for (;;) {
      if (position + BLOCK_SIZE > fileSize) {
        // GNU tar writes the end blocks, but a missing end after a complete member is harmless.
        if (position === fileSize && members.length > 0) break;
        throw new Error(`${path}: truncated OVA (no tar header at byte ${position})`);
      }
      await readExactly(block, position, 'tar header');
      let header;
      try {
        header = decodeTarHeader(block);
      } catch (error) {
        throw new Error(`${path}: not a valid OVA (tar archive) at byte ${position}: ${(error as Error).message}`, { cause: error });
      }
      if (header === undefined) break; // a zero block: end of archive
      const type = header.typeflag;
      const isExtension = type === TarType.PAX_HEADER || type === TarType.PAX_GLOBAL || type === TarType.GNU_LONG_NAME || type === TarType.GNU_LONG_LINK;
      const bodyOffset = position + BLOCK_SIZE;
      // A PAX 'size' record applies to the next real member, not to another extension header.
      const size = isExtension ? header.size : (pending.size ?? header.size);
      if (bodyOffset + size > fileSize) {
        throw new Error(
          `${path}: truncated OVA (member ${JSON.stringify(pending.name ?? header.name)} needs ${size} bytes at byte ${bodyOffset}, the file ends at ${fileSize})`,
        );
      }
      position = bodyOffset + size + paddingSize(size);

      if (isExtension) {
        if (header.size > MAX_EXTENSION_BODY)
          throw new Error(`${path}: tar extension header at byte ${bodyOffset - BLOCK_SIZE} is too large (${header.size} bytes)`);
        const body = Buffer.alloc(header.size);
        await readExactly(body, bodyOffset, 'tar extension header');
        if (type === TarType.PAX_HEADER) pending = { ...pending, ...paxOverrides(parsePaxRecords(body), path) };
        else if (type === TarType.GNU_LONG_NAME) pending = { ...pending, name: parseGnuLongName(body) };
        // Global PAX records and long link names do not change a regular file's name or size.
        continue;
      }

      const name = pending.name ?? header.name;
      pending = {};
      if (type !== TarType.FILE && type !== TarType.OLD_FILE && type !== TarType.CONTIGUOUS) {
        const what = TYPE_NAMES[type] ?? `of tar type ${JSON.stringify(type)}`;
        throw new Error(`${path}: OVA member ${JSON.stringify(name)} is ${what}; an OVA may only contain regular files`);
      }
      assertSafeFileName(name, `OVA member in ${path}`);
      if (names.has(name)) throw new Error(`${path}: OVA member ${JSON.stringify(name)} appears twice`);
      names.add(name);
      members.push({ name, offset: bodyOffset, size });
    }
    if (members.length === 0) throw new Error(`${path}: the OVA contains no files`);
    return members;
  } finally {
    await file.close();
  }
}

/** Opens the bytes of one member, read in place from the OVA. */
export function openOvaMember(path: string, member: OvaMember, options: { signal?: AbortSignal } = {}): Readable {
  // createReadStream's `end` is inclusive and must not be below `start`: an empty member is
  // simply an empty stream.
  if (member.size === 0) return Readable.from([], { objectMode: false });
  return createReadStream(path, {
    start: member.offset,
    end: member.offset + member.size - 1,
    // 1 MiB reads: the transforms downstream (AES, zstd) run twice as fast on them as on 64 KiB.
    highWaterMark: 1 << 20,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

function paxOverrides(records: Map<string, string>, path: string): { name?: string; size?: number } {
  const overrides: { name?: string; size?: number } = {};
  const name = records.get('path');
  if (name !== undefined) overrides.name = name;
  const size = records.get('size');
  if (size !== undefined) {
    if (!/^\d+$/.test(size) || !Number.isSafeInteger(Number(size))) throw new Error(`${path}: invalid PAX size ${JSON.stringify(size)}`);
    overrides.size = Number(size);
  }
  return overrides;
}
