// Real HTTP(S) over loopback with per-test fault injection: no mocks of the HTTP client.
import { execFileSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isAbortError } from '@hyperexport/core';
import { DownloadError, RestartRequiredError, isRestartRequired, openResumableDownload, redactUrl } from './resumable-download.ts';
import type { ResumableDownloadOptions, RetryInfo } from './resumable-download.ts';

const DATA = randomBytes(8 * 1024 * 1024);
const CUT = 3 * 1024 * 1024 + 17;
/** Fast retries for tests; the 429 test relies on Retry-After instead. */
const FAST = { baseDelayMs: 5, maxDelayMs: 20, attemptTimeoutMs: 5_000 };

interface SeenRequest {
  readonly range: string | undefined;
  readonly at: number;
}
type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => void;

interface ServeOptions {
  /** Answer a `Range: bytes=N-` with 206 (default) or ignore it with 200. */
  readonly honourRange?: boolean;
  /** Send only this many body bytes, then destroy the connection. */
  readonly cutAfter?: number;
  /** No Content-Length: chunked transfer encoding (the "stream mode" of NFC). */
  readonly chunked?: boolean;
  /** Send the Content-Range total as `*`. */
  readonly unknownTotal?: boolean;
}

/** Serves DATA from the requested offset, with the faults asked for. */
function serve(req: IncomingMessage, res: ServerResponse, options: ServeOptions = {}): void {
  const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  let start = 0;
  if (match && options.honourRange !== false) {
    start = Number(match[1]);
    res.statusCode = 206;
    res.setHeader('content-range', `bytes ${start}-${DATA.length - 1}/${options.unknownTotal ? '*' : DATA.length}`);
  } else {
    res.statusCode = 200;
  }
  if (!options.chunked) res.setHeader('content-length', DATA.length - start);
  const body = DATA.subarray(start);
  if (options.cutAfter !== undefined) {
    // The callback runs once the bytes are handed to the kernel, so the client gets exactly them.
    res.write(body.subarray(0, options.cutAfter), () => res.destroy());
    return;
  }
  res.end(body);
}

interface Collected {
  readonly data: Buffer;
  readonly error: unknown;
}

/** Reads the stream in flowing mode until it ends or fails; keeps whatever was delivered. */
function collect(stream: Readable, onData?: (received: number) => void): Promise<Collected> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      onData?.(received);
    });
    stream.on('end', () => resolve({ data: Buffer.concat(chunks), error: undefined }));
    stream.on('error', (error) => resolve({ data: Buffer.concat(chunks), error }));
  });
}

