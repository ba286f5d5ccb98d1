// The HTTP/1.1 client against raw TCP and TLS servers that write exactly the bytes each test
// wants, in the packets it wants.
import { execFileSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpGet } from './http-get.ts';
import type { HttpGetResponse } from './http-get.ts';
import { HttpPrematureCloseError, HttpProtocolError } from './http1-parser.ts';

type Responder = (socket: Socket, request: string) => void | Promise<void>;

/** Reads each request head, then hands the socket to `respond`. */
function handle(target: { requests: string[]; respond: Responder }) {
  return (socket: Socket) => {
    socket.on('error', () => {});
    let head = '';
    const onData = (data: Buffer) => {
      head += data.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const request = head.slice(0, end + 4);
      target.requests.push(request);
      void target.respond(socket, request);
    };
    socket.on('data', onData);
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Writes the pieces as separate packets (with a pause so that they are not coalesced). */
async function writePackets(socket: Socket, pieces: ReadonlyArray<string | Buffer>): Promise<void> {
  for (const piece of pieces) {
    socket.write(piece);
    await delay(5);
  }
}

async function readAll(response: HttpGetResponse): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await response.readBody((chunk) => chunks.push(chunk));
  return Buffer.concat(chunks);
}

const BODY = randomBytes(256 * 1024);

describe('httpGet over TCP', () => {
  const target = { requests: [] as string[], respond: (() => {}) as Responder };
  let server: Server;
  let url: URL;

  beforeAll(async () => {
    server = createServer(handle(target));
    url = new URL(`http://127.0.0.1:${await listen(server)}/nfc/disk-0.vmdk?lease=1`);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  afterEach(() => {
    target.requests.length = 0;
  });

  it("sends one GET with the caller's headers and reads a Content-Length body", async () => {
    target.respond = (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n`);
      socket.end(BODY);
    };
    const response = await httpGet({ url, headers: { cookie: 'vmware_soap_session="abc"', range: 'bytes=0-' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-length']).toBe(String(BODY.length));
    expect((await readAll(response)).equals(BODY)).toBe(true);
    expect(target.requests).toEqual([
      `GET /nfc/disk-0.vmdk?lease=1 HTTP/1.1\r\nHost: ${url.host}\r\ncookie: vmware_soap_session="abc"\r\nrange: bytes=0-\r\nConnection: close\r\n\r\n`,
    ]);
  });

  it('reads a head split across packets and a chunked body with extensions and trailers', async () => {
    target.respond = (socket) =>
      writePackets(socket, [
        'HTTP/1.1 20',
        '0 OK\r\nTransfer-Enc',
        'oding: chunked\r',
        '\n\r',
        '\n1000;ext=1\r\n',
        BODY.subarray(0, 0x1000),
        '\r\n3f000\r\n',
        BODY.subarray(0x1000),
        '\r',
        '\n0\r\nX-Trailer: yes\r\n\r\n',
      ]);
    const response = await httpGet({ url });
    expect(response.framing).toEqual({ kind: 'chunked' });
    expect((await readAll(response)).equals(BODY)).toBe(true);
  });

  it('a body that arrived with the head waits for readBody', async () => {
    target.respond = (socket) => {
      socket.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), BODY]));
    };
    const response = await httpGet({ url });
    expect(response.framing).toEqual({ kind: 'close' });
    await delay(50); // the socket has ended meanwhile
    expect((await readAll(response)).equals(BODY)).toBe(true);
  });

  it('rejects a bad status line with a protocol error', async () => {
    target.respond = (socket) => {
      socket.end('HTTP/1.1 OK 200\r\n\r\n');
    };
    const error = await httpGet({ url }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HttpProtocolError);
    expect((error as Error).message).toBe('bad status line "HTTP/1.1 OK 200"');
  });

  it('rejects response headers larger than the cap', async () => {
    target.respond = (socket) => {
      socket.write('HTTP/1.1 200 OK\r\n');
      // Never ends the head: the cap, not the server, must stop it.
      const line = `X-Filler: ${'f'.repeat(1000)}\r\n`;
      const timer = setInterval(() => socket.write(line), 1);
      socket.on('close', () => clearInterval(timer));
    };
    const error = await httpGet({ url, maxHeaderBytes: 8192 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HttpProtocolError);
    expect((error as Error).message).toBe('the response head is larger than 8192 bytes');
  });

  it('reports a connection closed in the middle of the body as premature', async () => {
    target.respond = (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n`);
      socket.end(BODY.subarray(0, 1000));
    };
    const response = await httpGet({ url });
    const received: Buffer[] = [];
    const error = await response.readBody((chunk) => received.push(chunk)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HttpPrematureCloseError);
    expect((error as Error).message).toBe(`the connection closed after 1000 of ${BODY.length} body bytes`);
    expect(Buffer.concat(received).equals(BODY.subarray(0, 1000))).toBe(true);
  });

  it('reports a connection closed before any response as premature', async () => {
    target.respond = (socket) => {
      socket.end();
    };
    await expect(httpGet({ url })).rejects.toThrow(HttpPrematureCloseError);
  });

  it('aborts a stalled body at once and closes the connection', async () => {
    let closed!: Promise<void>;
    target.respond = (socket) => {
      closed = new Promise((resolve) => socket.on('close', () => resolve()));
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n`);
      socket.write(BODY.subarray(0, 1000)); // then nothing
    };
    const controller = new AbortController();
    const response = await httpGet({ url, signal: controller.signal });
    const reason = new Error('stop');
    const reading = response.readBody(() => setTimeout(() => controller.abort(reason), 10));
    await expect(reading).rejects.toBe(reason);
    await closed;
  });

  it('an already aborted signal never connects', async () => {
    const reason = new Error('too late');
    await expect(httpGet({ url, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(target.requests).toHaveLength(0);
  });

  it('pause() stops reading the socket until resume()', async () => {
    target.respond = (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length * 32}\r\n\r\n`);
      for (let index = 0; index < 32; index++) socket.write(BODY);
      socket.end();
    };
    const response = await httpGet({ url });
    let received = 0;
    let receivedWhilePaused = 0;
    let paused = false;
    let pausedOnce = false;
    const reading = response.readBody((chunk) => {
      received += chunk.length;
      if (paused) receivedWhilePaused += chunk.length;
      if (!pausedOnce && received > BODY.length) {
        paused = pausedOnce = true;
        response.pause();
        setTimeout(() => {
          paused = false;
          response.resume();
        }, 100);
      }
    });
    await reading;
    expect(received).toBe(BODY.length * 32);
    expect(receivedWhilePaused).toBe(0);
  });

  it('an exception of the body callback fails the response', async () => {
    target.respond = (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n`);
      socket.end(BODY);
    };
    const response = await httpGet({ url });
    const failure = new Error('no room');
    await expect(
      response.readBody(() => {
        throw failure;
      }),
    ).rejects.toBe(failure);
  });

  it('refuses header values that would split the request', async () => {
    await expect(httpGet({ url, headers: { cookie: 'a\r\nHost: evil' } })).rejects.toThrow(/contains CR, LF or NUL/);
    await expect(httpGet({ url, headers: { host: 'other' } })).rejects.toThrow(/set by the HTTP client/);
    expect(target.requests).toHaveLength(0);
  });

  it('connection refused keeps its code', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(httpGet({ url: new URL(`http://127.0.0.1:${port}/`) })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('httpGet over TLS', () => {
  let dir: string;
  let server: Server;
  let url: URL;
  let cert: string;
  const target = { requests: [] as string[], respond: (() => {}) as Responder };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hx-http-get-'));
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
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    server = createTlsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, handle(target));
    url = new URL(`https://127.0.0.1:${await listen(server)}/disk.vmdk`);
    target.respond = (socket) => {
      socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n`), BODY]));
    };
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    target.requests.length = 0;
  });

  async function fetchBody(tls: Parameters<typeof httpGet>[0]['tls']): Promise<Buffer> {
    return readAll(await httpGet({ url, tls, headers: { cookie: 'secret' } }));
  }

  it('verifies the certificate by default', async () => {
    await expect(fetchBody(undefined)).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    await expect(fetchBody({ insecure: false })).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(target.requests).toHaveLength(0);
  });

  it("trusts the caller's CA", async () => {
    expect((await fetchBody({ insecure: false, ca: cert })).equals(BODY)).toBe(true);
  });

  it('skips verification when insecure', async () => {
    expect((await fetchBody({ insecure: true })).equals(BODY)).toBe(true);
  });

  it('accepts the pinned SHA-256 or SHA-1 thumbprint, with or without colons, on every connection', async () => {
    const x509 = new X509Certificate(cert);
    for (const thumbprint of [x509.fingerprint256, x509.fingerprint, x509.fingerprint256.replace(/:/g, '').toLowerCase()]) {
      expect((await fetchBody({ insecure: false, thumbprint })).equals(BODY)).toBe(true);
      expect((await fetchBody({ insecure: false, thumbprint })).equals(BODY)).toBe(true);
    }
    expect(target.requests).toHaveLength(6);
  });

  it('refuses a certificate that does not match the pin, before sending anything', async () => {
    const error = await fetchBody({ insecure: false, thumbprint: '00'.repeat(20) }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'TLS_THUMBPRINT' });
    expect((error as Error).message).toMatch(/does not match the pinned thumbprint/);
    // Even `insecure` does not override a pin.
    await expect(fetchBody({ insecure: true, thumbprint: '00'.repeat(32) })).rejects.toMatchObject({ code: 'TLS_THUMBPRINT' });
    expect(target.requests).toHaveLength(0);
  });
});
