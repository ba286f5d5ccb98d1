// The on-disk layout of a `.hxe` file: version 2, which writers write, and version 1, which
// readers still read (docs/encryption.md is the specification; keep the two in step). Everything
// here is pure byte layout: no keys, no streams.
import { ExportError } from '@hyperexport/core';

/** "\x89HXE\r\n\x1a\n": a high byte and CR LF / LF catch transfers that mangle binary files (as PNG's). */
export const MAGIC = Buffer.from([0x89, 0x48, 0x58, 0x45, 0x0d, 0x0a, 0x1a, 0x0a]);
/** The version writers write: the header binds the file's stored name and its export. */
export const FORMAT_VERSION = 2;
/** The first version, without a binding: still read, never written. */
export const FORMAT_VERSION_1 = 1;
/** Versions this reader reads. */
export const READABLE_VERSIONS: readonly number[] = Object.freeze([FORMAT_VERSION_1, FORMAT_VERSION]);
/** Suffix of a stored name once encrypted. */
export const SUFFIX = '.hxe';

export const KDF_SCRYPT = 1;
export const KDF_RAW_KEY = 2;

export const MIN_CHUNK_SIZE = 64 * 1024;
export const MAX_CHUNK_SIZE = 1024 * 1024;
export const DEFAULT_CHUNK_SIZE = MAX_CHUNK_SIZE;

export const TAG_LENGTH = 16;
export const KDF_SALT_LENGTH = 16;
export const FILE_SALT_LENGTH = 32;
export const NONCE_PREFIX_LENGTH = 7;
export const NONCE_LENGTH = 12;
export const KEY_CHECK_LENGTH = 16;
export const HEADER_MAC_LENGTH = 32;
/** Chunk counters are 32 bits: at most 2^32 chunks in one file. */
export const MAX_CHUNKS = 2 ** 32;

// Field offsets of the fixed fields, the same in versions 1 and 2 (big-endian integers).
const OFFSET_VERSION = 8;
const OFFSET_KDF = 9;
const OFFSET_LOG2N = 10;
const OFFSET_R = 11;
const OFFSET_P = 12;
const OFFSET_CHUNK_SIZE = 13;
const OFFSET_KDF_SALT = 17;
const OFFSET_FILE_SALT = OFFSET_KDF_SALT + KDF_SALT_LENGTH; // 33
const OFFSET_NONCE_PREFIX = OFFSET_FILE_SALT + FILE_SALT_LENGTH; // 65
const OFFSET_KEY_CHECK = OFFSET_NONCE_PREFIX + NONCE_PREFIX_LENGTH; // 72
/** Length of the fixed fields (magic to key check), which both versions start with. */
export const FIXED_FIELDS_LENGTH = OFFSET_KEY_CHECK + KEY_CHECK_LENGTH; // 88

/** Version 1: the fixed fields, then the MAC; 120 bytes. */
export const V1_HEADER_LENGTH = FIXED_FIELDS_LENGTH + HEADER_MAC_LENGTH; // 120

// Version 2: the fixed fields, binding_length (uint16), the binding, then the MAC.
const OFFSET_BINDING_LENGTH = FIXED_FIELDS_LENGTH; // 88
const OFFSET_BINDING = OFFSET_BINDING_LENGTH + 2; // 90
/** Limits on the binding's strings, in UTF-8 bytes: a file name (255, as most file systems allow) and a job id. */
export const BINDING_LIMITS = Object.freeze({ maxStoredNameBytes: 255, maxExportIdBytes: 128 });
/** binding = uint8 name length ‖ name ‖ uint8 id length ‖ id; each string at least 1 byte. */
export const MIN_BINDING_LENGTH = 1 + 1 + 1 + 1;
export const MAX_BINDING_LENGTH = 1 + BINDING_LIMITS.maxStoredNameBytes + 1 + BINDING_LIMITS.maxExportIdBytes; // 385
/** The shortest and longest headers a reader can meet (v1's 120; v2's 507). */
export const MIN_HEADER_LENGTH = V1_HEADER_LENGTH;
export const MAX_HEADER_LENGTH = OFFSET_BINDING + MAX_BINDING_LENGTH + HEADER_MAC_LENGTH; // 507
const MIN_V2_HEADER_LENGTH = OFFSET_BINDING + MIN_BINDING_LENGTH + HEADER_MAC_LENGTH; // 126

