// Bundles the tool into ONE CommonJS script (.tmp/bundle/hyperexport.cjs): cli/src/bundle-main.ts
// and everything it imports (core, every built-in plugin, their third-party dependencies), from
// the TypeScript sources (the `hyperexport-source` export condition). It is the `hyperexport` of
// the npm tarball (scripts/pack-cli.ts) and the main script of the single executable
// (scripts/build-sea.ts).
//
// Native addons cannot be bundled: zstd-napi and cpu-features stay out, and their users fall
// back (compress uses node:zlib's zstd, slower on several threads; ssh2 runs without cpu-features).
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLE = join(ROOT, '.tmp', 'bundle', 'hyperexport.cjs');

export async function bundleCli(): Promise<string> {
  const versionOf = (folder: string) => (JSON.parse(readFileSync(join(ROOT, folder, 'package.json'), 'utf8')) as { version: string }).version;
  rmSync(dirname(BUNDLE), { recursive: true, force: true });
  mkdirSync(dirname(BUNDLE), { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'cli', 'src', 'bundle-main.ts')],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    conditions: ['hyperexport-source'],
    external: ['zstd-napi', 'zstd-napi/*', 'cpu-features', '*.node'],
    // A CommonJS script has no import.meta: modules that use its url get the script's own.
    define: {
      'import.meta.url': 'importMetaUrl',
      HYPEREXPORT_VERSION: JSON.stringify(versionOf('cli')),
      HYPEREXPORT_CORE_VERSION: JSON.stringify(versionOf('core')),
    },
    banner: { js: '#!/usr/bin/env node\nconst importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    // The licences of the bundled packages travel with their code.
    legalComments: 'eof',
    logLevel: 'error',
  });
  return BUNDLE;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await bundleCli());
