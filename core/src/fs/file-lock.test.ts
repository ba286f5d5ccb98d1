import { spawnSync } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockTimeoutError, withFileLock } from './file-lock.ts';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'file-lock-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('withFileLock', () => {
  it('holds the lock file during the body and removes it after, also when the body throws', async () => {
    const lock = join(work, 'h.lock');
    await withFileLock(lock, async () => {
      await access(lock);
    });
    await expect(access(lock)).rejects.toThrow();
    await expect(withFileLock(lock, async () => {
      throw new Error('boom');
    })).rejects.toThrow('boom');
    await expect(access(lock)).rejects.toThrow();
  });

  it('takes over a lock whose process is dead', async () => {
    const lock = join(work, 'h.lock');
    await writeFile(lock, JSON.stringify({ pid: deadPid(), host: hostname(), at: '2026-01-01T00:00:00Z' }));
    expect(await withFileLock(lock, async () => 'ran', { timeoutMs: 2000 })).toBe('ran');
  });

  it('waits for a live owner and gives up with a message naming it', async () => {
    const lock = join(work, 'h.lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), at: '2026-01-01T00:00:00Z' }));
    const attempt = withFileLock(lock, async () => 'ran', { timeoutMs: 200 });
    await expect(attempt).rejects.toBeInstanceOf(LockTimeoutError);
    await expect(attempt).rejects.toThrow(`pid ${process.pid}`);
  });

  it('lets many waiters on one stale lock in turn, never two at once', async () => {
    const lock = join(work, 'h.lock');
    await writeFile(lock, JSON.stringify({ pid: deadPid(), host: hostname(), at: '2026-01-01T00:00:00Z' }));
    let inside = 0;
    let most = 0;
    await Promise.all(Array.from({ length: 8 }, () => withFileLock(lock, async () => {
      inside += 1;
      most = Math.max(most, inside);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inside -= 1;
    })));
    expect(most).toBe(1);
  });
});
