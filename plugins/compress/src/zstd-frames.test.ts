// ZstdFrameScanner finds the frame ends of real files (the `zstd` program's, with skippable
// frames and empty frames among them) however the input is cut into chunks.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ZstdFrameScanner } from './zstd-frames.ts';

function zstd(data: Buffer, ...args: string[]): Buffer {
  const result = spawnSync('zstd', ['-c', '-q', ...args], { input: data });
  if (result.status !== 0) throw new Error(String(result.stderr));
  return result.stdout;
}

function skippable(payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(0x184d2a53, 0);
  header.writeUInt32LE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

const text = Buffer.from('frames, blocks and checksums '.repeat(20_000));
const frames = [
  zstd(text.subarray(0, 300_000)), // several compressed blocks
  skippable(Buffer.from('metadata a decoder passes over')),
  zstd(Buffer.alloc(0)), // an empty frame
  zstd(Buffer.alloc(200_000, 0x41), '--no-check'), // RLE blocks, no checksum
  zstd(text, '--no-check', '-19'),
  zstd(Buffer.from('tiny')),
];
const file = Buffer.concat(frames);
const expectedEnds = frames.map((_frame, index) => frames.slice(0, index + 1).reduce((sum, frame) => sum + frame.length, 0));

function endsWhenCutInto(size: number): number[] {
  const scanner = new ZstdFrameScanner();
  const ends: number[] = [];
  for (let offset = 0; offset < file.length; offset += size) ends.push(...scanner.frameEnds(file.subarray(offset, offset + size)).map((end) => offset + end));
  expect(scanner.atFrameBoundary).toBe(true);
  return ends;
}

describe('ZstdFrameScanner', () => {
  it.each([1, 2, 3, 5, 7, 4096, file.length])('finds every frame end in chunks of %i bytes', (size) => {
    expect(endsWhenCutInto(size)).toEqual(expectedEnds);
  });

  it('is not at a frame boundary inside a frame, however short the cut', () => {
    for (const cut of [1, 3, 4, 5, 9, frames[0]!.length - 1, frames[0]!.length + 5]) {
      const scanner = new ZstdFrameScanner();
      scanner.frameEnds(file.subarray(0, cut));
      expect(scanner.atFrameBoundary, `cut at ${cut}`).toBe(false);
    }
  });

  it('names the byte where something that is not a frame starts', () => {
    const scanner = new ZstdFrameScanner();
    expect(() => scanner.frameEnds(Buffer.concat([frames[0]!, Buffer.from('not zstd')]))).toThrow(
      `no frame starts at byte ${frames[0]!.length} (found 0x20746f6e)`,
    );
  });

  it('refuses a block header of the reserved type and a frame header with the reserved bit', () => {
    const frame = zstd(Buffer.from('x'));
    const reservedBit = Buffer.from(frame);
    reservedBit[4]! |= 0x08;
    expect(() => new ZstdFrameScanner().frameEnds(reservedBit)).toThrow(/reserved bit/);
    // The first block header follows the magic, the descriptor and its fields (here: 1 byte of
    // content size, single segment).
    const reservedType = Buffer.from(frame);
    reservedType[6]! |= 0x06;
    expect(() => new ZstdFrameScanner().frameEnds(reservedType)).toThrow(/reserved type/);
  });
});
