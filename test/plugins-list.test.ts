// `hyperexport plugins list` marks each plugin as configured (the config lists it) or default (a
// built-in added because the config does not set `builtins: false`), with what it provides:
// capabilities, settings by their flags, and commands. Through the built CLI, with real configs.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from './support/cli.ts';

let project: string;

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'hyperexport-plugins-list-'));
  await mkdir(join(project, 'node_modules'));
  await symlink(join(REPO_ROOT, 'node_modules', '@hyperexport'), join(project, 'node_modules', '@hyperexport'));
  // An outside plugin that declares a setting and a command, as a third party writes one.
  await writeFile(
    join(project, 'stamp-plugin.ts'),
    `
import { BaseCommand, Command, definePlugin, setting } from '@hyperexport/core';

class StampStatusCommand extends BaseCommand {
  static override paths = [['stamp', 'status']];
  static override usage = Command.Usage({ description: 'say whether stamping is on' });
  async run() {
    this.context.stdout.write('on\\n');
    return 0;
  }
}

export default definePlugin({
  name: 'stamp',
  version: '1.2.3',
  description: 'stamps exports',
  provides: ['stamp:text'],
  settings: { stampText: setting.string({ description: 'the text to stamp', env: 'STAMP_TEXT' }) },
  commands: [StampStatusCommand],
  setup() {},
});
`,
  );
});

afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

type Listed = { name: string; origin: string; provides: string[]; settings: Array<{ name: string; flag: string; env?: string }>; commands: string[] };

async function list(config: string, json: boolean): Promise<{ code: number | null; stdout: string; stderr: string; plugins: Listed[] }> {
  const path = join(project, 'hyperexport.config.ts');
  await writeFile(path, config);
  const run = await runCli(['plugins', 'list', '--config', path, ...(json ? ['--json'] : [])], { cwd: project });
  const plugins = json && run.code === 0 ? ((JSON.parse(run.stdout) as { plugins: Listed[] }).plugins ?? []) : [];
  return { ...run, plugins };
}

describe('plugins list', () => {
  it('marks the plugins of the config as configured and the built-ins added to them as default, with what each provides', async () => {
    const config = `
import { defineConfig } from '@hyperexport/core';
import storeLocal from '@hyperexport/store-local';
import stamp from './stamp-plugin.ts';
export default defineConfig({ plugins: [storeLocal({ fsync: false }), stamp] });
`;
    const run = await list(config, true);
    expect(run.code, run.stderr).toBe(0);
    const byName = new Map(run.plugins.map((plugin) => [plugin.name, plugin]));
    expect(byName.get('store-local')).toMatchObject({ origin: 'configured', provides: ['storage:file'] });
    expect(byName.get('stamp')).toMatchObject({
      origin: 'configured',
      provides: ['stamp:text'],
      settings: [{ name: 'stampText', flag: '--stamp-text', env: 'STAMP_TEXT' }],
      commands: ['stamp status'],
    });
    expect(byName.get('source-vsphere')).toMatchObject({ origin: 'default', commands: expect.arrayContaining(['vms', 'vm info']) });
    expect(run.plugins.filter((plugin) => plugin.origin === 'configured').map((plugin) => plugin.name)).toEqual(['store-local', 'stamp']);
    expect(run.plugins.filter((plugin) => plugin.origin === 'default').length).toBeGreaterThan(10);

    const text = await list(config, false);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^config: .*hyperexport\.config\.ts \(2 configured, \d+ default; `builtins: false` in the config leaves the defaults out\)$/m);
    expect(text.stdout).toMatch(/^ {2}stamp +1\.2\.3 +configured stamps exports$/m);
    expect(text.stdout).toMatch(/^ +provides: stamp:text\n +settings: --stamp-text\n +commands: stamp status$/m);
    expect(text.stdout).toMatch(/^ {2}source-vsphere +\S+ +default /m);
  });

  it('with builtins: false, lists only what the config configures', async () => {
    const run = await list(
      `
import { defineConfig } from '@hyperexport/core';
import storeLocal from '@hyperexport/store-local';
import stamp from './stamp-plugin.ts';
export default defineConfig({ builtins: false, plugins: [storeLocal(), stamp] });
`,
      true,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.plugins.map((plugin) => [plugin.name, plugin.origin])).toEqual([
      ['store-local', 'configured'],
      ['stamp', 'configured'],
    ]);
  });
});
