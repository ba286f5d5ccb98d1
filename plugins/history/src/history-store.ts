// The history file: JSON Lines, one entry per export, newest last. Writers append under a lock;
// when the file holds more than `keep` entries it is rewritten (temporary file in the same folder,
// fsync, rename), so a reader sees either the old or the new file and a crash loses nothing.
// Within one process, batch runs finish jobs concurrently: writes to one file are also chained
// on a promise so they never wait on the lock file for each other.
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseLine } from './entry.ts';
import type { HistoryEntry } from './entry.ts';
import { withFileLock, writeFileAtomic } from '@hyperexport/core';
import type { LockOptions } from '@hyperexport/core';

export const DEFAULT_KEEP = 1000;

export interface HistoryRead {
  /** The readable entries, oldest first (file order: the order the exports finished). */
  readonly entries: HistoryEntry[];
  /** Lines that were not a valid entry (torn writes, hand edits); they were skipped. */
  readonly corrupt: number;
  /** 1-based numbers of those lines. */
  readonly corruptLines: readonly number[];
  /** Entries written by a newer version of the history format; skipped, never deleted. */
  readonly newer: number;
  /** False when the file does not exist yet. */
  readonly exists: boolean;
}

export interface HistoryStoreOptions {
  /** Entries kept; older ones are dropped when the file is rewritten. */
  keep?: number;
  lock?: LockOptions;
}

// One queue per file for the whole process, whichever store object writes to it.
const queues = new Map<string, Promise<void>>();

function serialize<T>(key: string, body: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.then(body);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return run;
}

export class HistoryStore {
  readonly path: string;
  readonly keep: number;
  readonly #lock: LockOptions;

  constructor(path: string, options: HistoryStoreOptions = {}) {
    this.path = resolve(path);
    this.keep = options.keep ?? DEFAULT_KEEP;
    if (!Number.isInteger(this.keep) || this.keep < 1) throw new RangeError(`keep must be a whole number of at least 1 (got ${this.keep})`);
    this.#lock = options.lock ?? {};
  }

  /** Adds one entry; drops the oldest when more than `keep` are held. */
  append(entry: HistoryEntry): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    return this.#exclusive(async () => {
      await appendLine(this.path, line);
      const text = await readFile(this.path, 'utf8');
      const scan = scanLines(text);
      if (scan.kept.length > this.keep) await rewriteFile(this.path, scan.kept.slice(-this.keep));
    });
  }

  /** Reads the file; a missing file is an empty history. */
  read(): Promise<HistoryRead> {
    return readHistory(this.path);
  }

  /** Empties the history; returns how many entries it held. */
  clear(): Promise<number> {
    return this.#exclusive(async () => {
      const text = await readText(this.path);
      if (text === undefined) return 0;
      const scan = scanLines(text);
      await rewriteFile(this.path, []);
      return scan.entries.length + scan.newer;
    });
  }

  // The process-wide queue, then the lock file shared with other processes.
  #exclusive<T>(body: () => Promise<T>): Promise<T> {
    return serialize(this.path, async () => {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      return withFileLock(`${this.path}.lock`, body, this.#lock);
    });
  }
}

/** Reads a history file without taking the lock (rewrites are atomic renames). */
export async function readHistory(path: string): Promise<HistoryRead> {
  const text = await readText(path);
  if (text === undefined) return { entries: [], corrupt: 0, corruptLines: [], newer: 0, exists: false };
  const { entries, corruptLines, newer } = scanLines(text);
  return { entries, corrupt: corruptLines.length, corruptLines, newer, exists: true };
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

interface Scan {
  entries: HistoryEntry[];
  /** Every line worth keeping on a rewrite, as written: entries and newer-version entries. */
  kept: string[];
  corruptLines: number[];
  newer: number;
}

function scanLines(text: string): Scan {
  const scan: Scan = { entries: [], kept: [], corruptLines: [], newer: 0 };
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line) continue;
    const parsed = parseLine(line);
    if (parsed.kind === 'corrupt') {
      scan.corruptLines.push(index + 1);
      continue;
    }
    scan.kept.push(line);
    if (parsed.kind === 'entry') scan.entries.push(parsed.entry);
    else scan.newer += 1;
  }
  return scan;
}

// Appends under the lock. A line left unterminated by a crash would swallow the next entry into
// one corrupt line, so the new line then starts on a line of its own.
async function appendLine(path: string, line: string): Promise<void> {
  const handle = await open(path, 'a+', 0o600);
  try {
    const { size } = await handle.stat();
    let text = line;
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) text = `\n${line}`;
    }
    await handle.appendFile(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Replaces the file with `lines` atomically: temporary file beside it, fsync, rename, fsync the folder. */
async function rewriteFile(path: string, lines: readonly string[]): Promise<void> {
  await writeFileAtomic(path, lines.map((line) => `${line}\n`).join(''));
}
