// What restore must refuse, through the real CLI and the library: a damaged plain export (the
// manifest check, which no AES tag backs up), an export written with a stage nothing installed
// undoes, and digests of every algorithm a manifest can hold.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError, indexOva, restoreExport } from '@hyperexport/core';
import type { ReverseStage } from '@hyperexport/core';
import { reverseStages as compressReverseStages } from '@hyperexport/compress';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from './support/cli.ts';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';

const exec = promisify(execFile);
let work: string;
let vm: MadeVm;
let configDirectory: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-restore-safety-'));
  await chmod(work, 0o755);
  vm = await makeVmFolder(join(work, 'vms', 'app01'), 'app01', [2, 1]);
  // The config names a plugin file, which resolves @hyperexport/core next to it: inside the repository.
  await mkdir(join(REPO_ROOT, '.tmp'), { recursive: true });
  configDirectory = await mkdtemp(join(REPO_ROOT, '.tmp', 'restore-safety-'));
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await rm(configDirectory, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(args, { cwd: work });
const sha = (algorithm: string, bytes: Buffer) => createHash(algorithm).update(bytes).digest('hex');

async function exportTo(name: string, format: 'ova' | 'ovf', flags: string[] = []): Promise<string> {
  const out = join(work, name);
  const run = await cli(['export', '--source', vm.directory, '--format', format, '--output', out, '--quiet', ...flags]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return out;
}

/** An output folder that exists and is empty, so that "nothing written" can be checked. */
async function emptyOutput(name: string): Promise<string> {
  const output = join(work, name);
  await mkdir(output);
  return output;
}

describe('restore checks every file against the manifest', () => {
  it('refuses a plain OVF folder with one byte of a disk flipped, and writes nothing', async () => {
    const folder = join(await exportTo('flip-ovf', 'ovf'), 'app01');
    const disk = join(folder, 'app01_1.vmdk');
    const bytes = await readFile(disk);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(disk, bytes);
    const output = await emptyOutput('restored-flip-ovf');
    const run = await cli(['restore', folder, '--output', output]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /error: app01_1\.vmdk does not match its digest in the export's manifest: its SHA256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64}; the file is damaged/,
    );
    expect(await readdir(output)).toEqual([]);
  });

  it('refuses a plain OVA with one byte of a disk member flipped, and writes nothing', async () => {
    const ova = join(await exportTo('flip-ova', 'ova'), 'app01.ova');
    const member = (await indexOva(ova)).find((candidate) => candidate.name === 'app01.vmdk')!;
    const bytes = await readFile(ova);
    bytes[member.offset + Math.floor(member.size / 2)]! ^= 0x01;
    await writeFile(ova, bytes);
    const output = await emptyOutput('restored-flip-ova');
    const run = await cli(['restore', ova, '--output', output]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /error: app01\.ova: app01\.vmdk does not match its digest in the export's manifest: its SHA256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64}; the file is damaged/,
    );
    expect(await readdir(output)).toEqual([]);
  });
});

describe('restore refuses an export whose manifest does not cover it', () => {
  it('an OVF folder: a disk the manifest does not list, a disk that is gone; nothing written', async () => {
    const folder = join(await exportTo('uncovered-ovf', 'ovf'), 'app01');
    const manifest = await readFile(join(folder, 'app01.mf'), 'utf8');
    await writeFile(
      join(folder, 'app01.mf'),
      manifest
        .split('\n')
        .filter((line) => !line.includes('(app01_1.vmdk)'))
        .join('\n'),
    );
    const unlisted = await emptyOutput('restored-unlisted');
    const first = await cli(['restore', folder, '--output', unlisted]);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain("error: app01_1.vmdk is not listed in the export's manifest");
    expect(await readdir(unlisted)).toEqual([]);

    await writeFile(join(folder, 'app01.mf'), manifest);
    await rm(join(folder, 'app01_1.vmdk'));
    const gone = await emptyOutput('restored-gone');
    const second = await cli(['restore', folder, '--output', gone]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`error: ${folder}: app01_1.vmdk, which the descriptor references, is missing`);
    expect(await readdir(gone)).toEqual([]);
  });

  it('an OVA without a manifest, and one whose manifest leaves a member out; nothing written', async () => {
    const folder = join(await exportTo('uncovered-ova', 'ovf'), 'app01');
    const ova = join(work, 'uncovered-ova', 'app01.ova');
    await exec('tar', ['--format=ustar', '-cf', ova, '-C', folder, 'app01.ovf', 'app01.vmdk', 'app01_1.vmdk']);
    const bare = await emptyOutput('restored-bare-ova');
    const first = await cli(['restore', ova, '--output', bare]);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('error: the restored app01.ova has no manifest to verify it against');
    expect(await readdir(bare)).toEqual([]);

    const manifest = await readFile(join(folder, 'app01.mf'), 'utf8');
    await writeFile(
      join(folder, 'app01.mf'),
      manifest
        .split('\n')
        .filter((line) => !line.includes('(app01.vmdk)'))
        .join('\n'),
    );
    await rm(ova);
    await exec('tar', ['--format=ustar', '-cf', ova, '-C', folder, 'app01.ovf', 'app01.mf', 'app01.vmdk', 'app01_1.vmdk']);
    const partial = await emptyOutput('restored-partial-manifest-ova');
    const second = await cli(['restore', ova, '--output', partial]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("error: app01.ova: app01.vmdk is not listed in the export's manifest");
    expect(await readdir(partial)).toEqual([]);
  });
});

describe('restore refuses stages it cannot undo', () => {
  // As on a machine without @hyperexport/compress: only the other reverse stages are installed.
  const withoutZstd: ReverseStage[] = compressReverseStages.filter((stage) => stage.suffix !== '.zst');
  const refusal = (what: string) => ({
    name: 'ConfigError',
    message: `${what} was written with the transform stage "zstd", which no installed plugin undoes: restored, its files would still be transformed`,
    hint: 'install @hyperexport/compress (npm install @hyperexport/compress), then restore again',
  });
  const restoreWith = (input: string, output: string) =>
    restoreExport(input, output, {
      stages: withoutZstd,
      // compress is loaded (its declarations name its package) but its zstd stage is not installed.
      plugins: [{ name: 'compress', package: '@hyperexport/compress', reverseStages: compressReverseStages }],
      keys: { passphrase: async () => 'unused', privateKeyFiles: [] },
      signal: new AbortController().signal,
    });

  it('an OVA, its record, an OVF folder and its record: refused naming the stage and the plugin, nothing written', async () => {
    const ovaOut = await exportTo('zstd-ova', 'ova', ['--compress', 'zstd']);
    const ovfOut = await exportTo('zstd-ovf', 'ovf', ['--compress', 'zstd']);
    const cases: Array<[input: string, what: string]> = [
      [join(ovaOut, 'app01.ova.zst'), join(ovaOut, 'app01.ova.zst')],
      [join(ovaOut, 'app01.ova.hyperexport.json'), join(ovaOut, 'app01.ova.zst')],
      [join(ovfOut, 'app01'), join(ovfOut, 'app01')],
      [join(ovfOut, 'app01.ovf.hyperexport.json'), join(ovfOut, 'app01')],
    ];
    for (const [index, [input, what]] of cases.entries()) {
      const output = join(work, `restored-zstd-${index}`);
      const error = await restoreWith(input, output).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error, input).toBeInstanceOf(ConfigError);
      expect(error, input).toMatchObject(refusal(what));
      await expect(readdir(output), input).rejects.toMatchObject({ code: 'ENOENT' });
    }
  });

  it('without the record, an OVF folder is refused by the suffix its disks carry', async () => {
    const ovfOut = await exportTo('zstd-ovf-alone', 'ovf', ['--compress', 'zstd']);
    await rm(join(ovfOut, 'app01.ovf.hyperexport.json'));
    const error = await restoreWith(join(ovfOut, 'app01'), join(work, 'restored-zstd-alone')).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject(refusal(join(ovfOut, 'app01', 'app01.vmdk.zst')));
  });

  it('a third-party stage that keeps file names: exit 2 naming the stage, not "manifest verified"', async () => {
    await writeFile(
      join(configDirectory, 'xor-plugin.js'),
      `
import { Transform } from 'node:stream';
import { definePlugin, Stage } from '@hyperexport/core';
export default definePlugin({
  name: 'xor',
  version: '1.0.0',
  description: 'flips bits of disks, keeping their names, with no reverse stage',
  setup(exporter) {
    exporter.hooks.transform.tapPromise('xor', async (plan) => {
      plan.stages.push({
        name: 'xor',
        stage: Stage.COMPRESS,
        effect: 'changes-bytes',
        artifacts: ['disk'],
        create: () => new Transform({ transform: (chunk, _encoding, callback) => callback(null, Buffer.from(chunk.map((byte) => byte ^ 0x5a))) }),
      });
      return plan;
    });
  },
});
`,
    );
    const config = join(configDirectory, 'hyperexport.config.json');
    // The post-export checks would find the disks damaged, which they are, as far as a VMDK reader can tell.
    await writeFile(config, JSON.stringify({ plugins: ['./xor-plugin.js', ['@hyperexport/validate', { post: false }]] }));
    const out = await exportTo('xor-ovf', 'ovf', ['--config', config]);
    expect((await readdir(join(out, 'app01'))).sort()).toEqual(['app01.mf', 'app01.ovf', 'app01.vmdk', 'app01_1.vmdk']);
    const output = join(work, 'restored-xor');
    const run = await cli(['restore', join(out, 'app01'), '--output', output]);
    expect(run.code).toBe(2);
    // The export record names the plugin that added the stage, so the refusal says what to install.
    expect(run.stderr).toContain(
      `error: ${join(out, 'app01')} was written with the transform stage "xor" of the plugin "xor", which is not configured here: nothing was restored`,
    );
    expect(run.stderr).toContain('hint: install the package of the plugin "xor" (npm install xor, when it is published under its name)');
    expect(run.stdout).not.toContain('manifest verified');
    await expect(readdir(output)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('manifests of every algorithm: SHA-1 (older ovftool), SHA-256, SHA-512', () => {
  /** Rewrites the OVF folder's manifest with `algorithm`, every digest right except `wrong`'s. */
  async function rewriteManifest(folder: string, algorithm: string, wrong?: string): Promise<void> {
    const names = (await readdir(folder)).filter((name) => !name.endsWith('.mf')).sort();
    const lines = await Promise.all(
      names.map(async (name) => {
        const bytes = await readFile(join(folder, name));
        if (name === wrong) bytes[0]! ^= 0x01;
        return `${algorithm}(${name})= ${algorithm === 'MD5' ? sha('md5', bytes) : sha(algorithm.replace('SHA', 'sha'), bytes)}`;
      }),
    );
    await writeFile(join(folder, 'app01.mf'), `${lines.join('\n')}\n`);
  }

  it.each(['SHA1', 'SHA512'])('%s: restore checks it (a right manifest restores, one wrong digest is refused naming the file)', async (algorithm) => {
    const folder = join(await exportTo(`manifest-${algorithm}`, 'ovf'), 'app01');
    await rewriteManifest(folder, algorithm);
    const restored = await cli(['restore', folder, '--output', join(work, `restored-${algorithm}`)]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(await readFile(join(work, `restored-${algorithm}`, 'app01', 'app01.vmdk'))).toEqual(await readFile(vm.disks[0]!));

    await rewriteManifest(folder, algorithm, 'app01_1.vmdk');
    const output = await emptyOutput(`restored-${algorithm}-wrong`);
    const refused = await cli(['restore', folder, '--output', output]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `error: app01_1\\.vmdk does not match its digest in the export's manifest: its ${algorithm} is [0-9a-f]+, the manifest says [0-9a-f]+; the file is damaged`,
      ),
    );
    expect(await readdir(output)).toEqual([]);
  });

  it.each(['SHA1', 'SHA512'])('%s: export --source of an .ovf refuses a file whose digest does not match', async (algorithm) => {
    const folder = join(await exportTo(`source-${algorithm}`, 'ovf'), 'app01');
    await rewriteManifest(folder, algorithm, 'app01_1.vmdk');
    const output = join(work, `reexported-${algorithm}`);
    const run = await cli(['export', '--source', join(folder, 'app01.ovf'), '--output', output, '--quiet']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `app01_1\\.vmdk does not match the manifest ${join(folder, 'app01.mf').replaceAll('.', '\\.')}: ${algorithm} is [0-9a-f]+, the manifest says [0-9a-f]+; the source is corrupt or was changed`,
      ),
    );
    expect(await readdir(output).catch(() => [])).toEqual([]);

    await rewriteManifest(folder, algorithm);
    const again = await cli(['export', '--source', join(folder, 'app01.ovf'), '--output', output, '--quiet']);
    expect(again.code, again.stderr).toBe(0);
  });

  it.each(['SHA1', 'SHA512'])('%s in an OVA (as ovftool packs it): restore and export --source check it', async (algorithm) => {
    const folder = join(await exportTo(`ova-${algorithm}`, 'ovf'), 'app01');
    const pack = async (wrong?: string) => {
      await rewriteManifest(folder, algorithm, wrong);
      const ova = join(work, `ova-${algorithm}`, 'app01.ova');
      await rm(ova, { force: true });
      await exec('tar', ['--format=ustar', '-cf', ova, '-C', folder, 'app01.ovf', 'app01.mf', 'app01.vmdk', 'app01_1.vmdk']);
      return ova;
    };
    const right = await pack();
    const restored = await cli(['restore', right, '--output', join(work, `restored-ova-${algorithm}`)]);
    expect(restored.code, restored.stderr).toBe(0);

    const wrong = await pack('app01.vmdk');
    const output = await emptyOutput(`restored-ova-${algorithm}-wrong`);
    const refused = await cli(['restore', wrong, '--output', output]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `error: app01\\.ova: app01\\.vmdk does not match its digest in the export's manifest: its ${algorithm} is [0-9a-f]+, the manifest says [0-9a-f]+; the file is damaged`,
      ),
    );
    expect(await readdir(output)).toEqual([]);
    const exported = await cli(['export', '--source', wrong, '--format', 'ovf', '--output', join(work, `reexported-ova-${algorithm}`), '--quiet']);
    expect(exported.code).toBe(1);
    expect(exported.stderr).toMatch(
      new RegExp(
        `app01\\.vmdk does not match the manifest ${wrong.replaceAll('.', '\\.')} \\(app01\\.mf\\): ${algorithm} is [0-9a-f]+, the manifest says [0-9a-f]+`,
      ),
    );
  });

  it('an unknown algorithm is refused, naming it and the manifest', async () => {
    const folder = join(await exportTo('manifest-md5', 'ovf'), 'app01');
    await rewriteManifest(folder, 'MD5');
    const restored = await cli(['restore', folder, '--output', join(work, 'restored-md5')]);
    expect(restored.code).toBe(1);
    const refusal = `${join(folder, 'app01.mf')}: manifest line 1 "MD5(app01.ovf)= ${sha('md5', await readFile(join(folder, 'app01.ovf')))}" lists a MD5 digest of app01.ovf; HyperExport checks SHA1, SHA256 and SHA512 digests only`;
    expect(restored.stderr).toContain(`error: ${refusal}`);
    const exported = await cli(['export', '--source', join(folder, 'app01.ovf'), '--output', join(work, 'reexported-md5'), '--quiet']);
    expect(exported.code).toBe(1);
    expect(exported.stderr).toContain(refusal);
  });
});

describe('temporary files are created, never opened through a link planted at their name', () => {
  /** A file someone else's link points at, in a folder of its own: it must come out unchanged. */
  async function victimFile(name: string): Promise<string> {
    await mkdir(join(work, `${name}-victim`));
    const victim = join(work, `${name}-victim`, 'precious.conf');
    await writeFile(victim, 'precious\n');
    return victim;
  }

  it('restore of an OVA: a link at the name it used to stage under is left alone and its target untouched', async () => {
    const ova = join(await exportTo('link-ova', 'ova', ['--compress', 'zstd']), 'app01.ova.zst');
    const output = await emptyOutput('restored-link-ova');
    const victim = await victimFile('link-ova');
    await symlink(victim, join(output, '.app01.ova.restore-partial'));
    const run = await cli(['restore', ova, '--output', output]);
    expect(run.code, run.stderr).toBe(0);
    expect(await readFile(victim, 'utf8')).toBe('precious\n');
    expect((await lstat(join(output, 'app01.ova'))).isFile()).toBe(true);
    expect((await readdir(output)).sort()).toEqual(['.app01.ova.restore-partial', 'app01.ova']);
  });

  it('decrypt: a link at the name it used to stage under is left alone and its target untouched', async () => {
    const folder = join(await exportTo('link-decrypt', 'ovf', ['--compress', 'gzip']), 'app01');
    const victim = await victimFile('link-decrypt');
    await symlink(victim, join(folder, '.app01.vmdk.restore-partial'));
    const run = await cli(['decrypt', join(folder, 'app01.vmdk.gz')]);
    expect(run.code, run.stderr).toBe(0);
    expect(await readFile(victim, 'utf8')).toBe('precious\n');
    expect(await readFile(join(folder, 'app01.vmdk'))).toEqual(await readFile(vm.disks[0]!));
  });
});
