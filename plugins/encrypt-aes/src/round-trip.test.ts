// Encrypt → decrypt gives the input back, byte for byte, for every size around the chunk
// boundaries and for every way the input may arrive (whole, in small pieces, in random pieces),
// with a key file and with a passphrase.
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecryptStream, createEncryptStream, headerLength, keySource, masterKeyFromBytes, masterKeyFromPassphrase, readKeyFile } from './index.ts';
import type { EncryptOptions, MasterKey } from './index.ts';
import { run } from './testing/streams.ts';

const CHUNK = 65536;
const FAST_SCRYPT = { log2N: 10, r: 8, p: 1 };
const binding = { storedName: 'disk.vmdk.hxe', exportId: '0b6f3a52-1c7e-4d89-a0f4-5e2d9c3b7a61' };
/** The writer's options: these tests' binding, and 64 KiB chunks unless said otherwise. */
const options = (extra: Partial<EncryptOptions> = {}): EncryptOptions => ({ binding, chunkSize: CHUNK, ...extra });
const HEADER = headerLength(binding);
const encryptedLength = (size: number, chunk = CHUNK) => HEADER + size + 16 * Math.max(1, Math.ceil(size / chunk));

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-aes-rt-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('round trips', () => {
  const sizes = [
    0,
    1,
    15,
    16,
    17,
    CHUNK - 1,
    CHUNK,
    CHUNK + 1,
    2 * CHUNK,
    5 * CHUNK,
    5 * CHUNK + 3,
    ...Array.from({ length: 6 }, () => randomInt(1, 8 * CHUNK)),
  ];

  it('with a key file (raw 32 bytes), for every size and every way the input arrives', async () => {
    const keyPath = join(work, 'raw.key');
    await writeFile(keyPath, randomBytes(32), { mode: 0o600 });
    const master = masterKeyFromBytes(await readKeyFile(keyPath));
    for (const size of sizes) {
      const plaintext = randomBytes(size);
      for (const pieceSize of [1 << 20, 4096, CHUNK, CHUNK + 16, 'random'] as const) {
        const encrypted = await run(createEncryptStream(master, options()), plaintext, pieceSize);
        expect(encrypted.length, `size ${size}`).toBe(encryptedLength(size));
        const decrypted = await run(createDecryptStream(keySource({ key: await readKeyFile(keyPath) })), encrypted, pieceSize);
        expect(decrypted.equals(plaintext), `size ${size}, pieces of ${pieceSize}`).toBe(true);
      }
    }
  });

  it('with a key file of 64 hex digits, and the default 1 MiB chunks', async () => {
    const key = randomBytes(32);
    const keyPath = join(work, 'hex.key');
    await writeFile(keyPath, `${key.toString('hex')}\n`);
    const master = masterKeyFromBytes(await readKeyFile(keyPath));
    for (const size of [0, 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 12345]) {
      const plaintext = randomBytes(size);
      const encrypted = await run(createEncryptStream(master, { binding }), plaintext, 'random');
      expect(encrypted.length).toBe(encryptedLength(size, 1 << 20));
      expect(encrypted.readUInt32BE(13)).toBe(1 << 20);
      expect((await run(createDecryptStream(keySource({ key })), encrypted, 'random')).equals(plaintext)).toBe(true);
    }
  });

  it('with a passphrase: the reader runs scrypt with the salt and parameters of the header', async () => {
    const master = await masterKeyFromPassphrase('a passphrase with spaces and ünïcödé', FAST_SCRYPT);
    for (const size of [0, 1, CHUNK, CHUNK + 1, 3 * CHUNK + 99]) {
      const plaintext = randomBytes(size);
      const encrypted = await run(createEncryptStream(master, options()), plaintext, 'random');
      const decrypted = await run(createDecryptStream(keySource({ passphrase: 'a passphrase with spaces and ünïcödé' })), encrypted, 'random');
      expect(decrypted.equals(plaintext)).toBe(true);
    }
  });

  it('with the default scrypt parameters (N = 2^17, r = 8, p = 1), which need maxmem raised', async () => {
    const master = await masterKeyFromPassphrase('default-cost passphrase');
    expect(master.kdf).toMatchObject({ kind: 'scrypt', log2N: 17, r: 8, p: 1 });
    const plaintext = randomBytes(100_000);
    const encrypted = await run(createEncryptStream(master, { binding }), plaintext);
    expect(encrypted.subarray(9, 13)).toEqual(Buffer.from([1, 17, 8, 1]));
    expect((await run(createDecryptStream(keySource({ passphrase: 'default-cost passphrase' })), encrypted)).equals(plaintext)).toBe(true);
  });

  it('every file gets its own salt and nonce prefix: the same input twice gives unrelated files', async () => {
    const master = masterKeyFromBytes(randomBytes(32));
    const plaintext = Buffer.alloc(3 * CHUNK);
    const first = await run(createEncryptStream(master, options()), plaintext);
    const second = await run(createEncryptStream(master, options()), plaintext);
    expect(first.subarray(33, 72).equals(second.subarray(33, 72))).toBe(false);
    expect(first.subarray(HEADER, HEADER + 80).equals(second.subarray(HEADER, HEADER + 80))).toBe(false);
  });

  it('a passphrase asked for lazily is asked once for many files, and scrypt runs once per salt', async () => {
    const master = await masterKeyFromPassphrase('once', FAST_SCRYPT);
    let asked = 0;
    const keys = keySource({
      passphrase: async () => {
        asked += 1;
        return 'once';
      },
    });
    for (let file = 0; file < 3; file++) {
      const plaintext = randomBytes(1000 * file);
      const encrypted = await run(createEncryptStream(master, options()), plaintext);
      expect((await run(createDecryptStream(keys), encrypted)).equals(plaintext)).toBe(true);
    }
    expect(asked).toBe(1);
  });
});

