// Delivery with retries: a timeout per attempt, exponential backoff with jitter between attempts,
// a server's requested wait (Retry-After, Discord's retry_after) honoured, and the whole delivery
// bounded in time so a dead endpoint can never hold the process for long.
import { setTimeout as sleepFor } from 'node:timers/promises';
import { brandError, t } from '@hyperexport/core';

export interface RetryPolicy {
  /** Longest time one attempt may take (connect, send, answer). */
  readonly timeoutMs: number;
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Longest time the whole delivery may take, waits included; no attempt starts after it. */
  readonly maxElapsedMs: number;
  /** Wait before the second attempt; doubles each time, with jitter. */
  readonly initialDelayMs: number;
  /** Upper bound of one backoff wait (a Retry-After may ask for more, within maxElapsedMs). */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  timeoutMs: 10_000,
  maxAttempts: 5,
  maxElapsedMs: 60_000,
  initialDelayMs: 1_000,
  maxDelayMs: 15_000,
});

/** Option fields every notifier offers (config form; the URL form uses the same names). */
export const retryOptionShape = {
  /** Per attempt, in milliseconds (default 10000). */
  timeoutMs: t.isOptional(t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(1)])),
  /** Attempts in all (default 5). */
  maxAttempts: t.isOptional(t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, 20)])),
  /** Bound of the whole delivery, in milliseconds (default 60000). */
  maxElapsedMs: t.isOptional(t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(1)])),
};

export interface RetryOptions {
  readonly timeoutMs?: number | undefined;
  readonly maxAttempts?: number | undefined;
  readonly maxElapsedMs?: number | undefined;
  readonly initialDelayMs?: number | undefined;
  readonly maxDelayMs?: number | undefined;
}

export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  return {
    timeoutMs: options.timeoutMs ?? DEFAULT_RETRY_POLICY.timeoutMs,
    maxAttempts: options.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts,
    maxElapsedMs: options.maxElapsedMs ?? DEFAULT_RETRY_POLICY.maxElapsedMs,
    initialDelayMs: options.initialDelayMs ?? DEFAULT_RETRY_POLICY.initialDelayMs,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
  };
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

/** A delivery that did not succeed; `reason` is the last attempt's. */
export class DeliveryError extends Error {
  static {
    brandError(this, 'hyperexport.notify-kit.DeliveryError');
  }

  readonly attempts: number;
  readonly elapsedMs: number;
  constructor(message: string, attempts: number, elapsedMs: number) {
    super(message);
    this.name = 'DeliveryError';
    this.attempts = attempts;
    this.elapsedMs = elapsedMs;
  }
}

export interface DeliveryReport {
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
 * The backoff wait after failed attempt `attempt` (1-based): exponential from initialDelayMs,
 * capped at maxDelayMs, with "equal jitter" (half fixed, half random) so that many senders that
 * failed together do not retry together, yet no wait collapses to zero.
 */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'initialDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/**
 * A Retry-After header: delta-seconds or an HTTP date (RFC 9110 §10.2.3). Returns milliseconds
 * from `now`, or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date always names a weekday and a month; Date.parse would read "-5" as a year.
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Runs `attempt` until it succeeds, fails for good, runs out of attempts or of time. Each
 * attempt gets a signal that fires at its timeout (or at the deadline, whichever is first) and
 * when `hooks.signal` aborts. Resolves with the count of attempts; rejects with a DeliveryError.
 */
export async function retryWithBackoff(
  attempt: (attemptNumber: number, signal: AbortSignal) => Promise<AttemptOutcome>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<DeliveryReport> {
  const started = Date.now();
  const deadline = started + policy.maxElapsedMs;
  const random = hooks.random ?? Math.random;
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
    if (outcome.ok) return { attempts: number, elapsedMs: Date.now() - started };
    lastReason = outcome.reason;
    const elapsed = () => Date.now() - started;
    if (!outcome.retryable) throw new DeliveryError(`${outcome.reason} (not retried)`, number, elapsed());
    if (number === policy.maxAttempts)
      throw new DeliveryError(`${outcome.reason}; gave up after ${number} attempts in ${seconds(elapsed())}`, number, elapsed());
    // A server that says when to come back is obeyed, not second-guessed: the wait is at least
    // what it asked for, even beyond maxDelayMs, as long as the deadline allows it.
    const delay = outcome.retryAfterMs !== undefined ? Math.max(outcome.retryAfterMs, 0) : backoffDelay(number, policy, random);
    if (Date.now() + delay >= deadline) {
      const why = outcome.retryAfterMs !== undefined ? `the server asked to wait ${seconds(delay)}` : `the next attempt would start after ${seconds(delay)}`;
      throw new DeliveryError(
        `${outcome.reason}; gave up after ${number} attempts in ${seconds(elapsed())} (${why}, beyond maxElapsedMs ${policy.maxElapsedMs})`,
        number,
        elapsed(),
      );
    }
    hooks.onRetry?.(number, delay, outcome.reason);
    try {
      await sleepFor(delay, undefined, hooks.signal ? { signal: hooks.signal } : undefined);
    } catch (error) {
      throw hooks.signal?.aborted ? hooks.signal.reason : error;
    }
  }
  const elapsedMs = Date.now() - started;
  throw new DeliveryError(`${lastReason}; gave up after ${made} attempts in ${seconds(elapsedMs)} (maxElapsedMs ${policy.maxElapsedMs})`, made, elapsedMs);
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
