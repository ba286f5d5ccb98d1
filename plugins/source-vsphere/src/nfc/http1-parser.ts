// An incremental parser of one HTTP/1.1 response to a GET (RFC 9112), for the disk download
// client (http-get.ts). It is fed the socket's buffers as they come and hands the body on as
// views of them: the bytes of a Content-Length or close-delimited body are the socket's buffers
// themselves (or a subarray where the head ends), chunked bodies are subarray views between the
// chunk framing. Only the response head and chunk-size/trailer lines are ever copied.
//
// Strict where a lenient parser would let a wrong byte into a disk: CRLF line endings, no
// obsolete line folding, no Transfer-Encoding other than `chunked`, no Content-Length next to
// Transfer-Encoding, conflicting Content-Length values refused. The head is capped in size.
import { brandError } from '@hyperexport/core';

/** The response is not HTTP/1.x as this client accepts it. Permanent: another attempt will not help. */
export class HttpProtocolError extends Error {
  static {
    brandError(this, 'hyperexport.source-vsphere.HttpProtocolError');
  }

  readonly code = 'HTTP_PROTOCOL';
  constructor(message: string) {
    super(message);
    this.name = 'HttpProtocolError';
  }
}

/** The connection closed before the response was complete. Transient: worth another attempt. */
export class HttpPrematureCloseError extends Error {
  static {
    brandError(this, 'hyperexport.source-vsphere.HttpPrematureCloseError');
  }

  readonly code = 'HTTP_PREMATURE_CLOSE';
  constructor(message: string) {
    super(message);
    this.name = 'HttpPrematureCloseError';
  }
}

export type HttpHeaders = Record<string, string | string[]>;

export interface ResponseHead {
  readonly httpVersion: '1.0' | '1.1';
  readonly statusCode: number;
  readonly statusMessage: string;
  /** Lower-case names; a header that came more than once is an array in arrival order. */
  readonly headers: HttpHeaders;
}

/** How the body's end is found. */
export type BodyFraming =
  { readonly kind: 'none' } | { readonly kind: 'length'; readonly length: number } | { readonly kind: 'chunked' } | { readonly kind: 'close' };

export interface ResponseParserOptions {
  /** Receives the body: views of the buffers given to execute(), valid as long as those are. */
  readonly onBody: (chunk: Buffer) => void;
  /** Cap of the response head (status line, headers, blank line) and of the trailers. Default 16 KiB. */
  readonly maxHeaderBytes?: number | undefined;
  /** Cap of one chunk-size line including its extensions. Default 4 KiB. */
  readonly maxChunkLineBytes?: number | undefined;
}

export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
const DEFAULT_MAX_CHUNK_LINE_BYTES = 4 * 1024;
/** 13 hex digits stay below 2^53. */
const MAX_CHUNK_SIZE_DIGITS = 13;

const State = {
  head: 0,
  body: 1,
  chunkSize: 2,
  chunkData: 3,
  chunkDataCr: 4,
  chunkDataLf: 5,
  trailers: 6,
  done: 7,
} as const;
type State = (typeof State)[keyof typeof State];

const CR = 0x0d;
const LF = 0x0a;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([^\x00-\x08\x0a-\x1f\x7f]*))?$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;
const FORBIDDEN_VALUE_CHARS = /[\x00-\x08\x0a-\x1f\x7f]/;
const CHUNK_SIZE_LINE = /^([0-9A-Fa-f]+)[ \t]*(?:;.*)?$/;

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

export class ResponseParser {
  readonly #onBody: (chunk: Buffer) => void;
  readonly #maxHeaderBytes: number;
  readonly #maxChunkLineBytes: number;

  #state: State = State.head;
  /** Bytes of an unfinished head, kept between execute() calls (bounded by the cap). */
  #partialHead: Buffer | undefined;
  /** An unfinished chunk-size or trailer line (latin1, bounded by the caps). */
  #line = '';
  /** Body bytes still to come: of a Content-Length body, or of the current chunk. */
  #remaining = 0;
  #trailerBytes = 0;
  #head: ResponseHead | undefined;
  #framing: BodyFraming | undefined;
  #trailers: HttpHeaders = {};
  #bodyBytes = 0;

  constructor(options: ResponseParserOptions) {
    this.#onBody = options.onBody;
    this.#maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    this.#maxChunkLineBytes = options.maxChunkLineBytes ?? DEFAULT_MAX_CHUNK_LINE_BYTES;
  }

  /** The final (non-1xx) response head, once parsed. */
  get head(): ResponseHead | undefined {
    return this.#head;
  }

  get framing(): BodyFraming | undefined {
    return this.#framing;
  }

  /** Trailer fields of a chunked body (lower-case names), once complete. */
  get trailers(): HttpHeaders {
    return this.#trailers;
  }

  /** Body bytes delivered so far. */
  get bodyBytes(): number {
    return this.#bodyBytes;
  }

  /** True once the whole response (head and body) was parsed. */
  get complete(): boolean {
    return this.#state === State.done;
  }

