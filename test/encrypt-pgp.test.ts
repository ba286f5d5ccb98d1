// OpenPGP interop with the real GnuPG (/usr/bin/gpg), both ways: files encrypt-pgp writes decrypt
// with `gpg --decrypt`, and files gpg writes decrypt with the reverse stage that
// `hyperexport restore` uses. Keys are made by gpg, each person's in their own GNUPGHOME, so a
// successful `gpg --decrypt` in one home proves that person alone can read the file.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Exporter, PASSPHRASE_ENV, runJob } from '@hyperexport/core';
import type { JobSpec, PluginInstance, RestoreKeys } from '@hyperexport/core';
import encryptPgp, { createEncryptStream, readRecipientKey, reverseStages } from '@hyperexport/encrypt-pgp';
import type { PgpEncryptionKeys } from '@hyperexport/encrypt-pgp';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import validate from '@hyperexport/validate';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GpgHome, gpgVersion } from './support/gpg.ts';
import type { GpgKey } from './support/gpg.ts';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';

const exec = promisify(execFile);
const BOB_KEY_PASSPHRASE = 'bob protects his key';
const reverse = reverseStages.find((stage) => stage.suffix === '.gpg')!;

let work: string;
/** Alice: ed25519/cv25519 key, unprotected. Bob: RSA 3072 with an RSA subkey, protected. Others: keys that cannot encrypt. */
let aliceHome: GpgHome;
let bobHome: GpgHome;
let otherHome: GpgHome;
let alice: GpgKey;
let bob: GpgKey;
const files = {} as Record<
  'alicePub' | 'alicePubBinary' | 'aliceSec' | 'bobPub' | 'bobSec' | 'expiredPub' | 'revokedPub' | 'signOnlyPub' | 'notAKey' | 'plain',
  string
>;
let vm: MadeVm;

const sha256 = async (path: string) => {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-pgp-'));
  [aliceHome, bobHome, otherHome] = await Promise.all([GpgHome.create(), GpgHome.create(), GpgHome.create()]);
  alice = await aliceHome.generateKey('Alice <alice@example.org>', { algorithm: 'future-default' });
  bob = await bobHome.generateKey('Bob <bob@example.org>', {
    algorithm: 'rsa3072',
    usage: 'sign,cert',
    encryptionSubkey: 'rsa3072',
    passphrase: BOB_KEY_PASSPHRASE,
  });
  files.alicePub = await aliceHome.exportPublicKey(alice, join(work, 'alice.pub.asc'));
  files.alicePubBinary = await aliceHome.exportPublicKey(alice, join(work, 'alice.pub.gpg'), false);
  files.aliceSec = await aliceHome.exportSecretKey(alice, join(work, 'alice.sec.asc'));
  files.bobPub = await bobHome.exportPublicKey(bob, join(work, 'bob.pub.asc'));
  files.bobSec = await bobHome.exportSecretKey(bob, join(work, 'bob.sec.asc'), BOB_KEY_PASSPHRASE);

  // A key that expired a day after it was made, in 2020.
  const expired = await otherHome.generateKey('Expired <expired@example.org>', { expire: '1d', fakedSystemTime: new Date('2020-01-01T00:00:00Z') });
  files.expiredPub = await otherHome.exportPublicKey(expired, join(work, 'expired.pub.asc'));
  const revoked = await otherHome.generateKey('Revoked <revoked@example.org>');
  await otherHome.revoke(revoked);
  files.revokedPub = await otherHome.exportPublicKey(revoked, join(work, 'revoked.pub.asc'));
  const signOnly = await otherHome.generateKey('Signer <signer@example.org>', { algorithm: 'ed25519', usage: 'sign' });
  files.signOnlyPub = await otherHome.exportPublicKey(signOnly, join(work, 'signer.pub.asc'));
  files.notAKey = join(work, 'not-a-key.asc');
  await writeFile(files.notAKey, 'this is a shopping list, not a key\n');

  // 5 MiB: random data, then zeros (which gpg's default compression squeezes), so that both
  // compressed and uncompressed packets are exercised.
  files.plain = join(work, 'disk.raw');
  await writeFile(files.plain, Buffer.concat([randomBytes(3 << 20), Buffer.alloc(2 << 20)]));
  vm = await makeVmFolder(join(work, 'vms', 'db01'), 'db01', [4, 2]);
});

