// The acceptance test of issue 13: an outside plugin (examples/xor-plugin) declares its whole
// surface (a flag, a profile key, a command, a byte-changing disk stage and its reverse stage), is
// packed with `npm pack` and installed with the packed core into a project outside the workspace
// whose own hyperexport.config.ts lists it, and everything is used through the CLI.
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from './support/cli.ts';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';
import { folderOutsideWorkspace, removeFolder } from './support/npm-project.ts';
import { makePluginProject, writeProjectConfig } from './support/plugin-project.ts';
import type { PluginProject } from './support/plugin-project.ts';

const WITH_XOR = { imports: "import xor from 'hyperexport-xor';", plugins: 'xor()' };
const WITHOUT_XOR = { imports: '', plugins: '' };

let work: string;
let project: PluginProject;
let vm: MadeVm;
let keyFile: string;

const cli = (args: string[]) =>
  runCli(args, {
    cwd: project.directory,
    command: [process.execPath, project.cli],
    env: { HYPEREXPORT_PROFILES_DIR: join(work, 'profiles'), HYPEREXPORT_XOR_KEY_FILE: '' },
  });

const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

/** Every file of an OVF folder by name, with its SHA-256. */
async function digestsOf(folder: string): Promise<Record<string, string>> {
  const names = (await readdir(folder)).sort();
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await sha256(join(folder, name))] as const)));
}

beforeAll(async () => {
  work = await folderOutsideWorkspace('hyperexport-plugin-acceptance-');
  project = await makePluginProject(work, join(REPO_ROOT, 'examples', 'xor-plugin'), WITH_XOR);
  vm = await makeVmFolder(join(work, 'vms', 'app01'), 'app01', [3, 2]);
  keyFile = join(work, 'xor.key');
  await writeFile(keyFile, createHash('sha256').update('acceptance key').digest(), { mode: 0o600 });
}, 600_000);

afterAll(() => removeFolder(work));

describe('an outside plugin, packed and installed', () => {
  it('adds its flag to `export --help` and its command', async () => {
    const help = await cli(['export', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--xor-key-file');

    const status = await cli(['xor', 'status', '--xor-key-file', keyFile]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`hyperexport-xor: stage "xor" \\(suffix \\.xor\\); key file ${keyFile}: 32 bytes, check value [0-9a-f]{16}`));
  });

  it('applies the key a saved profile carries', async () => {
    const save = await cli(['profiles', 'save', 'xored', '--xor-key-file', keyFile, '--format', 'ovf']);
    expect(save.code, save.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(work, 'profiles', 'xored.json'), 'utf8'))).toMatchObject({ xorKeyFile: keyFile });

    const exported = await cli(['export', '--source', vm.directory, '--profile', 'xored', '--output', join(work, 'by-profile')]);
    expect(exported.code, exported.stderr).toBe(0);
    expect((await readdir(join(work, 'by-profile', 'app01'))).sort()).toEqual(['app01.mf', 'app01.ovf', 'app01.vmdk.xor', 'app01_1.vmdk.xor']);
    const record = JSON.parse(await readFile(join(work, 'by-profile', 'app01.ovf.hyperexport.json'), 'utf8')) as {
      stages: string[];
      stagePlugins: Record<string, string>;
    };
    expect(record.stages).toEqual(['xor']);
    expect(record.stagePlugins).toEqual({ xor: 'hyperexport-xor' });
  });

  it('restores an export made with the flag byte for byte, and refuses it once the plugin is gone', async () => {
    const plain = await cli(['export', '--source', vm.directory, '--format', 'ovf', '--output', join(work, 'plain')]);
    expect(plain.code, plain.stderr).toBe(0);
    const xored = await cli(['export', '--source', vm.directory, '--format', 'ovf', '--output', join(work, 'xored'), '--xor-key-file', keyFile]);
    expect(xored.code, xored.stderr).toBe(0);
    const stored = join(work, 'xored', 'app01');
    expect(await sha256(join(stored, 'app01.vmdk.xor'))).not.toBe(await sha256(join(work, 'plain', 'app01', 'app01.vmdk')));

    const restored = await cli(['restore', stored, '--output', join(work, 'restored'), '--key-file', keyFile]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(await digestsOf(join(work, 'restored', 'app01'))).toEqual(await digestsOf(join(work, 'plain', 'app01')));

    await writeProjectConfig(project, WITHOUT_XOR);
    try {
      const help = await cli(['export', '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).not.toContain('--xor-key-file');

      const refused = await cli(['restore', stored, '--output', join(work, 'restored-without'), '--key-file', keyFile]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(
        `error: ${stored} was written with the transform stage "xor" of the plugin "hyperexport-xor", which is not configured here`,
      );
      expect(refused.stderr).toContain('npm install hyperexport-xor');
      await expect(readdir(join(work, 'restored-without'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await writeProjectConfig(project, WITH_XOR);
    }
  });
});
