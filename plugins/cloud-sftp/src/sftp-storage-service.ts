// A StorageService on a directory of an SFTP server.
//
// put: the stream goes to a partial file `.NAME.RANDOM.partial` beside the final file (several
// writes in flight, the SHA-256 computed on the way), is flushed (fsync@openssh.com) and its size
// checked against what was sent, then renamed over NAME: with posix-rename@openssh.com the
// replacement is atomic. Each put has its own partial file, so a put that starts again (a source
// that cannot resume) never shares one with its cancelled first attempt, whose writes and cleanup
// may still be on the wire. Metadata (the caller's, and the SHA-256) lives in a hidden sidecar
// `.NAME.meta.json`. A failed or aborted put removes its partial file; if the connection itself
// died, the partial file stays on the server: it is hidden (listings skip dot files), and a later
// put into the same folder removes partial files nobody has written to for STALE_PARTIAL_SECONDS.
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Transform } from 'node:stream';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ExportError } from '@hyperexport/core';
import type { PutOptions, PutResult, RequestOptions, StorageService, StoredObject } from '@hyperexport/core';
import type { FileEntryWithStats, SFTPWrapper, Stats } from 'ssh2';
import type { SftpConnection } from './sftp-connection.ts';
import { request } from './sftp-channel.ts';
import { isNoSuchFile, SFTP_STATUS, sftpError, sftpStatusOf } from './sftp-errors.ts';
import { SftpFileReader } from './sftp-file-reader.ts';
import { SftpFileWriter } from './sftp-file-writer.ts';
import { joinRemote, remotePath, urlOfKey } from './sftp-target.ts';
import type { SftpTarget } from './sftp-target.ts';

const SHA256_KEY = 'sha256';
const CLEANUP_TIMEOUT_MS = 10_000;
/**
 * A partial file nobody has written to for this long belongs to an upload that is gone: a live
 * upload writes all the time (a source that stalls for minutes is timed out long before).
 * Measured against the server's clock (the mtime of the file just written), not ours.
 */
export const STALE_PARTIAL_SECONDS = 60 * 60;
/** Partial files: this plugin's `.NAME.RANDOM.partial`, and the `.NAME.partial` of earlier versions. */
const PARTIAL_FILE = /^\..+\.partial$/;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

export interface SftpServiceOptions {
  readonly fileMode: number;
}

export class SftpStorageService implements StorageService {
  readonly url: string;
  readonly #target: SftpTarget;
  readonly #connection: SftpConnection;
  readonly #options: SftpServiceOptions;

  constructor(target: SftpTarget, connection: SftpConnection, options: SftpServiceOptions) {
    this.#target = target;
    this.#connection = connection;
    this.#options = options;
    this.url = target.url;
  }

