// A second Ctrl-C quits a restore at once (process.exit, no `finally` runs): the staged file it
// was writing, hidden under a unique name no later run looks for, must not stay behind.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const RESTORE = fileURLToPath(new URL('./restore-export.ts', import.meta.url));
const CANCELLATION = fileURLToPath(new URL('../cli/cancellation.ts', import.meta.url));

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'restore-quit-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('a restore quit by a second Ctrl-C', () => {
  it('leaves no staged partial file in the output folder', async () => {
    const input = join(work, 'disk1.vmdk.stuck');
    await writeFile(input, Buffer.alloc(64 * 1024, 1));
    const output = join(work, 'out');
    // A reverse stage that takes bytes and never finishes, nor ever closes when destroyed (as one
    // waiting on a dead socket would): the pipeline, and so the restore, cannot end on the first signal.
    const script = `
      const { Transform } = await import('node:stream');
      const { mkdirSync } = await import('node:fs');
      const { restoreFile } = await import(${JSON.stringify(RESTORE)});
      const { runCancellable } = await import(${JSON.stringify(CANCELLATION)});
      mkdirSync(${JSON.stringify(output)});
      setInterval(() => undefined, 1000); // what a stuck stream waits on (a socket) keeps the process up
      const stuck = { name: 'stuck', suffix: '.stuck', create: async () => new Transform({ transform(chunk, _e, callback) { process.stdout.write('ready\\n'); }, destroy() {} }) };
      await runCancellable('decrypt', 'nothing partial was left', (signal) => restoreFile(${JSON.stringify(input)}, ${JSON.stringify(join(output, 'disk1.vmdk'))}, {
        stages: [stuck], keys: { privateKeyFiles: [] }, signal, overwrite: false,
      }), process.stderr);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');
    await Promise.race([once(child.stdout, 'data'), exited]);
    expect(await readdir(output), stderr).toEqual([expect.stringMatching(/^\.disk1\.vmdk\.restore-partial-/)]);
    child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill('SIGINT');
    const timeout = setTimeout(() => child.kill('SIGKILL'), 5000);
    const [code] = (await exited) as [number | null];
    clearTimeout(timeout);
    expect(code, stderr).toBe(130);
    expect(await readdir(output)).toEqual([]);
  });
});
