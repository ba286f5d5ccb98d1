// Round trips through the real CLI: every combination of compression and encryption, as an OVA
// and as an OVF folder, exported with `hyperexport export` and turned back with
// `hyperexport restore`, compared byte for byte with a plain export of the same VM.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { indexOva } from '@hyperexport/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from './support/cli.ts';
import { GpgHome } from './support/gpg.ts';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';

const exec = promisify(execFile);
const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

let work: string;
let vm: MadeVm;
let gpg: GpgHome;
let publicKey: string;
let privateKey: string;
let passphraseFile: string;
// A small scrypt cost keeps 20 exports fast; the default cost has its own tests in encrypt-aes.
let config: string;
let configDirectory: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-restore-'));
  await chmod(work, 0o755);
  vm = await makeVmFolder(join(work, 'vms', 'app01'), 'app01', [6, 3]);
  gpg = await GpgHome.create();
  const key = await gpg.generateKey('Backup Operator <backup@example.com>');
  publicKey = await gpg.exportPublicKey(key, join(work, 'backup.pub.asc'));
  privateKey = await gpg.exportSecretKey(key, join(work, 'backup.key.asc'));
  passphraseFile = join(work, 'passphrase');
  await writeFile(passphraseFile, 'correct horse battery staple\n', { mode: 0o600 });
  // The config names packages, which resolve next to it: it lives inside the repository.
  await mkdir(join(REPO_ROOT, '.tmp'), { recursive: true });
  configDirectory = await mkdtemp(join(REPO_ROOT, '.tmp', 'restore-config-'));
  config = join(configDirectory, 'hyperexport.config.json');
  await writeFile(config, JSON.stringify({ plugins: [['@hyperexport/encrypt-aes', { scrypt: { log2N: 12 } }]] }));
}, 120_000);

afterAll(async () => {
  await gpg?.close();
  await rm(work, { recursive: true, force: true });
  await rm(configDirectory, { recursive: true, force: true });
});

type Compression = 'none' | 'gzip' | 'zstd';
type Encryption = 'none' | 'aes' | 'pgp';

const SUFFIX: Record<string, string> = { gzip: '.gz', zstd: '.zst', aes: '.hxe', pgp: '.gpg' };

function exportFlags(compress: Compression, encrypt: Encryption): string[] {
  return [
    ...(compress === 'none' ? [] : ['--compress', compress]),
    ...(encrypt === 'aes' ? ['--encrypt', 'aes', '--passphrase-file', passphraseFile] : []),
    ...(encrypt === 'pgp' ? ['--encrypt', 'pgp', '--recipient', publicKey] : []),
  ];
}

function keyFlags(encrypt: Encryption): string[] {
  if (encrypt === 'aes') return ['--passphrase-file', passphraseFile];
  if (encrypt === 'pgp') return ['--private-key', privateKey];
  return [];
}

function cli(args: string[]) {
  return runCli([...args, '--config', config], { cwd: work });
}

