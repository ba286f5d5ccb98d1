import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('./remove-on-exit.ts', import.meta.url));

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'remove-on-exit-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Runs `body` in a fresh node with removeOnExit imported; returns its exit status. */
function run(body: string): number | null {
  const script = `const { removeOnExit } = await import(${JSON.stringify(MODULE)}); const { mkdirSync, writeFileSync } = await import('node:fs'); ${body}`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (child.stderr) throw new Error(child.stderr);
  return child.status;
}

describe('removeOnExit', () => {
  it('removes a registered file and folder when the process quits with process.exit (a second Ctrl-C)', () => {
    const file = join(work, '.disk.vmdk.restore-partial-1-ab');
    const folder = join(work, '.web01.restore-partial-1-cd');
    expect(
      run(
        `writeFileSync(${JSON.stringify(file)}, 'x'); mkdirSync(${JSON.stringify(folder)}); writeFileSync(${JSON.stringify(join(folder, 'a'))}, 'y'); removeOnExit(${JSON.stringify(file)}); removeOnExit(${JSON.stringify(folder)}); process.exit(130);`,
      ),
    ).toBe(130);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(folder)).toBe(false);
  });

  it('keeps what was unregistered (renamed into view, or already cleaned up)', () => {
    const file = join(work, 'restored.ova');
    expect(run(`writeFileSync(${JSON.stringify(file)}, 'x'); const forget = removeOnExit(${JSON.stringify(file)}); forget(); process.exit(130);`)).toBe(130);
    expect(existsSync(file)).toBe(true);
  });
});
