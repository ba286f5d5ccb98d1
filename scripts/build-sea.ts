// Builds the single executable: dist/hyperexport, the Node binary that runs this one with every
// built-in plugin inside, for machines without Node (Node's single executable applications).
//
//   npm run build:sea           (prints the executable's path and size)
//
// 1. scripts/bundle-cli.ts bundles the tool into one CommonJS script (Node 24 runs only a
//    CommonJS script as the main of a single executable; its dynamic import() of a config file
//    and module.registerHooks work there).
// 2. `node --experimental-sea-config` turns it into a blob, and postject injects the blob into a
//    copy of the Node binary that runs this script.
// A config's own imports load from disk as usual, `@hyperexport/core` and the built-in plugins
// from the executable (cli/src/carried-modules.ts). No native addon is inside (see bundle-cli.ts).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli } from './bundle-cli.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = join(ROOT, '.tmp', 'sea');
const OUTPUT = join(ROOT, 'dist', process.platform === 'win32' ? 'hyperexport.exe' : 'hyperexport');
// The fuse Node's binary carries for postject (documented in Node's single-executable-applications page).
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function quietly(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`build-sea: ${args.slice(0, 2).join(' ')} failed (exit ${result.status}):\n${result.stderr}${result.stdout}`);
}

export async function buildSingleExecutable(): Promise<string> {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const script = await bundleCli();
  const blob = join(WORK, 'hyperexport.blob');
  const config = join(WORK, 'sea-config.json');
  // The code cache (V8's compiled bundle) saves about a quarter of the CPU time of a start
  // (bench/startup.ts); a config's dynamic import() still works with it on Node 24.
  writeFileSync(config, JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
  quietly(process.execPath, ['--experimental-sea-config', config]);
  mkdirSync(dirname(OUTPUT), { recursive: true });
  rmSync(OUTPUT, { force: true });
  copyFileSync(process.execPath, OUTPUT);
  chmodSync(OUTPUT, 0o755);
  const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
  // postject warns about ELF note sections it does not know on Linux; harmless, shown only on failure.
  quietly(process.execPath, [postject, OUTPUT, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
  return OUTPUT;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const output = await buildSingleExecutable();
  console.log(`${output} (${(statSync(output).size / 1024 / 1024).toFixed(1)} MiB)`);
}
