// The test kit itself: what runPluginJob reports must be what the job really did, or every
// plugin author's test built on it would pass for the wrong reason.
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { Stage } from '../model.ts';
import type { ReverseStage } from '../model.ts';
import { definePlugin } from '../plugin.ts';
import { defineSettings, setting } from '../settings/define-settings.ts';
import * as t from 'typanion';
import { runPluginJob, undoStages } from './index.ts';

/** Adds `mask` to every byte (mod 256); its reverse subtracts it. */
function shift(mask: number, direction: 1 | -1): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const out = Buffer.allocUnsafe(chunk.length);
      for (let index = 0; index < chunk.length; index++) out[index] = (chunk[index]! + direction * mask + 256) % 256;
      callback(null, out);
    },
  });
}

const unshiftStage = (mask: number): ReverseStage => ({
  name: 'unshift',
  undoes: 'shift',
  suffix: '.shift',
  create: () => Promise.resolve(shift(mask, -1)),
});

const DEFAULT_MASK = 1;

/** A byte-changing disk stage with an option, a setting and its reverse stage, as an outside plugin would write it. */
const shiftPlugin = definePlugin({
  name: 'shift-test',
  version: '1.0.0',
  options: t.isObject({ mask: t.isOptional(t.isNumber()) }),
  settings: defineSettings({ shiftMask: setting.string({ schema: t.isNumber(), description: 'what to add to every byte' }) }),
  reverseStages: [unshiftStage(DEFAULT_MASK)],
  setup(exporter, options, settings) {
    exporter.hooks.transform.tap('shift-test', (plan, job) => {
      const mask = settings.of(job.spec).shiftMask ?? options.mask ?? DEFAULT_MASK;
      plan.stages.push({
        name: 'shift',
        stage: Stage.ENCRYPT,
        effect: 'changes-bytes',
        artifacts: ['disk'],
        rename: (name) => `${name}.shift`,
        create: () => shift(mask, 1),
        reverse: () => Promise.resolve(shift(mask, -1)),
      });
      return plan;
    });
  },
});

const disk = Buffer.from(Array.from({ length: 70_000 }, (_, index) => (index * 7) % 256));
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('runPluginJob', () => {
  it('runs the plugin’s stage over the disks and returns the bytes stored, the record and the events', async () => {
    const run = await runPluginJob({ plugins: [shiftPlugin({ mask: 3 })], vm: { name: 'web01', disks: { 'web01-disk1.vmdk': disk } } });

    expect(run.result.status).toBe('succeeded');
    expect(run.committed).toBe(true);
    expect([...run.stored.keys()].sort()).toEqual(['web01-disk1.vmdk.shift', 'web01.mf', 'web01.ovf', 'web01.ovf.hyperexport.json']);
    const stored = run.stored.get('web01-disk1.vmdk.shift')!;
    expect(stored.length).toBe(disk.length);
    expect(stored[0]).toBe(3);
    expect(stored.equals(disk)).toBe(false);
    expect(run.record?.stages).toEqual(['shift']);
    // The record names the plugin that added the stage, for restore's refusal where it is missing.
    expect(run.record?.stagePlugins).toEqual({ shift: 'shift-test' });
    expect(run.record?.files.find((file) => file.path === 'web01/web01-disk1.vmdk.shift')?.sha256).toBe(sha256(stored));
    const fileEnds = run.events.filter((event) => event.type === 'file:end').map((event) => event.name);
    expect(fileEnds).toContain('web01-disk1.vmdk.shift');
    expect(run.events[0]?.type).toBe('job:start');
    expect(run.events.at(-1)?.type).toBe('job:end');
  });

  it('restores a stored file with the reverse stages the plugin declares, by its suffix', async () => {
    const run = await runPluginJob({ plugins: [shiftPlugin()], vm: { disks: { 'disk1.vmdk': disk } } });
    const restored = await run.restore('disk1.vmdk.shift');
    expect(restored.name).toBe('disk1.vmdk');
    expect(restored.bytes.equals(disk)).toBe(true);
  });

  it('restores with the reverse stages it is given', async () => {
    const run = await runPluginJob({ plugins: [shiftPlugin({ mask: 200 })], vm: { disks: { 'disk1.vmdk': disk } } });
    expect((await run.restore('disk1.vmdk.shift', { stages: [unshiftStage(200)] })).bytes.equals(disk)).toBe(true);
    // The wrong key gives other bytes: restore really ran the stage.
    expect((await run.restore('disk1.vmdk.shift', { stages: [unshiftStage(199)] })).bytes.equals(disk)).toBe(false);
  });

  it('hands the settings to the job, as a flag or a profile would', async () => {
    const run = await runPluginJob({ plugins: [shiftPlugin()], vm: { disks: { 'disk1.vmdk': disk } }, settings: { shiftMask: 9 } });
    expect(run.stored.get('disk1.vmdk.shift')![0]).toBe(9);
  });

  it('refuses a setting no plugin of the job reads, as the CLI does', async () => {
    const run = runPluginJob({ plugins: [shiftPlugin()], vm: { disks: { 'disk1.vmdk': disk } }, settings: { shiftMsak: 9 } });
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow('the setting "shiftMsak" is read by no plugin of the job');
  });

  it('rejects with the configuration problem of a plugin’s options', async () => {
    const run = runPluginJob({ plugins: [shiftPlugin({ mask: 'three' as unknown as number })], vm: { disks: { 'disk1.vmdk': disk } } });
    await expect(run).rejects.toThrow('plugin "shift-test" option "mask": Expected a number (got "three")');
  });

  it('writes an OVA as one package when asked', async () => {
    const run = await runPluginJob({ plugins: [], vm: { name: 'app', disks: { 'app.vmdk': disk } }, format: 'ova' });
    expect(run.result.status).toBe('succeeded');
    expect([...run.stored.keys()].sort()).toEqual(['app.ova', 'app.ova.hyperexport.json']);
    expect(run.record?.format).toBe('ova');
  });

  it('reports a job that failed after writing as failed, with nothing stored', async () => {
    // Fails once every file was written, before the commit: the sink had the bytes, and dropped them.
    const failing = definePlugin({
      name: 'fails-in-check',
      version: '0.0.0',
      setup(exporter) {
        exporter.hooks.postValidate.tapPromise('fails-in-check', () => Promise.reject(new Error('no key')));
      },
    });
    const run = await runPluginJob({ plugins: [failing()], vm: { disks: { 'disk1.vmdk': disk } } });
    expect(run.result.status).toBe('failed');
    expect(run.result.error?.message).toContain('no key');
    expect(run.result.error?.plugin).toBe('fails-in-check');
    expect(run.committed).toBe(false);
    expect(run.stored.size).toBe(0);
    expect(run.record).toBeUndefined();
  });

  it('names what was stored when asked to restore a file that was not', async () => {
    const run = await runPluginJob({ plugins: [], vm: { name: 'vm', disks: { 'disk1.vmdk': 'abc' } } });
    await expect(run.restore('disk9.vmdk')).rejects.toThrow(
      'the export stored no file "disk9.vmdk"; it stored: disk1.vmdk, vm.ovf, vm.mf, vm.ovf.hyperexport.json',
    );
  });
});

describe('undoStages', () => {
  it('refuses a file no reverse stage recognises instead of returning it unchanged', async () => {
    await expect(undoStages('disk1.vmdk', disk, [unshiftStage(1)])).rejects.toThrow('no reverse stage undoes "disk1.vmdk": none of [.shift] ends its name');
  });
});
