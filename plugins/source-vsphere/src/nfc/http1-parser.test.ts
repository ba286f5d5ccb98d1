import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HttpPrematureCloseError, HttpProtocolError, ResponseParser } from './http1-parser.ts';
import type { ResponseHead } from './http1-parser.ts';

interface Parsed {
  readonly head: ResponseHead | undefined;
  readonly body: Buffer;
  readonly chunks: Buffer[];
  readonly complete: boolean;
  readonly parser: ResponseParser;
  /** Bytes of the input that execute() did not use (after the end of the response). */
  readonly unused: number;
}

/** Feeds `packets` as a socket would: the rest of a packet again after the head. */
function parse(packets: readonly Buffer[], options: { maxHeaderBytes?: number; eof?: boolean } = {}): Parsed {
  const chunks: Buffer[] = [];
  const parser = new ResponseParser({ onBody: (chunk) => chunks.push(chunk), maxHeaderBytes: options.maxHeaderBytes });
  let unused = 0;
  for (const packet of packets) {
    let rest = packet;
    while (rest.length > 0) {
      const hadHead = parser.head !== undefined;
      const used = parser.execute(rest);
      rest = rest.subarray(used);
      if (parser.complete) {
        unused += rest.length;
        rest = rest.subarray(rest.length);
      } else if (hadHead || parser.head === undefined) {
        expect(rest.length).toBe(0);
      }
    }
  }
  if (options.eof) parser.finish();
  return { head: parser.head, body: Buffer.concat(chunks), chunks, complete: parser.complete, parser, unused };
}

/** Every way of cutting `data` in two, and byte by byte. */
function splits(data: Buffer): Buffer[][] {
  const all: Buffer[][] = [[data], [...data].map((byte) => Buffer.from([byte]))];
  for (let cut = 1; cut < data.length; cut++) all.push([data.subarray(0, cut), data.subarray(cut)]);
  return all;
}

const BODY = randomBytes(300);

function chunkedResponse(): Buffer {
  return Buffer.concat([
    Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n'),
    Buffer.from('64;name=value;quoted="a;b"\r\n'),
    BODY.subarray(0, 100),
    Buffer.from('\r\nC8 \t;ext\r\n'),
    BODY.subarray(100, 300),
    Buffer.from('\r\n000\r\nX-Checksum: abc\r\nX-Checksum: def\r\nExpires: 0\r\n\r\n'),
  ]);
}

