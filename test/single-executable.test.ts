// Issue 14, item 14: the single executable (`npm run build:sea`) runs on a machine without Node
// from a folder that holds nothing else: it prints its version, loads a config there that imports
// `@hyperexport/core` and a built-in plugin (served from inside the executable), and exports a VM
// from the simulator. Built once per run of this file (about a minute).
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSingleExecutable } from '../scripts/build-sea.ts';
import { runCli } from './support/cli.ts';
import { startVcsim } from './support/vcsim.ts';
import type { Vcsim } from './support/vcsim.ts';

let sim: Vcsim;
let folder: string;
let executable: string;
let env: Record<string, string>;

beforeAll(async () => {
  const [simulator, built] = await Promise.all([startVcsim(['-disk-mb', '4,2']), buildSingleExecutable()]);
  sim = simulator;
  folder = await mkdtemp(join(tmpdir(), 'hyperexport-sea-'));
  executable = join(folder, 'hyperexport');
  await copyFile(built, executable);
  // Not the tests' Node on PATH: the executable carries its own.
  env = {
    ...sim.env,
    PATH: '/usr/bin:/bin',
    HYPEREXPORT_HISTORY: join(folder, 'state', 'history.jsonl'),
    HYPEREXPORT_PROFILES_DIR: join(folder, 'state', 'profiles'),
  };
}, 300_000);

afterAll(async () => {
  await sim?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('the single executable', () => {
  it('prints its version from a folder that holds nothing else', async () => {
    expect(await readdir(folder)).toEqual(['hyperexport']);
    const run = await runCli(['--version'], { cwd: folder, env, command: [executable] });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('0.1.0');
    expect(run.code).toBe(0);
  });

  it('exports a VM from the simulator with a config next to it that imports @hyperexport/core and a built-in plugin', async () => {
    await writeFile(
      join(folder, 'hyperexport.config.ts'),
      [
        "import { defineConfig } from '@hyperexport/core';",
        "import compress from '@hyperexport/compress';",
        "export default defineConfig({ plugins: [compress({ algorithm: 'gzip' })], export: { format: 'ova', output: 'out' } });",
      ].join('\n'),
    );
    const vm = sim.vms.find((candidate) => candidate.powerState === 'poweredOff')!;
    const run = await runCli(['export', '--vm', vm.path, '--json'], { cwd: folder, env, command: [executable] });
    expect(run.code, run.stderr).toBe(0);
    const name = vm.path.split('/').pop()!;
    expect((await readdir(join(folder, 'out'))).sort()).toEqual([`${name}.ova.gz`, `${name}.ova.hyperexport.json`]);
  });
});