function sameBytes(actual: Buffer, expected: Buffer): boolean {
  return actual.length === expected.length && actual.equals(expected);
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('openResumableDownload over HTTP', () => {
  let server: Server;
  let url: string;
  let handler: Handler;
  let seen: SeenRequest[];
  let retries: RetryInfo[];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ range: req.headers.range, at: Date.now() });
      handler(req, res, seen.length - 1);
    });
    url = `http://127.0.0.1:${await listen(server)}/nfc/52a1b2c3/disk-0.vmdk`;
  });
  afterAll(async () => closeServer(server));

  beforeEach(() => {
    seen = [];
    retries = [];
    handler = (req, res) => serve(req, res);
  });
  afterEach(() => {
    server.closeAllConnections();
  });

  function open(overrides: Partial<ResumableDownloadOptions> = {}): Readable {
    return openResumableDownload({
      url,
      headers: { cookie: 'vmware_soap_session="abc"' },
      signal: new AbortController().signal,
      retry: FAST,
      onRetry: (info) => retries.push(info),
      ...overrides,
    });
  }

  it('(1) downloads a file byte for byte in one request', async () => {
    let cookie: string | undefined;
    handler = (req, res) => {
      cookie = req.headers.cookie;
      serve(req, res);
    };
    const { data, error } = await collect(open());
    expect(error).toBeUndefined();
    expect(sameBytes(data, DATA)).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.range).toBeUndefined();
    expect(cookie).toBe('vmware_soap_session="abc"');
    expect(retries).toHaveLength(0);
  });

  it('(2) resumes with Range after a cut when the server answers 206', async () => {
    handler = (req, res, index) => serve(req, res, index === 0 ? { cutAfter: CUT } : {});
    const { data, error } = await collect(open());
    expect(error).toBeUndefined();
    expect(sameBytes(data, DATA)).toBe(true);
    expect(seen.map((request) => request.range)).toEqual([undefined, `bytes=${CUT}-`]);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ attempt: 1, bytesSoFar: CUT, resumed: true });
  });

  it('(3) refuses to append a 200 answer to a ranged request', async () => {
    handler = (req, res, index) => serve(req, res, index === 0 ? { cutAfter: CUT } : { honourRange: false });
    const { data, error } = await collect(open());
    expect(error).toBeInstanceOf(RestartRequiredError);
    expect(isRestartRequired(error)).toBe(true);
    expect(error).toMatchObject({ code: 'SOURCE_RESTART', offset: CUT, statusCode: 200 });
    expect(seen.map((request) => request.range)).toEqual([undefined, `bytes=${CUT}-`]);
    // Exactly the first CUT bytes were delivered, and none of the 200 body.
    expect(sameBytes(data, DATA.subarray(0, CUT))).toBe(true);
  });

  it('(4) refuses a 206 whose Content-Range starts elsewhere', async () => {
    handler = (req, res, index) => {
      if (index === 0) return serve(req, res, { cutAfter: CUT });
      const start = CUT + 1;
      res.writeHead(206, { 'content-range': `bytes ${start}-${DATA.length - 1}/${DATA.length}`, 'content-length': DATA.length - start });
      res.end(DATA.subarray(start));
    };
    const { data, error } = await collect(open());
    expect(error).toBeInstanceOf(RestartRequiredError);
    expect((error as Error).message).toContain(`bytes ${CUT + 1}-`);
    expect(sameBytes(data, DATA.subarray(0, CUT))).toBe(true);
  });

  it('(4b) refuses a 206 whose total disagrees with the first Content-Length', async () => {
    handler = (req, res, index) => {
      if (index === 0) return serve(req, res, { cutAfter: CUT });
      res.writeHead(206, { 'content-range': `bytes ${CUT}-${DATA.length - 1}/${DATA.length + 512}`, 'content-length': DATA.length - CUT });
      res.end(DATA.subarray(CUT));
    };
    const { error } = await collect(open());
    expect(error).toBeInstanceOf(RestartRequiredError);
    expect((error as Error).message).toContain('size changed');
  });

  it('(5) retries 503 twice, then succeeds', async () => {
    handler = (req, res, index) => {
      if (index < 2) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('busy');
        return;
      }
      serve(req, res);
    };
    const { data, error } = await collect(open());
    expect(error).toBeUndefined();
    expect(sameBytes(data, DATA)).toBe(true);
    expect(seen).toHaveLength(3);
    expect(retries.map((info) => [info.attempt, info.resumed, (info.error as Error).message.includes('HTTP 503')])).toEqual([
      [1, false, true],
      [2, false, true],
    ]);
  });

  it('(5b) honours Retry-After on 429', async () => {
    handler = (req, res, index) => {
      if (index === 0) {
        res.writeHead(429, { 'retry-after': '1' });
        res.end();
        return;
      }
      serve(req, res);
    };
    // A backoff this large would fail the timing check if Retry-After were not used instead.
    const { data, error } = await collect(open({ retry: { baseDelayMs: 1, maxDelayMs: 1 } }));
    expect(error).toBeUndefined();
    expect(sameBytes(data, DATA)).toBe(true);
    expect(retries).toHaveLength(1);
    expect(retries[0]?.delayMs).toBe(1000);
    const [first, second] = seen;
    // Server-side timestamps; generous tolerance for timer granularity.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(900);
  });

  it('(5c) treats 408 and 502 as transient and gives up after the attempt budget', async () => {
    handler = (req, res, index) => {
      res.writeHead(index % 2 === 0 ? 408 : 502);
      res.end();
    };
    const { error } = await collect(open({ retry: { ...FAST, attempts: 3 } }));
    expect(error).toBeInstanceOf(DownloadError);
    expect(error).toMatchObject({ code: 'SOURCE_DOWNLOAD', retriesExhausted: true, statusCode: 408, bytesReceived: 0 });
    expect(seen).toHaveLength(3);
    expect(retries).toHaveLength(2);
  });

  it('(6) fails at once on 404 with the status and the URL', async () => {
    handler = (_req, res) => {
      res.writeHead(404);
      res.end('no such disk');
    };
    const { error } = await collect(open());
    expect(error).toBeInstanceOf(DownloadError);
    expect(error).toMatchObject({ statusCode: 404, retriesExhausted: false });
    expect((error as Error).message).toContain('HTTP 404');
    expect((error as Error).message).toContain(url);
    expect(seen).toHaveLength(1);
    expect(retries).toHaveLength(0);
  });

  it('(6b) fails at once on 501 too', async () => {
    handler = (_req, res) => {
      res.writeHead(501);
      res.end();
    };
    const { error } = await collect(open());
    expect(error).toMatchObject({ statusCode: 501 });
    expect(seen).toHaveLength(1);
  });

  it('(7) aborts mid-stream promptly and closes the connection', async () => {
    let serverSawClose!: Promise<void>;
    handler = (_req, res) => {
      serverSawClose = new Promise((resolve) => res.on('close', () => resolve()));
      res.writeHead(200, { 'content-length': DATA.length });
      res.write(DATA.subarray(0, 1024 * 1024)); // then stall: the abort must not wait for more
    };
    const controller = new AbortController();
    const stream = open({ signal: controller.signal });
    let abortedAt = 0;
    const { data, error } = await collect(stream, (received) => {
      if (received >= 256 * 1024 && abortedAt === 0) {
        abortedAt = Date.now();
        controller.abort(new Error('user pressed Ctrl-C'));
      }
    });
    expect(Date.now() - abortedAt).toBeLessThan(500);
    expect(isAbortError(error)).toBe(true);
    expect((error as Error).name).toBe('AbortError');
    expect(((error as Error).cause as Error).message).toBe('user pressed Ctrl-C');
    expect(sameBytes(data, DATA.subarray(0, data.length))).toBe(true);
    await serverSawClose;
    expect(seen).toHaveLength(1);
  });

  it('(7b) abort cancels a pending backoff sleep', async () => {
    handler = (_req, res) => {
      res.writeHead(503, { 'retry-after': '30' });
      res.end();
    };
    const controller = new AbortController();
    const started = Date.now();
    const { error } = await collect(open({ signal: controller.signal, onRetry: () => setTimeout(() => controller.abort(), 20) }));
    expect(isAbortError(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(seen).toHaveLength(1);
  });

  it('(7c) a signal aborted before the first read never sends a request', async () => {
    const { error } = await collect(open({ signal: AbortSignal.abort() }));
    expect(isAbortError(error)).toBe(true);
    expect(seen).toHaveLength(0);
  });

  it('(8) a body shorter than Content-Length that ends cleanly is a cut and is resumed', async () => {
    handler = (req, res, index) => {
      if (index > 0) return serve(req, res);
      res.writeHead(200, { 'content-length': DATA.length });
      // Flush part of the body, then close the socket gracefully (FIN, not a reset).
      res.write(DATA.subarray(0, CUT), () => res.socket?.end());
    };
    const { data, error } = await collect(open());
    expect(error).toBeUndefined();
    expect(sameBytes(data, DATA)).toBe(true);
    expect(seen.map((request) => request.range)).toEqual([undefined, `bytes=${CUT}-`]);
  });

  it('(8b) a complete 206 that covers only part of the file is continued, not taken as the end', async () => {
    handler = (req, res, index) => {
      if (index > 0) return serve(req, res);
      res.writeHead(206, { 'content-range': `bytes 0-${CUT - 1}/${DATA.length}`, 'content-length': CUT });
      res.end(DATA.subarray(0, CUT));
    };
    const { data, error } = await collect(open());
    expect(error).toBeUndefined();
    expect(sameBytes(data, DATA)).toBe(true);
    expect(seen.map((request) => request.range)).toEqual([undefined, `bytes=${CUT}-`]);
  });

  it('(9) a chunked stream cut mid-way restarts when the retry gets a 200', async () => {
    handler = (req, res, index) => serve(req, res, index === 0 ? { chunked: true, cutAfter: CUT } : { chunked: true, honourRange: false });
    const { data, error } = await collect(open());
    expect(error).toBeInstanceOf(RestartRequiredError);
    expect(seen.map((request) => request.range)).toEqual([undefined, `bytes=${CUT}-`]);
    expect(sameBytes(data, DATA.subarray(0, CUT))).toBe(true);
  });

  it('(9b) a chunked stream cut mid-way resumes when the retry gets a matching 206', async () => {
    handler = (req, res, index) => serve(req, res, index === 0 ? { chunked: true, cutAfter: CUT } : { chunked: true, unknownTotal: true });
    const { data, error } = await collect(open());
    expect(error).toBeUndefined();
    expect(sameBytes(data, DATA)).toBe(true);
    expect(seen.map((request) => request.range)).toEqual([undefined, `bytes=${CUT}-`]);
  });

  it('(10) an attempt that goes idle is retried with Range', async () => {
    handler = (req, res, index) => {
      if (index > 0) return serve(req, res);
      res.writeHead(200, { 'content-length': DATA.length });
      res.write(DATA.subarray(0, CUT)); // then stall without closing
    };
    const { data, error } = await collect(open({ retry: { ...FAST, attemptTimeoutMs: 150 } }));
    expect(error).toBeUndefined();
    expect(sameBytes(data, DATA)).toBe(true);
    expect(seen.map((request) => request.range)).toEqual([undefined, `bytes=${CUT}-`]);
    expect((retries[0]?.error as Error).message).toContain('no data');
  });

  it('(11) a slow reader is backpressure, not an idle server', async () => {
    const stream = open({ retry: { ...FAST, attemptTimeoutMs: 100 } });
    const chunks: Buffer[] = [];
    let paused = false;
    const done = new Promise<unknown>((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (!paused) {
          paused = true;
          stream.pause();
          setTimeout(() => stream.resume(), 400);
        }
      });
      stream.on('end', () => resolve(undefined));
      stream.on('error', resolve);
    });
    expect(await done).toBeUndefined();
    expect(sameBytes(Buffer.concat(chunks), DATA)).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it('(12) startAt asks for the rest at once and refuses a 200', async () => {
    const { data, error } = await collect(open({ startAt: CUT }));
    expect(error).toBeUndefined();
    expect(sameBytes(data, DATA.subarray(CUT))).toBe(true);
    expect(seen.map((request) => request.range)).toEqual([`bytes=${CUT}-`]);

    seen = [];
    handler = (req, res) => serve(req, res, { honourRange: false });
    const second = await collect(open({ startAt: CUT }));
    expect(second.error).toBeInstanceOf(RestartRequiredError);
    expect(second.data).toHaveLength(0);
  });

  it('(13) retries a refused connection, then gives up with the cause', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await closeServer(closed);
    const { error } = await collect(open({ url: `http://127.0.0.1:${port}/disk.vmdk`, retry: { ...FAST, attempts: 3 } }));
    expect(error).toBeInstanceOf(DownloadError);
    expect(error).toMatchObject({ retriesExhausted: true });
    expect((error as Error).message).toMatch(/giving up after 3 attempts/);
    expect(retries).toHaveLength(2);
  });

  // What decides whether resumed bytes may be appended: every answer to a ranged request is
  // checked, and a failed check never appends a byte whose place in the file is unknown.
  describe('the checks of a resumed answer', () => {
    const L = DATA.length;
    /** First request: cut at CUT. Second: `second`. Later ones: served normally. */
    const cutThen =
      (second: (req: IncomingMessage, res: ServerResponse) => void): Handler =>
      (req, res, index) => {
        if (index === 0) serve(req, res, { cutAfter: CUT });
        else if (index === 1) second(req, res);
        else serve(req, res);
      };
    const answer206 =
      (contentRange: string, body: Buffer, contentLength: number | undefined = body.length) =>
      (_req: IncomingMessage, res: ServerResponse) => {
        res.statusCode = 206;
        res.setHeader('content-range', contentRange);
        if (contentLength !== undefined) res.setHeader('content-length', contentLength);
        res.end(body);
      };

    it.each([
      ['something before "bytes"', `xbytes ${CUT}-${L - 1}/${L}`],
      ['something after the total', `bytes ${CUT}-${L - 1}/${L};x`],
      ['an end before its start', `bytes ${CUT}-${CUT - 1}/${L}`],
      ['an end at the total', `bytes ${CUT}-${L}/${L}`],
      ['a total beyond 2^53', `bytes ${CUT}-${L - 1}/99999999999999999999`],
    ])('a Content-Range with %s is not appended: the file restarts', async (_, contentRange) => {
      handler = cutThen(answer206(contentRange, DATA.subarray(CUT)));
      const { data, error } = await collect(open());
      expect(error).toBeInstanceOf(RestartRequiredError);
      expect((error as Error).message).toBe(
        `cannot resume ${url} at byte ${CUT}: the server answered 206 with Content-Range ${JSON.stringify(contentRange)}, expected a start of ${CUT}; the file must be read again from the start`,
      );
      expect(sameBytes(data, DATA.subarray(0, CUT))).toBe(true);
    });

    it('a Content-Range with two spaces after "bytes", and one of a single byte, are appended', async () => {
      handler = cutThen(answer206(`bytes  ${CUT}-${L - 1}/${L}`, DATA.subarray(CUT)));
      const spaced = await collect(open());
      expect(spaced.error).toBeUndefined();
      expect(sameBytes(spaced.data, DATA)).toBe(true);

      seen = [];
      handler = (req, res, index) => {
        if (index === 0) {
          res.setHeader('content-length', L);
          res.write(DATA.subarray(0, L - 1), () => res.destroy());
        } else answer206(`bytes ${L - 1}-${L - 1}/${L}`, DATA.subarray(L - 1))(req, res);
      };
      const lastByte = await collect(open());
      expect(lastByte.error).toBeUndefined();
      expect(sameBytes(lastByte.data, DATA)).toBe(true);
    });

    it('a first answer (no Range asked) with an unusable Content-Range fails at once, not as a restart', async () => {
      handler = answer206('bytes 0-99999999999999999999/*', DATA);
      const { error } = await collect(open());
      expect(error).toBeInstanceOf(DownloadError);
      expect(error).toMatchObject({ statusCode: 206, bytesReceived: 0, retriesExhausted: false });
      expect((error as Error).message).toBe(`GET ${url}: the server answered 206 with Content-Range "bytes 0-99999999999999999999/*", expected a start of 0`);
      expect(seen).toHaveLength(1);
    });

    it('a first 206 whose end is the total itself fails at once', async () => {
      handler = answer206(`bytes 0-${L}/${L}`, DATA);
      const { error } = await collect(open());
      expect(error).toBeInstanceOf(DownloadError);
      expect(seen).toHaveLength(1);
    });

    it('a Content-Length that disagrees with the Content-Range restarts the file', async () => {
      const contentRange = `bytes ${CUT}-${L - 1}/${L}`;
      handler = cutThen(answer206(contentRange, DATA.subarray(CUT, CUT + 1000), 1000));
      const { data, error } = await collect(open());
      expect(error).toBeInstanceOf(RestartRequiredError);
      expect(error).toMatchObject({ offset: CUT, statusCode: 206 });
      expect((error as Error).message).toBe(
        `cannot resume ${url} at byte ${CUT}: Content-Length 1000 does not match Content-Range ${contentRange}; the file must be read again from the start`,
      );
      expect(sameBytes(data, DATA.subarray(0, CUT))).toBe(true);
    });

    it('a 206 of unknown total is appended, and one that covers part of the rest is continued', async () => {
      handler = cutThen(answer206(`bytes ${CUT}-${CUT + 999}/*`, DATA.subarray(CUT, CUT + 1000)));
      const { data, error } = await collect(open());
      expect(error).toBeUndefined();
      expect(sameBytes(data, DATA)).toBe(true);
      expect(seen.map((request) => request.range)).toEqual([undefined, `bytes=${CUT}-`, `bytes=${CUT + 1000}-`]);
      expect(retries[1]?.error.message).toBe(`the body ended at byte ${CUT + 1000} of ${L}`);
    });

    it('bytes beyond the announced range are never appended: the attempt is retried where the range ended', async () => {
      // Chunked, so that only the Content-Range bounds the body; after the announced 1000 bytes
      // come bytes that are not the file's.
      handler = cutThen((_req, res) => {
        res.statusCode = 206;
        res.setHeader('content-range', `bytes ${CUT}-${CUT + 999}/${L}`);
        res.write(Buffer.concat([DATA.subarray(CUT, CUT + 1000), Buffer.alloc(5000, 0xee)]));
        res.end();
      });
      const { data, error } = await collect(open());
      expect(error).toBeUndefined();
      expect(sameBytes(data, DATA)).toBe(true);
      // The chunk that crosses the end is refused whole: the count is what was left of the range.
      expect((retries[1]?.error as Error).message).toMatch(/^the server sent more than the (1000|[1-9]\d{0,2}|0) bytes it announced$/);
    });

    it('a 200 to a ranged request names why the file restarts', async () => {
      handler = cutThen((req, res) => serve(req, res, { honourRange: false }));
      const { error } = await collect(open());
      expect((error as Error).message).toBe(
        `cannot resume ${url} at byte ${CUT}: the server ignored Range and answered 200; the file must be read again from the start`,
      );
    });

    it('416 to a ranged request restarts the file; 416 or 404 otherwise fail as they are', async () => {
      const status = (code: number) => (_req: IncomingMessage, res: ServerResponse) => {
        res.statusCode = code;
        res.end();
      };
      handler = cutThen(status(416));
      const ranged = await collect(open());
      expect(ranged.error).toBeInstanceOf(RestartRequiredError);
      expect(ranged.error).toMatchObject({ statusCode: 416, offset: CUT });
      expect((ranged.error as Error).message).toBe(
        `cannot resume ${url} at byte ${CUT}: the server cannot serve that range (416); the file must be read again from the start`,
      );

      seen = [];
      handler = status(416);
      const first = await collect(open());
      expect(first.error).toBeInstanceOf(DownloadError);
      expect((first.error as Error).message).toBe(`GET ${url} failed: HTTP 416 Range Not Satisfiable`);

      seen = [];
      handler = cutThen(status(404));
      const gone = await collect(open());
      expect(gone.error).toBeInstanceOf(DownloadError);
      expect(gone.error).toMatchObject({ statusCode: 404, bytesReceived: CUT, retriesExhausted: false });
      expect((gone.error as Error).message).toBe(`GET ${url} failed: HTTP 404 Not Found`);
    });

    it('a status without a name is shown as its number alone', async () => {
      handler = (_req, res) => {
        res.statusCode = 499;
        res.end();
      };
      const { error } = await collect(open());
      expect((error as Error).message).toBe(`GET ${url} failed: HTTP 499`);
    });

    it.each([500, 599])('%i is transient: retried', async (code) => {
      handler = (req, res, index) => {
        if (index === 0) {
          res.statusCode = code;
          res.end();
        } else serve(req, res);
      };
      const { data, error } = await collect(open());
      expect(error).toBeUndefined();
      expect(sameBytes(data, DATA)).toBe(true);
      expect(retries).toHaveLength(1);
    });

    it('600 is not an HTTP error class: it fails at once', async () => {
      handler = (_req, res) => {
        res.statusCode = 600;
        res.end();
      };
      const { error } = await collect(open());
      expect(error).toMatchObject({ statusCode: 600, retriesExhausted: false });
      expect(seen).toHaveLength(1);
    });

    it('attemptTimeoutMs 0 turns the idle timeout off: a slow answer is waited for', async () => {
      handler = (req, res) => {
        setTimeout(() => serve(req, res), 300);
      };
      const { data, error } = await collect(open({ retry: { ...FAST, attempts: 2, attemptTimeoutMs: 0 } }));
      expect(error).toBeUndefined();
      expect(sameBytes(data, DATA)).toBe(true);
      expect(retries).toHaveLength(0);
    });

    it('an attempt that goes idle after an earlier attempt was cut is retried too', async () => {
      handler = (req, res, index) => {
        if (index === 0) serve(req, res, { cutAfter: CUT });
        else if (index === 1) {
          res.writeHead(206, { 'content-range': `bytes ${CUT}-${L - 1}/${L}`, 'content-length': L - CUT });
          res.write(DATA.subarray(CUT, CUT + 1000)); // then stall without closing
        } else serve(req, res);
      };
      const { data, error } = await collect(open({ retry: { ...FAST, attemptTimeoutMs: 300 } }));
      expect(error).toBeUndefined();
      expect(sameBytes(data, DATA)).toBe(true);
      expect(seen.map((request) => request.range)).toEqual([undefined, `bytes=${CUT}-`, `bytes=${CUT + 1000}-`]);
      expect((retries[1]?.error as Error).message).toContain('no data');
    });

    it('leaves no timer behind once the download ended', async () => {
      const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
      const before = timers();
      handler = (req, res, index) => serve(req, res, index === 0 ? { cutAfter: CUT } : {});
      const { error } = await collect(open({ retry: { ...FAST, attemptTimeoutMs: 60_000 } }));
      expect(error).toBeUndefined();
      // The server's keep-alive timers are not the download's: close its connections first.
      server.closeAllConnections();
      await new Promise((resolve) => setImmediate(resolve));
      expect(timers()).toBeLessThanOrEqual(before);
    });

    it('holds the socket back while nobody reads: what is buffered stays small', async () => {
      const stream = open();
      stream.read(0); // starts the download without reading anything
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(stream.readableLength).toBeLessThan(2 * 1024 * 1024);
      const { data, error } = await collect(stream);
      expect(error).toBeUndefined();
      expect(sameBytes(data, DATA)).toBe(true);
    });
  });

  it('RestartRequiredError carries the code the core restarts a file on', () => {
    const error = new RestartRequiredError('the export lease changed');
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'RestartRequiredError', code: 'SOURCE_RESTART', message: 'the export lease changed' });
    expect(isRestartRequired(error)).toBe(true);
    expect(isRestartRequired(new DownloadError('x', { url: 'u', bytesReceived: 0, retriesExhausted: false }))).toBe(false);
  });

  it('redacts userinfo from URLs in messages', () => {
    expect(redactUrl('https://root:s3cret@esx1.example/nfc/disk-0.vmdk')).toBe('https://esx1.example/nfc/disk-0.vmdk');
    expect(redactUrl('not a url')).toBe('<invalid URL>');
  });
});