describe('ResponseParser', () => {
  it('parses a Content-Length response however the packets are cut', () => {
    const response = Buffer.concat([
      Buffer.from('HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 5-304/900\r\nContent-Length: 300\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n\r\n'),
      BODY,
    ]);
    for (const packets of splits(response)) {
      const parsed = parse(packets);
      expect(parsed.complete).toBe(true);
      expect(parsed.head).toEqual({
        httpVersion: '1.1',
        statusCode: 206,
        statusMessage: 'Partial Content',
        headers: { 'content-range': 'bytes 5-304/900', 'content-length': '300', 'set-cookie': ['a=1', 'b=2'] },
      });
      expect(parsed.parser.framing).toEqual({ kind: 'length', length: 300 });
      expect(parsed.body.equals(BODY)).toBe(true);
    }
  });

  it('stops after the head so that the caller sees it before any body byte', () => {
    const chunks: Buffer[] = [];
    const parser = new ResponseParser({ onBody: (chunk) => chunks.push(chunk) });
    const head = 'HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n';
    const packet = Buffer.concat([Buffer.from(head), BODY]);
    expect(parser.execute(packet)).toBe(head.length);
    expect(parser.head?.statusCode).toBe(200);
    expect(chunks).toHaveLength(0);
    expect(parser.execute(packet.subarray(head.length))).toBe(300);
    // The body is a view of the packet, not a copy.
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.buffer).toBe(packet.buffer);
    expect(parser.complete).toBe(true);
  });

  it('hands a whole packet of a Content-Length body on as it is', () => {
    const packet = randomBytes(1000);
    const parsed = parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n'), packet, packet]);
    expect(parsed.chunks[0]).toBe(packet);
    expect(parsed.complete).toBe(true);
  });

  it('parses a chunked body with extensions and trailers however the packets are cut', () => {
    const response = chunkedResponse();
    for (const packets of splits(response)) {
      const parsed = parse(packets);
      expect(parsed.complete).toBe(true);
      expect(parsed.parser.framing).toEqual({ kind: 'chunked' });
      expect(parsed.body.equals(BODY)).toBe(true);
      expect(parsed.parser.trailers).toEqual({ 'x-checksum': ['abc', 'def'], expires: '0' });
    }
  });

  it('delivers chunked data as views of the packets, without copies', () => {
    const response = chunkedResponse();
    const parsed = parse([response]);
    expect(parsed.chunks.map((chunk) => chunk.length)).toEqual([100, 200]);
    for (const chunk of parsed.chunks) expect(chunk.buffer).toBe(response.buffer);
  });

  it('ignores what follows the end of the response', () => {
    const parsed = parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcEXTRA')]);
    expect(parsed.body.toString()).toBe('abc');
    expect(parsed.unused).toBe(5);
  });

  it('skips informational responses', () => {
    const parsed = parse([
      Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'),
    ]);
    expect(parsed.head?.statusCode).toBe(200);
    expect(parsed.head?.headers).toEqual({ 'content-length': '2' });
    expect(parsed.body.toString()).toBe('hi');
  });

  it('knows responses without a body', () => {
    for (const head of [
      'HTTP/1.1 204 No Content\r\n\r\n',
      'HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n',
      'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n',
    ]) {
      const parsed = parse([Buffer.from(head)]);
      expect(parsed.complete).toBe(true);
      expect(parsed.body).toHaveLength(0);
    }
  });

  it('reads a body without length or chunking until the connection ends', () => {
    const parsed = parse([Buffer.from('HTTP/1.0 200 OK\r\n\r\nsome'), Buffer.from(' bytes')], { eof: true });
    expect(parsed.head?.httpVersion).toBe('1.0');
    expect(parsed.parser.framing).toEqual({ kind: 'close' });
    expect(parsed.body.toString()).toBe('some bytes');
    expect(parsed.complete).toBe(true);
  });

  it('accepts a status line without a reason phrase and a repeated identical Content-Length', () => {
    const parsed = parse([Buffer.from('HTTP/1.1 200\r\nContent-Length: 2, 2\r\n\r\nok')]);
    expect(parsed.head?.statusMessage).toBe('');
    expect(parsed.body.toString()).toBe('ok');
  });

  describe('reports a connection that ends early', () => {
    it.each([
      ['', /before a response arrived/],
      ['HTTP/1.1 200 OK\r\nContent-Le', /middle of the response head/],
      ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', /after 3 of 10 body bytes/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab', /middle of the chunked body after 2 bytes/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n', /middle of the chunked body/],
    ])('%j', (text, message) => {
      const error = (() => {
        try {
          parse([Buffer.from(text)], { eof: true });
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(HttpPrematureCloseError);
      expect(error).toMatchObject({ code: 'HTTP_PREMATURE_CLOSE' });
      expect((error as Error).message).toMatch(message);
    });
  });

  describe('refuses a malformed response with a clear error', () => {
    it.each([
      ['HTTP/2 200 OK\r\n\r\n', /bad status line "HTTP\/2 200 OK"/],
      ['ICY 200 OK\r\n\r\n', /bad status line "ICY 200 OK"/],
      ['HTTP/1.1 20 OK\r\n\r\n', /bad status line/],
      ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', /bad header line "no colon here"/],
      ['HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n', /bad header line/],
      ['HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n', /obsolete line folding/],
      ['HTTP/1.1 200 OK\r\nX-A: a\x01b\r\n\r\n', /control character in the header x-a/i],
      ['HTTP/1.1 101 Switching Protocols\r\n\r\n', /switched protocols/],
      ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', /both Transfer-Encoding and Content-Length/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', /unsupported Transfer-Encoding "gzip, chunked"/],
      ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', /bad Content-Length "1, 2"/],
      ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /bad Content-Length/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /bad chunk-size line "zz"/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\n', /does not end with CRLF/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX', /not followed by CRLF/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100000000000000\r\n', /chunk size of "100000000000000" is too large/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nnot a trailer\r\n\r\n', /bad trailer line/],
    ])('%j', (text, message) => {
      for (const packets of [[Buffer.from(text)], [...Buffer.from(text)].map((byte) => Buffer.from([byte]))]) {
        expect(() => parse(packets)).toThrow(HttpProtocolError);
        expect(() => parse(packets)).toThrow(message);
      }
    });

    it('a head larger than the cap, in one packet or many, terminated or not', () => {
      const big = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(2000)}\r\n`;
      for (const text of [big, `${big}\r\n`]) {
        const byteByByte = [...Buffer.from(text)].map((byte) => Buffer.from([byte]));
        expect(() => parse([Buffer.from(text)], { maxHeaderBytes: 1024 })).toThrow(/response head is larger than 1024 bytes/);
        expect(() => parse(byteByByte, { maxHeaderBytes: 1024 })).toThrow(/response head is larger than 1024 bytes/);
      }
      // A head of exactly the cap is fine.
      const fits = `HTTP/1.1 200 OK\r\nX-A: ${'a'.repeat(1024 - 'HTTP/1.1 200 OK\r\nX-A: \r\n\r\n'.length)}\r\n\r\n`;
      expect(Buffer.byteLength(fits)).toBe(1024);
      expect(parse([Buffer.from(fits)], { maxHeaderBytes: 1024 }).head?.statusCode).toBe(200);
    });

    it('a chunk-size line or trailers larger than their caps', () => {
      const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
      expect(() => parse([Buffer.from(`${head}1;${'x'.repeat(5000)}\r\n`)])).toThrow(/chunk-size line is longer than 4096 bytes/);
      expect(() => parse([Buffer.from(`${head}0\r\nX-T: ${'t'.repeat(2000)}\r\n\r\n`)], { maxHeaderBytes: 1024 })).toThrow(
        /trailers are larger than 1024 bytes/,
      );
    });
  });

  it('lets an exception of onBody through', () => {
    const parser = new ResponseParser({
      onBody: () => {
        throw new Error('reader failed');
      },
    });
    expect(() => parser.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n'))).not.toThrow();
    expect(() => parser.execute(Buffer.from('ok'))).toThrow('reader failed');
  });
});
