// An export streamed straight to a storage target while it downloads: each file is an upload of
// unknown length. Objects become visible as each upload completes, so completeness is marked by
// the export's record, which the core writes last; a failed or cancelled export deletes what it
// had uploaded, record first.
import { PassThrough, Writable } from 'node:stream';
import { ExportError, exportRecordName, readExportRecord } from '@hyperexport/core';
import type { Artifact, EventBus, ExportLayout, ExportSink, FileDigest, FoundExport, SinkFile, StorageService } from '@hyperexport/core';
import { keyOf } from './targets.ts';
import { targetProgress } from './target-progress.ts';

export class RemoteSink implements ExportSink {
  readonly #service: StorageService;
  readonly #progress: { bus: EventBus; jobId: string };
  readonly #controller = new AbortController();
  readonly #written: string[] = [];
  #layout: ExportLayout | undefined;
  #previous: FoundExport | undefined;
  #packageKey: string | undefined;
  readonly #uploads: Promise<unknown>[] = [];

  constructor(service: StorageService, parentSignal: AbortSignal, progress: { bus: EventBus; jobId: string }) {
    this.#service = service;
    this.#progress = progress;
    parentSignal.addEventListener('abort', () => this.#controller.abort(parentSignal.reason), { once: true });
  }

  get description(): string {
    return this.#service.url;
  }

  async prepare(layout: ExportLayout, signal: AbortSignal): Promise<void> {
    this.#layout = layout;
    const recordKey = exportRecordName(layout);
    if (!(await this.#service.stat(recordKey, { signal }))) return;
    if (!layout.overwrite) {
      throw new ExportError(`an export already exists at ${this.#service.urlOf(recordKey)}`, {
        code: 'EXPORT_EXISTS',
        hint: 'give --overwrite to replace it, or --name to write another',
      });
    }
    this.#previous = await readExportRecord(this.#service, recordKey, signal);
    // Its files are about to be overwritten: without its record it no longer claims to be complete.
    await this.#service.delete(recordKey, { signal });
  }

  async createFile(artifact: Artifact): Promise<SinkFile> {
    const layout = this.#layout!;
    const key = keyOf(layout.baseName, layout.format, artifact.name, artifact.kind);
    // The backend reads `body`; the core writes `stream`. A backend may destroy `body` with its
    // library's raw error (which can carry a session URL); the core only ever sees put()'s own,
    // explained rejection.
    // Each file's upload has its own signal: a file that starts again (a source that cannot
    // resume) cancels its first upload before the second begins.
    const fileController = new AbortController();
    const cancelFile = () => fileController.abort(this.#controller.signal.reason);
    this.#controller.signal.addEventListener('abort', cancelFile, { once: true });
    const body = new PassThrough({ highWaterMark: 1 << 20 });
    const stream = new Writable({
      highWaterMark: 1 << 20,
      write(chunk: Buffer, _encoding, callback) {
        if (body.write(chunk)) callback();
        else body.once('drain', () => callback());
      },
      final(callback) {
        body.end();
        callback();
      },
      destroy(error, callback) {
        if (error) {
          fileController.abort(error);
          body.destroy(error);
        }
        callback(error);
      },
    });
    body.on('error', () => undefined);
    const { bus, jobId } = this.#progress;
    const progress = targetProgress(bus, { jobId, target: this.#service.url, name: artifact.name, total: artifact.sourceSize });
    const upload = this.#service.put(key, body, {
      signal: fileController.signal,
      contentType: artifact.kind === 'record' ? 'application/json' : 'application/octet-stream',
      onProgress: progress.report,
    });
    void upload.then(progress.finish, () => undefined);
    // An upload that fails stops the pipeline writing into it, instead of leaving it blocked.
    upload.catch((error: unknown) => stream.destroy(error instanceof Error ? error : new Error(String(error))));
    this.#uploads.push(
      upload
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => this.#controller.signal.removeEventListener('abort', cancelFile)),
    );
    if (!this.#written.includes(key)) this.#written.push(key);
    if (artifact.kind === 'package') this.#packageKey = key;
    return {
      stream,
      finish: async (expected: FileDigest) => {
        const result = await upload;
        if (result.size !== expected.size) {
          throw new ExportError(`${this.#service.urlOf(key)}: the target holds ${result.size} bytes, ${expected.size} were sent`, {
            code: 'VERIFY',
            hint: 'export again',
          });
        }
        if (result.sha256 !== undefined && result.sha256 !== expected.sha256) {
          throw new ExportError(`${this.#service.urlOf(key)}: the target's SHA-256 differs from what was sent`, { code: 'VERIFY', hint: 'export again' });
        }
        return this.#service.urlOf(key);
      },
    };
  }

  async commit(signal: AbortSignal): Promise<readonly string[]> {
    const layout = this.#layout!;
    // Files of the replaced export that the new one did not overwrite.
    if (this.#previous) {
      for (const key of this.#previous.keys) if (!this.#written.includes(key)) await this.#service.delete(key, { signal });
    }
    await this.#service.close?.();
    return [layout.format === 'ovf' ? `${this.#service.urlOf(layout.baseName)}/` : this.#service.urlOf(this.#packageKey ?? `${layout.baseName}.ova`)];
  }

  async abort(reason: unknown): Promise<void> {
    this.#controller.abort(reason);
    // An upload already sent may still commit on the server: wait for every one to settle, so
    // nothing appears after the deletes below.
    await Promise.allSettled(this.#uploads);
    // The record first: without it, what remains is not an export anyone will restore or keep.
    const keys = [...this.#written].sort((a, b) => Number(b.endsWith('.hyperexport.json')) - Number(a.endsWith('.hyperexport.json')));
    const cleanup = new AbortController().signal;
    for (const key of keys) await this.#service.delete(key, { signal: cleanup }).catch(() => undefined);
    await this.#service.close?.().catch(() => undefined);
  }
}
