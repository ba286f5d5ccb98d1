// Delivery with retries: the notifiers' retry policy (defaults and the option fields every
// notifier offers) over core's retryWithBackoff, which times attempts, backs off with jitter,
// honours a server's requested wait and bounds the whole delivery in time.
import { RetryError, t } from '@hyperexport/core';
import type { RetryPolicy, RetryReport } from '@hyperexport/core';

export { backoffDelay, describeNetworkError, parseRetryAfter, retryWithBackoff } from '@hyperexport/core';
export type { AttemptOutcome, RetryHooks, RetryPolicy } from '@hyperexport/core';

/** A delivery that did not succeed: core's RetryError under the name notifiers have always used. */
export const DeliveryError = RetryError;
export type DeliveryError = RetryError;
export type DeliveryReport = RetryReport;

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
