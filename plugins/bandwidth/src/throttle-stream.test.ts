import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { BandwidthLimiter } from './bandwidth-limiter.ts';
import { parseBandwidthSpec } from './bandwidth-spec.ts';
import { FakeClock } from './clock.ts';
import { ThrottleStream } from './throttle-stream.ts';

const KiB = 1024;
const MiB = 1024 * 1024;
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const data = Buffer.from(Array.from({ length: 3 * MiB + 12_345 }, (_, index) => (index * 7) % 251));

/** Collects what comes out, and when (fake time), for each piece. */
function collector(clock: FakeClock) {
  const pieces: { at: number; bytes: number }[] = [];
  const chunks: Buffer[] = [];
  const sink = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      pieces.push({ at: clock.now(), bytes: chunk.length });
      chunks.push(chunk);
    }
  };
  return { pieces, chunks, sink };
}

describe('ThrottleStream', () => {
  it('passes every byte, in order, no faster than the cap', async () => {
    const clock = new FakeClock(0);
    const out = collector(clock);
    const done = pipeline(
      Readable.from([data.subarray(0, 1 * MiB), data.subarray(1 * MiB)]),
      new ThrottleStream([new BandwidthLimiter(parseBandwidthSpec('1M'), clock)], new AbortController().signal),
      out.sink,
    );
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    while (!finished) {
      clock.advance(10);
      await settle();
    }
    expect(Buffer.concat(out.chunks).equals(data)).toBe(true);
    expect(Math.max(...out.pieces.map((piece) => piece.bytes))).toBeLessThanOrEqual(64 * KiB);
    // At every moment, no more than rate × time has come out.
    let sum = 0;
    for (const piece of out.pieces) {
      sum += piece.bytes;
      expect(sum).toBeLessThanOrEqual((piece.at / 1000) * MiB + 1);
    }
    expect(clock.now()).toBeGreaterThanOrEqual((data.length / MiB) * 1000);
    expect(clock.now()).toBeLessThanOrEqual((data.length / MiB) * 1000 + 100);
  });

  it('with every limit off, passes chunks through without waiting or timers', async () => {
    const clock = new FakeClock(0);
    const out = collector(clock);
    await pipeline(Readable.from([data]), new ThrottleStream([new BandwidthLimiter(parseBandwidthSpec('off'), clock)], new AbortController().signal), out.sink);
    expect(Buffer.concat(out.chunks).equals(data)).toBe(true);
    expect(clock.now()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('applies the job cap and the per-stream cap both: the lower one sets the pace', async () => {
    const clock = new FakeClock(0);
    const out = collector(clock);
    const limiters = [new BandwidthLimiter(parseBandwidthSpec('512k'), clock), new BandwidthLimiter(parseBandwidthSpec('4M'), clock)];
    const done = pipeline(Readable.from([data.subarray(0, 1 * MiB)]), new ThrottleStream(limiters, new AbortController().signal), out.sink);
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    while (!finished) {
      clock.advance(10);
      await settle();
    }
    expect(clock.now()).toBeGreaterThanOrEqual(2000);
    expect(clock.now()).toBeLessThanOrEqual(2100);
  });

  it('a cancelled job releases a stream paused by the throttle, without the clock moving', async () => {
    const clock = new FakeClock(0);
    const job = new AbortController();
    const limiter = new BandwidthLimiter(parseBandwidthSpec('1k'), clock);
    const done = pipeline(Readable.from([data]), new ThrottleStream([limiter], job.signal), collector(clock).sink, { signal: job.signal });
    await settle();
    job.abort(new Error('cancelled by the user'));
    await expect(done).rejects.toThrow();
    expect(clock.now()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a stream destroyed by its pipeline (a sibling failed) lets go of the limiter', async () => {
    const clock = new FakeClock(0);
    const limiter = new BandwidthLimiter(parseBandwidthSpec('1k'), clock);
    const failing = async (source: AsyncIterable<Buffer>) => {
      for await (const _chunk of source) throw new Error('the sink broke');
    };
    const throttle = new ThrottleStream([limiter], new AbortController().signal);
    // The first 64 KiB piece waits 64 s at 1 KiB/s: let some time pass so it gets through, then the sink fails.
    const done = pipeline(Readable.from([data]), throttle, failing);
    void done.catch(() => undefined);
    for (let step = 0; step < 70 && !throttle.destroyed; step++) {
      clock.advance(1000);
      await settle();
    }
    await expect(done).rejects.toThrow('the sink broke');
    expect(clock.pendingTimers).toBe(0);
    // Nobody is left in the queue: the next caller gets the bucket's next byte.
    clock.advance(1000);
    expect(limiter.tryTakeNow(1)).toBe(true);
  });
});
