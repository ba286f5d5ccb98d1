// Data passes between hooks as their values: the snapshot from `snapshot` to `download`, whether
// the export reads a snapshot from `planSnapshot`, what was published from tap to tap; and the
// export id is fixed once.
import { describe, expect, it } from 'vitest';
import { Exporter } from './exporter.ts';
import type { PublishedExport } from './exporter.ts';
import { Job, fixExportId } from './job.ts';
import { EventBus } from './events.ts';
import type { JobSpec, SnapshotRef } from './model.ts';
import { definePlugin } from './plugin.ts';
import { runJob } from './run-job.ts';
import { memorySink, memorySource } from './testing/memory-plugins.ts';

const spec = (overrides: Partial<JobSpec> = {}): JobSpec => ({ format: 'ovf', parallel: 1, overwrite: false, extra: {}, ...overrides });
const disk = { name: 'disk1.vmdk', content: Buffer.from('data') };

describe('hook values', () => {
  it('hands download the snapshot the snapshot hook returned, and the checks the planned one', async () => {
    const taken: SnapshotRef = { name: 'before-export', id: 'snapshot-7', created: false, provider: 'test-snapshot' };
    const seen: { planned?: unknown; fromSnapshot?: boolean; downloadGot?: unknown } = {};
    const source = memorySource('vm1', [disk]);
    const snapshots = definePlugin({
      name: 'test-snapshot',
      version: '0.0.0',
      setup(exporter) {
        exporter.hooks.planSnapshot.tap('test-snapshot', () => ({ provider: 'test-snapshot', takes: false }));
        exporter.hooks.validate.tap('test-snapshot', (job) => {
          seen.planned = job.plannedSnapshot;
          seen.fromSnapshot = job.exportsFromSnapshot;
        });
        exporter.hooks.snapshot.tap('test-snapshot', () => taken);
        exporter.hooks.download.tap({ name: 'test-snapshot', stage: -1 }, (_job, request) => {
          seen.downloadGot = request.snapshot;
          return undefined;
        });
      },
    });
    const exporter = await Exporter.create([snapshots(), source.plugin(), memorySink().plugin()]);
    const result = await runJob(exporter, spec());
    expect(result.status).toBe('succeeded');
    expect(seen).toEqual({ planned: { provider: 'test-snapshot', takes: false }, fromSnapshot: true, downloadGot: taken });
  });

  it('passes what each published tap returns to the next, into the result and to retain', async () => {
    const seen: { second?: PublishedExport; retained?: unknown } = {};
    const observers = definePlugin({
      name: 'uploads',
      version: '0.0.0',
      setup(exporter) {
        exporter.hooks.published.tap({ name: 'uploads', stage: 1 }, (published) => ({
          ...published,
          locations: [...published.locations, 'tape://vault/vm1'],
          destinations: [...published.destinations, { url: 'tape://vault' }],
        }));
        exporter.hooks.published.tap({ name: 'uploads', stage: 2 }, (published) => {
          seen.second = published;
          return published; // only looks
        });
        exporter.hooks.retain.tap('uploads', ({ destinations }) => {
          seen.retained = destinations;
        });
      },
    });
    const exporter = await Exporter.create([memorySource('vm1', [disk]).plugin(), memorySink().plugin(), observers()]);
    const result = await runJob(exporter, spec());
    expect(result.status).toBe('succeeded');
    expect(seen.second?.locations).toContain('tape://vault/vm1');
    expect(result.locations).toContain('tape://vault/vm1');
    expect(seen.retained).toEqual([{ url: 'tape://vault' }]);
  });

  it('keeps what the taps before a failing published tap returned', async () => {
    const plugin = definePlugin({
      name: 'half-upload',
      version: '0.0.0',
      setup(exporter) {
        exporter.hooks.published.tap({ name: 'half-upload', stage: 1 }, (published) => ({ ...published, locations: [...published.locations, 'tape://a/vm1'] }));
        exporter.hooks.published.tapPromise({ name: 'half-upload', stage: 2 }, () => Promise.reject(new Error('tape b unreachable')));
      },
    });
    const exporter = await Exporter.create([memorySource('vm1', [disk]).plugin(), memorySink().plugin(), plugin()]);
    const result = await runJob(exporter, spec());
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/tape b unreachable/);
    expect(result.locations).toContain('tape://a/vm1');
  });
});

describe('the export id', () => {
  it('is unreadable before the write begins, fixed once, and never reassigned', () => {
    const job = new Job(spec(), new EventBus());
    expect(() => job.exportId).toThrow(/read before the export began/);
    fixExportId(job, 'export-1');
    expect(job.exportId).toBe('export-1');
    expect(() => fixExportId(job, 'export-2')).toThrow(/already fixed \(export-1\)/);
    expect(job.exportId).toBe('export-1');
    expect(() => {
      (job as unknown as { exportId: string }).exportId = 'export-3';
    }).toThrow(TypeError);
  });

  it('is the job id of a fresh export, as the record and the stages see it', async () => {
    let seenByStage: string | undefined;
    const stage = definePlugin({
      name: 'id-reader',
      version: '0.0.0',
      setup(exporter) {
        exporter.hooks.postValidate.tap('id-reader', (job) => {
          seenByStage = job.exportId;
        });
      },
    });
    const sink = memorySink();
    const exporter = await Exporter.create([memorySource('vm1', [disk]).plugin(), sink.plugin(), stage()]);
    const result = await runJob(exporter, spec());
    const record = JSON.parse(sink.state.files.get('vm1.ovf.hyperexport.json')!.toString()) as { jobId: string };
    expect(seenByStage).toBe(result.id);
    expect(record.jobId).toBe(result.id);
  });
});
