// Downloads one NFC disk URL as a Node Readable, retrying transient failures and resuming with
// `Range` only where that is provably safe.
//
// The predecessor appended a 200 answer to a ranged request onto a partial file and produced
// corrupt disks. ESXi generates streamOptimized VMDKs on the fly and may ignore `Range`, so this
// stream appends after a cut only when the server answers 206 with a Content-Range that starts
// exactly where the cut happened; any other answer destroys the stream with RestartRequiredError
// and the caller starts the file again from zero. Bytes already pushed are always a correct prefix.
//
// Each attempt is one GET of the small HTTP/1.1 client in http-get.ts (a raw TLS socket, not
// undici: see there why); its buffers are pushed as they are.
import { STATUS_CODES } from 'node:http';
import { Readable } from 'node:stream';
import { backoffDelay, brandError, HyperExportError, parseRetryAfter, sleep } from '@hyperexport/core';
import type { TlsSettings } from '../soap/tls.ts';
import { httpGet } from './http-get.ts';
import type { HttpGetResponse } from './http-get.ts';

export interface RetryOptions {
  /** Attempts in a row that make no progress before giving up (the first request counts). Default 8. */
  attempts?: number | undefined;
  /** Default 250. */
  baseDelayMs?: number | undefined;
  /** Default 15000. */
  maxDelayMs?: number | undefined;
  /**
   * No byte (nor response headers) for this long fails the attempt as transient. Time spent
   * waiting for the reader (backpressure) does not count. 0 disables it. Default 60000.
   */
  attemptTimeoutMs?: number | undefined;
}

export interface RetryInfo {
  /** Which retry this is in the current streak of attempts without progress (1 = first retry). */
  readonly attempt: number;
  /** Bytes delivered so far (including `startAt`); the retry asks for `Range: bytes=<this>-`. */
  readonly bytesSoFar: number;
  /** Why the previous attempt failed. */
  readonly error: Error;
  /** True when the retry resumes with `Range` instead of starting at byte 0. */
  readonly resumed: boolean;
  /** How long the download waits before the retry. */
  readonly delayMs: number;
}

export interface ResumableDownloadOptions {
  readonly url: string;
  /**
   * The TLS policy (CA, insecure, pinned thumbprint) of https: URLs, as for the SOAP connection
   * (soap/tls.ts). Default: verify the certificate against Node's CA store.
   */
  readonly tls?: TlsSettings | undefined;
  /** Extra request headers (the session cookie); a `Range` given here is replaced. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly signal: AbortSignal;
  readonly retry?: RetryOptions | undefined;
  /** Observer of retries; it must not throw (an exception is ignored). */
  readonly onRetry?: ((info: RetryInfo) => void) | undefined;
  /** Byte offset to start at; the first request then already carries `Range`. Default 0. */
  readonly startAt?: number | undefined;
  /**
   * Tells a final failure after which the file must be read again from byte 0 (e.g. the URL of an
   * export lease that has ended): the download then ends with RestartRequiredError instead.
   */
  readonly restartOn?: ((error: Error) => boolean) | undefined;
}

/**
 * The server cannot continue the file where it was cut (it answered 200 to a ranged request, or
 * a 206 that starts elsewhere, or its size changed). The bytes delivered so far were correct but
 * the file must be read again from byte 0: the caller reruns the file's whole pipeline. The core
 * recognises it by `code === 'SOURCE_RESTART'`.
 */
export class RestartRequiredError extends HyperExportError {
  static {
    brandError(this, 'hyperexport.source-vsphere.RestartRequiredError');
  }

  /** URL without userinfo, when a download raised it. */
  readonly url: string | undefined;
  /** The offset the download asked to resume at. */
  readonly offset: number | undefined;
  /** The HTTP status of the answer that could not be appended. */
  readonly statusCode: number | undefined;
  constructor(message: string, details: { url?: string; offset?: number; statusCode?: number; cause?: unknown } = {}) {
    super('SOURCE_RESTART', message, { cause: details.cause });
    this.name = 'RestartRequiredError';
    this.url = details.url;
    this.offset = details.offset;
    this.statusCode = details.statusCode;
  }
}