describe('openResumableDownload over HTTPS', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let requests = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hx-nfc-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=127.0.0.1',
        '-days',
        '1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    server = createTlsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
      requests++;
      serve(req, res, requests === 1 ? { cutAfter: CUT } : {});
    });
    url = `https://127.0.0.1:${await listen(server)}/nfc/disk-0.vmdk`;
  });
  afterAll(async () => {
    await closeServer(server);
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    requests = 0;
  });

  it("downloads and resumes over TLS with the caller's CA", async () => {
    const tls = { insecure: false, ca: readFileSync(join(dir, 'cert.pem'), 'utf8') };
    const { data, error } = await collect(openResumableDownload({ url, tls, signal: new AbortController().signal, retry: FAST }));
    expect(error).toBeUndefined();
    expect(sameBytes(data, DATA)).toBe(true);
    expect(requests).toBe(2);
  });

  it('fails at once on an untrusted certificate', async () => {
    const retries: RetryInfo[] = [];
    const { error } = await collect(
      openResumableDownload({ url, tls: { insecure: false }, signal: new AbortController().signal, retry: FAST, onRetry: (info) => retries.push(info) }),
    );
    expect(error).toBeInstanceOf(DownloadError);
    expect(error).toMatchObject({ retriesExhausted: false });
    expect((error as DownloadError).hint).toMatch(/certificate/);
    expect((error as Error).message).toContain(url);
    expect(retries).toHaveLength(0);
    expect(requests).toBe(0);
  });

  it('fails at once on a certificate that does not match the pinned thumbprint, and accepts one that does', async () => {
    const retries: RetryInfo[] = [];
    const wrong = await collect(
      openResumableDownload({
        url,
        tls: { insecure: false, thumbprint: 'AB'.repeat(32) },
        signal: new AbortController().signal,
        retry: FAST,
        onRetry: (info) => retries.push(info),
      }),
    );
    expect(wrong.error).toBeInstanceOf(DownloadError);
    expect(wrong.error).toMatchObject({ retriesExhausted: false });
    expect(((wrong.error as Error).cause as { code?: string }).code).toBe('TLS_THUMBPRINT');
    expect(retries).toHaveLength(0);
    expect(requests).toBe(0);

    const thumbprint = new X509Certificate(readFileSync(join(dir, 'cert.pem'))).fingerprint256;
    const right = await collect(openResumableDownload({ url, tls: { insecure: false, thumbprint }, signal: new AbortController().signal, retry: FAST }));
    expect(right.error).toBeUndefined();
    expect(sameBytes(right.data, DATA)).toBe(true);
    // The resumed attempt connected again and was checked again.
    expect(requests).toBe(2);
  });

  it('connects without verification when insecure', async () => {
    const { data, error } = await collect(openResumableDownload({ url, tls: { insecure: true }, signal: new AbortController().signal, retry: FAST }));
    expect(error).toBeUndefined();
    expect(sameBytes(data, DATA)).toBe(true);
  });
});
