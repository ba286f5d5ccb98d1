// encrypt-aes in the real pipeline: source-local → encrypt-aes → store-local (+ validate), as an OVF folder and
// as an OVA, then every stored .hxe file decrypted with the package's reverse stage (what
// `hyperexport restore` uses) and compared byte for byte with the source VM's files.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exporter, runJob } from '@hyperexport/core';
import type { JobSpec, PluginInstance, RestoreKeys } from '@hyperexport/core';
import encryptAes, { MAGIC, reverseStages } from '@hyperexport/encrypt-aes';
import sourceLocal from '@hyperexport/source-local';
import storeLocal from '@hyperexport/store-local';
import validate from '@hyperexport/validate';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';

const exec = promisify(execFile);
const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
const PASSPHRASE = 'correct horse battery staple';

let work: string;
let vm: MadeVm;
let passphraseFile: string;
let keyFile: string;
let outputs = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-encrypt-aes-'));
  vm = await makeVmFolder(join(work, 'vm', 'web'), 'web', [3, 1]);
  passphraseFile = join(work, 'passphrase');
  await writeFile(passphraseFile, `${PASSPHRASE}\n`, { mode: 0o600 });
  keyFile = join(work, 'export.key');
  await writeFile(keyFile, `${createHash('sha256').update('test key').digest('hex')}\n`, { mode: 0o600 });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const freshOutput = () => join(work, `out-${++outputs}`);
const spec = (output: string, format: 'ova' | 'ovf', extra: Record<string, unknown> = {}): JobSpec => ({
  source: vm.directory,
  format,
  output,
  parallel: 2,
  overwrite: false,
  extra,
});
// validate is in the chain too: its post-export checks must let an encrypted export through.
const exporterWith = (encrypt: PluginInstance) => Exporter.create([sourceLocal(), encrypt, storeLocal(), validate()]);

/** RestoreKeys as `hyperexport restore` builds them; counts how often the passphrase is asked for. */
function restoreKeys(options: { passphrase?: string; keyFile?: string }): RestoreKeys & { asked: number } {
  const keys = {
    asked: 0,
    keyFile: options.keyFile,
    privateKeyFiles: [],
    async passphrase() {
      keys.asked += 1;
      if (options.passphrase === undefined) throw new Error('no passphrase in this test');
      return options.passphrase;
    },
  };
  return keys;
}

/** Decrypts one stored file with the package's reverse stage, into `into` without the suffix. */
async function decrypt(path: string, keys: RestoreKeys, into: string): Promise<string> {
  const [stage] = reverseStages;
  expect(stage!.suffix).toBe('.hxe');
  expect(path.endsWith(stage!.suffix)).toBe(true);
  await mkdir(into, { recursive: true });
  const out = join(into, basename(path).slice(0, -stage!.suffix.length));
  await pipeline(createReadStream(path), await stage!.create(basename(path), keys, AbortSignal.timeout(60_000)), createWriteStream(out));
  return out;
}

/** The manifest's digests are of the stored (encrypted) files: checkable without the key. */
async function expectManifestMatches(folder: string): Promise<void> {
  const manifest = (await readFile(join(folder, 'web.mf'), 'utf8')).trim().split('\n');
  expect(manifest).toHaveLength(3);
  for (const line of manifest) {
    const [, name, hex] = /^SHA256\((.+)\)= ([0-9a-f]{64})$/.exec(line)!;
    expect(name!.endsWith('.hxe')).toBe(true);
    expect(await sha256(join(folder, name!))).toBe(hex);
  }
}

