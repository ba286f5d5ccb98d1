// Interop with the standard programs, both ways: what we write, `gzip -d` and `zstd -d` read;
// what they write, our reverse stages read. Byte for byte.
import { spawn } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Duplex } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { CODECS } from './codecs.ts';
import { ParallelGzip } from './parallel-gzip.ts';
import { reverseStages } from './reverse-stages.ts';
import { createZstdCompressStream, createZstdDecompressStream, loadZstdNapi } from './zstd-streams.ts';

/** 5.3 MiB: random, zeros and repeated text, so blocks refer back into the block before them. */
function sample(): Buffer {
  const random = createCipheriv('aes-128-ctr', Buffer.alloc(16, 1), Buffer.alloc(16)).update(Buffer.alloc(2 << 20));
  const text = Buffer.from('The quick brown fox exports the lazy VM. '.repeat(50_000));
  return Buffer.concat([random, Buffer.alloc(1 << 20), text, random.subarray(0, 12345)]);
}
const input = sample();

/** Runs a program with `data` on stdin and returns its stdout. */
function run(command: string, args: readonly string[], data: Buffer): Promise<Buffer> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const output = buffer(child.stdout);
  child.stdin.on('error', () => undefined); // a program that fails early closes stdin; its exit code tells
  child.stdin.end(data);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}

/** Streams `data` through a Duplex in 64 KiB chunks, as the export pipeline does. */
async function through(stream: Duplex, data: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const pieces = function* () {
    for (let offset = 0; offset < data.length; offset += 65536) yield data.subarray(offset, offset + 65536);
  };
  await pipeline(Readable.from(pieces()), stream, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) chunks.push(chunk);
  });
  return Buffer.concat(chunks);
}

const reverse = (suffix: string) => reverseStages.find((stage) => stage.suffix === suffix)!;
const noKeys = { passphrase: async () => '', privateKeyFiles: [] };

describe('gzip', () => {
  it.each([
    ['one thread (node:zlib)', () => CODECS.gzip.compress(6, 1)],
    ['two threads (parallel blocks)', () => CODECS.gzip.compress(6, 2)],
    ['level 1 on four threads', () => CODECS.gzip.compress(1, 4)],
    ['level 9, small blocks', () => new ParallelGzip(9, 2, 100_000)],
  ])('%s: `gzip -d` gives back the bytes', async (_name, create) => {
    const compressed = await through(create(), input);
    expect(compressed.length).toBeLessThan(input.length * 0.6);
    expect((await run('gzip', ['-d', '-c'], compressed)).equals(input)).toBe(true);
    // `gzip -t` checks the CRC and the length in the trailer as well.
    await run('gzip', ['-t'], compressed);
  });

  it('parallel gzip compresses close to a single deflate stream', async () => {
    const single = await through(CODECS.gzip.compress(6, 1), input);
    const parallel = await through(new ParallelGzip(6, 2, 256 << 10), input);
    expect(parallel.length).toBeLessThan(single.length * 1.01);
  });

  it('an empty input is a valid empty gzip file', async () => {
    const compressed = await through(new ParallelGzip(6, 2), Buffer.alloc(0));
    expect((await run('gzip', ['-d', '-c'], compressed)).length).toBe(0);
  });

  it('the reverse stage reads what `gzip` and `pigz`-style multi-member files hold', async () => {
    const byGzip = await run('gzip', ['-c', '-6'], input);
    expect((await through(await reverse('.gz').create('disk.vmdk.gz', noKeys, AbortSignal.timeout(60_000)), byGzip)).equals(input)).toBe(true);
    const half = input.length >> 1;
    const twoMembers = Buffer.concat([await run('gzip', ['-c'], input.subarray(0, half)), await run('gzip', ['-c'], input.subarray(half))]);
    expect((await through(await reverse('.gz').create('disk.vmdk.gz', noKeys, AbortSignal.timeout(60_000)), twoMembers)).equals(input)).toBe(true);
  });

  it('the reverse stage rejects a damaged file', async () => {
    const compressed = await through(new ParallelGzip(6, 2), input);
    compressed[compressed.length - 6]! ^= 0xff; // inside the CRC
    await expect(through(await reverse('.gz').create('x.gz', noKeys, AbortSignal.timeout(60_000)), compressed)).rejects.toMatchObject({
      name: 'Error',
      code: 'Z_DATA_ERROR',
      message: 'incorrect data check',
    });
  });
});