afterAll(async () => {
  await Promise.all([aliceHome?.close(), bobHome?.close(), otherHome?.close()]);
  await rm(work, { recursive: true, force: true });
});

beforeEach(() => {
  // The passphrase comes from files in these tests; a variable set outside must not leak in.
  delete process.env[PASSPHRASE_ENV];
});

let counter = 0;
const next = (name: string) => join(work, `${++counter}-${name}`);

/** Encrypts a file the way the transform stage does. */
async function ourEncrypt(input: string, keys: PgpEncryptionKeys): Promise<string> {
  const output = next(`${basename(input)}.gpg`);
  await pipeline(createReadStream(input), createEncryptStream(keys, { filename: basename(input) }), createWriteStream(output));
  return output;
}

/** Decrypts a file the way `hyperexport restore` does, through the reverse stage. */
async function ourDecrypt(input: string, keys: RestoreKeys): Promise<string> {
  const output = next('decrypted');
  const stage = await reverse.create(basename(input), keys, new AbortController().signal);
  await pipeline(createReadStream(input), stage, createWriteStream(output));
  return output;
}

function restoreKeys(privateKeyFiles: string[], passphrase?: string): RestoreKeys & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    privateKeyFiles,
    passphrase: async (purpose) => {
      asked.push(purpose);
      if (passphrase === undefined) throw new Error(`no passphrase in this test (asked for ${purpose})`);
      return passphrase;
    },
  };
}

const publicKey = async (file: string) => (await readRecipientKey(file)).key;

