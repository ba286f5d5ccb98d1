// A local HTTP receiver for the notifier tests: records every request (headers, raw body, arrival
// time) and answers from a script per path, e.g. 500, then 429 with Retry-After, then 200. It
// verifies Standard Webhooks signatures with its own HMAC (RFC 2104 over SHA-256), so a test
// does not check the notifier's signing code against itself.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** When the request arrived (Date.now()). */
  readonly at: number;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  readonly #server: Server;
  readonly #scripts = new Map<string, Answer[]>();
  readonly #fallbacks = new Map<string, Answer>();
  readonly #waiters: { count: number; path: string | undefined; resolve: () => void }[] = [];

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<WebhookReceiver> {
    let receiver!: WebhookReceiver;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const received: ReceivedRequest = {
          method: request.method ?? '',
          path: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        };
        receiver.requests.push(received);
        const answer = receiver.#answerFor(pathOnly(received.path));
        response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        response.end(answer.body ?? '');
        receiver.#wake();
      });
    });
    receiver = new WebhookReceiver(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Answers the next requests to `path` with `answers` in turn, then with the fallback (200). */
  script(path: string, ...answers: Answer[]): this {
    this.#scripts.set(path, [...answers]);
    return this;
  }

  /** Answers every request to `path` with `answer` once its script is used up. */
  always(path: string, answer: Answer): this {
    this.#fallbacks.set(path, answer);
    return this;
  }

  received(path: string): ReceivedRequest[] {
    return this.requests.filter((request) => pathOnly(request.path) === path);
  }

  /** Resolves once `count` requests (to `path`, if given) have arrived. */
  async waitFor(count: number, path?: string): Promise<ReceivedRequest[]> {
    const matching = () => (path === undefined ? this.requests : this.received(path));
    if (matching().length < count) await new Promise<void>((resolve) => this.#waiters.push({ count, path, resolve }));
    return matching();
  }

  clear(): void {
    this.requests.length = 0;
    this.#scripts.clear();
    this.#fallbacks.clear();
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #answerFor(path: string): Answer {
    const script = this.#scripts.get(path);
    const next = script?.shift();
    return next ?? this.#fallbacks.get(path) ?? { status: 200, body: 'ok' };
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) {
      const have = waiter.path === undefined ? this.requests.length : this.received(waiter.path).length;
      if (have >= waiter.count) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }
}

function pathOnly(path: string): string {
  const question = path.indexOf('?');
  return question === -1 ? path : path.slice(0, question);
}

/** HMAC-SHA256 as RFC 2104 defines it, built on the plain hash. */
export function hmacSha256(key: Buffer, data: string): Buffer {
  const block = 64;
  const shortKey = key.length > block ? createHash('sha256').update(key).digest() : key;
  const padded = Buffer.alloc(block);
  shortKey.copy(padded);
  const inner = Buffer.alloc(block);
  const outer = Buffer.alloc(block);
  for (let index = 0; index < block; index++) {
    inner[index] = padded[index]! ^ 0x36;
    outer[index] = padded[index]! ^ 0x5c;
  }
  const innerHash = createHash('sha256').update(inner).update(data, 'utf8').digest();
  return createHash('sha256').update(outer).update(innerHash).digest();
}

export type SignatureVerdict = 'valid' | 'missing-headers' | 'stale-timestamp' | 'bad-signature';

/**
 * Verifies a request the way a Standard Webhooks receiver does: the three headers present, the
 * timestamp within `toleranceSeconds` of `now`, one of the space-separated `v1,` signatures equal
 * (in constant time) to HMAC-SHA256(base64-decode(secret without whsec_), "id.timestamp.body").
 */
export function verifyStandardWebhook(
  secret: string,
  request: Pick<ReceivedRequest, 'headers' | 'body'>,
  now: number = Date.now(),
  toleranceSeconds = 300,
): SignatureVerdict {
  const id = request.headers['webhook-id'];
  const timestamp = request.headers['webhook-timestamp'];
  const signatures = request.headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return 'missing-headers';
  if (!/^\d+$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > toleranceSeconds) return 'stale-timestamp';
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = hmacSha256(key, `${id}.${timestamp}.${request.body}`);
  for (const entry of signatures.split(' ')) {
    const [version, encoded] = entry.split(',', 2);
    if (version !== 'v1' || encoded === undefined) continue;
    const given = Buffer.from(encoded, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return 'valid';
  }
  return 'bad-signature';
}
