import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HistoryEntry } from './entry.ts';
import { HistoryStore, readHistory } from './history-store.ts';

const exec = promisify(execFile);

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'history-store-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function entry(id: string, status: HistoryEntry['status'] = 'succeeded'): HistoryEntry {
  return {
    version: 1,
    id,
    vm: `vm-${id}`,
    status,
    format: 'ova',
    startedAt: '2026-05-01T10:00:00.000Z',
    finishedAt: '2026-05-01T10:01:00.000Z',
    durationMs: 60_000,
    bytesRead: 100,
    bytesStored: 120,
    files: [{ name: `${id}.ova`, size: 120, sha256: 'ab'.repeat(32) }],
    locations: [`/backups/${id}.ova`],
    warnings: 0,
  };
}

const ids = async (path: string) => (await readHistory(path)).entries.map((e) => e.id);

describe('HistoryStore', () => {
  it('appends entries in order, making the folder 0700 and the file 0600', async () => {
    const path = join(work, 'nested', 'dir', 'history.jsonl');
    const store = new HistoryStore(path);
    await store.append(entry('a'));
    await store.append(entry('b', 'failed'));
    expect(await ids(path)).toEqual(['a', 'b']);
    expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(3);
    expect((await stat(join(work, 'nested', 'dir'))).mode & 0o777).toBe(0o700);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(work, 'nested', 'dir'))).toEqual(['history.jsonl']); // no lock or temp file left
  });

  it('reads a missing file as an empty history', async () => {
    expect(await readHistory(join(work, 'none.jsonl'))).toMatchObject({ entries: [], corrupt: 0, exists: false });
  });

  it('keeps only the newest `keep` entries, rewriting the file with mode 0600', async () => {
    const path = join(work, 'history.jsonl');
    const store = new HistoryStore(path, { keep: 3 });
    for (const id of ['1', '2', '3', '4', '5']) await store.append(entry(id));
    expect(await ids(path)).toEqual(['3', '4', '5']);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(work)).toEqual(['history.jsonl']);
  });

  it('loses nothing when many exports of one process finish at once', async () => {
    const path = join(work, 'history.jsonl');
    // Several store objects on one file, as two plugin instances or copies would have.
    const stores = [new HistoryStore(path), new HistoryStore(path), new HistoryStore(path)];
    await Promise.all(Array.from({ length: 60 }, (_, index) => stores[index % 3]!.append(entry(String(index)))));
    const read = await readHistory(path);
    expect(read.corrupt).toBe(0);
    expect(read.entries.map((e) => e.id).sort()).toEqual(Array.from({ length: 60 }, (_, index) => String(index)).sort());
  });

  it('loses nothing when several processes append and trim at once', async () => {
    const path = join(work, 'history.jsonl');
    const storeModule = fileURLToPath(new URL('./history-store.ts', import.meta.url));
    const script = `
      const { HistoryStore } = await import(${JSON.stringify(storeModule)});
      const store = new HistoryStore(process.argv[1], { keep: 1000 });
      const tag = process.argv[2];
      await Promise.all(Array.from({ length: 15 }, (_, i) => store.append({
        version: 1, id: tag + '-' + i, vm: 'vm', status: 'succeeded', format: 'ova',
        startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), durationMs: 1,
        bytesRead: 1, bytesStored: 1, files: [], locations: [], warnings: 0,
      })));
    `;
    await Promise.all(['p0', 'p1', 'p2', 'p3'].map((tag) => exec(process.execPath, ['--input-type=module', '-e', script, path, tag])));
    const read = await readHistory(path);
    expect(read.corrupt).toBe(0);
    expect(read.entries).toHaveLength(60);
    expect(new Set(read.entries.map((e) => e.id)).size).toBe(60);
  });

  it('trims concurrently appended entries to exactly `keep`, dropping only the oldest', async () => {
    const path = join(work, 'history.jsonl');
    const store = new HistoryStore(path, { keep: 10 });
    for (let index = 0; index < 10; index++) await store.append(entry(`old${index}`));
    await Promise.all(Array.from({ length: 10 }, (_, index) => store.append(entry(`new${index}`))));
    expect((await ids(path)).sort()).toEqual(Array.from({ length: 10 }, (_, index) => `new${index}`).sort());
  });

  it('skips a corrupt line when reading, and drops it on a rewrite without losing valid entries', async () => {
    const path = join(work, 'history.jsonl');
    const store = new HistoryStore(path, { keep: 4 });
    await store.append(entry('a'));
    await appendFile(path, '{"version":1,"id":"torn","vm":"x","stat\n');
    await appendFile(path, 'not json at all\n');
    await appendFile(path, '{"version":1,"id":"no-fields"}\n');
    await store.append(entry('b'));
    let read = await readHistory(path);
    expect(read.entries.map((e) => e.id)).toEqual(['a', 'b']);
    expect(read).toMatchObject({ corrupt: 3, corruptLines: [2, 3, 4] });

    for (const id of ['c', 'd']) await store.append(entry(id));
    expect((await readHistory(path)).corrupt).toBe(3); // 4 valid entries: no trim yet, nothing rewritten
    await store.append(entry('e'));
    read = await readHistory(path);
    expect(read.entries.map((e) => e.id)).toEqual(['b', 'c', 'd', 'e']);
    expect(read.corrupt).toBe(0);
  });

  it('starts a new line after a line torn by a crash, so the next entry is not swallowed', async () => {
    const path = join(work, 'history.jsonl');
    await writeFile(path, `${JSON.stringify(entry('a'))}\n{"version":1,"id":"torn`);
    await new HistoryStore(path).append(entry('b'));
    const read = await readHistory(path);
    expect(read.entries.map((e) => e.id)).toEqual(['a', 'b']);
    expect(read.corrupt).toBe(1);
  });

  it('keeps entries of a newer format version on rewrites but does not show them', async () => {
    const path = join(work, 'history.jsonl');
    await writeFile(path, `${JSON.stringify({ version: 2, id: 'future', anything: true })}\n`);
    const store = new HistoryStore(path, { keep: 3 });
    await store.append(entry('a'));
    await store.append(entry('b'));
    expect(await readHistory(path)).toMatchObject({ newer: 1, corrupt: 0 });
    await store.append(entry('c'));
    expect(await readHistory(path)).toMatchObject({ newer: 0 });
    expect(await ids(path)).toEqual(['a', 'b', 'c']); // the newer entry was the oldest: it counts toward keep
  });

  it('clears every entry and corrupt line', async () => {
    const path = join(work, 'history.jsonl');
    const store = new HistoryStore(path);
    await store.append(entry('a'));
    await appendFile(path, 'garbage\n');
    await store.append(entry('b'));
    expect(await store.clear()).toBe(2);
    expect(await readFile(path, 'utf8')).toBe('');
    expect(await new HistoryStore(join(work, 'missing.jsonl')).clear()).toBe(0);
  });

  it('refuses a keep below 1', () => {
    expect(() => new HistoryStore(join(work, 'h.jsonl'), { keep: 0 })).toThrow(/keep/);
  });
});