/** True for a RestartRequiredError, also one thrown by another copy of this module. */
export function isRestartRequired(error: unknown): error is RestartRequiredError {
  return error instanceof RestartRequiredError || (error instanceof Error && (error as { code?: unknown }).code === 'SOURCE_RESTART');
}

/** The download failed for good: a permanent error (404, TLS), or retries ran out. */
export class DownloadError extends HyperExportError {
  static {
    brandError(this, 'hyperexport.source-vsphere.DownloadError');
  }

  /** URL without userinfo. */
  readonly url: string;
  /** HTTP status of the last response, when the failure was one. */
  readonly statusCode: number | undefined;
  /** Bytes delivered before the failure (including `startAt`). */
  readonly bytesReceived: number;
  /** True when every attempt failed transiently and the retry budget ran out. */
  readonly retriesExhausted: boolean;
  constructor(
    message: string,
    details: { url: string; statusCode?: number | undefined; bytesReceived: number; retriesExhausted: boolean; hint?: string | undefined; cause?: unknown },
  ) {
    super('SOURCE_DOWNLOAD', message, { hint: details.hint, cause: details.cause });
    this.name = 'DownloadError';
    this.url = details.url;
    this.statusCode = details.statusCode;
    this.bytesReceived = details.bytesReceived;
    this.retriesExhausted = details.retriesExhausted;
  }
}

/** What the stream is destroyed with when the caller's signal aborts. */
export class DownloadAbortedError extends Error {
  static {
    brandError(this, 'hyperexport.source-vsphere.DownloadAbortedError');
  }

  readonly code = 'ABORT_ERR';
  constructor(reason: unknown) {
    super('download aborted', { cause: reason });
    this.name = 'AbortError';
  }
}

/**
 * Opens `options.url` as a byte stream. The socket's buffers are pushed as they arrive (no
 * copies; memory bounded by backpressure: the socket is paused while the reader is behind). The
 * stream ends only when every byte arrived; it is destroyed with RestartRequiredError,
 * DownloadError or DownloadAbortedError otherwise.
 */
export function openResumableDownload(options: ResumableDownloadOptions): Readable {
  return new ResumableDownload(options);
}