describe(`OpenPGP interop with gpg`, () => {
  it('runs against GnuPG 2.2 or later', async () => {
    expect(await gpgVersion()).toMatch(/^2\.(2|3|4|5)\./);
  });

  it("(1) writes files that gpg decrypts with the recipient's key: a version 1 SEIPD packet with MDC, uncompressed", async () => {
    const armored = await ourEncrypt(files.plain, { recipients: [await publicKey(files.alicePub)] });
    const binary = await ourEncrypt(files.plain, { recipients: [await publicKey(files.alicePubBinary)] });
    for (const encrypted of [armored, binary]) {
      const decrypted = next('gpg-out');
      const { stderr } = await aliceHome.decrypt(encrypted, decrypted);
      expect(await sha256(decrypted)).toBe(await sha256(files.plain));
      expect(stderr).not.toMatch(/WARNING/);
    }
    const packets = await aliceHome.listPackets(armored);
    expect(packets).toMatch(/:pubkey enc packet: version 3, algo 18/);
    expect(packets).toMatch(/:encrypted data packet:\n\s+length: unknown\n\s+mdc_method: 2/);
    expect(packets).toMatch(/:literal data packet:\n\s+mode b .* name="disk.raw"/);
    expect(packets).not.toMatch(/compressed packet/);
    expect(await readFile(armored)).not.toContain('-----BEGIN PGP MESSAGE-----');
  });

  it("(2) decrypts what gpg encrypted to a key, compressed (gpg's default) or not, with a protected key too", async () => {
    for (const compress of [true, false]) {
      const encrypted = next('gpg-to-alice.gpg');
      await aliceHome.encrypt(files.plain, encrypted, [alice], { compress });
      expect(await sha256(await ourDecrypt(encrypted, restoreKeys([files.aliceSec])))).toBe(await sha256(files.plain));
    }
    // A hidden recipient (`--hidden-recipient`): the key ID is all zeros, each given key is tried.
    const hidden = next('gpg-hidden.gpg');
    await aliceHome.gpg(['--trust-model', 'always', '--hidden-recipient', alice.fingerprint, '--output', hidden, '--encrypt', files.plain]);
    expect(await sha256(await ourDecrypt(hidden, restoreKeys([files.bobSec, files.aliceSec], BOB_KEY_PASSPHRASE)))).toBe(await sha256(files.plain));
    const toBob = next('gpg-to-bob.gpg');
    await bobHome.encrypt(files.plain, toBob, [bob]);
    const keys = restoreKeys([files.aliceSec, files.bobSec], BOB_KEY_PASSPHRASE);
    expect(await sha256(await ourDecrypt(toBob, keys))).toBe(await sha256(files.plain));
    expect(keys.asked).toEqual([expect.stringContaining(`in ${files.bobSec}`)]);
  });

  it('(3) symmetric both ways with a passphrase', async () => {
    const passphrase = 'a long passphrase with spaces and ünïcode';
    const ours = await ourEncrypt(files.plain, { recipients: [], passphrase });
    const decrypted = next('gpg-out');
    await otherHome.decrypt(ours, decrypted, passphrase);
    expect(await sha256(decrypted)).toBe(await sha256(files.plain));
    expect(await otherHome.listPackets(ours, passphrase)).toMatch(/:symkey enc packet: version 4, cipher 9, aead 0,s2k 3/);

    for (const compress of [true, false]) {
      const theirs = next('gpg-symmetric.gpg');
      await otherHome.encryptSymmetric(files.plain, theirs, passphrase, { compress });
      expect(await sha256(await ourDecrypt(theirs, restoreKeys([], passphrase)))).toBe(await sha256(files.plain));
      // Told by gpg's quick check before any (garbage) plaintext is passed on.
      const stage = await reverse.create('gpg-symmetric.gpg', restoreKeys([], 'not the passphrase'), new AbortController().signal);
      let passedOn = 0;
      const counter = new Writable({ write: (chunk: Buffer, _e, done) => ((passedOn += chunk.length), done()) });
      await expect(pipeline(createReadStream(theirs), stage, counter)).rejects.toThrow(/cannot decrypt gpg-symmetric\.gpg: the passphrase is wrong/);
      expect(passedOn).toBe(0);
    }
  });

  it('(4) encrypts to two recipients, each of whom can decrypt alone', async () => {
    const encrypted = await ourEncrypt(files.plain, { recipients: [await publicKey(files.alicePub), await publicKey(files.bobPub)] });
    const byAlice = next('alice-out');
    await aliceHome.decrypt(encrypted, byAlice);
    const byBob = next('bob-out');
    await bobHome.decrypt(encrypted, byBob, BOB_KEY_PASSPHRASE);
    expect(await sha256(byAlice)).toBe(await sha256(files.plain));
    expect(await sha256(byBob)).toBe(await sha256(files.plain));
    // Someone else cannot.
    await expect(otherHome.decrypt(encrypted, next('other-out'))).rejects.toThrow(/No secret key|decryption failed/);
  });

  it('(5) rejects a tampered file, whoever wrote it', async () => {
    const ours = await ourEncrypt(files.plain, { recipients: [await publicKey(files.alicePub)] });
    const theirs = next('gpg-to-alice.gpg');
    await aliceHome.encrypt(files.plain, theirs, [alice], { compress: false });
    for (const original of [ours, theirs]) {
      const bytes = await readFile(original);
      const tampered = next('tampered.gpg');
      bytes[bytes.length >> 1]! ^= 0x20;
      await writeFile(tampered, bytes);
      await expect(ourDecrypt(tampered, restoreKeys([files.aliceSec]))).rejects.toMatchObject({
        code: 'INTEGRITY',
        message: expect.stringMatching(/tampered\.gpg failed the OpenPGP integrity check/) as string,
      });
      // gpg agrees that it was modified.
      await expect(aliceHome.decrypt(tampered, next('gpg-tampered-out'))).rejects.toThrow(/manipulated|integrity|MDC/i);
    }
  });

  it('(5) refuses a message without integrity protection (gpg --rfc2440)', async () => {
    const unprotected = next('rfc2440.gpg');
    await otherHome.gpg(['--rfc2440', '--passphrase-file', await otherHome.secretFile('old style'), '--output', unprotected, '--symmetric', files.plain]);
    await expect(ourDecrypt(unprotected, restoreKeys([], 'old style'))).rejects.toMatchObject({
      code: 'INTEGRITY',
      message: expect.stringContaining('has no integrity protection') as string,
    });
  });

  it('(7) refuses recipient keys that cannot be used, naming the file and the reason', async () => {
    await expect(readRecipientKey(join(work, 'nobody.asc'))).rejects.toThrow(/cannot read the recipient key file .*nobody\.asc: ENOENT/);
    await expect(readRecipientKey(files.notAKey)).rejects.toThrow(/the recipient key file .*not-a-key\.asc is not an OpenPGP key/);
    await expect(readRecipientKey(files.expiredPub)).rejects.toThrow(
      /"Expired <expired@example\.org>" in .*expired\.pub\.asc cannot be encrypted to: it expired on 2020-01-02/,
    );
    await expect(readRecipientKey(files.revokedPub)).rejects.toThrow(/revoked\.pub\.asc cannot be encrypted to: it is revoked/);
    await expect(readRecipientKey(files.signOnlyPub)).rejects.toThrow(/signer\.pub\.asc cannot be encrypted to: it has no valid encryption subkey/);
  });

  it('(7) uses the public part of a private key given as recipient, with a warning', async () => {
    const recipient = await readRecipientKey(files.aliceSec);
    expect(recipient.key.isPrivate()).toBe(false);
    expect(recipient.warnings).toEqual([expect.stringContaining('holds a private key; only its public part is used')]);
    const encrypted = await ourEncrypt(files.plain, { recipients: [recipient.key] });
    const decrypted = next('gpg-out');
    await aliceHome.decrypt(encrypted, decrypted);
    expect(await sha256(decrypted)).toBe(await sha256(files.plain));
  });
});

