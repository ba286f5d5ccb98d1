// Writes one export into a local directory without ever leaving a partial export that looks
// complete: every file is written under a hidden `.NAME.partial` staging folder next to the
// target, flushed to disk, checked against the digest of what was sent, and only then renamed
// into place. The staging folder holds:
//   files/            the export as it will be published (renamed to NAME/ or NAME.ova, or the
//                     package's stored name when transforms renamed it: NAME.ova.zst)
//   spool/            disks of an OVA waiting to be packed
//   NAME.FORMAT.hyperexport.json   the export's record, published last, beside the export
//   checkpoint.json   what is complete, so a run after a crash continues (docs/checkpoint.md)
//   lock              the pid of the run writing it
import { randomBytes } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { access, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { ExportError, exportRecordName, LockTimeoutError, acquireFileLock, assertSafeFileName, digestStream, syncPath } from '@hyperexport/core';
import type { Artifact, ExportLayout, ExportRecord, ExportSink, FileDigest, SinkFile } from '@hyperexport/core';

export interface LocalDirectorySinkOptions {
  /** fsync every file and the directory before publishing. */
  fsync: boolean;
  /** Read every written file back and compare its SHA-256 with what was sent. */
  verify: boolean;
}

export class LocalDirectorySink implements ExportSink {
  readonly directory: string;
  readonly #options: LocalDirectorySinkOptions;
  #layout: ExportLayout | undefined;
  #staging: string | undefined;
  /** The stored name of the OVA package (transforms may have renamed it). */
  #packageName: string | undefined;
  #recordName: string | undefined;

  constructor(directory: string, options: LocalDirectorySinkOptions) {
    this.directory = resolve(directory);
    this.#options = options;
  }

  get description(): string {
    return `file://${this.#layout ? this.#finalPath(this.#layout) : this.directory}`;
  }

  async prepare(layout: ExportLayout): Promise<void> {
    this.#layout = layout;
    try {
      await mkdir(this.directory, { recursive: true });
      await access(this.directory, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'is not writable' : code === 'ENOTDIR' || code === 'EEXIST' ? 'is not a directory' : `cannot be created (${code ?? String(error)})`;
      throw new ExportError(`output directory ${this.directory} ${why}`, { code: 'OUTPUT_NOT_WRITABLE', hint: 'choose another --output or fix its permissions', cause: error });
    }
    const target = this.#finalPath(layout);
    const existing = [target, this.#recordPath(layout)];
    if (!layout.overwrite) {
      for (const path of existing) {
        if (await exists(path)) throw new ExportError(`an export already exists at ${path}`, { code: 'EXPORT_EXISTS', hint: 'give --overwrite to replace it, or --name to write another' });
      }
    }
    const staging = join(this.directory, `.${layout.baseName}.partial`);
    await mkdir(staging, { recursive: true });
    await takeLock(join(staging, 'lock'), target);
    this.#staging = staging;
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
    const size = await stat(path).then((info) => info.size, () => undefined);
    if (size !== expected.size || (await sha256OfFile(path, signal)) !== expected.sha256) return undefined;
    return this.#publishedPath(artifact.name);
  }

  async createFile(artifact: Artifact, signal: AbortSignal): Promise<SinkFile> {
    assertSafeFileName(artifact.name, 'export file');
    if (artifact.kind === 'package') this.#packageName = artifact.name;
    if (artifact.kind === 'record') this.#recordName = artifact.name;
    const path = this.#stagingPathOf(artifact.name);
    // 'w': a file that has to start again (a source that cannot resume) is truncated, never appended to.
    const stream = createWriteStream(path, { flags: 'w', flush: this.#options.fsync });
    return {
      stream,
      finish: async (expected: FileDigest) => {
        await closed(stream);
        const { size } = await stat(path);
        if (size !== expected.size) throw new ExportError(`${path}: wrote ${size} bytes, expected ${expected.size}`, { code: 'VERIFY' });
        if (this.#options.verify) {
          const actual = await sha256OfFile(path, signal);
          if (actual !== expected.sha256) throw new ExportError(`${path}: the file on disk does not match what was sent (SHA-256 ${actual}, expected ${expected.sha256})`, { code: 'VERIFY' });
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
    await rm(staging, { recursive: true, force: true });
    this.#staging = undefined;
    return [target];
  }

  async abort(): Promise<void> {
    if (this.#staging) await rm(this.#staging, { recursive: true, force: true });
    this.#staging = undefined;
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
 * One run at a time per export. A lock whose process is gone (a crash) is taken over, which is
 * how a crashed export gets continued; the lock goes with the staging folder when it is removed.
 */
async function takeLock(lockPath: string, target: string): Promise<void> {
  try {
    await acquireFileLock(lockPath, { timeoutMs: 0 });
  } catch (error) {
    if (!(error instanceof LockTimeoutError)) throw error;
    throw new ExportError(`another export is writing ${target}: ${error.message}`, { code: 'EXPORT_LOCKED', hint: 'wait for it to finish, or stop it', cause: error });
  }
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
