// The conventions restic and rclone users expect, through the CLI: `-V/--version` prints the
// version once, `-v/--verbose` says more, HYPEREXPORT_PASSPHRASE_FILE holds the passphrase for
// encrypting and restoring, and a config is found where cosmiconfig users put one.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from './support/cli.ts';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';

const PASSPHRASE = 'restic users keep it in a file';

let work: string;
let vm: MadeVm;
let passphraseFile: string;
let outputs = 0;
/** HOME inside the work folder: no test reads or writes the user's own per-user config. */
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-cli-conventions-'));
  vm = await makeVmFolder(join(work, 'vms', 'web01'), 'web01', [2, 1]);
  passphraseFile = join(work, 'passphrase');
  await writeFile(passphraseFile, `${PASSPHRASE}\n`, { mode: 0o600 });
  env = { HOME: join(work, 'home'), XDG_CONFIG_HOME: '' };
  await mkdir(join(work, 'home'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

const cli = (args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  runCli(args, { cwd: options.cwd ?? work, env: { ...env, ...options.env } });
const freshOutput = () => join(work, `out-${++outputs}`);
const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

describe('-V/--version and -v/--verbose', () => {
  it('-V and --version print the version, once', async () => {
    const { version } = JSON.parse(await readFile(join(REPO_ROOT, 'cli', 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['-V', '--version']) {
      const run = await cli([flag]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe(`${version}\n`);
      expect(run.stderr).toBe('');
    }
  });

  it('-v on an export adds the config used, each stage with its duration, and nothing to stdout', async () => {
    const plain = await cli(['export', '--source', vm.directory, '--format', 'ova', '--output', freshOutput()]);
    expect(plain.code, plain.stderr).toBe(0);
    const verbose = await cli(['export', '--source', vm.directory, '--format', 'ova', '--output', freshOutput(), '-v']);
    expect(verbose.code, verbose.stderr).toBe(0);
    expect(verbose.stderr.split('\n').length).toBeGreaterThan(plain.stderr.split('\n').length + 4);
    expect(verbose.stderr).toMatch(/^config: none found \(looked for hyperexport\.config\.\*, .* then .*\/home\/\.config\/hyperexport\/config\.\*\)$/m);
    for (const stage of ['inspect', 'download', 'store']) {
      expect(verbose.stderr).toMatch(new RegExp(`^${vm.directory.replace(/[/.]/g, '\\$&')}: stage ${stage} started$`, 'm'));
      expect(verbose.stderr).toMatch(new RegExp(`: stage ${stage} done in \\d+(\\.\\d)? m?s$`, 'm'));
    }
    expect(plain.stderr).not.toMatch(/stage \w+ started/);
    // stdout keeps the result alone.
    expect(verbose.stdout.split('\n')).toHaveLength(plain.stdout.split('\n').length);
  });

  it('--verbose with --quiet is a usage error', async () => {
    const run = await cli(['export', '--source', vm.directory, '--output', freshOutput(), '-q', '--verbose']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--quiet and --verbose ask for opposite things');
  });
});

describe('HYPEREXPORT_PASSPHRASE_FILE', () => {
  it.each(['aes', 'pgp'])('encrypts with --encrypt %s and restores, the passphrase only in the file it names', async (method) => {
    const out = freshOutput();
    const withFile = { HYPEREXPORT_PASSPHRASE_FILE: passphraseFile };
    const exported = await cli(['export', '--source', vm.directory, '--format', 'ovf', '--output', out, '--encrypt', method, '--json'], { env: withFile });
    expect(exported.code, exported.stderr).toBe(0);
    const result = exported.events.at(-1)!;
    expect(result.status).toBe('succeeded');
    expect(exported.stdout + exported.stderr).not.toContain(PASSPHRASE);

    // Without the variable (and no terminal to ask on), the restore cannot read the export.
    const refused = await cli(['restore', join(out, 'web01'), '--output', freshOutput()]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/HYPEREXPORT_PASSPHRASE_FILE/);

    const restoredInto = freshOutput();
    const restored = await cli(['restore', join(out, 'web01'), '--output', restoredInto, '-v'], { env: withFile });
    expect(restored.code, restored.stderr).toBe(0);
    // -v lists every restored file with the digest the manifest confirmed.
    for (const disk of vm.disks) {
      const name = disk.split('/').pop()!;
      expect(restored.stderr).toContain(`restored ${name}: `);
      expect(restored.stderr).toContain(`sha256 ${await sha256(disk)}`);
      expect(await sha256(join(restoredInto, 'web01', name))).toBe(await sha256(disk));
    }
  });

  it('a file named by the variable wins over HYPEREXPORT_PASSPHRASE, and a missing one is named', async () => {
    const out = freshOutput();
    const exported = await cli(['export', '--source', vm.directory, '--format', 'ova', '--output', out, '--encrypt', 'aes'], {
      env: { HYPEREXPORT_PASSPHRASE_FILE: passphraseFile, HYPEREXPORT_PASSPHRASE: 'not this one' },
    });
    expect(exported.code, exported.stderr).toBe(0);
    const restored = await cli(['restore', join(out, 'web01.ova.hxe'), '--output', freshOutput()], { env: { HYPEREXPORT_PASSPHRASE: PASSPHRASE } });
    expect(restored.code, restored.stderr).toBe(0);

    const missing = await cli(['export', '--source', vm.directory, '--output', freshOutput(), '--encrypt', 'aes'], {
      env: { HYPEREXPORT_PASSPHRASE_FILE: join(work, 'no-such-file') },
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the passphrase file for encrypting the export \(HYPEREXPORT_PASSPHRASE_FILE\) .*no-such-file: ENOENT/);
  });
});

describe('config discovery through the CLI', () => {
  // Each config sets the export name, which the export's files then carry.
  const places: Array<[string, (home: string, project: string) => string, string]> = [
    ['.hyperexportrc (YAML)', (_home, project) => join(project, '.hyperexportrc'), 'export:\n  name: from-rc\n'],
    ['.config/hyperexportrc.json', (_home, project) => join(project, '.config', 'hyperexportrc.json'), '{"export":{"name":"from-dot-config"}}'],
    ['a "hyperexport" key in package.json', (_home, project) => join(project, 'package.json'), '{"name":"p","hyperexport":{"export":{"name":"from-package"}}}'],
    ['~/.config/hyperexport/config.yaml', (home) => join(home, '.config', 'hyperexport', 'config.yaml'), 'export:\n  name: from-user\n'],
  ];

  it.each(places)('finds %s', async (_label, where, text) => {
    const home = join(work, `home-${++outputs}`);
    const project = join(home, 'project');
    const cwd = join(project, 'sub');
    await mkdir(cwd, { recursive: true });
    const file = where(home, project);
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, text);
    const out = freshOutput();
    const run = await cli(['export', '--source', vm.directory, '--format', 'ova', '--output', out, '-v'], { cwd, env: { HOME: home } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`config: ${file}\n`);
    const name = /name: (\S+)|"name":"(from-[a-z-]+)"/.exec(text.replace('"name":"p",', ''))!.slice(1).find(Boolean)!;
    expect(await readFile(join(out, `${name}.ova`))).toBeTruthy();
  });
});