  /**
   * Parses `data` and returns how many of its bytes were used. It stops right after the final
   * head, so that the caller can inspect it before any body byte is delivered (call again with
   * the rest), and after the end of the response (the rest is not part of it). Throws
   * HttpProtocolError; an exception of onBody propagates.
   */
  execute(data: Buffer): number {
    let offset = 0;
    while (offset < data.length) {
      switch (this.#state) {
        case State.head: {
          offset += this.#parseHead(data, offset);
          if (this.#state !== State.head) return offset;
          break;
        }
        case State.body: {
          const available = data.length - offset;
          if (this.#framing?.kind === 'close') {
            this.#deliver(offset === 0 ? data : data.subarray(offset));
            return data.length;
          }
          const take = Math.min(available, this.#remaining);
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = State.done;
          this.#deliver(take === data.length ? data : data.subarray(offset, offset + take));
          offset += take;
          break;
        }
        case State.chunkSize:
        case State.trailers: {
          offset = this.#parseLine(data, offset);
          break;
        }
        case State.chunkData: {
          const take = Math.min(data.length - offset, this.#remaining);
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = State.chunkDataCr;
          this.#deliver(take === data.length ? data : data.subarray(offset, offset + take));
          offset += take;
          break;
        }
        case State.chunkDataCr:
        case State.chunkDataLf: {
          const expected = this.#state === State.chunkDataCr ? CR : LF;
          if (data[offset] !== expected) throw new HttpProtocolError('a chunk of the chunked body is not followed by CRLF');
          offset++;
          this.#state = this.#state === State.chunkDataCr ? State.chunkDataLf : State.chunkSize;
          break;
        }
        case State.done:
          return offset;
      }
    }
    return offset;
  }

  /**
   * The connection ended (EOF). A close-delimited body is complete now; any other unfinished
   * response throws HttpPrematureCloseError.
   */
  finish(): void {
    if (this.#state === State.done) return;
    if (this.#state === State.body && this.#framing?.kind === 'close') {
      this.#state = State.done;
      return;
    }
    if (this.#state === State.head) {
      throw new HttpPrematureCloseError(
        this.#partialHead ? 'the connection closed in the middle of the response head' : 'the connection closed before a response arrived',
      );
    }
    if (this.#framing?.kind === 'length') {
      throw new HttpPrematureCloseError(`the connection closed after ${this.#bodyBytes} of ${this.#framing.length} body bytes`);
    }
    throw new HttpPrematureCloseError(`the connection closed in the middle of the chunked body after ${this.#bodyBytes} bytes`);
  }

  #deliver(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#bodyBytes += chunk.length;
    this.#onBody(chunk);
  }

  /** Looks for the end of the head; returns the bytes of `data` used. */
  #parseHead(data: Buffer, offset: number): number {
    const partial = this.#partialHead;
    let buffer: Buffer;
    let searchFrom: number;
    let base: number; // index in `buffer` of data[offset]
    if (partial) {
      buffer = Buffer.concat([partial, data.subarray(offset)]);
      searchFrom = Math.max(0, partial.length - 3);
      base = partial.length;
    } else {
      buffer = offset === 0 ? data : data.subarray(offset);
      searchFrom = 0;
      base = 0;
    }
    const searchEnd = Math.min(buffer.length, this.#maxHeaderBytes);
    const end = buffer.subarray(0, searchEnd).indexOf(HEAD_END, searchFrom);
    if (end < 0) {
      if (buffer.length >= this.#maxHeaderBytes) {
        throw new HttpProtocolError(`the response head is larger than ${this.#maxHeaderBytes} bytes`);
      }
      // Copied: the caller may reuse its buffer.
      this.#partialHead = Buffer.from(buffer);
      return data.length - offset;
    }
    this.#partialHead = undefined;
    const used = end + HEAD_END.length - base;
    this.#acceptHead(buffer.toString('latin1', 0, end));
    return used;
  }

  #acceptHead(text: string): void {
    const lines = text.split('\r\n');
    const statusLine = lines[0] ?? '';
    const status = STATUS_LINE.exec(statusLine);
    if (!status) throw new HttpProtocolError(`bad status line ${quote(statusLine)}`);
    const statusCode = Number(status[2]);
    const headers = this.#parseFields(lines, 1, 'header');
    if (statusCode >= 100 && statusCode < 200) {
      // 100 Continue, 103 Early Hints…: informational, the real answer follows. A 101 would
      // switch protocols, which a plain GET never asked for.
      if (statusCode === 101) throw new HttpProtocolError('the server switched protocols (101) on a plain GET');
      return;
    }
    this.#head = { httpVersion: status[1] === '0' ? '1.0' : '1.1', statusCode, statusMessage: status[3] ?? '', headers };
    this.#framing = framingOf(statusCode, headers);
    switch (this.#framing.kind) {
      case 'none':
        this.#state = State.done;
        break;
      case 'length':
        this.#remaining = this.#framing.length;
        this.#state = this.#framing.length === 0 ? State.done : State.body;
        break;
      case 'chunked':
        this.#state = State.chunkSize;
        break;
      case 'close':
        this.#state = State.body;
        break;
    }
  }

  #parseFields(lines: readonly string[], from: number, what: 'header' | 'trailer'): HttpHeaders {
    const fields: HttpHeaders = {};
    for (let index = from; index < lines.length; index++) {
      const line = lines[index]!;
      if (line.startsWith(' ') || line.startsWith('\t')) throw new HttpProtocolError(`obsolete line folding in the response ${what}s`);
      const match = HEADER_LINE.exec(line);
      if (!match) throw new HttpProtocolError(`bad ${what} line ${quote(line)}`);
      const value = match[2]!;
      if (FORBIDDEN_VALUE_CHARS.test(value)) throw new HttpProtocolError(`a control character in the ${what} ${match[1]!}`);
      const name = match[1]!.toLowerCase();
      const previous = fields[name];
      if (previous === undefined) fields[name] = value;
      else if (Array.isArray(previous)) previous.push(value);
      else fields[name] = [previous, value];
    }
    return fields;
  }

  /** Reads a chunk-size or trailer line; returns the new offset. */
  #parseLine(data: Buffer, offset: number): number {
    const newline = data.indexOf(LF, offset);
    const cap = this.#state === State.chunkSize ? this.#maxChunkLineBytes : this.#maxHeaderBytes - this.#trailerBytes;
    const stop = newline < 0 ? data.length : newline;
    if (this.#line.length + (stop - offset) > cap) {
      throw new HttpProtocolError(
        this.#state === State.chunkSize ? `a chunk-size line is longer than ${cap} bytes` : `the trailers are larger than ${this.#maxHeaderBytes} bytes`,
      );
    }
    this.#line += data.toString('latin1', offset, stop);
    if (newline < 0) return data.length;
    const raw = this.#line;
    this.#line = '';
    if (!raw.endsWith('\r')) throw new HttpProtocolError(`a line of the chunked body does not end with CRLF: ${quote(raw)}`);
    const line = raw.slice(0, -1);
    if (this.#state === State.chunkSize) this.#acceptChunkSize(line);
    else this.#acceptTrailer(line, raw.length + 1);
    return newline + 1;
  }

  #acceptChunkSize(line: string): void {
    const match = CHUNK_SIZE_LINE.exec(line);
    if (!match || FORBIDDEN_VALUE_CHARS.test(line)) throw new HttpProtocolError(`bad chunk-size line ${quote(line)}`);
    const digits = match[1]!.replace(/^0+(?=.)/, '');
    if (digits.length > MAX_CHUNK_SIZE_DIGITS) throw new HttpProtocolError(`a chunk size of ${quote(match[1]!)} is too large`);
    const size = Number.parseInt(digits, 16);
    if (size === 0) {
      this.#state = State.trailers;
      this.#trailerBytes = 0;
      return;
    }
    this.#remaining = size;
    this.#state = State.chunkData;
  }

