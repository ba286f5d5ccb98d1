import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { fanOut } from './fan-out.ts';

const CHUNK = 64 * 1024;
const TOTAL_CHUNKS = 512; // 32 MiB

/** Deterministic chunks, generated lazily so the test itself holds no copy of the stream. */
function source(produced: { bytes: number }): Readable {
  let index = 0;
  return new Readable({
    read() {
      if (index === TOTAL_CHUNKS) return void this.push(null);
      const chunk = Buffer.alloc(CHUNK, index % 251);
      chunk.writeUInt32BE(index++);
      produced.bytes += chunk.length;
      this.push(chunk);
    },
  });
}

function hashingSink(delayMs: number, consumed: { bytes: number }) {
  const hash = createHash('sha256');
  const stream = new Writable({
    highWaterMark: 4 * CHUNK,
    write(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      consumed.bytes += chunk.length;
      if (delayMs > 0) setTimeout(callback, delayMs);
      else callback();
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

describe('fanOut', () => {
  it('delivers identical bytes to a slow and a fast sink, never running far ahead of the slow one', async () => {
    const produced = { bytes: 0 };
    const slowConsumed = { bytes: 0 };
    const fastConsumed = { bytes: 0 };
    const slow = hashingSink(1, slowConsumed);
    const fast = hashingSink(0, fastConsumed);
    let maxLead = 0;
    const sampler = setInterval(() => {
      maxLead = Math.max(maxLead, produced.bytes - slowConsumed.bytes);
    }, 1);
    await pipeline(source(produced), fanOut([slow.stream, fast.stream]));
    clearInterval(sampler);
    expect(slowConsumed.bytes).toBe(CHUNK * TOTAL_CHUNKS);
    expect(fastConsumed.bytes).toBe(CHUNK * TOTAL_CHUNKS);
    expect(slow.digest()).toBe(fast.digest());
    // Readable buffer (16 KiB hwm, one chunk) + the slow sink's 4 chunks + one in flight: far
    // below the 32 MiB an unbounded tee would hold.
    expect(maxLead).toBeLessThanOrEqual(8 * CHUNK);
  });

  it('fails the whole fan-out when one sink fails', async () => {
    const good = hashingSink(0, { bytes: 0 });
    const bad = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('disk full'));
      },
    });
    await expect(pipeline(source({ bytes: 0 }), fanOut([good.stream, bad]))).rejects.toThrow('disk full');
    expect(good.stream.destroyed).toBe(true);
  });
});
