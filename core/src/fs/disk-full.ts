// A full disk, said so that the user can act: Node reports only "ENOSPC: no space left on device,
// write", without the file, the folder or how much was missing. Writers of local files use
// DiskFullAwareWriteStream (a WriteStream whose ENOSPC names the file, what was written, what
// was still to come and what is free) or diskFullError directly.
import { WriteStream } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { formatBytes } from '../cli/format.ts';
import { ExportError } from '../errors.ts';

export interface DiskFullContext {
  /** The file being written. */
  readonly path: string;
  /** Bytes of it written before the disk filled up. */
  readonly written: number;
  /** Its expected size, when known (the size before transforms is a fair estimate). */
  readonly expectedSize?: number | undefined;
  /** The folder to name (the output folder rather than a hidden staging folder below it). */
  readonly folder?: string | undefined;
  /** What to do besides freeing space, e.g. "choose another --output". */
  readonly alternative?: string | undefined;
}

export function isDiskFull(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC';
}

/** The ExportError (code DISK_FULL) for an ENOSPC while writing `context.path`. */
export async function diskFullError(error: unknown, context: DiskFullContext): Promise<ExportError> {
  const folder = context.folder ?? dirname(context.path);
  const free = await statfs(dirname(context.path)).then(
    (info) => info.bavail * info.bsize,
    () => undefined,
  );
  const remaining = context.expectedSize === undefined ? undefined : Math.max(0, context.expectedSize - context.written);
  const progress = `${formatBytes(context.written)} written${context.expectedSize === undefined ? '' : ` of about ${formatBytes(context.expectedSize)}`}`;
  const need = remaining === undefined ? 'free some space there' : `free at least ${formatBytes(remaining)} more there`;
  return new ExportError(
    `no space left on the device of ${folder} while writing ${basename(context.path)}: ${progress}${free === undefined ? '' : `, ${formatBytes(free)} free`}`,
    {
      code: 'DISK_FULL',
      hint: `${need}${context.alternative ? `, or ${context.alternative}` : ''}`,
      cause: error,
    },
  );
}

type WriteCallback = (error?: Error | null) => void;

/**
 * An fs.WriteStream whose ENOSPC is a DISK_FULL ExportError naming the file and the space
 * needed (`expectedSize`: the file's expected size, when known).
 */
export class DiskFullAwareWriteStream extends WriteStream {
  readonly #context: Omit<DiskFullContext, 'path' | 'written'>;

  constructor(path: string, options: { flags?: string; flush?: boolean; mode?: number }, context: Omit<DiskFullContext, 'path' | 'written'> = {}) {
    // WriteStream's constructor takes (path, options) as createWriteStream does; @types/node
    // declares only Writable's (options).
    super(...([path, options] as unknown as [never]));
    this.#context = context;
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: WriteCallback): void {
    super._write(chunk, encoding, this.#converting(callback));
  }

  override _writev(chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, callback: WriteCallback): void {
    super._writev!(chunks, this.#converting(callback));
  }

  #converting(callback: WriteCallback): WriteCallback {
    return (error) => {
      if (!isDiskFull(error)) {
        callback(error);
        return;
      }
      void diskFullError(error, { ...this.#context, path: String(this.path), written: this.bytesWritten }).then(callback);
    };
  }
}

/**
 * A DISK_FULL error completed with the size of the whole export, for a file whose own size was
 * not known in advance (a vSphere disk streams without a length): what the VM uses on its
 * datastore, or else the capacity of its disks, bounds what the export needs.
 */
export function withExportEstimate(
  error: unknown,
  source: { committedBytes?: number | undefined; provisionedBytes?: number | undefined } | undefined,
): unknown {
  if (!(error instanceof ExportError) || error.code !== 'DISK_FULL' || !source) return error;
  const estimate = source.committedBytes
    ? `about ${formatBytes(source.committedBytes)} (what the VM uses)`
    : source.provisionedBytes
      ? `up to ${formatBytes(source.provisionedBytes)} (the capacity of its disks)`
      : undefined;
  if (estimate === undefined) return error;
  return new ExportError(`${error.message}; the whole export needs ${estimate}`, { code: 'DISK_FULL', hint: error.hint, cause: error.cause });
}
