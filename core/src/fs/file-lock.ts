// A lock file shared by every process writing one file or folder: `PATH.lock` (or the local
// store's `lock`), created with `wx` (O_CREAT|O_EXCL: atomic on local filesystems and on NFSv3
// and later), holding the owner's pid, host and a random token. As proper-lockfile does, the
// owner touches the lock's modification time while it holds it, so a lock from another host
// (whose pid cannot be checked) is stale only when its owner stopped refreshing it, not merely
// because the export is long; a lock on this host is stale when its process is gone. A stale lock
// is taken over; the takeover goes through a second lock so that two waiters that both saw the
// dead owner cannot both remove the lock (one of them would remove the other's fresh lock).
// The owner removes the lock only while it still holds its token: a lock taken over is someone
// else's. The history holds it for milliseconds (a read, an append, maybe a rewrite); the local
// store holds it for a whole export, and asks with `timeoutMs: 0` to fail at once when a live
// run has it.
import { randomBytes } from 'node:crypto';
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { brandError } from '../errors.ts';

export interface LockOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /**
   * A lock from another host cannot be checked by pid: it is stale once its modification time
   * is this old, i.e. its owner stopped refreshing it (default 2 min, allowing for clocks that
   * differ between hosts sharing an NFS or SMB folder).
   */
  staleMs?: number;
  /** How often the owner touches the lock while it holds it (default a quarter of `staleMs`). */
  refreshMs?: number;
  /**
   * Called at most once when the lock was found to be no longer ours while held (taken over by
   * another process, or removed): whatever it protects may be written by someone else now.
   */
  onCompromised?: (error: LockCompromisedError) => void;
  /** The host name recorded in the lock; tests set it to play a second host. Default: this machine's. */
  host?: string;
}

interface LockOwner {
  pid: number;
  host: string;
  at: string;
  /** Random per acquisition: tells this holder's lock from a later owner's, even with the same pid. */
  token?: string;
}

const DEFAULT_STALE_MS = 2 * 60_000;
/** A lock without a readable owner: its creator died between creating and writing it, or is writing now. */
const TORN_STALE_MS = 5_000;

export class LockTimeoutError extends Error {
  static {
    brandError(this, 'hyperexport.LockTimeoutError');
  }

  readonly code = 'LOCK_TIMEOUT';
  readonly lockPath: string;
  constructor(lockPath: string, owner: string) {
    super(`${lockPath} is held by ${owner}; if no hyperexport is running there, remove the lock file`);
    this.name = 'LockTimeoutError';
    this.lockPath = lockPath;
  }
}

export class LockCompromisedError extends Error {
  static {
    brandError(this, 'hyperexport.LockCompromisedError');
  }

  readonly code = 'LOCK_COMPROMISED';
  readonly lockPath: string;
  constructor(lockPath: string, why: string) {
    super(`the lock ${lockPath} is no longer ours: ${why}`);
    this.name = 'LockCompromisedError';
    this.lockPath = lockPath;
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

/**
 * Takes the lock file `lockPath`, waiting up to `timeoutMs`; returns the function that releases
 * it (stops refreshing it and removes it if it is still ours).
 */
export async function acquireFileLock(lockPath: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const owner: LockOwner = { pid: process.pid, host: options.host ?? hostname(), at: new Date().toISOString(), token: randomBytes(16).toString('hex') };
  await acquire(lockPath, owner, options.timeoutMs ?? 10_000, staleMs);
  const refresher = new Refresher(lockPath, owner, options.refreshMs ?? staleMs / 4, options.onCompromised);
  return async () => {
    refresher.stop();
    await releaseIfOurs(lockPath, owner, staleMs);
  };
}

async function acquire(lockPath: string, owner: LockOwner, timeoutMs: number, staleMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    if (await tryCreate(lockPath, owner)) return;
    const seen = await readOwner(lockPath);
    if (seen !== undefined && (await isStale(lockPath, seen, owner.host, staleMs))) {
      if ((await takeOver(lockPath, seen, owner.host, staleMs)) || Date.now() <= deadline) continue;
      // The guard stayed busy until the deadline: its holder is stuck, or died with its pid reused.
      const guard = guardPath(lockPath);
      throw new LockTimeoutError(guard, describeOwner(await readOwner(guard)));
    }
    if (Date.now() > deadline) throw new LockTimeoutError(lockPath, describeOwner(seen));
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 200);
  }
}

