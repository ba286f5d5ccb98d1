// The limiter on a fake clock: deterministic, and as fast as the test can run.
import { describe, expect, it } from 'vitest';
import { BandwidthLimiter } from './bandwidth-limiter.ts';
import { parseBandwidthSpec } from './bandwidth-spec.ts';
import { FakeClock } from './clock.ts';

const KiB = 1024;
const MiB = 1024 * 1024;
const PIECE = 64 * KiB;
/** Lets every promise that can settle settle. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A stream that asks for pieces for as long as it runs, counting what it got. */
function consumer(limiter: BandwidthLimiter, signal: AbortSignal) {
  const state = { bytes: 0, error: undefined as unknown };
  const done = (async () => {
    try {
      while (!signal.aborted) {
        if (!limiter.tryTakeNow(PIECE)) await limiter.take(PIECE, signal);
        state.bytes += PIECE;
      }
    } catch (error) {
      state.error = error;
    }
  })();
  return { state, done };
}

/** Advances the fake clock in 10 ms steps, letting the consumers run between steps. */
async function runFor(clock: FakeClock, ms: number): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += 10) {
    clock.advance(10);
    await settle();
  }
}

describe('BandwidthLimiter (fake clock)', () => {
  it('one cap shared by two streams: together they get the rate, each about half', async () => {
    const clock = new FakeClock(new Date(2024, 0, 3, 12));
    const limiter = new BandwidthLimiter(parseBandwidthSpec('2M'), clock);
    const stop = new AbortController();
    const [a, b] = [consumer(limiter, stop.signal), consumer(limiter, stop.signal)];
    await runFor(clock, 10_000);
    stop.abort(new Error('test over'));
    await Promise.all([a.done, b.done]);
    const total = a.state.bytes + b.state.bytes;
    expect(total).toBeLessThanOrEqual(20 * MiB + 2 * PIECE);
    expect(total).toBeGreaterThanOrEqual(20 * MiB - 2 * PIECE);
    expect(Math.abs(a.state.bytes - b.state.bytes)).toBeLessThanOrEqual(2 * PIECE);
    expect(clock.pendingTimers).toBe(0);
  });

  it('follows the timetable while running: the rate changes at the minute it says', async () => {
    // 1 MiB/s from 08:00, 2 MiB/s from 09:00; start ten seconds before 09:00.
    const clock = new FakeClock(new Date(2024, 0, 3, 8, 59, 50));
    const limiter = new BandwidthLimiter(parseBandwidthSpec('08:00,1M 09:00,2M'), clock);
    const stop = new AbortController();
    const stream = consumer(limiter, stop.signal);
    await runFor(clock, 10_000);
    const before = stream.state.bytes;
    await runFor(clock, 10_000);
    const after = stream.state.bytes - before;
    stop.abort(new Error('test over'));
    await stream.done;
    expect(before).toBeGreaterThanOrEqual(10 * MiB - PIECE);
    expect(before).toBeLessThanOrEqual(10 * MiB + PIECE);
    expect(after).toBeGreaterThanOrEqual(20 * MiB - 2 * PIECE);
    expect(after).toBeLessThanOrEqual(20 * MiB + 2 * PIECE);
  });

  it('a stream paused by a slow rate is let go when the timetable turns the limit off', async () => {
    const clock = new FakeClock(new Date(2024, 0, 3, 18, 59, 59));
    const limiter = new BandwidthLimiter(parseBandwidthSpec('08:00,1k 19:00,off'), clock);
    let granted = false;
    // 64 KiB at 1 KiB/s would take 64 s; the limit ends in 1 s.
    void limiter.take(PIECE, new AbortController().signal).then(() => {
      granted = true;
    });
    clock.advance(999);
    await settle();
    expect(granted).toBe(false);
    clock.advance(1);
    await settle();
    expect(granted).toBe(true);
    expect(limiter.rate).toBe(Infinity);
    expect(limiter.tryTakeNow(100 * MiB)).toBe(true);
  });

  it('an abort releases a paused stream at once, and the others go on', async () => {
    const clock = new FakeClock(0);
    const limiter = new BandwidthLimiter(parseBandwidthSpec('64k'), clock);
    const cancelled = new AbortController();
    const first = limiter.take(PIECE, cancelled.signal);
    let secondGranted = false;
    void limiter.take(PIECE, new AbortController().signal).then(() => {
      secondGranted = true;
    });
    expect(limiter.tryTakeNow(1)).toBe(false); // others are waiting: no jumping the queue
    cancelled.abort(new Error('job cancelled'));
    await expect(first).rejects.toThrow('job cancelled');
    expect(secondGranted).toBe(false);
    clock.advance(1000);
    await settle();
    expect(secondGranted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    await expect(limiter.take(1, cancelled.signal)).rejects.toThrow('job cancelled');
  });

  it('waits on a timer, never in a loop: one timer however many streams wait', async () => {
    const clock = new FakeClock(0);
    const limiter = new BandwidthLimiter(parseBandwidthSpec('64k'), clock);
    const signal = new AbortController().signal;
    const waits = Array.from({ length: 5 }, () => limiter.take(PIECE, signal));
    expect(clock.pendingTimers).toBe(1);
    clock.advance(5000);
    await Promise.all(waits);
    expect(clock.pendingTimers).toBe(0);
  });
});
