import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable, Transform } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { EventBus } from './events.ts';
import { Exporter } from './exporter.ts';
import type { WrittenExport } from './exporter.ts';
import { Stage } from './model.ts';
import type { ExportRecord, JobSpec } from './model.ts';
import { definePlugin } from './plugin.ts';
import { runJob } from './run-job.ts';
import { endlessStream, memorySink, memorySource } from './testing/memory-plugins.ts';

const spec = (overrides: Partial<JobSpec> = {}): JobSpec => ({ format: 'ovf', parallel: 2, overwrite: false, extra: {}, ...overrides });

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A transform stage that appends a marker to every artifact it applies to (and removes it, going back). */
function markerStage(name: string, stage: number, ovfCompression?: string, reversible = true) {
  return definePlugin({
    name,
    version: '0.0.0',
    setup(exporter) {
      exporter.hooks.transform.tap(name, (plan) => {
        plan.stages.push({
          name,
          stage,
          effect: 'changes-bytes',
          artifacts: ['disk'],
          rename: (file) => `${file}.${name}`,
          ovfCompression,
          create: () =>
            new Transform({
              transform(chunk, _encoding, callback) {
                callback(null, chunk);
              },
              flush(callback) {
                callback(null, Buffer.from(`|${name}`));
              },
            }),
          ...(reversible ? { reverse: async () => stripsMarker(name) } : {}),
        });
        return plan;
      });
    },
  });
}

/** Undoes markerStage: the whole input less its trailing `|name`, which must be there. */
function stripsMarker(name: string): Transform {
  const parts: Buffer[] = [];
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      parts.push(chunk);
      callback();
    },
    flush(callback) {
      const all = Buffer.concat(parts);
      const marker = Buffer.from(`|${name}`);
      if (!all.subarray(-marker.length).equals(marker)) callback(new Error(`no ${marker.toString()} at the end`));
      else callback(null, all.subarray(0, -marker.length));
    },
  });
}

