// The reader rejects every kind of damage, each with an error that says what is wrong, and never
// hands out the plaintext of a chunk that did not authenticate: what it emitted before failing
// is always whole, verified chunks from the start of the true plaintext.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExportError } from '@hyperexport/core';
import { TAG_LENGTH, createDecryptStream, createEncryptStream, headerLength, keySource, masterKeyFromBytes, masterKeyFromPassphrase } from './index.ts';
import type { KeySource, MasterKey } from './index.ts';
import { specEncrypt } from './testing/specification.ts';
import { recordPushes, run, runCollecting } from './testing/streams.ts';

const CHUNK = 65536;
const binding = { storedName: 'disk.vmdk.hxe', exportId: 'c81d4e2a-7b3f-4a6e-9d05-1f8e2b7c4a30' };
/** This file's header: 90 bytes of fixed fields and binding length, the binding, the MAC. */
const HEADER_LENGTH = headerLength(binding);
/** Where the binding's bytes are: name_length, stored_name, id_length, export_id. */
const BINDING_START = 90;
const MAC_START = HEADER_LENGTH - 32;
const encrypt = (master: MasterKey) => createEncryptStream(master, { chunkSize: CHUNK, binding });
const SEALED = CHUNK + TAG_LENGTH;
/** Four full chunks and a short fifth (final) one. */
const PLAINTEXT_LENGTH = 4 * CHUNK + 1000;

let key: Buffer;
let plaintext: Buffer;
let file: Buffer;
/** Where chunk i starts in `file`. */
const chunkStart = (index: number) => HEADER_LENGTH + index * SEALED;
const CHUNKS = 5;

beforeAll(async () => {
  key = randomBytes(32);
  plaintext = randomBytes(PLAINTEXT_LENGTH);
  file = await run(encrypt(masterKeyFromBytes(key)), plaintext);
  expect(file.length).toBe(chunkStart(4) + 1000 + TAG_LENGTH);
});

/**
 * Decrypts `damaged`, expects it to fail with `code`, and checks the output emitted before the
 * failure: whole chunks of the true plaintext from its start, never more than `maxGoodChunks`.
 */
async function expectRejected(damaged: Buffer, code: string, message: RegExp, maxGoodChunks = CHUNKS - 1, keys = keySource({ key })): Promise<ExportError> {
  let rejection: ExportError | undefined;
  for (const pieceSize of [1 << 20, 7000] as const) {
    const { stream, pushed } = recordPushes(createDecryptStream(keys, { name: 'disk.vmdk.hxe' }));
    const { output, error } = await runCollecting(stream, damaged, pieceSize);
    expect(error, `expected ${code}`).toBeInstanceOf(ExportError);
    rejection = error as ExportError;
    expect(rejection.code).toBe(code);
    expect(rejection.message).toMatch(message);
    expect(rejection.message).toContain('disk.vmdk.hxe');
    expect(rejection.hint).toBeTruthy();
    // Everything the stream ever pushed (not only what reached the consumer before the error).
    const emitted = pushed();
    expect(emitted.length % CHUNK, 'only whole chunks are emitted').toBe(0);
    expect(emitted.length, 'no chunk at or after the damage is emitted').toBeLessThanOrEqual(maxGoodChunks * CHUNK);
    expect(emitted.equals(plaintext.subarray(0, emitted.length)), 'emitted bytes are the true plaintext').toBe(true);
    expect(emitted.subarray(0, output.length).equals(output)).toBe(true);
  }
  return rejection!;
}

const flipBit = (data: Buffer, offset: number, bit = 0) => {
  const copy = Buffer.from(data);
  copy[offset]! ^= 1 << bit;
  return copy;
};

