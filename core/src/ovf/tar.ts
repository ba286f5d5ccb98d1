// The ustar header format, as much of it as an OVA needs. An OVA is a plain tar archive whose
// first member is the .ovf, so we write one 512-byte ustar header per file and nothing else:
// an extra PAX or GNU member in front would confuse OVA readers that expect the .ovf first.
// Sizes of 8 GiB or more do not fit the 11 octal digits of the size field; for those we use
// GNU's base-256 encoding of that field, which GNU tar, bsdtar and Go's archive/tar all read.
// Reading is more lenient: it also understands PAX 'x' records and GNU 'L' long names, which
// other tools write.

export const BLOCK_SIZE = 512;

/** Largest size the octal size field can hold: 8^11 - 1 bytes (8 GiB - 1). */
const MAX_OCTAL_SIZE = 8 ** 11 - 1;

/** Type flags we write or need to recognise (POSIX, PAX and GNU extensions). */
export const TarType = Object.freeze({
  FILE: '0',
  /** Pre-POSIX archives mark regular files with a NUL type flag. */
  OLD_FILE: '\0',
  HARD_LINK: '1',
  SYMLINK: '2',
  CHAR_DEVICE: '3',
  BLOCK_DEVICE: '4',
  DIRECTORY: '5',
  FIFO: '6',
  CONTIGUOUS: '7',
  PAX_HEADER: 'x',
  PAX_GLOBAL: 'g',
  GNU_LONG_NAME: 'L',
  GNU_LONG_LINK: 'K',
});

/** What we put in a header when writing. */
export interface TarHeaderInput {
  readonly name: string;
  readonly size: number;
  /** Permission bits; default 0o644. */
  readonly mode?: number;
  /** Modification time, seconds since the epoch; default now. */
  readonly mtime?: number;
}

/** A decoded header block. `name` joins the ustar prefix; PAX/GNU overrides are not applied here. */
export interface TarHeader {
  readonly name: string;
  readonly size: number;
  readonly mode: number;
  readonly mtime: number;
  readonly typeflag: string;
  readonly linkname: string;
}

// Field offsets and lengths of the ustar header.
const F = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  checksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  uname: [265, 32],
  gname: [297, 32],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
} as const satisfies Record<string, readonly [number, number]>;

/** Encodes one ustar header block for a regular file. */
export function encodeTarHeader(input: TarHeaderInput): Buffer {
  const { name, size } = input;
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`tar: invalid size ${size} for ${JSON.stringify(name)}`);
  const nameBytes = Buffer.from(name, 'utf8');
  // OVA members are plain file names (no '/'), so the ustar prefix field cannot hold part of a
  // longer name; a GNU 'L' member would be an extra member that OVA readers do not expect.
  if (nameBytes.length === 0 || nameBytes.length > F.name[1]) {
    throw new Error(`tar: member name ${JSON.stringify(name)} is ${nameBytes.length} bytes; a ustar header holds 1 to ${F.name[1]}`);
  }
  const block = Buffer.alloc(BLOCK_SIZE);
  nameBytes.copy(block, F.name[0]);
  writeOctal(block, F.mode, input.mode ?? 0o644);
  writeOctal(block, F.uid, 0);
  writeOctal(block, F.gid, 0);
  if (size > MAX_OCTAL_SIZE) writeBase256(block, F.size, size);
  else writeOctal(block, F.size, size);
  writeOctal(block, F.mtime, input.mtime ?? Math.floor(Date.now() / 1000));
  block.write(TarType.FILE, F.typeflag[0], 'latin1');
  block.write('ustar\0', F.magic[0], 'latin1');
  block.write('00', F.version[0], 'latin1');
  // The checksum is computed with its own field read as eight spaces, then written as six octal
  // digits, a NUL and a space (the layout GNU tar writes).
  block.fill(0x20, F.checksum[0], F.checksum[0] + F.checksum[1]);
  const sum = unsignedChecksum(block);
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', F.checksum[0], 'latin1');
  return block;
}

/**
 * Decodes one header block. Returns undefined for an all-zero block (the end of the archive).
 * Throws when the checksum is wrong or the block is not a ustar/GNU header.
 */
