// `npm run bench`: runs every benchmark in bench/ one after another; each prints JSON lines.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const benchmarks = readdirSync(here).filter((file) => file.endsWith('.ts') && !['run.ts', 'support.ts'].includes(file));
let failed = 0;
for (const file of benchmarks) {
  const result = spawnSync(process.execPath, [...process.execArgv, `${here}${file}`, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (result.status !== 0) failed += 1;
}
process.exitCode = failed === 0 ? 0 : 1;
