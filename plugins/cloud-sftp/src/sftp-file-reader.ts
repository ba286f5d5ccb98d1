// A Readable of a remote file over SFTP that keeps several READ requests in flight and delivers
// their data in order. ssh2's read stream asks for one block at a time and waits for it, which
// measured 3 MB/s on loopback; pipelining the requests runs at the link's speed. Reads exactly
// the size the file had when looked up, and fails if it ends sooner (changed while read).
import { Readable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import { channelOpen, connectionLost } from './sftp-channel.ts';
import { closeQuietly } from './sftp-file-writer.ts';

export interface SftpFileReaderOptions {
  /** Size of the file (from stat). */
  readonly size: number;
  /** Bytes requested and not yet delivered, at most. Default 4 MiB. */
  readonly maxInFlightBytes?: number;
}

interface PendingRead {
  readonly offset: number;
  readonly length: number;
  done: boolean;
  data?: Buffer;
  error?: Error;
}

const SAFE_READ_LENGTH = 32 * 1024;

export class SftpFileReader extends Readable {
  readonly #sftp: SFTPWrapper;
  readonly #path: string;
  readonly #size: number;
  readonly #maxInFlight: number;
  readonly #pieceLength: number;
  readonly #queue: PendingRead[] = [];
  #handle: Buffer | undefined;
  #next = 0;
  #delivered = 0;
  #inFlight = 0;
  #wanted = false;

  constructor(sftp: SFTPWrapper, path: string, options: SftpFileReaderOptions) {
    super({ highWaterMark: 256 * 1024 });
    this.#sftp = sftp;
    this.#path = path;
    this.#size = options.size;
    this.#maxInFlight = options.maxInFlightBytes ?? 4 * 1024 * 1024;
    const announced = (sftp as unknown as { _maxReadLen?: unknown })._maxReadLen;
    this.#pieceLength = typeof announced === 'number' && announced >= SAFE_READ_LENGTH ? announced : SAFE_READ_LENGTH;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    if (!channelOpen(this.#sftp)) return callback(connectionLost());
    this.#sftp.open(this.#path, 'r', (error, handle) => {
      if (error) return callback(error);
      this.#handle = handle;
      callback();
    });
  }

  override _read(): void {
    this.#wanted = true;
    this.#deliver();
    this.#request();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.#handle;
    this.#handle = undefined;
    // Close the handle without waiting: over a connection that died, no answer ever comes.
    if (handle) closeQuietly(this.#sftp, handle);
    callback(error);
  }

  #request(): void {
    while (this.#handle && this.#inFlight < this.#maxInFlight && this.#next < this.#size) {
      this.#issue(this.#next, Math.min(this.#pieceLength, this.#size - this.#next), false);
      this.#next += this.#queue.at(-1)!.length;
    }
    if (this.#size === 0 && this.#queue.length === 0) this.#finish();
  }

  #issue(offset: number, length: number, atHead: boolean): void {
    if (!channelOpen(this.#sftp)) {
      this.destroy(connectionLost());
      return;
    }
    const pending: PendingRead = { offset, length, done: false };
    if (atHead) this.#queue.unshift(pending);
    else this.#queue.push(pending);
    this.#inFlight += length;
    this.#sftp.read(this.#handle!, Buffer.allocUnsafe(length), 0, length, offset, (error, bytesRead, buffer) => {
      this.#inFlight -= length;
      pending.done = true;
      if (error) pending.error = error;
      else pending.data = buffer.subarray(0, bytesRead);
      this.#deliver();
      if (this.#wanted) this.#request();
    });
  }

  /** Pushes completed reads in order; re-asks for the rest of a short read. */
  #deliver(): void {
    while (this.#wanted && this.#queue[0]?.done) {
      const head = this.#queue.shift()!;
      if (head.error) {
        this.destroy(head.error);
        return;
      }
      const data = head.data!;
      if (data.length === 0) {
        this.destroy(new Error(`${this.#path} ended at byte ${head.offset} of ${this.#size}: it changed while being read`));
        return;
      }
      if (data.length < head.length) this.#issue(head.offset + data.length, head.length - data.length, true);
      this.#delivered += data.length;
      this.#wanted = this.push(data);
    }
    if (this.#delivered === this.#size && this.#queue.length === 0) this.#finish();
  }

  #finish(): void {
    if (this.readableEnded || this.destroyed) return;
    this.push(null);
  }
}