describe('truncation', () => {
  it('at every chunk boundary: the last remaining chunk was sealed as a middle chunk', async () => {
    for (let index = 1; index < CHUNKS; index++) {
      await expectRejected(
        file.subarray(0, chunkStart(index)),
        'TRUNCATED',
        new RegExp(`is truncated: it ends after chunk ${index - 1}, at a chunk boundary`),
        index - 1,
      );
    }
  });

  it('right after the header (no chunk at all)', async () => {
    await expectRejected(file.subarray(0, HEADER_LENGTH), 'TRUNCATED', /ends right after the encryption header, before its first chunk/, 0);
  });

  it('inside a chunk: its ciphertext or its tag cut', async () => {
    for (let index = 0; index < CHUNKS; index++) {
      const sealedLength = index === CHUNKS - 1 ? 1000 + TAG_LENGTH : SEALED;
      for (const keep of [1, TAG_LENGTH - 1, TAG_LENGTH, TAG_LENGTH + 1, 500, sealedLength - TAG_LENGTH - 1, sealedLength - TAG_LENGTH, sealedLength - 1]) {
        const cut = file.subarray(0, chunkStart(index) + keep);
        const error =
          keep < TAG_LENGTH
            ? await expectRejected(cut, 'TRUNCATED', new RegExp(`is truncated: it ends inside chunk ${index}`), index)
            : await expectRejected(cut, 'CORRUPT', new RegExp(`chunk ${index} failed authentication`), index);
        expect(error.message).toContain(`chunk ${index}`);
      }
    }
  });

  it('inside the header, and a file cut to nothing', async () => {
    // Before the version the shortest header (version 1's 120 bytes) is all a reader can expect;
    // before the binding length, version 2's shortest (126); from byte 90 on, this header's length.
    for (const [length, of] of [
      [1, 'at least 120'],
      [7, 'at least 120'],
      [8, 'at least 120'],
      [9, 'at least 126'],
      [60, 'at least 126'],
      [89, 'at least 126'],
      [90, `${HEADER_LENGTH}`],
      [100, `${HEADER_LENGTH}`],
      [HEADER_LENGTH - 1, `${HEADER_LENGTH}`],
    ] as const) {
      await expectRejected(file.subarray(0, length), 'TRUNCATED', new RegExp(`ends inside the encryption header \\(${length} of ${of} bytes\\)`), 0);
    }
    await expectRejected(Buffer.alloc(0), 'TRUNCATED', /is empty/, 0);
  });
});

describe('reordered, duplicated, dropped and foreign chunks', () => {
  const chunk = (index: number) => file.subarray(chunkStart(index), chunkStart(index) + SEALED);
  const header = () => file.subarray(0, HEADER_LENGTH);
  const last = () => file.subarray(chunkStart(4));

  it('two chunks swapped', async () => {
    await expectRejected(Buffer.concat([header(), chunk(0), chunk(2), chunk(1), chunk(3), last()]), 'CORRUPT', /chunk 1 failed authentication/, 1);
  });

  it('a chunk duplicated', async () => {
    await expectRejected(Buffer.concat([header(), chunk(0), chunk(1), chunk(1), chunk(2), chunk(3), last()]), 'CORRUPT', /chunk 2 failed authentication/, 2);
  });

  it('a middle chunk dropped', async () => {
    await expectRejected(Buffer.concat([header(), chunk(0), chunk(2), chunk(3), last()]), 'CORRUPT', /chunk 1 failed authentication/, 1);
  });

  it('the final chunk moved to the front', async () => {
    await expectRejected(Buffer.concat([header(), last(), chunk(0), chunk(1), chunk(2), chunk(3)]), 'CORRUPT', /chunk 0 failed authentication/, 0);
  });

  it('a chunk from another file encrypted with the same key', async () => {
    const other = await run(encrypt(masterKeyFromBytes(key)), plaintext);
    await expectRejected(
      Buffer.concat([header(), chunk(0), other.subarray(chunkStart(1), chunkStart(2)), chunk(2), chunk(3), last()]),
      'CORRUPT',
      /chunk 1 failed authentication/,
      1,
    );
  });

  it('the header of another file', async () => {
    const other = await run(encrypt(masterKeyFromBytes(key)), plaintext);
    await expectRejected(Buffer.concat([other.subarray(0, HEADER_LENGTH), file.subarray(HEADER_LENGTH)]), 'CORRUPT', /chunk 0 failed authentication/, 0);
  });
});