export function decodeTarHeader(block: Buffer): TarHeader | undefined {
  if (block.length !== BLOCK_SIZE) throw new Error(`tar: a header is ${BLOCK_SIZE} bytes, got ${block.length}`);
  if (block.every((b) => b === 0)) return undefined;

  const stored = parseNumber(block, F.checksum, 'checksum');
  const withSpaces = Buffer.from(block);
  withSpaces.fill(0x20, F.checksum[0], F.checksum[0] + F.checksum[1]);
  // Some old tars summed signed bytes; accept either, as GNU tar does.
  if (stored !== unsignedChecksum(withSpaces) && stored !== signedChecksum(withSpaces)) {
    throw new Error('tar: header checksum mismatch (not a tar archive, or a corrupt one)');
  }

  // POSIX writes `ustar\0` + `00`; old GNU tar writes `ustar  \0` (and uses the prefix bytes
  // for other fields).
  const magic = block.toString('latin1', F.magic[0], F.magic[0] + 8);
  const isUstar = magic.startsWith('ustar\0');
  const isOldGnu = magic === 'ustar  \0';
  if (!isUstar && !isOldGnu) {
    throw new Error(`tar: not a ustar header (magic ${JSON.stringify(magic)}); an OVA is a POSIX ustar archive (pre-POSIX v7 tar is not accepted)`);
  }

  let name = readString(block, F.name);
  // Only POSIX ustar has a prefix field; old GNU headers use those bytes for other things.
  const prefix = isUstar ? readString(block, F.prefix) : '';
  if (prefix !== '') name = `${prefix}/${name}`;

  return {
    name,
    size: parseNumber(block, F.size, 'size'),
    mode: parseNumber(block, F.mode, 'mode'),
    mtime: parseNumber(block, F.mtime, 'mtime'),
    typeflag: block.toString('latin1', F.typeflag[0], F.typeflag[0] + 1),
    linkname: readString(block, F.linkname),
  };
}

/** Bytes of zero padding after a member body of `size` bytes, up to the next block boundary. */
export function paddingSize(size: number): number {
  return (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
}

/** The padding itself (a fresh zero buffer, possibly empty). */
export function padding(size: number): Buffer {
  return Buffer.alloc(paddingSize(size));
}

/** End of archive: two zero blocks. */
export function endOfArchive(): Buffer {
  return Buffer.alloc(2 * BLOCK_SIZE);
}

/**
 * Parses the body of a PAX extended header: records `LEN key=value\n`, where LEN counts the whole
 * record in bytes. Later records win, as in the standard.
 */
export function parsePaxRecords(body: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < body.length) {
    if (body[pos] === 0) break; // trailing NUL padding some writers leave
    const space = body.indexOf(0x20, pos);
    if (space < 0) throw new Error('tar: malformed PAX record (no length)');
    const lengthText = body.toString('latin1', pos, space);
    const length = Number(lengthText);
    if (!/^\d+$/.test(lengthText) || length <= space - pos + 1 || pos + length > body.length) {
      throw new Error(`tar: malformed PAX record length ${JSON.stringify(lengthText)}`);
    }
    const record = body.subarray(space + 1, pos + length);
    if (record[record.length - 1] !== 0x0a) throw new Error('tar: malformed PAX record (no newline)');
    const eq = record.indexOf(0x3d);
    if (eq < 0) throw new Error('tar: malformed PAX record (no "=")');
    records.set(record.toString('utf8', 0, eq), record.toString('utf8', eq + 1, record.length - 1));
    pos += length;
  }
  return records;
}

/** The name a GNU 'L' (or 'K') member's body carries: NUL-terminated text. */
export function parseGnuLongName(body: Buffer): string {
  const nul = body.indexOf(0);
  return body.toString('utf8', 0, nul < 0 ? body.length : nul);
}

function unsignedChecksum(block: Buffer): number {
  let sum = 0;
  for (const byte of block) sum += byte;
  return sum;
}

function signedChecksum(block: Buffer): number {
  let sum = 0;
  for (const byte of block) sum += byte >= 0x80 ? byte - 0x100 : byte;
  return sum;
}

function writeOctal(block: Buffer, [offset, length]: readonly [number, number], value: number): void {
  // length - 1 digits and a terminating NUL.
  const digits = value.toString(8).padStart(length - 1, '0');
  if (digits.length > length - 1) throw new Error(`tar: ${value} does not fit a ${length}-byte octal field`);
  block.write(digits + '\0', offset, 'latin1');
}

/** GNU base-256: the first byte's high bit set, the number big-endian in the remaining bytes. */
function writeBase256(block: Buffer, [offset, length]: readonly [number, number], value: number): void {
  let rest = BigInt(value);
  for (let i = offset + length - 1; i > offset; i--) {
    block[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  block[offset] = 0x80;
}

function parseNumber(block: Buffer, [offset, length]: readonly [number, number], field: string): number {
  const first = block[offset] ?? 0;
  if (first & 0x80) {
    // 0xff marks a negative base-256 number, which no size or mode should be.
    if (first === 0xff) throw new Error(`tar: negative ${field} in header`);
    let value = BigInt(first & 0x7f);
    for (let i = offset + 1; i < offset + length; i++) value = (value << 8n) | BigInt(block[i] ?? 0);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`tar: ${field} too large in header`);
    return Number(value);
  }
  // Octal digits, optionally surrounded by spaces and terminated by NUL or space.
  const text = block
    .toString('latin1', offset, offset + length)
    .replace(/\0.*$/s, '')
    .trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`tar: invalid ${field} field ${JSON.stringify(text)} in header`);
  return parseInt(text, 8);
}

function readString(block: Buffer, [offset, length]: readonly [number, number]): string {
  const field = block.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return field.toString('utf8', 0, nul < 0 ? length : nul);
}
