import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter, sleep } from './backoff.ts';

describe('backoffDelay', () => {
  const options = { baseDelayMs: 250, maxDelayMs: 15_000 };

  it('doubles the cap with each attempt and applies full jitter', () => {
    expect(backoffDelay(1, options, () => 0.999999)).toBe(249);
    expect(backoffDelay(2, options, () => 0.5)).toBe(250);
    expect(backoffDelay(3, options, () => 0.5)).toBe(500);
    expect(backoffDelay(3, options, () => 0)).toBe(0);
  });

  it('never exceeds maxDelayMs, even for huge attempt numbers', () => {
    expect(backoffDelay(10, options, () => 0.999999)).toBeLessThan(15_000);
    expect(backoffDelay(10_000, options, () => 0.5)).toBe(7_500);
  });

  it('stays within [0, cap) with the real random source', () => {
    for (let i = 0; i < 1000; i++) {
      const value = backoffDelay(4, options);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(2000);
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-05-01T12:00:00Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('1', now)).toBe(1000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter(['3', '9'], now)).toBe(3000);
  });

  it('reads an HTTP date, clamping the past to 0', () => {
    expect(parseRetryAfter('Fri, 01 May 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 01 May 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores missing or malformed values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
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