describe('encrypt-aes with source-local and store-local', () => {
  it('OVF folder with a passphrase file: disks and descriptor encrypted, manifest plain, every disk restored byte for byte', async () => {
    const output = freshOutput();
    const exporter = await exporterWith(encryptAes({ scrypt: { log2N: 10 } }));
    const result = await runJob(exporter, spec(output, 'ovf', { encrypt: 'aes', passphraseFile }));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(result.warnings).toEqual([]);

    const folder = join(output, 'web');
    expect((await readdir(folder)).sort()).toEqual(['web.mf', 'web.ovf.hxe', 'web.vmdk.hxe', 'web_1.vmdk.hxe']);
    expect(result.files.map((file) => file.name).sort()).toEqual(['web.mf', 'web.ovf.hxe', 'web.vmdk.hxe', 'web_1.vmdk.hxe']);
    await expectManifestMatches(folder);
    const record = JSON.parse(await readFile(join(output, 'web.ovf.hyperexport.json'), 'utf8')) as { stages: string[] };
    expect(record.stages).toEqual(['aes-256-gcm']);

    const keys = restoreKeys({ passphrase: PASSPHRASE });
    const restored = join(work, `restored-${outputs}`);
    for (const disk of vm.disks) {
      const stored = join(folder, `${basename(disk)}.hxe`);
      expect((await readFile(stored)).subarray(0, 8).equals(MAGIC)).toBe(true);
      expect(await sha256(await decrypt(stored, keys, restored))).toBe(await sha256(disk));
    }
    const descriptor = await readFile(await decrypt(join(folder, 'web.ovf.hxe'), keys, restored), 'utf8');
    expect(descriptor).toMatch(/^<\?xml/);
    expect(descriptor).toContain('web.vmdk');
    // One export, one job salt: the passphrase is asked for (and scrypt run) once for all files.
    expect(keys.asked).toBe(1);
  });

  it("OVA with the default scrypt cost: the whole package encrypted, restored into an OVA whose disks are the source's", async () => {
    const output = freshOutput();
    const exporter = await exporterWith(encryptAes());
    const result = await runJob(exporter, spec(output, 'ova', { encrypt: 'aes', passphraseFile }));
    expect(result.error).toBeUndefined();
    expect(result.files.map((file) => file.name)).toEqual(['web.ova.hxe']);
    expect((await readdir(output)).sort()).toEqual(['web.ova.hxe', 'web.ova.hyperexport.json']);
    const stored = join(output, 'web.ova.hxe');
    expect(result.files[0]!.sha256).toBe(await sha256(stored));
    expect((await readFile(stored)).subarray(9, 13)).toEqual(Buffer.from([1, 17, 8, 1]));

    const restored = join(work, `restored-${outputs}`);
    const ova = await decrypt(stored, restoreKeys({ passphrase: PASSPHRASE }), restored);
    const { stdout } = await exec('tar', ['-tf', ova]);
    expect(stdout.trim().split('\n')).toEqual(['web.ovf', 'web.mf', 'web.vmdk', 'web_1.vmdk']);
    await exec('tar', ['-xf', ova, '-C', restored]);
    for (const disk of vm.disks) expect(await sha256(join(restored, basename(disk)))).toBe(await sha256(disk));

    await expect(decrypt(stored, restoreKeys({ passphrase: 'not it' }), join(work, 'wrong'))).rejects.toMatchObject({
      code: 'WRONG_KEY',
      message: expect.stringContaining('wrong passphrase or key'),
    });
  });

  it('a key file in the config encrypts every export, without --encrypt; a wrong key file cannot restore it', async () => {
    const output = freshOutput();
    const exporter = await exporterWith(encryptAes({ keyFile, chunkSize: 65536 }));
    const result = await runJob(exporter, spec(output, 'ovf'));
    expect(result.error).toBeUndefined();
    const folder = join(output, 'web');
    expect((await readdir(folder)).sort()).toEqual(['web.mf', 'web.ovf.hxe', 'web.vmdk.hxe', 'web_1.vmdk.hxe']);
    await expectManifestMatches(folder);
    const stored = join(folder, 'web.vmdk.hxe');
    expect((await readFile(stored)).readUInt32BE(13)).toBe(65536);

    const keys = restoreKeys({ keyFile });
    const restored = join(work, `restored-${outputs}`);
    for (const disk of vm.disks) expect(await sha256(await decrypt(join(folder, `${basename(disk)}.hxe`), keys, restored))).toBe(await sha256(disk));
    expect(keys.asked).toBe(0);

    const otherKey = join(work, 'other.key');
    await writeFile(otherKey, Buffer.alloc(32, 1), { mode: 0o600 });
    await expect(decrypt(stored, restoreKeys({ keyFile: otherKey }), join(work, 'wrong'))).rejects.toMatchObject({ code: 'WRONG_KEY' });
    await expect(decrypt(stored, restoreKeys({ passphrase: PASSPHRASE }), join(work, 'wrong'))).rejects.toMatchObject({
      code: 'KEY_REQUIRED',
      hint: expect.stringContaining('--key-file'),
    });
  });

  it('loaded without options and not asked to encrypt: the export is written plain', async () => {
    const output = freshOutput();
    const result = await runJob(await exporterWith(encryptAes()), spec(output, 'ovf'));
    expect(result.error).toBeUndefined();
    expect((await readdir(join(output, 'web'))).sort()).toEqual(['web.mf', 'web.ovf', 'web.vmdk', 'web_1.vmdk']);
  });

  it('a passphrase file that cannot be read fails the pre-export checks, before any byte is read or written', async () => {
    const output = freshOutput();
    const result = await runJob(await exporterWith(encryptAes()), spec(output, 'ova', { encrypt: 'aes', passphraseFile: join(work, 'missing-passphrase') }));
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ plugin: 'encrypt-aes', hook: 'validate', hint: 'check the path and its permissions' });
    expect(result.error?.message).toContain('cannot read the passphrase file for encrypting the export');
    expect(result.bytesRead).toBe(0);
    await expect(readdir(output)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('warns when the passphrase file can be read by other users', async () => {
    const shared = join(work, 'shared-passphrase');
    await writeFile(shared, `${PASSPHRASE}\n`, { mode: 0o644 });
    const result = await runJob(
      await exporterWith(encryptAes({ scrypt: { log2N: 10 } })),
      spec(freshOutput(), 'ova', { encrypt: 'aes', passphraseFile: shared }),
    );
    expect(result.status).toBe('succeeded');
    expect(result.warnings).toEqual([`[encrypt-aes] the passphrase file ${shared} can be read by other users of this machine; restrict it with chmod 600`]);
  });
});
