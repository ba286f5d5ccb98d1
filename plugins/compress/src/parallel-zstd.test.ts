// ParallelZstd against the `zstd` program and both of our decoders: every input size around the
// block boundaries gives back the same bytes, one checksummed frame per block.
import { spawn } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ParallelZstd } from './parallel-zstd.ts';
import { ZstdFrameScanner } from './zstd-frames.ts';
import { createZstdDecompressStream, loadZstdNapi } from './zstd-streams.ts';

const loaded = loadZstdNapi();
if (loaded instanceof Error) throw loaded; // codecs.test.ts says why it must load here
const napi = loaded;
const BLOCK = 64 << 10;

/** Random and repeated text, so frames differ in how well they compress. */
function sample(size: number): Buffer {
  const random = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16)).update(Buffer.alloc(size));
  const text = Buffer.from('HyperExport compresses each block on its own. '.repeat(Math.ceil(size / 47)));
  for (let offset = 0; offset < size; offset += 2 * 40_000) text.copy(random, offset, 0, Math.min(40_000, size - offset));
  return random;
}

async function compress(data: Buffer, threads = 2, pieceSize = 10_000): Promise<Buffer> {
  const pieces = function* () {
    for (let offset = 0; offset < data.length; offset += pieceSize) yield data.subarray(offset, offset + pieceSize);
  };
  const stream = new ParallelZstd(napi.binding, 3, threads, BLOCK);
  const output = buffer(stream);
  await pipeline(Readable.from(pieces()), stream);
  return output;
}

function zstdProgram(args: readonly string[], data: Buffer): Promise<Buffer> {
  const child = spawn('zstd', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const output = buffer(child.stdout);
  child.stdin.end(data);
  return new Promise((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`zstd ${args.join(' ')}: ${stderr}`)))));
}

function framesOf(file: Buffer): number {
  return new ZstdFrameScanner().frameEnds(file).length;
}

describe('ParallelZstd', () => {
  it.each([0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 5 * BLOCK + 12_345])('%i bytes: one frame per block, read back by `zstd -d` and both decoders', async (size) => {
    const data = sample(size);
    const compressed = await compress(data);
    expect(framesOf(compressed)).toBe(Math.max(1, Math.ceil(size / BLOCK)));
    await zstdProgram(['-t', '-q'], compressed); // every frame's content checksum
    expect((await zstdProgram(['-d', '-c', '-q'], compressed)).equals(data)).toBe(true);
    for (const backend of ['zstd-napi', 'node:zlib'] as const) {
      const decoder = createZstdDecompressStream(backend);
      const restored = buffer(decoder);
      await pipeline(Readable.from([compressed]), decoder);
      expect((await restored).equals(data), backend).toBe(true);
    }
  });

  it('keeps frames in order with more threads than blocks in flight, and pieces larger than a block', async () => {
    const data = sample(40 * BLOCK + 7);
    expect((await zstdProgram(['-d', '-c', '-q'], await compress(data, 3, 3 * BLOCK + 5))).equals(data)).toBe(true);
  });

  it('compresses close to a single frame', async () => {
    const data = sample(16 * BLOCK);
    const single = await zstdProgram(['-3', '-c', '-q'], data);
    expect((await compress(data)).length).toBeLessThan(single.length * 1.05);
  });

  it('holds input back when nobody reads, and a destroyed stream stops its threads', async () => {
    const stream = new ParallelZstd(napi.binding, 3, 2, BLOCK);
    const incompressible = sample(BLOCK); // so the frames fill the readable side
    let accepted = 0;
    // Nobody reads the output: after the blocks in flight (4 per thread) and the readable
    // side's buffer, writes must stop being accepted.
    for (let index = 0; index < 400 && stream.write(incompressible); index++) accepted++;
    expect(accepted).toBeLessThan(20);
    await new Promise((resolve) => setTimeout(resolve, 200));
    stream.destroy();
    await new Promise((resolve) => stream.on('close', resolve));
    // Reaching here without vitest's hang detection complaining is the rest of the check: the
    // worker threads are gone, or the process would not exit.
  });

  it('holds input back while a slow destination has frames waiting', async () => {
    const blocks = 64;
    const incompressible = createCipheriv('aes-128-ctr', Buffer.alloc(16, 3), Buffer.alloc(16)).update(Buffer.alloc(blocks * BLOCK));
    const stream = new ParallelZstd(napi.binding, 3, 2, BLOCK);
    let mostWaiting = 0;
    let received = 0;
    await pipeline(
      Readable.from([incompressible]),
      stream,
      new Writable({
        highWaterMark: 1,
        write(chunk: Buffer, _encoding, callback) {
          mostWaiting = Math.max(mostWaiting, stream.readableLength);
          received += chunk.length;
          setTimeout(callback, 2); // a destination far slower than compression
        },
      }),
    );
    expect(received).toBeGreaterThan(blocks * BLOCK);
    // Frames of the blocks in flight (4 per thread, so 8) wait, twice that at the most when the
    // destination asks for more while some still wait, never the whole input (64 blocks).
    expect(mostWaiting).toBeLessThan(17 * BLOCK);
  });

  it('never stalls when the destination calls back later (64 KiB pieces into a file)', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'parallel-zstd-'));
    try {
      const data = createCipheriv('aes-128-ctr', Buffer.alloc(16, 5), Buffer.alloc(16)).update(Buffer.alloc(32 << 20));
      const input = join(directory, 'input');
      await writeFile(input, data);
      // Blocks of 1 MiB (the default) from 64 KiB reads, frames into a file: the destination
      // calls back after its writes, while frames keep arriving from the threads. A stall
      // (the stream waiting for a read that never comes) times the test out.
      for (let round = 0; round < 8; round++) {
        const output = join(directory, `output-${round}.zst`);
        await pipeline(createReadStream(input), new ParallelZstd(napi.binding, 3, 2), createWriteStream(output));
        expect((await zstdProgram(['-d', '-c', '-q'], await readFile(output))).equals(data)).toBe(true);
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }, 60_000);

  it('pushes nothing after an error downstream', async () => {
    const data = sample(20 * BLOCK);
    let received = 0;
    await expect(
      pipeline(
        Readable.from([data]),
        new ParallelZstd(napi.binding, 3, 2, BLOCK),
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            received += chunk.length;
            callback(received > BLOCK ? new Error('disk full') : null);
          },
        }),
      ),
    ).rejects.toThrow('disk full');
  });
});