/** scrypt cost parameters; N = 2^log2N. */
export interface ScryptParams {
  readonly log2N: number;
  readonly r: number;
  readonly p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = Object.freeze({ log2N: 17, r: 8, p: 1 });

/**
 * Limits on scrypt parameters, for writing and for reading: a header is read before it is
 * authenticated, so a damaged or hostile one must not make the reader allocate gigabytes or
 * spin for hours.
 */
export const SCRYPT_LIMITS = Object.freeze({ minLog2N: 10, maxLog2N: 20, maxR: 32, maxP: 16, maxMemoryBytes: 1024 * 1024 * 1024 });

/** How the master key was made: scrypt of a passphrase (with its salt), or a raw key file. */
export type KdfParams = ({ readonly kind: 'scrypt'; readonly salt: Buffer } & ScryptParams) | { readonly kind: 'raw' };

/**
 * What a version 2 header says its file was written as: its stored name (after every transform
 * renamed it, base name only) and the id of the export job that wrote it. Authenticated by the
 * header MAC; a version 1 header has none.
 */
export interface HeaderBinding {
  readonly storedName: string;
  readonly exportId: string;
}

/** The fields a writer chooses (version 2). */
export interface HeaderFields {
  readonly kdf: KdfParams;
  readonly chunkSize: number;
  readonly fileSalt: Buffer;
  readonly noncePrefix: Buffer;
  readonly keyCheck: Buffer;
  readonly binding: HeaderBinding;
}

export interface Header extends Omit<HeaderFields, 'binding'> {
  readonly version: number;
  /** Undefined for a version 1 header. */
  readonly binding: HeaderBinding | undefined;
  readonly mac: Buffer;
  /** The bytes the MAC covers (the header without its MAC). */
  readonly authenticated: Buffer;
}

/** Memory scrypt needs for these parameters, as Node counts it for `maxmem`. */
export function scryptMemory(params: ScryptParams): number {
  return 128 * 2 ** params.log2N * params.r;
}

/** Why these scrypt parameters are refused, or undefined when they are within the limits. */
export function scryptProblem(params: ScryptParams): string | undefined {
  const { log2N, r, p } = params;
  if (!Number.isInteger(log2N) || log2N < SCRYPT_LIMITS.minLog2N || log2N > SCRYPT_LIMITS.maxLog2N)
    return `scrypt log2N must be an integer from ${SCRYPT_LIMITS.minLog2N} to ${SCRYPT_LIMITS.maxLog2N} (got ${log2N})`;
  if (!Number.isInteger(r) || r < 1 || r > SCRYPT_LIMITS.maxR) return `scrypt r must be an integer from 1 to ${SCRYPT_LIMITS.maxR} (got ${r})`;
  if (!Number.isInteger(p) || p < 1 || p > SCRYPT_LIMITS.maxP) return `scrypt p must be an integer from 1 to ${SCRYPT_LIMITS.maxP} (got ${p})`;
  if (scryptMemory(params) > SCRYPT_LIMITS.maxMemoryBytes)
    return `scrypt parameters need ${scryptMemory(params) / 2 ** 20} MiB (128·N·r), more than the limit of ${SCRYPT_LIMITS.maxMemoryBytes / 2 ** 20} MiB`;
  return undefined;
}

export function chunkSizeProblem(chunkSize: number): string | undefined {
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    return `the chunk size must be an integer from ${MIN_CHUNK_SIZE} (64 KiB) to ${MAX_CHUNK_SIZE} (1 MiB) bytes (got ${chunkSize})`;
  }
  return undefined;
}

