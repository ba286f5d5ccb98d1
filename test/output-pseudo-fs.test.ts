// An --output folder on a kernel pseudo file system (/proc, /sys, /dev) is a usage error, found
// before anything is read or created: as root, Node's recursive mkdir under /proc used to spin at
// 100% CPU and ignore the first SIGTERM. Through the built CLI (tests run as root here).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH } from './support/cli.ts';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';

let work: string;
let vm: MadeVm;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-pseudo-fs-'));
  vm = await makeVmFolder(join(work, 'vms', 'small'), 'small', [1]);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Runs the CLI, killed after `limitMs` so that a regression cannot leave a spinning process behind. */
function runBounded(args: readonly string[], limitMs: number): Promise<{ code: number | null; stderr: string; ms: number; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      cwd: work,
      env: { ...process.env, HYPEREXPORT_HISTORY: join(work, 'history.jsonl'), FORCE_COLOR: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, ms: Date.now() - started, killed });
    });
  });
}

describe('--output on a pseudo file system', () => {
  it.each([
    ['/proc/hyperexport-test', 'proc'],
    ['/sys/hyperexport-test/deeper', 'sysfs'],
    ['/dev/hyperexport-test', 'devtmpfs'],
  ])('%s: exit 2 at once, naming the file system, and nothing created', async (output, type) => {
    const run = await runBounded(['export', '--source', vm.directory, '--output', output], 30_000);
    expect(run.killed, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`error: output directory ${output} is on ${type}`);
    expect(run.stderr).toContain('a kernel pseudo file system that cannot hold an export');
    expect(run.stderr).toContain('hint: choose an --output folder on a disk or a network share');
    expect(existsSync(output)).toBe(false);
  });
});