describe('options and keys', () => {
  let master: MasterKey;
  beforeAll(() => {
    master = masterKeyFromBytes(randomBytes(32));
  });

  it("refuses to encrypt with a wiped (all-zero) key, as a job's key is once the job ended", () => {
    const wiped = masterKeyFromBytes(randomBytes(32));
    wiped.key.fill(0);
    expect(() => createEncryptStream(wiped, { binding })).toThrow(/all zeros/);
  });

  it('refuses chunk sizes outside 64 KiB to 1 MiB', () => {
    expect(() => createEncryptStream(master, options({ chunkSize: 65535 }))).toThrow(/from 65536 \(64 KiB\) to 1048576 \(1 MiB\)/);
    expect(() => createEncryptStream(master, options({ chunkSize: (1 << 20) + 1 }))).toThrow(/chunk size/);
    expect(() => createEncryptStream(master, options({ chunkSize: 100_000.5 }))).toThrow(/chunk size/);
  });

  it('refuses key files that are neither 32 raw bytes nor 64 hex digits, with a hint how to make one', async () => {
    for (const [name, content] of [
      ['short', randomBytes(31)],
      ['long', randomBytes(33)],
      ['hex63', Buffer.from('a'.repeat(63))],
      ['nothex', Buffer.from('g'.repeat(64))],
      ['empty', Buffer.alloc(0)],
    ] as const) {
      const path = join(work, `bad-${name}.key`);
      await writeFile(path, content);
      await expect(readKeyFile(path)).rejects.toMatchObject({
        code: 'CONFIG',
        message: expect.stringContaining('must hold exactly 32 raw bytes or 64 hexadecimal digits'),
        hint: expect.stringContaining('openssl rand 32'),
      });
    }
    const zeros = join(work, 'zeros.key');
    await writeFile(zeros, Buffer.alloc(32));
    await expect(readKeyFile(zeros)).rejects.toMatchObject({ message: expect.stringContaining('holds an all-zero key') });
    await expect(readKeyFile(join(work, 'missing.key'))).rejects.toMatchObject({
      message: expect.stringContaining('cannot read the key file'),
      hint: 'check the path and its permissions',
    });
  });

  it('reads a key file of upper-case hex digits followed by CR LF', async () => {
    const key = randomBytes(32);
    const path = join(work, 'crlf.key');
    await writeFile(path, `${key.toString('hex').toUpperCase()}\r\n`);
    expect((await readKeyFile(path)).equals(key)).toBe(true);
  });

  it('refuses scrypt parameters outside the limits and an empty passphrase', async () => {
    await expect(masterKeyFromPassphrase('x', { log2N: 9 })).rejects.toThrow(/log2N must be an integer from 10 to 20/);
    await expect(masterKeyFromPassphrase('x', { log2N: 20, r: 16 })).rejects.toThrow(/more than the limit of 1024 MiB/);
    await expect(masterKeyFromPassphrase('', {})).rejects.toThrow('the passphrase is empty');
  });
});