describe('encrypt-pgp in an export job (source-local → encrypt-pgp → store-local)', () => {
  const spec = (overrides: Partial<JobSpec>): JobSpec => ({ source: vm.directory, format: 'ovf', parallel: 2, overwrite: false, extra: {}, ...overrides });
  const exporterWith = (...plugins: PluginInstance[]) => Exporter.create([sourceLocal(), storeLocal(), ...plugins]);
  /** What validate tells along the export (what it read back, what it could not). */
  const validateInfos = (exporter: Exporter): string[] => {
    const infos: string[] = [];
    exporter.bus.on('info', ({ message, plugin }) => {
      if (plugin === 'validate') infos.push(message);
    });
    return infos;
  };

  it('(6) encrypts the disks and the descriptor of an OVF to two recipients (config), and gpg decrypts them to the source disks', async () => {
    const output = next('out-ovf');
    const exporter = await exporterWith(encryptPgp({ recipients: [files.alicePub, files.bobPub] }), validate());
    const infos = validateInfos(exporter);
    const result = await runJob(exporter, spec({ output }));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    // No private key during the export: the files cannot be read back, and validate says so.
    expect(infos).toContain(
      "db01.vmdk.gpg was not read back: the openpgp stage has no way back during the export (as OpenPGP to recipients only: that takes a recipient's private key); it was compared with the SHA-256 recorded as it was written, which shows damage after writing but not a stage that wrote wrong bytes",
    );
    expect((await readdir(join(output, 'db01'))).sort()).toEqual(['db01.mf', 'db01.ovf.gpg', 'db01.vmdk.gpg', 'db01_1.vmdk.gpg']);
    const record = JSON.parse(await readFile(join(output, 'db01.ovf.hyperexport.json'), 'utf8')) as { stages: string[] };
    expect(record.stages).toContain('openpgp');

    for (const disk of vm.disks) {
      const stored = join(output, 'db01', `${basename(disk)}.gpg`);
      const byAlice = next('disk-alice');
      await aliceHome.decrypt(stored, byAlice);
      expect(await sha256(byAlice)).toBe(await sha256(disk));
      const byBob = next('disk-bob');
      await bobHome.decrypt(stored, byBob, BOB_KEY_PASSPHRASE);
      expect(await sha256(byBob)).toBe(await sha256(disk));
    }
    // And through the reverse stage, as `hyperexport restore --private-key` will.
    const descriptor = await readFile(await ourDecrypt(join(output, 'db01', 'db01.ovf.gpg'), restoreKeys([files.aliceSec])), 'utf8');
    // The core names the stored files in the descriptor's references.
    expect(descriptor).toContain('ovf:href="db01.vmdk.gpg"');
  });

  it('(6) encrypts an OVA symmetrically per job (--encrypt pgp --passphrase-file), built in without options', async () => {
    const output = next('out-ova');
    const passphraseFile = join(work, 'export-passphrase');
    await writeFile(passphraseFile, 'job passphrase\n', { mode: 0o600 });
    const exporter = await exporterWith(encryptPgp(), validate());
    const infos = validateInfos(exporter);
    const result = await runJob(exporter, spec({ output, format: 'ova', extra: { encrypt: 'pgp', passphraseFile } }));
    expect(result.error).toBeUndefined();
    expect(result.files.map((file) => file.name)).toEqual(['db01.ova.gpg']);
    expect(result.warnings).toEqual([]);
    // With the job's passphrase the stage reads its file back during the export.
    expect(
      infos.some((message) => message.startsWith('db01.ova.gpg: read back through openpgp: it turns back into db01.ova as it was written')),
      infos.join('\n'),
    ).toBe(true);
    const ova = next('db01.ova');
    await otherHome.decrypt(join(output, 'db01.ova.gpg'), ova, 'job passphrase');
    const extracted = next('extracted');
    await mkdir(extracted);
    await exec('tar', ['-xf', ova, '-C', extracted]);
    for (const disk of vm.disks) expect(await sha256(join(extracted, basename(disk)))).toBe(await sha256(disk));
  });

  it('does nothing when neither the config nor the job asks for it, and leaves --encrypt aes alone', async () => {
    const exporter = await exporterWith(encryptPgp());
    const plain = await runJob(exporter, spec({ output: next('out-plain') }));
    expect(plain.files.map((file) => file.name).sort()).toEqual(['db01.mf', 'db01.ovf', 'db01.vmdk', 'db01_1.vmdk']);
    expect(exporter.consumersOf('recipients')).toEqual(['encrypt-pgp']);
  });

  it('(7) fails before any data moves when a key file is missing, not a key, or cannot encrypt, naming each file', async () => {
    const output = next('out-bad');
    const exporter = await exporterWith(encryptPgp());
    const result = await runJob(
      exporter,
      spec({ output, extra: { encrypt: 'pgp', recipients: [files.alicePub, join(work, 'missing.asc'), files.notAKey, files.expiredPub] } }),
    );
    expect(result.status).toBe('failed');
    expect(result.bytesRead).toBe(0);
    const message = result.error!.message;
    expect(message).toMatch(/pre-export checks failed/);
    expect(message).toMatch(/cannot read the recipient key file .*missing\.asc: ENOENT/);
    expect(message).toMatch(/not-a-key\.asc is not an OpenPGP key/);
    expect(message).toMatch(/expired\.pub\.asc cannot be encrypted to: it expired/);
    expect(message).not.toMatch(/alice\.pub\.asc/);
    await expect(readdir(output)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('(7) fails before any data moves without a passphrase for symmetric encryption', async () => {
    const exporter = await exporterWith(encryptPgp({ symmetric: true }));
    const result = await runJob(exporter, spec({ output: next('out-nopass') }));
    expect(result.status).toBe('failed');
    expect(result.bytesRead).toBe(0);
    expect(result.error!.message).toMatch(/no passphrase for OpenPGP encryption \(set HYPEREXPORT_PASSPHRASE, or give --passphrase-file FILE/);
  });

  it('(7) warns when a private key is given as recipient, and the export still decrypts', async () => {
    const output = next('out-private');
    const exporter = await exporterWith(encryptPgp());
    const result = await runJob(exporter, spec({ output, extra: { encrypt: 'pgp', recipients: [files.aliceSec] } }));
    expect(result.status).toBe('succeeded');
    expect(result.warnings).toEqual([expect.stringContaining('holds a private key; only its public part is used')]);
    const decrypted = next('disk');
    await aliceHome.decrypt(join(output, 'db01', 'db01.vmdk.gpg'), decrypted);
    expect(await sha256(decrypted)).toBe(await sha256(vm.disks[0]!));
  });
});
