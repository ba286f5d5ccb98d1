// Retry timing for NFC downloads: exponential backoff with full jitter, an abortable sleep, and
// the server's own `Retry-After` when it sends one.
import { setTimeout as delay } from 'node:timers/promises';

export interface BackoffOptions {
  /** The cap of the first retry's delay; each later retry doubles it. */
  readonly baseDelayMs: number;
  /** No delay is ever longer than this. */
  readonly maxDelayMs: number;
}

/**
 * The delay before retry number `attempt` (1 for the first retry): a uniformly random value in
 * [0, min(maxDelayMs, baseDelayMs * 2^(attempt-1))). Full jitter spreads the retries of many
 * parallel disk downloads that failed together (a host reboot) instead of bunching them.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // 2 ** large is Infinity, which min() turns into the cap: no overflow for long retry streaks.
  const cap = Math.max(0, Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** exponent));
  return Math.floor(random() * cap);
}

/** Waits `ms`; rejects with an AbortError (cause: the signal's reason) as soon as `signal` aborts. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(Math.max(0, ms), undefined, { signal });
}

/**
 * A `Retry-After` header as a delay in milliseconds from `now`: either delta-seconds (`120`) or an
 * HTTP date. A date in the past gives 0. Undefined when the header is missing or malformed.
 */
export function parseRetryAfter(header: string | readonly string[] | null | undefined, now: number = Date.now()): number | undefined {
  const value = (typeof header === 'string' ? header : header?.[0])?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // Only accept something that looks like a date, so that "-5" or "1.5" are not read as years.
  if (!/[a-z]/i.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
