import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskSizeEstimate } from './disk-size-estimate.ts';

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'hx-disk-estimate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A real streamOptimized VMDK from qemu-img, of a 32 MiB disk whose every other MiB is zero
 * (skipped by the format) and the others incompressible: about half its capacity.
 */
function streamOptimizedDisk(): { vmdk: Buffer; capacity: number } {
  const capacity = 32 * MiB;
  const raw = Buffer.alloc(capacity);
  let seed = 7;
  for (let mib = 0; mib < 32; mib += 2) {
    for (let at = mib * MiB; at < (mib + 1) * MiB; at += 4) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      raw.writeUInt32LE(seed, at);
    }
  }
  writeFileSync(join(dir, 'disk.raw'), raw);
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', join(dir, 'disk.raw'), join(dir, 'disk.vmdk')]);
  return { vmdk: readFileSync(join(dir, 'disk.vmdk')), capacity };
}

/** Feeds `bytes` in uneven chunks (markers and the header cut across chunks). */
function feed(estimate: DiskSizeEstimate, bytes: Buffer, upTo: number): void {
  for (let at = 0, step = 1; at < upTo; at += step, step = (step * 7 + 3) % 70_001 || 1) estimate.observe(bytes.subarray(at, Math.min(upTo, at + step)));
}

describe('DiskSizeEstimate', () => {
  const { vmdk, capacity } = streamOptimizedDisk();

  it('before any byte, the prior (the capacity: an upper bound)', () => {
    expect(new DiskSizeEstimate(capacity).bytes).toBe(capacity);
  });

  it('half-way through the stream, the estimate is within 10% of the real length, far from the capacity', () => {
    const estimate = new DiskSizeEstimate(capacity);
    feed(estimate, vmdk, Math.floor(vmdk.length / 2));
    expect(vmdk.length).toBeLessThan(capacity * 0.6);
    expect(Math.abs(estimate.bytes - vmdk.length) / vmdk.length).toBeLessThan(0.1);
  });

  it('near the end (qemu-img writes no end marker), within 5% of the real length', () => {
    const estimate = new DiskSizeEstimate(capacity);
    feed(estimate, vmdk, vmdk.length);
    expect(Math.abs(estimate.bytes - vmdk.length) / vmdk.length).toBeLessThan(0.05);
  });

  it('at the end-of-stream marker that ESXi writes last, exactly what was read', () => {
    const estimate = new DiskSizeEstimate(capacity);
    // The EOS marker: a sector of zeros (no sectors follow, size 0, type 0).
    const withEnd = Buffer.concat([vmdk, Buffer.alloc(512)]);
    feed(estimate, withEnd, withEnd.length);
    expect(estimate.bytes).toBe(withEnd.length);
  });

  it('never below what was read, and starts over after reset()', () => {
    const estimate = new DiskSizeEstimate(1);
    feed(estimate, vmdk, MiB);
    expect(estimate.bytes).toBeGreaterThanOrEqual(MiB);
    estimate.reset();
    expect(estimate.bytes).toBe(1);
  });

  it('bytes that are not a streamOptimized VMDK leave the prior standing', () => {
    const estimate = new DiskSizeEstimate(10 * MiB);
    estimate.observe(Buffer.alloc(2 * MiB, 1));
    expect(estimate.bytes).toBe(10 * MiB);
  });
});