/** Creates the lock file; false when it exists. */
async function tryCreate(lockPath: string, owner: LockOwner): Promise<boolean> {
  let handle;
  try {
    handle = await open(lockPath, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
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
    if (typeof value.pid === 'number' && typeof value.host === 'string') {
      return { pid: value.pid, host: value.host, at: String(value.at ?? ''), ...(typeof value.token === 'string' ? { token: value.token } : {}) };
    }
  } catch {
    // An empty or torn lock: its owner died between creating and writing it, or is writing now.
  }
  return undefined;
}

async function isStale(lockPath: string, text: string, ourHost: string, staleMs: number): Promise<boolean> {
  const owner = parseOwner(text);
  const age = await lockAge(lockPath);
  if (age === undefined) return false; // gone: the next attempt creates it
  if (!owner) return age > TORN_STALE_MS; // torn: give a live writer time to finish writing it
  if (owner.host !== ourHost) return age > staleMs;
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
// the removal happen under `PATH.takeover`, which every takeover (and every release) must hold.
// False when another process held the guard.
async function takeOver(lockPath: string, seen: string, ourHost: string, staleMs: number): Promise<boolean> {
  return underGuard(
    lockPath,
    ourHost,
    staleMs,
    async () => {
      if ((await readOwner(lockPath)) === seen) await unlink(lockPath).catch(() => undefined);
    },
    async () => {
      await sleep(5);
    },
  );
}

/**
 * Removes the lock if it still carries our token. Under the takeover guard, so that a takeover
 * that found it stale cannot remove it between our check and our unlink; when the guard stays
 * busy (its holder died just now), the check is made without it rather than leaving our own
 * lock behind for as long as this process lives.
 */
async function releaseIfOurs(lockPath: string, owner: LockOwner, staleMs: number): Promise<void> {
  const removeIfOurs = async () => {
    const text = await readOwner(lockPath).catch(() => undefined);
    if (text !== undefined && parseOwner(text)?.token === owner.token) await unlink(lockPath).catch(() => undefined);
  };
  for (let attempt = 0; attempt < 40; attempt++) {
    if (await underGuard(lockPath, owner.host, staleMs, removeIfOurs)) return;
    await sleep(5 + attempt * 5);
  }
  await removeIfOurs();
}

/** Runs `body` holding `PATH.takeover`; false (after `busy`) when another process holds it. */
async function underGuard(lockPath: string, ourHost: string, staleMs: number, body: () => Promise<void>, busy?: () => Promise<void>): Promise<boolean> {
  const guard = guardPath(lockPath);
  const guardOwner: LockOwner = { pid: process.pid, host: ourHost, at: new Date().toISOString(), token: randomBytes(16).toString('hex') };
  if (!(await tryCreate(guard, guardOwner))) {
    const guardText = await readOwner(guard);
    if (guardText !== undefined && (await isStale(guard, guardText, ourHost, staleMs))) await unlink(guard).catch(() => undefined);
    await busy?.();
    return false;
  }
  try {
    await body();
  } finally {
    await unlink(guard).catch(() => undefined);
  }
  return true;
}

function guardPath(lockPath: string): string {
  return `${lockPath}.takeover`;
}

/** Touches the lock every `intervalMs` while it is held, checking first that it is still ours. */
class Refresher {
  readonly #timer: NodeJS.Timeout;
  #stopped = false;
  #busy = false;

  constructor(lockPath: string, owner: LockOwner, intervalMs: number, onCompromised: LockOptions['onCompromised']) {
    const compromised = (why: string) => {
      this.stop();
      onCompromised?.(new LockCompromisedError(lockPath, why));
    };
    this.#timer = setInterval(
      () => {
        if (this.#busy || this.#stopped) return;
        this.#busy = true;
        void (async () => {
          try {
            const text = await readOwner(lockPath);
            if (this.#stopped) return;
            if (text === undefined) return compromised('it was removed');
            const current = parseOwner(text);
            if (current?.token !== owner.token) return compromised(`it was taken over by ${describeOwner(text)}`);
            const now = new Date();
            await utimes(lockPath, now, now);
          } catch (error) {
            // A refresh that fails once (a network blip) is retried at the next tick; a lock that
            // stays unrefreshed is seen as stale by others, and then as taken over here.
            if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !this.#stopped) compromised('it was removed');
          } finally {
            this.#busy = false;
          }
        })();
      },
      Math.max(1, intervalMs),
    );
    // A held lock must not keep the process alive on its own.
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }
}

function describeOwner(text: string | undefined): string {
  const owner = text === undefined ? undefined : parseOwner(text);
  return owner ? `pid ${owner.pid} on ${owner.host} since ${owner.at}` : 'another process';
}
