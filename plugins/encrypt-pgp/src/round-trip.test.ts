// Encryption and the reverse stage with keys made by OpenPGP.js (interop with the real gpg is in
// test/encrypt-pgp.test.ts): round trips, key choice, and every way a file can be refused.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RestoreKeys } from '@hyperexport/core';
import { generateKey, readKey } from 'openpgp';
import type { PublicKey } from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecryptStream } from './decrypt-stream.ts';
import { createEncryptStream } from './encrypt-stream.ts';
import type { PgpEncryptionKeys } from './encrypt-stream.ts';
import { pgpReverseStage } from './stages.ts';

let work: string;
let alice: { publicKey: PublicKey; privateFile: string; publicFile: string };
let bob: { publicKey: PublicKey; privateFile: string };
const BOB_KEY_PASSPHRASE = 'bob key passphrase';

async function makeKey(name: string, passphrase?: string) {
  const made = await generateKey({
    userIDs: [{ name, email: `${name.toLowerCase()}@example.org` }],
    type: 'ecc',
    curve: 'curve25519Legacy',
    format: 'armored',
    ...(passphrase ? { passphrase } : {}),
  });
  const privateFile = join(work, `${name}.sec.asc`);
  const publicFile = join(work, `${name}.pub.asc`);
  await writeFile(privateFile, made.privateKey);
  await writeFile(publicFile, made.publicKey);
  return { publicKey: await readKey({ armoredKey: made.publicKey }), privateFile, publicFile };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'encrypt-pgp-unit-'));
  alice = await makeKey('Alice');
  bob = await makeKey('Bob', BOB_KEY_PASSPHRASE);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** RestoreKeys that record which passphrases were asked for. */
function restoreKeys(privateKeyFiles: string[], passphrase?: string): RestoreKeys & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    privateKeyFiles,
    passphrase: async (purpose) => {
      asked.push(purpose);
      if (passphrase === undefined) throw new Error('no passphrase available');
      return passphrase;
    },
  };
}

async function encrypt(data: Buffer, keys: PgpEncryptionKeys): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunked(data)), createEncryptStream(keys, { filename: 'disk.vmdk' }), collect(out));
  return Buffer.concat(out);
}

async function decrypt(data: Buffer, keys: RestoreKeys): Promise<Buffer> {
  const out: Buffer[] = [];
  const stage = await pgpReverseStage.create('disk.vmdk.gpg', keys, new AbortController().signal);
  await pipeline(Readable.from(chunked(data)), stage, collect(out));
  return Buffer.concat(out);
}

function* chunked(data: Buffer, size = 256 * 1024) {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}
const collect = (out: Buffer[]) => new Writable({ write: (chunk: Buffer, _e, done) => (out.push(chunk), done()) });
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('encrypt and decrypt', () => {
  const plain = randomBytes(3 * 1024 * 1024 + 17);

  it('round-trips with a passphrase', async () => {
    const encrypted = await encrypt(plain, { recipients: [], passphrase: 'correct horse' });
    expect(encrypted.subarray(0, 1)[0]! & 0xc0).toBe(0xc0); // a new-format packet header
    const keys = restoreKeys([], 'correct horse');
    expect(sha256(await decrypt(encrypted, keys))).toBe(sha256(plain));
    expect(keys.asked).toEqual(['the OpenPGP passphrase of disk.vmdk.gpg']);
  });

  it('round-trips an empty file', async () => {
    const encrypted = await encrypt(Buffer.alloc(0), { recipients: [], passphrase: 'p' });
    expect((await decrypt(encrypted, restoreKeys([], 'p'))).length).toBe(0);
  });

  it('decrypts with whichever private key matches, asking a protected key for its passphrase once', async () => {
    const encrypted = await encrypt(plain, { recipients: [alice.publicKey, bob.publicKey] });
    expect(sha256(await decrypt(encrypted, restoreKeys([alice.privateFile])))).toBe(sha256(plain));
    const keys = restoreKeys([bob.privateFile], BOB_KEY_PASSPHRASE);
    expect(sha256(await decrypt(encrypted, keys))).toBe(sha256(plain));
    expect(sha256(await decrypt(encrypted, keys))).toBe(sha256(plain));
    expect(keys.asked).toHaveLength(1);
    expect(keys.asked[0]).toContain(bob.privateFile);
  });

  it('prefers a private key over the passphrase when a file has both', async () => {
    const encrypted = await encrypt(plain, { recipients: [alice.publicKey], passphrase: 'also this' });
    const withKey = restoreKeys([alice.privateFile]);
    expect(sha256(await decrypt(encrypted, withKey))).toBe(sha256(plain));
    expect(withKey.asked).toEqual([]);
    expect(sha256(await decrypt(encrypted, restoreKeys([], 'also this')))).toBe(sha256(plain));
  });
});

