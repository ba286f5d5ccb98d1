import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { TokenBucket, burstFor } from './token-bucket.ts';

const KiB = 1024;
const MiB = 1024 * 1024;

describe('TokenBucket (fake clock)', () => {
  it('starts empty: the first bytes wait for their share of time', () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(1 * MiB, clock);
    expect(bucket.tryTake(64 * KiB)).toBe(63); // 62.5 ms, rounded up
    clock.advance(62);
    expect(bucket.tryTake(64 * KiB)).toBe(1);
    clock.advance(1);
    expect(bucket.tryTake(64 * KiB)).toBe(0);
  });

  it('holds the rate over a long run of pieces', () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(3 * MiB, clock);
    let passed = 0;
    while (clock.now() < 10_000) {
      const wait = bucket.tryTake(64 * KiB);
      if (wait === 0) passed += 64 * KiB;
      else clock.advance(wait);
    }
    expect(passed).toBeLessThanOrEqual(30 * MiB);
    expect(passed).toBeGreaterThanOrEqual(30 * MiB - 64 * KiB);
  });

  it('after a pause lets at most one burst through at once: a quarter second of the rate, at least 64 KiB', () => {
    expect(burstFor(4 * MiB)).toBe(1 * MiB);
    expect(burstFor(100 * KiB)).toBe(64 * KiB);
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(4 * MiB, clock);
    clock.advance(60_000);
    let passed = 0;
    while (bucket.tryTake(64 * KiB) === 0) passed += 64 * KiB;
    expect(passed).toBe(1 * MiB);
  });

  it('a request larger than the burst waits for a full bucket, then leaves a debt the next one waits off', () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(1 * MiB, clock); // burst 256 KiB
    expect(bucket.tryTake(1 * MiB)).toBe(250);
    clock.advance(250);
    expect(bucket.tryTake(1 * MiB)).toBe(0);
    // 768 KiB of debt plus the 64 KiB asked for: 832 KiB at 1 MiB/s.
    expect(bucket.tryTake(64 * KiB)).toBe(813);
  });

  it('a new rate applies from then on, keeping what flowed in before; an unlimited bucket never waits', () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(1 * MiB, clock);
    clock.advance(100); // 102.4 KiB at the old rate
    bucket.setRate(Infinity);
    expect(bucket.tryTake(100 * MiB)).toBe(0);
    clock.advance(10_000); // nothing accrues while unlimited
    bucket.setRate(2 * MiB);
    expect(bucket.rate).toBe(2 * MiB);
    expect(bucket.tryTake(64 * KiB)).toBe(0);
    // 38.4 KiB left; 25.6 KiB more at 2 MiB/s is 12.5 ms.
    expect(bucket.tryTake(64 * KiB)).toBe(13);
  });

  it('does not count time when the wall clock steps back', () => {
    const clock = new FakeClock(10_000);
    const bucket = new TokenBucket(1 * MiB, clock);
    clock.advance(-5_000);
    expect(bucket.tryTake(64 * KiB)).toBe(63);
  });
});
