// Stage declarations: positions in their band, artifacts that exist, and what each format shows.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { Exporter } from './exporter.ts';
import { Stage } from './model.ts';
import type { JobSpec, TransformStage } from './model.ts';
import { definePlugin } from './plugin.ts';
import { runJob } from './run-job.ts';
import { artifactsSeenIn, checkPlanForFormat, checkStageDeclaration, createTransformPlan } from './stage-declarations.ts';
import { memorySink, memorySource } from './testing/memory-plugins.ts';

const stage = (overrides: Partial<TransformStage>): TransformStage => ({
  name: 'xor',
  stage: Stage.COMPRESS,
  effect: 'changes-bytes',
  artifacts: ['disk'],
  create: () => new PassThrough(),
  ...overrides,
});

describe('adding a stage to the plan', () => {
  it('refuses a byte-changing stage among the pacing stages, naming it, its position and where it goes', () => {
    const plan = createTransformPlan();
    const error = (() => {
      try {
        plan.stages.push(stage({ stage: 150 }));
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({
      message: 'transform stage "xor" changes bytes but sits at position 150, among the pacing stages (below 200), which must pass every byte on unchanged',
      hint: expect.stringContaining('byte-changing stages go at 200 or later (Stage.COMPRESS 200, Stage.ENCRYPT 300)'),
    });
    expect(plan.stages).toHaveLength(0);
  });

  it('refuses a pacing stage among the byte-changing ones', () => {
    expect(() => checkStageDeclaration(stage({ name: 'cap', effect: 'paces', stage: Stage.ENCRYPT }))).toThrow(
      'transform stage "cap" only paces but sits at position 300, among the byte-changing stages (200 and later)',
    );
  });

  it('refuses a stage that does not declare its effect or its artifacts (a plugin in plain JavaScript)', () => {
    expect(() => checkStageDeclaration({ ...stage({}), effect: undefined } as unknown as TransformStage)).toThrow(
      'transform stage "xor" does not declare its effect (effect: undefined)',
    );
    expect(() => checkStageDeclaration(stage({ artifacts: [] }))).toThrow('transform stage "xor" does not declare which artifacts it sees (artifacts: [])');
    expect(() => checkStageDeclaration(stage({ artifacts: ['record' as 'disk'] }))).toThrow(
      'transform stage "xor" declares artifacts no stage can see: "record"',
    );
  });

  it('takes stages in their band at the named positions', () => {
    const plan = createTransformPlan();
    plan.stages.push(stage({ name: 'cap', effect: 'paces', stage: Stage.THROTTLE }), stage({ stage: Stage.COMPRESS }), stage({ stage: Stage.ENCRYPT + 1 }));
    expect(plan.stages.map((added) => added.stage)).toEqual([100, 200, 301]);
  });
});

describe('what a stage sees in each format', () => {
  it('an OVF folder shows disks, descriptor and manifest; an OVA only its package, but pacing stages also the disks read for it', () => {
    expect(artifactsSeenIn(stage({ artifacts: ['disk', 'package'] }), 'ovf')).toEqual(['disk']);
    expect(artifactsSeenIn(stage({ artifacts: ['disk', 'package'] }), 'ova')).toEqual(['package']);
    expect(artifactsSeenIn(stage({ artifacts: ['disk'] }), 'ova')).toEqual([]);
    expect(artifactsSeenIn(stage({ artifacts: ['package'] }), 'ovf')).toEqual([]);
    expect(artifactsSeenIn(stage({ effect: 'paces', stage: Stage.THROTTLE, artifacts: ['disk'] }), 'ova')).toEqual(['disk']);
  });

  it('reports every stage that would see nothing, as a usage error that says which format would do', () => {
    const plan = { stages: [stage({ name: 'xor' }), stage({ name: 'zip', artifacts: ['disk', 'package'] })] };
    expect(() => checkPlanForFormat(plan, 'ovf')).not.toThrow();
    const error = (() => {
      try {
        checkPlanForFormat(plan, 'ova');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({
      message:
        'transform stage "xor" sees only disk artifacts, and an OVA export passes only its package (.ova), with the disks inside it, through its stages: it would change nothing',
      hint: 'export with --format ovf, where it sees its artifacts, or leave out the setting that adds the stage',
    });
    expect(() =>
      checkPlanForFormat({ stages: [stage({ name: 'pkg', artifacts: ['package'] }), stage({ name: 'pkg2', artifacts: ['package'] })] }, 'ovf'),
    ).toThrow('2 transform stages would see nothing in an OVF export');
  });
});

describe('a job with a stage that breaks its contract', () => {
  const spec = (format: 'ova' | 'ovf'): JobSpec => ({ format, parallel: 1, overwrite: false, extra: {} });
  const withStage = (added: TransformStage) =>
    definePlugin({
      name: 'xor-plugin',
      version: '0.0.0',
      setup(exporter) {
        exporter.hooks.transform.tap('xor-plugin', (plan) => {
          plan.stages.push(added);
          return plan;
        });
      },
    })();

  it('fails in the transform hook as a usage error naming the plugin, before any snapshot or source is opened', async () => {
    const source = memorySource('vm1', [{ name: 'disk1.vmdk', content: Buffer.from('data') }]);
    const sink = memorySink();
    let snapshots = 0;
    const snapshotter = definePlugin({
      name: 'snapshotter',
      version: '0.0.0',
      setup(exporter) {
        exporter.hooks.snapshot.tap('snapshotter', () => void snapshots++);
      },
    })();
    const exporter = await Exporter.create([source.plugin(), sink.plugin(), snapshotter, withStage(stage({ stage: 150 }))]);
    const result = await runJob(exporter, spec('ovf'));
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      code: 'CONFIG',
      message: expect.stringMatching(/^\[xor-plugin\] transform: transform stage "xor" changes bytes but sits at position 150/),
    });
    expect(snapshots).toBe(0);
    expect(source.state.opened).toEqual([]);
    expect(sink.state.prepared).toBe(false);
  });

  it('refuses an OVA export with a disk-only stage before the source is opened; the OVF export runs it', async () => {
    const source = memorySource('vm1', [{ name: 'disk1.vmdk', content: Buffer.from('data') }]);
    const sink = memorySink();
    const exporter = await Exporter.create([source.plugin(), sink.plugin(), withStage(stage({}))]);
    const refused = await runJob(exporter, spec('ova'));
    expect(refused.error).toMatchObject({ code: 'CONFIG', message: expect.stringContaining('transform stage "xor" sees only disk artifacts') });
    expect(source.state.opened).toEqual([]);
    expect(sink.state.prepared).toBe(false);
    const ran = await runJob(exporter, spec('ovf'));
    expect(ran.status).toBe('succeeded');
  });
});