describe('zstd', () => {
  it('the zstd-napi binding loads here (else exports fall back to node:zlib)', () => {
    expect(loadZstdNapi()).not.toBeInstanceOf(Error);
  });

  it.each([
    ['zstd-napi, level 3, two worker threads', () => createZstdCompressStream(3, 2, 'zstd-napi')],
    ['zstd-napi, level 19, in the calling thread', () => createZstdCompressStream(19, 1, 'zstd-napi')],
    ['node:zlib, level 3, asked for two threads (it uses one)', () => createZstdCompressStream(3, 2, 'node:zlib')],
    ['node:zlib, level 1, in the calling thread', () => createZstdCompressStream(1, 1, 'node:zlib')],
  ])('%s: `zstd -d` gives back the bytes and verifies the checksum', async (_name, create) => {
    const compressed = await through(create(), input);
    expect(compressed.length).toBeLessThan(input.length * 0.6);
    expect((await run('zstd', ['-d', '-c', '-q'], compressed)).equals(input)).toBe(true);
    // The frame carries a content checksum (bit 2 of the frame header descriptor after the
    // magic number), as the zstd program's own files do.
    expect(compressed.readUInt32LE(0)).toBe(0xfd2fb528);
    expect(compressed[4]! & 0x04).toBe(0x04);
  });

  it.each(['zstd-napi', 'node:zlib'] as const)('%s reads what the `zstd` program writes on two threads', async (backend) => {
    const byZstd = await run('zstd', ['-c', '-q', '-T2', '-5'], input);
    expect((await through(createZstdDecompressStream(backend), byZstd)).equals(input)).toBe(true);
  });

  // Node's own zstd decoder stops after the first frame (nodejs/node#64741), which is why the
  // binding is preferred for the way back too; the README says so.
  it('zstd-napi reads a file of several frames (`cat a.zst b.zst`)', async () => {
    const twoFrames = Buffer.concat([await run('zstd', ['-c', '-q'], input.subarray(0, 1000)), await run('zstd', ['-c', '-q'], input.subarray(1000))]);
    expect((await through(createZstdDecompressStream('zstd-napi'), twoFrames)).equals(input)).toBe(true);
  });

  it('node:zlib (the fallback) reads a file of several frames, and refuses one with trailing bytes or cut short', async () => {
    const first = await run('zstd', ['-c', '-q'], input.subarray(0, 1000));
    const twoFrames = Buffer.concat([first, await run('zstd', ['-c', '-q'], input.subarray(1000))]);
    expect((await through(createZstdDecompressStream('node:zlib'), twoFrames)).equals(input)).toBe(true);
    await expect(through(createZstdDecompressStream('node:zlib'), Buffer.concat([first, Buffer.from('garbage!')]))).rejects.toThrow(
      /no frame starts at byte 1\d\d\d .*data after its last frame/,
    );
    await expect(through(createZstdDecompressStream('node:zlib'), twoFrames.subarray(0, twoFrames.length - 1))).rejects.toThrow(
      /ends inside a frame.*truncated/,
    );
    expect((await through(createZstdDecompressStream('node:zlib'), first)).equals(input.subarray(0, 1000))).toBe(true);
  });

  it.each(['zstd-napi', 'node:zlib'] as const)('%s passes over skippable frames and reads empty ones', async (backend) => {
    const skippable = Buffer.alloc(8 + 5);
    skippable.writeUInt32LE(0x184d2a50, 0);
    skippable.writeUInt32LE(5, 4);
    const file = Buffer.concat([
      await run('zstd', ['-c', '-q'], input.subarray(0, 5000)),
      skippable,
      await run('zstd', ['-c', '-q'], Buffer.alloc(0)),
      await run('zstd', ['-c', '-q'], input.subarray(5000)),
    ]);
    expect((await through(createZstdDecompressStream(backend), file)).equals(input)).toBe(true);
  });

  it('the reverse stage decompresses and rejects a damaged file', async () => {
    const byZstd = await run('zstd', ['-c', '-q'], input);
    expect((await through(await reverse('.zst').create('disk.vmdk.zst', noKeys, AbortSignal.timeout(60_000)), byZstd)).equals(input)).toBe(true);
    const damaged = Buffer.from(byZstd);
    damaged[damaged.length - 2]! ^= 0xff; // inside the content checksum
    await expect(through(await reverse('.zst').create('x.zst', noKeys, AbortSignal.timeout(60_000)), damaged)).rejects.toThrow(
      /Restored data doesn't match checksum/,
    ); // zstd's own words, from either backend
  });
});
