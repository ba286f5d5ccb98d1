// docs/encryption.md is a specification: a reader and a writer built from its text alone, with
// nothing but primitive crypto calls and whole buffers (testing/specification.ts, no code of this
// package), must agree with the plugin's streams in both directions, for version 2 (what the
// plugin writes) and version 1 (what earlier releases wrote, which it must still read). If this
// test fails, the document or the code is wrong.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createDecryptStream, createEncryptStream, keySource, masterKeyFromBytes, masterKeyFromPassphrase, readFileBinding } from './index.ts';
import type { HeaderBinding } from './index.ts';
import { specDecrypt, specEncrypt } from './testing/specification.ts';

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

const through = (input: Buffer, transform: NodeJS.ReadWriteStream) => collect(Readable.from([input]).pipe(transform));

/** Decrypts with the plugin and returns the plaintext and the binding its onHeader was given. */
async function pluginDecrypt(
  file: Buffer,
  keys: { key?: Buffer; passphrase?: string },
): Promise<{ plaintext: Buffer; binding: HeaderBinding | undefined; calls: number }> {
  let binding: HeaderBinding | undefined;
  let calls = 0;
  const plaintext = await through(
    file,
    createDecryptStream(keySource(keys), {
      name: 'spec.hxe',
      onHeader(seen) {
        calls += 1;
        binding = seen;
      },
    }),
  );
  return { plaintext, binding, calls };
}

const BINDING = { storedName: 'web01-disk1.vmdk.zst.hxe', exportId: '3f2b8c1e-6d4a-4e0f-9b7a-2c5d8e1f0a93' };

describe('the .hxe format as docs/encryption.md specifies it', () => {
  const key = randomBytes(32);
  const sizes = [0, 1, 65535, 65536, 65537, 3 * 65536 + 17];

  it('version 2 files the plugin writes with a key file are read by the specification reader, binding included', async () => {
    for (const size of sizes) {
      const plaintext = randomBytes(size);
      const file = await through(plaintext, createEncryptStream(masterKeyFromBytes(key), { chunkSize: 65536, binding: BINDING }));
      expect(file[8]).toBe(2);
      // 90 + B + 32 header bytes, B = 2 + 24 + 36 (docs/encryption.md §3.1's example: 184).
      expect(file.length).toBe(184 + size + 16 * Math.max(1, Math.ceil(size / 65536)));
      const read = specDecrypt(file, { key });
      expect(read.plaintext).toEqual(plaintext);
      expect(read.binding).toEqual(BINDING);
      expect(read.headerLength).toBe(184);
    }
  });

  it('version 2 files the plugin writes with a passphrase (scrypt) are read by the specification reader', async () => {
    const master = await masterKeyFromPassphrase('correct horse battery staple', { log2N: 10, r: 8, p: 1 });
    const plaintext = randomBytes(200_000);
    const binding = { storedName: 'wéb01 диск.ova.hxe', exportId: 'job ✓' };
    const file = await through(plaintext, createEncryptStream(master, { chunkSize: 65536, binding }));
    expect(file.subarray(9, 13)).toEqual(Buffer.from([1, 10, 8, 1]));
    const read = specDecrypt(file, { passphrase: 'correct horse battery staple' });
    expect(read.plaintext).toEqual(plaintext);
    expect(read.binding).toEqual(binding);
  });

  it('version 2 files the specification writer makes are read by the plugin, which reports their binding', async () => {
    for (const size of sizes) {
      const plaintext = randomBytes(size);
      const file = specEncrypt(plaintext, { kind: 'raw', key }, 65536, { binding: BINDING });
      const read = await pluginDecrypt(file, { key });
      expect(read.plaintext).toEqual(plaintext);
      expect(read).toMatchObject({ binding: BINDING, calls: 1 });
      expect(await readFileBinding(Readable.from([file]), keySource({ key }))).toEqual(BINDING);
    }
    const salt = randomBytes(16);
    const plaintext = randomBytes(1_500_000);
    // The longest binding the format allows: a 255-byte name and a 128-byte id (a 507-byte header).
    const longest = { storedName: `${'n'.repeat(251)}.hxe`, exportId: 'i'.repeat(128) };
    const file = specEncrypt(plaintext, { kind: 'scrypt', passphrase: 'pässwörd', salt, log2N: 11, r: 4, p: 2 }, 1048576, { binding: longest });
    expect(file.readUInt16BE(88)).toBe(385);
    const read = await pluginDecrypt(file, { passphrase: 'pässwörd' });
    expect(read.plaintext).toEqual(plaintext);
    expect(read.binding).toEqual(longest);
  });

  it('version 1 files (written by earlier releases) still decrypt with the plugin, with no binding', async () => {
    for (const size of sizes) {
      const plaintext = randomBytes(size);
      const file = specEncrypt(plaintext, { kind: 'raw', key }, 65536, { version: 1 });
      expect(file.length).toBe(120 + size + 16 * Math.max(1, Math.ceil(size / 65536)));
      const read = await pluginDecrypt(file, { key });
      expect(read.plaintext).toEqual(plaintext);
      expect(read).toMatchObject({ binding: undefined, calls: 1 });
      expect(await readFileBinding(Readable.from([file]), keySource({ key }))).toBeUndefined();
    }
    const plaintext = randomBytes(300_000);
    const file = specEncrypt(plaintext, { kind: 'scrypt', passphrase: 'old', salt: randomBytes(16), log2N: 10, r: 8, p: 1 }, 131072, { version: 1 });
    expect((await pluginDecrypt(file, { passphrase: 'old' })).plaintext).toEqual(plaintext);
  });

  it("the version is in the key derivation: a file's version byte changed (and its binding cut out) does not open", async () => {
    const plaintext = randomBytes(1000);
    const v2 = specEncrypt(plaintext, { kind: 'raw', key }, 65536, { binding: BINDING });
    // Passed off as version 1: the fixed fields, then the v2 MAC where v1 has its MAC, then the chunks.
    const asV1 = Buffer.concat([v2.subarray(0, 88), v2.subarray(90 + 62, 184), v2.subarray(184)]);
    asV1[8] = 1;
    await expect(pluginDecrypt(asV1, { key })).rejects.toMatchObject({ code: 'WRONG_KEY' });
    expect(() => specDecrypt(asV1, { key })).toThrow('wrong key');
  });

  it('the plugin refuses an empty final chunk after full chunks, which the specification forbids writers to produce', async () => {
    const file = specEncrypt(randomBytes(65536), { kind: 'raw', key }, 65536, { emptyFinalAfterFullChunks: true });
    await expect(through(file, createDecryptStream(keySource({ key }), { name: 'spec.hxe' }))).rejects.toMatchObject({
      code: 'CORRUPT',
      message: expect.stringContaining('ends with an empty chunk'),
    });
    expect(() => specDecrypt(file, { key })).toThrow('empty final chunk');
  });
});
