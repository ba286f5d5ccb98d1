// A Writable onto a remote file over SFTP that keeps several WRITE requests in flight. ssh2's own
// write stream waits for each write to be acknowledged before sending the next, which caps a
// transfer at one chunk per round trip; here up to `maxInFlightBytes` are on the wire at once
// (that is also all the memory a transfer holds), so a link with latency still runs full.
import { Writable } from 'node:stream';
import type { SFTPWrapper, Stats } from 'ssh2';
import { channelOpen, connectionLost } from './sftp-channel.ts';

export interface SftpFileWriterOptions {
  readonly mode: number;
  /** Bytes sent and not yet acknowledged, at most. Default 4 MiB. */
  readonly maxInFlightBytes?: number;
}

/** SFTP guarantees 32 KiB writes; OpenSSH announces its (larger) limit, which ssh2 records. */
const SAFE_WRITE_LENGTH = 32 * 1024;

export class SftpFileWriter extends Writable {
  readonly path: string;
  /** Size of the file as the server reports it after the last write (set when finished). */
  serverSize: number | undefined;
  /** Modification time (seconds, the server's clock) of the file after the last write. */
  serverMtime: number | undefined;
  readonly #sftp: SFTPWrapper;
  readonly #mode: number;
  readonly #maxInFlight: number;
  readonly #pieceLength: number;
  #handle: Buffer | undefined;
  #position = 0;
  #inFlight = 0;
  #failure: Error | undefined;
  #waiting: (() => void) | undefined;

  constructor(sftp: SFTPWrapper, path: string, options: SftpFileWriterOptions) {
    super({ highWaterMark: 256 * 1024 });
    this.#sftp = sftp;
    this.path = path;
    this.#mode = options.mode;
    this.#maxInFlight = options.maxInFlightBytes ?? 4 * 1024 * 1024;
    const announced = (sftp as unknown as { _maxWriteLen?: unknown })._maxWriteLen;
    this.#pieceLength = typeof announced === 'number' && announced >= SAFE_WRITE_LENGTH ? announced : SAFE_WRITE_LENGTH;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    if (!channelOpen(this.#sftp)) return callback(connectionLost());
    this.#sftp.open(this.path, 'w', { mode: this.#mode } as never, (error, handle) => {
      if (error) return callback(error);
      this.#handle = handle;
      callback();
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#failure) return callback(this.#failure);
    if (!channelOpen(this.#sftp)) return callback((this.#failure = connectionLost()));
    const handle = this.#handle!;
    for (let offset = 0; offset < chunk.length; offset += this.#pieceLength) {
      const length = Math.min(this.#pieceLength, chunk.length - offset);
      this.#inFlight += length;
      // ssh2 copies the bytes into its packet at once: the chunk is not kept.
      this.#sftp.write(handle, chunk, offset, length, this.#position, (error) => {
        this.#inFlight -= length;
        if (error && !this.#failure) this.#failure = error;
        this.#wake();
      });
      this.#position += length;
    }
    this.#whenBelow(this.#maxInFlight, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#whenBelow(1, (error) => {
      if (error) return callback(error);
      if (!channelOpen(this.#sftp)) return callback(connectionLost());
      const handle = this.#handle!;
      const close = () => {
        this.#sftp.fstat(handle, (statError, stats: Stats) => {
          if (statError) return callback(statError);
          this.serverSize = stats.size;
          this.serverMtime = stats.mtime;
          this.#handle = undefined;
          this.#sftp.close(handle, (closeError) => callback(closeError ?? null));
        });
      };
      // Flush to the server's disk where it can (OpenSSH's fsync@openssh.com), as the local store does.
      const extensions = (this.#sftp as unknown as { _extensions?: Record<string, string> })._extensions ?? {};
      if (extensions['fsync@openssh.com'] === '1') this.#sftp.ext_openssh_fsync(handle, (fsyncError) => (fsyncError ? callback(fsyncError) : close()));
      else close();
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.#handle;
    this.#handle = undefined;
    this.#failure ??= error ?? new Error('write stream destroyed');
    this.#wake();
    // Close the handle without waiting: over a connection that died, no answer ever comes.
    if (handle) closeQuietly(this.#sftp, handle);
    callback(error);
  }

  /** Calls back once fewer than `limit` bytes are in flight, or with the first write error. */
  #whenBelow(limit: number, callback: (error?: Error | null) => void): void {
    const check = () => {
      if (this.#failure) return callback(this.#failure);
      if (this.#inFlight < limit) return callback();
      this.#waiting = check;
    };
    check();
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.();
  }
}

export function closeQuietly(sftp: SFTPWrapper, handle: Buffer): void {
  try {
    sftp.close(handle, () => undefined);
  } catch {
    // The channel is gone, and the handle with it.
  }
}