describe('a flipped bit anywhere', () => {
  it('in every byte of the header: each is refused before any chunk is read', async () => {
    // What each region of the header reports (see docs/encryption.md §4).
    const expected = (offset: number): [string, RegExp] => {
      if (offset < 8) return ['NOT_ENCRYPTED', /not a HyperExport AES-encrypted file/];
      if (offset === 8) return ['UNSUPPORTED_VERSION', /uses encryption format version \d+; this HyperExport reads versions 1 and 2/];
      if (offset < 33) return ['CORRUPT', /encryption header is damaged or was altered/]; // kdf, scrypt fields, chunk size, zero salt
      if (offset < 65) return ['WRONG_KEY', /wrong passphrase or key/]; // file salt: other keys, so the key check fails
      if (offset < 72) return ['CORRUPT', /header is damaged or was altered \(its authentication code does not match\)/]; // nonce prefix
      if (offset < 88) return ['WRONG_KEY', /wrong passphrase or key/]; // the key check itself
      // The binding length, the binding (its lengths, or its strings: refused as invalid UTF-8,
      // as a name with a /, or by the MAC) and the MAC itself.
      return ['CORRUPT', /encryption header is damaged or was altered/];
    };
    for (let offset = 0; offset < HEADER_LENGTH; offset++) {
      for (const bit of [0, 7]) {
        const [code, message] = expected(offset);
        await expectRejected(flipBit(file, offset, bit), code, message, 0);
      }
    }
  });

  it('in the header of a passphrase file: scrypt fields and salt', async () => {
    const master = await masterKeyFromPassphrase('pw', { log2N: 10, r: 8, p: 1 });
    const encrypted = await run(encrypt(master), plaintext);
    const keys = keySource({ passphrase: 'pw' });
    // log2N 10 → 11, r 8 → 9, p 1 → 0 (invalid): a changed cost derives another key; an invalid one is refused.
    await expectRejected(flipBit(encrypted, 10, 0), 'WRONG_KEY', /wrong passphrase or key/, 0, keys);
    await expectRejected(flipBit(encrypted, 11, 0), 'WRONG_KEY', /wrong passphrase or key/, 0, keys);
    await expectRejected(flipBit(encrypted, 12, 0), 'CORRUPT', /scrypt p must be an integer from 1 to 16 \(got 0\)/, 0, keys);
    await expectRejected(flipBit(encrypted, 10, 6), 'CORRUPT', /scrypt log2N must be an integer from 10 to 20/, 0, keys);
    await expectRejected(flipBit(encrypted, 20, 3), 'WRONG_KEY', /wrong passphrase or key/, 0, keys);
  });

  it('in the ciphertext of every chunk: first, middle and last byte', async () => {
    for (let index = 0; index < CHUNKS; index++) {
      const length = index === CHUNKS - 1 ? 1000 : CHUNK;
      for (const within of [0, length >> 1, length - 1]) {
        await expectRejected(flipBit(file, chunkStart(index) + within, 3), 'CORRUPT', new RegExp(`chunk ${index} failed authentication`), index);
      }
    }
  });

  it('in the tag of every chunk: every byte', async () => {
    for (let index = 0; index < CHUNKS; index++) {
      const tagStart = (index === CHUNKS - 1 ? file.length : chunkStart(index + 1)) - TAG_LENGTH;
      for (let within = 0; within < TAG_LENGTH; within++) {
        await expectRejected(flipBit(file, tagStart + within, within % 8), 'CORRUPT', new RegExp(`chunk ${index} failed authentication`), index);
      }
    }
  });
});