describe('runJob', () => {
  it('runs the hooks in lifecycle order, with cleanup after the write', async () => {
    const calls: string[] = [];
    const recorder = definePlugin({
      name: 'recorder',
      version: '0.0.0',
      setup(exporter) {
        const h = exporter.hooks;
        h.validate.tap('recorder', () => void calls.push('validate'));
        h.snapshot.tap('recorder', () => {
          calls.push('snapshot');
          return { name: 's', id: 'snapshot-1', created: true, provider: 'recorder' };
        });
        h.snapshotCleanup.tap('recorder', () => void calls.push('snapshotCleanup'));
        h.download.tap({ name: 'recorder', stage: -1 }, () => void calls.push('download'));
        h.transform.tap('recorder', (plan) => {
          calls.push('transform');
          return plan;
        });
        h.store.tap({ name: 'recorder', stage: -1 }, () => void calls.push('store'));
        h.postValidate.tap('recorder', () => void calls.push('postValidate'));
        h.failed.tap('recorder', () => void calls.push('failed'));
        h.notify.tap('recorder', () => void calls.push('notify'));
        h.retain.tap('recorder', () => void calls.push('retain'));
        h.jobEnd.tap('recorder', () => void calls.push('jobEnd'));
      },
    });
    const source = memorySource('vm1', [{ name: 'disk1.vmdk', content: Buffer.from('disk one') }]);
    const sink = memorySink();
    const exporter = await Exporter.create([recorder(), source.plugin(), sink.plugin()]);
    const result = await runJob(exporter, spec());
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(calls).toEqual(['validate', 'transform', 'snapshot', 'download', 'store', 'postValidate', 'snapshotCleanup', 'notify', 'retain', 'jobEnd']);
    expect(source.state.completed).toBe(1);
    expect(sink.state.committed).toBe(true);
  });

  it('records a lone compression stage on the OVF File reference the standard way, and writes the record last', async () => {
    const source = memorySource('vm1', [{ name: 'disk1.vmdk', content: Buffer.from('data') }]);
    const sink = memorySink();
    const exporter = await Exporter.create([source.plugin(), markerStage('gz', Stage.COMPRESS, 'gzip')(), sink.plugin()]);
    const result = await runJob(exporter, { ...spec(), extra: { tags: ['weekly'] } });
    expect(result.status).toBe('succeeded');
    const stored = result.files.find((file) => file.kind === 'disk')!;
    expect(sink.state.files.get('vm1.ovf')?.toString()).toContain(`href="disk1.vmdk.gz" size="${stored.size}" compression="gzip"/>`);
    const record = JSON.parse(sink.state.files.get('vm1.ovf.hyperexport.json')!.toString()) as ExportRecord;
    expect(record).toMatchObject({
      kind: 'hyperexport-export',
      version: 1,
      jobId: result.id,
      vmName: 'vm1',
      baseName: 'vm1',
      format: 'ovf',
      stages: ['gz'],
      tags: ['weekly'],
    });
    expect(record.files.map((file) => file.path).sort()).toEqual(['vm1/disk1.vmdk.gz', 'vm1/vm1.mf', 'vm1/vm1.ovf']);
    expect(record.files.find((file) => file.path === 'vm1/disk1.vmdk.gz')).toMatchObject({ size: stored.size, sha256: stored.sha256 });
    expect([...sink.state.files.keys()].at(-1)).toBe('vm1.ovf.hyperexport.json');
    expect(result.files.map((file) => file.kind)).not.toContain('record');
  });

  it('a failure after commit (in the published hook) fails the job but removes nothing committed', async () => {
    const source = memorySource('vm1', [{ name: 'disk1.vmdk', content: Buffer.from('data') }]);
    const sink = memorySink();
    const failingUpload = definePlugin({
      name: 'failing-upload',
      version: '0.0.0',
      setup(exporter) {
        exporter.hooks.published.tapPromise('failing-upload', () => Promise.reject(new Error('upload target unreachable')));
      },
    });
    const exporter = await Exporter.create([source.plugin(), sink.plugin(), failingUpload()]);
    const result = await runJob(exporter, spec());
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/upload target unreachable/);
    expect(sink.state.committed).toBe(true);
    expect(sink.state.aborted).toBe(false);
    expect(source.state.completed).toBe(1);
    expect(source.state.aborted).toEqual([]);
    expect(result.files.map((file) => file.name)).toContain('disk1.vmdk');
  });

  it('announces the job with its target URLs redacted (no password, no SAS query)', async () => {
    const source = memorySource('vm1', [{ name: 'disk1.vmdk', content: Buffer.from('data') }]);
    const sink = memorySink();
    const bus = new EventBus();
    const announced: unknown[] = [];
    bus.on('job:start', ({ spec }) => announced.push(spec.extra.targets));
    const exporter = await Exporter.create([source.plugin(), sink.plugin()], { bus });
    await runJob(exporter, { ...spec(), extra: { targets: ['sftp://backup:hunter2@nas/exports', 'azure://acct/c/p?sv=2024&sig=SECRETSIG'] } });
    expect(JSON.stringify(announced)).not.toMatch(/hunter2|SECRETSIG/);
    expect(announced).toEqual([['sftp://backup:***@nas/exports', 'azure://acct/c/p?***']]);
  });

  it('hands notifiers and the history a result without the password of a URL an error quoted', async () => {
    const source = memorySource('vm1', [{ name: 'disk1.vmdk', content: Buffer.from('data') }]);
    const sink = memorySink();
    const seen: Record<string, unknown> = {};
    const observer = definePlugin({
      name: 'observer',
      version: '0.0.0',
      setup(exporter) {
        exporter.hooks.published.tapPromise('observer', () => Promise.reject(new Error('cannot reach https://admin:hunter2@vc.local/sdk')));
        exporter.hooks.notify.tap('observer', (result) => {
          seen.notify = result;
        });
        exporter.hooks.jobEnd.tap('observer', (_job, result) => {
          seen.jobEnd = result;
        });
      },
    });
    const exporter = await Exporter.create([source.plugin(), sink.plugin(), observer()]);
    const result = await runJob(exporter, spec());
    expect(result.error?.message).toBe('[observer] published: cannot reach https://admin:***@vc.local/sdk');
    expect(JSON.stringify(seen.notify)).toContain('https://admin:***@vc.local/sdk');
    expect(JSON.stringify(seen)).not.toContain('hunter2');
  });

  it('orders transform stages by their stage number, not by registration order', async () => {
    const source = memorySource('vm1', [{ name: 'disk1.vmdk', content: Buffer.from('data') }]);
    const sink = memorySink();
    // Registered encrypt first, compress second: compress must still run first.
    const exporter = await Exporter.create([
      source.plugin(),
      markerStage('encrypt', Stage.ENCRYPT)(),
      markerStage('compress', Stage.COMPRESS)(),
      sink.plugin(),
    ]);
    const result = await runJob(exporter, spec());
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(sink.state.files.get('disk1.vmdk.compress.encrypt')?.toString()).toBe('data|compress|encrypt');
    const stored = result.files.find((file) => file.kind === 'disk')!;
    expect(stored.sha256).toBe(sha256(Buffer.from('data|compress|encrypt')));
    // The descriptor and the manifest describe the files as stored; two stages on one file
    // (compressed, then encrypted) have no standard OVF compression spelling.
    expect(sink.state.files.get('vm1.ovf')?.toString()).toContain(`href="disk1.vmdk.compress.encrypt" size="${stored.size}"/>`);
    expect(sink.state.files.get('vm1.mf')?.toString()).toContain(`SHA256(disk1.vmdk.compress.encrypt)= ${stored.sha256}`);
  });

  it('tells postValidate which files stages changed, hashes their plain bytes only when a plugin asks, and reads them back in reverse stage order', async () => {
    const content = Buffer.from('disk bytes');
    const seen = async (options: { asks: boolean; oneWay?: boolean }) => {
      const source = memorySource('vm1', [{ name: 'disk1.vmdk', content }]);
      const sink = memorySink();
      let transformed: WrittenExport['transformed'] | undefined;
      const checker = definePlugin({
        name: 'checker',
        version: '0.0.0',
        setup(exporter) {
          if (options.asks) exporter.hooks.transform.tap('checker', (plan, job) => Object.assign(job, { checksPlainContent: true }) && plan);
          exporter.hooks.postValidate.tap('checker', (_job, _report, written) => {
            transformed = written.transformed;
          });
        },
      });
      const exporter = await Exporter.create([
        source.plugin(),
        markerStage('encrypt', Stage.ENCRYPT, undefined, !options.oneWay)(),
        markerStage('compress', Stage.COMPRESS)(),
        sink.plugin(),
        checker(),
      ]);
      const result = await runJob(exporter, spec());
      expect(result.error).toBeUndefined();
      return { transformed: transformed!, stored: sink.state.files.get('disk1.vmdk.compress.encrypt')! };
    };

    const unasked = await seen({ asks: false });
    expect([...unasked.transformed.keys()], 'only the disk was changed by a stage').toEqual(['disk1.vmdk.compress.encrypt']);
    const unhashed = unasked.transformed.get('disk1.vmdk.compress.encrypt')!;
    expect(unhashed).toMatchObject({ plainName: 'disk1.vmdk', stages: ['compress', 'encrypt'] });
    expect(unhashed.plain, 'no plugin asked for the plain bytes: no SHA-256 pass over them').toBeUndefined();
    expect(unhashed.irreversible).toBeUndefined();

    const asked = await seen({ asks: true });
    const disk = asked.transformed.get('disk1.vmdk.compress.encrypt')!;
    expect(disk.plain).toEqual({ name: 'disk1.vmdk', size: content.length, sha256: sha256(content) });
    const streams = await disk.reverse!(AbortSignal.timeout(10_000));
    const plain = new PassThrough();
    const [read] = await Promise.all([buffer(plain), pipeline([Readable.from([asked.stored]), ...streams, plain])]);
    expect(read.toString(), 'encrypt is undone first, then compress').toBe('disk bytes');

    const oneWay = await seen({ asks: true, oneWay: true });
    const irreversible = oneWay.transformed.get('disk1.vmdk.compress.encrypt')!;
    expect(irreversible).toMatchObject({ stages: ['compress', 'encrypt'], irreversible: 'encrypt' });
    expect(irreversible.plain, 'not hashed: nothing could read the file back to compare').toBeUndefined();
    expect(irreversible.reverse).toBeUndefined();
  });

  it('a failing transform rejects the job cleanly: sibling streams stop, sinks and source abort, no hang', async () => {
    const sibling = endlessStream();
    const source = memorySource('vm1', [
      { name: 'disk1.vmdk', content: randomBytes(4 * 1024 * 1024) },
      { name: 'disk2.vmdk', content: () => sibling },
    ]);
    const sink = memorySink();
    const failing = definePlugin({
      name: 'failing-transform',
      version: '0.0.0',
      setup(exporter) {
        exporter.hooks.transform.tap('failing-transform', (plan) => {
          plan.stages.push({
            name: 'fail',
            stage: Stage.COMPRESS,
            effect: 'changes-bytes',
            artifacts: ['disk'],
            appliesTo: (artifact) => artifact.name === 'disk1.vmdk',
            create: () => {
              let seen = 0;
              return new Transform({
                transform(chunk: Buffer, _encoding, callback) {
                  seen += chunk.length;
                  if (seen > 1024 * 1024) callback(new Error('compressor exploded'));
                  else callback(null, chunk);
                },
              });
            },
          });
          return plan;
        });
      },
    });
    const exporter = await Exporter.create([source.plugin(), failing(), sink.plugin()]);
    const result = await runJob(exporter, spec());
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('compressor exploded');
    expect(result.files).toEqual([]);
    expect(sink.state.aborted).toBe(true);
    expect(sink.state.committed).toBe(false);
    expect(source.state.aborted).toHaveLength(1);
    expect(sibling.destroyed).toBe(true);
  });

  it('cancellation stops every stream and reports cancelled', async () => {
    const streams = [endlessStream(), endlessStream()];
    const source = memorySource('vm1', [
      { name: 'a.vmdk', content: () => streams[0]! },
      { name: 'b.vmdk', content: () => streams[1]! },
    ]);
    const sink = memorySink();
    const exporter = await Exporter.create([source.plugin(), sink.plugin()]);
    const controller = new AbortController();
    let progressed = 0;
    exporter.bus.on('file:progress', () => {
      progressed += 1;
      if (progressed === 2) controller.abort(new Error('user pressed Ctrl-C'));
    });
    const result = await runJob(exporter, spec(), { signal: controller.signal });
    expect(result.status).toBe('cancelled');
    expect(result.error?.code).toBe('CANCELLED');
    expect(streams.every((stream) => stream.destroyed)).toBe(true);
    expect(sink.state.aborted).toBe(true);
    expect(source.state.aborted).toHaveLength(1);
  });

  it('writes an OVA with the descriptor first, the manifest second, then the disks', async () => {
    const disk = randomBytes(100_000);
    const source = memorySource('vm1', [{ name: 'disk1.vmdk', content: disk }]);
    const sink = memorySink();
    const exporter = await Exporter.create([source.plugin(), sink.plugin()]);
    const result = await runJob(exporter, spec({ format: 'ova' }));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    const ova = sink.state.files.get('vm1.ova')!;
    const names: string[] = [];
    for (let offset = 0; offset + 512 <= ova.length;) {
      const header = ova.subarray(offset, offset + 512);
      if (header.every((byte) => byte === 0)) break;
      const name = header.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
      const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim(), 8);
      names.push(name);
      if (name === 'disk1.vmdk') expect(ova.subarray(offset + 512, offset + 512 + size).equals(disk)).toBe(true);
      offset += 512 + Math.ceil(size / 512) * 512;
    }
    expect(names).toEqual(['vm1.ovf', 'vm1.mf', 'disk1.vmdk']);
  });

  it('spools a stream that cannot be read twice before it writes an OVA', async () => {
    const disk = randomBytes(300_000);
    const source = memorySource('vm1', [{ name: 'disk1.vmdk', content: () => Readable.from([disk]), rereadable: false }]);
    const sink = memorySink();
    const exporter = await Exporter.create([source.plugin(), sink.plugin()]);
    const result = await runJob(exporter, spec({ format: 'ova' }));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(source.state.opened).toEqual(['disk1.vmdk']);
    expect(sink.state.files.get('vm1.ova')!.includes(disk)).toBe(true);
  });

  it('tags errors with the plugin and hook, and a failing notifier only warns', async () => {
    const source = memorySource('vm1', [{ name: 'disk1.vmdk', content: Buffer.from('x') }]);
    const sink = memorySink();
    const notifier = definePlugin({
      name: 'broken-notifier',
      version: '0.0.0',
      setup(exporter) {
        exporter.hooks.notify.tapPromise('broken-notifier', () => Promise.reject(new Error('SMTP down')));
      },
    });
    const exporter = await Exporter.create([source.plugin(), sink.plugin(), notifier()]);
    const result = await runJob(exporter, spec());
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(result.warnings.join('\n')).toContain('[broken-notifier] notify failed: SMTP down');

    const breaker = definePlugin({
      name: 'breaker',
      version: '0.0.0',
      setup(exporter) {
        exporter.hooks.store.tapPromise('breaker', () => Promise.reject(new Error('bucket missing')));
      },
    });
    const failing = await Exporter.create([memorySource('vm1', [{ name: 'd', content: Buffer.from('x') }]).plugin(), breaker()]);
    const failed = await runJob(failing, spec());
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ plugin: 'breaker', hook: 'store', message: '[breaker] store: bucket missing' });
  });

  it('collects every validation problem and fails before any byte moves', async () => {
    const source = memorySource('vm1', [{ name: 'disk1.vmdk', content: Buffer.from('x') }]);
    const sink = memorySink();
    const checks = definePlugin({
      name: 'checks',
      version: '0.0.0',
      setup(exporter) {
        exporter.hooks.validate.tapPromise('checks', async (_job, report) => report.error('disk-space', 'needs 10 GiB, 1 GiB free'));
        exporter.hooks.validate.tap({ name: 'checks', stage: 1 }, (_job, report) => report.error('power-state', 'VM is running'));
      },
    });
    const exporter = await Exporter.create([checks(), source.plugin(), sink.plugin()]);
    const result = await runJob(exporter, spec());
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('disk-space: needs 10 GiB');
    expect(result.error?.message).toContain('power-state: VM is running');
    expect(source.state.opened).toEqual([]);
    expect(sink.state.prepared).toBe(false);
  });

  it('a listener that throws does not break the export', async () => {
    const errors: unknown[] = [];
    const bus = new EventBus((error) => errors.push(error));
    bus.on('file:progress', () => {
      throw new Error('bad listener');
    });
    bus.on('file:end', () => Promise.reject(new Error('bad async listener')) as unknown as void);
    const source = memorySource('vm1', [{ name: 'disk1.vmdk', content: randomBytes(200_000) }]);
    const sink = memorySink();
    const exporter = await Exporter.create([source.plugin(), sink.plugin()], { bus });
    const result = await runJob(exporter, spec());
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors.length).toBeGreaterThan(1);
  });

  it('says what to do when no source or no destination is configured', async () => {
    const exporter = await Exporter.create([memorySink().plugin()]);
    const result = await runJob(exporter, spec());
    expect(result.status).toBe('failed');
    expect(result.error?.message).toBe('no source plugin can open this export');
    const noSink = await Exporter.create([memorySource('vm', [{ name: 'd', content: Buffer.from('x') }]).plugin()]);
    expect((await runJob(noSink, spec())).error?.message).toBe('no destination for the export');
  });
});

describe('runJob with a source that must start a file again', () => {
  it('writes the file anew instead of appending to the cut copy', async () => {
    const disk = randomBytes(256 * 1024);
    let opens = 0;
    const source = memorySource('vm1', [
      {
        name: 'disk1.vmdk',
        rereadable: false,
        content: () => {
          opens += 1;
          if (opens > 1) return Readable.from([disk]);
          // First attempt: half the bytes, then the server "ignored Range" on the retry.
          return new Readable({
            read() {
              this.push(disk.subarray(0, disk.length / 2));
              this.destroy(Object.assign(new Error('the server ignored Range'), { code: 'SOURCE_RESTART' }));
            },
          });
        },
      },
    ]);
    const sink = memorySink();
    const exporter = await Exporter.create([source.plugin(), sink.plugin()]);
    const result = await runJob(exporter, spec());
    expect(result.error).toBeUndefined();
    expect(opens).toBe(2);
    expect(sink.state.files.get('disk1.vmdk')!.equals(disk)).toBe(true);
    expect(result.warnings.join()).toContain('writing the file again from the start');
  });
});
