// The files of a new outside plugin package (`hyperexport plugins init NAME`). Generated, it must
// build and pass its own test as it is: the plugin is small but real (an option, a hook tap, a
// check a user can see fail), and its test runs it through the test kit, @hyperexport/core/testing.
import { factoryIdentifier } from './package-name.ts';

export interface ScaffoldInput {
  /** The npm package name, also the plugin's name. */
  readonly name: string;
  /** The version of @hyperexport/core doing the scaffolding; the package depends on its minor line. */
  readonly coreVersion: string;
}

/** The files to write, by path relative to the package folder. */
export function pluginScaffold(input: ScaffoldInput): Map<string, string> {
  const { name, coreVersion } = input;
  const factory = factoryIdentifier(name);
  const files = new Map<string, string>();
  files.set('package.json', `${JSON.stringify(packageJson(name, coreVersion), null, 2)}\n`);
  files.set('tsconfig.json', `${JSON.stringify(TSCONFIG, null, 2)}\n`);
  files.set('.gitignore', 'node_modules/\ndist/\n*.tgz\n');
  files.set('src/index.ts', indexSource(name));
  files.set('src/index.test.ts', testSource(factory));
  files.set('README.md', readme(name, factory));
  return files;
}

function packageJson(name: string, coreVersion: string): Record<string, unknown> {
  const coreRange = `^${coreVersion}`;
  return {
    name,
    version: '0.1.0',
    description: 'A HyperExport plugin',
    type: 'module',
    keywords: ['hyperexport', 'hyperexport-plugin'],
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
    files: ['dist', '!dist/**/*.test.*'],
    scripts: {
      build: 'tsc',
      // Node runs the TypeScript test itself (type stripping); `build` type-checks it.
      test: 'node --test "src/**/*.test.ts"',
      prepack: 'npm run build',
    },
    engines: { node: '>=22.18.0' },
    // The user's HyperExport loads the plugin; a copy of core of its own is never needed.
    peerDependencies: { '@hyperexport/core': coreRange },
    devDependencies: { '@hyperexport/core': coreRange, '@types/node': '^24.0.0', typescript: '^6.0.3' },
  };
}

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2023',
    lib: ['ES2024'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    types: ['node'],
    strict: true,
    // Sources import each other with `.ts` (as Node runs them); the build writes `.js`.
    rewriteRelativeImportExtensions: true,
    erasableSyntaxOnly: true,
    verbatimModuleSyntax: true,
    declaration: true,
    skipLibCheck: true,
    rootDir: 'src',
    outDir: 'dist',
  },
  include: ['src'],
};

function indexSource(name: string): string {
  const literal = JSON.stringify(name);
  return `// ${name}: a HyperExport plugin. List it in hyperexport.config.ts; \`hyperexport plugins list\` shows it.
// The hooks, the stages and the test kit are described in HyperExport's docs/plugins.md.
import { definePlugin, t } from '@hyperexport/core';

export interface Options {
  /** Refuse to publish an export with a disk stored larger than this many bytes. */
  maxDiskBytes?: number;
}

const PLUGIN = ${literal};

export default definePlugin<Options>({
  name: PLUGIN,
  version: '0.1.0',
  description: 'refuses an export whose disks are larger than maxDiskBytes',
  // Checked when the config loads: a wrong or unknown option is reported with the plugin's name.
  options: t.isObject({ maxDiskBytes: t.isOptional(t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(1)])) }),
  setup(exporter, options) {
    // After every file was written, before the export is published: an error here fails the export,
    // and nothing is left at the destination.
    exporter.hooks.postValidate.tapPromise(PLUGIN, async (_job, report, written) => {
      const limit = options.maxDiskBytes;
      if (limit === undefined) return;
      for (const file of written.files) {
        if (file.kind === 'disk' && file.size > limit) {
          report.error('disk-size', \`\${file.name} is \${file.size} bytes, more than maxDiskBytes (\${limit})\`, PLUGIN);
        }
      }
    });
  },
});
`;
}

function testSource(factory: string): string {
  return `// Runs the plugin through a real export job, in memory, with HyperExport's test kit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPluginJob } from '@hyperexport/core/testing';
import ${factory} from './index.ts';

const disks = { 'vm-disk1.vmdk': Buffer.alloc(64 * 1024, 1) };

test('publishes an export whose disks are within the limit', async () => {
  const run = await runPluginJob({ plugins: [${factory}({ maxDiskBytes: 1024 * 1024 })], vm: { name: 'vm', disks } });
  assert.equal(run.result.status, 'succeeded');
  assert.deepEqual(run.stored.get('vm-disk1.vmdk'), disks['vm-disk1.vmdk']);
});

test('refuses an export with a larger disk, naming it, and publishes nothing', async () => {
  const run = await runPluginJob({ plugins: [${factory}({ maxDiskBytes: 1000 })], vm: { name: 'vm', disks } });
  assert.equal(run.result.status, 'failed');
  assert.match(run.result.error?.message ?? '', /vm-disk1\\.vmdk is 65536 bytes, more than maxDiskBytes \\(1000\\)/);
  assert.equal(run.stored.size, 0);
});

test('rejects an option of the wrong type when the config loads', async () => {
  await assert.rejects(runPluginJob({ plugins: [${factory}({ maxDiskBytes: 'big' as unknown as number })], vm: { disks } }), /maxDiskBytes/);
});
`;
}

function readme(name: string, factory: string): string {
  return `# ${name}

A [HyperExport](https://github.com/hyperexport/hyperexport) plugin: it refuses to publish an
export whose disks are stored larger than \`maxDiskBytes\`.

## Use it

\`\`\`sh
npm install ${name}
\`\`\`

In \`hyperexport.config.ts\`:

\`\`\`ts
import { defineConfig } from '@hyperexport/core';
import ${factory} from '${name}';

export default defineConfig({
  plugins: [${factory}({ maxDiskBytes: 500 * 1024 ** 3 })],
});
\`\`\`

\`hyperexport plugins list\` then shows it.

| option | type | default | meaning |
|---|---|---|---|
| \`maxDiskBytes\` | integer ≥ 1 | none (no limit) | an export with a disk stored larger than this fails before it is published |

## Develop it

\`\`\`sh
npm install
npm run build   # type-checks src/ and writes dist/
npm test        # runs src/**/*.test.ts with Node's test runner
npm pack        # builds, then writes ${name.replace(/^@/, '').replace('/', '-')}-0.1.0.tgz
\`\`\`

The test runs the plugin through a real export job in memory with \`runPluginJob\` from
\`@hyperexport/core/testing\` (a memory source and sink; it returns the job's result, its events and
every byte stored). The hooks, transform stages and the kit are described in HyperExport's
\`docs/plugins.md\`.
`;
}
