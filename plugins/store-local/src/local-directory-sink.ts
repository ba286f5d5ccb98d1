// Writes one export into a local directory without ever leaving a partial export that looks
// complete: every file is written under a hidden staging folder next to the target,
// `.hyperexport-SOURCE-SETTINGS.partial`, named by the job (see ExportLayout.jobKey) so that a
// rerun after a crash finds it whatever `{time}` rendered; flushed to disk, checked against the
// digest of what was sent, and only then renamed into place. The staging folder holds:
//   files/            the export as it will be published (renamed to NAME/ or NAME.ova, or the
//                     package's stored name when transforms renamed it: NAME.ova.zst)
//   spool/            disks of an OVA waiting to be packed
//   NAME.FORMAT.hyperexport.json   the export's record, published last, beside the export
//   checkpoint.json   what is complete, so a run after a crash continues (docs/checkpoint.md)
//   lock              the pid, host and token of the run writing it, refreshed while it runs
import { randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import type { Stats, WriteStream } from 'node:fs';
import { access, lstat, mkdir, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import {
  ExportError,
  exportRecordName,
  LockTimeoutError,
  acquireFileLock,
  assertSafeFileName,
  digestStream,
  recreateExclusively,
  syncPath,
} from '@hyperexport/core';
import type { Artifact, ExportLayout, ExportRecord, ExportSink, FileDigest, JobKey, LockCompromisedError, LockOptions, SinkFile } from '@hyperexport/core';
import { refusePseudoFileSystem } from './output-file-system.ts';

export interface LocalDirectorySinkOptions {
  /** fsync every file and the directory before publishing. */
  fsync: boolean;
  /** Read every written file back and compare its SHA-256 with what was sent. */
  verify: boolean;
  /** How the staging folder's lock is refreshed and when another host's is stale (tests shorten them). */
  lock?: Pick<LockOptions, 'staleMs' | 'refreshMs' | 'host'> | undefined;
}

/** Staging folders are named by the job: `.hyperexport-SOURCE-SETTINGS.partial`. */
const STAGING_PREFIX = '.hyperexport-';
const STAGING_SUFFIX = '.partial';
const STAGING_NAME = /^\.hyperexport-([0-9a-f]{16})-([0-9a-f]{16})\.partial$/;

export class LocalDirectorySink implements ExportSink {
  readonly directory: string;
  readonly #options: LocalDirectorySinkOptions;
  #layout: ExportLayout | undefined;
  #staging: string | undefined;
  /** The stored name of the OVA package (transforms may have renamed it). */
  #packageName: string | undefined;
  #recordName: string | undefined;
  /** Stops refreshing the staging folder's lock and removes it if it is still ours. */
  #releaseLock: (() => Promise<void>) | undefined;
  /** Set when another run took the lock over: the staging folder is no longer ours to touch. */
  #lockLost: LockCompromisedError | undefined;

  constructor(directory: string, options: LocalDirectorySinkOptions) {
    this.directory = resolve(directory);
    this.#options = options;
  }

  get description(): string {
    return `file://${this.#layout ? this.#finalPath(this.#layout) : this.directory}`;
  }

  async prepare(layout: ExportLayout): Promise<void> {
    this.#layout = layout;
    // Also for a job that skipped the settings check: mkdir under /proc would spin, not fail.
    await refusePseudoFileSystem(this.directory);
    try {
      await mkdir(this.directory, { recursive: true });
      await access(this.directory, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? 'is not writable'
          : code === 'ENOTDIR' || code === 'EEXIST'
            ? 'is not a directory'
            : `cannot be created (${code ?? String(error)})`;
      throw new ExportError(`output directory ${this.directory} ${why}`, {
        code: 'OUTPUT_NOT_WRITABLE',
        hint: 'choose another --output or fix its permissions',
        cause: error,
      });
    }
    const target = this.#finalPath(layout);
    const existing = [target, this.#recordPath(layout)];
    if (!layout.overwrite) {
      for (const path of existing) {
        if (await exists(path))
          throw new ExportError(`an export already exists at ${path}`, {
            code: 'EXPORT_EXISTS',
            hint: 'give --overwrite to replace it, or --name to write another',
          });
      }
    }
    const staging = join(this.directory, stagingName(layout));
    await refuseForeignStaging(staging);
    await mkdir(staging, { recursive: true, mode: 0o700 });
    await refuseForeignStaging(staging);
    this.#releaseLock = await takeLock(join(staging, 'lock'), target, {
      ...this.#options.lock,
      onCompromised: (error) => {
        this.#lockLost = error;
      },
    });
    this.#staging = staging;
    if (layout.jobKey) await this.#sweepSuperseded(layout.jobKey);
    // A staging folder without a checkpoint is debris from a run that cannot be continued.
    if (!(await exists(join(staging, 'checkpoint.json')))) {
      await rm(join(staging, 'files'), { recursive: true, force: true });
      await rm(join(staging, 'spool'), { recursive: true, force: true });
    }
    await mkdir(join(staging, 'files'), { recursive: true });
  }

  spoolDirectory(): string | undefined {
    return this.#staging && join(this.#staging, 'spool');
  }

  checkpointPath(): string | undefined {
    return this.#staging && join(this.#staging, 'checkpoint.json');
  }

  async adoptFile(artifact: Artifact, expected: FileDigest, signal: AbortSignal): Promise<string | undefined> {
    const path = join(this.#filesDirectory(), artifact.name);
    const size = await stat(path).then(
      (info) => info.size,
      () => undefined,
    );
    if (size !== expected.size || (await sha256OfFile(path, signal)) !== expected.sha256) return undefined;
    return this.#publishedPath(artifact.name);
  }

  async createFile(artifact: Artifact, signal: AbortSignal): Promise<SinkFile> {
    assertSafeFileName(artifact.name, 'export file');
    if (artifact.kind === 'package') this.#packageName = artifact.name;
    if (artifact.kind === 'record') this.#recordName = artifact.name;
    const path = this.#stagingPathOf(artifact.name);
    // A file that has to start again (a source that cannot resume) is written anew, never
    // appended to; and created exclusively, never through a link planted at its name.
    // A full disk names the file and the space still needed, not just ENOSPC.
    const stream = await recreateExclusively(path, {
      flush: this.#options.fsync,
      diskFull: { expectedSize: artifact.sourceSize, folder: this.directory, alternative: 'choose another --output' },
    });
    return {
      stream,
      finish: async (expected: FileDigest) => {
        await closed(stream);
        const { size } = await stat(path);
        if (size !== expected.size) throw new ExportError(`${path}: wrote ${size} bytes, expected ${expected.size}`, { code: 'VERIFY' });
        if (this.#options.verify) {
          const actual = await sha256OfFile(path, signal);
          if (actual !== expected.sha256)
            throw new ExportError(`${path}: the file on disk does not match what was sent (SHA-256 ${actual}, expected ${expected.sha256})`, {
              code: 'VERIFY',
            });
        }
        return this.#publishedPath(artifact.name);
      },
    };
  }

  stagedPath(name: string): string | undefined {
    return this.#staging && this.#stagingPathOf(name);
  }

  committedPath(name: string): string | undefined {
    return this.#layout && (this.#staging === undefined ? this.#publishedPath(name) : undefined);
  }

  async commit(): Promise<readonly string[]> {
    const layout = this.#layout!;
    const staging = this.#requireStaging();
    this.#assertLockHeld();
    const target = this.#finalPath(layout);
    const files = this.#filesDirectory();
    const from = layout.format === 'ovf' ? files : join(files, this.#packageName ?? `${layout.baseName}.ova`);
    if (this.#options.fsync && layout.format === 'ovf') await syncPath(files);
    // Replacing: move the old export aside first, so a crash leaves either the old or the new one.
    // The old record names every file of the old export, which may have been stored under other
    // names (NAME.ova.zst); those go too once the new export is in place.
    const previous = layout.overwrite ? await readRecordPaths(this.#recordPath(layout)) : [];
    // The old record goes first, so a crash part-way never leaves it describing the new files.
    if (previous.length > 0) await rm(this.#recordPath(layout), { force: true });
    let replaced: string | undefined;
    // Staging folders are per job, so another job may have published this name meanwhile.
    if (!layout.overwrite) {
      for (const path of [target, this.#recordPath(layout)]) {
        if (await exists(path))
          throw new ExportError(`an export appeared at ${path} while this one was written`, {
            code: 'EXPORT_EXISTS',
            hint: 'give --overwrite to replace it, or --name to write another',
          });
      }
    }
    if (layout.overwrite && (await exists(target))) {
      replaced = join(this.directory, `.${layout.baseName}.${randomBytes(4).toString('hex')}.replaced`);
      await rename(target, replaced);
    }
    await rename(from, target);
    // The record goes last: an export without its record is not one retention will touch.
    if (this.#recordName) await rename(join(staging, this.#recordName), this.#recordPath(layout));
    if (this.#options.fsync) await syncPath(this.directory);
    if (replaced) await rm(replaced, { recursive: true, force: true });
    for (const path of previous) {
      const stale = resolve(this.directory, path);
      if (stale !== target && stale.startsWith(`${this.directory}/`) && !stale.startsWith(`${target}/`)) await rm(stale, { recursive: true, force: true });
    }
    await this.#removeStaging();
    return [target];
  }

  async abort(): Promise<void> {
    // A staging folder whose lock another run took over is that run's now: leave it alone.
    if (this.#lockLost) await this.#releaseLock?.();
    else await this.#removeStaging();
    this.#staging = undefined;
  }

  /**
   * Removes the staging folder: its contents while still holding the lock, then the lock (only if
   * it is still ours), then the folder, which stays if another run has just locked it again.
   */
  async #removeStaging(): Promise<void> {
    const staging = this.#staging;
    this.#staging = undefined;
    if (staging === undefined) return;
    const entries = await readdir(staging).catch(() => [] as string[]);
    for (const entry of entries) if (entry !== 'lock') await rm(join(staging, entry), { recursive: true, force: true });
    await this.#releaseLock?.();
    this.#releaseLock = undefined;
    await rmdir(staging).catch(() => undefined);
  }

  #assertLockHeld(): void {
    if (this.#lockLost) {
      throw new ExportError(`another run took over this export's staging folder: ${this.#lockLost.message}`, {
        code: 'EXPORT_LOCK_LOST',
        hint: 'only one hyperexport may write an export at a time; on a shared folder check that every host can reach it and that their clocks agree',
        cause: this.#lockLost,
      });
    }
  }

  /**
   * Removes the staging folders that earlier runs of the same source left in this folder with
   * other settings (another format, name or stages) and whose run is gone (its lock is dead):
   * they can never be continued by this job, and this job's export supersedes them. Folders of
   * other sources are kept for their own rerun, and a live run's folder is never touched.
   */
  async #sweepSuperseded(jobKey: JobKey): Promise<void> {
    const entries = await readdir(this.directory).catch(() => [] as string[]);
    for (const entry of entries) {
      const match = STAGING_NAME.exec(entry);
      if (!match || match[1] !== jobKey.source || match[2] === jobKey.settings) continue;
      const folder = join(this.directory, entry);
      // Only a real folder of our own: through a link planted by that name (or in someone
      // else's folder) the sweep would empty whatever folder it points at.
      const info = await lstat(folder).catch(() => undefined);
      if (!info || foreignBecause(info) !== undefined) continue;
      const lock = join(folder, 'lock');
      // A folder without a lock is being created right now (mkdir, then the lock): not stale.
      if (!(await exists(lock))) continue;
      let release: (() => Promise<void>) | undefined;
      try {
        release = await acquireFileLock(lock, { ...this.#options.lock, timeoutMs: 0 });
      } catch {
        continue; // alive, or not ours to judge
      }
      try {
        for (const child of await readdir(folder)) if (child !== 'lock') await rm(join(folder, child), { recursive: true, force: true });
      } finally {
        await release();
      }
      await rmdir(folder).catch(() => undefined);
    }
  }

  #finalPath(layout: ExportLayout): string {
    return join(this.directory, layout.format === 'ova' ? (this.#packageName ?? `${layout.baseName}.ova`) : layout.baseName);
  }

  #recordPath(layout: ExportLayout): string {
    return join(this.directory, exportRecordName(layout));
  }

  /** Where a file is while staged: the record beside files/, everything else inside it. */
  #stagingPathOf(name: string): string {
    return name === this.#recordName ? join(this.#requireStaging(), name) : join(this.#filesDirectory(), name);
  }

  #publishedPath(name: string): string {
    const layout = this.#layout!;
    if (name === this.#recordName) return this.#recordPath(layout);
    return layout.format === 'ovf' ? join(this.#finalPath(layout), name) : join(this.directory, name);
  }

  #filesDirectory(): string {
    return join(this.#requireStaging(), 'files');
  }

  #requireStaging(): string {
    if (!this.#staging) throw new Error('LocalDirectorySink used before prepare()');
    return this.#staging;
  }
}

/**
 * One run at a time per export job. A lock whose process is gone (a crash), or another host's
 * that its owner stopped refreshing, is taken over, which is how a crashed export gets continued.
 */
async function takeLock(lockPath: string, target: string, options: LockOptions): Promise<() => Promise<void>> {
  try {
    return await acquireFileLock(lockPath, { ...options, timeoutMs: 0 });
  } catch (error) {
    if (!(error instanceof LockTimeoutError)) throw error;
    throw new ExportError(`another export is writing ${target}: ${error.message}`, {
      code: 'EXPORT_LOCKED',
      hint: 'wait for it to finish, or stop it',
      cause: error,
    });
  }
}

/**
 * The staging folder of an export: named by the job when the core says which job it is, so that
 * a rerun with another rendered `{time}` finds it; by the export's name otherwise.
 */
function stagingName(layout: ExportLayout): string {
  return layout.jobKey ? `${STAGING_PREFIX}${layout.jobKey.source}-${layout.jobKey.settings}${STAGING_SUFFIX}` : `.${layout.baseName}${STAGING_SUFFIX}`;
}

/** The files an earlier export's record lists (relative paths), or none. */
async function readRecordPaths(recordPath: string): Promise<string[]> {
  try {
    const record = JSON.parse(await readFile(recordPath, 'utf8')) as Partial<ExportRecord>;
    return Array.isArray(record.files) ? record.files.map((file) => file.path.split('/')[0]!).filter((path) => path !== '' && path !== '..') : [];
  } catch {
    return [];
  }
}

/**
 * The staging folder is continued after a crash, so it has a fixed name; in a shared output
 * folder someone else could have made it (or a link by its name) to have our files written
 * where they choose. Only a real folder of our own is used.
 */
async function refuseForeignStaging(staging: string): Promise<void> {
  const info = await lstat(staging).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!info) return;
  const foreign = foreignBecause(info);
  if (foreign) {
    throw new ExportError(`the staging folder ${staging} ${foreign}: refusing to write the export through it`, {
      code: 'OUTPUT_NOT_WRITABLE',
      hint: 'remove it (it is not an export of yours), or choose another --output',
    });
  }
}

/** Why a staging folder (its lstat) is not ours to write into or remove, or undefined when it is. */
function foreignBecause(info: Stats): string | undefined {
  const uid = process.getuid?.();
  if (!info.isDirectory()) return 'is not a folder (a link or a file)';
  return uid !== undefined && info.uid !== uid ? `belongs to user id ${info.uid}, not to this one (${uid})` : undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Waits for the file descriptor to be flushed (the `flush` option) and closed. */
async function closed(stream: WriteStream): Promise<void> {
  if (stream.closed) return;
  await finished(stream);
  if (!stream.closed) await new Promise<void>((done) => stream.once('close', () => done()));
}

async function sha256OfFile(path: string, signal: AbortSignal): Promise<string> {
  return (await digestStream(createReadStream(path, { highWaterMark: 1 << 20 }), signal)).sha256;
}