async function plainExport(format: 'ova' | 'ovf'): Promise<string> {
  const out = join(work, `plain-${format}`);
  const run = await cli(['export', '--source', vm.directory, '--format', format, '--output', out, '--quiet']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return format === 'ova' ? join(out, 'app01.ova') : join(out, 'app01');
}

async function tarMembers(ova: string): Promise<Map<string, string>> {
  const into = await mkdtemp(join(work, 'untar-'));
  await exec('tar', ['-xf', ova, '-C', into]);
  const members = new Map<string, string>();
  for (const name of await readdir(into)) members.set(name, await sha256(join(into, name)));
  return members;
}

const combinations: Array<[Compression, Encryption]> = [];
for (const compress of ['none', 'gzip', 'zstd'] as const) for (const encrypt of ['none', 'aes', 'pgp'] as const) combinations.push([compress, encrypt]);

describe('hyperexport restore', () => {
  describe.each(['ova', 'ovf'] as const)('%s', (format) => {
    let plain: string;
    beforeAll(async () => {
      plain = await plainExport(format);
    }, 60_000);

    it.each(combinations)(
      `compress %s, encrypt %s: restores the plain ${format} byte for byte`,
      async (compress, encrypt) => {
        const out = join(work, `${format}-${compress}-${encrypt}`);
        const exported = await cli(['export', '--source', vm.directory, '--format', format, '--output', out, '--quiet', ...exportFlags(compress, encrypt)]);
        expect(exported.stderr).toBe('');
        expect(exported.code).toBe(0);
        const suffixes = `${compress === 'none' ? '' : SUFFIX[compress]}${encrypt === 'none' ? '' : SUFFIX[encrypt]}`;
        const stored = format === 'ova' ? join(out, `app01.ova${suffixes}`) : join(out, 'app01');
        if (format === 'ovf') {
          const names = (await readdir(stored)).sort();
          expect(names).toContain(`app01.vmdk${suffixes}`);
          expect(names).toContain(encrypt === 'none' ? 'app01.ovf' : `app01.ovf${SUFFIX[encrypt]}`);
        }
        const restoredDir = join(work, `restored-${format}-${compress}-${encrypt}`);
        const restored = await cli(['restore', stored, '--output', restoredDir, '--json', ...keyFlags(encrypt)]);
        expect(restored.stderr).toBe('');
        expect(restored.code).toBe(0);
        expect(restored.events.at(-1)).toMatchObject({ type: 'result', status: 'succeeded', format });
        if (format === 'ova') {
          // The tar headers carry the time of each export; the members must be identical.
          expect(await tarMembers(join(restoredDir, 'app01.ova'))).toEqual(await tarMembers(plain));
        } else {
          for (const name of await readdir(plain)) expect(await sha256(join(restoredDir, 'app01', name))).toBe(await sha256(join(plain, name)));
          expect((await readdir(join(restoredDir, 'app01'))).sort()).toEqual((await readdir(plain)).sort());
        }
      },
      60_000,
    );
  });

  it('restores from the export record, and a gzip OVF folder carries ovf:compression for other OVF tools', async () => {
    const out = join(work, 'record-input');
    expect((await cli(['export', '--source', vm.directory, '--format', 'ovf', '--output', out, '--quiet', '--compress', 'gzip'])).code).toBe(0);
    const descriptor = await readFile(join(out, 'app01', 'app01.ovf'), 'utf8');
    expect(descriptor).toMatch(/ovf:href="app01\.vmdk\.gz"[^>]*ovf:compression="gzip"/);
    const restoredDir = join(work, 'restored-record');
    const run = await cli(['restore', join(out, 'app01.ovf.hyperexport.json'), '--output', restoredDir]);
    expect(run.code).toBe(0);
    expect(await sha256(join(restoredDir, 'app01', 'app01.vmdk'))).toBe(await sha256(vm.disks[0]!));
  }, 60_000);

  it('undoes the gzip another OVF tool wrote under the disk name itself (ovf:compression="gzip"), and names a compression no plugin undoes', async () => {
    const out = join(work, 'tool-gzip');
    expect((await cli(['export', '--source', vm.directory, '--format', 'ovf', '--output', out, '--quiet'])).code).toBe(0);
    const folder = join(out, 'app01');
    // As another OVF tool writes it: the disk gzipped in place, the descriptor saying so, the manifest to match.
    await writeFile(join(folder, 'app01.vmdk'), gzipSync(await readFile(join(folder, 'app01.vmdk'))));
    const rewrite = async (compression: string) => {
      const descriptor = (await readFile(join(folder, 'app01.ovf'), 'utf8')).replace(
        /(ovf:href="app01\.vmdk")(?: ovf:compression="[^"]*")?/,
        `$1 ovf:compression="${compression}"`,
      );
      await writeFile(join(folder, 'app01.ovf'), descriptor);
      const names = (await readdir(folder)).filter((name) => !name.endsWith('.mf')).sort();
      await writeFile(
        join(folder, 'app01.mf'),
        `${(await Promise.all(names.map(async (name) => `SHA256(${name})= ${await sha256(join(folder, name))}`))).join('\n')}\n`,
      );
    };
    await rewrite('gzip');
    const restored = await cli(['restore', folder, '--output', join(work, 'restored-tool-gzip')]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(await sha256(join(work, 'restored-tool-gzip', 'app01', 'app01.vmdk'))).toBe(await sha256(vm.disks[0]!));

    await rewrite('bzip2');
    const unknown = await cli(['restore', folder, '--output', join(work, 'restored-tool-bzip2')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('app01.vmdk uses ovf:compression="bzip2", which no installed plugin undoes');
  }, 60_000);

  it('refuses a damaged file, a wrong passphrase and an existing output, leaving nothing that looks restored', async () => {
    const out = join(work, 'damaged');
    expect(
      (
        await cli([
          'export',
          '--source',
          vm.directory,
          '--format',
          'ova',
          '--output',
          out,
          '--quiet',
          '--compress',
          'zstd',
          '--encrypt',
          'aes',
          '--passphrase-file',
          passphraseFile,
        ])
      ).code,
    ).toBe(0);
    const stored = join(out, 'app01.ova.zst.hxe');
    const wrong = join(work, 'wrong-passphrase');
    await writeFile(wrong, 'not the passphrase\n', { mode: 0o600 });
    const target = join(work, 'restored-damaged');
    const badKey = await cli(['restore', stored, '--output', target, '--passphrase-file', wrong]);
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toContain('error: app01.ova.zst.hxe cannot be decrypted with this passphrase: wrong passphrase or key');

    const bytes = await readFile(stored);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x40;
    const flipped = join(work, 'flipped', 'app01.ova.zst.hxe');
    await mkdir(join(work, 'flipped'));
    await writeFile(flipped, bytes);
    const damaged = await cli(['restore', flipped, '--output', target, '--passphrase-file', passphraseFile]);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(/error: app01\.ova\.zst\.hxe chunk \d+ failed authentication: the file is damaged or was altered/);
    await mkdir(target, { recursive: true });
    expect(await readdir(target)).toEqual([]);

    expect((await cli(['restore', stored, '--output', target, '--passphrase-file', passphraseFile])).code).toBe(0);
    const again = await cli(['restore', stored, '--output', target, '--passphrase-file', passphraseFile]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists[\s\S]*--overwrite/);
  }, 60_000);

  it('refuses encrypted disks swapped, or taken from another export, even with the manifest rewritten to match', async () => {
    const exportTo = async (name: string) => {
      const out = join(work, name);
      expect(
        (
          await cli([
            'export',
            '--source',
            vm.directory,
            '--format',
            'ovf',
            '--output',
            out,
            '--quiet',
            '--encrypt',
            'aes',
            '--passphrase-file',
            passphraseFile,
          ])
        ).code,
      ).toBe(0);
      return join(out, 'app01');
    };
    const folder = await exportTo('bound');
    const other = await exportTo('bound-other');
    const disks = (await readdir(folder)).filter((name) => name.endsWith('.vmdk.hxe')).sort();
    expect(disks).toHaveLength(2);
    const [first, second] = disks as [string, string];
    // What someone with write access but no key can do: move files around, fix the manifest.
    const rewriteManifest = async () => {
      const names = (await readdir(folder)).filter((name) => !name.endsWith('.mf')).sort();
      const lines = await Promise.all(names.map(async (name) => `SHA256(${name})= ${await sha256(join(folder, name))}`));
      await writeFile(join(folder, 'app01.mf'), `${lines.join('\n')}\n`);
    };
    const restore = (output: string) => cli(['restore', folder, '--output', join(work, output), '--passphrase-file', passphraseFile]);
    const [firstBytes, secondBytes] = [await readFile(join(folder, first)), await readFile(join(folder, second))];

    await writeFile(join(folder, first), secondBytes);
    await writeFile(join(folder, second), firstBytes);
    await rewriteManifest();
    const swapped = await restore('restored-swapped');
    expect(swapped.code).toBe(1);
    expect(swapped.stderr).toContain(`${first} was written as ${second}: the files of this export were swapped or renamed`);
    expect(await readdir(join(work, 'restored-swapped'))).toEqual([]);

    await writeFile(join(folder, first), await readFile(join(other, first)));
    await writeFile(join(folder, second), secondBytes);
    await rewriteManifest();
    const mixed = await restore('restored-mixed');
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(new RegExp(`${first.replaceAll('.', '\\.')} was written by another export \\(job [0-9a-f-]+\\) than app01\\.ovf\\.hxe`));

    // Put back as written, it restores; one file renamed and decrypted on its own only warns.
    await writeFile(join(folder, first), firstBytes);
    await rewriteManifest();
    expect((await restore('restored-whole')).code).toBe(0);
    const renamed = join(work, 'renamed.vmdk.hxe');
    await writeFile(renamed, firstBytes);
    const decrypted = await cli(['decrypt', renamed, '--passphrase-file', passphraseFile]);
    expect(decrypted.code, decrypted.stderr).toBe(0);
    expect(decrypted.stderr).toContain(`warning: renamed.vmdk.hxe was written as ${first}; it may have been renamed`);
  }, 120_000);

  it('refuses an OVA cut at a member boundary: every file its manifest lists must be there', async () => {
    const out = join(work, 'cut');
    expect((await cli(['export', '--source', vm.directory, '--format', 'ova', '--output', out, '--quiet'])).code).toBe(0);
    const members = await indexOva(join(out, 'app01.ova'));
    const last = members.at(-1)!;
    // Everything before the last member's tar header: still a well-formed archive.
    await mkdir(join(work, 'cut-input'));
    const cut = join(work, 'cut-input', 'app01.ova');
    await writeFile(cut, (await readFile(join(out, 'app01.ova'))).subarray(0, last.offset - 512));
    const run = await cli(['restore', cut, '--output', join(work, 'restored-cut')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/lacks app01_1\.vmdk, which its manifest lists/);
  }, 60_000);

  it('decrypt undoes one file', async () => {
    const out = join(work, 'one-file');
    expect(
      (
        await cli([
          'export',
          '--source',
          vm.directory,
          '--format',
          'ovf',
          '--output',
          out,
          '--quiet',
          '--compress',
          'zstd',
          '--encrypt',
          'pgp',
          '--recipient',
          publicKey,
        ])
      ).code,
    ).toBe(0);
    const run = await cli(['decrypt', join(out, 'app01', 'app01_1.vmdk.zst.gpg'), '--output', join(work, 'disk2.vmdk'), '--private-key', privateKey]);
    expect(run.code).toBe(0);
    expect(await sha256(join(work, 'disk2.vmdk'))).toBe(await sha256(vm.disks[1]!));
  }, 60_000);
});