describe('the binding (stored name and export id)', () => {
  /** A KeySource that counts how often a key was asked for: never, for a header refused before authentication. */
  const counting = (): KeySource & { asked: number } => {
    const inner = keySource({ key });
    const source = {
      asked: 0,
      masterKey: (...args: Parameters<KeySource['masterKey']>) => {
        source.asked += 1;
        return inner.masterKey(...args);
      },
    };
    return source;
  };
  const withByte = (offset: number, value: number) => {
    const copy = Buffer.from(file);
    copy[offset] = value;
    return copy;
  };
  const withBindingLength = (length: number) => {
    const copy = Buffer.from(file);
    copy.writeUInt16BE(length, 88);
    return copy;
  };

  it('a flipped bit in either string is caught by the header MAC, after the key check passed', async () => {
    const name = Buffer.from(binding.storedName);
    const id = Buffer.from(binding.exportId);
    const nameStart = BINDING_START + 1;
    const idStart = nameStart + name.length + 1;
    expect(file.subarray(nameStart, nameStart + name.length).equals(name)).toBe(true);
    expect(file.subarray(idStart, idStart + id.length).equals(id)).toBe(true);
    // Bit 1 keeps these ASCII characters ASCII (and the name without a /): only the MAC can tell.
    for (const offset of [...Array.from(name.keys(), (index) => nameStart + index), ...Array.from(id.keys(), (index) => idStart + index)]) {
      const keys = counting();
      await expectRejected(
        flipBit(file, offset, 1),
        'CORRUPT',
        /encryption header is damaged or was altered \(its authentication code does not match\)/,
        0,
        keys,
      );
      expect(keys.asked).toBeGreaterThan(0);
    }
  });

  it('a flipped bit in the MAC over it', async () => {
    for (let offset = MAC_START; offset < HEADER_LENGTH; offset++) {
      await expectRejected(flipBit(file, offset, offset % 8), 'CORRUPT', /its authentication code does not match/, 0);
    }
  });

  it('a binding length outside 4 to 385 is refused from the first 90 bytes, before any key is asked for', async () => {
    for (const length of [0, 3, 386, 0xffff]) {
      const keys = counting();
      const expected = new RegExp(`encryption header is damaged or was altered \\(binding length ${length} is outside 4 to 385\\)`);
      await expectRejected(withBindingLength(length), 'CORRUPT', expected, 0, keys);
      // The first 90 bytes alone are refused: the reader neither waits for nor keeps the rest.
      await expectRejected(withBindingLength(length).subarray(0, 90), 'CORRUPT', expected, 0, keys);
      expect(keys.asked).toBe(0);
    }
  });

  it('a binding whose lengths do not add up is refused before any key is asked for', async () => {
    const nameLength = Buffer.byteLength(binding.storedName);
    const idLengthAt = BINDING_START + 1 + nameLength;
    const bindingLength = file.readUInt16BE(88);
    const cases: [Buffer, RegExp][] = [
      [withByte(BINDING_START, 0), /the stored name's length 0 does not fit 1 to 255 bytes within the binding/],
      [withByte(BINDING_START, nameLength + 40), new RegExp(`the stored name's length ${nameLength + 40} does not fit 1 to 255 bytes within the binding`)],
      [withByte(idLengthAt, 0), /the export id's length 0 does not fit 1 to 128 bytes/],
      [withByte(idLengthAt, 129), /the export id's length 129 does not fit 1 to 128 bytes/],
      [withByte(idLengthAt, 20), /the binding is 16 bytes longer than its two strings/],
      [withBindingLength(bindingLength + 1), /the binding is 1 byte longer than its two strings/],
      [withBindingLength(bindingLength - 1), /the export id's length 36 does not fit 1 to 128 bytes within the binding/],
    ];
    for (const [damaged, message] of cases) {
      const keys = counting();
      await expectRejected(damaged, 'CORRUPT', message, 0, keys);
      expect(keys.asked).toBe(0);
    }
  });

  it('a stored name that is not valid UTF-8, or holds a /, is refused', async () => {
    await expectRejected(withByte(BINDING_START + 1, 0xff), 'CORRUPT', /the stored name is not valid UTF-8/, 0);
    await expectRejected(withByte(BINDING_START + 5, 0x2f), 'CORRUPT', /the stored name "disk\/vmdk.hxe" is not a base name/, 0);
  });
});

describe('version 1 files (no binding), as earlier releases wrote them', () => {
  let v1: Buffer;
  beforeAll(() => {
    v1 = specEncrypt(plaintext, { kind: 'raw', key }, CHUNK, { version: 1 });
  });

  it('decrypt, and reject a flipped bit in every byte of their 120-byte header', async () => {
    expect((await run(createDecryptStream(keySource({ key }), { name: 'disk.vmdk.hxe' }), v1, 7000)).equals(plaintext)).toBe(true);
    for (let offset = 0; offset < 120; offset++) {
      const { error } = await runCollecting(createDecryptStream(keySource({ key }), { name: 'disk.vmdk.hxe' }), flipBit(v1, offset, offset % 8));
      expect(error, `offset ${offset}`).toBeInstanceOf(ExportError);
    }
  });

  it('a flipped bit in a chunk, and truncation inside the header or at a chunk boundary', async () => {
    await expect(run(createDecryptStream(keySource({ key }), { name: 'v1.hxe' }), flipBit(v1, 120 + 5))).rejects.toMatchObject({
      code: 'CORRUPT',
      message: expect.stringContaining('chunk 0 failed authentication'),
    });
    await expect(run(createDecryptStream(keySource({ key }), { name: 'v1.hxe' }), v1.subarray(0, 100))).rejects.toMatchObject({
      code: 'TRUNCATED',
      message: 'v1.hxe is truncated: it ends inside the encryption header (100 of 120 bytes)',
    });
    await expect(run(createDecryptStream(keySource({ key }), { name: 'v1.hxe' }), v1.subarray(0, 120 + SEALED))).rejects.toMatchObject({
      code: 'TRUNCATED',
      message: expect.stringContaining('at a chunk boundary'),
    });
  });
});

describe('bytes appended after the final chunk', () => {
  it('one byte, sixteen bytes, or a copy of the final chunk', async () => {
    for (const extra of [Buffer.from([0]), randomBytes(TAG_LENGTH), file.subarray(chunkStart(4))]) {
      await expectRejected(Buffer.concat([file, extra]), 'CORRUPT', /chunk 4 failed authentication/, 4);
    }
  });

  it('after a full-size final chunk: reported as data after the final chunk', async () => {
    const exact = randomBytes(2 * CHUNK);
    const encrypted = await run(encrypt(masterKeyFromBytes(key)), exact);
    const { stream, pushed } = recordPushes(createDecryptStream(keySource({ key }), { name: 'x.hxe' }));
    const { error } = await runCollecting(stream, Buffer.concat([encrypted, Buffer.from('trailing')]));
    expect(error).toMatchObject({ code: 'CORRUPT', message: 'x.hxe has data after its final chunk (chunk 1)' });
    // Chunk 0 verified and was handed out; the former final chunk never is.
    expect(pushed().equals(exact.subarray(0, CHUNK))).toBe(true);
  });
});

describe('keys and versions', () => {
  let passphraseFile: Buffer;
  let master: MasterKey;
  beforeAll(async () => {
    master = await masterKeyFromPassphrase('the right one', { log2N: 10, r: 8, p: 1 });
    passphraseFile = await run(encrypt(master), plaintext);
  });

  it('a wrong passphrase is reported as such, before any chunk', async () => {
    await expectRejected(
      passphraseFile,
      'WRONG_KEY',
      /cannot be decrypted with this passphrase: wrong passphrase or key/,
      0,
      keySource({ passphrase: 'the wrong one' }),
    );
  });

  it('a wrong key file is reported as such', async () => {
    await expectRejected(file, 'WRONG_KEY', /cannot be decrypted with this key file: wrong passphrase or key/, 0, keySource({ key: randomBytes(32) }));
  });

  it('a key file for a passphrase file, and a passphrase for a key-file file, say what is needed', async () => {
    await expectRejected(passphraseFile, 'PASSPHRASE_REQUIRED', /was encrypted with a passphrase, and none was given/, 0, keySource({ key }));
    await expectRejected(file, 'KEY_REQUIRED', /was encrypted with a key file, and none was given/, 0, keySource({ passphrase: 'the right one' }));
  });

  it('an unknown version is refused with the version named', async () => {
    for (const version of [0, 3, 255]) {
      const newer = Buffer.from(file);
      newer[8] = version;
      await expectRejected(newer, 'UNSUPPORTED_VERSION', new RegExp(`uses encryption format version ${version}; this HyperExport reads versions 1 and 2`), 0);
    }
  });

  it('a file that is not encrypted at all is refused as soon as its first bytes arrive', async () => {
    await expectRejected(Buffer.from('<?xml version="1.0"?><Envelope/>'), 'NOT_ENCRYPTED', /is not a HyperExport AES-encrypted file/, 0);
    await expectRejected(Buffer.from([0x89, 0x48]), 'TRUNCATED', /ends inside the encryption header/, 0);
    await expectRejected(Buffer.from([0x89, 0x00]), 'NOT_ENCRYPTED', /not a HyperExport AES-encrypted file/, 0);
  });
});
