// docs/encryption.md is a specification: a reader and a writer built from its text alone, with
// nothing but primitive crypto calls and whole buffers (no code of this package), must agree
// with the plugin's streams in both directions. If this test fails, the document or the code
// is wrong.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createDecryptStream, createEncryptStream, keySource, masterKeyFromBytes, masterKeyFromPassphrase } from './index.ts';

// ---- The specification, as an independent implementation ----------------------------------

const SPEC_MAGIC = Buffer.from('89485845' + '0d0a1a0a', 'hex');

/** RFC 5869 HKDF-SHA256, written out (no hkdfSync), so the derivation is checked, not reused. */
function hkdf(ikm: Buffer, salt: Buffer, info: string, length: number): Buffer {
  const prk = createHmac('sha256', salt).update(ikm).digest();
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let counter = 1; Buffer.concat(blocks).length < length; counter++) {
    previous = createHmac('sha256', prk).update(Buffer.concat([previous, Buffer.from(info, 'ascii'), Buffer.from([counter])])).digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

type SpecKey = { kind: 'raw'; key: Buffer } | { kind: 'scrypt'; passphrase: string; salt: Buffer; log2N: number; r: number; p: number };

function specMaster(key: SpecKey): Buffer {
  if (key.kind === 'raw') return key.key;
  return scryptSync(Buffer.from(key.passphrase, 'utf8'), key.salt, 32, { N: 2 ** key.log2N, r: key.r, p: key.p, maxmem: 256 * 2 ** 20 });
}

function specEncrypt(plaintext: Buffer, key: SpecKey, chunkSize: number, options: { emptyFinalAfterFullChunks?: boolean } = {}): Buffer {
  const master = specMaster(key);
  const fileSalt = randomBytes(32);
  const noncePrefix = randomBytes(7);
  const header = Buffer.alloc(88);
  SPEC_MAGIC.copy(header, 0);
  header[8] = 1;
  if (key.kind === 'scrypt') {
    header[9] = 1;
    header[10] = key.log2N;
    header[11] = key.r;
    header[12] = key.p;
    key.salt.copy(header, 17);
  } else {
    header[9] = 2;
  }
  header.writeUInt32BE(chunkSize, 13);
  fileSalt.copy(header, 33);
  noncePrefix.copy(header, 65);
  hkdf(master, fileSalt, 'hyperexport-aes v1 key check', 16).copy(header, 72);
  const mac = createHmac('sha256', hkdf(master, fileSalt, 'hyperexport-aes v1 header key', 32)).update(header).digest();
  const payloadKey = hkdf(master, fileSalt, 'hyperexport-aes v1 payload key', 32);
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < plaintext.length; offset += chunkSize) chunks.push(plaintext.subarray(offset, offset + chunkSize));
  if (chunks.length === 0 || options.emptyFinalAfterFullChunks) chunks.push(Buffer.alloc(0));
  const sealed = chunks.map((chunk, index) => {
    const nonce = Buffer.concat([noncePrefix, Buffer.alloc(4), Buffer.from([index === chunks.length - 1 ? 1 : 0])]);
    nonce.writeUInt32BE(index, 7);
    const cipher = createCipheriv('aes-256-gcm', payloadKey, nonce);
    return Buffer.concat([cipher.update(chunk), cipher.final(), cipher.getAuthTag()]);
  });
  return Buffer.concat([header, mac, ...sealed]);
}

