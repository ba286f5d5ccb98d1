// Issue 14, item 14: the tool installs as users install CLI tools. The one tarball that
// `npm run pack:cli` makes is installed with `npm install -g --offline` into a temporary prefix
// (everything the tool needs is inside the tarball); then `hyperexport` runs in an empty folder
// outside the repository, with a config there that imports `@hyperexport/core` and a built-in
// plugin, or (JSON) names some, none of them installed next to it.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packCli } from '../scripts/pack-cli.ts';
import { runCli } from './support/cli.ts';
import { startVcsim } from './support/vcsim.ts';
import type { Vcsim } from './support/vcsim.ts';

const exec = promisify(execFile);

let sim: Vcsim;
let prefix: string;
let folder: string;
let bin: string;
let env: Record<string, string>;

beforeAll(async () => {
  const [simulator, tarball] = await Promise.all([startVcsim(['-disk-mb', '4,2']), packCli()]);
  sim = simulator;
  prefix = await mkdtemp(join(tmpdir(), 'hyperexport-prefix-'));
  folder = await mkdtemp(join(tmpdir(), 'hyperexport-anywhere-'));
  // `hyperexport` is a `#!/usr/bin/env node` script: the Node running the tests comes first on PATH.
  const path = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;
  await exec('npm', ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball], {
    env: { ...process.env, PATH: path },
    maxBuffer: 16 << 20,
  });
  bin = join(prefix, 'bin', 'hyperexport');
  env = { ...sim.env, PATH: path, HYPEREXPORT_HISTORY: join(folder, 'history.jsonl'), HYPEREXPORT_PROFILES_DIR: join(folder, 'profiles') };
}, 300_000);

afterAll(async () => {
  await sim?.stop();
  if (prefix) await rm(prefix, { recursive: true, force: true });
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('npm install -g of the packed tool', () => {
  it('installs the hyperexport command, which prints its version from any folder', async () => {
    const run = await runCli(['--version'], { cwd: folder, env, command: [bin] });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('0.1.0');
    expect(run.code).toBe(0);
  });

  it('exports a VM from the simulator with a hyperexport.config.ts that imports @hyperexport/core and a built-in plugin', async () => {
    const work = await mkdtemp(join(folder, 'ts-'));
    await writeFile(
      join(work, 'hyperexport.config.ts'),
      [
        "import { defineConfig } from '@hyperexport/core';",
        "import compress from '@hyperexport/compress';",
        "export default defineConfig({ plugins: [compress({ algorithm: 'gzip' })], export: { format: 'ova', output: 'out' } });",
      ].join('\n'),
    );
    const vm = sim.vms.find((candidate) => candidate.powerState === 'poweredOff')!;
    const run = await runCli(['export', '--vm', vm.path, '--json'], { cwd: work, env, command: [bin] });
    expect(run.stderr).not.toMatch(/Cannot find package/);
    expect(run.code, run.stderr).toBe(0);
    const name = vm.path.split('/').pop()!;
    expect((await readdir(join(work, 'out'))).sort()).toEqual([`${name}.ova.gz`, `${name}.ova.hyperexport.json`]);
  });

  it('loads a JSON config naming built-in plugins that are not installed next to it', async () => {
    const work = await mkdtemp(join(folder, 'json-'));
    await writeFile(
      join(work, 'hyperexport.config.json'),
      JSON.stringify({ builtins: false, plugins: ['@hyperexport/source-vsphere', '@hyperexport/store-local'] }),
    );
    const run = await runCli(['plugins', 'list', '--json'], { cwd: work, env, command: [bin] });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('source-vsphere');
    expect(run.stdout).toContain('store-local');
    expect(run.stdout).not.toContain('retention');
  });
});