describe('cancelling', () => {
  it("stops encrypting and decrypting when the job's signal aborts", async () => {
    const plain = randomBytes(4 * 1024 * 1024);
    const encrypted = await encrypt(plain, { recipients: [], passphrase: 'p' });
    for (const [data, make] of [
      [plain, (signal: AbortSignal) => createEncryptStream({ recipients: [], passphrase: 'p' }, { signal })],
      [encrypted, (signal: AbortSignal) => createDecryptStream('x.gpg', restoreKeys([], 'p'), { signal })],
    ] as const) {
      const controller = new AbortController();
      const chunks = [...chunked(data, 64 * 1024)];
      let pulled = 0;
      const source = new Readable({
        read() {
          pulled += 1;
          if (pulled === 8) controller.abort(new Error('cancelled by the user'));
          this.push(chunks.shift() ?? null);
        },
      });
      await expect(pipeline(source, make(controller.signal), collect([]))).rejects.toMatchObject({ name: 'AbortError' });
      expect(chunks.length).toBeGreaterThan(0);
    }
  });
});

describe('the reverse stage refuses', () => {
  const plain = randomBytes(2 * 1024 * 1024);
  let toAlice: Buffer;
  let symmetric: Buffer;
  beforeAll(async () => {
    toAlice = await encrypt(plain, { recipients: [alice.publicKey] });
    symmetric = await encrypt(plain, { recipients: [], passphrase: 'right' });
  });

  it('a flipped bit in the body', async () => {
    for (const offset of [200, Math.floor(toAlice.length / 2), toAlice.length - 30, toAlice.length - 1]) {
      const tampered = Buffer.from(toAlice);
      tampered[offset]! ^= 0x01;
      await expect(decrypt(tampered, restoreKeys([alice.privateFile])), `bit flipped at ${offset}`).rejects.toMatchObject({ code: 'INTEGRITY' });
    }
  });

  it('a truncated file', async () => {
    for (const length of [toAlice.length - 1, toAlice.length - 21, Math.floor(toAlice.length / 2)]) {
      await expect(decrypt(toAlice.subarray(0, length), restoreKeys([alice.privateFile])), `cut at ${length}`).rejects.toMatchObject({ code: 'INTEGRITY' });
    }
  });

  it('data appended after the message', async () => {
    await expect(decrypt(Buffer.concat([toAlice, Buffer.from('extra')]), restoreKeys([alice.privateFile]))).rejects.toMatchObject({ code: 'INTEGRITY' });
    await expect(decrypt(Buffer.concat([toAlice, toAlice]), restoreKeys([alice.privateFile]))).rejects.toMatchObject({ code: 'INTEGRITY' });
  });

  it('a wrong passphrase, saying so', async () => {
    await expect(decrypt(symmetric, restoreKeys([], 'wrong'))).rejects.toThrow(/passphrase is wrong/);
  });

  it('a wrong passphrase for a protected private key, naming the file', async () => {
    const toBob = await encrypt(plain, { recipients: [bob.publicKey] });
    await expect(decrypt(toBob, restoreKeys([bob.privateFile], 'not it'))).rejects.toThrow(
      new RegExp(`private key .* in ${bob.privateFile}: the passphrase is wrong`),
    );
  });

  it('a file for another key, naming the key IDs', async () => {
    const aliceKeyId = (await alice.publicKey.getEncryptionKey()).getKeyID().toHex().toUpperCase();
    await expect(decrypt(toAlice, restoreKeys([]))).rejects.toThrow(
      new RegExp(`encrypted to the OpenPGP key ID\\(s\\) ${aliceKeyId}, and no --private-key was given`),
    );
    await expect(decrypt(toAlice, restoreKeys([bob.privateFile], BOB_KEY_PASSPHRASE))).rejects.toThrow(/none of .*Bob\.sec\.asc holds one of them/);
  });

  it('a public key given as private key, before reading any data', async () => {
    await expect(pgpReverseStage.create('x.gpg', restoreKeys([alice.publicFile]), new AbortController().signal)).rejects.toThrow(/holds only a public key/);
    await expect(pgpReverseStage.create('x.gpg', restoreKeys([join(work, 'missing.asc')]), new AbortController().signal)).rejects.toThrow(
      /cannot read the private key file .*missing\.asc: ENOENT/,
    );
  });

  it('something that is not OpenPGP at all', async () => {
    await expect(decrypt(randomBytes(10_000), restoreKeys([alice.privateFile]))).rejects.toThrow(/disk\.vmdk\.gpg/);
  });
});
