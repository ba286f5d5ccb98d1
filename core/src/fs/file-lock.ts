// A lock file shared by every process writing one history file: `PATH.lock`, created with `wx`
// (O_CREAT|O_EXCL, atomic on local filesystems), holding the owner's pid and host. A lock whose
// owner died is taken over; the takeover itself goes through a second lock so that two waiters
// that both saw the dead owner cannot both remove the lock (one of them would remove the other's
// fresh lock). The history holds it for milliseconds (a read, an append, maybe a rewrite); the
// local store holds it for a whole export, and asks with `timeoutMs: 0` to fail at once when a
// live run has it.
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { brandError } from '../errors.ts';

export interface LockOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** A lock from another host cannot be checked by pid: it is stale after this long (default 10 min). */
  foreignStaleMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  at: string;
}

export class LockTimeoutError extends Error {
  static { brandError(this, 'hyperexport.LockTimeoutError'); }

  constructor(lockPath: string, owner: string) {
    super(`${lockPath} is held by ${owner}; if no hyperexport is running there, remove the lock file`);
    this.name = 'LockTimeoutError';
  }
}

/** Runs `body` while holding the lock file `lockPath`. */
export async function withFileLock<T>(lockPath: string, body: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const release = await acquireFileLock(lockPath, options);
  try {
    return await body();
  } finally {
    await release();
  }
}

/** Takes the lock file `lockPath`, waiting up to `timeoutMs`; returns the function that releases it. */
export async function acquireFileLock(lockPath: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  await acquire(lockPath, options);
  return () => unlink(lockPath).catch(() => undefined);
}

async function acquire(lockPath: string, options: LockOptions): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const foreignStaleMs = options.foreignStaleMs ?? 10 * 60_000;
  let delay = 5;
  for (;;) {
    if (await tryCreate(lockPath)) return;
    const seen = await readOwner(lockPath);
    if (seen !== undefined && (await isStale(lockPath, seen, foreignStaleMs))) {
      await takeOver(lockPath, seen, foreignStaleMs);
      continue;
    }
    if (Date.now() > deadline) throw new LockTimeoutError(lockPath, describeOwner(seen));
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 200);
  }
}

/** Creates the lock file; false when it exists. */
async function tryCreate(lockPath: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(lockPath, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    const owner: LockOwner = { pid: process.pid, host: hostname(), at: new Date().toISOString() };
    await handle.writeFile(`${JSON.stringify(owner)}\n`);
  } finally {
    await handle.close();
  }
  return true;
}

/** The lock's text (undefined when it vanished meanwhile). */
async function readOwner(lockPath: string): Promise<string | undefined> {
  try {
    return await readFile(lockPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && typeof value.host === 'string') return { pid: value.pid, host: value.host, at: String(value.at ?? '') };
  } catch {
    // An empty or torn lock: its owner died between creating and writing it, or is writing now.
  }
  return undefined;
}

async function isStale(lockPath: string, text: string, foreignStaleMs: number): Promise<boolean> {
  const owner = parseOwner(text);
  const age = await lockAge(lockPath);
  if (age === undefined) return false; // gone: the next attempt creates it
  if (!owner) return age > 5_000; // torn: give a live writer time to finish writing it
  if (owner.host !== hostname()) return age > foreignStaleMs;
  return !isAlive(owner.pid);
}

async function lockAge(lockPath: string): Promise<number | undefined> {
  try {
    return Date.now() - (await stat(lockPath)).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Removes a stale lock, but only if it is still the very lock that was found stale: the check and
// the removal happen under `PATH.lock.takeover`, which every takeover must hold.
async function takeOver(lockPath: string, seen: string, foreignStaleMs: number): Promise<void> {
  const guard = `${lockPath}.takeover`;
  if (!(await tryCreate(guard))) {
    const guardText = await readOwner(guard);
    if (guardText !== undefined && (await isStale(guard, guardText, foreignStaleMs))) await unlink(guard).catch(() => undefined);
    await sleep(5);
    return;
  }
  try {
    if ((await readOwner(lockPath)) === seen) await unlink(lockPath).catch(() => undefined);
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

function describeOwner(text: string | undefined): string {
  const owner = text === undefined ? undefined : parseOwner(text);
  return owner ? `pid ${owner.pid} on ${owner.host} since ${owner.at}` : 'another process';
}
