// Posting one notification over HTTP with the retry rules of retry.ts. The status codes are read
// the way the Standard Webhooks guide suggests: 2xx is success; 408, 425, 429, 500, 502, 503 and
// 504 (RETRYABLE_STATUS) are worth another attempt, as are a network error and a timeout; a
// redirect, 410 Gone, the other 4xx and the other 5xx (501 Not Implemented, 505 HTTP Version Not
// Supported…) are answers a retry will not change.
import { parseRetryAfter, retryWithBackoff } from './retry.ts';
import type { AttemptOutcome, DeliveryReport, RetryHooks, RetryPolicy } from './retry.ts';

export interface HttpRequest {
  readonly url: string;
  readonly method?: 'POST' | 'PUT';
  /** Headers, or a function giving them per attempt (a signature over a fresh timestamp). */
  readonly headers?: Readonly<Record<string, string>> | ((attempt: number) => Readonly<Record<string, string>>);
  readonly body: string;
}

export interface HttpDeliveryReport extends DeliveryReport {
  readonly status: number;
  /** The start of the answer's body (at most 64 KiB), e.g. PagerDuty's `dedup_key`. */
  readonly responseText: string;
}

export const USER_AGENT = 'HyperExport-Notify/0.1';

// Notification endpoints answer in a few bytes; a hostile or broken one must not make us
// buffer an unbounded body.
const MAX_RESPONSE_BYTES = 64 * 1024;

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Sends `request` until it is accepted (2xx) or the policy gives up (a DeliveryError). */
export async function deliverHttp(request: HttpRequest, policy: RetryPolicy, hooks: RetryHooks = {}): Promise<HttpDeliveryReport> {
  let last: { status: number; text: string } = { status: 0, text: '' };
  const report = await retryWithBackoff(
    async (attempt, signal): Promise<AttemptOutcome> => {
      const headers = typeof request.headers === 'function' ? request.headers(attempt) : (request.headers ?? {});
      const response = await fetch(request.url, {
        method: request.method ?? 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...headers },
        body: request.body,
        // A webhook that moved must be updated, not followed: a redirect could send the payload
        // (and its signature) somewhere else.
        redirect: 'manual',
        signal,
      });
      const text = await readLimited(response);
      last = { status: response.status, text };
      return classifyResponse(response.status, response.statusText, response.headers, text);
    },
    policy,
    hooks,
  );
  return { ...report, status: last.status, responseText: last.text };
}

/** Turns an HTTP answer into an attempt outcome (exported for the unit tests). */
export function classifyResponse(status: number, statusText: string, headers: Headers, text: string, now: number = Date.now()): AttemptOutcome {
  if (status >= 200 && status < 300) return { ok: true };
  const reason = `HTTP ${status}${statusText ? ` ${statusText}` : ''}${describeBody(text)}`;
  if (status >= 300 && status < 400) {
    return { ok: false, retryable: false, reason: `${reason}: the endpoint redirects; configure the new URL (redirects are not followed)` };
  }
  if (status === 410) return { ok: false, retryable: false, reason: `${reason}: the endpoint is gone; remove or replace it` };
  if (!RETRYABLE_STATUS.has(status)) return { ok: false, retryable: false, reason };
  return { ok: false, retryable: true, reason, retryAfterMs: retryAfterOf(status, headers, text, now) };
}

/**
 * The wait a server asked for: the Retry-After header (seconds or an HTTP date), and for 429
 * Discord's JSON body `{"retry_after": 1.5}` (seconds, fractional). The longer of the two wins.
 */
export function retryAfterOf(status: number, headers: Headers, text: string, now: number = Date.now()): number | undefined {
  const fromHeader = parseRetryAfter(headers.get('retry-after'), now);
  let fromBody: number | undefined;
  if (status === 429 && text.trimStart().startsWith('{')) {
    try {
      const value = (JSON.parse(text) as { retry_after?: unknown }).retry_after;
      if (typeof value === 'number' && Number.isFinite(value) && value >= 0) fromBody = Math.ceil(value * 1000);
    } catch {
      // Not JSON after all: the header alone decides.
    }
  }
  if (fromHeader === undefined) return fromBody;
  if (fromBody === undefined) return fromHeader;
  return Math.max(fromHeader, fromBody);
}

async function readLimited(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      if (size >= MAX_RESPONSE_BYTES) {
        await reader.cancel();
        break;
      }
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
}

function describeBody(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line === '') return '';
  return `: ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`;
}
