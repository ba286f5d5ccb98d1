// Config loading as a user meets it: the built CLI finding hyperexport.config.* from the working
// directory upward, a .ts config importing a local .ts plugin and an npm-installed plugin, and
// every kind of bad config answered with one clear message and exit code 2.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from './support/cli.ts';
import { makeVmFolder } from './support/make-vm-folder.ts';

let project: string;

beforeAll(async () => {
  // A user's project outside this repository, with no package.json (so no "type": "module"),
  // and our packages installed in its node_modules (symlinked, as `npm link` would).
  project = await mkdtemp(join(tmpdir(), 'hyperexport-config-'));
  await mkdir(join(project, 'node_modules'));
  await symlink(join(REPO_ROOT, 'node_modules', '@hyperexport'), join(project, 'node_modules', '@hyperexport'));
  const npmPlugin = join(project, 'node_modules', 'hyperexport-plugin-stamp');
  await mkdir(npmPlugin);
  await writeFile(
    join(npmPlugin, 'package.json'),
    JSON.stringify({ name: 'hyperexport-plugin-stamp', version: '1.2.3', type: 'module', exports: './index.js' }),
  );
  await writeFile(
    join(npmPlugin, 'index.js'),
    `
import { definePlugin, t } from '@hyperexport/core';
export default definePlugin({
  name: 'stamp',
  version: '1.2.3',
  description: 'an npm-installed plugin',
  options: t.isObject({ label: t.isOptional(t.isString()) }),
  setup(exporter, options) {
    exporter.hooks.validate.tap('stamp', (job) => job.warn('stamped ' + (options.label ?? 'nothing'), 'stamp'));
  },
});
`,
  );
  await writeFile(
    join(project, 'local-plugin.ts'),
    `
import { definePlugin, t } from '@hyperexport/core';
import type { Exporter } from '@hyperexport/core';

interface Options { greeting: string }

export default definePlugin<Options>({
  name: 'local-greeter',
  version: '0.0.1',
  description: 'a plugin in a local .ts file',
  options: t.isObject({ greeting: t.isString() }),
  setup(exporter: Exporter, options: Options) {
    exporter.hooks.validate.tap('local-greeter', (job) => job.warn(options.greeting, 'local-greeter'));
  },
});
`,
  );
});

afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

async function withConfig(name: string, text: string, folder = project): Promise<string> {
  const path = join(folder, name);
  await writeFile(path, text);
  return path;
}

const tsConfig = (plugins: string, imports = '') => `
import { defineConfig } from '@hyperexport/core';
import greeter from './local-plugin.ts';
import stamp from 'hyperexport-plugin-stamp';
import storeLocal from '@hyperexport/store-local';
${imports}
export default defineConfig({ plugins: [${plugins}] });
`;

describe('config loading', () => {
  it('finds hyperexport.config.ts from a subfolder and loads a local .ts plugin and an npm plugin', async () => {
    const config = await withConfig('hyperexport.config.ts', tsConfig(`greeter({ greeting: 'hello' }), stamp({ label: 'x' }), storeLocal({ fsync: false })`));
    const sub = join(project, 'deep', 'er');
    await mkdir(sub, { recursive: true });
    const run = await runCli(['plugins', 'list', '--json'], { cwd: sub });
    expect(run.stderr).toBe(''); // no MODULE_TYPELESS_PACKAGE_JSON or type-stripping warning
    expect(run.code).toBe(0);
    const listed = run.events[0] as { config: string; plugins: Array<{ name: string; version: string }> };
    expect(listed.config).toBe(config);
    const names = listed.plugins.map((p) => p.name);
    // The configured plugins in order, then the built-ins that were not configured.
    expect(names.slice(0, 3)).toEqual(['local-greeter', 'stamp', 'store-local']);
    expect(names).toEqual(expect.arrayContaining(['source-local', 'source-vsphere']));
    expect(names.filter((name) => name === 'store-local')).toHaveLength(1);

    // And the plugins really run: both add a warning in the validate hook of a real export.
    const vm = await makeVmFolder(join(project, 'vm'), 'tiny', [1]);
    const exported = await runCli(['export', '--source', vm.directory, '--output', join(project, 'out'), '--json'], { cwd: sub });
    expect(exported.code, exported.stderr).toBe(0);
    const warnings = exported.events.filter((e) => e.type === 'warning').map((e) => e.message);
    expect(warnings).toEqual(expect.arrayContaining(['hello', 'stamped x']));
    await rm(config);
  });

  it('--config overrides the search; .mts, .mjs, .json and .yaml configs load', async () => {
    const configs = {
      'a.config.mts': `import stamp from 'hyperexport-plugin-stamp';\nexport default { plugins: [stamp()], export: { format: 'ovf' } };\n`,
      'b.config.mjs': `import stamp from 'hyperexport-plugin-stamp';\nexport default () => ({ plugins: [stamp()] });\n`,
      'c.config.json': JSON.stringify({ plugins: [['hyperexport-plugin-stamp', { label: 'json' }]] }),
      'd.config.yaml': 'plugins:\n  - hyperexport-plugin-stamp\nexport:\n  parallel: 2\n',
    };
    for (const [name, text] of Object.entries(configs)) {
      const path = await withConfig(name, text);
      const run = await runCli(['plugins', 'list', '--json', '--config', path], { cwd: project });
      expect(run.code, `${name}: ${run.stderr}`).toBe(0);
      expect((run.events[0] as { plugins: Array<{ name: string }> }).plugins.map((p) => p.name)).toContain('stamp');
    }
  });
});

