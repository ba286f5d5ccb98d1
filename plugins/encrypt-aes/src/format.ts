// The on-disk layout of a `.hxe` file, version 1 (docs/encryption.md is the specification; keep
// the two in step). Everything here is pure byte layout: no keys, no streams.
import { ExportError } from '@hyperexport/core';

/** "\x89HXE\r\n\x1a\n": a high byte and CR LF / LF catch transfers that mangle binary files (as PNG's). */
export const MAGIC = Buffer.from([0x89, 0x48, 0x58, 0x45, 0x0d, 0x0a, 0x1a, 0x0a]);
export const FORMAT_VERSION = 1;
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

// Field offsets of the fixed-size header (big-endian integers).
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
/** Bytes the header MAC covers: everything before the MAC. */
export const HEADER_MAC_OFFSET = OFFSET_KEY_CHECK + KEY_CHECK_LENGTH; // 88
export const HEADER_LENGTH = HEADER_MAC_OFFSET + HEADER_MAC_LENGTH; // 120

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

export interface Header {
  readonly version: number;
  readonly kdf: KdfParams;
  readonly chunkSize: number;
  readonly fileSalt: Buffer;
  readonly noncePrefix: Buffer;
  readonly keyCheck: Buffer;
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
  if (!Number.isInteger(log2N) || log2N < SCRYPT_LIMITS.minLog2N || log2N > SCRYPT_LIMITS.maxLog2N) return `scrypt log2N must be an integer from ${SCRYPT_LIMITS.minLog2N} to ${SCRYPT_LIMITS.maxLog2N} (got ${log2N})`;
  if (!Number.isInteger(r) || r < 1 || r > SCRYPT_LIMITS.maxR) return `scrypt r must be an integer from 1 to ${SCRYPT_LIMITS.maxR} (got ${r})`;
  if (!Number.isInteger(p) || p < 1 || p > SCRYPT_LIMITS.maxP) return `scrypt p must be an integer from 1 to ${SCRYPT_LIMITS.maxP} (got ${p})`;
  if (scryptMemory(params) > SCRYPT_LIMITS.maxMemoryBytes) return `scrypt parameters need ${scryptMemory(params) / 2 ** 20} MiB (128·N·r), more than the limit of ${SCRYPT_LIMITS.maxMemoryBytes / 2 ** 20} MiB`;
  return undefined;
}

export function chunkSizeProblem(chunkSize: number): string | undefined {
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    return `the chunk size must be an integer from ${MIN_CHUNK_SIZE} (64 KiB) to ${MAX_CHUNK_SIZE} (1 MiB) bytes (got ${chunkSize})`;
  }
  return undefined;
}

/** The header without its MAC (HEADER_MAC_OFFSET bytes); the caller appends the MAC. */
export function encodeHeaderFields(fields: Omit<Header, 'version' | 'mac' | 'authenticated'>): Buffer {
  const out = Buffer.alloc(HEADER_MAC_OFFSET);
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
  return out;
}

/**
 * Parses and sanity-checks a header (HEADER_LENGTH bytes). It is not authenticated yet: the
 * caller derives the keys, compares the key check and verifies the MAC before trusting it.
 */
export function parseHeader(bytes: Buffer, name: string): Header {
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw notEncrypted(name);
  const version = bytes[OFFSET_VERSION]!;
  if (version !== FORMAT_VERSION) {
    throw new ExportError(`${name} uses encryption format version ${version}; this HyperExport reads version ${FORMAT_VERSION}`, {
      code: 'UNSUPPORTED_VERSION',
      hint: 'decrypt it with a newer HyperExport (or, if it was written by this one, the header is damaged)',
    });
  }
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
  const copy = (from: number, length: number) => Buffer.from(bytes.subarray(from, from + length));
  return {
    version,
    kdf,
    chunkSize,
    fileSalt: copy(OFFSET_FILE_SALT, FILE_SALT_LENGTH),
    noncePrefix: copy(OFFSET_NONCE_PREFIX, NONCE_PREFIX_LENGTH),
    keyCheck: copy(OFFSET_KEY_CHECK, KEY_CHECK_LENGTH),
    mac: copy(HEADER_MAC_OFFSET, HEADER_MAC_LENGTH),
    authenticated: copy(0, HEADER_MAC_OFFSET),
  };
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
