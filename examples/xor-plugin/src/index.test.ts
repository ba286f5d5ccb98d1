// The plugin through real export jobs, in memory, with HyperExport's test kit.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPluginJob } from '@hyperexport/core/testing';
import xor from './index.ts';

const disk = Buffer.from(Array.from({ length: 100_000 }, (_, index) => (index * 31) % 251));
const folder = await mkdtemp(join(tmpdir(), 'hyperexport-xor-test-'));
const keyFile = join(folder, 'xor.key');
await writeFile(keyFile, Buffer.from('0123456789abcdef0123456789abcdef'));
const otherKeyFile = join(folder, 'other.key');
await writeFile(otherKeyFile, Buffer.from('fedcba9876543210'));

await test('XORs every disk with the key and restores it byte for byte', async () => {
  const run = await runPluginJob({ plugins: [xor()], vm: { name: 'web01', disks: { 'web01.vmdk': disk } }, settings: { xorKeyFile: keyFile } });
  assert.equal(run.result.status, 'succeeded', run.result.error?.message);
  const stored = run.stored.get('web01.vmdk.xor');
  assert.ok(stored, `stored: ${[...run.stored.keys()].join(', ')}`);
  assert.ok(!stored.subarray(stored.length - disk.length).equals(disk));
  assert.deepEqual(run.record?.stages, ['xor']);
  const restored = await run.restore('web01.vmdk.xor', { keys: { keyFile } });
  assert.equal(restored.name, 'web01.vmdk');
  assert.ok(restored.bytes.equals(disk));
});

await test('leaves the disks alone without a key file', async () => {
  const run = await runPluginJob({ plugins: [xor()], vm: { name: 'web01', disks: { 'web01.vmdk': disk } } });
  assert.equal(run.result.status, 'succeeded', run.result.error?.message);
  assert.ok(run.stored.get('web01.vmdk')?.equals(disk));
  assert.deepEqual(run.record?.stages, []);
});

await test('refuses to restore with another key instead of giving other bytes', async () => {
  const run = await runPluginJob({ plugins: [xor()], vm: { disks: { 'disk1.vmdk': disk } }, settings: { xorKeyFile: keyFile } });
  await assert.rejects(run.restore('disk1.vmdk.xor', { keys: { keyFile: otherKeyFile } }), /disk1\.vmdk\.xor was XORed with another key than the one given/);
});

await test('fails the export before a byte moves when the key file is missing', async () => {
  const missing = join(folder, 'missing.key');
  const run = await runPluginJob({ plugins: [xor()], vm: { disks: { 'disk1.vmdk': disk } }, settings: { xorKeyFile: missing } });
  assert.equal(run.result.status, 'failed');
  assert.match(run.result.error?.message ?? '', new RegExp(`cannot read the XOR key file ${missing.replace(/[.]/g, '\\.')}: ENOENT`));
  assert.equal(run.stored.size, 0);
});
