import { describe, expect, it } from 'vitest';
import { RetryError, backoffDelay, parseRetryAfter, retryWithBackoff, sleep } from './retry.ts';
import type { AttemptOutcome, RetryPolicy } from './retry.ts';

// Merged from notify-kit (equal jitter, the delivery loop) and source-vsphere's NFC download
// (full jitter, repeated headers, the abortable sleep), which each had their own copy.

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and ignores what it cannot read', () => {
    expect(parseRetryAfter(' 120 ')).toBe(120_000);
    expect(parseRetryAfter(['3', '9'])).toBe(3000);
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('1.5')).toBeUndefined();
    const now = Date.parse('2026-03-01T12:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sun, 01 Mar 2026 12:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  const full = { initialDelayMs: 250, maxDelayMs: 15_000, jitter: 'full' } as const;

  it('with full jitter, doubles the cap with each attempt and draws from [0, cap)', () => {
    expect(backoffDelay(1, full, () => 0.999999)).toBe(249);
    expect(backoffDelay(2, full, () => 0.5)).toBe(250);
    expect(backoffDelay(3, full, () => 0.5)).toBe(500);
    expect(backoffDelay(3, full, () => 0)).toBe(0);
    expect(backoffDelay(10, full, () => 0.999999)).toBeLessThan(15_000);
    expect(backoffDelay(10_000, full, () => 0.5)).toBe(7_500);
    for (let i = 0; i < 1000; i++) {
      const value = backoffDelay(4, full);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(2000);
    }
  });

  it('with equal jitter (the default), doubles from the initial delay, keeps half of it fixed, and stops at the cap', () => {
    const policy = { initialDelayMs: 1000, maxDelayMs: 6000 };
    expect(backoffDelay(1, policy, () => 0)).toBe(500);
    expect(backoffDelay(1, policy, () => 1)).toBe(1000);
    expect(backoffDelay(2, policy, () => 0)).toBe(1000);
    expect(backoffDelay(3, policy, () => 1)).toBe(4000);
    expect(backoffDelay(10, policy, () => 1)).toBe(6000);
    expect(backoffDelay(10, policy, () => 0)).toBe(3000);
  });
});

const quick: RetryPolicy = { initialDelayMs: 1, maxDelayMs: 2, maxAttempts: 4, maxElapsedMs: 5000, timeoutMs: 1000 };

describe('retryWithBackoff', () => {
  it('retries retryable failures until one attempt succeeds', async () => {
    const outcomes: AttemptOutcome[] = [{ ok: false, retryable: true, reason: 'HTTP 500' }, { ok: false, retryable: true, reason: 'HTTP 502' }, { ok: true }];
    const report = await retryWithBackoff(async () => outcomes.shift()!, quick);
    expect(report.attempts).toBe(3);
  });

  it('stops at once on an answer a retry cannot change', async () => {
    let calls = 0;
    const failure = retryWithBackoff(async () => {
      calls++;
      return { ok: false, retryable: false, reason: 'HTTP 404 Not Found' };
    }, quick);
    await expect(failure).rejects.toThrow(/HTTP 404 Not Found \(not retried\)/);
    expect(calls).toBe(1);
  });

  it('gives up after maxAttempts with the last reason', async () => {
    let calls = 0;
    const failure = retryWithBackoff(async () => ({ ok: false, retryable: true, reason: `HTTP 503 #${++calls}` }), quick);
    await expect(failure).rejects.toThrow(/HTTP 503 #4; gave up after 4 attempts/);
    await expect(failure).rejects.toBeInstanceOf(RetryError);
  });

  it('waits at least what the server asked for, even when the backoff would be shorter', async () => {
    const starts: number[] = [];
    const outcomes: AttemptOutcome[] = [{ ok: false, retryable: true, reason: 'HTTP 429', retryAfterMs: 300 }, { ok: true }];
    await retryWithBackoff(async () => {
      starts.push(performance.now());
      return outcomes.shift()!;
    }, quick);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(295);
  });

  it('does not wait for a Retry-After that ends beyond maxElapsedMs', async () => {
    let calls = 0;
    const policy = { ...quick, maxElapsedMs: 2000 };
    const failure = retryWithBackoff(async () => {
      calls++;
      return { ok: false, retryable: true, reason: 'HTTP 429', retryAfterMs: 60_000 };
    }, policy);
    await expect(failure).rejects.toThrow(/server asked to wait 60.0 s, beyond maxElapsedMs 2000/);
    expect(calls).toBe(1);
  });

  it('turns an attempt that outlives its timeout into a retryable failure', async () => {
    const policy = { ...quick, timeoutMs: 50, maxAttempts: 2 };
    const failure = retryWithBackoff(
      (_attempt, signal) =>
        new Promise<AttemptOutcome>((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
      policy,
    );
    await expect(failure).rejects.toThrow(/no answer within 50 ms; gave up after 2 attempts/);
  });

  it('turns a thrown network error into a retryable failure that names its cause', async () => {
    const outcomes: (() => AttemptOutcome)[] = [
      () => {
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) });
      },
      () => ({ ok: true }),
    ];
    const reasons: string[] = [];
    const report = await retryWithBackoff(async () => outcomes.shift()!(), quick, { onRetry: (_n, _delay, reason) => reasons.push(reason) });
    expect(report.attempts).toBe(2);
    expect(reasons).toEqual(['fetch failed: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:9']);
  });

  it('stops when the caller aborts, without another attempt', async () => {
    const controller = new AbortController();
    let calls = 0;
    const failure = retryWithBackoff(
      async () => {
        calls++;
        controller.abort(new Error('deadline'));
        return { ok: false, retryable: true, reason: 'HTTP 500' };
      },
      { ...quick, initialDelayMs: 1000 },
      { signal: controller.signal },
    );
    await expect(failure).rejects.toThrow('deadline');
    expect(calls).toBe(1);
  });
});

describe('sleep', () => {
  it('waits, and rejects promptly with an AbortError when the signal aborts', async () => {
    await sleep(1, new AbortController().signal);
    const controller = new AbortController();
    const started = Date.now();
    const pending = sleep(60_000, controller.signal);
    setTimeout(() => controller.abort(new Error('stop')), 10);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('rejects at once for an already aborted signal', async () => {
    await expect(sleep(60_000, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
  });
});
