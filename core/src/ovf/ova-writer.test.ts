import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { indexOva } from './ova-index.ts';
import { createOvaStream, ovaSize } from './ova-writer.ts';
import type { OvaMemberSource } from './ova-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'hx-ova-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fromBuffer = (name: string, bytes: Buffer): OvaMemberSource => ({
  name,
  size: bytes.length,
  open: async () => Readable.from([bytes.subarray(0, 100), bytes.subarray(100)]),
});

async function writeOva(path: string, members: OvaMemberSource[]): Promise<void> {
  await pipeline(createOvaStream(members), createWriteStream(path));
}

describe('createOvaStream', () => {
  it('writes an archive GNU tar lists and extracts byte for byte, members in order', async () => {
    const ovf = Buffer.from('<?xml version="1.0"?><Envelope/>\n');
    const mf = Buffer.from('SHA256(vm.ovf)= 00\n');
    const diskPath = join(dir, 'disk-source.vmdk');
    writeFileSync(diskPath, randomBytes(1_000_003));
    const members: OvaMemberSource[] = [
      fromBuffer('vm.ovf', ovf),
      fromBuffer('vm.mf', mf),
      { name: 'vm-disk1.vmdk', size: 1_000_003, open: async () => createReadStream(diskPath) },
      fromBuffer('empty.iso', Buffer.alloc(0)),
      fromBuffer('exact.nvram', randomBytes(1024)),
    ];
    const ova = join(dir, 'vm.ova');
    await writeOva(ova, members);

    const listing = execFileSync('tar', ['-tvf', ova], { encoding: 'utf8' }).trim().split('\n');
    expect(listing.map((line) => line.split(/\s+/).slice(-1)[0])).toEqual(['vm.ovf', 'vm.mf', 'vm-disk1.vmdk', 'empty.iso', 'exact.nvram']);
    expect(listing[2]).toMatch(/ 1000003 /);

    const out = join(dir, 'extracted');
    mkdirSync(out);
    execFileSync('tar', ['-xf', ova, '-C', out]);
    expect(readFileSync(join(out, 'vm.ovf'))).toEqual(ovf);
    expect(readFileSync(join(out, 'vm-disk1.vmdk'))).toEqual(readFileSync(diskPath));
    expect(readFileSync(join(out, 'empty.iso')).length).toBe(0);

    // Header + body padded to 512 for each member, then the two end blocks.
    const padded = (n: number): number => Math.ceil(n / 512) * 512;
    const expectedSize = [ovf.length, mf.length, 1_000_003, 0, 1024].reduce((sum, n) => sum + 512 + padded(n), 1024);
    expect(readFileSync(ova).length).toBe(expectedSize);
    // What the progress of the package is measured against: the length written, to the byte.
    expect(ovaSize(members.map((member) => member.size))).toBe(readFileSync(ova).length);
    expect((await indexOva(ova)).map((m) => [m.name, m.size])).toEqual([
      ['vm.ovf', ovf.length],
      ['vm.mf', mf.length],
      ['vm-disk1.vmdk', 1_000_003],
      ['empty.iso', 0],
      ['exact.nvram', 1024],
    ]);
  });

  it('accepts an async iterable of members', async () => {
    async function* members(): AsyncGenerator<OvaMemberSource> {
      yield fromBuffer('a.ovf', Buffer.from('a'));
    }
    const ova = join(dir, 'async.ova');
    await pipeline(createOvaStream(members()), createWriteStream(ova));
    expect(execFileSync('tar', ['-tf', ova], { encoding: 'utf8' })).toBe('a.ovf\n');
  });

  it('fails when a member is longer than declared', async () => {
    const member = { ...fromBuffer('disk.vmdk', Buffer.alloc(1000)), size: 999 };
    await expect(writeOva(join(dir, 'long.ova'), [member])).rejects.toThrow(/"disk\.vmdk" is longer than its declared size of 999 bytes/);
  });

  it('fails when a member is shorter than declared', async () => {
    const member = { ...fromBuffer('disk.vmdk', Buffer.alloc(1000)), size: 1001 };
    await expect(writeOva(join(dir, 'short.ova'), [member])).rejects.toThrow(/"disk\.vmdk" ended after 1000 of its declared 1001 bytes/);
  });

  it('refuses unsafe and duplicate member names', async () => {
    await expect(writeOva(join(dir, 'evil.ova'), [fromBuffer('../evil', Buffer.alloc(1))])).rejects.toThrow(/OVA member: unsafe file name "\.\.\/evil"/);
    await expect(writeOva(join(dir, 'dup.ova'), [fromBuffer('a', Buffer.alloc(1)), fromBuffer('a', Buffer.alloc(1))])).rejects.toThrow(/listed twice/);
  });

  it('reads a member only as fast as the consumer takes the archive (backpressure)', async () => {
    const chunk = Buffer.alloc(64 * 1024);
    const total = 64 * 1024 * 1024;
    let produced = 0;
    const source = new Readable({
      highWaterMark: chunk.length,
      read() {
        produced += chunk.length;
        this.push(produced <= total ? chunk : null);
      },
    });
    const ova = createOvaStream([{ name: 'big.vmdk', size: total, open: async () => source }]);
    // Take a single chunk, then stop reading for a while.
    await new Promise<void>((resolve) =>
      ova.once('readable', () => {
        ova.read();
        resolve();
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(produced).toBeLessThan(1024 * 1024);
    ova.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.destroyed).toBe(true);
  });

  it('stops and closes the member stream when the signal aborts', async () => {
    const controller = new AbortController();
    const source = Readable.from(
      (function* () {
        for (;;) yield Buffer.alloc(65536);
      })(),
      { objectMode: false },
    );
    const ova = createOvaStream([{ name: 'endless.vmdk', size: 1e12, open: async () => source }], controller.signal);
    let seen = 0;
    const consumed = (async () => {
      for await (const piece of ova) {
        seen += (piece as Buffer).length;
        if (seen > 1e6) controller.abort();
      }
    })();
    await expect(consumed).rejects.toThrow(/abort/i);
    expect(source.destroyed).toBe(true);
  });
});
