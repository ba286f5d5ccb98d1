import { describe, expect, it } from 'vitest';
import * as t from 'typanion';
import { ConfigError, ExportError, PluginError } from './errors.ts';
import { Exporter } from './exporter.ts';
import { Job, ValidationReport } from './job.ts';
import { definePlugin, flattenPlugins } from './plugin.ts';
import { checkJob } from './run-job.ts';
import { loadSecondCopyOfErrors } from './testing/second-copy.ts';

const withOptions = definePlugin({
  name: 'with-options',
  version: '1.0.0',
  options: t.isObject({ level: t.isNumber(), mode: t.isEnum(['fast', 'slow'] as const), label: t.isOptional(t.isString()) }),
  setup() {},
});

async function problemsOf(promise: Promise<unknown>): Promise<readonly string[]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).problems;
}

describe('Exporter.create', () => {
  it('lists every option problem at once: unknown key, wrong type, missing required', async () => {
    const problems = await problemsOf(Exporter.create([withOptions({ level: 'high', colour: 'red' } as never)]));
    expect(problems).toEqual([
      'plugin "with-options" option "level": Expected a number (got "high")',
      'plugin "with-options" option "mode" is required: Expected one of "fast" or "slow"',
      'plugin "with-options" option "colour" is not a known option (got "red"); remove it or check its spelling',
    ]);
  });

  it('rejects two plugins with one name and unmet requirements', async () => {
    const needy = definePlugin({ name: 'needy', version: '1.0.0', requires: ['storage:s3'], setup() {} });
    const problems = await problemsOf(Exporter.create([withOptions({ level: 1, mode: 'fast' }), withOptions({ level: 2, mode: 'slow' }), needy()]));
    expect(problems).toContain('plugin "with-options" is listed twice; list each plugin once (merge the options)');
    expect(problems).toContain('plugin "needy" requires "storage:s3", which no configured plugin provides; add a plugin that provides it');
  });

  it('names the plugin whose setup throws', async () => {
    const broken = definePlugin({
      name: 'broken',
      version: '1.0.0',
      setup() {
        throw new Error('missing API key');
      },
    });
    await expect(Exporter.create([broken()])).rejects.toThrow('plugin "broken" failed to set up: missing API key');
  });

  it('seals the hooks after setup', async () => {
    const exporter = await Exporter.create([]);
    expect(() => exporter.hooks.notify.tap('late', () => {})).toThrow('"late" tapped notify after setup');
  });

  it('sets up pre plugins first and post plugins last', async () => {
    const order: string[] = [];
    const make = (name: string, enforce?: 'pre' | 'post') =>
      definePlugin({
        name,
        version: '1',
        ...(enforce ? { enforce } : {}),
        setup() {
          order.push(name);
        },
      });
    await Exporter.create([make('post', 'post')(), make('normal')(), make('pre', 'pre')()]);
    expect(order).toEqual(['pre', 'normal', 'post']);
  });

  it('flattens presets and skips falsy entries', () => {
    const a = definePlugin({ name: 'a', version: '1', setup() {} });
    const b = definePlugin({ name: 'b', version: '1', setup() {} });
    const flat = flattenPlugins([a(), [false, [b()]], null, undefined]);
    expect(flat.map((p) => p.definition.name)).toEqual(['a', 'b']);
    expect(() => flattenPlugins([{ name: 'not a plugin' } as never])).toThrow('plugins[0] is not a plugin (got an object)');
  });
});

describe('validate taps that name their check', () => {
  const spec = { source: '/vms/web01', format: 'ovf' as const, parallel: 1, overwrite: false, extra: {} };
  const badLimit = () => new ConfigError('bad limit "10X": X is not a unit', { hint: 'e.g. 10M' });
  // Reports its problem a moment later, so the throwing taps have finished (and, were their
  // errors thrown on, aborted the parallel hook) before it reports.
  const slowChecker = definePlugin({
    name: 'slow-checker',
    version: '1',
    setup(exporter) {
      exporter.hooks.validate.tapPromise('slow-checker', async (_job, report) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        report.error('disk-space', 'needs 10 GiB, 1 GiB free', 'slow-checker');
      });
    },
  });

  it("reports a thrown ConfigError as an issue of that check, and keeps the other plugins' issues", async () => {
    const limits = definePlugin({
      name: 'limits',
      version: '1',
      setup(exporter) {
        exporter.hooks.validate.tapPromise({ name: 'limits', check: 'bwlimit' }, async () => {
          throw badLimit();
        });
        exporter.hooks.validate.tap({ name: 'limits', check: 'format' }, () => {
          throw new ConfigError('format "vmdk" is not known');
        });
        exporter.hooks.validate.tapAsync({ name: 'limits', check: 'keys' }, (_job, _report, callback) => {
          callback(new ConfigError('no key file', { hint: 'give --key-file' }));
        });
      },
    });
    const exporter = await Exporter.create([limits(), slowChecker()]);
    const { issues } = await checkJob(exporter, spec);
    expect(issues).toEqual(
      expect.arrayContaining([
        { level: 'error', check: 'bwlimit', message: 'bad limit "10X": X is not a unit (e.g. 10M)', plugin: 'limits' },
        { level: 'error', check: 'format', message: 'format "vmdk" is not known', plugin: 'limits' },
        { level: 'error', check: 'keys', message: 'no key file (give --key-file)', plugin: 'limits' },
        { level: 'error', check: 'disk-space', message: 'needs 10 GiB, 1 GiB free', plugin: 'slow-checker' },
      ]),
    );
    expect(issues).toHaveLength(4);
  });

  it("reports a ConfigError made by another copy of core (a plugin's own dependency) with its check and hint", async () => {
    const pluginsCore = await loadSecondCopyOfErrors();
    const limits = definePlugin({
      name: 'limits',
      version: '1',
      setup(exporter) {
        exporter.hooks.validate.tapPromise({ name: 'limits', check: 'bwlimit' }, async () => {
          throw new pluginsCore.ConfigError('bad limit "10X": X is not a unit', { hint: 'e.g. 10M' });
        });
      },
    });
    const exporter = await Exporter.create([limits()]);
    const { issues } = await checkJob(exporter, spec);
    expect(issues).toEqual([{ level: 'error', check: 'bwlimit', message: 'bad limit "10X": X is not a unit (e.g. 10M)', plugin: 'limits' }]);
  });

  it('still fails the hook for any other error, and for a ConfigError from a tap without a check', async () => {
    const failing = (error: Error, check?: string) =>
      definePlugin({
        name: 'failing',
        version: '1',
        setup(exporter) {
          exporter.hooks.validate.tapPromise(check === undefined ? 'failing' : { name: 'failing', check }, async () => {
            throw error;
          });
        },
      })();
    for (const plugin of [failing(new ExportError('vCenter unreachable'), 'connection'), failing(badLimit())]) {
      const exporter = await Exporter.create([plugin, slowChecker()]);
      const failure = await exporter.hooks.validate.promise(new Job(spec, exporter.bus), new ValidationReport()).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(PluginError);
      expect(failure).toMatchObject({ plugin: 'failing', hook: 'validate' });
    }
  });
});