/** Why a writer cannot bind this name and id, or undefined when it can. */
export function bindingProblem(binding: HeaderBinding): string | undefined {
  const { storedName, exportId } = binding;
  const nameBytes = Buffer.byteLength(storedName, 'utf8');
  if (nameBytes === 0) return 'the stored name is empty';
  if (nameBytes > BINDING_LIMITS.maxStoredNameBytes)
    return `the stored name ${storedName} is ${nameBytes} bytes in UTF-8, more than the ${BINDING_LIMITS.maxStoredNameBytes} an encrypted file's header can bind`;
  if (storedName.includes('/') || storedName.includes('\0')) return `the stored name ${JSON.stringify(storedName)} is not a base name (it holds a / or a NUL)`;
  if (!sameInUtf8(storedName)) return `the stored name ${JSON.stringify(storedName)} is not valid Unicode (a lone surrogate)`;
  const idBytes = Buffer.byteLength(exportId, 'utf8');
  if (idBytes === 0) return 'the export id is empty';
  if (idBytes > BINDING_LIMITS.maxExportIdBytes) return `the export id is ${idBytes} bytes in UTF-8, more than ${BINDING_LIMITS.maxExportIdBytes}`;
  if (!sameInUtf8(exportId)) return 'the export id is not valid Unicode (a lone surrogate)';
  return undefined;
}

/** True when the string survives UTF-8 encoding unchanged (no lone surrogates). */
function sameInUtf8(text: string): boolean {
  return Buffer.from(text, 'utf8').toString('utf8') === text;
}

/** Bytes of a version 2 header with this binding, MAC included. */
export function headerLength(binding: HeaderBinding): number {
  return OFFSET_BINDING + 2 + Buffer.byteLength(binding.storedName, 'utf8') + Buffer.byteLength(binding.exportId, 'utf8') + HEADER_MAC_LENGTH;
}

/** A version 2 header without its MAC; the caller appends the MAC over these bytes. */
export function encodeHeaderFields(fields: HeaderFields): Buffer {
  const problem = bindingProblem(fields.binding);
  if (problem)
    throw new ExportError(`cannot encrypt the file: ${problem}`, {
      code: 'BAD_BINDING',
      hint: "an encrypted file's stored name must be 1 to 255 bytes in UTF-8, without / or NUL: give the export a shorter name",
    });
  const name = Buffer.from(fields.binding.storedName, 'utf8');
  const id = Buffer.from(fields.binding.exportId, 'utf8');
  const bindingLength = 1 + name.length + 1 + id.length;
  const out = Buffer.alloc(OFFSET_BINDING + bindingLength);
  MAGIC.copy(out, 0);
  out[OFFSET_VERSION] = FORMAT_VERSION;
  if (fields.kdf.kind === 'scrypt') {
    out[OFFSET_KDF] = KDF_SCRYPT;
    out[OFFSET_LOG2N] = fields.kdf.log2N;
    out[OFFSET_R] = fields.kdf.r;
    out[OFFSET_P] = fields.kdf.p;
    fields.kdf.salt.copy(out, OFFSET_KDF_SALT);
  } else {
    out[OFFSET_KDF] = KDF_RAW_KEY; // scrypt fields and salt stay zero
  }
  out.writeUInt32BE(fields.chunkSize, OFFSET_CHUNK_SIZE);
  fields.fileSalt.copy(out, OFFSET_FILE_SALT);
  fields.noncePrefix.copy(out, OFFSET_NONCE_PREFIX);
  fields.keyCheck.copy(out, OFFSET_KEY_CHECK);
  out.writeUInt16BE(bindingLength, OFFSET_BINDING_LENGTH);
  let offset = OFFSET_BINDING;
  for (const part of [name, id]) {
    out[offset] = part.length;
    part.copy(out, offset + 1);
    offset += 1 + part.length;
  }
  return out;
}