  /** Connects now, so a refused host key or login fails at open, not at the first upload. */
  async connect(): Promise<void> {
    await this.#connection.sftp();
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<PutResult> {
    const { signal } = options;
    const path = remotePath(this.#target, key);
    const { directory, name } = splitPath(path);
    const partial = joinRemote(directory, `.${name}.${randomBytes(8).toString('hex')}.partial`);
    const sidecar = joinRemote(directory, `.${name}.meta.json`);
    const what = `uploading ${key} to ${this.url}`;
    signal.throwIfAborted();

    // Whoever fails first is the cause: the other end is then destroyed with the same error.
    let firstFailure: 'source' | 'target' | undefined;
    body.once('error', () => (firstFailure ??= 'source'));
    let sftp: SFTPWrapper | undefined;
    let wroteSidecar = false;
    try {
      sftp = await this.#connection.sftp();
      if (directory !== '') await this.#ensureDirectory(sftp, directory);
      const sha256 = createHash('sha256');
      let counted = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          sha256.update(chunk);
          counted += chunk.length;
          options.onProgress?.(counted);
          callback(null, chunk);
        },
      });
      const writer = new SftpFileWriter(sftp, partial, { mode: this.#options.fileMode });
      writer.once('error', () => (firstFailure ??= 'target'));
      // The source is fed by hand, not put in the pipeline: pipeline() would destroy it with the
      // library's raw error (holding internals such as session URIs) before we can explain it.
      feed(body, meter);
      await pipeline(meter, writer, { signal });
      if (options.size !== undefined && counted !== options.size) {
        throw new ExportError(`${what}: the stream gave ${counted} bytes, ${options.size} were announced`, {
          code: 'VERIFY',
          hint: 'the source changed or was cut short; the partial file was removed',
        });
      }
      if (writer.serverSize !== counted) {
        throw new ExportError(`${what}: the server holds ${writer.serverSize} bytes, ${counted} were sent`, {
          code: 'VERIFY',
          hint: "check the server's disk space; the partial file was removed",
        });
      }
      const hex = sha256.digest('hex');
      // An announced SHA-256 (store-remote's, of a local file) is checked before anything is
      // renamed into place: on a mismatch the partial file goes, and an object already there stays.
      const announced = options.metadata?.[SHA256_KEY];
      if (announced !== undefined && announced !== hex) {
        throw new ExportError(`${what}: the stream's SHA-256 is ${hex}, not the ${announced} it was announced with; nothing was stored`, {
          code: 'VERIFY',
          hint: 'the source changed or was corrupted while it was read; export again',
        });
      }
      // The sidecar goes first, so the object never appears without it.
      await request<void>(sftp!, (done) =>
        sftp!.writeFile(sidecar, JSON.stringify({ ...options.metadata, [SHA256_KEY]: hex }), { mode: this.#options.fileMode } as never, done),
      );
      wroteSidecar = true;
      await this.#replace(sftp, partial, path);
      if (writer.serverMtime !== undefined) await this.#removeStalePartials(sftp, directory, writer.serverMtime);
      return { key, size: counted, sha256: hex };
    } catch (error) {
      // Over a connection that died, requests are never answered: clean up only over a live one.
      if (sftp && this.#connection.isLive(sftp)) {
        await withTimeout(
          request<void>(sftp!, (done) => sftp!.unlink(partial, done)),
          CLEANUP_TIMEOUT_MS,
        ).catch(() => undefined);
        // A sidecar describing bytes that never arrived would be wrong: drop it.
        if (wroteSidecar)
          await withTimeout(
            request<void>(sftp!, (done) => sftp!.unlink(sidecar, done)),
            CLEANUP_TIMEOUT_MS,
          ).catch(() => undefined);
      }
      const failure = ((): unknown => {
        if (signal.aborted) return signal.reason ?? error;
        // A failing source is not a storage problem: keep its error as it is.
        if (firstFailure === 'source') return error;
        return sftpError(error, what, this.#target.host);
      })();
      // Whoever writes into the source learns the same explained error.
      if (!body.destroyed) body.destroy(failure instanceof Error ? failure : new Error(String(failure)));
      throw failure;
    }
  }

  /**
   * Removes the partial files in `directory` left by uploads that are gone (a connection that
   * died cannot clean up after itself). Best effort: a put never fails for it.
   */
  async #removeStalePartials(sftp: SFTPWrapper, directory: string, serverNow: number): Promise<void> {
    try {
      const entries = await request<FileEntryWithStats[]>(sftp, (done) => sftp.readdir(directory === '' ? '.' : directory, done));
      for (const entry of entries) {
        const { mode, mtime } = entry.attrs;
        if (!PARTIAL_FILE.test(entry.filename) || ((mode ?? 0) & S_IFMT) !== S_IFREG) continue;
        if (typeof mtime !== 'number' || serverNow - mtime < STALE_PARTIAL_SECONDS) continue;
        await request<void>(sftp, (done) => sftp.unlink(joinRemote(directory, entry.filename), done)).catch(() => undefined);
      }
    } catch {
      // The folder went away meanwhile, or cannot be listed: the partial files stay hidden.
    }
  }

  /** Renames `from` over `to`: atomically where the server can, else remove-then-rename. */
  async #replace(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
    if (this.#connection.supportsPosixRename(sftp)) {
      await request<void>(sftp, (done) => sftp.ext_openssh_rename(from, to, done));
      return;
    }
    try {
      await request<void>(sftp, (done) => sftp.rename(from, to, done));
    } catch (error) {
      // Plain SFTP rename refuses to overwrite: remove the old file first (not atomic).
      if (sftpStatusOf(error) !== SFTP_STATUS.FAILURE) throw error;
      await request<void>(sftp, (done) => sftp.unlink(to, done)).catch(() => undefined);
      await request<void>(sftp, (done) => sftp.rename(from, to, done));
    }
  }

  /** mkdir -p; one round trip when the directory exists (no cache: others may remove folders). */
  async #ensureDirectory(sftp: SFTPWrapper, directory: string): Promise<void> {
    let stats: Stats | undefined;
    try {
      stats = await request<Stats>(sftp, (done) => sftp.stat(directory, done));
    } catch (error) {
      if (!isNoSuchFile(error)) throw error;
    }
    if (stats && !isDirectory(stats.mode)) {
      throw new ExportError(`${this.url}: ${directory} exists on the server and is not a directory`, {
        code: 'CONFLICT',
        hint: 'remove it or choose another path',
      });
    }
    if (!stats) {
      const { directory: parent } = splitPath(directory);
      if (parent !== '' && parent !== '/') await this.#ensureDirectory(sftp, parent);
      try {
        await request<void>(sftp, (done) => sftp.mkdir(directory, done));
      } catch (error) {
        // Another upload made it meanwhile.
        const again = await request<Stats>(sftp, (done) => sftp.stat(directory, done)).catch(() => undefined);
        if (!again || !isDirectory(again.mode)) throw error;
      }
    }
  }

  async get(key: string, options: RequestOptions): Promise<Readable> {
    const path = remotePath(this.#target, key);
    const what = `reading ${this.urlOf(key)}`;
    const sftp = await this.#sftp(what);
    const stats = await this.#statFile(sftp, path, what);
    if (!stats)
      throw new ExportError(`${this.urlOf(key)} does not exist`, { code: 'NOT_FOUND', hint: `list what is there with \`hyperexport remote ls ${this.url}\`` });
    const source = new SftpFileReader(sftp, path, { size: stats.size });
    const out = new PassThrough({ highWaterMark: 256 * 1024 });
    const fail = (error: unknown) => {
      if (!out.destroyed) out.destroy(sftpError(error, what, this.#target.host));
      source.destroy();
    };
    source.on('error', fail);
    out.once('close', () => {
      if (!source.destroyed) source.destroy();
    });
    const onAbort = () => fail(options.signal.reason ?? new Error('aborted'));
    options.signal.addEventListener('abort', onAbort, { once: true });
    out.once('close', () => options.signal.removeEventListener('abort', onAbort));
    source.pipe(out);
    return out;
  }

  async stat(key: string, options: RequestOptions): Promise<StoredObject | undefined> {
    options.signal.throwIfAborted();
    const path = remotePath(this.#target, key);
    const what = `looking up ${this.urlOf(key)}`;
    const sftp = await this.#sftp(what);
    const stats = await this.#statFile(sftp, path, what);
    if (!stats) return undefined;
    const { directory, name } = splitPath(path);
    return describe(key, stats, await this.#readSidecar(sftp, joinRemote(directory, `.${name}.meta.json`)));
  }

  async *list(prefix: string, options: RequestOptions): AsyncIterable<StoredObject> {
    const what = `listing ${this.url}${prefix}`;
    const sftp = await this.#sftp(what);
    // Start in the deepest directory the prefix names; everything else is outside it.
    const slash = prefix.lastIndexOf('/');
    const startKey = slash < 0 ? '' : prefix.slice(0, slash);
    const found: Array<{ key: string; path: string; stats: Stats }> = [];
    try {
      await this.#walk(sftp, startKey, prefix, found, options.signal);
    } catch (error) {
      throw sftpError(error, what, this.#target.host);
    }
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    // Sidecars hold the SHA-256 and metadata; read a few at a time (one channel, requests pipelined).
    const objects = await mapLimit(found, 8, async ({ key, path, stats }) => {
      const { directory, name } = splitPath(path);
      return describe(key, stats, await this.#readSidecar(sftp, joinRemote(directory, `.${name}.meta.json`)));
    });
    yield* objects;
  }

  async #walk(
    sftp: SFTPWrapper,
    relative: string,
    prefix: string,
    into: Array<{ key: string; path: string; stats: Stats }>,
    signal: AbortSignal,
  ): Promise<void> {
    signal.throwIfAborted();
    const directory = relative === '' ? this.#target.root : joinRemote(this.#target.root, relative);
    let entries: FileEntryWithStats[];
    try {
      entries = await request<FileEntryWithStats[]>(sftp, (done) => sftp.readdir(directory === '' ? '.' : directory, done));
    } catch (error) {
      // Nothing under this prefix (or the folder went away meanwhile).
      if (isNoSuchFile(error)) return;
      throw error;
    }
    for (const entry of entries) {
      // Dot files are work in progress (partial uploads) and sidecars, never objects.
      if (entry.filename.startsWith('.')) continue;
      const key = relative === '' ? entry.filename : `${relative}/${entry.filename}`;
      const mode = entry.attrs.mode ?? 0;
      if (isDirectory(mode)) {
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await this.#walk(sftp, key, prefix, into, signal);
      } else if ((mode & S_IFMT) === S_IFREG && key.startsWith(prefix)) {
        into.push({ key, path: joinRemote(directory, entry.filename), stats: entry.attrs as Stats });
      }
    }
  }

  async delete(key: string, options: RequestOptions): Promise<void> {
    options.signal.throwIfAborted();
    const path = remotePath(this.#target, key);
    const what = `deleting ${this.urlOf(key)}`;
    const sftp = await this.#sftp(what);
    const { directory, name } = splitPath(path);
    for (const victim of [path, joinRemote(directory, `.${name}.meta.json`)]) {
      try {
        await request<void>(sftp, (done) => sftp.unlink(victim, done));
      } catch (error) {
        if (!isNoSuchFile(error)) throw sftpError(error, what, this.#target.host);
      }
    }
    // Remove the folders the delete emptied (an OVF export's folder), up to the root.
    for (
      let current = directory;
      current !== '' && current !== '/' && current !== this.#target.root && current.startsWith(this.#target.root);
      current = splitPath(current).directory
    ) {
      const removed = await request<void>(sftp, (done) => sftp.rmdir(current, done)).then(
        () => true,
        () => false,
      );
      if (!removed) break;
    }
  }

  urlOf(key: string): string {
    return urlOfKey(this.#target, key);
  }

  async close(): Promise<void> {
    await this.#connection.close();
  }

  async #sftp(what: string): Promise<SFTPWrapper> {
    try {
      return await this.#connection.sftp();
    } catch (error) {
      throw sftpError(error, what, this.#target.host);
    }
  }

  async #statFile(sftp: SFTPWrapper, path: string, what: string): Promise<Stats | undefined> {
    try {
      const stats = await request<Stats>(sftp, (done) => sftp.stat(path, done));
      return (stats.mode & S_IFMT) === S_IFREG ? stats : undefined;
    } catch (error) {
      if (isNoSuchFile(error)) return undefined;
      throw sftpError(error, what, this.#target.host);
    }
  }

  async #readSidecar(sftp: SFTPWrapper, path: string): Promise<Record<string, string> | undefined> {
    try {
      const text = await request<Buffer>(sftp, (done) => sftp.readFile(path, done));
      const parsed = JSON.parse(text.toString('utf8')) as unknown;
      if (typeof parsed !== 'object' || parsed === null) return undefined;
      return Object.fromEntries(Object.entries(parsed).filter(([, value]) => typeof value === 'string')) as Record<string, string>;
    } catch {
      // No sidecar (a file put there by other means), or an unreadable one: no metadata.
      return undefined;
    }
  }
}

function describe(key: string, stats: Stats, sidecar: Record<string, string> | undefined): StoredObject {
  const { [SHA256_KEY]: sha256, ...metadata } = sidecar ?? {};
  return {
    key,
    size: stats.size,
    lastModified: stats.mtime ? new Date(stats.mtime * 1000) : undefined,
    sha256,
    metadata: sidecar ? metadata : undefined,
  };
}

function isDirectory(mode: number): boolean {
  return (mode & S_IFMT) === S_IFDIR;
}

function splitPath(path: string): { directory: string; name: string } {
  const cut = path.lastIndexOf('/');
  if (cut < 0) return { directory: '', name: path };
  return { directory: cut === 0 ? '/' : path.slice(0, cut), name: path.slice(cut + 1) };
}

/** Pipes a source into the first stage; a failing source fails the stage (and so the pipeline). */
function feed(source: Readable, into: Writable): void {
  source.once('error', (error) => into.destroy(error));
  source.pipe(into);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function mapLimit<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