/** Removes userinfo (and the fragment) so that a URL can go into messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.hash = '';
    return parsed.href;
  } catch {
    return '<invalid URL>';
  }
}

const DEFAULTS = { attempts: 8, baseDelayMs: 250, maxDelayMs: 15_000, attemptTimeoutMs: 60_000 } as const;
/** A Retry-After longer than this is clamped: a lease would expire long before anyway. */
const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** An attempt failed in a way another attempt may fix. */
class TransientFailure extends Error {
  static {
    brandError(this, 'hyperexport.source-vsphere.TransientFailure');
  }

  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { status?: number; retryAfterMs?: number | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TransientFailure';
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Error codes (Node's and the HTTP client's) of failures that another attempt may not hit. */
const TRANSIENT_CODES = new Set([
  'HTTP_PREMATURE_CLOSE',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

function isTransient(error: unknown, depth = 0): boolean {
  if (error instanceof TransientFailure) return true;
  if (!(error instanceof Error) || depth > 4) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  // Happy-eyeballs connects report an AggregateError of each address's failure.
  if (error instanceof AggregateError && error.errors.length > 0 && error.errors.every((inner) => isTransient(inner, depth + 1))) return true;
  return error.cause !== undefined && isTransient(error.cause, depth + 1);
}

function isTlsError(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /CERT|SELF_SIGNED|ERR_TLS|ERR_SSL|UNABLE_TO_(GET|VERIFY)|TLS_THUMBPRINT/.test(code)) return true;
  }
  return false;
}

function firstHeader(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  const length = Number(value);
  return Number.isSafeInteger(length) ? length : undefined;
}

interface ContentRange {
  readonly start: number;
  readonly end: number;
  readonly total: number | undefined;
}

function parseContentRange(value: string | undefined): ContentRange | undefined {
  const match = value === undefined ? null : /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(value);
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]);
  const total = match[3] === '*' ? undefined : Number(match[3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  if (total !== undefined && (!Number.isSafeInteger(total) || end >= total)) return undefined;
  return { start, end, total };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

class ResumableDownload extends Readable {
  readonly #url: string;
  readonly #safeUrl: string;
  readonly #tls: TlsSettings | undefined;
  readonly #headers: Record<string, string>;
  readonly #signal: AbortSignal;
  readonly #restartOn: ((error: Error) => boolean) | undefined;
  readonly #onRetry: ((info: RetryInfo) => void) | undefined;
  readonly #attempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #idleMs: number;
  /** Aborted when the stream is destroyed: cancels a backoff sleep. */
  readonly #lifetime = new AbortController();
  readonly #onAbort: () => void;

  /** Next byte offset of the file, i.e. everything before it has been pushed. */
  #position: number;
  /** The file's full size once a response told it. */
  #total: number | undefined;
  #started = false;
  /** The in-flight attempt: its abort controller and, once headers arrived, its response. */
  #attempt: AbortController | undefined;
  #response: HttpGetResponse | undefined;
  /** True while the body is paused because our reader is not reading (not idle time). */
  #waitingForReader = false;
  #lastActivity = 0;
  /** The idle timer of the in-flight attempt; re-armed for the remaining time when it fires early. */
  #watchdog: NodeJS.Timeout | undefined;

  constructor(options: ResumableDownloadOptions) {
    super();
    this.#url = options.url;
    this.#safeUrl = redactUrl(options.url);
    this.#tls = options.tls;
    this.#headers = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (name.toLowerCase() !== 'range') this.#headers[name] = value;
    }
    this.#signal = options.signal;
    this.#restartOn = options.restartOn;
    this.#onRetry = options.onRetry;
    const retry = options.retry ?? {};
    this.#attempts = Math.max(1, Math.floor(retry.attempts ?? DEFAULTS.attempts));
    this.#baseDelayMs = Math.max(0, retry.baseDelayMs ?? DEFAULTS.baseDelayMs);
    this.#maxDelayMs = Math.max(0, retry.maxDelayMs ?? DEFAULTS.maxDelayMs);
    this.#idleMs = Math.max(0, retry.attemptTimeoutMs ?? DEFAULTS.attemptTimeoutMs);
    this.#position = Math.max(0, Math.floor(options.startAt ?? 0));

    this.#onAbort = () => this.destroy(new DownloadAbortedError(this.#signal.reason));
    if (this.#signal.aborted) {
      // Destroying inside the constructor would emit before the caller can listen; defer it.
      process.nextTick(this.#onAbort);
    } else {
      this.#signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  override _read(): void {
    if (!this.#started) {
      this.#started = true;
      this.#run().catch((error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))));
      return;
    }
    if (this.#waitingForReader) {
      this.#waitingForReader = false;
      this.#lastActivity = Date.now();
      this.#response?.resume();
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#signal.removeEventListener('abort', this.#onAbort);
    const reason = error ?? new DownloadAbortedError(undefined);
    this.#lifetime.abort(reason);
    this.#attempt?.abort(reason);
    this.#response?.close();
    callback(error);
  }

  /** Ends the download with `error`, or with RestartRequiredError when the caller says so. */
  #fail(error: Error): void {
    if (!(error instanceof RestartRequiredError) && this.#restartOn?.(error)) {
      this.destroy(
        new RestartRequiredError(`${error.message}; the file must be read again from the start`, { url: this.#safeUrl, offset: this.#position, cause: error }),
      );
      return;
    }
    this.destroy(error);
  }

  async #run(): Promise<void> {
    let failures = 0;
    for (;;) {
      const before = this.#position;
      let error: unknown;
      try {
        await this.#attemptOnce();
        if (this.destroyed) return;
        this.push(null);
        return;
      } catch (caught) {
        error = caught;
      }
      if (this.destroyed) return;
      if (error instanceof RestartRequiredError || error instanceof DownloadError) {
        this.#fail(error);
        return;
      }
      if (!isTransient(error)) {
        this.#fail(this.#permanentError(error));
        return;
      }
      // A retry streak counts attempts without progress: a long download over a flaky link that
      // keeps moving forward is not given up on.
      failures = this.#position > before ? 1 : failures + 1;
      if (failures >= this.#attempts) {
        const status = error instanceof TransientFailure ? error.status : undefined;
        this.#fail(
          new DownloadError(`GET ${this.#safeUrl}: giving up after ${failures} attempts without progress at byte ${this.#position}: ${describe(error)}`, {
            url: this.#safeUrl,
            statusCode: status,
            bytesReceived: this.#position,
            retriesExhausted: true,
            cause: error,
          }),
        );
        return;
      }
      const retryAfter = error instanceof TransientFailure ? error.retryAfterMs : undefined;
      const delayMs =
        retryAfter !== undefined
          ? Math.min(retryAfter, MAX_RETRY_AFTER_MS)
          : backoffDelay(failures, { initialDelayMs: this.#baseDelayMs, maxDelayMs: this.#maxDelayMs, jitter: 'full' });
      try {
        this.#onRetry?.({
          attempt: failures,
          bytesSoFar: this.#position,
          error: error instanceof Error ? error : new Error(String(error)),
          resumed: this.#position > 0,
          delayMs,
        });
      } catch {
        // An observer must not change the outcome of the download.
      }
      try {
        await sleep(delayMs, this.#lifetime.signal);
      } catch {
        return; // destroyed while waiting; _destroy already reported why
      }
      if (this.destroyed) return;
    }
  }

  #permanentError(error: unknown): DownloadError {
    const tls = isTlsError(error);
    return new DownloadError(`GET ${this.#safeUrl} failed: ${describe(error)}`, {
      url: this.#safeUrl,
      bytesReceived: this.#position,
      retriesExhausted: false,
      cause: error,
      hint: tls ? 'the host certificate was rejected: configure its CA or thumbprint, or allow insecure connections' : undefined,
    });
  }

  /** One request; resolves when the file is complete, throws when it is not. */
  async #attemptOnce(): Promise<void> {
    const controller = new AbortController();
    this.#attempt = controller;
    this.#lastActivity = Date.now();
    if (this.#idleMs > 0) this.#startWatchdog(controller);
    const offset = this.#position;
    const headers = offset > 0 ? { ...this.#headers, range: `bytes=${offset}-` } : this.#headers;
    let response: HttpGetResponse | undefined;
    try {
      response = await httpGet({ url: new URL(this.#url), headers, tls: this.#tls, signal: controller.signal });
      if (this.destroyed) return;
      this.#lastActivity = Date.now();
      const end = this.#acceptResponse(response.statusCode, response.headers, offset);
      await this.#pump(response, end);
      // A body that ends "cleanly" before the announced length is a cut, not the end of the
      // file; so is a 206 that covered only part of the rest.
      const expected = this.#total ?? end;
      if (expected !== undefined && this.#position < expected) {
        throw new TransientFailure(`the body ended at byte ${this.#position} of ${expected}`);
      }
    } catch (error) {
      // An abort of this attempt (the watchdog or destroy) is reported as its reason.
      throw controller.signal.aborted ? controller.signal.reason : error;
    } finally {
      response?.close();
      clearTimeout(this.#watchdog);
      this.#watchdog = undefined;
      this.#attempt = undefined;
      this.#response = undefined;
      this.#waitingForReader = false;
    }
  }

  #restart(offset: number, statusCode: number, detail: string): RestartRequiredError {
    return new RestartRequiredError(`cannot resume ${this.#safeUrl} at byte ${offset}: ${detail}; the file must be read again from the start`, {
      url: this.#safeUrl,
      offset,
      statusCode,
    });
  }

  /**
   * Checks the status and headers against what was asked for; returns the file offset where
   * this body must end (undefined when unknown), or throws.
   */
  #acceptResponse(status: number, headers: Record<string, string | string[] | undefined>, offset: number): number | undefined {
    if (status === 200) {
      if (offset > 0) throw this.#restart(offset, status, 'the server ignored Range and answered 200');
      const length = parseLength(firstHeader(headers, 'content-length'));
      this.#total = length;
      return length;
    }
    if (status === 206) {
      const rawRange = firstHeader(headers, 'content-range');
      const range = parseContentRange(rawRange);
      if (!range || range.start !== offset) {
        const detail = `the server answered 206 with Content-Range ${JSON.stringify(rawRange ?? null)}, expected a start of ${offset}`;
        if (offset > 0) throw this.#restart(offset, status, detail);
        throw new DownloadError(`GET ${this.#safeUrl}: ${detail}`, { url: this.#safeUrl, statusCode: status, bytesReceived: offset, retriesExhausted: false });
      }
      if (range.total !== undefined && this.#total !== undefined && range.total !== this.#total) {
        throw this.#restart(offset, status, `the file's size changed from ${this.#total} to ${range.total} bytes`);
      }
      const length = parseLength(firstHeader(headers, 'content-length'));
      if (length !== undefined && length !== range.end - range.start + 1) {
        throw this.#restart(offset, status, `Content-Length ${length} does not match Content-Range ${rawRange ?? ''}`);
      }
      if (range.total !== undefined) this.#total = range.total;
      return range.end + 1;
    }
    if (status === 416 && offset > 0) {
      throw this.#restart(offset, status, 'the server cannot serve that range (416)');
    }
    const text = `HTTP ${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}`;
    if (status === 408 || status === 429 || (status >= 500 && status !== 501 && status <= 599)) {
      throw new TransientFailure(`GET ${this.#safeUrl}: ${text}`, {
        status,
        retryAfterMs: parseRetryAfter(firstHeader(headers, 'retry-after')),
      });
    }
    throw new DownloadError(`GET ${this.#safeUrl} failed: ${text}`, { url: this.#safeUrl, statusCode: status, bytesReceived: offset, retriesExhausted: false });
  }

  /** Pushes the body's chunks as they are, pausing the socket while our reader is behind. */
  #pump(response: HttpGetResponse, end: number | undefined): Promise<void> {
    this.#response = response;
    return response.readBody((chunk) => {
      if (this.destroyed) return;
      this.#lastActivity = Date.now();
      if (end !== undefined && this.#position + chunk.length > end) {
        // More than Content-Range announced (the client already enforces Content-Length): never
        // append bytes whose place in the file is unknown. Thrown here, it fails the response.
        throw new TransientFailure(`the server sent more than the ${end - this.#position} bytes it announced`);
      }
      this.#position += chunk.length;
      if (!this.push(chunk)) {
        this.#waitingForReader = true;
        response.pause();
      }
    });
  }

  /** Fails the attempt when neither headers nor body bytes arrive for the idle timeout. */
  #startWatchdog(controller: AbortController): void {
    const check = (): void => {
      const idle = Date.now() - this.#lastActivity;
      if (this.#waitingForReader || idle < this.#idleMs) {
        this.#watchdog = setTimeout(check, this.#waitingForReader ? this.#idleMs : this.#idleMs - idle);
        return;
      }
      this.#watchdog = undefined;
      controller.abort(new TransientFailure(`no data from ${this.#safeUrl} for ${this.#idleMs} ms`));
    };
    this.#watchdog = setTimeout(check, this.#idleMs);
  }
}