/** How far a reader must read: to `length` bytes, which are the whole header when `complete`. */
export interface HeaderExtent {
  readonly length: number;
  readonly complete: boolean;
}

/**
 * How long the header that `seen` (the first bytes of a file) begins is, as far as they tell:
 * 9 bytes tell the version, a version 2 header's first 90 its binding length. Refuses a file
 * that does not start with the magic, an unknown version, and a binding length outside the
 * limits, before anything is authenticated or allocated.
 */
export function headerExtent(seen: Buffer, name: string): HeaderExtent {
  if (!startsLikeHeader(seen)) throw notEncrypted(name);
  if (seen.length <= OFFSET_VERSION) return { length: OFFSET_VERSION + 1, complete: false };
  const version = seen[OFFSET_VERSION]!;
  if (version === FORMAT_VERSION_1) return { length: V1_HEADER_LENGTH, complete: true };
  if (version !== FORMAT_VERSION) {
    throw new ExportError(`${name} uses encryption format version ${version}; this HyperExport reads versions ${READABLE_VERSIONS.join(' and ')}`, {
      code: 'UNSUPPORTED_VERSION',
      hint: 'decrypt it with a newer HyperExport (or, if it was written by this one, the header is damaged)',
    });
  }
  if (seen.length < OFFSET_BINDING) return { length: OFFSET_BINDING, complete: false };
  const bindingLength = seen.readUInt16BE(OFFSET_BINDING_LENGTH);
  if (bindingLength < MIN_BINDING_LENGTH || bindingLength > MAX_BINDING_LENGTH) {
    throw damagedHeader(name, `binding length ${bindingLength} is outside ${MIN_BINDING_LENGTH} to ${MAX_BINDING_LENGTH}`);
  }
  return { length: OFFSET_BINDING + bindingLength + HEADER_MAC_LENGTH, complete: true };
}

/** The fewest bytes a header that begins with `seen` can have (for a message about truncation). */
export function minimumHeaderLength(seen: Buffer): number {
  return seen.length > OFFSET_VERSION && seen[OFFSET_VERSION] === FORMAT_VERSION ? MIN_V2_HEADER_LENGTH : MIN_HEADER_LENGTH;
}

/**
 * Parses and sanity-checks a whole header (as long as headerExtent() says). It is not
 * authenticated yet: the caller derives the keys, compares the key check and verifies the MAC
 * before trusting it, its binding included.
 */
