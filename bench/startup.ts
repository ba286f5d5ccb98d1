// Start time of the two ways to install the tool (issue 14, item 14): the single executable
// (dist/hyperexport, built first if missing: `npm run build:sea`) and the bundle that
// `npm install -g` of the packed tarball runs (`node .tmp/bundle/hyperexport.cjs`), with the
// repository's `node cli/bin/hyperexport.js` for reference, for `--version` and for
// `plugins list` (which loads every built-in plugin). Prints one JSON line per case: the median
// wall time, CPU time and peak RSS of `--rounds N` runs (5 by default), and the executable's size.
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSingleExecutable } from '../scripts/build-sea.ts';
import { BUNDLE, bundleCli } from '../scripts/bundle-cli.ts';
import { argValue, loadAverage, measure, median, round } from './support.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(argValue('--rounds') ?? 5);
const executable = join(ROOT, 'dist', 'hyperexport');
if (!existsSync(executable)) await buildSingleExecutable();
if (!existsSync(BUNDLE)) await bundleCli();
const empty = await mkdtemp(join(tmpdir(), 'hyperexport-bench-startup-'));
const env = { ...process.env, HYPEREXPORT_HISTORY: join(empty, 'history.jsonl'), HYPEREXPORT_PROFILES_DIR: join(empty, 'profiles') };
const ways = {
  'single executable': [executable],
  'npm install -g (the bundle)': [process.execPath, BUNDLE],
  'repository (node cli/bin/hyperexport.js)': [process.execPath, join(ROOT, 'cli', 'bin', 'hyperexport.js')],
} as const;
// In an empty folder: no config of the repository's is found.
process.chdir(empty);
try {
  for (const args of [['--version'], ['plugins', 'list']]) {
    for (const [way, [command, ...leading]] of Object.entries(ways)) {
      const runs = [];
      for (let i = 0; i < rounds; i++) runs.push(await measure(command!, [...leading, ...args], env));
      const failed = runs.find((run) => run.code !== 0);
      if (failed) throw new Error(`${way} ${args.join(' ')} exited ${failed.code}: ${failed.stderr}`);
      console.log(
        JSON.stringify({
          benchmark: 'startup',
          way,
          command: `hyperexport ${args.join(' ')}`,
          seconds: round(median(runs.map((run) => run.seconds)), 3),
          cpuSeconds: round(median(runs.map((run) => run.cpuSeconds)), 3),
          peakRssMB: Math.max(...runs.map((run) => run.peakRssMB)),
          rounds,
          loadAverage: loadAverage(),
        }),
      );
    }
  }
  console.log(JSON.stringify({ benchmark: 'startup', executableMiB: round(statSync(executable).size / 1024 / 1024, 1) }));
} finally {
  await rm(empty, { recursive: true, force: true });
}
