import { describe, expect, it } from 'vitest';
import { TimeLimitError, withTimeLimit } from './time-limit.ts';

describe('withTimeLimit', () => {
  it('gives the result of work that finishes in time', async () => {
    expect(await withTimeLimit('quick', 1000, async () => 42)).toBe(42);
  });

  it('fails work that does not finish in time, naming the check', async () => {
    const started = Date.now();
    const stuck = withTimeLimit('output pre-check', 50, () => new Promise<never>(() => undefined));
    await expect(stuck).rejects.toThrow('output pre-check did not finish within 50 ms');
    await expect(stuck).rejects.toBeInstanceOf(TimeLimitError);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
