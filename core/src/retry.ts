// Retrying with backoff, in one place for every plugin that talks to a server: the backoff wait
// (exponential, with jitter), a server's Retry-After header, an abortable sleep, and a retry loop
// bounded in attempts and in time (per attempt and overall).
import { setTimeout as sleepFor } from 'node:timers/promises';
import { brandError } from './errors.ts';

export interface BackoffOptions {
  /** The wait (or its cap, with full jitter) after the first failed attempt; doubles each time. */
  readonly initialDelayMs: number;
  /** Upper bound of one backoff wait. */
  readonly maxDelayMs: number;
  /**
   * How the wait is spread (both keep many clients that failed together from retrying together):
   * 'equal' (default) keeps half of it fixed so no wait collapses to zero; 'full' draws it from
   * [0, cap), which spreads parallel downloads of one host the most.
   */
  readonly jitter?: 'equal' | 'full' | undefined;
}

/** The backoff wait after failed attempt `attempt` (1-based), capped at maxDelayMs. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // 2 ** large is Infinity, which min() turns into the cap: no overflow for long retry streaks.
  const cap = Math.max(0, Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** exponent));
  if (options.jitter === 'full') return Math.floor(random() * cap);
  return Math.round(cap / 2 + random() * (cap / 2));
}

/**
 * A Retry-After header: delta-seconds or an HTTP date (RFC 9110 §10.2.3), as milliseconds from
 * `now`; a date in the past gives 0. Undefined when absent or unreadable. A repeated header
 * (Node gives an array) counts by its first value.
 */
export function parseRetryAfter(header: string | readonly string[] | null | undefined, now: number = Date.now()): number | undefined {
  const value = (typeof header === 'string' ? header : header?.[0])?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP date always names a weekday and a month; Date.parse would read "-5" or "1.5" as a year.
  if (!/[a-z]/i.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Waits `ms`; rejects with an AbortError (cause: the signal's reason) as soon as `signal` aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  await sleepFor(Math.max(0, ms), undefined, signal ? { signal } : undefined);
}

export interface RetryPolicy extends BackoffOptions {
  /** Longest time one attempt may take (connect, send, answer). */
  readonly timeoutMs: number;
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Longest time the whole run may take, waits included; no attempt starts after it. */
  readonly maxElapsedMs: number;
}

/** What one attempt came to. */
export type AttemptOutcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** False for answers that another attempt cannot change (a 400, a 404, a rejected login). */
      readonly retryable: boolean;
      readonly reason: string;
      /** The wait the server asked for before the next attempt. */
      readonly retryAfterMs?: number | undefined;
    };

/** Attempts that did not succeed; the message ends with the last attempt's reason and why it stopped. */
export class RetryError extends Error {
  static {
    brandError(this, 'hyperexport.RetryError');
  }

  readonly attempts: number;
  readonly elapsedMs: number;
  constructor(message: string, attempts: number, elapsedMs: number) {
    super(message);
    this.name = 'RetryError';
    this.attempts = attempts;
    this.elapsedMs = elapsedMs;
  }
}

export interface RetryReport {
  readonly attempts: number;
  readonly elapsedMs: number;
}

export interface RetryHooks {
  readonly signal?: AbortSignal | undefined;
  /** For tests of the schedule; default Math.random. */
  readonly random?: () => number;
  /** Told before each wait (for debug output). */
  readonly onRetry?: (attempt: number, delayMs: number, reason: string) => void;
}

/**
 * Runs `attempt` until it succeeds, fails for good, runs out of attempts or of time. Each
 * attempt gets a signal that fires at its timeout (or at the deadline, whichever is first) and
 * when `hooks.signal` aborts. Resolves with the count of attempts; rejects with a RetryError, or
 * with the signal's reason when the caller aborts.
 */
export async function retryWithBackoff(
  attempt: (attemptNumber: number, signal: AbortSignal) => Promise<AttemptOutcome>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<RetryReport> {
  const started = Date.now();
  const deadline = started + policy.maxElapsedMs;
  const random = hooks.random ?? Math.random;
  const elapsed = () => Date.now() - started;
  let lastReason = 'no attempt made';
  let made = 0;
  for (let number = 1; number <= policy.maxAttempts; number++) {
    hooks.signal?.throwIfAborted();
    const budget = Math.min(policy.timeoutMs, deadline - Date.now());
    if (budget <= 0) break;
    const timeout = AbortSignal.timeout(budget);
    const signal = hooks.signal ? AbortSignal.any([hooks.signal, timeout]) : timeout;
    let outcome: AttemptOutcome;
    made = number;
    try {
      outcome = await attempt(number, signal);
    } catch (error) {
      if (hooks.signal?.aborted) throw hooks.signal.reason;
      outcome = timeout.aborted
        ? { ok: false, retryable: true, reason: `no answer within ${budget} ms` }
        : { ok: false, retryable: true, reason: describeNetworkError(error) };
    }
    if (outcome.ok) return { attempts: number, elapsedMs: elapsed() };
    lastReason = outcome.reason;
    if (!outcome.retryable) throw new RetryError(`${outcome.reason} (not retried)`, number, elapsed());
    if (number === policy.maxAttempts) throw new RetryError(`${outcome.reason}; gave up after ${number} attempts in ${seconds(elapsed())}`, number, elapsed());
    // A server that says when to come back is obeyed, not second-guessed: the wait is at least
    // what it asked for, even beyond maxDelayMs, as long as the deadline allows it.
    const delay = outcome.retryAfterMs !== undefined ? Math.max(outcome.retryAfterMs, 0) : backoffDelay(number, policy, random);
    if (Date.now() + delay >= deadline) {
      const why = outcome.retryAfterMs !== undefined ? `the server asked to wait ${seconds(delay)}` : `the next attempt would start after ${seconds(delay)}`;
      throw new RetryError(
        `${outcome.reason}; gave up after ${number} attempts in ${seconds(elapsed())} (${why}, beyond maxElapsedMs ${policy.maxElapsedMs})`,
        number,
        elapsed(),
      );
    }
    hooks.onRetry?.(number, delay, outcome.reason);
    try {
      await sleep(delay, hooks.signal);
    } catch (error) {
      throw hooks.signal?.aborted ? hooks.signal.reason : error;
    }
  }
  throw new RetryError(`${lastReason}; gave up after ${made} attempts in ${seconds(elapsed())} (maxElapsedMs ${policy.maxElapsedMs})`, made, elapsed());
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** fetch() throws "fetch failed" with the useful part in `cause` (ECONNREFUSED 127.0.0.1:9). */
export function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as (Error & { code?: string }) | undefined;
  if (cause instanceof Error) return `${error.message}: ${cause.code ? `${cause.code} ` : ''}${cause.message}`.trim();
  return error.message;
}
