// Keys: the master key of a job (scrypt of a passphrase, or a raw key file) and the per-file keys
// derived from it with HKDF-SHA256 and each file's random salt.
import { createHmac, hkdfSync, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigError } from '@hyperexport/core';
import { DEFAULT_SCRYPT, FORMAT_VERSION, FORMAT_VERSION_1, KDF_SALT_LENGTH, KEY_CHECK_LENGTH, scryptMemory, scryptProblem } from './format.ts';
import type { KdfParams, ScryptParams } from './format.ts';

export const KEY_LENGTH = 32;

/** The key every file of a job is encrypted under (through HKDF), and how it was made. */
export interface MasterKey {
  readonly key: Buffer;
  readonly kdf: KdfParams;
}

/** scrypt with Node's `maxmem` raised to what the parameters need (its default is 32 MiB). */
export function scryptKey(passphrase: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const problem = scryptProblem(params);
  if (problem) return Promise.reject(new ConfigError(problem));
  return new Promise((resolve, reject) => {
    scrypt(
      Buffer.from(passphrase, 'utf8'),
      salt,
      KEY_LENGTH,
      { N: 2 ** params.log2N, r: params.r, p: params.p, maxmem: scryptMemory(params) + 2 ** 20 },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

/**
 * A new master key from a passphrase: scrypt with a fresh random salt (once per job; scrypt is
 * slow on purpose). `salt` is for tests that need a fixed one.
 */
export async function masterKeyFromPassphrase(
  passphrase: string,
  params: Partial<ScryptParams> = {},
  salt: Buffer = randomBytes(KDF_SALT_LENGTH),
): Promise<MasterKey> {
  if (passphrase === '') throw new ConfigError('the passphrase is empty');
  const full: ScryptParams = { log2N: params.log2N ?? DEFAULT_SCRYPT.log2N, r: params.r ?? DEFAULT_SCRYPT.r, p: params.p ?? DEFAULT_SCRYPT.p };
  return { key: await scryptKey(passphrase, salt, full), kdf: { kind: 'scrypt', ...full, salt } };
}

/** A master key given as 32 raw bytes (a key file). */
export function masterKeyFromBytes(key: Buffer): MasterKey {
  if (key.length !== KEY_LENGTH) throw new ConfigError(`an AES-256 key is ${KEY_LENGTH} bytes (got ${key.length})`);
  return { key: Buffer.from(key), kdf: { kind: 'raw' } };
}

/**
 * The key in a key file: exactly 32 raw bytes, or 64 hexadecimal digits (a trailing newline is
 * allowed), as `openssl rand 32` or `openssl rand -hex 32` write them.
 */
export function parseKeyFile(content: Buffer, path: string): Buffer {
  const text = content.toString('latin1').replace(/\r?\n$/, '');
  const key = content.length === KEY_LENGTH ? Buffer.from(content) : /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : undefined;
  if (key?.every((byte) => byte === 0)) {
    throw new ConfigError(`the key file ${path} holds an all-zero key, which is no secret`, { hint: 'make a random one with `openssl rand 32 > FILE`' });
  }
  if (key) return key;
  throw new ConfigError(
    `the key file ${path} holds ${content.length} bytes: a key file must hold exactly ${KEY_LENGTH} raw bytes or ${KEY_LENGTH * 2} hexadecimal digits`,
    {
      hint: 'make one with `openssl rand 32 > FILE` (or `openssl rand -hex 32 > FILE`) and keep it safe: without it the export cannot be decrypted',
    },
  );
}

export async function readKeyFile(path: string): Promise<Buffer> {
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (error) {
    throw new ConfigError(`cannot read the key file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      hint: 'check the path and its permissions',
      cause: error,
    });
  }
  try {
    return parseKeyFile(content, path);
  } finally {
    content.fill(0);
  }
}

// HKDF `info` labels: one per purpose, so no two keys of a file are ever the same, and one set per
// format version, so a key derived for one header layout is never used with another.
const LABELS: ReadonlyMap<number, { readonly payload: string; readonly header: string; readonly keyCheck: string }> = new Map([
  [FORMAT_VERSION_1, { payload: 'hyperexport-aes v1 payload key', header: 'hyperexport-aes v1 header key', keyCheck: 'hyperexport-aes v1 key check' }],
  [FORMAT_VERSION, { payload: 'hyperexport-aes v2 payload key', header: 'hyperexport-aes v2 header key', keyCheck: 'hyperexport-aes v2 key check' }],
]);

/** The keys of one file, all from HKDF-SHA256(master key, the file's salt, a label). */
export interface FileKeys {
  /** AES-256-GCM key of the chunks. */
  readonly payloadKey: Buffer;
  /** HMAC-SHA256 key of the header. */
  readonly headerKey: Buffer;
  /** Stored in the header to tell a wrong key from damage; derived, so it reveals nothing of the key. */
  readonly keyCheck: Buffer;
}

/** The keys of a file of format `version` (by default the one writers write). */
export function deriveFileKeys(masterKey: Buffer, fileSalt: Buffer, version: number = FORMAT_VERSION): FileKeys {
  const labels = LABELS.get(version);
  if (!labels) throw new RangeError(`no keys are defined for format version ${version}`);
  const expand = (info: string, length: number) => Buffer.from(hkdfSync('sha256', masterKey, fileSalt, info, length));
  return {
    payloadKey: expand(labels.payload, KEY_LENGTH),
    headerKey: expand(labels.header, KEY_LENGTH),
    keyCheck: expand(labels.keyCheck, KEY_CHECK_LENGTH),
  };
}

export function headerMac(headerKey: Buffer, authenticated: Buffer): Buffer {
  return createHmac('sha256', headerKey).update(authenticated).digest();
}

/** Constant-time comparison of two secrets-derived values. */
export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