describe('bad config', () => {
  const cases: Array<[string, string, string, RegExp[]]> = [
    [
      'unknown option',
      'unknown.config.ts',
      tsConfig(`storeLocal({ fsync: true, colour: 'red' } as never)`),
      [/plugin "store-local" option "colour" is not a known option/],
    ],
    [
      'wrong type',
      'type.config.ts',
      tsConfig(`storeLocal({ fsync: 'yes' } as never)`),
      [/plugin "store-local" option "fsync": Expected a boolean \(got "yes"\)/],
    ],
    ['missing required option', 'missing.config.ts', tsConfig(`greeter({} as never)`), [/plugin "local-greeter" option "greeting" is required/]],
    [
      'two problems at once',
      'two.config.ts',
      tsConfig(`greeter({} as never), storeLocal({ fsync: 1 } as never)`),
      [/2 problems/, /"greeting" is required/, /"fsync": Expected a boolean/],
    ],
    [
      'a plugin that throws in setup',
      'throws.config.ts',
      `
import { defineConfig, definePlugin } from '@hyperexport/core';
const broken = definePlugin({ name: 'broken', version: '1.0.0', setup() { throw new Error('no API key in BROKEN_KEY'); } });
export default defineConfig({ plugins: [broken()] });
`,
      [/plugin "broken" failed to set up: no API key in BROKEN_KEY/],
    ],
    ['two plugins with one name', 'twice.config.ts', tsConfig(`stamp(), stamp({ label: 'again' })`), [/plugin "stamp" is listed twice/]],
    ['a syntax error', 'syntax.config.ts', `export default defineConfig({ plugins: [ }\n`, [/cannot load the config .*syntax\.config\.ts/]],
    ['an unknown top-level setting', 'setting.config.ts', `export default { plugins: [], exprot: {} };\n`, [/"exprot" is not a known setting/]],
    [
      'a plugin package that is not installed',
      'absent.config.json',
      JSON.stringify({ plugins: ['hyperexport-plugin-absent'] }),
      [/plugin "hyperexport-plugin-absent" is not installed next to the config; run: npm install hyperexport-plugin-absent/],
    ],
  ];
  for (const [what, name, text, patterns] of cases) {
    it(`${what}: exit 2 and a message naming the file and the problem`, async () => {
      const path = await withConfig(name, text);
      const run = await runCli(['plugins', 'list', '--config', path], { cwd: project });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(name);
      for (const pattern of patterns) expect(run.stderr).toMatch(pattern);
      expect(run.stderr).not.toMatch(/^\s+at /m); // no stack trace
    });
  }

  it('a config file named with --config that does not exist', async () => {
    const run = await runCli(['plugins', 'list', '--config', 'nope.config.ts'], { cwd: project });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('config file not found: nope.config.ts');
  });
});
