import { spawnSync } from 'node:child_process';
import { access, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockCompromisedError, LockTimeoutError, acquireFileLock, withFileLock } from './file-lock.ts';

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

/** A lock as another host's hyperexport writes it, `ageMs` old. */
async function foreignLock(lock: string, ageMs: number, token = 'f'.repeat(32)): Promise<void> {
  await writeFile(lock, JSON.stringify({ pid: 1, host: 'other-host', at: '2026-01-01T00:00:00Z', token }));
  const then = new Date(Date.now() - ageMs);
  await utimes(lock, then, then);
}

describe('withFileLock', () => {
  it('holds the lock file during the body and removes it after, also when the body throws', async () => {
    const lock = join(work, 'h.lock');
    await withFileLock(lock, async () => {
      await access(lock);
    });
    await expect(access(lock)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(
      withFileLock(lock, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(access(lock)).rejects.toMatchObject({ code: 'ENOENT' });
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
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withFileLock(lock, async () => {
          inside += 1;
          most = Math.max(most, inside);
          await new Promise((resolve) => setTimeout(resolve, 5));
          inside -= 1;
        }),
      ),
    );
    expect(most).toBe(1);
  });
});

describe('a stale lock whose takeover guard stays held', () => {
  it('gives up at its timeout naming the guard and its holder, instead of retrying the takeover forever', async () => {
    const lock = join(work, 'g.lock');
    await writeFile(lock, JSON.stringify({ pid: deadPid(), host: hostname(), at: '2026-01-01T00:00:00Z', token: 'd'.repeat(32) }));
    // A guard whose holder looks alive (this very pid, as a holder's reused pid would) is never stale.
    await writeFile(`${lock}.takeover`, JSON.stringify({ pid: process.pid, host: hostname(), at: '2026-01-01T00:00:00Z', token: 'e'.repeat(32) }));
    const outcome = await Promise.race([
      acquireFileLock(lock, { timeoutMs: 200 }).then(
        async (release) => {
          await release();
          return 'acquired';
        },
        (error: unknown) => error,
      ),
      sleep(3000).then(() => 'still trying after 3 s'),
    ]);
    expect(outcome).toBeInstanceOf(LockTimeoutError);
    expect(outcome).toMatchObject({
      code: 'LOCK_TIMEOUT',
      lockPath: `${lock}.takeover`,
      message: `${lock}.takeover is held by pid ${process.pid} on ${hostname()} since 2026-01-01T00:00:00Z; if no hyperexport is running there, remove the lock file`,
    });
  });
});

describe('a lock shared between hosts (NFS, SMB)', () => {
  it('takes over a lock of another host only once its owner stopped refreshing it', async () => {
    const lock = join(work, 'h.lock');
    await foreignLock(lock, 50);
    await expect(acquireFileLock(lock, { timeoutMs: 0, staleMs: 1000 })).rejects.toMatchObject({
      code: 'LOCK_TIMEOUT',
      message: expect.stringContaining('pid 1 on other-host'),
    });
    await foreignLock(lock, 2000);
    const release = await acquireFileLock(lock, { timeoutMs: 0, staleMs: 1000 });
    expect(JSON.parse(await readFile(lock, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    await release();
  });

  it('refreshes a held lock, so a second host never takes over a long export', async () => {
    const lock = join(work, 'h.lock');
    const release = await acquireFileLock(lock, { staleMs: 150, refreshMs: 20, host: 'host-a' });
    // Host B tries, again and again, for well over the stale time.
    const attempts: unknown[] = [];
    const until = Date.now() + 600;
    while (Date.now() < until) {
      attempts.push(
        await acquireFileLock(lock, { timeoutMs: 0, staleMs: 150, host: 'host-b' }).then(
          () => 'taken over',
          (error: unknown) => (error as { code?: unknown }).code,
        ),
      );
      await sleep(30);
    }
    expect(new Set(attempts)).toEqual(new Set(['LOCK_TIMEOUT']));
    expect(JSON.parse(await readFile(lock, 'utf8'))).toMatchObject({ host: 'host-a' });
    await release();
    await expect(access(lock)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('stops refreshing once released: the lock it removed is not reported lost', async () => {
    const lock = join(work, 'h.lock');
    const lost: LockCompromisedError[] = [];
    const release = await acquireFileLock(lock, { staleMs: 100, refreshMs: 10, onCompromised: (error) => lost.push(error) });
    await release();
    await sleep(50);
    await expect(access(lock)).rejects.toMatchObject({ code: 'ENOENT' });
    // A refresher still running would find its lock gone and call it compromised.
    expect(lost.map((error) => error.message)).toEqual([]);
  });

  it('never removes a lock that was taken over, and tells the holder it lost it', async () => {
    const lock = join(work, 'h.lock');
    const lost: LockCompromisedError[] = [];
    const release = await acquireFileLock(lock, { staleMs: 1000, refreshMs: 20, onCompromised: (error) => lost.push(error) });
    // Another host took it over (as it would after the holder hung for longer than the stale time).
    await foreignLock(lock, 0, 'a'.repeat(32));
    const takenOver = await readFile(lock, 'utf8');
    await sleep(150);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(LockCompromisedError);
    expect(lost[0]).toMatchObject({ code: 'LOCK_COMPROMISED', lockPath: lock, message: expect.stringContaining('taken over by pid 1 on other-host') });
    await release();
    expect(await readFile(lock, 'utf8')).toBe(takenOver);
  });

  it('tells the holder when its lock was removed under it', async () => {
    const lock = join(work, 'h.lock');
    const lost: LockCompromisedError[] = [];
    const release = await acquireFileLock(lock, { staleMs: 1000, refreshMs: 20, onCompromised: (error) => lost.push(error) });
    await rm(lock);
    await sleep(100);
    expect(lost.map((error) => error.message)).toEqual([`the lock ${lock} is no longer ours: it was removed`]);
    await release();
  });

  it('records a token, and touches the lock while held', async () => {
    const lock = join(work, 'h.lock');
    const release = await acquireFileLock(lock, { staleMs: 1000, refreshMs: 20 });
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    await sleep(100);
    expect(Date.now() - (await stat(lock)).mtimeMs).toBeLessThan(1000);
    expect(JSON.parse(await readFile(lock, 'utf8'))).toMatchObject({ token: expect.stringMatching(/^[0-9a-f]{32}$/) });
    await release();
  });
});