export function parseHeader(bytes: Buffer, name: string): Header {
  const extent = headerExtent(bytes, name);
  if (!extent.complete || bytes.length !== extent.length) {
    throw new ExportError(
      `${name}: a header of ${bytes.length} bytes was given to parseHeader, which needs the whole header (${extent.complete ? extent.length : `at least ${minimumHeaderLength(bytes)}`} bytes)`,
      { code: 'TRUNCATED' },
    );
  }
  const version = bytes[OFFSET_VERSION]!;
  const kdfId = bytes[OFFSET_KDF]!;
  const salt = Buffer.from(bytes.subarray(OFFSET_KDF_SALT, OFFSET_KDF_SALT + KDF_SALT_LENGTH));
  let kdf: KdfParams;
  if (kdfId === KDF_SCRYPT) {
    const params = { log2N: bytes[OFFSET_LOG2N]!, r: bytes[OFFSET_R]!, p: bytes[OFFSET_P]! };
    const problem = scryptProblem(params);
    if (problem) throw damagedHeader(name, problem);
    kdf = { kind: 'scrypt', ...params, salt };
  } else if (kdfId === KDF_RAW_KEY) {
    if (bytes[OFFSET_LOG2N] !== 0 || bytes[OFFSET_R] !== 0 || bytes[OFFSET_P] !== 0 || salt.some((byte) => byte !== 0)) {
      throw damagedHeader(name, 'a key-file header has non-zero scrypt fields');
    }
    kdf = { kind: 'raw' };
  } else {
    throw damagedHeader(name, `unknown key derivation ${kdfId}`);
  }
  const chunkSize = bytes.readUInt32BE(OFFSET_CHUNK_SIZE);
  const chunkProblem = chunkSizeProblem(chunkSize);
  if (chunkProblem) throw damagedHeader(name, chunkProblem);
  const macOffset = bytes.length - HEADER_MAC_LENGTH;
  const binding = version === FORMAT_VERSION ? decodeBinding(bytes.subarray(OFFSET_BINDING, macOffset), name) : undefined;
  const copy = (from: number, length: number) => Buffer.from(bytes.subarray(from, from + length));
  return {
    version,
    kdf,
    chunkSize,
    fileSalt: copy(OFFSET_FILE_SALT, FILE_SALT_LENGTH),
    noncePrefix: copy(OFFSET_NONCE_PREFIX, NONCE_PREFIX_LENGTH),
    keyCheck: copy(OFFSET_KEY_CHECK, KEY_CHECK_LENGTH),
    binding,
    mac: copy(macOffset, HEADER_MAC_LENGTH),
    authenticated: copy(0, macOffset),
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The binding's two strings; their lengths must fill the binding exactly. */
function decodeBinding(bytes: Buffer, name: string): HeaderBinding {
  const strings: string[] = [];
  let offset = 0;
  for (const [field, max] of [
    ['stored name', BINDING_LIMITS.maxStoredNameBytes],
    ['export id', BINDING_LIMITS.maxExportIdBytes],
  ] as const) {
    const length = bytes[offset];
    if (length === undefined || length < 1 || length > max || offset + 1 + length > bytes.length) {
      throw damagedHeader(
        name,
        `the ${field}'s length ${length ?? 'is missing'}${length === undefined ? '' : ` does not fit 1 to ${max} bytes within the binding`}`,
      );
    }
    try {
      strings.push(utf8.decode(bytes.subarray(offset + 1, offset + 1 + length)));
    } catch {
      throw damagedHeader(name, `the ${field} is not valid UTF-8`);
    }
    offset += 1 + length;
  }
  const extra = bytes.length - offset;
  if (extra !== 0) throw damagedHeader(name, `the binding is ${extra} byte${extra === 1 ? '' : 's'} longer than its two strings`);
  const binding = { storedName: strings[0]!, exportId: strings[1]! };
  const problem = bindingProblem(binding);
  if (problem) throw damagedHeader(name, problem);
  return binding;
}

/** True when `bytes` (the start of a file, possibly shorter than the magic) can begin a .hxe file. */
export function startsLikeHeader(bytes: Buffer): boolean {
  const length = Math.min(bytes.length, MAGIC.length);
  return bytes.subarray(0, length).equals(MAGIC.subarray(0, length));
}

export function notEncrypted(name: string): ExportError {
  return new ExportError(`${name} is not a HyperExport AES-encrypted file (it does not start with the .hxe header)`, {
    code: 'NOT_ENCRYPTED',
    hint: 'check that this is the file the export wrote; files encrypted with encrypt-pgp end in .pgp, not .hxe',
  });
}

export function damagedHeader(name: string, detail: string): ExportError {
  return new ExportError(`${name}: the encryption header is damaged or was altered (${detail})`, {
    code: 'CORRUPT',
    hint: 'the file cannot be decrypted safely; use another copy of the export',
  });
}

/**
 * Writes chunk `counter`'s nonce into `nonce` (whose first 7 bytes already hold the prefix):
 * prefix ‖ counter (32-bit big-endian) ‖ 0x01 for the final chunk, 0x00 otherwise.
 */
export function setNonce(nonce: Buffer, counter: number, final: boolean): Buffer {
  nonce.writeUInt32BE(counter, NONCE_PREFIX_LENGTH);
  nonce[NONCE_LENGTH - 1] = final ? 1 : 0;
  return nonce;
}
