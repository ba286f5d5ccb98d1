import { describe, expect, it } from 'vitest';
import { ProgressThrottle } from './progress-throttle.ts';

describe('ProgressThrottle', () => {
  it('fires once per percent step crossed, never at 100 %', () => {
    const throttle = new ProgressThrottle({ percentStep: 25, intervalSeconds: 3600 }, 0);
    const fired = [5, 20, 26, 30, 49, 51, 52, 99, 100].filter((percent, index) => throttle.due(index, percent));
    expect(fired).toEqual([26, 51, 99]);
  });

  it('fires once per interval when the size is unknown', () => {
    const throttle = new ProgressThrottle({ intervalSeconds: 10 }, 0);
    const fired = [1_000, 9_999, 10_000, 15_000, 19_999, 20_000, 40_000].filter((now) => throttle.due(now, undefined));
    expect(fired).toEqual([10_000, 20_000, 40_000]);
  });

  it('restarts the interval after a step message', () => {
    const throttle = new ProgressThrottle({ intervalSeconds: 10, percentStep: 50 }, 0);
    expect(throttle.due(9_000, 55)).toBe(true);
    expect(throttle.due(12_000, 60)).toBe(false);
    expect(throttle.due(19_000, 70)).toBe(true);
  });

  it('can turn percent steps off', () => {
    const throttle = new ProgressThrottle({ intervalSeconds: 10, percentStep: 0 }, 0);
    expect(throttle.due(1_000, 90)).toBe(false);
  });
});
