// Memory stays flat: 256 MiB go through encryption and decryption in one pipeline while live
// memory (after a forced garbage collection) and resident memory are sampled every 16 MiB.
// Buffering either side whole, as OpenPGP.js does with `allowUnauthenticatedStream: false`,
// would add at least 256 MiB. Garbage is collected before each sample because otherwise the
// resident size mostly measures how lazily V8 frees dead 1 MiB buffers, not what is kept.
import { createHash, randomFillSync } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createDecryptStream } from './decrypt-stream.ts';
import { createEncryptStream } from './encrypt-stream.ts';

const MiB = 1 << 20;
const TOTAL_MIB = 256;

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

describe('streaming memory', () => {
  it('encrypts and decrypts 256 MiB while memory grows by far less than the data', async () => {
    const passphrase = 'memory test passphrase';
    const keys = { passphrase: async () => passphrase, privateKeyFiles: [] };

    collectGarbage();
    const before = process.memoryUsage();
    let liveGrowth = 0;
    let rssGrowth = 0;
    let chunks = 0;
    const sample = () => {
      if (++chunks % 16 !== 0) return;
      collectGarbage();
      const now = process.memoryUsage();
      liveGrowth = Math.max(liveGrowth, now.heapUsed + now.arrayBuffers - before.heapUsed - before.arrayBuffers);
      rssGrowth = Math.max(rssGrowth, now.rss - before.rss);
    };

    const sourceHash = createHash('sha256');
    const source = Readable.from(
      (function* () {
        for (let index = 0; index < TOTAL_MIB; index++) {
          // A fresh chunk each time: stages may keep references to what they were given.
          const chunk = randomFillSync(Buffer.allocUnsafe(MiB));
          sourceHash.update(chunk);
          sample();
          yield chunk;
        }
      })(),
    );
    const sinkHash = createHash('sha256');
    let received = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        sinkHash.update(chunk);
        received += chunk.length;
        sample();
        callback();
      },
    });

    await pipeline(source, createEncryptStream({ recipients: [], passphrase }), createDecryptStream('memory.bin.gpg', keys), sink);
    expect(received).toBe(TOTAL_MIB * MiB);
    expect(sinkHash.digest('hex')).toBe(sourceHash.digest('hex'));
    // Measured here: live ≤ 59 MiB and resident ≤ 67 MiB, the same for 1 GiB.
    expect(liveGrowth).toBeLessThan(96 * MiB);
    expect(rssGrowth).toBeLessThan(128 * MiB);
  });
});