  #acceptTrailer(line: string, bytes: number): void {
    this.#trailerBytes += bytes;
    if (line === '') {
      this.#state = State.done;
      return;
    }
    const fields = this.#parseFields([line], 0, 'trailer');
    for (const [name, value] of Object.entries(fields)) {
      const previous = this.#trailers[name];
      if (previous === undefined) this.#trailers[name] = value;
      else this.#trailers[name] = [...(Array.isArray(previous) ? previous : [previous]), ...(Array.isArray(value) ? value : [value])];
    }
  }
}

/** How a response to a GET delimits its body (RFC 9112 §6.3). */
function framingOf(statusCode: number, headers: HttpHeaders): BodyFraming {
  if (statusCode === 204 || statusCode === 304) return { kind: 'none' };
  const transferEncoding = headers['transfer-encoding'];
  const contentLength = headers['content-length'];
  if (transferEncoding !== undefined) {
    if (contentLength !== undefined) throw new HttpProtocolError('the response has both Transfer-Encoding and Content-Length');
    const codings = (Array.isArray(transferEncoding) ? transferEncoding.join(',') : transferEncoding)
      .split(',')
      .map((coding) => coding.trim().toLowerCase())
      .filter((coding) => coding !== '');
    if (codings.length !== 1 || codings[0] !== 'chunked') {
      throw new HttpProtocolError(`unsupported Transfer-Encoding ${quote(codings.join(', '))}`);
    }
    return { kind: 'chunked' };
  }
  if (contentLength !== undefined) {
    const values = (Array.isArray(contentLength) ? contentLength.join(',') : contentLength).split(',').map((value) => value.trim());
    const first = values[0] ?? '';
    if (!/^\d{1,16}$/.test(first) || values.some((value) => value !== first)) {
      throw new HttpProtocolError(`bad Content-Length ${quote(values.join(', '))}`);
    }
    const length = Number(first);
    if (!Number.isSafeInteger(length)) throw new HttpProtocolError(`bad Content-Length ${quote(first)}`);
    return { kind: 'length', length };
  }
  return { kind: 'close' };
}