function specDecrypt(file: Buffer, keys: { key?: Buffer; passphrase?: string }): Buffer {
  const header = file.subarray(0, 120);
  if (header.length < 120 || !header.subarray(0, 8).equals(SPEC_MAGIC) || header[8] !== 1) throw new Error('not a version 1 file');
  const chunkSize = header.readUInt32BE(13);
  const kdfSalt = header.subarray(17, 33);
  const fileSalt = header.subarray(33, 65);
  const master = header[9] === 2
    ? keys.key!
    : specMaster({ kind: 'scrypt', passphrase: keys.passphrase!, salt: Buffer.from(kdfSalt), log2N: header[10]!, r: header[11]!, p: header[12]! });
  if (!hkdf(master, fileSalt, 'hyperexport-aes v1 key check', 16).equals(header.subarray(72, 88))) throw new Error('wrong key');
  const mac = createHmac('sha256', hkdf(master, fileSalt, 'hyperexport-aes v1 header key', 32)).update(header.subarray(0, 88)).digest();
  if (!mac.equals(header.subarray(88, 120))) throw new Error('bad header MAC');
  const payloadKey = hkdf(master, fileSalt, 'hyperexport-aes v1 payload key', 32);
  const out: Buffer[] = [];
  let offset = 120;
  for (let index = 0; ; index++) {
    const remaining = file.length - offset;
    const final = remaining <= chunkSize + 16;
    if (remaining < 16) throw new Error('truncated');
    const sealed = file.subarray(offset, offset + (final ? remaining : chunkSize + 16));
    const nonce = Buffer.concat([header.subarray(65, 72), Buffer.alloc(4), Buffer.from([final ? 1 : 0])]);
    nonce.writeUInt32BE(index, 7);
    const decipher = createDecipheriv('aes-256-gcm', payloadKey, nonce);
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    const plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
    if (final && plain.length === 0 && index > 0) throw new Error('empty final chunk');
    out.push(plain);
    offset += sealed.length;
    if (final) return Buffer.concat(out);
  }
}

// ---- The plugin against it --------------------------------------------------------------------

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

const through = (input: Buffer, transform: NodeJS.ReadWriteStream) => collect(Readable.from([input]).pipe(transform));

describe('the .hxe format as docs/encryption.md specifies it', () => {
  const key = randomBytes(32);
  const sizes = [0, 1, 65535, 65536, 65537, 3 * 65536 + 17];

  it('files the plugin writes with a key file are read by the specification reader', async () => {
    for (const size of sizes) {
      const plaintext = randomBytes(size);
      const file = await through(plaintext, createEncryptStream(masterKeyFromBytes(key), { chunkSize: 65536 }));
      expect(file.length).toBe(120 + size + 16 * Math.max(1, Math.ceil(size / 65536)));
      expect(specDecrypt(file, { key })).toEqual(plaintext);
    }
  });

  it('files the plugin writes with a passphrase (scrypt) are read by the specification reader', async () => {
    const master = await masterKeyFromPassphrase('correct horse battery staple', { log2N: 10, r: 8, p: 1 });
    const plaintext = randomBytes(200_000);
    const file = await through(plaintext, createEncryptStream(master, { chunkSize: 65536 }));
    expect(file.subarray(9, 13)).toEqual(Buffer.from([1, 10, 8, 1]));
    expect(specDecrypt(file, { passphrase: 'correct horse battery staple' })).toEqual(plaintext);
  });

  it('files the specification writer makes are read by the plugin', async () => {
    for (const size of sizes) {
      const plaintext = randomBytes(size);
      const file = specEncrypt(plaintext, { kind: 'raw', key }, 65536);
      expect(await through(file, createDecryptStream(keySource({ key }), { name: 'spec.hxe' }))).toEqual(plaintext);
    }
    const salt = randomBytes(16);
    const plaintext = randomBytes(1_500_000);
    const file = specEncrypt(plaintext, { kind: 'scrypt', passphrase: 'pässwörd', salt, log2N: 11, r: 4, p: 2 }, 1048576);
    expect(await through(file, createDecryptStream(keySource({ passphrase: 'pässwörd' })))).toEqual(plaintext);
  });

  it('the plugin refuses an empty final chunk after full chunks, which the specification forbids writers to produce', async () => {
    const file = specEncrypt(randomBytes(65536), { kind: 'raw', key }, 65536, { emptyFinalAfterFullChunks: true });
    await expect(through(file, createDecryptStream(keySource({ key }), { name: 'spec.hxe' }))).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringContaining('ends with an empty chunk') });
    expect(() => specDecrypt(file, { key })).toThrow('empty final chunk');
  });
});
