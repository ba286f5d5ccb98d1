// Vitest global setup: builds every package (`tsc -b`) before any test runs.
//
// Why: the CLI tests spawn cli/bin/hyperexport.js, which loads the built `dist`, while every
// other test imports the TypeScript sources. Without this, `npx vitest run` after an edit would
// test the edited sources in-process but the stale build through the CLI, and could pass or fail
// for the wrong reason. `tsc -b` is incremental: with nothing changed it only compares
// timestamps (about 2 s), so `npm test` relies on this build instead of running its own.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export default async function buildBeforeTests(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const child = spawn(process.execPath, [tsc, '-b'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr.on('data', (data: Buffer) => (output += data.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  // During mutation testing (stryker.config.mjs) the sources are instrumented in place: their
  // types are looser than the originals' and may fail to check, but tsc still emits them, and
  // the CLI's child processes must run that emitted code.
  if (code !== 0 && process.env['HYPEREXPORT_MUTATION'] === '1') {
    console.warn(`tsc -b reported errors on the instrumented sources (expected during mutation testing); dist was emitted anyway:\n${output.slice(0, 2000)}`);
    return;
  }
  if (code !== 0) {
    throw new Error(`The build before the tests failed (tsc -b exited ${code}); fix these errors, then run the tests again:\n${output}`);
  }
}
