// parseHeader's checks of the fixed fields, each named in its message, and the decrypting stream
// fed in pieces smaller than the header (mutation testing found these unpinned).
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDecryptStream, createEncryptStream, headerLength, keySource, masterKeyFromBytes, parseHeader } from './index.ts';
import { run, runCollecting } from './testing/streams.ts';

const binding = { storedName: 'disk.vmdk.hxe', exportId: 'job-1' };
let key: Buffer;
let plaintext: Buffer;
/** A key-file (KDF 2) file of two 64 KiB chunks and a short one. */
let file: Buffer;
let header: Buffer;

beforeAll(async () => {
  key = randomBytes(32);
  plaintext = randomBytes(2 * 65536 + 100);
  file = await run(createEncryptStream(masterKeyFromBytes(key), { chunkSize: 65536, binding }), plaintext);
  header = file.subarray(0, headerLength(binding));
});

/** `header` with byte `offset` set to `value`. */
const patched = (offset: number, value: number) => {
  const copy = Buffer.from(header);
  copy[offset] = value;
  return copy;
};
const damaged = (detail: string) => ({ code: 'CORRUPT', message: `disk.vmdk.hxe: the encryption header is damaged or was altered (${detail})` });

describe('parseHeader', () => {
  it('reads a key-file header, whose scrypt fields are all zero', () => {
    expect(parseHeader(header, 'disk.vmdk.hxe')).toMatchObject({ version: 2, kdf: { kind: 'raw' }, chunkSize: 65536, binding });
  });

  it.each([
    ['log2N', 10],
    ['r', 11],
    ['p', 12],
    ['the first byte of the salt', 17],
    ['the last byte of the salt', 32],
  ])('refuses a key-file header with a non-zero scrypt field: %s', (_, offset) => {
    expect(() => parseHeader(patched(offset, 1), 'disk.vmdk.hxe')).toThrow(expect.objectContaining(damaged('a key-file header has non-zero scrypt fields')));
  });

  it('refuses an unknown key derivation, naming it', () => {
    expect(() => parseHeader(patched(9, 3), 'disk.vmdk.hxe')).toThrow(expect.objectContaining(damaged('unknown key derivation 3')));
  });

  it('refuses a chunk size out of range', () => {
    const tiny = Buffer.from(header);
    tiny.writeUInt32BE(1, 13);
    expect(() => parseHeader(tiny, 'disk.vmdk.hxe')).toThrow(
      expect.objectContaining({
        code: 'CORRUPT',
        message: expect.stringMatching(/^disk\.vmdk\.hxe: the encryption header is damaged or was altered \(.*chunk size.*\)$/),
      }),
    );
  });

  it('reads the smallest binding: a one-byte name and a one-byte export id', async () => {
    const small = { storedName: 'a', exportId: 'b' };
    const encrypted = await run(createEncryptStream(masterKeyFromBytes(key), { chunkSize: 65536, binding: small }), plaintext);
    expect(parseHeader(encrypted.subarray(0, headerLength(small)), 'a').binding).toEqual(small);
    expect((await run(createDecryptStream(keySource({ key }), { name: 'a' }), encrypted)).equals(plaintext)).toBe(true);
  });
});

describe('createDecryptStream', () => {
  it('decrypts a file fed in pieces smaller than its header', async () => {
    for (const pieceSize of [1, 100]) {
      expect((await run(createDecryptStream(keySource({ key }), { name: 'disk.vmdk.hxe' }), file, pieceSize)).equals(plaintext), `pieces of ${pieceSize}`).toBe(
        true,
      );
    }
  });

  it('without a name, its messages call the file "the encrypted file"', async () => {
    const { error } = await runCollecting(createDecryptStream(keySource({ key })), file.subarray(0, 50));
    expect((error as Error).message).toMatch(/^the encrypted file is truncated/);
  });
});
